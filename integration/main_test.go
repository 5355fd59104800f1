//go:build linux

package integration

// The harness: TestMain's role dispatch, the tend build, and the functions
// that start tend as PID 1 of a new PID namespace (startPID1) or as an
// ordinary child (startTend), read its output with deadlines and end every
// process it started.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The environment variables of the harness. They start with TEND_TEST_ so
// that tend, which reads TEND_<OPTION>, has no option of that name.
const (
	// roleEnv selects what the test binary does when it is re-executed:
	// "pid1", "exec" and "parent" start tend (see rolePID1, roleExec and
	// roleParent), "helper" runs the workload named by the first argument,
	// "helper-NAME" runs NAME.
	roleEnv = "TEND_TEST_ROLE"
	// sigBlockEnv and sigIgnoreEnv list signal numbers (comma-separated)
	// that the roles pid1 and exec block and ignore before they exec tend.
	sigBlockEnv  = "TEND_TEST_SIGBLOCK"
	sigIgnoreEnv = "TEND_TEST_SIGIGN"
	// sigRaiseEnv lists signals made pending, process-wide, just before
	// tend starts (see raiseScript).
	sigRaiseEnv = "TEND_TEST_SIGRAISE"
	// requireNSEnv set to 1 turns a namespace test that cannot run into a
	// failure instead of a skip (CI runs as root).
	requireNSEnv = "TEND_TEST_REQUIRE_NS"
	// binEnv names a prebuilt tend to test instead of building one.
	binEnv = "TEND_TEST_BIN"
	// noProcEnv set to 1 makes the role exec, started in a mount
	// namespace of its own, unmount /proc before it execs tend.
	noProcEnv = "TEND_TEST_NOPROC"
	// devTermLogEnv names a file that the role pid1 shows tend as
	// /dev/termination-log (see devTermLog); cgroupEnv a cgroup directory
	// that the role exec moves itself into before it execs tend.
	devTermLogEnv = "TEND_TEST_DEVTERMLOG"
	cgroupEnv     = "TEND_TEST_CGROUP"
)

// harnessPrefix starts every line the harness roles print on failure, so a
// test can tell a broken harness from a failing tend.
const harnessPrefix = "tend-test-harness: "

var (
	// tendBin is the absolute path of the tend binary under test, built once
	// by TestMain (or named by TEND_TEST_BIN).
	tendBin string
	// testBin is the absolute path of this test binary, which helper
	// workloads re-execute (see helperArgv).
	testBin string
)

func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(runRole(role, os.Args[1:]))
	}
	os.Exit(runTests(m))
}

// runTests builds tend, runs the tests and removes the build.
func runTests(m *testing.M) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration: find test binary: %v\n", err)
		return 1
	}
	testBin = exe
	if bin := os.Getenv(binEnv); bin != "" {
		if tendBin, err = filepath.Abs(bin); err != nil {
			fmt.Fprintf(os.Stderr, "integration: %s: %v\n", binEnv, err)
			return 1
		}
		return m.Run()
	}
	tmp, err := os.MkdirTemp("", "tend-integration-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil { // tend runs children as other users
		fmt.Fprintf(os.Stderr, "integration: %v\n", err)
		return 1
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration: %v\n", err)
		return 1
	}
	tendBin = filepath.Join(tmp, "tend")
	build := exec.Command("go", "build", "-o", tendBin, "./cmd/tend")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "integration: go build ./cmd/tend: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// moduleRoot finds the directory holding go.mod, starting from the working
// directory (integration/ under go test).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// runRole runs this re-executed test binary in the role named by roleEnv.
func runRole(role string, args []string) int {
	name := strings.TrimPrefix(role, "helper-")
	switch {
	case role == "pid1":
		return rolePID1(args)
	case role == "exec":
		return roleExec(args)
	case role == "parent":
		return roleParent(args)
	case role == "helper":
		if len(args) == 0 {
			fmt.Fprintln(os.Stderr, harnessPrefix+"helper: no helper name")
			return 2
		}
		name, args = args[0], args[1:]
	case name == role:
		fmt.Fprintf(os.Stderr, harnessPrefix+"unknown role %q\n", role)
		return 2
	}
	h, ok := helpers[name]
	if !ok {
		fmt.Fprintf(os.Stderr, harnessPrefix+"unknown helper %q\n", name)
		return 2
	}
	return h(args)
}

