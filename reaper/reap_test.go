package reaper

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// helpers are the roles this test binary plays when re-executed with
// TEND_TEST_HELPER set (as os/exec's tests do). Each returns an exit status.
var helpers = map[string]func(args []string) int{
	"exit": func(args []string) int { // exit N
		n, err := strconv.Atoi(args[0])
		if err != nil {
			return 100
		}
		return n
	},
	"hang": func([]string) int { // wait to be killed
		select {}
	},
	"orphan": func(args []string) int { // start a grandchild that exits N, print its pid, exit
		pid, err := forkHelper("exit", args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 101
		}
		fmt.Println(pid)
		return 0
	},
	"subreaper": subreaperRole,
}

func TestMain(m *testing.M) {
	if h := os.Getenv("TEND_TEST_HELPER"); h != "" {
		f, ok := helpers[h]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown helper %q\n", h)
			os.Exit(102)
		}
		os.Exit(f(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// forkHelper starts this binary as helper role with args, with
// syscall.ForkExec: nothing in the standard library will wait for it, so
// its status is left for Reap.
func forkHelper(role string, args ...string) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	argv := append([]string{exe}, args...)
	return syscall.ForkExec(exe, argv, &syscall.ProcAttr{
		Env:   helperEnv(role),
		Files: []uintptr{0, 1, 2},
	})
}

// helperEnv is the environment for a helper in role: this process's, with
// any TEND_TEST_HELPER replaced (the first of duplicate variables wins).
func helperEnv(role string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "TEND_TEST_HELPER=")
	})
	// A race-enabled binary sleeps a second at exit unless told otherwise.
	return append(env, "TEND_TEST_HELPER="+role, "GORACE=atexit_sleep_ms=0")
}

// reapUntil calls Reap until every pid in want has been collected or the
// deadline passes, and returns what it collected and the last error.
func reapUntil(t *testing.T, want []int, timeout time.Duration) (map[int]Exit, error) {
	t.Helper()
	got := make(map[int]Exit)
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		exits, err := Reap(nil)
		for _, e := range exits {
			if _, dup := got[e.Pid]; dup {
				t.Errorf("Reap returned pid %d twice", e.Pid)
			}
			got[e.Pid] = e
		}
		done := true
		for _, pid := range want {
			if _, ok := got[pid]; !ok {
				done = false
			}
		}
		if done || err != nil || time.Now().After(deadline) {
			return got, err
		}
		<-tick.C
	}
}

// TestReap starts children that exit in every way and checks that Reap
// collects each one with the status a shell would report, then reports
// ECHILD when none is left. It must not run in parallel with anything that
// starts processes: wait4(-1) collects any child of the test process.
func TestReap(t *testing.T) {
	if exits, err := Reap(nil); len(exits) != 0 || !errors.Is(err, unix.ECHILD) {
		t.Fatalf("Reap(nil) with no children = %v, %v; want [], ECHILD", exits, err)
	}

	want := make(map[int]int) // pid -> code
	start := func(code int, role string, args ...string) int {
		t.Helper()
		pid, err := forkHelper(role, args...)
		if err != nil {
			t.Fatalf("start helper %s %q: %v", role, args, err)
		}
		want[pid] = code
		return pid
	}
	for _, n := range []int{0, 3, 255} {
		start(n, "exit", strconv.Itoa(n))
	}
	killed := start(128+int(unix.SIGKILL), "hang")
	termed := start(128+int(unix.SIGTERM), "hang")
	if err := unix.Kill(killed, unix.SIGKILL); err != nil {
		t.Fatalf("kill %d: %v", killed, err)
	}
	if err := unix.Kill(termed, unix.SIGTERM); err != nil {
		t.Fatalf("kill %d: %v", termed, err)
	}

	pids := make([]int, 0, len(want))
	for pid := range want {
		pids = append(pids, pid)
	}
	got, err := reapUntil(t, pids, 10*time.Second)
	if err != nil && !errors.Is(err, unix.ECHILD) {
		t.Fatalf("Reap: %v", err)
	}
	for pid, code := range want {
		e, ok := got[pid]
		if !ok {
			t.Errorf("Reap never returned pid %d (want code %d)", pid, code)
			continue
		}
		if e.Code() != code {
			t.Errorf("Reap: pid %d status %#x: Code() = %d; want %d", pid, int(e.Status), e.Code(), code)
		}
	}
	for pid := range got {
		if _, ok := want[pid]; !ok {
			t.Errorf("Reap returned pid %d, which the test did not start", pid)
		}
	}

	exits, err := Reap(nil)
	if len(exits) != 0 || !errors.Is(err, unix.ECHILD) {
		t.Fatalf("Reap(nil) after collecting every child = %v, %v; want [], ECHILD", exits, err)
	}
	var se *os.SyscallError
	if !errors.As(err, &se) || se.Syscall != "wait4" {
		t.Errorf("Reap error %v (%T); want an *os.SyscallError for wait4", err, err)
	}
}

