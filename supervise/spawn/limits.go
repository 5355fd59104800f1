package spawn

import (
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// cgroupRoot is where the cgroup hierarchies are mounted.
const cgroupRoot = "/sys/fs/cgroup"

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
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return true
	}
	return pidsLimited(string(b), cgroupRoot)
}

// pidsLimited reports whether the pids cgroup that procCgroup (the
// content of /proc/self/cgroup) names under root, or one above it, has a
// limit.
func pidsLimited(procCgroup, root string) bool {
	dir, mount := pidsCgroup(procCgroup, root)
	if dir == "" {
		return false // no pids controller
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

// pidsCgroup maps /proc/self/cgroup to the directory of tend's pids
// cgroup under root and the root of its mount; "" when no hierarchy has
// the pids controller. In a container without a cgroup namespace the
// listed path is the host's, which does not exist under the container's
// mount: the mount's root is then the container's own cgroup.
func pidsCgroup(procCgroup, root string) (dir, mount string) {
	v2, haveV2 := "", false
	for line := range strings.Lines(procCgroup) {
		id, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), ":")
		controllers, path, ok := strings.Cut(rest, ":")
		switch {
		case !ok:
		case id == "0" && controllers == "":
			v2, haveV2 = path, true
		case hasController(controllers, "pids"):
			mount = filepath.Join(root, "pids")
			return under(mount, path), mount
		}
	}
	if !haveV2 {
		return "", ""
	}
	if c, err := os.ReadFile(filepath.Join(root, "cgroup.controllers")); err != nil || !hasController(strings.ReplaceAll(strings.TrimSpace(string(c)), " ", ","), "pids") {
		return "", ""
	}
	return under(root, v2), root
}

// under is path below mount when that directory exists, else mount.
func under(mount, path string) string {
	dir := filepath.Join(mount, path)
	if _, err := os.Stat(dir); err != nil {
		return mount
	}
	return dir
}

// hasController reports whether the comma-separated list holds name.
func hasController(list, name string) bool {
	for c := range strings.SplitSeq(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}
