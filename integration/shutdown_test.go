//go:build linux

package integration

// Shutdown: after a forwarded SIGTERM or the main child's exit, every
// descendant left gets SIGTERM, then SIGKILL at --grace; tend exits only
// when all are reaped, at once when none is left, with the main child's
// status.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// quickExit bounds a shutdown that must not wait for a 30s grace.
const quickExit = 10 * time.Second

// startEither starts tend as PID 1 or as a subreaper.
func startEither(t *testing.T, pid1 bool, opts runOpts, args ...string) *tendProc {
	t.Helper()
	if pid1 {
		return startPID1(t, opts, args...)
	}
	return startTend(t, opts, args...)
}

// killLater makes sure pids (host pids of processes that may outlive tend
// when tend is not PID 1) are SIGKILLed when the test ends.
func killLater(t *testing.T, pids ...int) {
	t.Cleanup(func() {
		for _, pid := range pids {
			if alive(pid) {
				_ = unix.Kill(pid, unix.SIGKILL)
			}
		}
	})
}

// markEnv marks every process of one test run (tend's environment is
// inherited by all its descendants), so that leftovers can be found in the
// host's /proc whoever their parent is now.
const markEnv = "TEND_TEST_STRESS_MARK"

// newMark returns a fresh markEnv value and registers a cleanup that
// SIGKILLs, by pid, every process still carrying it.
func newMark(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	mark := hex.EncodeToString(b)
	t.Cleanup(func() {
		for _, pid := range marked(mark) {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
	})
	return mark
}

// marked lists the host pids of the live (not zombie) processes whose
// environment holds markEnv=mark.
func marked(mark string) []int {
	want := []byte(markEnv + "=" + mark + "\x00")
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !strings.Contains("\x00"+string(env), "\x00"+string(want)) {
			continue
		}
		if alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// TestGraceKillsChild: a child that ignores SIGTERM is SIGKILLed at the
// grace after tend forwarded SIGTERM, so tend exits 137, not before the
// grace.
func TestGraceKillsChild(t *testing.T) {
	t.Parallel()
	for _, pid1 := range []bool{true, false} {
		t.Run(fmt.Sprintf("pid1=%v", pid1), func(t *testing.T) {
			t.Parallel()
			p := startEither(t, pid1, runOpts{}, append([]string{"--grace", "500ms"}, helperArgv("ignore-term")...)...)
			p.expectReady("")
			sent := time.Now()
			p.signal(unix.SIGTERM)
			p.waitStatus(quickExit, 128+int(unix.SIGKILL))
			if d := time.Since(sent); d < 500*time.Millisecond {
				t.Errorf("tend exited %v after SIGTERM, before the 500ms grace", d)
			}
		})
	}
}

// TestLeftoversStopped: the main child exits 7 and leaves a grandchild in
// its process group and one that called setsid; both exit on SIGTERM. tend
// must send each SIGTERM (they print it), reap them, and exit 7 without
// waiting for the 30s grace.
func TestLeftoversStopped(t *testing.T) {
	t.Parallel()
	for _, pid1 := range []bool{true, false} {
		t.Run(fmt.Sprintf("pid1=%v", pid1), func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--grace", "30s"}, helperArgv("trap", "-label", "main",
				"-spawn", "bg,exit-on-term", "-spawn", "sid,setsid,exit-on-term", "-exit", "7")...)
			p := startEither(t, pid1, runOpts{}, args...)
			bg := p.expectReady("bg")
			sid := p.expectReady("sid")
			p.expectReady("main")
			if !pid1 {
				killLater(t, bg, sid)
			}
			p.expectLinesSkipping(append(shutdownNoise("bg"), shutdownNoise("sid")...), "bg SIGTERM", "sid SIGTERM")
			p.waitStatus(quickExit, 7)
			if !pid1 {
				for _, pid := range []int{bg, sid} {
					if alive(pid) {
						t.Errorf("leftover %d still alive after tend exited", pid)
					}
				}
			}
		})
	}
}

