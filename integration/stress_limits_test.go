//go:build stress && linux

package integration

// Resource exhaustion: fork failing with EAGAIN while tend restarts its
// child (RLIMIT_NPROC of the child's user reached, and a pids cgroup that
// is full), and RLIMIT_NOFILE at the least tend can work with. tend logs,
// backs off and keeps going; it never crashes.

import (
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

// restartScript is the restarted child: it prints its ready line, prints
// SIGUSR2 when it gets one, exits 1 on SIGUSR1 and dies of SIGTERM. It
// keeps one sleep beside itself (two processes per run).
const restartScript = `trap 'echo SIGUSR2' USR2
trap 'exit 1' USR1
echo "ready pid=$$"
while :; do sleep 1000 & wait $!; done`

// restartArgs make tend restart at once and for ever.
var restartArgs = []string{"--restart=always", "--max-restarts=0", "--backoff-min=20ms", "--backoff-max=100ms", "--grace=500ms"}

// startHolders starts n host processes (sleep) with attr, outside tend's
// namespace, so that tend cannot stop them; a cleanup kills them by pid.
func startHolders(t *testing.T, n int, attr *syscall.SysProcAttr) []*exec.Cmd {
	t.Helper()
	var cmds []*exec.Cmd
	t.Cleanup(func() { stopHolders(cmds) })
	for range n {
		cmd := exec.Command("sleep", "1000")
		cmd.SysProcAttr = attr
		if err := cmd.Start(); err != nil {
			t.Fatalf("start a holder: %v", err)
		}
		cmds = append(cmds, cmd)
	}
	return cmds
}

// stopHolders SIGKILLs the holders and waits for them.
func stopHolders(cmds []*exec.Cmd) {
	for _, c := range cmds {
		if c.ProcessState == nil {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}
}

// exhaustWhileRestarting runs the restart-under-EAGAIN scenario on a tend
// started by start: once the child is ready, hold() makes fork fail, the
// child is told to exit (SIGUSR1) and tend's restarts fail; after the
// given number of failed restarts, release() lifts the limit and the next
// restart must succeed. Throughout tend stays alive, leaves no zombie and
// never crashes.
func exhaustWhileRestarting(t *testing.T, p *tendProc, failed int, hold, release func()) {
	t.Helper()
	p.expectReady("")
	before := p.mem()
	hold()
	p.signal(unix.SIGUSR1)
	failures := func() int { return strings.Count(p.stderr.String(), "restart failed") }
	if !poll(quietTimeout, func() bool { return failures() >= failed || p.exited() }) {
		t.Fatalf("not %d failed restarts in %v; tend's stderr:\n%s\nthe namespace: %v", failed, quietTimeout, tail(p.stderr.String(), 3000), p.nsProcs())
	}
	if p.exited() {
		c, _ := crashed(p.stderr.String())
		t.Fatalf("tend exited while fork failed: %v\nstderr:\n%s", p.err, head(p.stderr.String(), 600)+"\n"+c)
	}
	lines := tendLines(p.stderr.String())
	for _, l := range lines {
		if strings.Contains(l, "restart failed") {
			t.Logf("tend logged: %s", l)
			break
		}
	}
	checkNoZombies(t, p)
	// The run to check is one started after the limit is lifted: a ready
	// line still unread may be of a run that started while the limit held
	// (and died of it), and a SIGUSR2 sent before a run has its trap would
	// end that run instead. (The first run after the lift may die too: of
	// the SIGUSR1 above, if it came during a backoff and was kept for the
	// next run.)
	lifted := len(p.stderr.String())
	release()
	n := failures()
	waitLine(t, p, quietTimeout, "a restart to succeed once the limit is lifted", func(l string) bool {
		// Not one of the runs tend had started before (pids only grow
		// in the namespace); tend's own line of this run may come after
		// the run's.
		pid, ok := strings.CutPrefix(l, "ready pid=")
		return ok && !strings.Contains(p.stderr.String()[:lifted], "tend: started pid="+pid+" ")
	})
	t.Logf("%d restarts failed with the limit reached; the next one after it was lifted succeeded", n)
	// The run found may still be one started just before the lift (tend's
	// log line of it can come late), whose own forks fail so that it ends
	// before it gets the signal: each run that reports ready after it gets
	// the signal again.
	p.signal(unix.SIGUSR2)
	waitLine(t, p, 20*time.Second, "the child to print SIGUSR2 (tend still forwards)", func(l string) bool {
		if strings.HasPrefix(l, "ready pid=") {
			p.signal(unix.SIGUSR2)
		}
		return l == "SIGUSR2"
	})
	checkNoZombies(t, p)
	checkMem(t, before, p.mem())
	p.signal(unix.SIGTERM)
	p.waitStatus(exitTimeout, 128+int(unix.SIGTERM))
	checkNoPanic(t, p.stderr.String())
}

// TestStressNprocWhileRestarting: tend runs its child as a user of its own
// (a numeric uid nobody else uses) with RLIMIT_NPROC 4, inherited from
// tend. Five processes of that user outside the namespace make the
// kernel refuse the execve of every restart with EAGAIN (a setuid to a
// user already over the limit sets PF_NPROC_EXCEEDED; at the limit
// exactly, the execve succeeds and the child's own forks fail). tend,
// root, is itself exempt from the limit.
func TestStressNprocWhileRestarting(t *testing.T) {
	t.Parallel()
	uid := 62000 + os.Getpid()%3000
	const limit = 4
	pr := prelude{Rlimits: map[int]uint64{unix.RLIMIT_NPROC: limit}}
	args := append(append([]string{"--user", strconv.Itoa(uid)}, restartArgs...), "/bin/sh", "-c", restartScript)
	p := startPID1Prelude(t, runOpts{}, pr, args...)
	var holders []*exec.Cmd
	exhaustWhileRestarting(t, p, 3,
		func() {
			holders = startHolders(t, limit+1, &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}})
		},
		func() { stopHolders(holders) })
}

