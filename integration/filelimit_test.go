//go:build linux

package integration

// The child gets the RLIMIT_NOFILE tend was started with, although the Go
// runtime raised tend's own soft limit to the hard one at start-up: a
// child that inherited the raised limit would break programs that use
// select(2) and assume at most 1024 descriptors (golang/go#46279).

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// noFileScript, run by /bin/sh with SOFT HARD ARGV..., sets RLIMIT_NOFILE
// (the soft limit first, so that it never exceeds the hard one) and execs
// ARGV.
const noFileScript = `ulimit -Sn "$1" && ulimit -Hn "$2" && shift 2 && exec "$@"`

// startPID1NoFile is startPID1 with RLIMIT_NOFILE set to soft and hard
// before tend starts: the harness's pid1 role execs a shell, still PID 1,
// which sets them and execs tend with args.
func startPID1NoFile(t *testing.T, soft, hard uint64, args ...string) *tendProc {
	t.Helper()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatalf("getrlimit RLIMIT_NOFILE: %v", err)
	}
	if lim.Max < hard && os.Geteuid() != 0 {
		t.Skipf("RLIMIT_NOFILE hard limit %d is below %d, and only root can raise it", lim.Max, hard)
	}
	argv := append([]string{testBin, "/bin/sh", "-c", noFileScript, "sh",
		strconv.FormatUint(soft, 10), strconv.FormatUint(hard, 10), tendBin}, args...)
	attr := namespaceAttr()
	p := start(t, true, argv, append(tendEnv(nil), roleEnv+"=pid1"), attr, runOpts{})
	p.waitExec()
	return p
}

// TestChildFileLimit: tend (PID 1) started with RLIMIT_NOFILE soft 64 and
// hard 4096 gives its child soft 64 and hard 4096; started with soft equal
// to hard (nothing for the runtime to raise), the child gets that limit.
func TestChildFileLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		soft, hard uint64
	}{
		{"raised", 64, 4096},
		{"equal", 256, 256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startPID1NoFile(t, tt.soft, tt.hard, "/bin/sh", "-c", "ulimit -Sn; ulimit -Hn")
			p.waitStatus(exitTimeout, 0)
			want := fmt.Sprintf("%d\n%d\n", tt.soft, tt.hard)
			if got := p.stdout.String(); got != want {
				t.Errorf("the child's RLIMIT_NOFILE (soft, hard) = %q; want %q\nstderr:\n%s", got, want, p.stderr)
			}
		})
	}
}
