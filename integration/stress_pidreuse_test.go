//go:build stress && linux

package integration

// PID reuse: once tend has reaped its main child, the kernel may give that
// pid to a new process. tend must never signal the newcomer. To make reuse
// certain rather than lucky, a process in the namespace writes pid-1 to
// /proc/sys/kernel/ns_last_pid (root in the namespace may) just before it
// forks, so the new process gets exactly the old main child's pid, and
// leads a process group of that number too.

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	registerHelper("stress-reuse-main", helperReuseMain)
	registerHelper("stress-reuse-keeper", helperReuseKeeper)
	registerHelper("stress-reuse-gen", helperReuseGen)
}

// spawnAt starts a trap helper labelled label with pid exactly pid, in a
// process group of its own (pgid = pid), sharing our stdout. It retries a
// few times when another fork took the pid first.
func spawnAt(pid int, label string) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	for range 20 {
		if err := os.WriteFile("/proc/sys/kernel/ns_last_pid", []byte(strconv.Itoa(pid-1)), 0); err != nil {
			return fmt.Errorf("ns_last_pid: %w", err)
		}
		cmd := exec.Command(exe, "trap", "-label", label)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			return err
		}
		go func() { _ = cmd.Wait() }()
		if cmd.Process.Pid == pid {
			return nil
		}
		_ = cmd.Process.Kill()
	}
	return fmt.Errorf("pid %d kept being taken", pid)
}

// helperReuseMain: starts a keeper (stress-reuse-keeper, in a session of
// its own, sharing our stdout) that knows our pid, waits until it is
// ready, prints "main ready pid=N" and exits 0 on SIGUSR1.
func helperReuseMain([]string) int {
	exe, _ := os.Executable()
	r, w, err := os.Pipe()
	if err != nil {
		return usageFail(err.Error())
	}
	cmd := exec.Command(exe, "stress-reuse-keeper", strconv.Itoa(os.Getpid()))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{w} // fd 3: the keeper writes a line there once ready
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, harnessPrefix+"stress-reuse-main: %v\n", err)
		return 2
	}
	if l, _ := bufio.NewReader(r).ReadString('\n'); l != "ready\n" {
		fmt.Fprintf(os.Stderr, harnessPrefix+"stress-reuse-main: keeper not ready: %q\n", l)
		return 2
	}
	r.Close()
	return helperTrap([]string{"-label", "main", "-exit-on", "USR1"})
}

// helperReuseKeeper: PID: prints "keeper ready pid=N"; on SIGTERM (tend
// stopping the leftovers after the main child PID exited) it prints
// "keeper SIGTERM" and starts a newcomer with pid PID (see spawnAt), then
// waits to be killed.
func helperReuseKeeper(args []string) int {
	if len(args) != 1 {
		return usageFail("stress-reuse-keeper PID")
	}
	pid, err := strconv.Atoi(args[0])
	if err != nil {
		return usageFail("stress-reuse-keeper PID")
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, unix.SIGTERM)
	fmt.Println(readyLine("keeper", os.Getpid()))
	ready := os.NewFile(3, "ready")
	_, _ = ready.WriteString("ready\n")
	ready.Close()
	<-c
	fmt.Println("keeper SIGTERM")
	if err := spawnAt(pid, "newcomer"); err != nil {
		fmt.Println("keeper failed: " + err.Error())
	}
	for {
		time.Sleep(time.Hour)
	}
}

// helperReuseGen: -state FILE: the first run (FILE absent) writes its pid
// there and is a trap labelled gen1 that exits 1 on SIGUSR1; the next run
// starts a newcomer with the first run's pid, then is a trap labelled gen2.
func helperReuseGen(args []string) int {
	fs := flag.NewFlagSet("reuse-gen", flag.ContinueOnError)
	state := fs.String("state", "", "")
	if fs.Parse(args) != nil || *state == "" {
		return usageFail("stress-reuse-gen -state FILE")
	}
	b, err := os.ReadFile(*state)
	if err != nil {
		if err := os.WriteFile(*state, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			return usageFail(err.Error())
		}
		return helperTrap([]string{"-label", "gen1", "-exit-on", "USR1", "-status", "1"})
	}
	pid, _ := strconv.Atoi(string(b))
	if err := spawnAt(pid, "newcomer"); err != nil {
		fmt.Println("gen2 failed: " + err.Error())
	}
	return helperTrap([]string{"-label", "gen2"})
}

