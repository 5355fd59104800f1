package spawn

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// runSpec forks spec with its stdio on a pipe and returns what the child
// wrote and its exit status. The child is reaped here, with a deadline.
func runSpec(t *testing.T, spec *forkSpec) (string, int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	spec.stdio = int(w.Fd())
	pid, err := forkExec(spec)
	w.Close()
	if err != nil {
		t.Fatalf("forkExec %q: %v", spec.argv, err)
	}
	_ = r.SetReadDeadline(time.Now().Add(10 * time.Second))
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read the output of %q: %v", spec.argv, err)
	}
	return string(out), waitPid(t, pid)
}

// waitPid reaps pid, polling for at most ten seconds, and returns its exit
// status.
func waitPid(t *testing.T, pid int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if err != nil {
			t.Fatalf("wait4(%d): %v", pid, err)
		}
		if got == pid {
			return ws.ExitStatus()
		}
		if time.Now().After(deadline) {
			_ = unix.Kill(pid, unix.SIGKILL)
			t.Fatalf("child %d did not exit in 10s", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// statusField returns the value of a "Name:\tvalue" line of /proc/<pid>/status.
func statusField(t *testing.T, status, name string) string {
	t.Helper()
	for line := range strings.Lines(status) {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	t.Fatalf("no %s in:\n%s", name, status)
	return ""
}

// TestForkExecCleanSignals: the child starts with no signal blocked, no
// handler and none ignored, although the forking thread blocks signals the
// way every thread of tend blocks the queued ones, and tend ignores some.
func TestForkExecCleanSignals(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var set, old unix.Sigset_t
	bits := int(unsafe.Sizeof(set.Val[0])) * 8
	for _, n := range []int{int(unix.SIGUSR1), 40} {
		set.Val[(n-1)/bits] |= 1 << ((n - 1) % bits)
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old); err != nil {
		t.Fatal(err)
	}
	defer unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	// Signal 34 has no Go handler, so ignoring it here changes nothing
	// else in the test binary; tend ignores it too.
	ignore(t, 34)

	out, st := runSpec(t, &forkSpec{path: "/bin/cat", argv: []string{"cat", "/proc/self/status"}})
	if st != 0 {
		t.Fatalf("cat exited %d", st)
	}
	for _, f := range []string{"SigBlk", "SigCgt", "SigIgn"} {
		if v := statusField(t, out, f); v != "0000000000000000" {
			t.Errorf("the child's %s is %s; want none", f, v)
		}
	}
}

// ignore sets sig to SIG_IGN for the rest of the test.
func ignore(t *testing.T, sig int) {
	t.Helper()
	var act, old [8]uintptr
	act[0] = 1 // SIG_IGN
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), uintptr(unsafe.Pointer(&old)), 8, 0, 0); e != 0 {
		t.Fatalf("rt_sigaction %d: %v", sig, e)
	}
	t.Cleanup(func() {
		unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
	})
}

// TestForkExecGroups: setsid and setpgid make the child the leader of a new
// session or process group.
func TestForkExecGroups(t *testing.T) {
	sid, err := unix.Getsid(0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name            string
		setsid, setpgid bool
		wantSid         func(pid int) int
		wantPgid        func(pid int) int
	}{
		{"setsid", true, false, func(pid int) int { return pid }, func(pid int) int { return pid }},
		{"setpgid", false, true, func(int) int { return sid }, func(pid int) int { return pid }},
		{"neither", false, false, func(int) int { return sid }, func(int) int { return unix.Getpgrp() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, st := runSpec(t, &forkSpec{path: "/bin/cat", argv: []string{"cat", "/proc/self/stat"}, setsid: tt.setsid, setpgid: tt.setpgid})
			if st != 0 {
				t.Fatalf("cat exited %d", st)
			}
			// pid (comm) state ppid pgrp session ...
			f := strings.Fields(out[strings.LastIndexByte(out, ')')+1:])
			pid, _ := strconv.Atoi(strings.Fields(out)[0])
			if got, want := f[2], strconv.Itoa(tt.wantPgid(pid)); got != want {
				t.Errorf("process group %s; want %s", got, want)
			}
			if got, want := f[3], strconv.Itoa(tt.wantSid(pid)); got != want {
				t.Errorf("session %s; want %s", got, want)
			}
		})
	}
}

// TestForkExecFileLimit: a child gets the RLIMIT_NOFILE tend was started
// with, not the one the Go runtime raised.
func TestForkExecFileLimit(t *testing.T) {
	var cur unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &cur); err != nil {
		t.Fatal(err)
	}
	if cur.Max < 100 {
		t.Skipf("RLIMIT_NOFILE hard limit is %d; the test sets the soft one to 100", cur.Max)
	}
	saved := childFileLimit
	childFileLimit = &unix.Rlimit{Cur: 100, Max: cur.Max}
	defer func() { childFileLimit = saved }()

	out, st := runSpec(t, &forkSpec{path: "/bin/cat", argv: []string{"cat", "/proc/self/limits"}})
	if st != 0 {
		t.Fatalf("cat exited %d", st)
	}
	for line := range strings.Lines(out) {
		if f, ok := strings.CutPrefix(line, "Max open files"); ok {
			if got := strings.Fields(f); got[0] != "100" {
				t.Errorf("the child's soft RLIMIT_NOFILE is %s; want 100", got[0])
			}
			return
		}
	}
	t.Fatalf("no open files limit in:\n%s", out)
}

// TestForkExecCredentials: the child runs with the uid, gid and
// supplementary groups asked for, all of them.
func TestForkExecCredentials(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to change credentials")
	}
	cred := &syscall.Credential{Uid: 65534, Gid: 65533, Groups: []uint32{65533, 65532}}
	out, st := runSpec(t, &forkSpec{path: "/bin/cat", argv: []string{"cat", "/proc/self/status"}, cred: cred})
	if st != 0 {
		t.Fatalf("cat exited %d", st)
	}
	for _, c := range []struct{ field, want string }{
		{"Uid", "65534 65534 65534 65534"},
		{"Gid", "65533 65533 65533 65533"},
		{"Groups", "65532 65533"},
	} {
		if got := statusField(t, out, c.field); got != c.want {
			t.Errorf("the child's %s: %q; want %q", c.field, got, c.want)
		}
	}
}