// rolePID1 runs as PID 1 of a new PID and mount namespace (startPID1 cloned
// it so): it makes every mount private, so that nothing it mounts leaks to
// the host, mounts a /proc that shows the new namespace, and execs tend with
// args, so that tend is the namespace's real init with a correct /proc.
func rolePID1(args []string) int {
	if os.Getpid() != 1 {
		fmt.Fprintf(os.Stderr, harnessPrefix+"pid1: running as pid %d, not 1\n", os.Getpid())
		return 2
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"pid1: make / private: %v\n", err)
		return 2
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"pid1: mount /proc: %v\n", err)
		return 2
	}
	if f := os.Getenv(devTermLogEnv); f != "" {
		if err := devTermLog(f); err != nil {
			fmt.Fprintf(os.Stderr, harnessPrefix+"pid1: /dev/termination-log: %v\n", err)
			return 2
		}
	}
	return roleExec(args)
}

// roleExec blocks and ignores the signals listed in sigBlockEnv and
// sigIgnoreEnv, as a careless parent would, unmounts /proc with
// noProcEnv, and execs args[0] with args
// (tend), with roleEnv set to "helper" for the workloads tend starts.
func roleExec(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, harnessPrefix+"exec: no command")
		return 2
	}
	// The blocked mask is per thread, and execve takes the calling thread's.
	runtime.LockOSThread()
	ignore, err := parseSigList(os.Getenv(sigIgnoreEnv))
	if err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"exec: %s: %v\n", sigIgnoreEnv, err)
		return 2
	}
	for _, s := range ignore {
		signal.Ignore(s) // SIG_IGN survives execve
	}
	block, err := parseSigList(os.Getenv(sigBlockEnv))
	if err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"exec: %s: %v\n", sigBlockEnv, err)
		return 2
	}
	if len(block) > 0 {
		var set unix.Sigset_t
		for _, s := range block {
			sigaddset(&set, s)
		}
		if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
			fmt.Fprintf(os.Stderr, harnessPrefix+"exec: block signals: %v\n", err)
			return 2
		}
	}
	if raise := os.Getenv(sigRaiseEnv); raise != "" {
		// A Go process cannot make a signal pending process-wide: its other
		// threads do not block it. Perl, single-threaded, inherits this
		// thread's mask, sends the signals to itself and execs tend.
		args = append([]string{"/usr/bin/perl", "-e", raiseScript, raise}, args...)
	}
	if dir := os.Getenv(cgroupEnv); dir != "" {
		// "0" is the writer: the whole process, every thread, moves.
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte("0"), 0); err != nil {
			fmt.Fprintf(os.Stderr, harnessPrefix+"exec: join cgroup: %v\n", err)
			return 2
		}
	}
	if os.Getenv(noProcEnv) == "1" {
		if err := unix.Unmount("/proc", unix.MNT_DETACH); err != nil {
			fmt.Fprintf(os.Stderr, harnessPrefix+"exec: unmount /proc: %v\n", err)
			return 2
		}
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, sigBlockEnv+"=") || strings.HasPrefix(kv, sigIgnoreEnv+"=") ||
			strings.HasPrefix(kv, sigRaiseEnv+"=") || strings.HasPrefix(kv, roleEnv+"=") ||
			strings.HasPrefix(kv, noProcEnv+"=") || strings.HasPrefix(kv, devTermLogEnv+"=") ||
			strings.HasPrefix(kv, cgroupEnv+"=")
	})
	env = append(env, roleEnv+"=helper")
	err = syscall.Exec(args[0], args, env)
	fmt.Fprintf(os.Stderr, harnessPrefix+"exec %s: %v\n", args[0], err)
	return 2
}

