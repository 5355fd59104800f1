//go:build linux

package integration

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestGoRuntimeEnv: GOMAXPROCS in the environment is for the child, which
// gets it unchanged, and tend with it set forwards and stops as ever
// (oneproc's own test checks that tend stays on one P). How many threads
// tend has then is the bench's to say: the runtime starts one more when a
// system call blocks for long, which a loaded machine decides.
func TestGoRuntimeEnv(t *testing.T) {
	t.Parallel()
	env := []string{"GOMAXPROCS=8"}
	p := startTend(t, runOpts{Env: env}, "/bin/sh", "-c", `echo "GOMAXPROCS=$GOMAXPROCS"`)
	p.waitStatus(exitTimeout, 0)
	if got := p.stdout.String(); got != "GOMAXPROCS=8\n" {
		t.Errorf("the child's GOMAXPROCS: %q; want GOMAXPROCS=8 as given to tend", got)
	}

	// SIGCONT ignored: tend follows the stop signal with one, and the
	// child's two lines could come in either order.
	p = startPID1(t, runOpts{Env: env}, helperArgv("trap", "-label", "child", "-ignore", "SIGCONT", "-exit-on", "SIGTERM")...)
	p.expectReady("child")
	p.signal(unix.SIGUSR1)
	p.expectLine("child SIGUSR1")
	p.signal(unix.SIGTERM)
	p.expectLine("child SIGTERM")
	p.waitStatus(exitTimeout, 0)
}

// TestBinaryPagesGivenBack: once its child has run a while, tend drops
// its mappings of its binary's read-only pages, so that RssFile (and
// VmRSS, what ps shows) falls well below the binary's size; and tend
// still forwards a signal (from its handler) and stops its child (through
// its loop), the code for both mapped back as it runs.
func TestBinaryPagesGivenBack(t *testing.T) {
	t.Parallel()
	fi, err := os.Stat(tendBin)
	if err != nil {
		t.Fatal(err)
	}
	p := startPID1(t, runOpts{}, helperArgv("trap", "-label", "child", "-ignore", "SIGCONT", "-exit-on", "SIGTERM")...)
	p.expectReady("child")
	limit := int(fi.Size() / 1024 / 2)
	deadline := time.Now().Add(10 * time.Second)
	for {
		file := statusNumber(t, p.pid(), "RssFile")
		if file < limit {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tend's RssFile is %d KiB 10s after its child started; want under %d (half its %d KiB binary)", file, limit, fi.Size()/1024)
		}
		time.Sleep(5 * time.Millisecond) // polling the kernel's view, with a deadline
	}
	p.signal(unix.SIGUSR1)
	p.expectLine("child SIGUSR1")
	p.signal(unix.SIGTERM)
	p.expectLine("child SIGTERM")
	p.waitStatus(exitTimeout, 0)
}

// statusNumber reads the leading number of the line name of
// /proc/pid/status (a kB line such as RssFile).
func statusNumber(t *testing.T, pid int, name string) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("tend's status: %v", err)
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				t.Fatalf("tend's status: %s %q", name, v)
			}
			n, err := strconv.Atoi(f[0])
			if err != nil {
				t.Fatalf("tend's status: %s %q", name, v)
			}
			return n
		}
	}
	t.Fatalf("tend's status has no %s line", name)
	return 0
}
