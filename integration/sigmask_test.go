//go:build linux

package integration

// The child starts with no blocked signals and default dispositions, whatever
// tend's parent left blocked or ignored (golang/go#21078).

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var (
	// maskBlock and maskIgnore are what tend's parent blocks and ignores.
	maskBlock  = []unix.Signal{unix.SIGUSR1, unix.SIGINT, unix.SIGTERM}
	maskIgnore = []unix.Signal{unix.SIGQUIT, unix.SIGPIPE, unix.SIGTERM}
)

// sigMaskOf is the /proc/<pid>/status bitmask of sigs.
func sigMaskOf(sigs []unix.Signal) uint64 {
	var m uint64
	for _, s := range sigs {
		m |= 1 << (uint(s) - 1)
	}
	return m
}

// maskField returns the hexadecimal mask field name (SigBlk, SigCgt…) of
// status, the text of a /proc/<pid>/status file.
func maskField(status, name string) (uint64, bool) {
	for l := range strings.Lines(status) {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// parseSigLines parses the SigBlk and SigIgn lines of /proc/<pid>/status.
func parseSigLines(t *testing.T, out string) (blk, ign uint64) {
	t.Helper()
	found := 0
	for line := range strings.Lines(out) {
		key, val, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(val), 16, 64)
		if err != nil {
			continue
		}
		switch key {
		case "SigBlk":
			blk, found = n, found+1
		case "SigIgn":
			ign, found = n, found+1
		}
	}
	if found != 2 {
		t.Fatalf("no SigBlk and SigIgn lines in %q", out)
	}
	return blk, ign
}

// sigStatusArgv makes a C program (grep, not a Go helper: the Go runtime
// replaces inherited SIG_IGN dispositions with its own handlers) print its
// own SigBlk and SigIgn.
var sigStatusArgv = []string{"grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"}

// TestSignalMaskControl proves the set-up: the harness's exec role, run
// without tend, does hand its child the blocked and ignored signals.
func TestSignalMaskControl(t *testing.T) {
	t.Parallel()
	grep, err := exec.LookPath("grep")
	if err != nil {
		t.Skip("no grep")
	}
	ctx, cancel := context.WithTimeout(t.Context(), exitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, testBin, append([]string{grep}, sigStatusArgv[1:]...)...)
	cmd.Env = append(tendEnv(nil), roleEnv+"=exec",
		sigBlockEnv+"="+formatSigList(maskBlock), sigIgnoreEnv+"="+formatSigList(maskIgnore))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("exec role: %v", err)
	}
	blk, ign := parseSigLines(t, string(out))
	if want := sigMaskOf(maskBlock); blk&want != want {
		t.Errorf("control: SigBlk = %#x; want the bits %#x set", blk, want)
	}
	if want := sigMaskOf(maskIgnore); ign&want != want {
		t.Errorf("control: SigIgn = %#x; want the bits %#x set", ign, want)
	}
}

// TestSignalMaskReset: tend's parent blocks USR1, INT and TERM and ignores
// QUIT, PIPE and TERM before it execs tend; the child must see SigBlk and
// SigIgn all zeros.
func TestSignalMaskReset(t *testing.T) {
	t.Parallel()
	for _, pid1 := range []bool{true, false} {
		t.Run(fmt.Sprintf("pid1=%v", pid1), func(t *testing.T) {
			t.Parallel()
			opts := runOpts{SigBlock: maskBlock, SigIgnore: maskIgnore}
			p := startEither(t, pid1, opts, sigStatusArgv...)
			p.waitStatus(exitTimeout, 0)
			blk, ign := parseSigLines(t, p.stdout.String())
			if blk != 0 || ign != 0 {
				t.Errorf("child's SigBlk = %#x, SigIgn = %#x; want 0 and 0", blk, ign)
			}
		})
	}
}

// TestSignalMaskResetPlain: with a clean parent, the child's mask and
// dispositions are clean too (tend adds nothing of its own, such as an
// ignored SIGTTOU or a blocked SIGTSTP).
func TestSignalMaskResetPlain(t *testing.T) {
	t.Parallel()
	p := startPID1(t, runOpts{}, sigStatusArgv...)
	p.waitStatus(exitTimeout, 0)
	blk, ign := parseSigLines(t, p.stdout.String())
	if blk != 0 || ign != 0 {
		t.Errorf("child's SigBlk = %#x, SigIgn = %#x; want 0 and 0", blk, ign)
	}
}

// queuedSample are signals tend reads from its signalfd with
// --queue-signals (signals.Queued), which it then keeps blocked on every
// thread.
var queuedSample = []unix.Signal{unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH, 35, 40, 64}