// raiseScript, run by perl with the signal numbers (comma-separated) and a
// command line, sends each signal to itself, where it stays pending when
// blocked, and execs the command line: like a single-threaded parent (a
// shell, runc's init) that got a signal while it blocked it.
const raiseScript = `kill($_, $$) or die "kill $_: $!" for split /,/, shift @ARGV; exec {$ARGV[0]} @ARGV or die "exec $ARGV[0]: $!"`

// roleParent starts args as its child with its own stdio, prints "parent
// child=PID", and waits, until killed, so that a test can make the parent of
// tend die (--pdeathsig).
func roleParent(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, harnessPrefix+"parent: no command")
		return 2
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, roleEnv+"=")
	}), roleEnv+"=helper")
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"parent: %v\n", err)
		return 2
	}
	fmt.Printf("parent child=%d\n", cmd.Process.Pid)
	if err := cmd.Wait(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return exitErr.ExitCode()
		}
		return 2
	}
	return 0
}

// devTermLog gives this mount namespace a /dev of its own, a tmpfs with
// the usual character devices, and bind-mounts file on
// /dev/termination-log, as a Kubernetes runtime does; the host's /dev is
// not touched. mknod needs real root.
func devTermLog(file string) error {
	if err := unix.Mount("tmpfs", "/dev", "tmpfs", unix.MS_NOSUID, "mode=755"); err != nil {
		return err
	}
	for _, d := range []struct {
		name         string
		major, minor uint32
	}{{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}} {
		if err := unix.Mknod("/dev/"+d.name, unix.S_IFCHR|0o666, int(unix.Mkdev(d.major, d.minor))); err != nil {
			return err
		}
	}
	if err := os.WriteFile("/dev/termination-log", nil, 0o644); err != nil {
		return err
	}
	return unix.Mount(file, "/dev/termination-log", "", unix.MS_BIND, "")
}

// sigaddset adds s to set, in the kernel's layout (bit s-1).
func sigaddset(set *unix.Sigset_t, s unix.Signal) {
	n := uint(s) - 1
	set.Val[n/64] |= 1 << (n % 64)
}

// parseSigList parses "10,2,15".
func parseSigList(s string) ([]unix.Signal, error) {
	var sigs []unix.Signal
	for f := range strings.SplitSeq(s, ",") {
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, unix.Signal(n))
	}
	return sigs, nil
}

func formatSigList(sigs []unix.Signal) string {
	f := make([]string, len(sigs))
	for i, s := range sigs {
		f[i] = strconv.Itoa(int(s))
	}
	return strings.Join(f, ",")
}

// helperArgv is the command line that runs the helper workload name (see
// helpers in helpers_test.go) under tend: the test binary with the helper's
// name as first argument. The harness sets roleEnv=helper in tend's
// environment, and tend's children inherit it.
func helperArgv(name string, args ...string) []string {
	return append([]string{testBin, name}, args...)
}

// runOpts configures one run of tend by startPID1 or startTend. The zero
// value runs tend with stdin on /dev/null and stdout and stderr captured.
type runOpts struct {
	// Env is added to tend's environment (KEY=VALUE). Every TEND_* variable
	// of the test's own environment is removed first, except the harness's
	// TEND_TEST_*.
	Env []string
	// Stdin is tend's stdin; nil means /dev/null.
	Stdin io.Reader
	// ExtraFiles become fds 3, 4, … in tend.
	ExtraFiles []*os.File
	// TTY, when set, is tend's stdin, stdout and stderr and the controlling
	// terminal of a new session (Setsid, Setctty); stdout and stderr are then
	// not captured: read the terminal's master instead.
	TTY *os.File
	// SigBlock and SigIgnore are blocked and ignored by tend's parent just
	// before it execs tend (they are inherited through execve); SigRaise
	// are then sent to the process (pending if blocked too; needs perl).
	SigBlock, SigIgnore, SigRaise []unix.Signal
	// Dir is tend's working directory; empty means the test's.
	Dir string
	// NoProc runs tend (startTend only) in a mount namespace of its own
	// with no /proc.
	NoProc bool
	// DevTermLog (startPID1 only, as root) is a file of the test that tend
	// sees as /dev/termination-log, on a /dev of its own (see devTermLog).
	DevTermLog string
	// Cgroup is a cgroup directory (v1 or v2) that tend's parent joins
	// just before it execs tend, so that tend starts in it.
	Cgroup string
	// ForeignProc runs tend (startTend only) as pid 2 of a new PID
	// namespace whose PID 1 is the test binary in role parent, with the
	// host's /proc: a /proc whose pids are not tend's. Pids tend's
	// children print are then not the test's.
	ForeignProc bool
}

