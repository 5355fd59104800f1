//go:build linux

package integration

// --stop-delay (issue 14 item 1, dumb-init#281), with tend as PID 1 of a
// namespace: the first SIGTERM makes /readyz 503 at once and reaches the
// child only after the delay; a second SIGTERM, a SIGINT, the child's exit
// and --deadline end the delay early; the delay counts against --grace; no
// restart follows a drain.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestStopDelayDrain: with --stop-delay 2s, after SIGTERM to tend /readyz
// answers 503 in state "draining" while /healthz stays 200 and the child,
// still serving, has not been sent anything; the child gets SIGTERM no
// sooner than 2s after it was sent to tend, and tend exits with the
// child's status. (2s leaves a loaded machine time to look at the
// endpoints during the delay.)
func TestStopDelayDrain(t *testing.T) {
	t.Parallel()
	addr := supFreeAddr(t)
	p := startPID1(t, runOpts{}, append([]string{"--stop-delay=2s", "--grace=5s", "--status-addr", addr},
		helperArgv("trap", "-label", "c", "-exit-on", "TERM", "-status", "7")...)...)
	pid := p.expectReady("c")
	supWaitEndpoints(t, p, addr, 10*time.Second, 200, 200, "running")

	sent := time.Now()
	p.signal(unix.SIGTERM)
	e := supWaitEndpoints(t, p, addr, 5*time.Second, 200, 503, "draining")
	seen := time.Since(sent)
	if e.body.PID != pid || !e.body.Live || e.body.Ready {
		t.Errorf("while draining: %v; want pid %d, live, not ready", e, pid)
	}
	if out := p.stdout.String(); strings.Contains(out, "c SIGTERM") || strings.Contains(out, "c SIGCONT") {
		t.Errorf("the child got a signal while tend still said draining (%v after SIGTERM)\nstdout:\n%s", seen, out)
	}

	p.expectLinesSkipping([]string{"c SIGCONT"}, "c SIGTERM")
	if d := time.Since(sent); d < 2*time.Second {
		t.Errorf("the child got SIGTERM %v after tend did; want the 2s stop delay first", d)
	}
	p.waitStatus(supTimeout, 7)
	supWantLine(t, p, "tend: draining signal=SIGTERM delay=2s grace=5s")
	supWantLine(t, p, `tend: stopping signal=SIGTERM reason="stop delay over" delay=2s`)
	supWantLine(t, p, fmt.Sprintf("tend: exited pid=%d status=7", pid))
}

// TestStopDelayCutShort: during a 30s stop delay a second SIGTERM, or a
// SIGINT, reaches the child at once (then SIGCONT), and tend exits with the
// child's status long before the delay would be over. After SIGINT the
// child never gets SIGTERM.
func TestStopDelayCutShort(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		second unix.Signal
		status int
	}{
		{"second SIGTERM", unix.SIGTERM, 3},
		{"SIGINT", unix.SIGINT, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name := sigName(tt.second)
			p := startPID1(t, runOpts{}, append([]string{"--stop-delay=30s", "--grace=1m"},
				helperArgv("trap", "-label", "c", "-exit-on", name, "-status", fmt.Sprint(tt.status))...)...)
			p.expectReady("c")
			p.signal(unix.SIGTERM)
			supWaitStderr(t, p, 10*time.Second, "tend: draining signal=SIGTERM delay=30s grace=1m0s")

			sent := time.Now()
			p.signal(tt.second)
			p.expectLinesSkipping([]string{"c SIGCONT"}, "c "+name)
			p.waitStatus(supTimeout, tt.status)
			if d := time.Since(sent); d > 10*time.Second {
				t.Errorf("tend exited %v after %s during the stop delay; want at once", d, name)
			}
			if tt.second != unix.SIGTERM && strings.Contains(p.stdout.String(), "c SIGTERM") {
				t.Errorf("the child got SIGTERM; want only %s (and SIGCONT)\nstdout:\n%s", name, p.stdout)
			}
			supWantLine(t, p, fmt.Sprintf(`tend: stopping signal=%s reason="signal during the stop delay"`, name))
			if n := supCount(p, "stopping "); n != 1 {
				t.Errorf("tend logged %d stopping lines; want 1\nstderr:\n%s", n, p.stderr)
			}
		})
	}
}

