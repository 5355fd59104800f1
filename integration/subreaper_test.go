//go:build linux

package integration

// Not PID 1: tend makes itself a child subreaper (unless --no-subreaper),
// so orphans among its descendants are reparented to it and reaped.

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// orphanScript leaves one orphan (sleep 1000, its pid printed as "orphan
// N"), and prints "reparented" only after the orphan's parent has exited
// (the subshell runs in the foreground), so the orphan has its final
// parent by then.
const orphanScript = `(sleep 1000 & echo "orphan $!"); echo reparented; exec sleep 1001`

// startOrphan runs orphanScript under tend (not PID 1) with args and
// returns the orphan's pid; the orphan is killed when the test ends.
func startOrphan(t *testing.T, opts runOpts, args ...string) (*tendProc, int) {
	t.Helper()
	p := startTend(t, opts, append(args, "/bin/sh", "-c", orphanScript)...)
	line, err := p.nextLine()
	var orphan int
	if err == nil {
		_, err = fmt.Sscanf(line, "orphan %d", &orphan)
	}
	if err != nil {
		t.Fatalf("orphan script printed %q: %v\nstderr:\n%s", line, err, p.stderr)
	}
	killLater(t, orphan)
	p.expectLine("reparented")
	return p, orphan
}

// TestSubreaper: the orphan's parent becomes tend, and once it dies tend
// reaps it (it does not stay a zombie). Also when --no-subreaper=false
// beats TEND_NO_SUBREAPER=true.
func TestSubreaper(t *testing.T) {
	t.Parallel()
	t.Run("default", func(t *testing.T) {
		t.Parallel()
		testSubreaper(t, runOpts{})
	})
	t.Run("flag beats variable", func(t *testing.T) {
		t.Parallel()
		testSubreaper(t, runOpts{Env: []string{"TEND_NO_SUBREAPER=true"}}, "--no-subreaper=false")
	})
}

func testSubreaper(t *testing.T, opts runOpts, args ...string) {
	t.Helper()
	p, orphan := startOrphan(t, opts, args...)
	st, err := readStat(fmt.Sprintf("/proc/%d/stat", orphan))
	if err != nil {
		t.Fatalf("orphan %d: %v", orphan, err)
	}
	if st.PPid != p.pid() {
		t.Fatalf("orphan's parent = %d; want tend (%d), a child subreaper", st.PPid, p.pid())
	}
	if err := unix.Kill(orphan, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "tend to reap the dead orphan", func() bool {
		_, err := os.Stat(fmt.Sprintf("/proc/%d", orphan))
		return os.IsNotExist(err)
	})
	p.signal(unix.SIGTERM)
	p.waitStatus(exitTimeout, 128+int(unix.SIGTERM))
}

// TestNoSubreaper: with --no-subreaper or TEND_NO_SUBREAPER=true the
// orphan goes to some ancestor of tend's, not to tend.
func TestNoSubreaper(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		args []string
	}{
		{"flag", nil, []string{"--no-subreaper"}},
		{"variable", []string{"TEND_NO_SUBREAPER=true"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, orphan := startOrphan(t, runOpts{Env: tt.env}, tt.args...)
			st, err := readStat(fmt.Sprintf("/proc/%d/stat", orphan))
			if err != nil {
				t.Fatalf("orphan %d: %v", orphan, err)
			}
			if st.PPid == p.pid() {
				t.Errorf("tend %s: orphan reparented to tend; want it not to be a subreaper", strings.Join(append(tt.env, tt.args...), " "))
			}
			p.signal(unix.SIGTERM)
			p.waitStatus(exitTimeout, 128+int(unix.SIGTERM))
		})
	}
}

// TestSubreaperOrphans: many double-forked orphans under tend as a
// subreaper leave no zombie: once they are gone tend's only descendant is
// the main child.
func TestSubreaperOrphans(t *testing.T) {
	t.Parallel()
	p := startTend(t, runOpts{}, helperArgv("orphans", "300", "sleep", "1000")...)
	p.expectLine("orphans done")
	var last []procStat
	if !poll(20*time.Second, func() bool {
		last = last[:0]
		for _, pid := range descendants(p.pid()) {
			if st, err := readStat(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
				last = append(last, st)
			}
		}
		return len(last) == 1 && last[0].Comm == "sleep"
	}) {
		t.Fatalf("20s after the orphans tend has %d descendants (%d zombies); want only sleep; the first:\n%v",
			len(last), len(zombies(last)), last[:min(len(last), 10)])
	}
	p.signal(unix.SIGTERM)
	p.waitStatus(exitTimeout, 128+int(unix.SIGTERM))
}

// blindLine is what tend logs, once, when it cannot see its descendants.
const blindLine = "cannot see its descendants"

// TestSubreaperNoProc: a subreaper with no /proc, or with the /proc of
// another PID namespace, cannot find its descendants. It says so once,
// still stops what it can reach (the main child's process group: bg gets
// SIGTERM), and exits with the main child's status when --grace runs out
// (plus a small bound), although a leftover in a session of its own, which
// it cannot see, ignores SIGTERM.
func TestSubreaperNoProc(t *testing.T) {
	t.Parallel()
	const grace = 500 * time.Millisecond
	tests := []struct {
		name string
		opts runOpts
	}{
		{"no /proc", runOpts{NoProc: true}},
		{"another namespace's /proc", runOpts{ForeignProc: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startTend(t, tt.opts, append([]string{"--grace", grace.String()},
				helperArgv("trap", "-label", "main", "-spawn", "bg,exit-on-term", "-spawn", "sid,setsid,ignore-term", "-exit", "7")...)...)
			if tt.opts.ForeignProc {
				if line, err := p.nextLine(); err != nil || !strings.HasPrefix(line, "parent child=") {
					t.Fatalf("role parent printed %q, %v; want its child's pid\nstderr:\n%s", line, err, p.stderr)
				}
			}
			bg := p.expectReady("bg")
			sid := p.expectReady("sid")
			if !tt.opts.ForeignProc { // otherwise pids of the new namespace, which dies with its PID 1
				killLater(t, bg, sid)
			}
			p.expectReady("main")
			start := time.Now()
			p.expectLinesSkipping(shutdownNoise("bg"), "bg SIGTERM")
			if tt.opts.ForeignProc {
				// The namespace, sid included, ends when tend and its parent do.
				p.waitStatus(grace+5*time.Second, 7)
			} else {
				// sid holds tend's stdout open: wait for tend's process, then end sid.
				waitFor(t, grace+5*time.Second, "tend to exit", func() bool { return !alive(p.pid()) })
			}
			if took := time.Since(start); took > grace+2*time.Second {
				t.Errorf("tend exited %v after its child; want at most the %v grace + 2s", took.Round(time.Millisecond), grace)
			}
			if !tt.opts.ForeignProc {
				_ = unix.Kill(sid, unix.SIGKILL)
				p.waitStatus(5*time.Second, 7)
			}
			if n := strings.Count(p.stderr.String(), blindLine); n != 1 {
				t.Errorf("tend logged %q %d times; want once\nstderr:\n%s", blindLine, n, p.stderr)
			}
		})
	}
}
