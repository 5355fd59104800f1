//go:build linux

package integration

// A burst of the same real-time signal is forwarded delivery by delivery:
// with --queue-signals tend keeps the queued signals blocked and reads them
// from a signalfd, so
// every copy the kernel queued for tend reaches the child (os/signal, with
// one pending bit per signal number, would collapse them).

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// rtBurstSettle bounds the wait for the child to have counted a burst, on
// a loaded two-core machine.
const rtBurstSettle = 60 * time.Second

// TestRealtimeBurst: 2,000 SIGRTMIN+6 (40) and 2,000 SIGRTMAX (64) sent to
// tend (PID 1) as fast as two goroutines can, each kind from its own; the
// counting child gets exactly 2,000 of each.
func TestRealtimeBurst(t *testing.T) {
	t.Parallel()
	const n = 2000
	kinds := []unix.Signal{40, 64}
	checkSigpending(t, n*len(kinds))
	p, w := sigcountRun(t, kinds, "--queue-signals")
	var wg sync.WaitGroup
	errs := make([]error, len(kinds))
	start := time.Now()
	for i, s := range kinds {
		wg.Go(func() {
			for j := range n {
				if err := unix.Kill(p.pid(), s); err != nil {
					errs[i] = fmt.Errorf("%s number %d: kill(%d): %w", sigName(s), j, p.pid(), err)
					return
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	got := settledCounts(t, p, w, rtBurstSettle, fmt.Sprintf("%d of each of %s and %s", n, sigName(kinds[0]), sigName(kinds[1])),
		func(m map[string]int) bool { return m[sigName(kinds[0])] >= n && m[sigName(kinds[1])] >= n })
	t.Logf("sent %d of each of %s and %s in %v; the child counted %v", n, sigName(kinds[0]), sigName(kinds[1]), took.Round(time.Millisecond), got)
	for _, s := range kinds {
		if got[sigName(s)] != n {
			t.Errorf("the child got %s %d times; want %d (as sent)", sigName(s), got[sigName(s)], n)
		}
	}
	w.Close() // the child exits at the end of its stdin
	p.waitStatus(exitTimeout, 0)
}
