package signals

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// directChild is run by TestDirect. It starts `sleep` in a process group
// of its own, has the handler forward SIGUSR2 to that group as SIGTERM,
// sends itself SIGUSR2 and reports how sleep ended and what the handler
// counted; then, with no target, it sends SIGUSR2 again and reports
// whether it came through Other.
func directChild() int {
	in := Notify(false)
	cmd := exec.Command("sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		fmt.Println("start:", err)
		return 1
	}
	defer func() { _ = cmd.Process.Kill() }()
	var table [Max + 1]unix.Signal
	table[unix.SIGUSR2] = unix.SIGTERM
	if !SetDirect(&table) {
		fmt.Println("no direct forwarding")
		return 0
	}
	DirectTo(cmd.Process.Pid, true)
	_ = unix.Kill(os.Getpid(), unix.SIGUSR2)
	var ee *exec.ExitError
	ended := "exited"
	if err := cmd.Wait(); errors.As(err, &ee) {
		if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() {
			ended = "killed by " + Name(ws.Signal())
		}
	}
	DirectTo(0, false) // sleep is reaped: its pid is no target any more
	_ = unix.Kill(os.Getpid(), unix.SIGUSR2)
	other := "nothing on Other"
	select {
	case s := <-in.Other:
		other = "Other: " + Name(s.(syscall.Signal))
	case <-time.After(5 * time.Second):
	}
	fmt.Printf("%s; directed %d; %s\n", ended, Directed(unix.SIGTERM), other)
	return 0
}

// TestDirect: the handler forwards the signals SetDirect names to the
// target DirectTo gives, rewritten, counted by the signal sent; without a
// target the same signal comes through Other.
func TestDirect(t *testing.T) {
	if !ownHandler {
		t.Skip("no handler of tend's own on this architecture: the loop forwards every signal")
	}
	out := runChild(t, "direct")
	if got, want := strings.TrimSpace(out), "killed by SIGTERM; directed 1; Other: SIGUSR2"; got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
}
