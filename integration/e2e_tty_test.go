//go:build e2e && linux

package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
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

// TestE2EPodmanTerminalCtrlC: `podman run -it` on a terminal, the way a
// person runs it: tend makes the app's process group the foreground group of
// the container's terminal, so Ctrl-C typed on the outer terminal reaches the
// app as SIGINT, and the app's status comes back through podman.
func TestE2EPodmanTerminalCtrlC(t *testing.T) {
	t.Parallel()
	p := e2eNewPodman(t)
	master, slave := e2eOpenPTY(t)

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := p.command(ctx, p.runArgs(p.name(), []string{"--rm", "--interactive", "--tty"}, "sh", "-c",
		`trap 'echo app: got INT; exit 5' INT; echo app: ready; while :; do sleep 0.1; done`)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	// podman is a session leader with the pty as its controlling terminal,
	// as under a login shell.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start podman run -it: %v", err)
	}
	slave.Close()

	var term e2eTerminal
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			term.Write(buf[:n])
			if err != nil { // EIO once every slave fd is closed
				return
			}
		}
	}()
	waitTerm := func(s string) {
		t.Helper()
		waitFor(t, 20*time.Second, fmt.Sprintf("%q on the terminal (so far: %q)", s, term.String()),
			func() bool { return bytes.Contains([]byte(term.String()), []byte(s)) })
	}

	waitTerm("app: ready")
	if _, err := master.Write([]byte{0x03}); err != nil { // Ctrl-C (VINTR)
		t.Fatalf("type Ctrl-C: %v", err)
	}
	waitTerm("app: got INT")

	err := cmd.Wait()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr) && exitErr.ExitCode() == 5:
	case err == nil:
		t.Errorf("podman run -it exited 0; want 5 (the app's INT trap)\n%q", term.String())
	default:
		t.Errorf("podman run -it: %v; want exit status 5\n%q", err, term.String())
	}
	master.Close()
	<-copied
}
