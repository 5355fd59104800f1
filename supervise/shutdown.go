package supervise

import (
	"bytes"
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

// descendants lists the pids whose chain of parents under /proc leads to
// root, root excluded.
func descendants(root int) []int {
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := make(map[int][]int)
	for _, e := range dir {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := readPPid(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
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
