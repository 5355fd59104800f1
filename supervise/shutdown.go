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

// reach says how tend finds its descendants.
type reach struct {
	pid1    bool // tend is PID 1 of its namespace
	ownProc bool // /proc is the /proc of tend's namespace
}

// newReach looks at tend's situation once, at start-up.
func newReach() reach {
	self, err := os.Readlink("/proc/self")
	return reach{pid1: os.Getpid() == 1, ownProc: err == nil && self == strconv.Itoa(os.Getpid())}
}

// signalDescendants sends sig to every descendant of tend still alive,
// except the members of process group skip (when not 0: they were signalled
// already), and reports how many it tried (-1 when it signalled the whole
// namespace at once).
//
// As PID 1, "descendants" means the whole namespace: it also holds
// processes that entered it (docker exec, nsenter), whose parent is outside.
// With its own /proc, tend lists them there; a PID 1 whose /proc belongs to
// another namespace (the kernel shows the mounting namespace's pids) uses
// kill(-1), which reaches every process of its namespace but itself, and
// then cannot skip a group. As a subreaper, tend follows parent chains
// under /proc: orphans were reparented to it, and a grandchild that called
// setsid is still found, where a process-group kill would miss it
// (dumb-init#191).
func (r reach) signalDescendants(sig unix.Signal, skip int) (int, error) {
	var pids []int
	switch {
	case r.pid1 && (!r.ownProc || sig == unix.SIGKILL):
		return -1, signals.SendAll(sig)
	case r.pid1:
		pids = liveProcs()
	default:
		pids = descendants(os.Getpid())
	}
	n := 0
	var first error
	for _, pid := range pids {
		if skip != 0 {
			if pgid, err := unix.Getpgid(pid); err == nil && pgid == skip {
				continue
			}
		}
		n++
		if err := signals.Send(pid, sig, false); err != nil && first == nil {
			first = err
		}
	}
	return n, first
}

// strangers reports whether a PID 1 with its own /proc shares its
// namespace with live processes that are not its descendants (their parent
// is outside: docker exec, nsenter). tend gets no SIGCHLD for them, so it
// polls for them, only at the end of a shutdown.
func (r reach) strangers() bool {
	return r.pid1 && r.ownProc && len(liveProcs()) > 0
}

// liveProcs lists the processes under /proc that are neither tend nor
// zombies.
func liveProcs() []int {
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var out []int
	for _, e := range dir {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if st, ok := readState(pid); ok && st != 'Z' && st != 'X' {
			out = append(out, pid)
		}
	}
	return out
}

// readState reads the state letter from /proc/PID/stat.
func readState(pid int) (byte, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, false
	}
	return b[i+2], true
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
