// Package cgroup reads tend's own cgroup membership (/proc/self/cgroup)
// once and says where a controller's directory for tend is, on cgroup v1
// and v2 alike: for the OOM-kill counter (oomwatch) and for the pids
// limit that decides whether tend starts spare threads (spawn).
package cgroup

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Root is where the cgroup file systems are mounted: cgroup v2 at the
// root itself, each v1 hierarchy in a directory named for its controllers.
const Root = "/sys/fs/cgroup"

// Membership is what /proc/self/cgroup lists: one line per v1 hierarchy
// ("4:memory:/path") and, with cgroup v2, a "0::/path" line.
type Membership struct {
	lines []line
	v2    string
	hasV2 bool
}

type line struct{ controllers, path string }

var (
	selfOnce sync.Once
	self     Membership
	selfOK   bool
)

// Self returns tend's membership, read from /proc/self/cgroup the first
// time it is called; false when that file cannot be read (no /proc).
// tend does not move between cgroups, so one read serves every caller.
func Self() (Membership, bool) {
	selfOnce.Do(func() {
		var buf [8 << 10]byte // 13 lines on a v1 host, one on v2
		b, err := ReadFile("/proc/self/cgroup", buf[:])
		if err == nil {
			self, selfOK = Parse(string(b)), true
		}
	})
	return self, selfOK
}

// Parse reads the content of /proc/self/cgroup.
func Parse(procCgroup string) Membership {
	var m Membership
	for l := range strings.Lines(procCgroup) {
		id, rest, ok := strings.Cut(strings.TrimSuffix(l, "\n"), ":")
		if !ok {
			continue
		}
		controllers, path, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		if id == "0" && controllers == "" {
			m.v2, m.hasV2 = path, true
			continue
		}
		m.lines = append(m.lines, line{controllers, path})
	}
	return m
}

// Dir returns tend's directory for controller name under root and the
// mount of its hierarchy. A v1 hierarchy that has the controller wins (a
// controller is bound to one hierarchy, so the v2 line of a hybrid host
// does not have it); without one, the v2 hierarchy is returned, mounted
// at root, and v1 is false: whether the controller is enabled there is the
// caller's to check. In a container without a cgroup namespace the listed
// path is the host's, which does not exist under the container's mount:
// dir is then the mount itself, the container's own cgroup. dir is ""
// when neither applies.
func (m Membership) Dir(root, name string) (dir, mount string, v1 bool) {
	for _, l := range m.lines {
		if HasController(l.controllers, name) {
			mount = filepath.Join(root, name)
			return under(mount, l.path), mount, true
		}
	}
	if !m.hasV2 {
		return "", "", false
	}
	return under(root, m.v2), root, false
}

// under is path below mount when that directory exists, else mount.
func under(mount, path string) string {
	dir := filepath.Join(mount, path)
	var st unix.Stat_t
	if unix.Stat(dir, &st) != nil {
		return mount
	}
	return dir
}

// HasController reports whether the comma-separated list holds name.
func HasController(list, name string) bool {
	for c := range strings.SplitSeq(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// ReadFile reads the file at path into buf, as far as it fits: with raw
// system calls, no fstat and no allocation, as reads of /proc/self/cgroup
// and of cgroup files are on tend's start path.
func ReadFile(path string, buf []byte) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer func() { _ = unix.Close(fd) }()
	n := 0
	for n < len(buf) {
		m, err := unix.Read(fd, buf[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return buf[:n], nil
}
