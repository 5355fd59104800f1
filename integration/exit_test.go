//go:build linux

package integration

// Exit statuses: "child exited with N → N", "child killed by signal N →
// 128+N", then --remap-exit.

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// exitTimeout bounds a run of tend whose child ends by itself.
const exitTimeout = 15 * time.Second

// TestExitStatusAll runs every status 0..255 through tend as a subreaper
// (a namespace per status would be slow); TestExitStatusPID1 samples them
// as PID 1.
func TestExitStatusAll(t *testing.T) {
	t.Parallel()
	for n := range 256 {
		p := startTend(t, runOpts{}, "/bin/sh", "-c", "exit "+strconv.Itoa(n))
		if got := p.wait(exitTimeout); got != n {
			t.Errorf("tend sh -c 'exit %d' exited %d; want %d\nstderr:\n%s", n, got, n, p.stderr)
		}
	}
}

func TestExitStatusPID1(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 2, 42, 125, 126, 127, 128, 137, 143, 254, 255} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			t.Parallel()
			p := startPID1(t, runOpts{}, helperArgv("exit", strconv.Itoa(n))...)
			p.waitStatus(exitTimeout, n)
		})
	}
}

// deathSignals are the signals of the "128+N" row of the contract's table.
var deathSignals = []unix.Signal{unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGKILL, unix.SIGTERM, unix.SIGSEGV}

// TestExitStatusSignalled: a child that kills itself with signal N makes
// tend exit 128+N, as PID 1 and not.
func TestExitStatusSignalled(t *testing.T) {
	t.Parallel()
	for _, pid1 := range []bool{true, false} {
		for _, sig := range deathSignals {
			t.Run(fmt.Sprintf("pid1=%v/%s", pid1, sigName(sig)), func(t *testing.T) {
				t.Parallel()
				// ulimit -c 0: no core file for QUIT and SEGV.
				script := fmt.Sprintf("ulimit -c 0; kill -s %s $$; exit 99", unix.SignalName(sig)[3:])
				start := startTend
				if pid1 {
					start = startPID1
				}
				p := start(t, runOpts{}, "/bin/sh", "-c", script)
				p.waitStatus(exitTimeout, 128+int(sig))
			})
		}
	}
}

// TestExitStatusForwardedSignal: a signal sent to tend is forwarded, kills
// a child that keeps the default disposition, and tend exits 128+N.
func TestExitStatusForwardedSignal(t *testing.T) {
	t.Parallel()
	for _, pid1 := range []bool{true, false} {
		for _, sig := range []unix.Signal{unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGTERM, unix.SIGSEGV, unix.SIGUSR1, 40} {
			t.Run(fmt.Sprintf("pid1=%v/%s", pid1, sigName(sig)), func(t *testing.T) {
				t.Parallel()
				var p *tendProc
				if pid1 {
					p = startPID1(t, runOpts{}, "/bin/sh", "-c", "ulimit -c 0; exec sleep 1000")
				} else {
					p = startTend(t, runOpts{}, "/bin/sh", "-c", "ulimit -c 0; exec sleep 1000")
				}
				waitForComm(t, p, "sleep")
				p.signal(sig)
				p.waitStatus(exitTimeout, 128+int(sig))
			})
		}
	}
}

// waitForComm waits until a process named comm runs under tend (in its
// namespace, or among its descendants when tend is not PID 1).
func waitForComm(t *testing.T, p *tendProc, comm string) {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("a process named %q under tend", comm), func() bool {
		if p.pid1 {
			return slices.ContainsFunc(p.nsProcs(), func(s procStat) bool { return s.Comm == comm && s.State != 'Z' })
		}
		for _, pid := range descendants(p.pid()) {
			if s, err := readStat(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && s.Comm == comm && s.State != 'Z' {
				return true
			}
		}
		return false
	})
}

// TestRemapExit: --remap-exit FROM:TO applies after the 128+N mapping.
func TestRemapExit(t *testing.T) {
	t.Parallel()
	t.Run("normal", func(t *testing.T) {
		t.Parallel()
		p := startTend(t, runOpts{}, "--remap-exit", "3:4", "--remap-exit", "5:0", "--", "/bin/sh", "-c", "exit 3")
		p.waitStatus(exitTimeout, 4)
		p = startTend(t, runOpts{}, "--remap-exit", "3:4", "--remap-exit", "5:0", "--", "/bin/sh", "-c", "exit 5")
		p.waitStatus(exitTimeout, 0)
		p = startTend(t, runOpts{}, "--remap-exit", "3:4", "--", "/bin/sh", "-c", "exit 6")
		p.waitStatus(exitTimeout, 6)
	})
	// The contract's table lists 126 and 127 too, and then "--remap-exit
	// rules apply".
	t.Run("start failures", func(t *testing.T) {
		t.Parallel()
		p := startTend(t, runOpts{}, "--remap-exit", "127:0", "tend-no-such-command")
		p.waitStatus(exitTimeout, 0)
		p = startTend(t, runOpts{}, "--remap-exit", "126:3", t.TempDir())
		p.waitStatus(exitTimeout, 3)
	})
	t.Run("143:0", func(t *testing.T) {
		t.Parallel()
		p := startPID1(t, runOpts{}, "--remap-exit", "143:0", "sleep", "1000")
		waitForComm(t, p, "sleep")
		p.signal(unix.SIGTERM)
		p.waitStatus(exitTimeout, 0)
	})
}
