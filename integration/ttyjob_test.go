//go:build linux

package integration

// tend as a job of an interactive shell (issue 12): started in the
// background (`tend -- cmd &`) it leaves the terminal to the shell; started
// in the foreground it hands the terminal to each child and takes it back
// when the child exits, so that the next child, or the shell, gets it.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func init() {
	if _, dup := helpers["tty-shell"]; dup {
		panic("helper tty-shell registered twice")
	}
	helpers["tty-shell"] = helperTTYShell
}

// helperTTYShell: fg|bg pid1|plain ARGV...: a job-control shell, to be
// started as the leader of a session with a terminal (so its group is the
// foreground one). It starts ARGV (tend) as a job in a process group of its
// own: in the foreground (tcsetpgrp, as `tend …` typed at a prompt) or in
// the background (`tend … &`); with pid1, as PID 1 of new PID and mount
// namespaces (through the harness's pid1 role). It prints "shell pgrp=S
// tend=T", waits for the job, then prints "shell after fg=F status=N", F
// being the terminal's foreground group once tend is gone.
func helperTTYShell(args []string) int {
	if len(args) < 3 || (args[0] != "fg" && args[0] != "bg") || (args[1] != "pid1" && args[1] != "plain") {
		return usageFail("tty-shell fg|bg pid1|plain ARGV...")
	}
	argv := args[2:]
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	role := "helper"
	if args[1] == "pid1" {
		self, err := os.Executable() // testBin is set only in the test's own process
		if err != nil {
			fmt.Fprintf(os.Stderr, harnessPrefix+"tty-shell: %v\n", err)
			return 2
		}
		attr = namespaceAttr()
		attr.Setpgid = true
		argv = append([]string{self}, argv...)
		role = "pid1"
	}
	if args[0] == "fg" {
		// The child puts its own group in the foreground before it execs,
		// so tend never runs before it has the terminal.
		attr.Foreground, attr.Ctty = true, 0
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, roleEnv+"=")
	}), roleEnv+"="+role)
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"tty-shell: %v\n", err)
		return 2
	}
	fmt.Printf("shell pgrp=%d tend=%d\n", unix.Getpgrp(), cmd.Process.Pid)
	status := 0
	if err := cmd.Wait(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			fmt.Fprintf(os.Stderr, harnessPrefix+"tty-shell: wait: %v\n", err)
			return 2
		}
		status = exitErr.ExitCode()
	}
	fg, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
	if err != nil {
		fg = -1
	}
	fmt.Printf("shell after fg=%d status=%d\n", fg, status)
	return 0
}

// startTTYShell starts the tty-shell helper on a new pty with mode (fg or
// bg) and tend's args, and returns the shell's and tend's pids as the test
// sees them, the master and the terminal's output (the shell's, tend's
// and the child's).
func startTTYShell(t *testing.T, mode string, pid1 bool, args ...string) (shell, tend int, master *os.File, term *output) {
	t.Helper()
	master, slave := openPTY(t)
	ns := "plain"
	if pid1 {
		ns = "pid1"
	}
	argv := append([]string{testBin, "tty-shell", mode, ns, tendBin}, args...)
	p := start(t, false, argv, append(tendEnv(nil), roleEnv+"=helper"), &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}, runOpts{TTY: slave})
	slave.Close()
	term = newOutput()
	go func() {
		_, _ = io.Copy(term, master)
		term.close()
	}()
	line := nextTermLine(t, term)
	if _, err := fmt.Sscanf(line, "shell pgrp=%d tend=%d", &shell, &tend); err != nil {
		t.Fatalf("the shell printed %q; want \"shell pgrp=S tend=T\"\nterminal:\n%s", line, term)
	}
	if shell != p.pid() {
		t.Fatalf("the shell's group = %d; want its own (%d)", shell, p.pid())
	}
	return shell, tend, master, term
}

// foregroundOf returns the foreground process group of the pty, read on
// the master, in the test's PID namespace.
func foregroundOf(t *testing.T, master *os.File) int {
	t.Helper()
	rc, err := master.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fg int
	var ioctlErr error
	if err := rc.Control(func(fd uintptr) { fg, ioctlErr = unix.IoctlGetInt(int(fd), unix.TIOCGPGRP) }); err != nil || ioctlErr != nil {
		t.Fatalf("TIOCGPGRP on the pty master: %v %v", err, ioctlErr)
	}
	return fg
}

