//go:build linux

package integration

// The termination summary (--termination-log) and OOM kills named: what
// kubectl describe pod shows as the container's termination message.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	helpers["oom-alloc"] = helperOOMAlloc
}

// helperOOMAlloc asks to be the OOM killer's first choice, prints
// "allocating" and allocates and touches memory, 1 MiB at a time, until it
// is killed; it gives up at 1 GiB (exit 3), so that outside a cgroup with
// a limit it cannot eat the machine.
func helperOOMAlloc([]string) int {
	if err := os.WriteFile("/proc/self/oom_score_adj", []byte("1000"), 0); err != nil {
		fmt.Fprintln(os.Stderr, "oom-alloc:", err)
		return 2
	}
	fmt.Println("allocating")
	var keep [][]byte
	for range 1024 {
		b := make([]byte, 1<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		keep = append(keep, b)
	}
	fmt.Println("never killed", len(keep))
	return 3
}

// readTermLog returns the content of the termination log at path.
func readTermLog(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("termination log: %v", err)
	}
	return string(b)
}

// TestTerminationLog: the summary says why tend ended, one line, in a file
// tend creates when --termination-log names it.
func TestTerminationLog(t *testing.T) {
	t.Parallel()
	fail := newSupProbeServer(t, supFail)
	tests := []struct {
		name       string
		args       []string
		wantStatus int
		want       string // the whole file, without its newline
	}{
		{"exit status", helperArgv("exit", "3"), 3, "exited with status 3"},
		{"signal", []string{"/bin/sh", "-c", "ulimit -c 0; kill -s SEGV $$"}, 139, "killed by SIGSEGV"},
		// tend's cgroup saw no OOM kill: a SIGKILL is only a SIGKILL.
		{"SIGKILL is not an OOM kill", []string{"/bin/sh", "-c", "kill -s KILL $$"}, 137, "killed by SIGKILL"},
		{"deadline", append([]string{"--deadline", "300ms"}, helperArgv("hang")...), 124, "deadline 300ms exceeded; the child was killed by SIGTERM"},
		{
			"unhealthy",
			append([]string{"--health-http", fail.URL, "--health-interval", "50ms", "--health-retries", "2", "--on-unhealthy", "exit"}, helperArgv("hang")...),
			69, "unhealthy: 2 probes failed; last: status 500; the child was killed by SIGTERM",
		},
		{
			"gave up",
			append([]string{"--restart", "on-failure", "--max-restarts", "2", "--backoff-min", "10ms", "--backoff-max", "20ms"}, helperArgv("exit", "1")...),
			1, "gave up after 2 restarts; the child exited with status 1",
		},
		{
			"gave up, unhealthy",
			append([]string{"--restart", "on-failure", "--max-restarts", "1", "--backoff-min", "20ms",
				"--health-http", fail.URL, "--health-interval", "50ms", "--health-retries", "2"}, helperArgv("hang")...),
			143, "gave up after 1 restart; the last run was unhealthy: 2 probes failed; last: status 500; the child was killed by SIGTERM",
		},
		{"start failure", []string{"tend-no-such-command"}, 127, `could not start: tend-no-such-command: command not found (status 127)`},
		{"start failure remapped", []string{"--remap-exit", "127:0", "tend-no-such-command"}, 0, `could not start: tend-no-such-command: command not found (status 127); tend exits 0 (--remap-exit 127:0)`},
		{"option found wrong at start", []string{"--user", "tend-no-such-user", "true"}, 125, `invalid usage: --user: unknown user "tend-no-such-user" (status 125)`},
		{"exit status remapped", append([]string{"--remap-exit", "3:0"}, helperArgv("exit", "3")...), 0, "exited with status 3; tend exits 0 (--remap-exit 3:0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "termination-log")
			p := startPID1(t, runOpts{}, append([]string{"--termination-log", file}, tt.args...)...)
			p.waitStatus(supTimeout, tt.wantStatus)
			if got := readTermLog(t, file); got != tt.want+"\n" {
				t.Errorf("termination log = %q; want %q\nstderr:\n%s", got, tt.want+"\n", p.stderr)
			}
		})
	}
}

