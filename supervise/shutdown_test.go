package supervise

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
	n, err := reach{}.signalDescendants(unix.SIGTERM, sh)
	if err != nil {
		t.Fatalf("signalDescendants(SIGTERM, skip %d) = %d, %v", sh, n, err)
	}
	if n < 1 {
		t.Errorf("signalDescendants(SIGTERM, skip %d) = %d; want at least 1 (pid %d)", sh, n, apart)
	}
	gone := func() bool {
		ppid, ok := readPPid(apart)
		return !ok || ppid != sh
	}
	if !waitFor(t, 5*time.Second, gone) {
		t.Errorf("pid %d (own session) still alive after signalDescendants(SIGTERM)", apart)
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
