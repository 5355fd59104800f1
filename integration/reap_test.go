//go:build linux

package integration

// Reaping as PID 1: every orphan reparented to tend is reaped.

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestOrphansReaped: the child double-forks 1,000 short-lived orphans and
// then stays (exec sleep), so no shutdown interferes. Every orphan ends up
// reparented to tend, as a zombie or soon one; once tend has reaped them
// the namespace holds tend and sleep only, and no zombie.
func TestOrphansReaped(t *testing.T) {
	t.Parallel()
	const n = 1000
	p := startPID1(t, runOpts{}, helperArgv("orphans", fmt.Sprint(n), "sleep", "1000")...)
	p.expectLine("orphans done")
	var last []procStat
	if !poll(20*time.Second, func() bool {
		last = p.nsProcs()
		return len(zombies(last)) == 0 && len(last) == 2
	}) {
		t.Fatalf("20s after %d orphans: %d zombies, %d processes in the namespace (want 0 and 2: tend, sleep); the first:\n%v",
			n, len(zombies(last)), len(last), last[:min(len(last), 10)])
	}
	for _, s := range last {
		if s.Pid != 1 && s.Comm != "sleep" {
			t.Errorf("unexpected process left: %v", s)
		}
	}
	p.signal(unix.SIGTERM)
	p.waitStatus(exitTimeout, 128+int(unix.SIGTERM))
}

// TestOrphansReapedAfterChildExit: orphans whose parent, the main child,
// has already exited are reaped too, and tend still exits with the main
// child's status.
func TestOrphansReapedAfterChildExit(t *testing.T) {
	t.Parallel()
	p := startPID1(t, runOpts{}, helperArgv("orphans", "200", "/bin/sh", "-c", "exit 9")...)
	p.waitStatus(exitTimeout, 9)
}
