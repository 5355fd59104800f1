//go:build linux

package integration

// A terminal session, as under docker run -it: the child's process group
// is the terminal's foreground group, and Ctrl-C reaches the child.

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair (posix_openpt, unlockpt, ptsname by
// hand) with echo off, so that the master reads only what the session
// writes. Both ends are closed when the test ends.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	var n int
	var ioctlErr error
	rc, err := master.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	err = rc.Control(func(fd uintptr) {
		if ioctlErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioctlErr != nil {
			return
		}
		n, ioctlErr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
	})
	if err != nil || ioctlErr != nil {
		t.Fatalf("unlock and name the pty: %v %v", err, ioctlErr)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open the pty slave: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	rc, err = slave.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	err = rc.Control(func(fd uintptr) {
		var tio *unix.Termios
		if tio, ioctlErr = unix.IoctlGetTermios(int(fd), unix.TCGETS); ioctlErr != nil {
			return
		}
		tio.Lflag &^= unix.ECHO
		ioctlErr = unix.IoctlSetTermios(int(fd), unix.TCSETS, tio)
	})
	if err != nil || ioctlErr != nil {
		t.Fatalf("turn echo off: %v %v", err, ioctlErr)
	}
	return master, slave
}

// startOnPTY starts tend (as PID 1 or not) with a new pty as its stdin,
// stdout and stderr and controlling terminal. Everything the session writes
// is collected in the returned output; write to master to type.
func startOnPTY(t *testing.T, pid1 bool, args ...string) (p *tendProc, master *os.File, term *output) {
	t.Helper()
	master, slave := openPTY(t)
	p = startEither(t, pid1, runOpts{TTY: slave}, args...)
	slave.Close() // only the session holds it now: the master reads EIO at its end
	term = newOutput()
	go func() {
		_, _ = io.Copy(term, master)
		term.close()
	}()
	return p, master, term
}

// nextTermLine returns the next line from the terminal that is not one of
// tend's own log lines.
func nextTermLine(t *testing.T, term *output) string {
	t.Helper()
	for {
		line, err := term.nextLine(lineTimeout)
		if err != nil {
			t.Fatalf("reading the terminal: %v\nso far:\n%s", err, term)
		}
		if !strings.HasPrefix(line, "tend: ") {
			return line
		}
	}
}

// TestTerminalForeground: the child's process group is the terminal's
// foreground group (tcgetpgrp(0) == getpgrp() in the child), and Ctrl-C
// typed on the terminal reaches it as SIGINT.
func TestTerminalForeground(t *testing.T) {
	t.Parallel()
	for _, pid1 := range []bool{true, false} {
		t.Run(fmt.Sprintf("pid1=%v", pid1), func(t *testing.T) {
			t.Parallel()
			_, master, term := startOnPTY(t, pid1, helperArgv("trap", "-tty")...)
			line := nextTermLine(t, term)
			var fg, pgrp int
			if _, err := fmt.Sscanf(line, "tty fg=%d pgrp=%d", &fg, &pgrp); err != nil {
				t.Fatalf("child printed %q; want \"tty fg=F pgrp=G\"\nterminal:\n%s", line, term)
			}
			if fg != pgrp {
				t.Errorf("terminal's foreground group = %d, child's group = %d; want the child in the foreground", fg, pgrp)
			}
			var pid int
			if line := nextTermLine(t, term); !strings.HasPrefix(line, "ready pid=") {
				t.Fatalf("child printed %q; want its ready line", line)
			} else if pid, _ = parseReady(line, ""); pid != pgrp {
				t.Errorf("child's process group = %d; want its own (%d)", pgrp, pid)
			}
			if _, err := master.Write([]byte{3}); err != nil { // Ctrl-C
				t.Fatal(err)
			}
			if line := nextTermLine(t, term); line != "SIGINT" {
				t.Errorf("after Ctrl-C the child printed %q; want SIGINT\nterminal:\n%s", line, term)
			}
		})
	}
}

// TestTerminalCtrlC: Ctrl-C on the terminal ends a child that keeps the
// default SIGINT disposition, and tend exits 130.
func TestTerminalCtrlC(t *testing.T) {
	t.Parallel()
	for _, pid1 := range []bool{true, false} {
		t.Run(fmt.Sprintf("pid1=%v", pid1), func(t *testing.T) {
			t.Parallel()
			p, master, term := startOnPTY(t, pid1, "sleep", "1000")
			waitForComm(t, p, "sleep")
			if _, err := master.Write([]byte{3}); err != nil {
				t.Fatal(err)
			}
			if got := p.wait(exitTimeout); got != 130 {
				t.Errorf("tend exited %d after Ctrl-C; want 130\nterminal:\n%s", got, term)
			}
		})
	}
}

// TestTerminalJobControl: an interactive bash under tend has job control
// (docker run -it … bash): $- contains m and bash does not complain that it
// cannot take the terminal.
func TestTerminalJobControl(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	for _, pid1 := range []bool{true, false} {
		t.Run(fmt.Sprintf("pid1=%v", pid1), func(t *testing.T) {
			t.Parallel()
			p, _, term := startOnPTY(t, pid1, bash, "--norc", "--noprofile", "-i", "-c", `echo "flags=$-"`)
			p.waitStatus(exitTimeout, 0)
			var flags string
			for {
				line, err := term.nextLine(lineTimeout)
				if err != nil {
					break
				}
				if f, ok := strings.CutPrefix(line, "flags="); ok {
					flags = f
				}
				if strings.Contains(line, "job control") || strings.Contains(line, "terminal process group") {
					t.Errorf("bash: %s", line)
				}
			}
			if !strings.Contains(flags, "m") {
				t.Errorf("bash's $- = %q; want m (job control)\nterminal:\n%s", flags, term)
			}
		})
	}
}

// TestTerminalCtrlZ: Ctrl-Z stops the child (tend neither stops nor exits),
// SIGCONT sent to tend resumes it (like fg), and Ctrl-C then ends it: 130.
func TestTerminalCtrlZ(t *testing.T) {
	t.Parallel()
	for _, pid1 := range []bool{true, false} {
		t.Run(fmt.Sprintf("pid1=%v", pid1), func(t *testing.T) {
			t.Parallel()
			p, master, term := startOnPTY(t, pid1, "sleep", "1000")
			waitForComm(t, p, "sleep")
			state := func() byte {
				var procs []procStat
				if p.pid1 {
					procs = p.nsProcs()
				} else {
					for _, pid := range descendants(p.pid()) {
						if s, err := readStat(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
							procs = append(procs, s)
						}
					}
				}
				for _, s := range procs {
					if s.Comm == "sleep" {
						return s.State
					}
				}
				return 0
			}
			if _, err := master.Write([]byte{0x1a}); err != nil { // Ctrl-Z
				t.Fatal(err)
			}
			waitFor(t, exitTimeout, "Ctrl-Z to stop the child", func() bool { return state() == 'T' })
			if st, err := readStat(fmt.Sprintf("/proc/%d/stat", p.pid())); err != nil || st.State == 'T' || p.exited() {
				t.Fatalf("after Ctrl-Z tend is %v, %v (exited: %v); want it running\nterminal:\n%s", st, err, p.exited(), term)
			}
			p.signal(unix.SIGCONT)
			waitFor(t, exitTimeout, "SIGCONT to resume the child", func() bool { s := state(); return s == 'S' || s == 'R' })
			if _, err := master.Write([]byte{3}); err != nil {
				t.Fatal(err)
			}
			if got := p.wait(exitTimeout); got != 130 {
				t.Errorf("tend exited %d after Ctrl-C; want 130\nterminal:\n%s", got, term)
			}
		})
	}
}