// pidsCgroup makes a pids cgroup for one test (v1 hierarchy or v2) and
// removes it at the end; the test is skipped if there is none.
func pidsCgroup(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "tend-stress-" + hex.EncodeToString(b)
	var dir string
	for _, root := range []string{"/sys/fs/cgroup/pids", "/sys/fs/cgroup"} {
		if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
			continue
		}
		if root == "/sys/fs/cgroup" {
			if c, err := os.ReadFile(filepath.Join(root, "cgroup.subtree_control")); err != nil || !strings.Contains(string(c), "pids") {
				continue
			}
		}
		if err := os.Mkdir(filepath.Join(root, name), 0o755); err == nil {
			dir = filepath.Join(root, name)
			break
		}
	}
	if dir == "" {
		if os.Getenv(requireNSEnv) == "1" {
			t.Fatalf("no pids cgroup to create (%s=1)", requireNSEnv)
		}
		t.Skip("no pids cgroup controller to use")
	}
	t.Cleanup(func() {
		if !poll(10*time.Second, func() bool { err := os.Remove(dir); return err == nil || errors.Is(err, os.ErrNotExist) }) {
			t.Errorf("could not remove cgroup %s", dir)
		}
	})
	return dir
}

func readCgroupInt(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("%s: %q", path, b)
	}
	return n
}

