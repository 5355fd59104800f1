// Command floorinit is the Go floor of the bench: a reference, not a product.
// It is about the least a container init written in Go can do (forward
// signals to its child's group, reap every exit, exit with the child's
// status), so that bench can tell what tend costs on top of the Go runtime
// itself. It has no options, no restart, no health probes, no real-time
// signal queueing, no terminal handling and no grace period. bench/run.sh
// builds it static, like benchchild; see bench/README.md.
//
//	floorinit CMD [ARG...]
package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "floorinit: usage: floorinit CMD [ARG...]")
		os.Exit(125)
	}
	// Caught before the child starts: a Go PID 1 killed by a signal it does
	// not catch exits 2 instead of forwarding it. SIGKILL cannot be caught.
	catch := []os.Signal{syscall.SIGWINCH}
	for n := syscall.Signal(1); n <= 15; n++ {
		if n != syscall.SIGKILL {
			catch = append(catch, n)
		}
	}
	sigc := make(chan os.Signal, 16)
	signal.Notify(sigc, catch...)
	argv0 := lookPath(os.Args[1])
	// Go's fork resets the caught signals to their defaults in the child.
	pid, err := syscall.ForkExec(argv0, os.Args[1:], &syscall.ProcAttr{
		Env: os.Environ(), Files: []uintptr{0, 1, 2}, Sys: &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "floorinit: start %s: %v\n", argv0, err)
		if err == syscall.ENOENT {
			os.Exit(127)
		}
		os.Exit(126)
	}
	go func() {
		for s := range sigc {
			_ = syscall.Kill(-pid, s.(syscall.Signal)) // ESRCH: the group is gone
		}
	}()
	// The main goroutine blocks in wait4(-1) and reaps every exit; once the
	// main child has exited, what is already a zombie is reaped and floorinit
	// exits (as PID 1 of a namespace, the kernel then kills the rest).
	status, flags := 125, 0
	for {
		var ws syscall.WaitStatus
		wpid, err := syscall.Wait4(-1, &ws, flags, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || (flags != 0 && wpid == 0) { // ECHILD, or nothing left to reap now
			os.Exit(status)
		}
		if wpid == pid {
			status = ws.ExitStatus()
			if ws.Signaled() {
				status = 128 + int(ws.Signal())
			}
			flags = syscall.WNOHANG
		}
	}
}

// lookPath finds name in $PATH when it has no slash, as a shell would.
func lookPath(name string) string {
	if strings.Contains(name, "/") {
		return name
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return name
}
