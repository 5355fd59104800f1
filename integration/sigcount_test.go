//go:build linux

package integration

// The counting child: a workload that counts exactly how many times each
// real-time signal reached it, for the tests that check that tend forwards
// a burst of one real-time signal delivery by delivery (rtburst_test.go,
// and the stress suite's signal storm).
//
// It keeps the real-time signals it counts blocked (inherited through
// execve, so every thread of that Go program blocks them: the runtime only
// unblocks the signals it needs) and drains them with rt_sigtimedwait when
// asked: the kernel queues each real-time signal sent to it, up to
// RLIMIT_SIGPENDING, so the count is what tend forwarded. Standard signals
// coalesce in the kernel (one pending bit each), so for them only "at
// least once" means anything.

import (
	"bufio"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func init() {
	helpers["sigcount"] = helperSigcount
	helpers["sigcount-run"] = helperSigcountRun
}

// helperSigcount: RTSIG...: blocks the real-time signals RTSIG... on this
// thread and re-executes itself as sigcount-run with them, so that the new
// program starts with them blocked (tend starts its child with an empty
// mask, as it must).
func helperSigcount(args []string) int {
	runtime.LockOSThread()
	var set unix.Sigset_t
	for _, a := range args {
		n, err := strconv.Atoi(a)
		if err != nil {
			return usageFail("sigcount RTSIG...")
		}
		sigaddset(&set, unix.Signal(n))
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"sigcount: block: %v\n", err)
		return 2
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"sigcount: %v\n", err)
		return 2
	}
	err = syscall.Exec(exe, append([]string{exe, "sigcount-run"}, args...), os.Environ())
	fmt.Fprintf(os.Stderr, harnessPrefix+"sigcount: exec: %v\n", err)
	return 2
}

// helperSigcountRun: RTSIG...: started with RTSIG... blocked. It catches
// every other catchable signal (but URG, CHLD and 32–34), counting each
// and printing "first SIGX" the first time one arrives, prints the ready
// line, then answers each "count" line on stdin with
// "count SIGX=N SIGY=M …": the caught signals so far, and the blocked
// ones drained from the kernel's queue with rt_sigtimedwait (cumulative).
func helperSigcountRun(args []string) int {
	var blocked []unix.Signal
	var set unix.Sigset_t
	for _, a := range args {
		n, err := strconv.Atoi(a)
		if err != nil {
			return usageFail("sigcount-run RTSIG...")
		}
		blocked = append(blocked, unix.Signal(n))
		sigaddset(&set, unix.Signal(n))
	}
	if blk := statusField("SigBlk"); blk&sigMaskOf(blocked) != sigMaskOf(blocked) {
		fmt.Fprintf(os.Stderr, harnessPrefix+"sigcount-run: SigBlk %x does not block %v\n", blk, blocked)
		return 2
	}
	var mu sync.Mutex
	counts := make(map[unix.Signal]int)
	var caught []os.Signal
	for s := unix.Signal(1); s <= 64; s++ {
		if s == unix.SIGKILL || s == unix.SIGSTOP || s == unix.SIGURG || s == unix.SIGCHLD ||
			(s >= 32 && s <= 34) || slices.Contains(blocked, s) {
			continue
		}
		caught = append(caught, s)
	}
	c := make(chan os.Signal, 1024)
	signal.Notify(c, caught...)
	out := bufio.NewWriter(os.Stdout)
	var outMu sync.Mutex
	println := func(s string) {
		outMu.Lock()
		defer outMu.Unlock()
		out.WriteString(s + "\n")
		out.Flush()
	}
	go func() {
		for s := range c {
			sig := s.(syscall.Signal)
			mu.Lock()
			counts[sig]++
			first := counts[sig] == 1
			mu.Unlock()
			if first {
				println("first " + sigName(sig))
			}
		}
	}()
	println(readyLine("", os.Getpid()))
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() != "count" {
			continue
		}
		mu.Lock()
		for {
			n, err := sigtimedwaitNow(&set)
			if err != nil {
				break
			}
			counts[n]++
		}
		var f []string
		for s := unix.Signal(1); s <= 64; s++ {
			if counts[s] > 0 {
				f = append(f, fmt.Sprintf("%s=%d", sigName(s), counts[s]))
			}
		}
		mu.Unlock()
		println("count " + strings.Join(f, " "))
	}
	return 0
}

