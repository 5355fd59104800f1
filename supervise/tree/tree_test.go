package tree

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestReadPPid(t *testing.T) {
	if got, ok := readPPid(os.Getpid()); !ok || got != os.Getppid() {
		t.Errorf("readPPid(%d) = %d, %v; want %d, true", os.Getpid(), got, ok, os.Getppid())
	}
	for _, pid := range []int{0, -1} {
		if got, ok := readPPid(pid); ok {
			t.Errorf("readPPid(%d) = %d, true; want false", pid, got)
		}
	}
}

// TestReadPPidOddName runs sleep under a name with spaces and parentheses,
// which the kernel puts in /proc/PID/stat as it is.
func TestReadPPidOddName(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep on PATH")
	}
	link := filepath.Join(t.TempDir(), "a) b (c") // comm is the file's name
	if err := os.Symlink(sleep, link); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(link, "60")
	cmd.Args[0] = "sleep" // busybox picks its applet from argv[0]
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	stat, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/stat")
	if !strings.Contains(string(stat), "(a) b (c)") {
		t.Skipf("/proc/PID/stat %q does not show the odd name", stat)
	}
	if got, ok := readPPid(cmd.Process.Pid); !ok || got != os.Getpid() {
		t.Errorf("readPPid(%d) with stat %q = %d, %v; want %d, true", cmd.Process.Pid, stat, got, ok, os.Getpid())
	}
}

// family starts `sh` as the leader of a new process group, with two
// children: same (in sh's group) and apart (in a session of its own, made
// with setsid). It returns their pids; cleanup kills all three.
func family(t *testing.T) (sh, same, apart int) {
	t.Helper()
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("no setsid on PATH")
	}
	cmd := exec.Command("sh", "-c", `sleep 60 & echo $!; setsid sleep 60 & echo $!; wait`)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sh = cmd.Process.Pid
	var pids []int
	sc := bufio.NewScanner(out)
	for len(pids) < 2 && sc.Scan() {
		n, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
		if err != nil {
			t.Fatalf("sh printed %q; want a pid", sc.Text())
		}
		pids = append(pids, n)
	}
	if len(pids) < 2 {
		t.Fatalf("sh printed %d pids; want 2", len(pids))
	}
	same, apart = pids[0], pids[1]
	t.Cleanup(func() {
		if ppid, ok := readPPid(apart); ok && ppid == sh { // still ours
			_ = unix.Kill(apart, unix.SIGKILL)
		}
		_ = unix.Kill(-sh, unix.SIGKILL)
		_ = cmd.Wait()
	})
	// Wait until both are what they should be: children of sh, apart in a
	// session of its own (setsid forks first when it leads a group).
	ok := waitFor(t, 5*time.Second, func() bool {
		p1, ok1 := readPPid(same)
		p2, ok2 := readPPid(apart)
		sid, err := unix.Getsid(apart)
		return ok1 && ok2 && p1 == sh && p2 == sh && err == nil && sid == apart
	})
	if !ok {
		t.Skipf("could not set up sh %d with children %d and %d (setsid %d)", sh, same, apart, apart)
	}
	return sh, same, apart
}

func TestDescendants(t *testing.T) {
	sh, same, apart := family(t)
	tests := []struct {
		name string
		f    func(int) []int
	}{
		{"descendants", descendants},
		{"descendantsByScan", descendantsByScan},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.f(os.Getpid())
			for _, pid := range []int{sh, same, apart} {
				if !slices.Contains(got, pid) {
					t.Errorf("%s(%d) = %v; want it to hold %d (sh %d, children %d and %d)", tt.name, os.Getpid(), got, pid, sh, same, apart)
				}
			}
			if slices.Contains(got, os.Getpid()) {
				t.Errorf("%s(%d) = %v; want the root left out", tt.name, os.Getpid(), got)
			}
			if got := tt.f(same); len(got) != 0 {
				t.Errorf("%s(%d) = %v; want none (sleep has no children)", tt.name, same, got)
			}
			if got := tt.f(sh); !slices.Contains(got, same) || !slices.Contains(got, apart) {
				t.Errorf("%s(%d) = %v; want %d and %d", tt.name, sh, got, same, apart)
			}
		})
	}
}

func TestChildren(t *testing.T) {
	sh, same, apart := family(t)
	got, ok := children(sh)
	slices.Sort(got)
	want := []int{same, apart}
	slices.Sort(want)
	if !ok {
		t.Skip("this kernel has no /proc/PID/task/TID/children")
	}
	if !slices.Equal(got, want) {
		t.Errorf("children(%d) = %v; want %v", sh, got, want)
	}
	if got, ok := children(-1); !ok || len(got) != 0 {
		t.Errorf("children(-1) = %v, %v; want none, true", got, ok)
	}
}

// TestSignalDescendantsSkip checks that a shutdown signal reaches a
// descendant that left the child's process group (setsid), and spares the
// group that was signalled already.
func TestSignalDescendantsSkip(t *testing.T) {
	sh, same, apart := family(t)
	n, err := Reach{ownProc: true}.SignalDescendants(unix.SIGTERM, Stop{Skip: sh})
	if err != nil {
		t.Fatalf("SignalDescendants(SIGTERM, skip %d) = %d, %v", sh, n, err)
	}
	if n < 1 {
		t.Errorf("SignalDescendants(SIGTERM, skip %d) = %d; want at least 1 (pid %d)", sh, n, apart)
	}
	gone := func() bool {
		ppid, ok := readPPid(apart)
		return !ok || ppid != sh
	}
	if !waitFor(t, 5*time.Second, gone) {
		t.Errorf("pid %d (own session) still alive after SignalDescendants(SIGTERM)", apart)
	}
	for _, pid := range []int{sh, same} {
		if err := unix.Kill(pid, 0); err != nil {
			t.Errorf("pid %d (in skipped group %d) gone: %v", pid, sh, err)
		}
	}
	if ppid, ok := readPPid(same); !ok || ppid != sh {
		t.Errorf("pid %d (in skipped group %d) was signalled: parent now %d, %v", same, sh, ppid, ok)
	}
}

