package signals

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// faultChild is run by TestHandlerFaults: with tend's handlers installed,
// a fault of its own must still be the Go runtime's (a panic it can
// recover from), each kind the kernel raises.
func faultChild() int {
	Notify(false)
	debug.SetPanicOnFault(true)
	var lines []string
	try := func(name string, f func()) {
		defer func() {
			r := recover()
			lines = append(lines, fmt.Sprintf("%s:%v", name, r != nil))
		}()
		f()
	}
	var p *int
	try("segv", func() { *p = 1 })
	zero := 0
	var sink int
	try("fpe", func() { sink = 1 / zero })
	_ = sink
	fmt.Println(strings.Join(lines, " "))
	return 0
}

// TestHandlerFaults: tend's own handler hands a fault the kernel raised
// to the Go runtime, which turns it into a panic, instead of returning to
// the faulting instruction for ever.
func TestHandlerFaults(t *testing.T) {
	out := runChild(t, "fault")
	if got, want := strings.TrimSpace(out), "segv:true fpe:true"; got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
}

// burstCount is how many copies of each real-time signal burstChild sends.
const burstCount = 2000

// burstChild is run by TestHandlerBurst: it sends itself burstCount
// copies of SIGRTMIN+6 and of SIGRTMAX as fast as it can and counts what
// arrives on Other.
func burstChild() int {
	in := Notify(false)
	in.WaitReady()
	a, b := unix.Signal(rtMin+6), unix.Signal(rtMax)
	for range burstCount {
		_ = unix.Kill(os.Getpid(), a)
		_ = unix.Kill(os.Getpid(), b)
	}
	got := map[syscall.Signal]int{}
	for got[a]+got[b] < 2*burstCount {
		select {
		case s := <-in.Other:
			got[s.(syscall.Signal)]++
		case <-time.After(5 * time.Second):
			fmt.Printf("%d %d\n", got[a], got[b])
			return 0
		}
	}
	fmt.Printf("%d %d\n", got[a], got[b])
	return 0
}

// TestHandlerBurst: with tend's own handler every delivery of a
// real-time signal reaches Other, without --queue-signals.
func TestHandlerBurst(t *testing.T) {
	if !ownHandler {
		t.Skip("no handler of tend's own on this architecture: os/signal merges copies")
	}
	out := runChild(t, "burst")
	if got, want := strings.TrimSpace(out), fmt.Sprintf("%d %d", burstCount, burstCount); got != want {
		t.Fatalf("copies received (SIGRTMIN+6, SIGRTMAX): got %q; want %q", got, want)
	}
}

// runChild runs the test binary as the named child (see TestMain) and
// returns what it printed.
func runChild(t *testing.T, mode string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), isolateChildEnv+"="+mode)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return string(out)
}
