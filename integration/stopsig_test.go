//go:build linux

package integration

// --stop-signal and the restart code lists (issue 14 items 2 and 4), with
// tend as PID 1 of a namespace: the stop signal reaches the child at the
// deadline (then SIGCONT), at an unhealthy restart and at leftovers;
// --no-restart-codes and --restart-codes decide restarts by exit code.

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func init() {
	if _, dup := helpers["stopsig-codes"]; dup {
		panic("helper stopsig-codes registered twice")
	}
	helpers["stopsig-codes"] = helperStopsigCodes
}

// helperStopsigCodes: FILE CODE...: appends a line to FILE and exits with
// the CODE of this run (run N, counted by FILE's lines, exits with the Nth
// CODE; the last one repeats).
func helperStopsigCodes(args []string) int {
	if len(args) < 2 {
		return usageFail("stopsig-codes FILE CODE...")
	}
	prev, _ := supLines(args[0])
	if err := supAppend(args[0], strconv.Itoa(os.Getpid())); err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"stopsig-codes: %v\n", err)
		return 2
	}
	codes := args[1:]
	n, err := strconv.Atoi(codes[min(len(prev), len(codes)-1)])
	if err != nil {
		return usageFail("stopsig-codes FILE CODE...")
	}
	return n
}

// TestStopSignalDeadline: with --stop-signal QUIT the deadline stops the
// child with SIGQUIT and SIGCONT, never SIGTERM; the child ignores both,
// gets SIGKILL at the grace and tend exits 124. (The order in which the
// child's Go runtime reports two signals pending at once is not the order
// they were sent, so the lines may come either way.)
func TestStopSignalDeadline(t *testing.T) {
	t.Parallel()
	p := startPID1(t, runOpts{}, append([]string{"--deadline=300ms", "--grace=1s", "--stop-signal=QUIT"},
		helperArgv("trap", "-label", "c")...)...)
	p.expectReady("c")
	p.expectLines("c SIGQUIT", "c SIGCONT")
	p.waitStatus(supTimeout, 124)
	if out := p.stdout.String(); strings.Contains(out, "SIGTERM") {
		t.Errorf("the child got SIGTERM; want only --stop-signal QUIT and SIGCONT\nstdout:\n%s", out)
	}
	supWantLine(t, p, "tend: warning: deadline exceeded deadline=300ms")
	supWantLine(t, p, "tend: grace period over; killing what is left grace=1s")
}

// TestStopSignalUnhealthyRestart: the stop of an unhealthy child, to
// restart it, sends --stop-signal: the child exits 7 on SIGQUIT, is
// restarted once, stopped with SIGQUIT again, and tend gives up with 7.
func TestStopSignalUnhealthyRestart(t *testing.T) {
	t.Parallel()
	srv := newSupProbeServer(t, supFail)
	p := startPID1(t, runOpts{}, append([]string{"--restart=on-failure", "--max-restarts=1", "--backoff-min=20ms",
		"--health-interval=100ms", "--health-retries=2", "--health-http", srv.URL, "--stop-signal=SIGQUIT"},
		helperArgv("trap", "-label", "c", "-exit-on", "QUIT", "-status", "7")...)...)
	for range 2 {
		p.expectReady("c")
		p.expectLinesSkipping([]string{"c SIGCONT"}, "c SIGQUIT")
	}
	p.waitStatus(supTimeout, 7)
	if n := supCount(p, "warning: unhealthy failures=2 "); n != 2 {
		t.Errorf("tend logged %d unhealthy lines; want 2\nstderr:\n%s", n, p.stderr)
	}
	supWantLine(t, p, "tend: warning: gave up restarts=1 status=7")
}

