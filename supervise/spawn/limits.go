package spawn

import (
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/supervise/internal/cgroup"
)

// threadsLimited reports whether something may keep the Go runtime from
// starting a thread: a pids cgroup with a limit (tend's own or one above
// it, as docker run --pids-limit sets), or an RLIMIT_NPROC that applies
// to tend (root's processes are exempt). When tend cannot tell, it says
// yes.
func threadsLimited() bool {
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NPROC, &rl) == nil && rl.Cur != unix.RLIM_INFINITY && unix.Getuid() != 0 {
		return true
	}
	m, ok := cgroup.Self()
	if !ok {
		return true
	}
	return pidsLimited(m, cgroup.Root)
}

// pidsLimited reports whether tend's pids cgroup under root (from
// membership m), or one above it, has a limit.
func pidsLimited(m cgroup.Membership, root string) bool {
	dir, mount, v1 := m.Dir(root, "pids")
	if dir == "" {
		return false // no pids controller
	}
	if !v1 {
		c, err := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
		if err != nil || !cgroup.HasController(strings.ReplaceAll(strings.TrimSpace(string(c)), " ", ","), "pids") {
			return false // v2 without the pids controller
		}
	}
	for {
		if m, err := os.ReadFile(filepath.Join(dir, "pids.max")); err == nil && strings.TrimSpace(string(m)) != "max" {
			return true
		}
		if dir == mount {
			return false
		}
		dir = filepath.Dir(dir)
	}
}