// TestForkExecErrors: what fails in the child comes back with the step and
// the errno, and the child that failed is collected already.
func TestForkExecErrors(t *testing.T) {
	dir := t.TempDir()
	noExec := filepath.Join(dir, "noexec")
	if err := os.WriteFile(noExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	type test struct {
		name  string
		spec  forkSpec
		step  childStep
		errno syscall.Errno
		msg   string
		// Only a failing execve is the command's fault (126, 127); every
		// step before it is tend's own set-up failing (125), and its
		// message names the value (issue 12).
		code int // StartError{Err: err}.ExitCode()
	}
	tests := []test{
		{"missing program", forkSpec{path: filepath.Join(dir, "missing"), argv: []string{"missing"}},
			stepExec, unix.ENOENT, "no such file or directory", ExitNotFound},
		{"not executable", forkSpec{path: noExec, argv: []string{"noexec"}},
			stepExec, unix.EACCES, "permission denied", ExitNoExec},
		{"missing directory", forkSpec{path: "/bin/true", argv: []string{"true"}, dir: filepath.Join(dir, "missing")},
			stepChdir, unix.ENOENT, fmt.Sprintf("chdir %q: no such file or directory", filepath.Join(dir, "missing")), ExitUsage},
		{"not a directory", forkSpec{path: "/bin/true", argv: []string{"true"}, dir: noExec},
			stepChdir, unix.ENOTDIR, fmt.Sprintf("chdir %q: not a directory", noExec), ExitUsage},
		{"bad stdio", forkSpec{path: "/bin/true", argv: []string{"true"}, stdio: 1 << 20},
			stepStdio, unix.EBADF, "dup fd 1048576 onto stdio: bad file descriptor", ExitUsage},
	}
	if os.Geteuid() == 0 {
		// The directory is root's alone: the child, already nobody, may
		// not enter it.
		private := filepath.Join(dir, "private")
		if err := os.Mkdir(private, 0o700); err != nil {
			t.Fatal(err)
		}
		tests = append(tests, test{"directory closed to the user", forkSpec{path: "/bin/true", argv: []string{"true"}, dir: private,
			cred: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{65534}}},
			stepChdir, unix.EACCES, fmt.Sprintf("chdir %q: permission denied", private), ExitUsage})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.spec.stdio == 0 {
				tt.spec.stdio = -1
			}
			pid, err := forkExec(&tt.spec)
			var ce *childError
			if !errors.As(err, &ce) {
				t.Fatalf("forkExec: %v; want a child error", err)
			}
			if ce.step != tt.step || !errors.Is(err, tt.errno) || err.Error() != tt.msg {
				t.Errorf("forkExec: step %d, %q; want step %d, %q (%v)", ce.step, err, tt.step, tt.msg, tt.errno)
			}
			if code := (&StartError{Name: "prog", Err: err}).ExitCode(); code != tt.code {
				t.Errorf("StartError{%q}.ExitCode() = %d; want %d", err, code, tt.code)
			}
			// Already collected: no zombie is left behind.
			if got, err := unix.Wait4(pid, nil, unix.WNOHANG, nil); !errors.Is(err, unix.ECHILD) {
				t.Errorf("wait4(%d) after a failed start = %d, %v; want ECHILD (forkExec collects the child)", pid, got, err)
			}
		})
	}
}

