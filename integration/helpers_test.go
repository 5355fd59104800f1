//go:build linux

package integration

// Helper workloads: what tend supervises in these tests. TestMain runs one
// when roleEnv is "helper" (name in the first argument, see helperArgv) or
// "helper-NAME". Each returns the process's exit status.

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// readyFDEnv names the fd on which a trap helper started with -spawn
// reports that it is ready (its parent waits for that before going on).
const readyFDEnv = "TEND_TEST_READY_FD"

// helpers maps a helper's name to its code.
var helpers = map[string]func(args []string) int{
	// exit N: exit with status N.
	"exit": func(args []string) int {
		if len(args) != 1 {
			return usageFail("exit N")
		}
		n, err := strconv.Atoi(args[0])
		if err != nil {
			return usageFail("exit N")
		}
		return n
	},
	// args ARG...: print each argument on its own line.
	"args": func(args []string) int {
		for _, a := range args {
			fmt.Println(a)
		}
		return 0
	},
	// hang: do nothing until killed (default signal dispositions of a Go
	// program: TERM, INT, HUP end it).
	"hang": func([]string) int {
		for {
			time.Sleep(time.Hour)
		}
	},
	// trap [FLAGS]: print each signal received (see helperTrap).
	"trap": helperTrap,
	// ignore-term [FLAGS]: trap with SIGTERM ignored.
	"ignore-term": func(args []string) int {
		return helperTrap(append([]string{"-ignore", "TERM"}, args...))
	},
	// setsid-grandchild [FLAGS]: trap that first starts a child in a new
	// session (labelled "sid") and waits until it is ready.
	"setsid-grandchild": func(args []string) int {
		return helperTrap(append([]string{"-spawn", "sid,setsid"}, args...))
	},
	// orphans N [ARGV...]: double-fork N short-lived orphans with /bin/sh,
	// print "orphans done", then exec ARGV (or exit 0).
	"orphans": helperOrphans,
	// notify STEP...: speak the sd_notify protocol through $NOTIFY_SOCKET
	// (see helperNotify in notify_test.go).
	"notify": helperNotify,
	// notify-send PATH MSG: send MSG to the unix datagram socket PATH.
	"notify-send": helperNotifySend,
	// listen: print "pid=P LISTEN_PID=… LISTEN_FDS=… fd3=DATA", DATA being
	// everything read from fd 3 (or the error).
	"listen": func([]string) int {
		b, err := io.ReadAll(os.NewFile(3, "listen-fd"))
		data := string(b)
		if err != nil {
			data = "error: " + err.Error()
		}
		fmt.Printf("pid=%d LISTEN_PID=%s LISTEN_FDS=%s fd3=%q\n", os.Getpid(), os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS"), data)
		return 0
	},
}

func usageFail(usage string) int {
	fmt.Fprintln(os.Stderr, harnessPrefix+"usage: "+usage)
	return 2
}

// readyLine is the line a trap helper prints once its signal handlers are
// installed and its children are ready: "LABEL ready pid=N".
func readyLine(label string, pid int) string {
	return labelled(label, fmt.Sprintf("ready pid=%d", pid))
}

// labelled prefixes s with label and a space (nothing when label is "").
func labelled(label, s string) string {
	if label == "" {
		return s
	}
	return label + " " + s
}

// sigName is the name the trap helper prints for s: "SIGUSR1", or "SIG35"
// for a signal without a name (the real-time ones).
func sigName(s unix.Signal) string {
	if n := unix.SignalName(s); n != "" {
		return n
	}
	return "SIG" + strconv.Itoa(int(s))
}

// sigNum parses "TERM", "SIGTERM" or "15".
func sigNum(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		return unix.Signal(n), nil
	}
	s = strings.ToUpper(s)
	if !strings.HasPrefix(s, "SIG") {
		s = "SIG" + s
	}
	if n := unix.SignalNum(s); n != 0 {
		return n, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}

// helperTrap prints one line per signal it receives ("SIGUSR1", or "LABEL
// SIGUSR1" with -label), after a ready line (see readyLine). It ignores
// SIGURG (the Go runtime sends it to itself), and SIGCHLD when it has
// children. Flags:
//
//	-label L       prefix of every line
//	-ignore SIGS   comma-separated signals set to SIG_IGN (never printed)
//	-spawn SPEC    start a trap child, SPEC = LABEL[,setsid][,ignore-term]
//	               [,exit-on-term][,stop]
//	               (repeatable); it shares stdout, and is ready before we are
//	-relay F:T     on signal F, send T to every spawned child
//	-exit-on SIG   exit after printing SIG, with the status of -status
//	-status N      the status for -exit-on (default 0)
//	-exit N        exit N as soon as ready (children are left behind)
//	-tty           before the ready line print "LABEL tty fg=F pgrp=G" from
//	               tcgetpgrp(0) and getpgrp()
//	-stop          once ready, stop with SIGSTOP (as Ctrl-Z would)
func helperTrap(args []string) int {
	fs := flag.NewFlagSet("trap", flag.ContinueOnError)
	label := fs.String("label", "", "")
	ignore := fs.String("ignore", "", "")
	relay := fs.String("relay", "", "")
	exitOn := fs.String("exit-on", "", "")
	exitCode := fs.Int("exit", -1, "")
	status := fs.Int("status", 0, "")
	tty := fs.Bool("tty", false, "")
	stop := fs.Bool("stop", false, "")
	var spawns []string
	fs.Func("spawn", "", func(s string) error { spawns = append(spawns, s); return nil })
	if err := fs.Parse(args); err != nil {
		return usageFail("trap [flags]")
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, harnessPrefix+"trap %s: "+format+"\n", append([]any{*label}, a...)...)
		return 2
	}
	var ignored []unix.Signal
	for f := range strings.SplitSeq(*ignore, ",") {
		if f == "" {
			continue
		}
		s, err := sigNum(f)
		if err != nil {
			return fail("%v", err)
		}
		ignored = append(ignored, s)
		signal.Ignore(s)
	}
	var relayFrom, relayTo unix.Signal
	if *relay != "" {
		from, to, _ := strings.Cut(*relay, ":")
		var err1, err2 error
		relayFrom, err1 = sigNum(from)
		relayTo, err2 = sigNum(to)
		if err1 != nil || err2 != nil {
			return fail("bad -relay %q", *relay)
		}
	}
	// Notify with no list would also catch the ignored signals again.
	var caught []os.Signal
	for s := unix.Signal(1); s <= 64; s++ {
		if s == unix.SIGKILL || s == unix.SIGSTOP || (s >= 32 && s <= 34) || slices.Contains(ignored, s) {
			continue
		}
		caught = append(caught, s)
	}
	c := make(chan os.Signal, 256)
	signal.Notify(c, caught...)

	var children []int
	for _, spec := range spawns {
		pid, err := spawnTrap(spec)
		if err != nil {
			return fail("spawn %q: %v", spec, err)
		}
		children = append(children, pid)
	}
	if *tty {
		fg, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
		if err != nil {
			fg = -1
		}
		fmt.Println(labelled(*label, fmt.Sprintf("tty fg=%d pgrp=%d", fg, unix.Getpgrp())))
	}
	fmt.Println(readyLine(*label, os.Getpid()))
	if fd := os.Getenv(readyFDEnv); fd != "" {
		os.Unsetenv(readyFDEnv)
		if n, err := strconv.Atoi(fd); err == nil {
			f := os.NewFile(uintptr(n), "ready")
			_, _ = f.WriteString("ready\n")
			f.Close()
		}
	}
	if *exitCode >= 0 {
		return *exitCode
	}
	if *stop {
		_ = unix.Kill(os.Getpid(), unix.SIGSTOP)
	}
	for s := range c {
		sig := s.(syscall.Signal)
		if sig == unix.SIGURG || (sig == unix.SIGCHLD && len(children) > 0) {
			continue
		}
		fmt.Println(labelled(*label, sigName(sig)))
		if relayTo != 0 && sig == relayFrom {
			for _, pid := range children {
				_ = unix.Kill(pid, relayTo)
			}
		}
		if *exitOn != "" {
			if want, err := sigNum(*exitOn); err == nil && want == sig {
				return *status
			}
		}
	}
	return 0
}