// TestLeftover checks which processes a shutdown waits for, from their
// /proc/PID/stat lines. As PID 1 of a VM's initial namespace, tend sees
// the kernel's threads (kthreadd and its children), which have PF_KTHREAD
// in their flags (field 9). They never exit, so counting them would make
// the shutdown wait forever.
func TestLeftover(t *testing.T) {
	tests := []struct {
		name string
		stat string
		want bool
	}{
		{"sleeping process", "1234 (sleep) S 1 1234 1234 0 -1 4194304 111 0 0 0 0 0 0 0 20 0 1 0 58462 3133440 381", true},
		{"stopped process", "1234 (sleep) T 1 1234 1234 0 -1 4194304 111 0 0 0 0 0 0 0 20 0 1 0 58462 3133440 381", true},
		{"odd name", "77 (a) b (c) R 1 77 77 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0", true},
		{"zombie", "1234 (sh) Z 1 1234 1234 0 -1 4227084 0 0 0 0 0 0 0 0 20 0 1 0 58462 0 0", false},
		{"dead", "1234 (sh) X 1 1234 1234 0 -1 4227084 0 0 0 0 0 0 0 0 20 0 1 0 58462 0 0", false},
		{"kthreadd", "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 14 0 0", false},
		{"kworker", "10 (kworker/0:0H-events_highpri) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 0 -20 1 0 14 0 0", false},
		{"kernel thread by flag alone", "500 (kthread) S 7 0 0 0 -1 2097152 0 0 0 0 0 0 0 0 20 0 1 0 14 0 0", false},
		// In a container pid 2 is usually the main child: its children
		// are leftovers like any other.
		{"child of pid 2 without the flag", "501 (sh) S 2 2 2 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 14 0 0", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, ok := parseStat([]byte(tt.stat))
			if !ok {
				t.Fatalf("parseStat(%q) = _, false; want a parse", tt.stat)
			}
			if got := st.leftover(); got != tt.want {
				t.Errorf("parseStat(%q).leftover() = %v; want %v (parsed %+v)", tt.stat, got, tt.want, st)
			}
		})
	}
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		name string
		stat string
		want procStat
		ok   bool
	}{
		{"plain", "9337 (cat) R 9324 9324 4157 0 -1 4194304 111 0", procStat{pid: 9337, state: 'R', ppid: 9324, flags: 4194304}, true},
		{"parentheses in the name", "77 (a) b (c) S 5 77 77 0 -1 64 0", procStat{pid: 77, state: 'S', ppid: 5, flags: 64}, true},
		{"too short", "77 (x) S 5 77", procStat{}, false},
		{"no name", "77 S 5 77 77 0 -1 64 0", procStat{}, false},
		{"empty", "", procStat{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseStat([]byte(tt.stat))
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseStat(%q) = %+v, %v; want %+v, %v", tt.stat, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestSignalTreeStranger: a pid listed as a descendant may belong to a
// stranger by the time it is signalled (the descendant exited and the
// kernel gave its pid away). Here the list holds a process that is not a
// descendant of the root at all: it must not be signalled, while the real
// descendant is.
func TestSignalTreeStranger(t *testing.T) {
	sh, _, apart := family(t)
	stranger := exec.Command("sleep", "60")
	if err := stranger.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stranger.Process.Kill(); _ = stranger.Wait() })
	n, err := signalTree(sh, []int{apart, stranger.Process.Pid}, unix.SIGTERM, 0)
	if err != nil || n != 1 {
		t.Errorf("signalTree(%d, [%d %d], SIGTERM) = %d, %v; want 1, <nil> (only %d descends from %d)", sh, apart, stranger.Process.Pid, n, err, apart, sh)
	}
	if !waitFor(t, 5*time.Second, func() bool { ppid, ok := readPPid(apart); return !ok || ppid != sh }) {
		t.Errorf("descendant %d still alive after signalTree(SIGTERM)", apart)
	}
	if st, ok := readProcStat(stranger.Process.Pid); !ok || !st.leftover() {
		t.Errorf("stranger %d was signalled by signalTree(%d, …): now %+v, %v", stranger.Process.Pid, sh, st, ok)
	}
}

func readProcStat(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	return parseStat(b)
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

func TestDescends(t *testing.T) {
	sh, same, apart := family(t)
	r := Reach{ownProc: true}
	tests := []struct {
		name string
		pid  int
		want bool
	}{
		{"child", sh, true},
		{"grandchild", same, true},
		{"grandchild in its own session", apart, true},
		{"tend itself", os.Getpid(), false},
		{"its parent", os.Getppid(), false},
		{"pid 0 (no number in this namespace)", 0, false},
	}
	for _, tt := range tests {
		if got := r.Descends(tt.pid); got != tt.want {
			t.Errorf("Descends(%d) (%s) = %v; want %v", tt.pid, tt.name, got, tt.want)
		}
	}
	if (Reach{}).Descends(sh) {
		t.Errorf("a blind Reach: Descends(%d) = true; want false", sh)
	}
}