// TestTerminationLogRemapSIGTERM: the summary says what happened (tend
// was stopped, its child died of SIGTERM) and --remap-exit only what tend
// returns; the variable sets the path as the flag does.
func TestTerminationLogRemapSIGTERM(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "termination-log")
	p := startPID1(t, runOpts{Env: []string{"TEND_TERMINATION_LOG=" + file}}, "--remap-exit", "143:0", "sleep", "1000")
	waitForComm(t, p, "sleep")
	p.signal(unix.SIGTERM)
	p.waitStatus(supTimeout, 0)
	want := "stopped by SIGTERM; the child was killed by SIGTERM; tend exits 0 (--remap-exit 143:0)\n"
	if got := readTermLog(t, file); got != want {
		t.Errorf("termination log = %q; want %q", got, want)
	}
}

// TestTerminationLogAppWins: a file that is not empty, before tend starts
// or because the application wrote its own message, is left as it is.
func TestTerminationLogAppWins(t *testing.T) {
	t.Parallel()
	t.Run("written before", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "termination-log")
		if err := os.WriteFile(file, []byte("left from before\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		p := startPID1(t, runOpts{}, append([]string{"--termination-log", file}, helperArgv("exit", "3")...)...)
		p.waitStatus(supTimeout, 3)
		if got := readTermLog(t, file); got != "left from before\n" {
			t.Errorf("termination log = %q; want it untouched", got)
		}
	})
	t.Run("written by the app", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "termination-log")
		p := startPID1(t, runOpts{}, "--termination-log", file, "/bin/sh", "-c", `printf 'app: out of disk' > "$0"; exit 2`, file)
		p.waitStatus(supTimeout, 2)
		if got := readTermLog(t, file); got != "app: out of disk" {
			t.Errorf("termination log = %q; want the app's own message", got)
		}
	})
}

// TestTerminationLogCapped: a summary longer than 4 KiB (a command name
// of 5,000 bytes) is cut to 4,096 bytes, newline included, ending in
// "...".
func TestTerminationLogCapped(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "termination-log")
	name := "tend-no-such-" + strings.Repeat("x", 5000)
	p := startPID1(t, runOpts{}, "--termination-log", file, name)
	p.waitStatus(supTimeout, 127)
	got := readTermLog(t, file)
	if len(got) != 4096 || !strings.HasPrefix(got, "could not start: tend-no-such-xxx") || !strings.HasSuffix(got, "...\n") {
		t.Errorf("termination log is %d bytes, %.40q…%q; want 4096, starting %q, ending %q", len(got), got, got[max(0, len(got)-10):], "could not start: ", "...\n")
	}
}

// TestTerminationLogDefault: without --termination-log, tend writes
// /dev/termination-log when it exists (Kubernetes mounts it), here a
// file of the test on a /dev of tend's own; "none" writes nothing. Where
// it does not exist tend does not create it.
func TestTerminationLogDefault(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the harness makes /dev/termination-log on a tmpfs /dev with mknod")
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"default", helperArgv("exit", "4"), "exited with status 4\n"},
		{"none", append([]string{"--termination-log", "none"}, helperArgv("exit", "4")...), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "termination-log")
			if err := os.WriteFile(file, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			p := startPID1(t, runOpts{DevTermLog: file}, tt.args...)
			p.waitStatus(supTimeout, 4)
			if got := readTermLog(t, file); got != tt.want {
				t.Errorf("/dev/termination-log = %q; want %q\nstderr:\n%s", got, tt.want, p.stderr)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		if _, err := os.Stat("/dev/termination-log"); err == nil {
			t.Skip("this machine has a /dev/termination-log")
		}
		p := startTend(t, runOpts{}, helperArgv("exit", "4")...)
		p.waitStatus(supTimeout, 4)
		if _, err := os.Stat("/dev/termination-log"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after tend: stat /dev/termination-log: %v; want it still missing", err)
		}
	})
}

