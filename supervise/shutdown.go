package supervise

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/signals"
)

// signalDescendants sends sig to every descendant of tend still alive and
// reports how many it tried (-1 when tend is PID 1 and signalled its whole
// namespace at once).
//
// As PID 1, kill(-1) reaches every process of the namespace but tend, and
// needs no /proc: a PID 1 may see a /proc that is not its namespace's. As a
// subreaper, tend walks /proc for its descendants: orphans were reparented
// to it, and a grandchild that called setsid is still found by its parent
// chain, where a process-group kill would miss it (dumb-init#191).
func signalDescendants(pid1 bool, sig unix.Signal) (int, error) {
	if pid1 {
		return -1, signals.SendAll(sig)
	}
	pids := descendants(os.Getpid())
	var first error
	for _, pid := range pids {
		if err := signals.Send(pid, sig, false); err != nil && first == nil {
			first = err
		}
	}
	return len(pids), first
}

// descendants lists the pids whose chain of parents leads to root, root
// excluded. It follows /proc/PID/task/TID/children (one small file per
// process), and scans every /proc/PID/stat only where the kernel lacks
// those files.
func descendants(root int) []int {
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		kids, ok := children(p)
		if !ok {
			return descendantsByScan(root)
		}
		out = append(out, kids...)
		queue = append(queue, kids...)
	}
	return out
}

// children reads the children of every thread of pid; false means the
// kernel has no children files (CONFIG_PROC_CHILDREN unset). A process that
// is gone has no children.
func children(pid int) ([]int, bool) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return nil, true
	}
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/children")
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := os.Stat(dir + "/" + t.Name()); serr == nil {
				return nil, false
			}
			continue
		}
		for _, f := range bytes.Fields(b) {
			if n, err := strconv.Atoi(string(f)); err == nil {
				out = append(out, n)
			}
		}
	}
	return out, true
}

// descendantsByScan builds the process tree from every /proc/PID/stat.
func descendantsByScan(root int) []int {
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	kids := make(map[int][]int)
	for _, e := range dir {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := readPPid(pid); ok {
			kids[ppid] = append(kids[ppid], pid)
		}
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		out = append(out, kids[p]...)
		queue = append(queue, kids[p]...)
	}
	return out
}

// readPPid reads the parent pid from /proc/PID/stat. The command name may
// hold spaces and parentheses, so parsing starts after the last ')'.
func readPPid(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+4 > len(b) {
		return 0, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(string(f[1]))
	return ppid, err == nil
}
