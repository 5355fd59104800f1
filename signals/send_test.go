package signals

import (
	"errors"
	"os/exec"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSend signals a live process group, then checks that a pid that is
// gone (started and reaped by this test) is not an error. Signal 0 only
// checks that the target exists, so a recycled pid is never hurt.
func TestSend(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	if err := Send(pid, 0, false); err != nil {
		t.Errorf("Send(%d, 0, false) = %v; want <nil>", pid, err)
	}
	if err := Send(pid, 0, true); err != nil {
		t.Errorf("Send(%d, 0, true) = %v; want <nil>", pid, err)
	}
	if err := Send(pid, unix.SIGTERM, true); err != nil {
		t.Fatalf("Send(%d, SIGTERM, true) = %v; want <nil>", pid, err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("sleep after SIGTERM to its group: Wait() = %v; want an exit error", err)
	}
	if ws := ee.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("sleep after SIGTERM to its group: status %v; want killed by SIGTERM", ws)
	}

	// The pid is reaped: kill(2) says ESRCH, which Send reports as done.
	if err := Send(pid, 0, false); err != nil {
		t.Errorf("Send(%d, 0, false) after reaping = %v; want <nil> (ESRCH)", pid, err)
	}
	if err := Send(pid, 0, true); err != nil {
		t.Errorf("Send(%d, 0, true) after reaping = %v; want <nil> (ESRCH)", pid, err)
	}
}

func TestSendInvalidPid(t *testing.T) {
	tests := []struct {
		name  string
		pid   int
		group bool
	}{
		{"zero", 0, false},
		{"zero group", 0, true},
		{"minus one", -1, false},
		{"minus one group", -1, true},
		{"negative", -12345, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Signal 0: should Send ever pass these on, kill(0) and
			// kill(-1) must not hurt the test's own group.
			if err := Send(tt.pid, 0, tt.group); err == nil {
				t.Errorf("Send(%d, 0, %v) = <nil>; want an error", tt.pid, tt.group)
			}
		})
	}
}

func TestSendPermission(t *testing.T) {
	// Find a process this user may not signal: PID 1, unless the test runs
	// as root or as PID 1's own user (a container started with --user).
	if err := unix.Kill(1, 0); !errors.Is(err, unix.EPERM) {
		t.Skipf("kill(1, 0) = %v; need a process this user may not signal", err)
	}
	err := Send(1, 0, false)
	if !errors.Is(err, unix.EPERM) {
		t.Errorf("Send(1, 0, false) = %v; want an error wrapping EPERM", err)
	}
}