// tendProc is one running tend started by startPID1 or startTend. Its
// stdout and stderr are captured in full; stdout can also be consumed line
// by line with nextLine and expectLine.
type tendProc struct {
	t      testing.TB
	cmd    *exec.Cmd
	pid1   bool
	stdout *output
	stderr *output

	done chan struct{} // closed when cmd.Wait has returned
	err  error         // cmd.Wait's error, valid after done
}

// namespaceAttr starts a process as PID 1 of new PID and mount namespaces,
// killed if the test binary dies. Without root a user namespace grants the
// rest (Go's whoamiNEWUSER).
func namespaceAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS,
		Pdeathsig:  syscall.SIGKILL,
	}
	if os.Geteuid() != 0 {
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	return attr
}

// startPID1 starts tend with args as PID 1 of a new PID and mount namespace
// (the test binary in role pid1 execs tend), in its own process group. A
// t.Cleanup SIGKILLs it (the kernel then kills everything in the
// namespace) and waits for it. If the namespace cannot be created, the test
// is skipped, or fails when TEND_TEST_REQUIRE_NS=1.
func startPID1(t testing.TB, opts runOpts, args ...string) *tendProc {
	t.Helper()
	argv := append([]string{testBin, tendBin}, args...)
	attr := namespaceAttr()
	env := append(tendEnv(opts.Env), roleEnv+"=pid1")
	if len(opts.SigBlock) > 0 {
		env = append(env, sigBlockEnv+"="+formatSigList(opts.SigBlock))
	}
	if len(opts.SigIgnore) > 0 {
		env = append(env, sigIgnoreEnv+"="+formatSigList(opts.SigIgnore))
	}
	if len(opts.SigRaise) > 0 {
		env = append(env, sigRaiseEnv+"="+formatSigList(opts.SigRaise))
	}
	if opts.DevTermLog != "" {
		env = append(env, devTermLogEnv+"="+opts.DevTermLog)
	}
	if opts.Cgroup != "" {
		env = append(env, cgroupEnv+"="+opts.Cgroup)
	}
	p := start(t, true, argv, env, attr, opts)
	p.waitExec()
	return p
}

// startTend starts tend with args as an ordinary child of the test (not
// PID 1, so tend is a child subreaper unless told otherwise), in its own
// process group. With SigBlock, SigIgnore or SigRaise the test binary in
// role exec starts it. A t.Cleanup SIGKILLs tend and its descendants if
// tend still runs.
func startTend(t testing.TB, opts runOpts, args ...string) *tendProc {
	t.Helper()
	argv := append([]string{tendBin}, args...)
	env := append(tendEnv(opts.Env), roleEnv+"=helper")
	attr := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if len(opts.SigBlock) > 0 || len(opts.SigIgnore) > 0 || len(opts.SigRaise) > 0 || opts.NoProc {
		argv = append([]string{testBin}, argv...)
		env = append(env, roleEnv+"=exec",
			sigBlockEnv+"="+formatSigList(opts.SigBlock),
			sigIgnoreEnv+"="+formatSigList(opts.SigIgnore),
			sigRaiseEnv+"="+formatSigList(opts.SigRaise))
	}
	if opts.NoProc {
		// Go makes every mount of the new namespace private, so the
		// unmount does not reach the host.
		attr.Unshareflags = syscall.CLONE_NEWNS
		env = append(env, noProcEnv+"=1")
	}
	if opts.ForeignProc {
		argv = append([]string{testBin}, argv...)
		env = append(env, roleEnv+"=parent")
		attr.Cloneflags = syscall.CLONE_NEWPID
	}
	p := start(t, false, argv, env, attr, opts)
	if argv[0] != tendBin {
		p.waitExec()
	}
	return p
}

