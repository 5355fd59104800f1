package signals

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// everySignalChild is run in a child process by TestNotifyEverySignal: it
// registers as tend does, sends itself every signal from 1 to 64 but KILL
// and STOP, and prints what arrived on which channel. It must survive all
// of them.
func everySignalChild() int {
	in := Notify(false)
	in.WaitReady()
	var lines []string
	for n := 1; n <= Max; n++ {
		sig := unix.Signal(n)
		if !Catchable(sig) {
			continue
		}
		if err := sendSignal(sig); err != nil {
			fmt.Printf("kill %d: %v\n", n, err)
			return 1
		}
		got := "none"
		ch := in.Other
		if sig == unix.SIGCHLD {
			ch = in.Child
		}
		// A signal that is not forwarded has nowhere to arrive: a short
		// wait shows it did not; a forwarded one arrives at once.
		wait := 2 * time.Second
		if !Forwardable(sig) {
			wait = 50 * time.Millisecond
		}
	recv:
		select {
		case s := <-ch:
			if s == syscall.SIGURG {
				goto recv // the runtime's own
			}
			got = fmt.Sprint(int(s.(syscall.Signal)))
		case <-time.After(wait):
		}
		lines = append(lines, fmt.Sprintf("%d:%s", n, got))
	}
	// A SIGPIPE that a write of the process's own raised (SI_USER from its
	// own pid) is not a signal to forward.
	_ = unix.Kill(os.Getpid(), unix.SIGPIPE)
	select {
	case s := <-in.Other:
		lines = append(lines, fmt.Sprintf("ownpipe:%d", int(s.(syscall.Signal))))
	case <-time.After(50 * time.Millisecond):
		lines = append(lines, "ownpipe:none")
	}
	fmt.Println(strings.Join(lines, " "))
	return 0
}

// sendSignal sends sig to this process, SIGPIPE from another process (see
// everySignalChild).
func sendSignal(sig unix.Signal) error {
	if sig != unix.SIGPIPE {
		return unix.Kill(os.Getpid(), sig)
	}
	return exec.Command("kill", "-PIPE", fmt.Sprint(os.Getpid())).Run()
}

// TestNotifyEverySignal: once Ready, every forwardable signal arrives on
// its channel, SIGCHLD on Child, and no signal from 1 to 64 ends the
// process (32 and 34 have no Go handler and would, by default). With
// tend's own handler, a SIGPIPE the process sent itself is dropped.
func TestNotifyEverySignal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), isolateChildEnv+"=every")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, f := range strings.Fields(string(out)) {
		n, what, _ := strings.Cut(f, ":")
		got[n] = what
	}
	for n := 1; n <= Max; n++ {
		sig := unix.Signal(n)
		if !Catchable(sig) {
			continue
		}
		want := "none"
		if Forwardable(sig) || sig == unix.SIGCHLD {
			want = fmt.Sprint(n)
		}
		if sig == unix.SIGURG {
			continue // the runtime sends it too; whatever arrived is fine
		}
		if got[fmt.Sprint(n)] != want {
			t.Errorf("signal %d (%s): got %q; want %q", n, Name(sig), got[fmt.Sprint(n)], want)
		}
	}
	if want := map[bool]string{true: "none", false: "13"}[ownHandler]; got["ownpipe"] != want {
		t.Errorf("SIGPIPE sent to itself: got %q; want %q", got["ownpipe"], want)
	}
}
