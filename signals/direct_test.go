package signals

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// directStopChild is run by TestDirectToStops. The handler forwards
// SIGRTMIN+4 to a canary, `sleep` run as a user of its own and stopped, while three
// goroutines send tend that signal as fast as they can. Real-time signals
// queue, and a stopped process takes none, so the kernel's count of the
// signals queued for the canary's user (SigQ in the canary's status) counts every
// kill(2) that reached it. Once DirectTo(0) has returned, that count must
// not move however many more signals tend takes.
func directStopChild() int {
	in := Notify(false)
	in.WaitReady()
	go func() {
		for range in.Other { // the signals that take the loop's way once there is no target
		}
	}()
	// A user of its own: SigQ counts what is queued for every process of
	// the user, and the user nobody may have other processes.
	uid := uint32(2_000_000_000 + os.Getpid()%100_000)
	cmd := exec.Command("sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	if err := cmd.Start(); err != nil {
		fmt.Println("start:", err)
		return 1
	}
	pid := cmd.Process.Pid
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if err := unix.Kill(pid, unix.SIGSTOP); err != nil {
		fmt.Println("stop:", err)
		return 1
	}
	if !pollUntil(5*time.Second, func() bool { return procState(pid) == "T" }) {
		fmt.Println("the canary did not stop")
		return 1
	}
	sig := unix.Signal(rtMin + 4)
	var table [Max + 1]unix.Signal
	table[sig] = sig
	if !SetDirect(&table) {
		fmt.Println("no direct forwarding")
		return 0
	}
	DirectTo(pid, false)
	var stop atomic.Bool
	var sent atomic.Int64
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for !stop.Load() {
				if unix.Kill(os.Getpid(), sig) == nil {
					sent.Add(1)
				}
			}
		})
	}
	defer func() { stop.Store(true); wg.Wait() }()
	if !pollUntil(10*time.Second, func() bool { return Directed(sig) >= 1000 }) {
		fmt.Println("fewer than 1000 signals forwarded to the canary in 10s")
		return 1
	}
	DirectTo(0, false)
	before := sigQueued(pid)
	from := sent.Load()
	more := pollUntil(10*time.Second, func() bool { return sent.Load()-from >= 20000 })
	stop.Store(true)
	wg.Wait()
	after := sigQueued(pid)
	switch {
	case !more:
		fmt.Println("fewer than 20000 signals sent in 10s after DirectTo(0)")
	case before < 1000:
		fmt.Printf("only %d signals queued for the canary\n", before)
	case after != before:
		fmt.Printf("the canary got %d signals after DirectTo(0) returned\n", after-before)
	default:
		fmt.Println("nothing after DirectTo(0)")
	}
	return 0
}

// TestDirectToStops: once DirectTo(0) returns, the handler sends nothing
// more to the old target, even with signals pouring in on every thread:
// the guarantee that lets the loop reap the child and never signal its
// pid after (see DirectTo). It catches a target that outlives DirectTo;
// a handler caught between reading the target and its kill(2) is rarer
// than a test can make it, which is what DirectTo's busy count is for.
func TestDirectToStops(t *testing.T) {
	if !ownHandler {
		t.Skip("no handler of tend's own on this architecture: the loop forwards every signal")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: the canary runs as a user of its own, so that the kernel's per-user count of queued signals is its alone")
	}
	out := runChild(t, "directstop")
	if got, want := strings.TrimSpace(out), "nothing after DirectTo(0)"; got != want {
		t.Fatalf("got %q; want %q", got, want)
	}
}

// pollUntil calls cond until it holds or d has passed.
func pollUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond) // polling the kernel's view, with a deadline
	}
	return true
}

// procState is the state letter of /proc/pid/stat ("T" when stopped).
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok || rest == "" {
		return ""
	}
	return rest[:1]
}

// sigQueued is the first number of SigQ in /proc/pid/status: the signals
// queued for the process's user, -1 when it cannot be read.
func sigQueued(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "SigQ:"); ok {
			n, _, _ := strings.Cut(strings.TrimSpace(v), "/")
			if q, err := strconv.Atoi(n); err == nil {
				return q
			}
		}
	}
	return -1
}
