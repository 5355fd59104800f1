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
		if err := unix.Kill(os.Getpid(), sig); err != nil {
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
	fmt.Println(strings.Join(lines, " "))
	return 0
}

// TestNotifyEverySignal: once Ready, every forwardable signal arrives on
// its channel, SIGCHLD on Child, and no signal from 1 to 64 ends the
// process (32 and 34 have no Go handler and would, by default).
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
}
