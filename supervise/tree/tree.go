package tree

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/signals"
)

// Reach says how tend finds its descendants.
type Reach struct {
	pid1    bool // tend is PID 1 of its namespace
	ownProc bool // /proc is the /proc of tend's namespace
}

// New looks at tend's situation once, at start-up.
func New() Reach {
	self, err := os.Readlink("/proc/self")
	return Reach{pid1: os.Getpid() == 1, ownProc: err == nil && self == strconv.Itoa(os.Getpid())}
}

// Blind reports whether tend cannot list its descendants: /proc is not
// mounted, or is the /proc of another PID namespace (its pids are not
// tend's: following them would signal strangers).
func (r Reach) Blind() bool { return !r.ownProc }

// PID1 reports whether tend is PID 1 of its namespace.
func (r Reach) PID1() bool { return r.pid1 }

// Stop says what one round of a stop signal is for.
type Stop struct {
	Main  int // the main child's pid while it runs (not reaped), else 0
	Group int // the process group of the run being stopped (its main child's pid), 0 if none
	Skip  int // a process group that got the stop signal already, 0 if none
	// Final is tend's last stop, after which it exits; otherwise the
	// cleanup before a restart.
	Final bool
}

// SignalDescendants sends sig, then SIGCONT (see continues), to every
// descendant of tend still alive, except the members of process group
// st.Skip, and reports how many it tried (-1 when it signalled the whole
// namespace at once).
//
// As PID 1 at the final stop, "descendants" means the whole namespace: it
// also holds processes that entered it (docker exec, nsenter), whose
// parent is outside. Before a restart they are spared: the shell someone
// opened to debug the container must survive the app's restart, so tend
// stops only its own descendants (what the run left, and orphans
// reparented to it). With its own /proc, tend lists them there; a PID 1 whose /proc belongs to
// another namespace (the kernel shows the mounting namespace's pids) uses
// kill(-1), which reaches every process of its namespace but itself, and
// then cannot skip a group. As a subreaper, tend follows parent chains
// under /proc: orphans were reparented to it, and a grandchild that called
// setsid is still found, where a process-group kill would miss it
// (dumb-init#191). A subreaper that cannot see its descendants (see Blind)
// signals what it knows: the run's process group and the main child; so
// does a PID 1 with another namespace's /proc before a restart.
func (r Reach) SignalDescendants(sig unix.Signal, st Stop) (int, error) {
	var pids []int
	root := os.Getpid()
	switch {
	case r.pid1 && st.Final && (!r.ownProc || sig == unix.SIGKILL):
		err := signals.SendAll(sig)
		if continues(sig) {
			if cerr := signals.SendAll(unix.SIGCONT); err == nil {
				err = cerr
			}
		}
		return -1, err
	case r.pid1 && st.Final:
		// Everyone in the namespace is fair game: no parent chain to check.
		pids, root = liveProcs(), 0
	case r.Blind():
		return signalRun(sig, st)
	default:
		pids = descendants(root)
	}
	return signalTree(root, pids, sig, st.Skip)
}

// signalRun sends sig, then SIGCONT, to the run's process group (unless
// it is st.Skip) and to the main child if it left that group: all a tend
// that cannot list its descendants can reach. The group may outlive its
// leader, whom tend has reaped: its number is not given to another process
// while the group has a member, and when it has none the kill finds no one
// (ESRCH), unless a process that got that pid made itself a group leader
// in the microseconds since the reap.
func signalRun(sig unix.Signal, st Stop) (int, error) {
	n := 0
	var first error
	if st.Group != 0 && st.Group != st.Skip {
		err := unix.Kill(-st.Group, sig)
		if err == nil && continues(sig) {
			err = unix.Kill(-st.Group, unix.SIGCONT)
		}
		switch {
		case err == nil:
			n++
		case !errors.Is(err, unix.ESRCH):
			first = fmt.Errorf("kill -%d %s: %w", st.Group, signals.Name(sig), err)
		}
	}
	if st.Main != 0 {
		if pgid, err := unix.Getpgid(st.Main); err == nil && pgid != st.Group && pgid != st.Skip {
			n++
			err := signals.Send(st.Main, sig, false)
			if err == nil && continues(sig) {
				err = signals.Send(st.Main, unix.SIGCONT, false)
			}
			if err != nil && first == nil {
				first = err
			}
		}
	}
	return n, first
}

// signalTree sends sig to each of pids, descendants of root when they
// were listed (any process of the namespace when root is 0), except the
// members of process group skip, and reports how many it signalled.
func signalTree(root int, pids []int, sig unix.Signal, skip int) (int, error) {
	n := 0
	var first error
	for _, pid := range pids {
		if skip != 0 {
			if pgid, err := unix.Getpgid(pid); err == nil && pgid == skip {
				continue
			}
		}
		sent, err := signalDescendant(root, pid, sig)
		if sent {
			n++
		}
		if err != nil && first == nil {
			first = err
		}
	}
	return n, first
}

// maxDepth bounds the walk up a chain of parents.
const maxDepth = 1 << 16