// TestForkExecArgvEnv: the program gets its argv and environment as given.
func TestForkExecArgvEnv(t *testing.T) {
	out, st := runSpec(t, &forkSpec{
		path: "/bin/sh",
		argv: []string{"sh", "-c", `printf '%s|%s|%s' "$0" "$1" "$TEND_FORK_TEST"`, "zero", "first arg"},
		env:  []string{"TEND_FORK_TEST=a b"},
	})
	if want := "zero|first arg|a b"; st != 0 || out != want {
		t.Errorf("sh printed %q, exit %d; want %q, 0", out, st, want)
	}
}

// TestForkExecListenPid: with listenPid, LISTEN_PID holds the child's own
// pid, once, whatever tend's environment said.
func TestForkExecListenPid(t *testing.T) {
	out, st := runSpec(t, &forkSpec{
		path:      "/bin/sh",
		argv:      []string{"sh", "-c", `echo "$$ $LISTEN_PID $(env | grep -c ^LISTEN_PID=) $OTHER"`},
		env:       []string{"LISTEN_PID=4242", "OTHER=kept", "LISTEN_FDS=1"},
		listenPid: true,
	})
	f := strings.Fields(out)
	if st != 0 || len(f) != 4 || f[0] != f[1] || f[2] != "1" || f[3] != "kept" {
		t.Errorf("sh printed %q (exit %d); want its pid twice, 1 LISTEN_PID entry, OTHER kept", out, st)
	}
}

// TestForkExecWatchdogPid: with watchdogPid, and with listenPid too,
// each variable holds the child's own pid, once.
func TestForkExecWatchdogPid(t *testing.T) {
	tests := []struct {
		name      string
		listenPid bool
	}{
		{name: "watchdog alone"},
		{name: "with LISTEN_PID", listenPid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, st := runSpec(t, &forkSpec{
				path:        "/bin/sh",
				argv:        []string{"sh", "-c", `echo "$$ $WATCHDOG_PID $(env | grep -c ^WATCHDOG_PID=) ${LISTEN_PID:-$$}"`},
				env:         []string{"WATCHDOG_PID=4242", "LISTEN_PID=4243"},
				listenPid:   tt.listenPid,
				watchdogPid: true,
			})
			f := strings.Fields(out)
			if tt.listenPid && len(f) == 4 && f[3] == "4243" {
				t.Errorf("LISTEN_PID kept tend's value: %q", out)
			}
			if st != 0 || len(f) != 4 || f[0] != f[1] || f[2] != "1" || tt.listenPid && f[3] != f[0] {
				t.Errorf("sh printed %q (exit %d); want its pid in WATCHDOG_PID (one entry) and, with listenPid, in LISTEN_PID", out, st)
			}
		})
	}
}

// TestForkExecCloseExtra: a descriptor tend inherited without close-on-exec
// reaches a program started without closeExtra (the main child), and not
// one started with it (a probe).
func TestForkExecCloseExtra(t *testing.T) {
	fd, err := unix.Open("/dev/null", unix.O_RDONLY, 0) // no O_CLOEXEC: as if inherited
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	for _, closeExtra := range []bool{false, true} {
		t.Run(fmt.Sprintf("closeExtra=%v", closeExtra), func(t *testing.T) {
			out, st := runSpec(t, &forkSpec{path: "/bin/sh", argv: []string{"sh", "-c", fmt.Sprintf("test -e /proc/self/fd/%d && echo open || echo closed", fd)}, closeExtra: closeExtra})
			want := "open\n"
			if closeExtra {
				want = "closed\n"
			}
			if st != 0 || out != want {
				t.Errorf("fd %d in the child: %q (exit %d); want %q", fd, out, st, want)
			}
		})
	}
}
