package signals

import (
	"context"
	"fmt"
	"os"
	"os/exec"
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

// isolateChildEnv makes the test binary run isolateChild instead of the
// tests.
const isolateChildEnv = "TEND_TEST_ISOLATE_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(isolateChildEnv) {
	case "1":
		os.Exit(isolateChild())
	case "again":
		// Started as if Isolate had executed it already, but with the
		// signals unblocked, as under qemu-user.
		_ = os.Unsetenv(isolateChildEnv)
		ok := Isolate(os.Args)
		_, marked := os.LookupEnv(reexecEnv)
		fmt.Printf("isolated=%v marked=%v\n", ok, marked)
		os.Exit(0)
	case "readfail":
		// Isolated, then the signalfd's reads fail: USR1 must come
		// through os/signal instead. (The variable stays: Isolate executes
		// this binary again, which must come back here.)
		if !Isolate(os.Args) {
			fmt.Println("not isolated")
			os.Exit(1)
		}
		set := queuedSet()
		fd, err := unix.Signalfd(-1, &set, unix.SFD_NONBLOCK|unix.SFD_CLOEXEC)
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		f := os.NewFile(uintptr(fd), "signalfd")
		other, out := make(chan os.Signal, 1), make(chan os.Signal, 1)
		f.Close() // every read fails from now on
		readSignalfd(f, out, other)
		_ = unix.Kill(os.Getpid(), unix.SIGUSR1)
		select {
		case got := <-other:
			fmt.Printf("other=%v\n", got)
		case got := <-out:
			fmt.Printf("out=%v\n", got)
		case <-time.After(10 * time.Second):
			fmt.Println("nothing")
		}
		os.Exit(0)
	case "every":
		os.Exit(everySignalChild())
	case "fault":
		os.Exit(faultChild())
	case "burst":
		os.Exit(burstChild())
	case "direct":
		os.Exit(directChild())
	case "directstop":
		os.Exit(directStopChild())
	case "noexe":
		// As without /proc: Isolate cannot execute tend and leaves the
		// mask as it was; Notify then takes USR1 through os/signal.
		_ = os.Unsetenv(isolateChildEnv)
		selfExe = "/nonexistent/exe"
		runtime.LockOSThread()
		ok := Isolate(os.Args)
		var cur unix.Sigset_t
		_ = unix.PthreadSigmask(unix.SIG_BLOCK, nil, &cur)
		in := Notify(ok)
		in.WaitReady()
		_ = unix.Kill(os.Getpid(), unix.SIGUSR1)
		var got os.Signal
		select {
		case got = <-in.Other:
		case <-time.After(10 * time.Second):
		}
		fmt.Printf("isolated=%v blocked=%016x queued=%v got=%v\n", ok, maskWord(cur), in.Queued != nil, got)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestReadSignalfdFails: when reading the signalfd fails, the queued
// signals come through os/signal from then on, not never.
func TestReadSignalfdFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), isolateChildEnv+"=readfail")
	out, err := cmd.CombinedOutput()
	if want := "other=user defined signal 1\n"; err != nil || string(out) != want {
		t.Fatalf("child: %v, %q; want %q", err, out, want)
	}
}

// TestIsolateFallback: when tend cannot execute itself, Isolate returns
// false with the thread's mask as it found it, and every signal comes
// through os/signal.
func TestIsolateFallback(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), isolateChildEnv+"=noexe")
	out, err := cmd.CombinedOutput()
	if want := "isolated=false blocked=0000000000000000 queued=false got=user defined signal 1\n"; err != nil || string(out) != want {
		t.Fatalf("child: %v, %q; want %q", err, out, want)
	}
}

// TestIsolateOnce: an image that Isolate executed but that did not inherit
// the blocked signals (an emulator starts each program with its own mask)
// does not execute itself again: Isolate returns false, and the marker is
// gone from the environment the child would get.
func TestIsolateOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), isolateChildEnv+"=again", reexecEnv+"=1")
	out, err := cmd.CombinedOutput()
	if want := "isolated=false marked=false\n"; err != nil || string(out) != want {
		t.Fatalf("child: %v, %q; want %q", err, out, want)
	}
}

// burst is how many of one real-time signal isolateChild sends itself.
const burst = 2000