// TestStopDelayCountsAgainstGrace: a child that ignores SIGTERM, with
// --stop-delay 1s --grace 2s, gets its SIGCONT (sent with the SIGTERM) no
// sooner than 1s after the SIGTERM to tend, and SIGKILL 2s after it, not
// 3s: tend exits 137 well before 3s.
func TestStopDelayCountsAgainstGrace(t *testing.T) {
	t.Parallel()
	p := startPID1(t, runOpts{}, append([]string{"--stop-delay=1s", "--grace=2s"},
		helperArgv("ignore-term", "-label", "c")...)...)
	p.expectReady("c")
	sent := time.Now()
	p.signal(unix.SIGTERM)
	p.expectLine("c SIGCONT")
	if d := time.Since(sent); d < time.Second {
		t.Errorf("the child got SIGCONT (with its SIGTERM) %v after tend's SIGTERM; want the 1s stop delay first", d)
	}
	p.waitStatus(supTimeout, 137)
	d := time.Since(sent)
	if d < 2*time.Second || d > 2750*time.Millisecond {
		t.Errorf("tend exited %v after SIGTERM; want about 2s (--grace from the SIGTERM, the delay included), not 3s", d)
	}
	supWantLine(t, p, "tend: grace period over; killing what is left grace=2s")
}

// TestStopDelayNoRestart: --restart always: a SIGTERM during the run
// starts a 30s stop delay; a USR1 during it is forwarded as usual, the
// child exits 0 on it, and that exit ends the delay: tend exits 0 at once,
// with one start and no restart.
func TestStopDelayNoRestart(t *testing.T) {
	t.Parallel()
	p := startPID1(t, runOpts{}, append([]string{"--restart=always", "--backoff-min=10ms", "--stop-delay=30s", "--grace=1m"},
		helperArgv("trap", "-label", "c", "-exit-on", "USR1", "-status", "0")...)...)
	p.expectReady("c")
	p.signal(unix.SIGTERM)
	supWaitStderr(t, p, 10*time.Second, "tend: draining signal=SIGTERM delay=30s grace=1m0s")
	sent := time.Now()
	p.signal(unix.SIGUSR1)
	p.expectLine("c SIGUSR1")
	p.waitStatus(supTimeout, 0)
	if d := time.Since(sent); d > 10*time.Second {
		t.Errorf("tend exited %v after the child's exit during the stop delay; want at once", d)
	}
	if strings.Contains(p.stdout.String(), "c SIGTERM") {
		t.Errorf("the child got SIGTERM; its exit should have ended the delay\nstdout:\n%s", p.stdout)
	}
	if n := supCount(p, "started "); n != 1 {
		t.Errorf("tend logged %d started lines; want 1\nstderr:\n%s", n, p.stderr)
	}
	if n := supCount(p, "restarting "); n != 0 {
		t.Errorf("tend logged %d restarting lines; want none\nstderr:\n%s", n, p.stderr)
	}
}

// TestStopDelayDeadline: --deadline during a 30s stop delay is not
// delayed: the child gets --stop-signal (QUIT) at once, never the held
// SIGTERM, and tend exits 124.
func TestStopDelayDeadline(t *testing.T) {
	t.Parallel()
	p := startPID1(t, runOpts{}, append([]string{"--deadline=2s", "--stop-signal=QUIT", "--stop-delay=30s", "--grace=1m"},
		helperArgv("trap", "-label", "c", "-exit-on", "QUIT")...)...)
	p.expectReady("c")
	p.signal(unix.SIGTERM)
	supWaitStderr(t, p, 10*time.Second, "tend: draining signal=SIGTERM delay=30s grace=1m0s")
	if strings.Contains(p.stderr.String(), "deadline exceeded") {
		t.Fatalf("the deadline came before the drain began; the test needs a slower deadline\nstderr:\n%s", p.stderr)
	}
	p.expectLinesSkipping([]string{"c SIGCONT"}, "c SIGQUIT")
	p.waitStatus(supTimeout, 124)
	if strings.Contains(p.stdout.String(), "c SIGTERM") {
		t.Errorf("the child got SIGTERM; want only --stop-signal QUIT\nstdout:\n%s", p.stdout)
	}
	supWantLine(t, p, "tend: warning: deadline exceeded deadline=2s")
}
