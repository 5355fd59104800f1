package oomwatch

import (
	"bytes"
	"errors"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// cgroupRoot is where cgroup file systems are mounted: cgroup v2 at the
// root itself, each v1 controller in a directory of its own.
const cgroupRoot = "/sys/fs/cgroup"

// Counter is the OOM-kill counter of one memory cgroup. Its zero value
// has no file: Read then reports false, at no cost.
type Counter struct {
	path string // memory.events or memory.oom_control; "" when none was found
}

// Find locates the OOM-kill counter of tend's own memory cgroup from
// /proc/self/cgroup. Children start in tend's cgroup, so the counter also
// counts their OOM kills (and those of cgroups below). When nothing is
// found (no /proc, no memory controller, a cgroup file system not mounted)
// the Counter is the zero value.
func Find() Counter {
	var buf [8 << 10]byte // 13 lines on a v1 host, one on v2
	b, err := readFile("/proc/self/cgroup", buf[:])
	if err != nil {
		return Counter{}
	}
	return Counter{path: find(b, cgroupRoot)}
}

// Path is the file the counter is read from, "" when there is none.
func (c Counter) Path() string { return c.path }

// Read returns the counter's value; false when there is no file, it cannot
// be read or it has no oom_kill line (kernels before 4.13).
func (c Counter) Read() (uint64, bool) {
	if c.path == "" {
		return 0, false
	}
	var buf [512]byte // memory.events has 6 short lines, memory.oom_control 3
	b, err := readFile(c.path, buf[:])
	if err != nil {
		return 0, false
	}
	return parse(b)
}

// readFile reads the file at path into buf, as far as it fits: with raw
// system calls, no fstat and no allocation, because tend reads the counter
// before every start of the child, and syscalls are its start-up's cost.
func readFile(path string, buf []byte) ([]byte, error) {
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

func exists(path string) bool {
	var st unix.Stat_t
	return unix.Stat(path, &st) == nil
}

// find maps the content of /proc/self/cgroup to the counter's file under
// root. A v1 line whose controllers include memory wins: a controller is
// bound to one hierarchy, so with one the v2 line ("0::/…", present on
// hybrid hosts) has no memory.events. In a container without a cgroup
// namespace the listed path is the host's, which does not exist under the
// container's mount: the mount's root is then the container's own cgroup.
func find(procCgroup []byte, root string) string {
	var v1, v2 string
	haveV1, haveV2 := false, false
	for line := range strings.Lines(string(procCgroup)) {
		id, rest, ok := strings.Cut(strings.TrimSuffix(line, "\n"), ":")
		if !ok {
			continue
		}
		controllers, path, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		switch {
		case id == "0" && controllers == "":
			v2, haveV2 = path, true
		case hasController(controllers, "memory"):
			v1, haveV1 = path, true
		}
	}
	var candidates []string
	if haveV1 {
		dir := filepath.Join(root, "memory")
		candidates = append(candidates, filepath.Join(dir, v1, "memory.oom_control"), filepath.Join(dir, "memory.oom_control"))
	} else if haveV2 {
		candidates = append(candidates, filepath.Join(root, v2, "memory.events"), filepath.Join(root, "memory.events"))
	}
	for _, c := range candidates {
		if exists(c) {
			return c
		}
	}
	return ""
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

// parse reads the oom_kill line of memory.events or memory.oom_control
// ("oom_kill N" in both).
func parse(b []byte) (uint64, bool) {
	for line := range bytes.Lines(b) {
		key, val, ok := bytes.Cut(bytes.TrimSpace(line), []byte(" "))
		if !ok || string(key) != "oom_kill" {
			continue
		}
		n, err := strconv.ParseUint(string(bytes.TrimSpace(val)), 10, 64)
		return n, err == nil
	}
	return 0, false
}