// TestLeftoversKilledAtGrace: the main child exits 7 when told (USR1) and
// leaves a grandchild that survives SIGTERM (it only prints it) and a
// setsid'd one that ignores SIGTERM. tend must SIGTERM them, SIGKILL them
// at the 500ms grace, and only then exit 7.
func TestLeftoversKilledAtGrace(t *testing.T) {
	t.Parallel()
	for _, pid1 := range []bool{true, false} {
		t.Run(fmt.Sprintf("pid1=%v", pid1), func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--grace", "500ms"}, helperArgv("trap", "-label", "main",
				"-spawn", "bg", "-spawn", "sid,setsid,ignore-term", "-exit-on", "USR1", "-status", "7")...)
			p := startEither(t, pid1, runOpts{}, args...)
			bg := p.expectReady("bg")
			sid := p.expectReady("sid")
			p.expectReady("main")
			if !pid1 {
				killLater(t, bg, sid)
			}
			sent := time.Now()
			p.signal(unix.SIGUSR1) // forwarded to main and bg (its group), not sid
			// main exits on it at once, so the stop of the leftovers may
			// reach sid before bg prints its SIGUSR1.
			p.expectLinesSkipping(append(shutdownNoise("bg"), shutdownNoise("sid")...), "main SIGUSR1", "bg SIGUSR1", "bg SIGTERM")
			p.waitStatus(quickExit, 7)
			if d := time.Since(sent); d < 500*time.Millisecond {
				t.Errorf("tend exited %v after the main child was told to exit, before the 500ms grace", d)
			}
			if !pid1 {
				for _, pid := range []int{bg, sid} {
					if alive(pid) {
						t.Errorf("leftover %d still alive after tend exited", pid)
					}
				}
			}
		})
	}
}

// TestImmediateExit: with a 30s grace and nothing left behind, tend exits
// as soon as its child is gone: after the child exits by itself, and after
// a forwarded SIGTERM the child obeys.
func TestImmediateExit(t *testing.T) {
	t.Parallel()
	for _, pid1 := range []bool{true, false} {
		t.Run(fmt.Sprintf("pid1=%v/exit", pid1), func(t *testing.T) {
			t.Parallel()
			p := startEither(t, pid1, runOpts{}, "--grace", "30s", "/bin/sh", "-c", "exit 3")
			p.waitStatus(quickExit, 3)
		})
		t.Run(fmt.Sprintf("pid1=%v/term", pid1), func(t *testing.T) {
			t.Parallel()
			p := startEither(t, pid1, runOpts{}, append([]string{"--grace", "30s"}, helperArgv("trap", "-exit-on", "TERM", "-status", "5")...)...)
			p.expectReady("")
			p.signal(unix.SIGTERM)
			p.waitStatus(quickExit, 5)
		})
	}
}

// TestShutdownWholeNamespace: as PID 1, the shutdown signals the whole PID
// namespace, not only tend's descendants: a process that joined the
// namespace with nsenter (like docker exec) gets SIGTERM, not the SIGKILL
// of the namespace's end. Both ways into the shutdown: a forwarded SIGTERM,
// and the main child's exit (here 3, on USR1).
func TestShutdownWholeNamespace(t *testing.T) {
	t.Parallel()
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		t.Skip("no nsenter (util-linux)")
	}
	tests := []struct {
		name   string
		send   unix.Signal
		status int
	}{
		{"SIGTERM", unix.SIGTERM, 0},
		{"child exits", unix.SIGUSR1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startPID1(t, runOpts{}, append([]string{"-v", "--grace", "30s"},
				helperArgv("trap", "-exit-on", sigName(tt.send), "-status", fmt.Sprint(tt.status))...)...)
			p.expectReady("")
			ctx, cancel := context.WithTimeout(t.Context(), quickExit)
			defer cancel()
			joined := exec.CommandContext(ctx, nsenter, append(p.nsenterArgs(), "--", "sleep", "1000")...)
			if err := joined.Start(); err != nil {
				t.Fatal(err)
			}
			waitForComm(t, p, "sleep")
			p.signal(tt.send)
			p.waitStatus(quickExit, tt.status)
			err := joined.Wait()
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) {
				t.Fatalf("nsenter sleep: %v; want it ended by SIGTERM", err)
			}
			ws := exitErr.Sys().(syscall.WaitStatus)
			if !(ws.Signaled() && ws.Signal() == syscall.SIGTERM) && ws.ExitStatus() != 128+int(unix.SIGTERM) {
				t.Errorf("the process that joined the namespace ended with %v; want SIGTERM from the shutdown\ntend's stderr:\n%s", exitErr, p.stderr)
			}
		})
	}
}

// stoppedIn reports whether pid (a pid of tend's namespace) is stopped.
func (p *tendProc) stoppedIn(pid int) bool {
	if !p.pid1 {
		return stopped(pid)
	}
	for _, st := range p.nsProcs() {
		if st.Pid == pid {
			return st.State == 'T'
		}
	}
	return false
}