// TestStopSignalLeftovers: a descendant in a session of its own, left when
// the main child exits 0, gets --stop-signal (then SIGCONT), not SIGTERM,
// and SIGKILL at the grace; tend exits 0.
func TestStopSignalLeftovers(t *testing.T) {
	t.Parallel()
	p := startPID1(t, runOpts{}, append([]string{"--grace=300ms", "--stop-signal=WINCH"},
		helperArgv("trap", "-label", "c", "-spawn", "gc,setsid", "-exit", "0")...)...)
	p.expectReady("gc")
	p.expectReady("c")
	p.expectLines("gc SIGWINCH", "gc SIGCONT")
	p.waitStatus(supTimeout, 0)
	supWantLine(t, p, "tend: stopping leftovers signal=SIGWINCH grace=300ms")
	supWantLine(t, p, "tend: grace period over; killing what is left grace=300ms")
}

// TestNoRestartCodes: --restart=always --no-restart-codes=3: an exit with
// 3 ends tend with status 3 after one start.
func TestNoRestartCodes(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "runs")
	p := startPID1(t, runOpts{}, append([]string{"--restart=always", "--no-restart-codes=0,3", "--backoff-min=10ms"},
		helperArgv("stopsig-codes", file, "3")...)...)
	p.waitStatus(supTimeout, 3)
	if runs, _ := supLines(file); len(runs) != 1 {
		t.Errorf("the command ran %d times; want 1\nstderr:\n%s", len(runs), p.stderr)
	}
	if n := supCount(p, "started "); n != 1 {
		t.Errorf("tend logged %d started lines; want 1\nstderr:\n%s", n, p.stderr)
	}
	if n := supCount(p, "restarting "); n != 0 {
		t.Errorf("tend logged %d restarting lines; want none\nstderr:\n%s", n, p.stderr)
	}
}

// TestRestartCodes: --restart-codes=2 restarts after exit 2 but not after
// exit 4 (which on-failure alone would restart): runs exit 2, 2, 4, so the
// command runs 3 times and tend exits 4, well within --max-restarts.
func TestRestartCodes(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "runs")
	p := startPID1(t, runOpts{}, append([]string{"--restart=on-failure", "--restart-codes=2", "--backoff-min=10ms"},
		helperArgv("stopsig-codes", file, "2", "2", "4")...)...)
	p.waitStatus(supTimeout, 4)
	if runs, _ := supLines(file); len(runs) != 3 {
		t.Errorf("the command ran %d times; want 3\nstderr:\n%s", len(runs), p.stderr)
	}
	supWantLine(t, p, "tend: restarting delay=10ms attempt=1/10")
	supWantLine(t, p, "tend: restarting delay=20ms attempt=2/10")
	if n := supCount(p, "restarting "); n != 2 {
		t.Errorf("tend logged %d restarting lines; want 2\nstderr:\n%s", n, p.stderr)
	}
}

// TestRestartCodesMaxRestarts: --restart-codes decides whether a run
// restarts, --max-restarts how many times: a command that always exits 2
// (a code in the list) runs 1 + 2 times with --max-restarts=2, then tend
// gives up with its status.
func TestRestartCodesMaxRestarts(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "runs")
	p := startPID1(t, runOpts{}, append([]string{"--restart=on-failure", "--restart-codes=2", "--max-restarts=2", "--backoff-min=10ms"},
		helperArgv("stopsig-codes", file, "2")...)...)
	p.waitStatus(supTimeout, 2)
	if runs, _ := supLines(file); len(runs) != 3 {
		t.Errorf("the command ran %d times; want 3\nstderr:\n%s", len(runs), p.stderr)
	}
	supWantLine(t, p, "tend: warning: gave up restarts=2 status=2")
}

// TestRemapExitDeadline: --remap-exit applies to tend's own statuses too:
// the deadline's 124 becomes 7.
func TestRemapExitDeadline(t *testing.T) {
	t.Parallel()
	p := startPID1(t, runOpts{}, append([]string{"--deadline=200ms", "--grace=2s", "--remap-exit=124:7"}, helperArgv("hang")...)...)
	p.waitStatus(supTimeout, 7)
	supWantLine(t, p, "tend: warning: deadline exceeded deadline=200ms")
}