// waitExec waits until the harness role has exec'd tend (or has exited).
// Until then a signal would hit the harness, and /proc/<pid>/root/proc
// would still be the host's /proc.
func (p *tendProc) waitExec() {
	p.t.Helper()
	want, err := os.Stat(tendBin)
	if err != nil {
		p.t.Fatal(err)
	}
	exe := fmt.Sprintf("/proc/%d/exe", p.pid())
	waitFor(p.t, 10*time.Second, "the harness to exec tend", func() bool {
		got, err := os.Stat(exe)
		return p.exited() || err == nil && os.SameFile(got, want)
	})
}

// tendEnv is the test's environment without its TEND_* variables (only the
// harness's own TEND_TEST_* stay), plus extra.
func tendEnv(extra []string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "TEND_") && !strings.HasPrefix(kv, "TEND_TEST_") ||
			strings.HasPrefix(kv, roleEnv+"=")
	})
	return append(env, extra...)
}

func start(t testing.TB, pid1 bool, argv, env []string, attr *syscall.SysProcAttr, opts runOpts) *tendProc {
	t.Helper()
	p := &tendProc{t: t, pid1: pid1, stdout: newOutput(), stderr: newOutput(), done: make(chan struct{})}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = opts.Dir
	cmd.ExtraFiles = opts.ExtraFiles
	cmd.SysProcAttr = attr
	if opts.TTY != nil {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = opts.TTY, opts.TTY, opts.TTY
		attr.Setsid, attr.Setctty, attr.Ctty = true, true, 0
		p.stdout.close()
		p.stderr.close()
	} else {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = opts.Stdin, p.stdout, p.stderr
		attr.Setpgid = true
	}
	// Leftover processes may hold stdout open after tend is gone: do not let
	// Wait block on them forever.
	cmd.WaitDelay = 5 * time.Second
	p.cmd = cmd
	if err := cmd.Start(); err != nil {
		if pid1 && (errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSPC)) {
			if os.Getenv(requireNSEnv) == "1" {
				t.Fatalf("cannot create a PID namespace (%s=1): %v", requireNSEnv, err)
			}
			t.Skipf("cannot create a PID namespace (needs root or user namespaces; set %s=1 to fail instead): %v", requireNSEnv, err)
		}
		t.Fatalf("start %s: %v", argv[0], err)
	}
	go func() {
		p.err = cmd.Wait()
		p.stdout.close()
		p.stderr.close()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

// pid is tend's pid in the test's PID namespace.
func (p *tendProc) pid() int { return p.cmd.Process.Pid }

// exited reports whether tend has exited (and been waited for).
func (p *tendProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill ends tend and everything it started: as PID 1, SIGKILL to tend makes
// the kernel kill the whole namespace; otherwise tend's descendants are
// found under /proc and killed by pid, and tend's process group too. It
// then waits (bounded) for tend. startPID1 and startTend register it with
// t.Cleanup.
func (p *tendProc) kill() {
	if !p.exited() {
		pid := p.pid()
		var desc []int
		if !p.pid1 {
			desc = descendants(pid)
		}
		_ = unix.Kill(pid, unix.SIGKILL)
		if p.cmd.SysProcAttr.Setpgid {
			_ = unix.Kill(-pid, unix.SIGKILL)
		}
		for _, d := range desc {
			_ = unix.Kill(d, unix.SIGKILL)
		}
	}
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.t.Errorf("tend (pid %d) still not gone 15s after SIGKILL", p.pid())
	}
}

// signal sends sig to tend.
func (p *tendProc) signal(sig unix.Signal) {
	p.t.Helper()
	if sig >= 35 {
		p.awaitRealtime(sig)
	}
	if err := unix.Kill(p.pid(), sig); err != nil {
		p.t.Fatalf("kill(%d, %v): %v", p.pid(), sig, err)
	}
}

// awaitRealtime waits until tend takes the real-time signal sig: tend
// registers those in the background while its child starts (see
// signals.Notify), and the Go runtime drops one that comes before. The
// kernel shows it: sig is caught (SigCgt) or, with --queue-signals,
// blocked for the signalfd (SigBlk).
func (p *tendProc) awaitRealtime(sig unix.Signal) {
	p.t.Helper()
	status := fmt.Sprintf("/proc/%d/status", p.pid())
	bit := uint64(1) << (sig - 1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(status)
		if err != nil {
			return // tend is gone: kill will say so
		}
		cgt, _ := maskField(string(b), "SigCgt")
		blk, _ := maskField(string(b), "SigBlk")
		if (cgt|blk)&bit != 0 {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("tend (pid %d) did not take %s within 10s", p.pid(), sigName(sig))
		}
		time.Sleep(time.Millisecond) // polling the kernel's view, with a deadline
	}
}

// wait waits up to d for tend to exit and returns its exit status. It fails
// the test if tend is still running at d or was killed by a signal.
func (p *tendProc) wait(d time.Duration) int {
	p.t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		p.t.Fatalf("tend %q still running after %v\nstdout:\n%s\nstderr:\n%s", p.cmd.Args, d, p.stdout, p.stderr)
	}
	var exitErr *exec.ExitError
	switch {
	case p.err == nil:
		return 0
	case errors.As(p.err, &exitErr):
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.t.Fatalf("tend %q was killed by %v (it must never die of a signal)\nstderr:\n%s", p.cmd.Args, ws.Signal(), p.stderr)
		}
		if strings.Contains(p.stderr.String(), harnessPrefix) {
			p.t.Fatalf("harness failure: %s", p.stderr)
		}
		return exitErr.ExitCode()
	default:
		p.t.Fatalf("wait for tend: %v", p.err)
		return -1
	}
}

