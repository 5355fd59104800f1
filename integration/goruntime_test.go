//go:build linux

package integration

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestGoRuntimeEnv: GOMAXPROCS in the environment is for the child, which
// gets it unchanged; tend itself stays on one P whatever it says, so its
// threads while idle stay few (the lean-core target: at most 5), and it
// forwards as ever.
func TestGoRuntimeEnv(t *testing.T) {
	t.Parallel()
	env := []string{"GOMAXPROCS=8"}
	p := startTend(t, runOpts{Env: env}, "/bin/sh", "-c", `echo "GOMAXPROCS=$GOMAXPROCS"`)
	p.waitStatus(exitTimeout, 0)
	if got := p.stdout.String(); got != "GOMAXPROCS=8\n" {
		t.Errorf("the child's GOMAXPROCS: %q; want GOMAXPROCS=8 as given to tend", got)
	}

	p = startPID1(t, runOpts{Env: env}, helperArgv("trap", "-label", "child", "-exit-on", "SIGTERM")...)
	p.expectReady("child")
	if n := threadsOf(t, p.pid()); n > 5 {
		t.Errorf("tend (GOMAXPROCS=8) has %d threads with its child asleep; want at most 5", n)
	}
	p.signal(unix.SIGUSR1)
	p.expectLine("child SIGUSR1")
	p.signal(unix.SIGTERM)
	p.expectLine("child SIGTERM")
	p.waitStatus(exitTimeout, 0)
}

// threadsOf reads the Threads line of /proc/pid/status.
func threadsOf(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("tend's status: %v", err)
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("tend's status: Threads %q", v)
			}
			return n
		}
	}
	t.Fatalf("tend's status has no Threads line")
	return 0
}