// oomCgroup makes a memory cgroup with a limit of limit bytes (and no
// swap) below the test's own, and removes it when the test is over (after
// every process in it is gone: register it before starting tend). It
// skips the test when that cannot be done.
func oomCgroup(t *testing.T, limit int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a memory cgroup")
	}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Skipf("no /proc/self/cgroup: %v", err)
	}
	var dir string
	var files [][2]string // file, value, written in order
	lim := strconv.FormatInt(limit, 10)
	for line := range strings.Lines(string(b)) {
		f := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(f) != 3 {
			continue
		}
		if strings.Contains(","+f[1]+",", ",memory,") {
			dir = filepath.Join("/sys/fs/cgroup/memory", f[2])
			files = [][2]string{{"memory.limit_in_bytes", lim}, {"memory.memsw.limit_in_bytes", lim}}
			break
		}
		if f[0] == "0" && f[1] == "" {
			if sub, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", f[2], "cgroup.subtree_control")); err == nil && strings.Contains(string(sub), "memory") {
				dir = filepath.Join("/sys/fs/cgroup", f[2])
				files = [][2]string{{"memory.max", lim}, {"memory.swap.max", "0"}}
			}
		}
	}
	if dir == "" {
		t.Skip("no memory cgroup controller for a child cgroup (v1 memory, or v2 with memory in subtree_control)")
	}
	dir = filepath.Join(dir, fmt.Sprintf("tend-oom-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot make a memory cgroup: %v", err)
	}
	t.Cleanup(func() {
		// rmdir fails with EBUSY until the last process has left.
		var err error
		if !poll(10*time.Second, func() bool { err = unix.Rmdir(dir); return err == nil || errors.Is(err, unix.ENOENT) }) {
			t.Errorf("remove cgroup %s: %v", dir, err)
		}
	})
	for _, f := range files {
		path := filepath.Join(dir, f[0])
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && strings.Contains(f[0], "sw") {
			continue // no swap accounting
		}
		if err := os.WriteFile(path, []byte(f[1]), 0); err != nil {
			t.Fatalf("cgroup %s: %v", path, err)
		}
	}
	return dir
}

// TestOOMKillNamed: tend starts in a memory cgroup of 64 MiB; its child
// allocates until the OOM killer kills it. tend says so: in its "exited"
// line, in the status JSON (oom_killed, during the backoff that follows),
// in tend_child_oom_kills_total and in the termination summary. Stopped
// then by SIGTERM, it exits 137, the child's status.
//
// Not parallel: on cgroup v2 an OOM kill counts in every parent cgroup too,
// so a tend of another test, in the parent, whose child died of SIGKILL at
// that moment would name it an OOM kill. Go runs the parallel tests only
// after the sequential ones.
func TestOOMKillNamed(t *testing.T) {
	dir := oomCgroup(t, 64<<20)
	file := filepath.Join(t.TempDir(), "termination-log")
	addr := supFreeAddr(t)
	p := startPID1(t, runOpts{Cgroup: dir}, append([]string{"--termination-log", file, "--status-addr", addr,
		"--restart", "on-failure", "--backoff-min", "1m", "--backoff-max", "1m"}, helperArgv("oom-alloc")...)...)
	p.expectLine("allocating")
	var st struct {
		State     string `json:"state"`
		LastExit  *int   `json:"last_exit"`
		OOMKilled bool   `json:"oom_killed"`
	}
	var last string
	ok := poll(supTimeout, func() bool {
		resp, err := supClient.Get("http://" + addr + "/healthz")
		if err != nil {
			last = err.Error()
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		last = string(b)
		return json.Unmarshal(b, &st) == nil && st.State == "backoff"
	})
	if !ok {
		t.Fatalf("status never showed the backoff after the OOM kill; last: %s\nstdout:\n%s\nstderr:\n%s", last, p.stdout, p.stderr)
	}
	if st.LastExit == nil || *st.LastExit != 137 || !st.OOMKilled {
		t.Errorf("status = %s; want last_exit 137 and oom_killed true", last)
	}
	if resp, err := supClient.Get("http://" + addr + "/metrics"); err != nil {
		t.Errorf("GET /metrics: %v", err)
	} else {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if !strings.Contains(string(b), "\ntend_child_oom_kills_total 1\n") {
			t.Errorf("GET /metrics has no tend_child_oom_kills_total 1:\n%s", b)
		}
	}
	p.signal(unix.SIGTERM)
	p.waitStatus(supTimeout, 137)
	n := 0
	for _, l := range tendLines(p.stderr.String()) {
		if strings.HasPrefix(l, "tend: warning: exited pid=") && strings.HasSuffix(l, ` status=137 reason="killed by the OOM killer"`) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("tend logged %d exited lines naming the OOM killer; want 1\nstderr:\n%s", n, p.stderr)
	}
	want := "stopped by SIGTERM; the child was killed by the OOM killer (SIGKILL)\n"
	if got := readTermLog(t, file); got != want {
		t.Errorf("termination log = %q; want %q", got, want)
	}
}