// TestStressPidsCgroupWhileRestarting: tend and its namespace run in a
// pids cgroup (like docker run --pids-limit). Once the child is ready the
// limit is set to what the cgroup holds, and processes from outside the
// namespace are moved in (a move is not limited), so that when the child
// exits, every fork and every new thread in the cgroup fails with EAGAIN:
// tend's restarts fail, and it must neither crash (the Go runtime aborts
// when it cannot start a thread it needs) nor spin.
func TestStressPidsCgroupWhileRestarting(t *testing.T) {
	t.Parallel()
	cg := pidsCgroup(t)
	pr := prelude{Cgroup: cg}
	p := startPID1Prelude(t, runOpts{}, pr, append(restartArgs, "/bin/sh", "-c", restartScript)...)
	var holders []*exec.Cmd
	// Twenty failed restarts (about two seconds): every one is a chance
	// for the runtime to need a thread it cannot have.
	exhaustWhileRestarting(t, p, 20,
		func() {
			cur := readCgroupInt(t, filepath.Join(cg, "pids.current"))
			if err := os.WriteFile(filepath.Join(cg, "pids.max"), []byte(strconv.Itoa(cur)), 0); err != nil {
				t.Fatal(err)
			}
			holders = startHolders(t, 4, nil)
			for _, h := range holders {
				if err := os.WriteFile(filepath.Join(cg, "cgroup.procs"), []byte(strconv.Itoa(h.Process.Pid)), 0); err != nil {
					t.Fatalf("move a holder into %s: %v", cg, err)
				}
			}
			t.Logf("pids.max %d; pids.current %d with the holders", cur, readCgroupInt(t, filepath.Join(cg, "pids.current")))
		},
		func() {
			// The limit first: with the holders stopped first, a restart
			// could start between the two, under the old limit, and its
			// own fork fail, so that it exits before it gets SIGUSR2.
			if err := os.WriteFile(filepath.Join(cg, "pids.max"), []byte("max"), 0); err != nil {
				t.Fatal(err)
			}
			stopHolders(holders)
		})
}

// TestStressNofileMinimum finds the least RLIMIT_NOFILE with which tend
// (as PID 1) runs a command: below it tend must fail cleanly (status 125,
// 126 or 127, one "tend: " line, no crash); at it, tend must run a child
// that makes orphans, forward a signal and exit with the child's status.
// The minimum is logged (the README reports it): tend needs stdin, stdout
// and stderr plus the two ends of the pipe through which the Go runtime
// reports a failed exec.
func TestStressNofileMinimum(t *testing.T) {
	t.Parallel()
	min := 0
	// From 4: below that the harness itself (a dynamically linked test
	// binary) cannot load its C library, before tend is even started.
	for n := 4; n <= 32 && min == 0; n++ {
		pr := prelude{Rlimits: map[int]uint64{unix.RLIMIT_NOFILE: uint64(n)}}
		p := startPID1Prelude(t, runOpts{}, pr, "/bin/sh", "-c", "exit 7")
		st := p.wait(exitTimeout)
		stderr := p.stderr.String()
		if st == 7 {
			min = n
			break
		}
		if c, ok := crashed(stderr); ok {
			t.Errorf("RLIMIT_NOFILE %d: tend crashed (status %d) instead of failing with one \"tend: \" line:\n%s",
				n, st, strings.Join(strings.SplitN(c, "\n", 3)[:2], "\n"))
			continue
		}
		t.Logf("RLIMIT_NOFILE %d: status %d, %q", n, st, strings.TrimSpace(stderr))
		if st != 125 && st != 126 && st != 127 {
			t.Errorf("RLIMIT_NOFILE %d: tend exited %d; want 125, 126 or 127", n, st)
		}
		assertOneErrorLine(t, stderr)
	}
	if min == 0 {
		t.Fatal("tend did not run a command with RLIMIT_NOFILE up to 32")
	}
	t.Logf("the least RLIMIT_NOFILE tend runs a command with: %d", min)
	pr := prelude{Rlimits: map[int]uint64{unix.RLIMIT_NOFILE: uint64(min)}}
	script := fmt.Sprintf(`%s
i=0; while [ "$i" -lt 200 ]; do ( : & ); i=$((i+1)); done
echo "ready pid=$$"
while :; do sleep 1000 & wait $!; done`, `trap 'echo SIGUSR2' USR2; trap 'exit 5' USR1`)
	p := startPID1Prelude(t, runOpts{}, pr, append([]string{"-v"}, "/bin/sh", "-c", script)...)
	p.expectReady("")
	checkNoZombies(t, p)
	checkForwards(t, p, unix.SIGUSR2, "")
	p.signal(unix.SIGUSR1)
	p.waitStatus(exitTimeout, 5)
	checkNoPanic(t, p.stderr.String())
}
