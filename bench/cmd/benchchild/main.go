// Command benchchild is the workload that bench runs under each init: it
// makes storms of orphans, answers forwarded signals through its stdout, and
// counts health-check probes. It is built static (CGO_ENABLED=0) so that it
// runs the same under every init and in an empty PID namespace.
//
//	benchchild storm CGROUP_PROCS   # commands on stdin: "arm N", "go", "exit"
//	benchchild echo                 # each SIGUSR1 → one byte "u" on stdout
//	benchchild probe FILE           # append one byte to FILE, exit 0
//	benchchild sleep                # wait for end of stdin
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchchild storm|echo|probe|sleep [ARG]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "storm":
		procs := ""
		if len(os.Args) > 2 {
			procs = os.Args[2]
		}
		err = storm(procs)
	case "echo":
		err = echo()
	case "probe":
		err = probe(os.Args[2])
	case "sleep":
		_, err = io.Copy(io.Discard, os.Stdin)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchchild:", err)
		os.Exit(1)
	}
}

// storm serves the orphan-storm protocol on stdin/stdout. "arm N" forks an
// intermediate process that forks N orphans and exits, so the orphans are
// reparented to the init; every orphan blocks reading a pipe. "go" closes the
// last write end of that pipe, so all N orphans exit at once and the init
// has N zombies to reap. procs, when set, is a cgroup.procs file the
// intermediate moves itself into first, so that bench can count the orphans
// (zombies included, until reaped) with one read of pids.current.
func storm(procs string) error {
	in := bufio.NewScanner(os.Stdin)
	out := os.Stdout
	if procs != "" {
		cgPath = append([]byte(procs), 0)
	}
	wfd := -1
	fmt.Fprintln(out, "ready")
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "arm":
			n, err := strconv.Atoi(f[1])
			if err != nil {
				return err
			}
			var p [2]int
			if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
				return err
			}
			pid, err := spawn(n, p[0], p[1])
			syscall.Close(p[0])
			if err != nil {
				syscall.Close(p[1])
				return err
			}
			var ws syscall.WaitStatus
			for {
				_, err = syscall.Wait4(pid, &ws, 0, nil)
				if err != syscall.EINTR {
					break
				}
			}
			if err != nil {
				return fmt.Errorf("wait4 intermediate: %w", err)
			}
			if ws.ExitStatus() != 0 {
				return fmt.Errorf("intermediate exited %d (fork failed after some orphans)", ws.ExitStatus())
			}
			wfd = p[1]
			fmt.Fprintf(out, "armed %d\n", n)
		case "go":
			if wfd >= 0 {
				syscall.Close(wfd)
				wfd = -1
			}
			fmt.Fprintln(out, "released")
		case "exit":
			return nil
		}
	}
	return in.Err()
}

// echo writes one byte to stdout for every SIGUSR1, until stdin ends.
func echo() error {
	c := make(chan os.Signal, 16)
	signal.Notify(c, syscall.SIGUSR1)
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	b := []byte{'u'}
	if _, err := os.Stdout.Write([]byte{'r'}); err != nil {
		return err
	}
	for range c {
		if _, err := os.Stdout.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// probe appends one byte to file: bench counts --health-cmd probes by size.
func probe(file string) error {
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte{'p'}); err != nil {
		return err
	}
	return f.Close()
}
