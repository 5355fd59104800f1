//go:build stress && linux

package integration

// Signal storm: tens of thousands of signals of mixed kinds sent to tend
// while its child runs.
//
// What arrives is counted exactly by a child that keeps the real-time
// signals of the storm blocked (inherited through execve, so every thread
// of that Go program blocks them: the runtime only unblocks the signals it
// needs) and drains them with rt_sigtimedwait: the kernel queues each
// real-time signal sent to it, up to RLIMIT_SIGPENDING, so the count is
// what tend forwarded. Standard signals coalesce in the kernel (one
// pending bit each), so for them only "at least once" means anything.

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
	registerHelper("stress-sigcount", helperSigcount)
	registerHelper("stress-sigcount-run", helperSigcountRun)
}

// helperSigcount: RTSIG...: blocks the real-time signals RTSIG... on this
// thread and re-executes itself as stress-sigcount-run with them, so that
// the new program starts with them blocked (tend starts its child with an
// empty mask, as it must).
func helperSigcount(args []string) int {
	runtime.LockOSThread()
	var set unix.Sigset_t
	for _, a := range args {
		n, err := strconv.Atoi(a)
		if err != nil {
			return usageFail("stress-sigcount RTSIG...")
		}
		sigaddset(&set, unix.Signal(n))
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"stress-sigcount: block: %v\n", err)
		return 2
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"stress-sigcount: %v\n", err)
		return 2
	}
	err = syscall.Exec(exe, append([]string{exe, "stress-sigcount-run"}, args...), os.Environ())
	fmt.Fprintf(os.Stderr, harnessPrefix+"stress-sigcount: exec: %v\n", err)
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
			return usageFail("stress-sigcount-run RTSIG...")
		}
		blocked = append(blocked, unix.Signal(n))
		sigaddset(&set, unix.Signal(n))
	}
	if blk := statusField("SigBlk"); blk&sigmaskBits(blocked) != sigmaskBits(blocked) {
		fmt.Fprintf(os.Stderr, harnessPrefix+"stress-sigcount-run: SigBlk %x does not block %v\n", blk, blocked)
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
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return n
		}
	}
	return 0
}

// sigmaskBits is sigs as a /proc status mask (bit s-1).
func sigmaskBits(sigs []unix.Signal) uint64 {
	var m uint64
	for _, s := range sigs {
		m |= 1 << (uint(s) - 1)
	}
	return m
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

// stormKinds are the signals of the storm: standard ones tend forwards and
// that do not stop anything, and real-time ones (the child counts those
// exactly).
var (
	stormStandard = []unix.Signal{unix.SIGUSR1, unix.SIGUSR2, unix.SIGHUP, unix.SIGWINCH}
	stormRealtime = []unix.Signal{36, 40, 50, 64}
)

// sigcountRun starts tend with the counting child and returns it with the
// writer of the child's stdin.
func sigcountRun(t *testing.T, args ...string) (*tendProc, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	var rt []string
	for _, s := range stormRealtime {
		rt = append(rt, strconv.Itoa(int(s)))
	}
	p := startPID1(t, runOpts{Stdin: r}, append(args, helperArgv("stress-sigcount", rt...)...)...)
	p.expectReady("")
	return p, w
}

// settledCounts asks the child for its counts until two answers in a row
// agree (tend has forwarded what it had queued) and want holds for them.
func settledCounts(t *testing.T, p *tendProc, w *os.File, want func(map[string]int) bool) map[string]int {
	t.Helper()
	var last string
	var got map[string]int
	deadline := time.Now().Add(quietTimeout)
	tk := time.NewTicker(250 * time.Millisecond)
	defer tk.Stop()
	for time.Now().Before(deadline) {
		if _, err := w.WriteString("count\n"); err != nil {
			t.Fatalf("ask the child for its counts: %v", err)
		}
		line := waitLine(t, p, 20*time.Second, "the child's counts", func(l string) bool { return strings.HasPrefix(l, "count") })
		got = parseCounts(line)
		if line == last && want(got) {
			return got
		}
		last = line
		<-tk.C
	}
	t.Fatalf("the child's counts did not settle in %v; last: %v", quietTimeout, got)
	return nil
}

// sendStorm sends n signals to pid, cycling through kinds, and returns how
// many of each it sent.
func sendStorm(t *testing.T, pid, n int, kinds []unix.Signal) map[string]int {
	t.Helper()
	sent := make(map[string]int)
	for i := range n {
		s := kinds[i%len(kinds)]
		if err := unix.Kill(pid, s); err != nil {
			t.Fatalf("signal %d of the storm: kill(%d, %v): %v", i, pid, s, err)
		}
		sent[sigName(s)]++
	}
	return sent
}

// TestStressSignalStorm: 50,000 signals (5,000 with -short) of mixed kinds
// sent to tend as fast as the test can. The child receives each kind at
// least once; tend stays responsive (a SIGPWR sent afterwards arrives),
// leaves no zombie, stays small and logs nothing per signal at the default
// level. How many real-time signals arrived is logged: a burst of the same
// real-time signal reaches the child fewer times than it was sent, because
// os/signal keeps one pending bit per signal number (runtime.sigsend), so
// deliveries that come before its loop has read the bit collapse into one.
// The README states this limit.
func TestStressSignalStorm(t *testing.T) {
	t.Parallel()
	n := size(50000, 5000)
	p, w := sigcountRun(t)
	before := p.mem()
	start := time.Now()
	sent := sendStorm(t, p.pid(), n, append(slices.Clone(stormStandard), stormRealtime...))
	took := time.Since(start)
	p.signal(unix.SIGPWR)
	got := settledCounts(t, p, w, func(m map[string]int) bool { return m["SIGPWR"] > 0 })
	t.Logf("%d signals sent in %v; the child got (settled %v after the storm): %v", n, took.Round(time.Millisecond), time.Since(start.Add(took)).Round(time.Millisecond), got)
	for _, s := range append(slices.Clone(stormStandard), stormRealtime...) {
		if got[sigName(s)] == 0 {
			t.Errorf("the child never got %s (%d sent)", sigName(s), sent[sigName(s)])
		}
	}
	for _, s := range stormRealtime {
		t.Logf("%s: sent %d, arrived %d", sigName(s), sent[sigName(s)], got[sigName(s)])
	}
	checkMem(t, before, p.mem())
	checkNoZombies(t, p)
	w.Close() // the child exits at the end of its stdin
	p.waitStatus(exitTimeout, 0)
	if lines := tendLines(p.stderr.String()); len(lines) > 4 {
		t.Errorf("tend logged %d lines at the default level during a signal storm; want only start and exit:\n%s", len(lines), tail(p.stderr.String(), 2000))
	}
	checkNoPanic(t, p.stderr.String())
}
