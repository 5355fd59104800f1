//go:build stress && linux

package integration

// Signal storm: tens of thousands of signals of mixed kinds sent to tend
// while its child runs. The child is the counting child (sigcount_test.go):
// it counts the real-time signals of the storm exactly, and the standard
// ones, which the kernel coalesces, at least once.

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// stormKinds are the signals of the storm: standard ones tend forwards and
// that do not stop anything, and real-time ones (the child counts those
// exactly).
var (
	stormStandard = []unix.Signal{unix.SIGUSR1, unix.SIGUSR2, unix.SIGHUP, unix.SIGWINCH}
	stormRealtime = []unix.Signal{36, 40, 50, 64}
)

// sendStorm sends n signals to pid, cycling through kinds, and returns how
// many of each it sent.
func sendStorm(t *testing.T, pid, n int, kinds []unix.Signal) map[string]int {
	t.Helper()
	sent := make(map[string]int)
	for i := range n {
		s := kinds[i%len(kinds)]
		if err := unix.Kill(pid, s); err != nil {
			t.Fatalf("signal %d of the storm: kill(%d, %v): %v", i, pid, s, err)
		}
		sent[sigName(s)]++
	}
	return sent
}

// TestStressSignalStorm: 50,000 signals (5,000 with -short) of mixed kinds
// sent to tend as fast as the test can. The child gets every real-time
// signal exactly as many times as it was sent: with --queue-signals tend
// takes them from a
// signalfd, one delivery at a time as the kernel queued them, and forwards
// each (the storm stays well below RLIMIT_SIGPENDING, past which the
// kernel itself would merge them). Each standard kind arrives at least
// once; tend stays responsive (a SIGPWR sent afterwards arrives), leaves
// no zombie, stays small and logs nothing per signal at the default level.
func TestStressSignalStorm(t *testing.T) {
	t.Parallel()
	n := size(50000, 5000)
	kinds := append(slices.Clone(stormStandard), stormRealtime...)
	rt := 0 // how many real-time signals the storm sends
	for i := range n {
		if slices.Contains(stormRealtime, kinds[i%len(kinds)]) {
			rt++
		}
	}
	checkSigpending(t, rt)
	p, w := sigcountRun(t, stormRealtime, "--queue-signals")
	before := p.mem()
	start := time.Now()
	sent := sendStorm(t, p.pid(), n, kinds)
	took := time.Since(start)
	p.signal(unix.SIGPWR)
	var want []string
	for _, s := range stormRealtime {
		want = append(want, fmt.Sprintf("%s=%d", sigName(s), sent[sigName(s)]))
	}
	got := settledCounts(t, p, w, quietTimeout, fmt.Sprintf("SIGPWR and every real-time signal sent (%v)", want),
		func(m map[string]int) bool {
			for _, s := range stormRealtime {
				if m[sigName(s)] < sent[sigName(s)] {
					return false
				}
			}
			return m["SIGPWR"] > 0
		})
	t.Logf("%d signals sent in %v; the child got (settled %v after the storm): %v", n, took.Round(time.Millisecond), time.Since(start.Add(took)).Round(time.Millisecond), got)
	for _, s := range stormStandard {
		if got[sigName(s)] == 0 {
			t.Errorf("the child never got %s (%d sent)", sigName(s), sent[sigName(s)])
		}
	}
	for _, s := range stormRealtime {
		if got[sigName(s)] != sent[sigName(s)] {
			t.Errorf("the child got %s %d times; want %d (as sent)", sigName(s), got[sigName(s)], sent[sigName(s)])
		}
	}
	checkMem(t, before, p.mem())
	checkNoZombies(t, p)
	w.Close() // the child exits at the end of its stdin
	p.waitStatus(exitTimeout, 0)
	if lines := tendLines(p.stderr.String()); len(lines) > 4 {
		t.Errorf("tend logged %d lines at the default level during a signal storm; want only start and exit:\n%s", len(lines), tail(p.stderr.String(), 2000))
	}
	checkNoPanic(t, p.stderr.String())
}