// checkNewcomerQuiet fails the test if the newcomer printed anything but
// its ready line.
func checkNewcomerQuiet(t *testing.T, p *tendProc) {
	t.Helper()
	for l := range strings.SplitSeq(p.stdout.String(), "\n") {
		if strings.HasPrefix(l, "newcomer ") && !strings.HasPrefix(l, "newcomer ready") {
			t.Errorf("the newcomer with the reaped main child's pid got a signal: %q\nstderr:\n%s", l, tail(p.stderr.String(), 2000))
		}
	}
}

// TestStressPidReuseAfterExit: the main child P exits; a leftover (which
// tend is stopping, with a long grace) starts a newcomer with pid P in
// process group P. Every signal sent to tend afterwards finds no child to
// forward to: none may reach the newcomer.
func TestStressPidReuseAfterExit(t *testing.T) {
	t.Parallel()
	p := startPID1(t, runOpts{}, "-v", "--grace", "60s", testBin, "stress-reuse-main")
	p.expectReady("keeper")
	pid := p.expectReady("main")
	p.signal(unix.SIGUSR1) // main exits 0; the keeper gets SIGTERM
	want := readyLine("newcomer", pid)
	waitLine(t, p, 20*time.Second, want, func(l string) bool {
		if strings.HasPrefix(l, "keeper failed") {
			t.Fatalf("%s", l)
		}
		return l == want
	})
	sigs := []unix.Signal{unix.SIGUSR2, unix.SIGHUP, unix.SIGWINCH, unix.SIGINT, 40, unix.SIGTERM}
	for _, s := range sigs {
		p.signal(s)
	}
	waitFor(t, 20*time.Second, "tend to handle every signal", func() bool {
		return strings.Count(p.stderr.String(), "no child to forward to") >= len(sigs)
	})
	checkNewcomerQuiet(t, p)
	// End the leftovers (keeper and newcomer) so that tend exits with the
	// main child's status.
	for _, d := range descendants(p.pid()) {
		_ = unix.Kill(d, unix.SIGKILL)
	}
	p.waitStatus(exitTimeout, 0)
	checkNewcomerQuiet(t, p)
	checkNoPanic(t, p.stderr.String())
}

// TestStressPidReuseAfterRestart: with --restart=on-failure, the first run
// P exits 1; a signal sent during the backoff waits for the next run; the
// next run starts a newcomer with pid P (group P). Signals sent to tend
// then reach the second run, never the newcomer.
func TestStressPidReuseAfterRestart(t *testing.T) {
	t.Parallel()
	state := t.TempDir() + "/state"
	p := startPID1(t, runOpts{}, "--restart=on-failure", "--backoff-min=1s", "--grace=500ms",
		testBin, "stress-reuse-gen", "-state", state)
	pid := p.expectReady("gen1")
	p.signal(unix.SIGUSR1)
	waitFor(t, 10*time.Second, "tend to reap the first run", func() bool {
		return strings.Contains(p.stderr.String(), fmt.Sprintf("exited pid=%d", pid))
	})
	p.signal(unix.SIGWINCH) // during the backoff: kept for the next run
	// The second run and the newcomer print their ready lines in any order.
	// The kept SIGWINCH reaches the second run as soon as it is started,
	// before or after its handlers are in (WINCH's default is to ignore):
	// its line may come at any point, or not at all. So may a SIGCHLD of
	// the second run's own: spawnAt kills the children it started with
	// another pid than the newcomer's, and they may die once gen2 traps.
	want := readyLine("newcomer", pid)
	newcomer, gen2 := false, false
	for !newcomer || !gen2 {
		l := waitLine(t, p, 20*time.Second, want+" and the second run's ready line", func(l string) bool {
			return l == want || (strings.HasPrefix(l, "gen2 ") && l != "gen2 SIGWINCH" && l != "gen2 SIGCHLD")
		})
		switch {
		case l == want:
			newcomer = true
		case strings.HasPrefix(l, "gen2 ready pid="):
			gen2 = true
		default:
			t.Fatalf("%s", l)
		}
	}
	checkForwards(t, p, unix.SIGUSR2, "gen2")
	checkForwards(t, p, unix.SIGHUP, "gen2")
	checkNewcomerQuiet(t, p)
	p.signal(unix.SIGTERM) // gen2 only prints it; the newcomer is killed with it at the grace
	p.waitStatus(exitTimeout, 128+int(unix.SIGKILL))
	checkNewcomerQuiet(t, p)
	checkNoPanic(t, p.stderr.String())
}