// TestStopContinues: a stopped process (SIGSTOP, Ctrl-Z) cannot act on the
// signal that stops it until it is continued, so tend follows its stop
// signal with SIGCONT, as systemd does: the stopped main child exits on
// SIGTERM at once, not at the 30s grace, whether tend stops it on SIGTERM
// or at the deadline; and so does a stopped leftover in its own session.
func TestStopContinues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		labels []string    // ready lines, in order; the last one stops
		send   unix.Signal // to tend, once the child stopped (0: none)
		status int
	}{
		{"SIGTERM", helperArgv("trap", "-exit-on", "TERM", "-status", "5", "-stop"), []string{""}, unix.SIGTERM, 5},
		{"deadline", append([]string{"--deadline", "1s"}, helperArgv("trap", "-exit-on", "TERM", "-status", "5", "-stop")...), []string{""}, 0, 124},
		{"leftover", helperArgv("trap", "-label", "main", "-spawn", "bg,setsid,exit-on-term,stop", "-exit-on", "USR1", "-status", "7"), []string{"bg", "main"}, unix.SIGUSR1, 7},
	}
	for _, tt := range tests {
		for _, pid1 := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/pid1=%v", tt.name, pid1), func(t *testing.T) {
				t.Parallel()
				p := startEither(t, pid1, runOpts{}, append([]string{"--grace", "30s"}, tt.args...)...)
				var pids []int
				for _, l := range tt.labels {
					pids = append(pids, p.expectReady(l))
				}
				if !pid1 {
					killLater(t, pids...)
				}
				stopper := pids[0]
				waitFor(t, 10*time.Second, fmt.Sprintf("pid %d to stop", stopper), func() bool { return p.stoppedIn(stopper) })
				if tt.send != 0 {
					p.signal(tt.send)
				}
				p.waitStatus(quickExit, tt.status)
			})
		}
	}
}

// forkStormScript is the main child of TestForkDuringKill: it exits 3 on
// SIGTERM and leaves behind, in a session of its own, a tree in which every
// process ignores SIGTERM (the shutdown's SIGTERM changes nothing):
//
//	L ─┬─ A ─── 200 sleeps
//	   ├─ S (sleep, writing to a pipe)
//	   └─ B ─── F (reading the pipe)
//
// A walk of the tree lists, level by level, L, A, S, B, the sleeps, F. When
// the SIGKILL pass kills S, F reads the end of the pipe and forks children
// as fast as it can until its own SIGKILL comes, after the 200 sleeps':
// children that were not there when the tree was walked.
const forkStormScript = `trap 'exit 3' TERM
setsid /bin/sh -c "$1" &
while :; do sleep 0.01; done`

const forkStormTree = `trap '' TERM
/bin/sh -c 'i=0; while [ $i -lt 200 ]; do sleep 1000 & i=$((i+1)); done; echo "pads ready"; wait' &
sleep 1000 | /bin/sh -c '( echo "forker ready"; read x; while :; do ( exec sleep 1000 ) & done ); wait' &
wait`

// TestForkDuringKill: a leftover forking during the shutdown's SIGKILL
// pass leaves survivors of that pass (see forkStormScript); tend kills again until nothing is
// left, and is gone within --grace plus a small bound of the shutdown's
// start, with no process of the run alive.
func TestForkDuringKill(t *testing.T) {
	t.Parallel()
	const grace = 300 * time.Millisecond
	for _, pid1 := range []bool{true, false} {
		t.Run(fmt.Sprintf("pid1=%v", pid1), func(t *testing.T) {
			t.Parallel()
			mark := newMark(t)
			p := startEither(t, pid1, runOpts{Env: []string{markEnv + "=" + mark}}, "--grace", grace.String(), "/bin/sh", "-c", forkStormScript, "sh", forkStormTree)
			p.expectLines("pads ready", "forker ready")
			start := time.Now()
			p.signal(unix.SIGTERM)
			p.waitStatus(grace+5*time.Second, 3)
			if took := time.Since(start); took > grace+2*time.Second {
				t.Errorf("tend exited %v after SIGTERM; want at most the %v grace + 2s", took.Round(time.Millisecond), grace)
			}
			if left := marked(mark); len(left) > 0 {
				t.Errorf("%d processes of the run still alive after tend exited (pids %v)\nstderr:\n%s", len(left), left[:min(len(left), 10)], p.stderr)
			}
		})
	}
}
