//go:build e2e && linux

package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// e2eOpenPTY opens a new pseudo-terminal pair with an 80x24 window.
func e2eOpenPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty slave: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 80}); err != nil {
		t.Fatalf("set window size: %v", err)
	}
	return m, s
}

// e2eTerminal collects what is written to a pty master.
type e2eTerminal struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (term *e2eTerminal) Write(p []byte) (int, error) {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.buf.Write(p)
}

func (term *e2eTerminal) String() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.buf.String()
}

// e2eTTYRun is a `podman run -it` attached to a pseudo-terminal.
type e2eTTYRun struct {
	t      *testing.T
	cmd    *exec.Cmd
	master *os.File
	term   e2eTerminal
	copied chan struct{}
}

// e2eStartTTY starts `podman run --rm -it IMAGE cmd...` with a new pty as
// its stdin, stdout, stderr and controlling terminal, as from a login shell.
func e2eStartTTY(t *testing.T, p *e2ePodman, cmd ...string) *e2eTTYRun {
	t.Helper()
	master, slave := e2eOpenPTY(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	r := &e2eTTYRun{t: t, master: master, copied: make(chan struct{})}
	r.cmd = p.command(ctx, p.runArgs(p.name(), []string{"--rm", "--interactive", "--tty"}, cmd...)...)
	r.cmd.Stdin, r.cmd.Stdout, r.cmd.Stderr = slave, slave, slave
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start podman run -it: %v", err)
	}
	slave.Close()
	go func() {
		defer close(r.copied)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			r.term.Write(buf[:n])
			if err != nil { // EIO once every slave fd is closed
				return
			}
		}
	}()
	return r
}

// expect waits until the terminal has shown s (anywhere in its output).
func (r *e2eTTYRun) expect(s string) {
	r.t.Helper()
	if !poll(20*time.Second, func() bool { return strings.Contains(r.term.String(), s) }) {
		r.t.Fatalf("no %q on the terminal after 20s; it shows:\n%q", s, r.term.String())
	}
}

// expectAfter waits until s shows on the terminal after the first mark.
func (r *e2eTTYRun) expectAfter(mark, s string) {
	r.t.Helper()
	if !poll(20*time.Second, func() bool {
		_, rest, ok := strings.Cut(r.term.String(), mark)
		return ok && strings.Contains(rest, s)
	}) {
		r.t.Fatalf("no %q after %q on the terminal after 20s; it shows:\n%q", s, mark, r.term.String())
	}
}

// typ types s on the terminal.
func (r *e2eTTYRun) typ(s string) {
	r.t.Helper()
	if _, err := r.master.Write([]byte(s)); err != nil {
		r.t.Fatalf("type %q: %v", s, err)
	}
}

// wait waits for podman to exit and checks its status.
func (r *e2eTTYRun) wait(want int) {
	r.t.Helper()
	err := r.cmd.Wait()
	var exitErr *exec.ExitError
	switch {
	case err == nil && want == 0:
	case errors.As(err, &exitErr) && exitErr.ExitCode() == want:
	default:
		r.t.Errorf("podman run -it: %v; want exit status %d\n%q", err, want, r.term.String())
	}
	r.master.Close()
	<-r.copied
}

// TestE2EPodmanTerminalCtrlC: `podman run -it` on a terminal, the way a
// person runs it: tend makes the app's process group the foreground group of
// the container's terminal, so Ctrl-C typed on the outer terminal reaches the
// app as SIGINT, and the app's status comes back through podman.
func TestE2EPodmanTerminalCtrlC(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	r := e2eStartTTY(t, p, "sh", "-c",
		`trap 'echo app: got INT; exit 5' INT; echo app: ready; while :; do sleep 0.1; done`)
	r.expect("app: ready")
	r.typ("\x03") // Ctrl-C (VINTR)
	r.expect("app: got INT")
	r.wait(5)
}

// TestE2EPodmanTerminalJobControl: an interactive shell under tend on
// `podman run -it` has job control: Ctrl-Z stops the foreground job, fg
// resumes it, Ctrl-C interrupts it (status 130), and `exit 3` is the
// container's status.
func TestE2EPodmanTerminalJobControl(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	r := e2eStartTTY(t, p, "sh", "-i")
	// Type nothing before the shell prompts: until then the outer terminal
	// may still be in cooked mode, and podman would get the keys' signals.
	r.expect("/ # ")
	r.typ("echo shell: $((40+2))\n") // the echo of what was typed cannot match
	r.expect("shell: 42")
	// The shell prints "job: 2" once it has read the line, just before it
	// starts sleep: a Ctrl-Z typed before the shell has read the line
	// would flush it away (the terminal discards unread input on VSUSP).
	r.typ("echo job: $((1+1)); sleep 100\n")
	r.expect("job: 2")
	// Ctrl-Z (VSUSP) once sleep runs in the foreground; until then it goes
	// to the shell, which ignores it, so it is typed again.
	if !poll(20*time.Second, func() bool {
		r.typ("\x1a")
		return strings.Contains(r.term.String(), "Stopped")
	}) {
		t.Fatalf("Ctrl-Z did not stop the foreground job; the terminal shows:\n%q", r.term.String())
	}
	r.typ("fg\n")
	// fg prints the job it resumes. Wait for that before any Ctrl-C: one
	// typed while the shell has not yet read "fg" flushes the line away
	// (the terminal discards unread input on VINTR), the job stays
	// stopped, and "exit 3" then only warns of stopped jobs.
	r.expectAfter("fg\r\n", "sleep 100")
	// Ctrl-C until the shell prompts again: one typed before fg has made
	// sleep the foreground group goes to the shell, which ignores it.
	if !poll(20*time.Second, func() bool {
		r.typ("\x03")
		_, rest, _ := strings.Cut(r.term.String(), "fg\r\n")
		return strings.Contains(rest, "/ # ")
	}) {
		t.Fatalf("Ctrl-C did not end the resumed job; the terminal shows:\n%q", r.term.String())
	}
	r.typ("echo shell: status=$(($?+0))\n")
	r.expect("shell: status=130")
	r.typ("exit 3\n")
	r.wait(3)
}