// waitStatus waits like wait and fails the test unless tend exited with want.
func (p *tendProc) waitStatus(d time.Duration, want int) {
	p.t.Helper()
	if got := p.wait(d); got != want {
		p.t.Fatalf("tend %q exited %d; want %d\nstdout:\n%s\nstderr:\n%s", p.cmd.Args[1:], got, want, p.stdout, p.stderr)
	}
}

// lineTimeout bounds every wait for one line of output.
const lineTimeout = 10 * time.Second

// nextLine returns tend's next line of stdout, waiting up to lineTimeout.
func (p *tendProc) nextLine() (string, error) { return p.stdout.nextLine(lineTimeout) }

// expectLine fails the test unless tend's next line of stdout is want.
func (p *tendProc) expectLine(want string) {
	p.t.Helper()
	got, err := p.nextLine()
	if err != nil {
		p.t.Fatalf("waiting for stdout line %q: %v\nstdout so far:\n%s\nstderr:\n%s", want, err, p.stdout, p.stderr)
	}
	if got != want {
		p.t.Fatalf("stdout line = %q; want %q\nstdout so far:\n%s\nstderr:\n%s", got, want, p.stdout, p.stderr)
	}
}

// expectLines fails the test unless the next len(want) lines of stdout are
// want in any order.
func (p *tendProc) expectLines(want ...string) {
	p.t.Helper()
	p.expectLinesSkipping(nil, want...)
}

// shutdownNoise are the lines a trap helper labelled label prints for what
// a shutdown may send besides the signal a test waits for: SIGTERM (tend
// may send it twice, forwarded and as the shutdown's own) and SIGCONT
// (sent with SIGTERM so that a stopped process can act on it).
func shutdownNoise(label string) []string {
	return []string{labelled(label, "SIGTERM"), labelled(label, "SIGCONT")}
}

