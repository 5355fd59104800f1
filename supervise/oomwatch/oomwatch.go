package oomwatch

import (
	"bytes"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/supervise/internal/cgroup"
)

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
	m, ok := cgroup.Self()
	if !ok {
		return Counter{}
	}
	return Counter{path: find(m, cgroup.Root)}
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
	b, err := cgroup.ReadFile(c.path, buf[:])
	if err != nil {
		return 0, false
	}
	return parse(b)
}

func exists(path string) bool {
	var st unix.Stat_t
	return unix.Stat(path, &st) == nil
}

// find returns the counter's file for membership m under root:
// memory.oom_control on cgroup v1, memory.events on v2, in tend's
// directory of the memory hierarchy or else at its mount (see
// cgroup.Membership.Dir); "" when there is none.
func find(m cgroup.Membership, root string) string {
	dir, mount, v1 := m.Dir(root, "memory")
	if dir == "" {
		return ""
	}
	file := "memory.events"
	if v1 {
		file = "memory.oom_control"
	}
	for _, c := range []string{filepath.Join(dir, file), filepath.Join(mount, file)} {
		if exists(c) {
			return c
		}
	}
	return ""
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