// TestReapAppends checks that Reap appends to dst and keeps what was there.
func TestReapAppends(t *testing.T) {
	pid, err := forkHelper("exit", "7")
	if err != nil {
		t.Fatal(err)
	}
	dst := []Exit{{Pid: -5, Status: 0}}
	deadline := time.Now().Add(10 * time.Second)
	for len(dst) < 2 && time.Now().Before(deadline) {
		// Once the only child is collected, the same call reports ECHILD
		// along with it.
		dst, err = Reap(dst)
		if err != nil && !errors.Is(err, unix.ECHILD) {
			t.Fatalf("Reap: %v", err)
		}
		if err != nil && len(dst) < 2 {
			t.Fatalf("Reap(dst) = %+v, %v before pid %d was collected", dst, err, pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(dst) != 2 || dst[0].Pid != -5 || dst[1].Pid != pid || dst[1].Code() != 7 {
		t.Fatalf("Reap(dst) = %+v; want [{-5 0} {%d exit 7}]", dst, pid)
	}
}

// subreaperRole runs in a re-executed test binary: it becomes a child
// subreaper, starts an orphan helper whose grandchild exits 42 after its
// parent is gone, and reaps both. It reports on stdout:
//
//	subreaper BEFORE AFTER
//	orphan PID CODE
//	grandchild PID CODE
//	echild true|false
func subreaperRole([]string) int {
	before, err := IsSubreaper()
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	if err := SetSubreaper(); err != nil {
		fmt.Println("error", err)
		return 1
	}
	after, err := IsSubreaper()
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println("subreaper", before, after)

	exe, err := os.Executable()
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	orphan, err := syscall.ForkExec(exe, []string{exe, "42"}, &syscall.ProcAttr{
		Env:   helperEnv("orphan"),
		Files: []uintptr{0, w.Fd(), 2},
	})
	w.Close()
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		fmt.Println("error reading the grandchild's pid:", err)
		return 1
	}
	grandchild, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		fmt.Println("error", err)
		return 1
	}

	got := make(map[int]Exit)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		exits, err := Reap(nil)
		for _, e := range exits {
			got[e.Pid] = e
		}
		if err != nil {
			break // ECHILD: nothing left
		}
		if len(got) >= 2 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, p := range []struct {
		name string
		pid  int
	}{{"orphan", orphan}, {"grandchild", grandchild}} {
		if e, ok := got[p.pid]; ok {
			fmt.Println(p.name, p.pid, e.Code())
		} else {
			fmt.Println(p.name, p.pid, "missing")
		}
	}
	_, err = Reap(nil)
	fmt.Println("echild", errors.Is(err, unix.ECHILD))
	return 0
}

// TestSubreaper runs subreaperRole in a child process (so that the test
// process itself stays an ordinary process) and checks that the orphaned
// grandchild was reparented to it and collected by Reap.
func TestSubreaper(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = helperEnv("subreaper")
	cmd.Stderr = os.Stderr
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("subreaper helper: %v\noutput:\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	fields := make(map[string][]string)
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) > 0 {
			fields[f[0]] = f[1:]
		}
	}
	if e, ok := fields["error"]; ok {
		if slices.Contains(e, "operation") && slices.Contains(e, "permitted") {
			t.Skipf("prctl(PR_SET_CHILD_SUBREAPER) refused here: %s", out)
		}
		t.Fatalf("subreaper helper reported an error:\n%s", out)
	}
	check := func(key string, want ...string) {
		t.Helper()
		if got := fields[key]; !slices.Equal(got, want) {
			t.Errorf("subreaper helper: %s %q; want %q\noutput:\n%s", key, got, want, out)
		}
	}
	check("subreaper", "false", "true")
	if f := fields["orphan"]; len(f) != 2 || f[1] != "0" {
		t.Errorf("subreaper helper: orphan %q; want PID 0 (the orphan exits 0)\noutput:\n%s", f, out)
	}
	if f := fields["grandchild"]; len(f) != 2 || f[1] != "42" {
		t.Errorf("subreaper helper: grandchild %q; want PID 42 (reaped by the subreaper)\noutput:\n%s", f, out)
	}
	check("echild", "true")
}

