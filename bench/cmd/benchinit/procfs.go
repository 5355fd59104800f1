package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// tasks lists the thread ids of pid.
func tasks(pid int) ([]string, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(ents))
	for _, e := range ents {
		ids = append(ids, e.Name())
	}
	return ids, nil
}

// cpuTime is the CPU time pid has used, summed over its live threads from
// /proc/PID/task/*/schedstat (nanoseconds, exact), falling back to utime+stime
// from /proc/PID/stat (clock ticks) when schedstat is missing.
func cpuTime(pid int) (time.Duration, error) {
	ids, err := tasks(pid)
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, id := range ids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, id))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && len(ids) > 0 {
				return statCPU(pid)
			}
			return 0, err
		}
		f := strings.Fields(string(b))
		if len(f) < 1 {
			return 0, fmt.Errorf("schedstat of %d: %q", pid, b)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, err
		}
		sum += n
	}
	return time.Duration(sum), nil
}

// statCPU is utime+stime of pid (all threads, dead ones included) from
// /proc/PID/stat, at clock-tick resolution (assumed 100 Hz).
func statCPU(pid int) (time.Duration, error) {
	f, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond, nil
}

// statFields returns the fields of /proc/PID/stat after the command name:
// [0] is the state, [1] the ppid, [11] utime, [12] stime.
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, fmt.Errorf("stat of %d: no command", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return nil, fmt.Errorf("stat of %d: short", pid)
	}
	return f, nil
}

// state is the one-letter scheduler state of pid (R, S, Z…).
func state(pid int) (string, error) {
	f, err := statFields(pid)
	if err != nil {
		return "", err
	}
	return f[0], nil
}

// ctxSwitches sums voluntary and nonvoluntary context switches over every
// thread of pid (/proc/PID/task/*/status), and returns the thread count.
func ctxSwitches(pid int) (sum int64, threads int, err error) {
	ids, err := tasks(pid)
	if err != nil {
		return 0, 0, err
	}
	for _, id := range ids {
		v, err := statusFields(fmt.Sprintf("/proc/%d/task/%s/status", pid, id), "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")
		if err != nil {
			return 0, 0, err
		}
		sum += v[0] + v[1]
	}
	return sum, len(ids), nil
}

// mem is what /proc/PID/status says of a process's memory, in bytes.
type mem struct {
	rss, hwm   int64 // VmRSS, VmHWM (peak)
	anon, file int64 // RssAnon, RssFile: the parts of VmRSS (with RssShmem)
}

// memory reads VmRSS, VmHWM, RssAnon and RssFile of pid.
func memory(pid int) (mem, error) {
	v, err := statusFields(fmt.Sprintf("/proc/%d/status", pid), "VmRSS", "VmHWM", "RssAnon", "RssFile")
	if err != nil {
		return mem{}, err
	}
	return mem{rss: v[0] * 1024, hwm: v[1] * 1024, anon: v[2] * 1024, file: v[3] * 1024}, nil
}

// statusFields reads the first number of each named line of a status file.
func statusFields(path string, names ...string) ([]int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(names))
	found := 0
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		for i, n := range names {
			if k == n {
				f := strings.Fields(v)
				if len(f) == 0 {
					return nil, fmt.Errorf("%s: empty %s", path, n)
				}
				out[i], err = strconv.ParseInt(f[0], 10, 64)
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %w", path, n, err)
				}
				found++
			}
		}
	}
	if found != len(names) {
		return nil, fmt.Errorf("%s: missing one of %v", path, names)
	}
	return out, nil
}

// childrenOf scans /proc for the processes whose parent is pid. It reads
// every /proc/*/stat, so it is only used when few processes exist.
func childrenOf(pid int) ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	want := strconv.Itoa(pid)
	var kids []int
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, err := statFields(n)
		if err != nil {
			continue // gone meanwhile
		}
		if f[1] == want {
			kids = append(kids, n)
		}
	}
	return kids, nil
}

// pidsCgroup is a cgroup of the pids controller (v1 or v2) that bench made.
// Its pids.current counts every task charged to it, zombies included, until
// the zombie is reaped: the only exact, cheap zombie counter on a kernel
// without /proc/PID/task/*/children.
type pidsCgroup struct {
	dir     string
	current *os.File
}

// newPidsCgroup makes a fresh cgroup of the pids controller, or returns an
// error saying why there is none.
func newPidsCgroup(name string) (*pidsCgroup, error) {
	var roots []string
	if b, err := os.ReadFile("/proc/self/mounts"); err == nil {
		for line := range strings.Lines(string(b)) {
			f := strings.Fields(line)
			if len(f) < 4 {
				continue
			}
			switch {
			case f[2] == "cgroup" && strings.Contains(","+f[3]+",", ",pids,"):
				roots = append(roots, f[1])
			case f[2] == "cgroup2":
				if c, err := os.ReadFile(filepath.Join(f[1], "cgroup.controllers")); err == nil && bytes.Contains(c, []byte("pids")) {
					// Enable pids for children; harmless if already on.
					_ = os.WriteFile(filepath.Join(f[1], "cgroup.subtree_control"), []byte("+pids"), 0o644)
					roots = append(roots, f[1])
				}
			}
		}
	}
	var errs []error
	for _, r := range roots {
		dir := filepath.Join(r, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			errs = append(errs, err)
			continue
		}
		f, err := os.Open(filepath.Join(dir, "pids.current"))
		if err != nil {
			os.Remove(dir)
			errs = append(errs, err)
			continue
		}
		return &pidsCgroup{dir: dir, current: f}, nil
	}
	if len(roots) == 0 {
		return nil, errors.New("no pids cgroup controller mounted")
	}
	return nil, errors.Join(errs...)
}

// procs is the cgroup.procs file the orphan maker moves itself into.
func (c *pidsCgroup) procs() string { return filepath.Join(c.dir, "cgroup.procs") }

// count reads pids.current.
func (c *pidsCgroup) count() (int, error) {
	var buf [32]byte
	n, err := c.current.ReadAt(buf[:], 0)
	if n == 0 && err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(buf[:n])))
}

// remove deletes the cgroup; it must be empty.
func (c *pidsCgroup) remove() error {
	c.current.Close()
	var err error
	for range 50 { // the last tasks may take a moment to be uncharged
		if err = os.Remove(c.dir); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}
