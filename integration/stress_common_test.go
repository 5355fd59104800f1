//go:build stress && linux

package integration

// The stress and fault suite (issue 6), built with -tags stress: its
// shared pieces. Every TestStress* runs tend as PID 1 of a new namespace
// (startPID1, or startPID1Prelude when the namespace needs limits set
// before tend starts) and checks, besides its own scenario, that tend still
// forwards a signal afterwards, that no zombie is left in the namespace and
// that tend's memory stays within stressRSSBudget.
//
// The workloads specific to this suite are registered in the harness's
// helper table from init (see registerHelper); their names start with
// "stress-".

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// registerHelper adds a workload of this suite to the harness's helper
// table; each stress file calls it from init (package variables, helpers
// included, are initialised before any init runs).
func registerHelper(name string, h func(args []string) int) {
	if _, dup := helpers[name]; dup {
		panic("helper " + name + " registered twice")
	}
	helpers[name] = h
}

// stressRSSBudget bounds tend's peak resident memory (VmHWM) under a storm.
// The 4 MiB is the idle target, measured by the benchmarks; this is
// a loose bound that still catches a leak proportional to the storm.
const stressRSSBudget = 32 << 20

// quietTimeout bounds the time for a namespace to be reaped clean after a
// storm, on a loaded two-core machine.
const quietTimeout = 60 * time.Second

// size returns short under -short and full otherwise.
func size[T any](full, short T) T {
	if testing.Short() {
		return short
	}
	return full
}

// memUsage is tend's resident memory, from /proc/PID/status.
type memUsage struct {
	RSS, HWM int64 // bytes: VmRSS and VmHWM
}

func (m memUsage) String() string {
	return fmt.Sprintf("VmRSS %.1f MiB, VmHWM %.1f MiB", float64(m.RSS)/(1<<20), float64(m.HWM)/(1<<20))
}

// readMem reads VmRSS and VmHWM of pid (a host pid).
func readMem(pid int) (memUsage, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memUsage{}, err
	}
	defer f.Close()
	var m memUsage
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != "VmRSS" && k != "VmHWM" {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return memUsage{}, fmt.Errorf("%s: %q: %v", k, v, err)
		}
		if k == "VmRSS" {
			m.RSS = n << 10
		} else {
			m.HWM = n << 10
		}
	}
	return m, sc.Err()
}

// mem reads tend's memory, failing the test if it cannot.
func (p *tendProc) mem() memUsage {
	p.t.Helper()
	m, err := readMem(p.pid())
	if err != nil {
		p.t.Fatalf("tend's memory: %v", err)
	}
	return m
}

// checkMem logs tend's memory before and after a storm and fails the test
// when its peak passed stressRSSBudget.
func checkMem(t *testing.T, before, after memUsage) {
	t.Helper()
	t.Logf("tend memory: before %v; after %v", before, after)
	if after.HWM > stressRSSBudget {
		t.Errorf("tend's peak RSS %.1f MiB is over the %d MiB budget", float64(after.HWM)/(1<<20), stressRSSBudget>>20)
	}
}

// waitQuiet polls tend's namespace until no zombie is left and at most
// want processes remain (tend and the workloads the test expects), and
// returns how long that took. It fails the test after d.
func waitQuiet(t *testing.T, p *tendProc, d time.Duration, want int) time.Duration {
	t.Helper()
	start := time.Now()
	var last []procStat
	if !poll(d, func() bool {
		last = p.nsProcs()
		return len(zombies(last)) == 0 && len(last) <= want
	}) {
		z := zombies(last)
		if len(z) > 10 {
			z = z[:10]
		}
		t.Fatalf("%v after the storm: %d zombies (first: %v), %d processes in the namespace; want 0 and at most %d",
			d, len(zombies(last)), z, len(last), want)
	}
	return time.Since(start)
}

// checkNoZombies fails the test if tend's namespace holds a zombie now.
// Zombies of processes that exited a moment ago are waited out for up to
// 5 seconds.
func checkNoZombies(t *testing.T, p *tendProc) {
	t.Helper()
	var z []procStat
	if !poll(5*time.Second, func() bool { z = zombies(p.nsProcs()); return len(z) == 0 }) {
		t.Errorf("zombies left in tend's namespace: %v", z)
	}
}

// crashMarks are what a Go crash leaves on stderr.
var crashMarks = []string{"panic:", "fatal error:", "goroutine ", "runtime: "}

// crashed reports whether stderr shows a Go panic or fatal runtime error,
// and returns the start of it (the message and the first frames).
func crashed(stderr string) (string, bool) {
	at := -1
	for _, m := range crashMarks {
		if i := strings.Index(stderr, m); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	if at < 0 {
		return "", false
	}
	from := strings.LastIndexByte(stderr[:at], '\n') + 1
	return head(stderr[from:], 1500), true
}

// checkNoPanic fails the test if tend's stderr shows a Go panic or a fatal
// runtime error: PID 1 must never crash.
func checkNoPanic(t *testing.T, stderr string) {
	t.Helper()
	if c, ok := crashed(stderr); ok {
		t.Errorf("tend crashed; its stderr:\n%s", c)
	}
}

// tail returns at most the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// head returns at most the first n bytes of s.
func head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// waitLine reads tend's stdout line by line until a line for which match
// holds, and returns it; lines before it are skipped. It fails the test
// after d.
func waitLine(t *testing.T, p *tendProc, d time.Duration, what string, match func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		line, err := p.stdout.nextLine(left)
		if err != nil {
			t.Fatalf("waiting for %s: %v\nstdout (end):\n%s\nstderr (end):\n%s", what, err, tail(p.stdout.String(), 2000), tail(p.stderr.String(), 2000))
		}
		if match(line) {
			return line
		}
	}
	t.Fatalf("timed out after %v waiting for %s\nstdout (end):\n%s\nstderr (end):\n%s", d, what, tail(p.stdout.String(), 2000), tail(p.stderr.String(), 2000))
	return ""
}