// sigtimedwaitNow takes one pending signal of set without waiting; EAGAIN
// means none is pending.
func sigtimedwaitNow(set *unix.Sigset_t) (unix.Signal, error) {
	var info [128]byte
	var ts unix.Timespec
	r, _, errno := unix.Syscall6(unix.SYS_RT_SIGTIMEDWAIT, uintptr(unsafe.Pointer(set)),
		uintptr(unsafe.Pointer(&info[0])), uintptr(unsafe.Pointer(&ts)), 8, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return unix.Signal(r), nil
}

// statusField reads a hexadecimal mask field of /proc/self/status.
func statusField(name string) uint64 {
	b, _ := os.ReadFile("/proc/self/status")
	n, _ := maskField(string(b), name)
	return n
}

// parseCounts parses a "count SIGX=N …" line.
func parseCounts(line string) map[string]int {
	m := make(map[string]int)
	for f := range strings.FieldsSeq(strings.TrimPrefix(line, "count")) {
		k, v, _ := strings.Cut(f, "=")
		m[k], _ = strconv.Atoi(v)
	}
	return m
}

// sigcountRun starts tend as PID 1 with args and the counting child, which
// counts the real-time signals rt exactly, waits until the child is ready
// and returns tend with the writer of the child's stdin.
func sigcountRun(t *testing.T, rt []unix.Signal, args ...string) (*tendProc, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	var a []string
	for _, s := range rt {
		a = append(a, strconv.Itoa(int(s)))
	}
	p := startPID1(t, runOpts{Stdin: r}, append(args, helperArgv("sigcount", a...)...)...)
	p.expectReady("")
	return p, w
}

// countLine reads tend's stdout until the counting child's next "count"
// line, skipping its "first SIGX" lines, and fails the test after d.
func countLine(t *testing.T, p *tendProc, d time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		line, err := p.stdout.nextLine(time.Until(deadline))
		if err != nil {
			break
		}
		if strings.HasPrefix(line, "count") {
			return line
		}
	}
	t.Fatalf("no count line from the child in %v\nstdout:\n%s\nstderr:\n%s", d, p.stdout, p.stderr)
	return ""
}

// settledCounts asks the counting child for its counts every 250ms until
// want holds for an answer and the one before it was the same (tend has
// forwarded what it had queued), and returns them. It fails the test after
// d, saying it waited for what and giving the last counts.
func settledCounts(t *testing.T, p *tendProc, w *os.File, d time.Duration, what string, want func(map[string]int) bool) map[string]int {
	t.Helper()
	var last string
	var got map[string]int
	deadline := time.Now().Add(d)
	tk := time.NewTicker(250 * time.Millisecond)
	defer tk.Stop()
	for time.Now().Before(deadline) {
		if _, err := w.WriteString("count\n"); err != nil {
			t.Fatalf("ask the child for its counts: %v", err)
		}
		line := countLine(t, p, 20*time.Second)
		got = parseCounts(line)
		if line == last && want(got) {
			return got
		}
		last = line
		<-tk.C
	}
	t.Fatalf("timed out after %v waiting for %s; the child's last counts: %v (tend's SigQ: %s)", d, what, got, sigQueue(p.pid()))
	return nil
}

// sigQueue is the SigQ field of /proc/<pid>/status ("queued/limit"): the
// signals pending for the process's real user, in every process of that
// user, and its RLIMIT_SIGPENDING.
func sigQueue(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err.Error()
	}
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(l, "SigQ:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

// checkSigpending fails the test unless n real-time signals can all be
// pending at once, with room to spare: beyond RLIMIT_SIGPENDING, which
// counts the pending signals of every process of the user, kill(2) still
// succeeds but the kernel queues no more copies of a real-time signal (it
// only sets the pending bit), so exact counts would be meaningless. The
// counting child drains its queue only when asked, so every real-time
// signal a test sends may be pending at once.
func checkSigpending(t *testing.T, n int) {
	t.Helper()
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_SIGPENDING, &lim); err != nil {
		t.Fatalf("getrlimit RLIMIT_SIGPENDING: %v", err)
	}
	if lim.Cur == unix.RLIM_INFINITY {
		return
	}
	if uint64(n) > lim.Cur/2 {
		t.Fatalf("the test would have up to %d real-time signals pending at once, more than half of RLIMIT_SIGPENDING (%d, signals pending now: %s): "+
			"past the limit the kernel silently drops queued copies of a real-time signal, so the counts could not be exact; raise the limit (ulimit -i) or send fewer",
			n, lim.Cur, sigQueue(os.Getpid()))
	}
}