// shellAfter reads up to the shell's last line (skipping what the child
// printed) and returns the foreground group and tend's status it reports.
func shellAfter(t *testing.T, term *output) (fg, status int) {
	t.Helper()
	for {
		line := nextTermLine(t, term)
		if rest, ok := strings.CutPrefix(line, "shell after "); ok {
			if _, err := fmt.Sscanf(rest, "fg=%d status=%d", &fg, &status); err != nil {
				t.Fatalf("the shell printed %q; want \"shell after fg=F status=N\"\nterminal:\n%s", line, term)
			}
			return fg, status
		}
	}
}

// childTTY reads a trap -tty child's two lines and returns the
// foreground group and its own group, as the child sees them.
func childTTY(t *testing.T, term *output) (fg, pgrp int) {
	t.Helper()
	line := nextTermLine(t, term)
	if _, err := fmt.Sscanf(line, "tty fg=%d pgrp=%d", &fg, &pgrp); err != nil {
		t.Fatalf("child printed %q; want \"tty fg=F pgrp=G\"\nterminal:\n%s", line, term)
	}
	if line := nextTermLine(t, term); !strings.HasPrefix(line, "ready pid=") {
		t.Fatalf("child printed %q; want its ready line\nterminal:\n%s", line, term)
	}
	return fg, pgrp
}

// TestTerminalBackgroundJob: tend started in the background of a shell
// (`tend -- cmd &`) does not take the terminal for its child: the
// foreground group stays the shell's while the child runs and after tend
// is gone.
func TestTerminalBackgroundJob(t *testing.T) {
	t.Parallel()
	for _, pid1 := range []bool{false, true} {
		t.Run(fmt.Sprintf("pid1=%v", pid1), func(t *testing.T) {
			t.Parallel()
			shell, tend, master, term := startTTYShell(t, "bg", pid1, helperArgv("trap", "-tty", "-exit-on", "TERM")...)
			fg, pgrp := childTTY(t, term)
			if fg == pgrp {
				t.Errorf("the child (group %d) is in the terminal's foreground; want the shell's group there", pgrp)
			}
			if got := foregroundOf(t, master); got != shell {
				t.Errorf("while tend's child runs the terminal's foreground group is %d; want the shell's (%d)\nterminal:\n%s", got, shell, term)
			}
			if err := unix.Kill(tend, unix.SIGTERM); err != nil {
				t.Fatal(err)
			}
			if fg, status := shellAfter(t, term); fg != shell || status != 0 {
				t.Errorf("after tend: foreground group %d, tend's status %d; want the shell's group (%d) and 0\nterminal:\n%s", fg, status, shell, term)
			}
		})
	}
}

// TestTerminalForegroundJob: tend started in the foreground of a shell
// gives the terminal to each child in turn, under --restart, and takes it
// back when the child exits: once tend is gone the foreground group is
// tend's own (which the shell then takes back), not a dead child's.
func TestTerminalForegroundJob(t *testing.T) {
	t.Parallel()
	for _, pid1 := range []bool{false, true} {
		t.Run(fmt.Sprintf("pid1=%v", pid1), func(t *testing.T) {
			t.Parallel()
			_, tend, _, term := startTTYShell(t, "fg", pid1, append([]string{"-v", "--restart=on-failure", "--max-restarts=1", "--backoff-min=10ms"},
				helperArgv("trap", "-tty", "-exit", "1")...)...)
			var groups []int
			for run := 1; run <= 2; run++ {
				fg, pgrp := childTTY(t, term)
				if fg != pgrp {
					t.Errorf("run %d: the terminal's foreground group is %d; want the child's (%d)\nterminal:\n%s", run, fg, pgrp, term)
				}
				groups = append(groups, pgrp)
			}
			if groups[0] == groups[1] {
				t.Errorf("both runs in group %d; want a group each", groups[0])
			}
			if fg, status := shellAfter(t, term); fg != tend || status != 1 {
				t.Errorf("after tend: foreground group %d, tend's status %d; want tend's group (%d) and 1\nterminal:\n%s", fg, status, tend, term)
			}
			// Taken back after each exit, so before the restart too.
			var events []string
			for _, l := range tendLines(term.String()) {
				for _, e := range []string{"started", "exited", "took the terminal back"} {
					if strings.HasPrefix(l, "tend: "+e+" ") {
						events = append(events, e)
					}
				}
			}
			want := []string{"started", "exited", "took the terminal back", "started", "exited", "took the terminal back"}
			if !slices.Equal(events, want) {
				t.Errorf("tend's events: %q; want %q\nterminal:\n%s", events, want, term)
			}
		})
	}
}