func TestCode(t *testing.T) {
	tests := []struct {
		name string
		in   unix.WaitStatus
		want int
	}{
		{"exit 0", 0 << 8, 0},
		{"exit 1", 1 << 8, 1},
		{"exit 3", 3 << 8, 3},
		{"exit 126", 126 << 8, 126},
		{"exit 128", 128 << 8, 128},
		{"exit 137", 137 << 8, 137},
		{"exit 255", 255 << 8, 255},
		{"SIGHUP", unix.WaitStatus(unix.SIGHUP), 129},
		{"SIGINT", unix.WaitStatus(unix.SIGINT), 130},
		{"SIGKILL", unix.WaitStatus(unix.SIGKILL), 137},
		{"SIGSEGV", unix.WaitStatus(unix.SIGSEGV), 139},
		{"SIGTERM", unix.WaitStatus(unix.SIGTERM), 143},
		{"SIGSYS", unix.WaitStatus(unix.SIGSYS), 159},
		{"SIGABRT with core", unix.WaitStatus(unix.SIGABRT) | 0x80, 134},
		{"SIGRTMIN", 34, 162},
		{"SIGRTMAX", 64, 192},
		{"stopped", 0x7f | unix.WaitStatus(unix.SIGSTOP)<<8, 255},
		{"continued", 0xffff, 255},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Code(tt.in); got != tt.want {
				t.Errorf("Code(%#x) = %d; want %d", int(tt.in), got, tt.want)
			}
			if got := (Exit{Pid: 1, Status: tt.in}).Code(); got != tt.want {
				t.Errorf("Exit{Status: %#x}.Code() = %d; want %d", int(tt.in), got, tt.want)
			}
		})
	}
}

// TestCollect: Collect returns the exit of the child it waits for, and
// leaves the other children alone.
func TestCollect(t *testing.T) {
	other, err := forkHelper("exit", "3")
	if err != nil {
		t.Fatal(err)
	}
	pid, err := forkHelper("exit", "7")
	if err != nil {
		t.Fatal(err)
	}
	e, err := Collect(pid)
	if err != nil || e.Pid != pid || e.Code() != 7 {
		t.Fatalf("Collect(%d) = %+v, %v; want pid %d, code 7", pid, e, err, pid)
	}
	if e, err := Collect(other); err != nil || e.Code() != 3 {
		t.Fatalf("Collect(%d) = %+v, %v; want code 3", other, e, err)
	}
	if _, err := Collect(pid); !errors.Is(err, unix.ECHILD) {
		t.Errorf("Collect(%d) again: %v; want ECHILD", pid, err)
	}
}