// expectLinesSkipping is expectLines that ignores lines in skip (unless
// wanted).
func (p *tendProc) expectLinesSkipping(skip []string, want ...string) {
	p.t.Helper()
	rest := slices.Clone(want)
	for len(rest) > 0 {
		got, err := p.nextLine()
		if err != nil {
			p.t.Fatalf("waiting for stdout lines %q: %v\nstdout so far:\n%s\nstderr:\n%s", rest, err, p.stdout, p.stderr)
		}
		i := slices.Index(rest, got)
		if i < 0 && slices.Contains(skip, got) {
			continue
		}
		if i < 0 {
			p.t.Fatalf("stdout line = %q; want one of %q\nstdout so far:\n%s\nstderr:\n%s", got, rest, p.stdout, p.stderr)
		}
		rest = slices.Delete(rest, i, i+1)
	}
}

// expectReady reads the next stdout line, which must be the ready line of
// the trap helper labelled label ("LABEL ready pid=N"), and returns N (the
// pid in tend's PID namespace).
func (p *tendProc) expectReady(label string) int {
	p.t.Helper()
	got, err := p.nextLine()
	if err != nil {
		p.t.Fatalf("waiting for %q to be ready: %v\nstdout so far:\n%s\nstderr:\n%s", label, err, p.stdout, p.stderr)
	}
	pid, ok := parseReady(got, label)
	if !ok {
		p.t.Fatalf("stdout line = %q; want %q\nstdout so far:\n%s\nstderr:\n%s", got, readyLine(label, 0), p.stdout, p.stderr)
	}
	return pid
}

// parseReady parses the ready line of the trap helper labelled label.
func parseReady(line, label string) (int, bool) {
	prefix := strings.TrimSuffix(readyLine(label, 0), "0")
	if !strings.HasPrefix(line, prefix) {
		return 0, false
	}
	pid, err := strconv.Atoi(line[len(prefix):])
	return pid, err == nil
}

// nsProcs lists the processes of tend's PID namespace (tend started by
// startPID1): /proc/<tend>/root resolves in tend's mount namespace, where
// rolePID1 mounted a /proc of the new PID namespace, so pids and ppids are
// as seen inside (tend is 1).
func (p *tendProc) nsProcs() []procStat {
	p.t.Helper()
	if !p.pid1 {
		p.t.Fatal("nsProcs: tend is not PID 1 of a namespace")
	}
	return readProcs(fmt.Sprintf("/proc/%d/root/proc", p.pid()))
}

// nsenterArgs are the nsenter(1) options that join tend's PID and mount
// namespaces (tend started by startPID1), and its user namespace when the
// harness had to create one (not root).
func (p *tendProc) nsenterArgs() []string {
	args := []string{"--target", strconv.Itoa(p.pid()), "--pid", "--mount"}
	if p.cmd.SysProcAttr.Cloneflags&syscall.CLONE_NEWUSER != 0 {
		args = append(args, "--user", "--preserve-credentials")
	}
	return args
}

// procStat is one process's line of /proc/<pid>/stat.
type procStat struct {
	Pid, PPid, Pgrp, Session int
	State                    byte // R, S, D, Z, T…
	Comm                     string
}

func (s procStat) String() string {
	return fmt.Sprintf("%d(%s) %c ppid=%d pgrp=%d sid=%d", s.Pid, s.Comm, s.State, s.PPid, s.Pgrp, s.Session)
}

// readProcs reads the stat file of every process of the proc mount at dir.
// Processes that vanish while it reads are left out.
func readProcs(dir string) []procStat {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var ps []procStat
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if s, err := readStat(filepath.Join(dir, e.Name(), "stat")); err == nil {
			ps = append(ps, s)
		}
	}
	return ps
}