// signalDescendant sends sig to pid if it still descends from root.
//
// The pid was read from /proc a moment ago; since then the process may
// have exited, been reaped by its parent (a descendant: tend does not reap
// during a walk), and its pid given to a stranger. So tend first takes a
// pidfd, which names one process for good, then checks that this pid
// still descends from root, then signals through the pidfd: if the pid
// changed hands before the pidfd was taken, the check fails; if it changes
// hands after, the pidfd names the process that is gone (ESRCH). Where
// pidfd_open is missing (Linux before 5.3: ENOSYS; old seccomp profiles:
// EPERM) or fails otherwise, tend checks and kills by pid, as before.
func signalDescendant(root, pid int, sig unix.Signal) (bool, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return false, nil
	}
	if err != nil {
		if !descendsFrom(pid, root) {
			return false, nil
		}
		err := signals.Send(pid, sig, false)
		if err == nil && continues(sig) {
			err = signals.Send(pid, unix.SIGCONT, false)
		}
		return true, err
	}
	defer func() { _ = unix.Close(fd) }()
	if !descendsFrom(pid, root) {
		return false, nil
	}
	err = unix.PidfdSendSignal(fd, sig, nil, 0)
	if err == nil && continues(sig) {
		err = unix.PidfdSendSignal(fd, unix.SIGCONT, nil, 0)
	}
	if err == nil || errors.Is(err, unix.ESRCH) {
		return true, nil
	}
	return true, fmt.Errorf("pidfd_send_signal %d %s: %w", pid, signals.Name(sig), err)
}

// continues reports whether a stop signal must be followed by SIGCONT: a
// stopped process (SIGSTOP, Ctrl-Z) keeps any other signal pending until
// it is continued, and would sleep through the grace period to its
// SIGKILL. systemd sends SIGCONT after the stop signal for the same
// reason. SIGKILL needs none: it wakes a stopped process.
func continues(sig unix.Signal) bool {
	return sig != unix.SIGKILL && sig != unix.SIGCONT
}

// descendsFrom reports whether the chain of parents of pid, read from
// /proc now, leads to root (always, for root 0). A parent of 0 ends the chain: the process
// above is outside the namespace (docker exec, nsenter) or is the
// namespace's top.
func descendsFrom(pid, root int) bool {
	if root == 0 {
		return true
	}
	for range maxDepth {
		ppid, ok := readPPid(pid)
		if !ok || ppid == 0 {
			return false
		}
		if ppid == root {
			return true
		}
		pid = ppid
	}
	return false
}

// Descends reports whether pid, a number in tend's PID namespace, is a
// descendant of tend now, by its chain of parents under /proc. It is false
// when tend cannot tell (see Blind): the pids of another namespace's /proc
// are not the ones tend was given. --notify uses it to accept only its
// descendants' messages.
func (r Reach) Descends(pid int) bool {
	return r.ownProc && pid > 0 && pid != os.Getpid() && descendsFrom(pid, os.Getpid())
}

// Strangers reports whether a PID 1 with its own /proc shares its
// namespace with live processes that are not its descendants (their parent
// is outside: docker exec, nsenter). tend gets no SIGCHLD for them, so it
// polls for them, only at the end of a shutdown.
func (r Reach) Strangers() bool {
	return r.pid1 && r.ownProc && len(liveProcs()) > 0
}

// liveProcs lists the processes under /proc that are leftovers (see
// procStat.leftover), tend excepted.
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
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if st, ok := parseStat(b); ok && st.leftover() {
			out = append(out, pid)
		}
	}
	return out
}

// procStat holds the fields tend reads from /proc/PID/stat.
type procStat struct {
	pid   int
	state byte   // R, S, D, T, Z…
	ppid  int    // 0 when the parent is outside the namespace
	flags uint64 // the kernel's PF_* flags of the task
}

// parseStat parses one /proc/PID/stat file. The command name may hold
// spaces and parentheses, so the fields are read after the last ')'.
func parseStat(b []byte) (procStat, bool) {
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 1 || end < open {
		return procStat{}, false
	}
	f := bytes.Fields(b[end+1:])
	if len(f) < 7 || len(f[0]) != 1 {
		return procStat{}, false
	}
	pid, err1 := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	ppid, err2 := strconv.Atoi(string(f[1]))
	flags, err3 := strconv.ParseUint(string(f[6]), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return procStat{}, false
	}
	return procStat{pid: pid, state: f[0][0], ppid: ppid, flags: flags}, true
}

// pfKthread is the kernel's PF_KTHREAD task flag (include/linux/sched.h).
const pfKthread = 0x00200000

// leftover reports whether the process is one a shutdown must stop and
// wait for: not a zombie, and not a kernel thread. A PID 1 of a VM's or a
// microVM's initial namespace sees the kernel's threads under /proc; they
// ignore signals and never exit. The flag says it, not the parent: pid 2
// is kthreadd only in the initial namespace, and in a container it is
// usually the main child.
func (st procStat) leftover() bool {
	return st.state != 'Z' && st.state != 'X' && st.flags&pfKthread == 0
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