// spawnTrap starts a trap helper child for spec
// (LABEL[,setsid][,ignore-term][,exit-on-term][,stop])
// with our stdout and stderr, waits until it is ready (with stop, until it
// has stopped) and returns its pid.
// Its exit is collected in the background.
func spawnTrap(spec string) (int, error) {
	fields := strings.Split(spec, ",")
	args := []string{"trap", "-label", fields[0]}
	attr := &syscall.SysProcAttr{}
	for _, f := range fields[1:] {
		switch f {
		case "setsid":
			attr.Setsid = true
		case "ignore-term":
			args = append(args, "-ignore", "TERM")
		case "exit-on-term":
			args = append(args, "-exit-on", "TERM")
		case "stop":
			args = append(args, "-stop")
		default:
			return 0, fmt.Errorf("unknown option %q", f)
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0] // no /proc: helperArgv gave an absolute path
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, roleEnv+"=") || strings.HasPrefix(kv, readyFDEnv+"=")
	}), roleEnv+"=helper", readyFDEnv+"=3")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = attr
	err = cmd.Start()
	w.Close()
	if err != nil {
		return 0, err
	}
	go func() { _ = cmd.Wait() }()
	line, err := bufio.NewReader(r).ReadString('\n')
	if line != "ready\n" {
		return 0, fmt.Errorf("child not ready: %q, %v", line, err)
	}
	if slices.Contains(args, "-stop") && !poll(10*time.Second, func() bool { return stopped(cmd.Process.Pid) }) {
		return 0, fmt.Errorf("child %d did not stop", cmd.Process.Pid)
	}
	return cmd.Process.Pid, nil
}

// orphansScript double-forks $1 orphans: each ( sleep 0.05 & ) forks a
// subshell that forks a background sleep and exits at once, so the sleep is
// reparented to the nearest subreaper, tend, and exits soon after. (With
// ( : & ) instead, dash's subshell often reaps its job itself before it
// exits, and tend never sees an orphan.)
const orphansScript = `n=$1; shift
i=0
while [ "$i" -lt "$n" ]; do ( sleep 0.05 & ); i=$((i+1)); done
echo "orphans done"
if [ $# -gt 0 ]; then exec "$@"; fi
exit 0`

// helperOrphans runs orphansScript in /bin/sh (a Go program cannot fork).
func helperOrphans(args []string) int {
	if len(args) < 1 {
		return usageFail("orphans N [ARGV...]")
	}
	argv := append([]string{"sh", "-c", orphansScript, "sh"}, args...)
	err := syscall.Exec("/bin/sh", argv, os.Environ())
	fmt.Fprintf(os.Stderr, harnessPrefix+"orphans: exec /bin/sh: %v\n", err)
	return 2
}