// startCatStatus starts tend as PID 1 with args and a child, cat, that
// prints its own status and then copies its stdin until the test closes w,
// so that tend runs while the test looks. cat, not a Go helper (the Go
// runtime catches signals) nor grep (GNU grep catches SIGSEGV). It returns
// once the child's status is read.
func startCatStatus(t *testing.T, args ...string) (p *tendProc, w *os.File, child string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	p = startPID1(t, runOpts{Stdin: r}, append(args, "cat", "/proc/self/status", "-")...)
	var b strings.Builder
	for !strings.Contains(b.String(), "SigCgt:") {
		line, err := p.nextLine()
		if err != nil {
			t.Fatalf("reading the child's status: %v\nstdout:\n%s\nstderr:\n%s", err, p.stdout, p.stderr)
		}
		b.WriteString(line + "\n")
	}
	return p, w, b.String()
}

// threadMasks returns the SigBlk of each of pid's threads.
func threadMasks(t *testing.T, pid int) map[string]uint64 {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(tasks) == 0 {
		t.Fatalf("tend's threads: %v, %v", tasks, err)
	}
	masks := map[string]uint64{}
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			continue // the thread is gone
		}
		blk, ok := maskField(string(b), "SigBlk")
		if !ok {
			t.Fatalf("no SigBlk in %s:\n%s", task, b)
		}
		masks[task] = blk
	}
	if len(masks) == 0 {
		t.Fatalf("could not read the status of any of tend's threads %v", tasks)
	}
	return masks
}

// TestSignalMaskDefault: without --queue-signals tend does not execute
// itself to block the queued signals: some thread of it takes each of
// them (on amd64 the main thread blocks the ones its handler forwards by
// itself, so that they reach a sleeping thread, never SIGTERM or SIGINT),
// and its child starts clean.
func TestSignalMaskDefault(t *testing.T) {
	t.Parallel()
	p, w, child := startCatStatus(t)
	// Two moments pass: a thread the runtime is starting (or ending)
	// blocks every signal, and on the os/signal path the runtime's signal
	// thread blocks those not registered yet, which for the real-time ones
	// is just after the child starts (see signals.Notify). Once tend has
	// settled a thread of it takes each of them.
	want := sigMaskOf(queuedSample)
	var taken uint64
	var masks map[string]uint64
	settled := poll(5*time.Second, func() bool {
		taken = 0
		masks = threadMasks(t, p.pid())
		for task, blk := range masks {
			if blk|1<<(unix.SIGKILL-1)|1<<(unix.SIGSTOP-1) == ^uint64(0) {
				continue
			}
			taken |= ^blk
			if strings.HasSuffix(task, fmt.Sprintf("/task/%d/status", p.pid())) && blk&sigMaskOf([]unix.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGCHLD}) != 0 {
				t.Fatalf("main thread %s: SigBlk = %#x blocks SIGTERM, SIGINT or SIGCHLD", task, blk)
			}
		}
		return taken&want == want
	})
	if !settled {
		t.Errorf("after 5s, threads %v; want each of %s taken by one of them", masks, formatSigList(queuedSample))
	}
	w.Close()
	p.waitStatus(exitTimeout, 0)
	blk, ign := parseSigLines(t, child)
	if blk != 0 || ign != 0 {
		t.Errorf("child's SigBlk = %#x, SigIgn = %#x; want 0 and 0", blk, ign)
	}
}

// TestSignalMaskQueued documents the design of --queue-signals: tend keeps
// the queued signals blocked on every one of its threads, so that the
// kernel queues each delivery until tend reads it from its signalfd, and
// yet its child starts with nothing blocked and no handler (SigBlk and
// SigCgt 0: the child sets its own mask before execve).
func TestSignalMaskQueued(t *testing.T) {
	t.Parallel()
	p, w, childStatus := startCatStatus(t, "--queue-signals")
	var child strings.Builder
	child.WriteString(childStatus)
	want := sigMaskOf(queuedSample)
	for task, blk := range threadMasks(t, p.pid()) {
		if blk&want != want {
			t.Errorf("%s: SigBlk = %#x; want the bits %#x (%s) set", task, blk, want, formatSigList(queuedSample))
		}
	}
	w.Close() // cat exits at the end of its stdin, then tend
	p.waitStatus(exitTimeout, 0)

	blk, ign := parseSigLines(t, child.String())
	cgt, ok := maskField(child.String(), "SigCgt")
	if !ok {
		t.Fatalf("no SigCgt in the child's status:\n%s", child.String())
	}
	if blk != 0 || ign != 0 || cgt != 0 {
		t.Errorf("child's SigBlk = %#x, SigIgn = %#x, SigCgt = %#x; want 0, 0 and 0", blk, ign, cgt)
	}
}