// checkForwards sends sig to tend and waits for the trap child to print
// it (lines before it are skipped): tend is still responsive.
func checkForwards(t *testing.T, p *tendProc, sig unix.Signal, label string) {
	t.Helper()
	p.signal(sig)
	want := labelled(label, sigName(sig))
	waitLine(t, p, 20*time.Second, "the child to print "+want+" (tend still forwards)", func(l string) bool { return l == want })
}

// preludeRole is the role of the test binary in the first process of a
// namespace started by startPID1Prelude (see helperPrelude).
const preludeRole = "helper-stress-prelude"

// prelude is what helperPrelude sets up before it becomes the harness's
// pid1 role, which then execs tend: the limits tend and all its
// descendants inherit.
type prelude struct {
	Rlimits map[int]uint64 // resource -> soft and hard limit
	Cgroup  string         // a cgroup directory (v1 or v2) to join, if set
	// Stdout and Stderr, if set, are files (FIFOs) opened for writing and
	// made tend's fd 1 and 2.
	Stdout, Stderr string
}

func (pr prelude) args() []string {
	var a []string
	for res, v := range pr.Rlimits {
		a = append(a, fmt.Sprintf("rlimit=%d:%d", res, v))
	}
	if pr.Cgroup != "" {
		a = append(a, "cgroup="+pr.Cgroup)
	}
	if pr.Stdout != "" {
		a = append(a, "stdout="+pr.Stdout)
	}
	if pr.Stderr != "" {
		a = append(a, "stderr="+pr.Stderr)
	}
	return append(a, "--")
}

// startPID1Prelude is startPID1 with limits set up in the namespace's first
// process before it execs tend: the harness's pid1 role cannot do that, so
// the namespace starts in the helper stress-prelude, which sets them and
// re-executes the test binary in the role pid1 (still PID 1), which then
// execs tend as startPID1's does.
func startPID1Prelude(t *testing.T, opts runOpts, pr prelude, args ...string) *tendProc {
	t.Helper()
	argv := append(append([]string{testBin}, pr.args()...), append([]string{tendBin}, args...)...)
	attr := &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS,
		Pdeathsig:  syscall.SIGKILL,
	}
	if os.Geteuid() != 0 {
		t.Skip("the stress prelude sets limits and cgroups: needs root")
	}
	env := append(tendEnv(opts.Env), roleEnv+"="+preludeRole)
	p := start(t, true, argv, env, attr, opts)
	p.waitExec()
	return p
}

// helperPrelude: [rlimit=RES:N]... [cgroup=DIR] [stdout=PATH] [stderr=PATH]
// -- ARGV: sets each limit (soft and hard), joins the cgroup, opens the
// files as fd 1 and 2, then execs ARGV with roleEnv=pid1.
func helperPrelude(args []string) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, harnessPrefix+"prelude: "+format+"\n", a...)
		return 2
	}
	for len(args) > 0 && args[0] != "--" {
		k, v, _ := strings.Cut(args[0], "=")
		args = args[1:]
		switch k {
		case "rlimit":
			r, n, _ := strings.Cut(v, ":")
			res, err1 := strconv.Atoi(r)
			lim, err2 := strconv.ParseUint(n, 10, 64)
			if err1 != nil || err2 != nil {
				return fail("bad rlimit %q", v)
			}
			// syscall.Setrlimit, not unix's: for RLIMIT_NOFILE only the
			// former keeps syscall.Exec from restoring the limit Go found
			// at start-up.
			if err := syscall.Setrlimit(res, &syscall.Rlimit{Cur: lim, Max: lim}); err != nil {
				return fail("setrlimit %d %d: %v", res, lim, err)
			}
		case "cgroup":
			if err := os.WriteFile(v+"/cgroup.procs", []byte("0\n"), 0); err != nil {
				return fail("join cgroup %s: %v", v, err)
			}
		case "stdout", "stderr":
			f, err := os.OpenFile(v, os.O_WRONLY, 0)
			if err != nil {
				return fail("%s: %v", k, err)
			}
			fd := 1
			if k == "stderr" {
				fd = 2
			}
			if err := unix.Dup3(int(f.Fd()), fd, 0); err != nil {
				return fail("%s: dup: %v", k, err)
			}
			f.Close()
		default:
			return fail("unknown setting %q", k)
		}
	}
	if len(args) < 2 {
		return fail("no command")
	}
	exe, err := os.Executable()
	if err != nil {
		return fail("%v", err)
	}
	// Go keeps the first of two entries for one variable: replace it.
	env := append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, roleEnv+"=")
	}), roleEnv+"=pid1")
	err = syscall.Exec(exe, append([]string{exe}, args[1:]...), env)
	return fail("exec %s: %v", exe, err)
}

func init() { registerHelper("stress-prelude", helperPrelude) }