// readStat parses a /proc/<pid>/stat file. The command name may hold
// spaces and parentheses, so the fields start after the last ')'.
func readStat(path string) (procStat, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return procStat{}, err
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return procStat{}, fmt.Errorf("%s: malformed", path)
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 4 {
		return procStat{}, fmt.Errorf("%s: malformed", path)
	}
	var st procStat
	st.Pid, _ = strconv.Atoi(strings.TrimSpace(s[:open]))
	st.Comm = s[open+1 : end]
	st.State = f[0][0]
	st.PPid, _ = strconv.Atoi(f[1])
	st.Pgrp, _ = strconv.Atoi(f[2])
	st.Session, _ = strconv.Atoi(f[3])
	return st, nil
}

// zombies returns the processes of ps in state Z.
func zombies(ps []procStat) []procStat {
	return slices.DeleteFunc(slices.Clone(ps), func(s procStat) bool { return s.State != 'Z' })
}

// descendants lists every descendant of pid, found through
// /proc/<pid>/task/*/children (processes that move meanwhile may be missed).
func descendants(pid int) []int {
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", p))
		for _, task := range tasks {
			b, err := os.ReadFile(task)
			if err != nil {
				continue
			}
			for f := range strings.FieldsSeq(string(b)) {
				if c, err := strconv.Atoi(f); err == nil && !slices.Contains(out, c) {
					out = append(out, c)
					queue = append(queue, c)
				}
			}
		}
	}
	return out
}

// stopped reports whether pid is stopped (by SIGSTOP, SIGTSTP…).
func stopped(pid int) bool {
	s, err := readStat(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && s.State == 'T'
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	s, err := readStat(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && s.State != 'Z'
}

// waitFor polls cond every 10ms until it holds, and fails the test with
// what if it still does not hold after d.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !poll(d, cond) {
		t.Fatalf("timed out after %v waiting for %s", d, what)
	}
}

// poll polls cond every 10ms until it holds (true) or d has passed (false).
func poll(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
}

// output collects a stream (a child's stdout or stderr, a terminal's
// master) and lets a test consume it line by line with a deadline.
type output struct {
	mu      sync.Mutex
	buf     []byte
	off     int // start of the first line nextLine has not returned
	closed  bool
	changed chan struct{} // poked after every write and at close
}

func newOutput() *output { return &output{changed: make(chan struct{}, 1)} }

// Write appends b; exec.Cmd copies a child's stream here.
func (o *output) Write(b []byte) (int, error) {
	o.mu.Lock()
	o.buf = append(o.buf, b...)
	o.mu.Unlock()
	o.poke()
	return len(b), nil
}

// close marks the end of the stream.
func (o *output) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	o.poke()
}

func (o *output) poke() {
	select {
	case o.changed <- struct{}{}:
	default:
	}
}

// errLineTimeout is returned by nextLine when no line came in time.
var errLineTimeout = errors.New("timed out")

// nextLine returns the next complete line without "\n" or "\r\n", waiting
// up to d. At the end of the stream it returns io.EOF (a final unterminated
// line is returned first).
func (o *output) nextLine(d time.Duration) (string, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		o.mu.Lock()
		rest := o.buf[o.off:]
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			o.off += i + 1
			o.mu.Unlock()
			return strings.TrimSuffix(string(rest[:i]), "\r"), nil
		}
		if o.closed {
			o.off = len(o.buf)
			o.mu.Unlock()
			if len(rest) > 0 {
				return string(rest), nil
			}
			return "", io.EOF
		}
		o.mu.Unlock()
		select {
		case <-o.changed:
		case <-timer.C:
			return "", errLineTimeout
		}
	}
}

// bytes returns everything collected so far.
func (o *output) bytes() []byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.buf)
}

// String returns everything collected so far.
func (o *output) String() string { return string(o.bytes()) }

// tendLines returns the lines of s that tend itself logged ("tend: …").
func tendLines(s string) []string {
	var lines []string
	for l := range strings.Lines(s) {
		if strings.HasPrefix(l, "tend: ") {
			lines = append(lines, strings.TrimSuffix(l, "\n"))
		}
	}
	return lines
}