// isolateChild runs in a test binary started by TestIsolate: it isolates
// itself (executing itself again), checks that every thread blocks the
// queued signals and that its name survived, sends itself a burst of one
// real-time signal and counts what Notify delivers. It prints what it
// found and exits 0 when all is well.
func isolateChild() int {
	fail := func(format string, args ...any) int {
		fmt.Printf("FAIL "+format+"\n", args...)
		return 1
	}
	if !Isolate(os.Args) {
		return fail("Isolate returned false")
	}
	want := queuedSet()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return fail("%v", err)
	}
	for _, task := range tasks {
		status, err := os.ReadFile("/proc/self/task/" + task.Name() + "/status")
		if err != nil {
			continue // the thread is gone
		}
		blk := procMask(string(status), "SigBlk")
		if w := maskWord(want); blk&w != w {
			return fail("thread %s blocks %016x; want all of %016x", task.Name(), blk, w)
		}
	}
	comm, _ := os.ReadFile("/proc/self/comm")
	if got, want := strings.TrimSpace(string(comm)), filepath.Base(os.Args[0]); got != want[:min(len(want), 15)] {
		return fail("named %q after the re-exec; want %q", got, want)
	}

	in := Notify(true)
	if in.Queued == nil {
		return fail("no Queued channel")
	}
	const rt = syscall.Signal(40)
	for range burst {
		if err := unix.Kill(os.Getpid(), rt); err != nil {
			return fail("kill: %v", err)
		}
	}
	_ = unix.Kill(os.Getpid(), unix.SIGUSR1)
	got := map[os.Signal]int{}
	timeout := time.After(20 * time.Second)
	for got[rt] < burst || got[unix.SIGUSR1] < 1 {
		select {
		case s := <-in.Queued:
			got[s]++
		case s := <-in.Other:
			return fail("%v came through os/signal", s)
		case <-timeout:
			return fail("after 20s: %d of %d signal 40, %d SIGUSR1", got[rt], burst, got[unix.SIGUSR1])
		}
	}
	fmt.Printf("count %d\n", got[rt])
	return 0
}

// maskWord is the first 64 signals of set as /proc/<pid>/status shows
// them: signal n at bit n-1.
func maskWord(set unix.Sigset_t) uint64 {
	bits := int(unsafe.Sizeof(set.Val[0])) * 8
	var w uint64
	for i := 0; i*bits < 64; i++ {
		w |= uint64(set.Val[i]) << (i * bits)
	}
	return w
}

// procMask parses a hexadecimal mask line of /proc/<pid>/status.
func procMask(status, field string) uint64 {
	for line := range strings.Lines(status) {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return n
		}
	}
	return 0
}

// TestIsolate: after Isolate, every thread blocks the queued signals and a
// burst of one real-time signal arrives on Queued delivery by delivery,
// none merged. It runs in a fresh copy of the test binary, because
// Isolate executes the process again.
func TestIsolate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), isolateChildEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("count %d", burst)) {
		t.Fatalf("isolated child: %v\n%s", err, out)
	}
}

func TestQueued(t *testing.T) {
	tests := []struct {
		sig  unix.Signal
		want bool
	}{
		{unix.SIGUSR1, true},
		{unix.SIGUSR2, true},
		{unix.SIGWINCH, true},
		{unix.SIGCONT, true},
		{unix.SIGTSTP, true},
		{unix.SIGPWR, true},
		{35, true},
		{40, true},
		{64, true},
		// The runtime unblocks these on every thread, or raises SIGPIPE itself.
		{unix.SIGTERM, false},
		{unix.SIGINT, false},
		{unix.SIGHUP, false},
		{unix.SIGQUIT, false},
		{unix.SIGABRT, false},
		{unix.SIGSYS, false},
		{unix.SIGSEGV, false},
		{unix.SIGPIPE, false},
		// Never forwarded.
		{unix.SIGCHLD, false},
		{unix.SIGURG, false},
		{unix.SIGPROF, false},
		{unix.SIGKILL, false},
		{unix.SIGSTOP, false},
		{32, false},
		{34, false},
		{0, false},
		{65, false},
	}
	for _, tt := range tests {
		if got := Queued(tt.sig); got != tt.want {
			t.Errorf("Queued(%d) = %v; want %v", tt.sig, got, tt.want)
		}
	}
}

func TestQueuedSet(t *testing.T) {
	set := queuedSet()
	// /proc/<pid>/status shows the mask as one 64-bit word, signal n at bit n-1.
	var word uint64
	for n := 1; n <= Max; n++ {
		if Queued(unix.Signal(n)) {
			word |= 1 << (n - 1)
		}
	}
	if got := maskWord(set); got != word {
		t.Errorf("queuedSet = %016x; want %016x", got, word)
	}
	var mask unix.Sigset_t
	for n := 1; n <= Max; n++ {
		if Queued(unix.Signal(n)) && n != 40 {
			addSig(&mask, n)
		}
	}
	if covers(mask, set) {
		t.Errorf("covers reports a mask without signal 40 as blocking all queued signals")
	}
}
