//go:build stress && linux

package integration

// Hostile shutdowns: children that ignore every signal, stop themselves,
// hide in their own session or fork while tend stops them. With --grace
// 500ms, tend must be gone within a few seconds with nothing left behind,
// as PID 1 and as a subreaper.

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() { registerHelper("stress-stubborn", helperStubborn) }

// helperStubborn: [-label L] [-mode ignore|stop] [-spawn MODE[,setsid]]...
// [-exit N]: a child that will not stop. ignore: every catchable signal but
// SIGURG is ignored; stop: every catchable signal but SIGURG and SIGCHLD
// makes it stop itself with SIGSTOP. Each -spawn starts a stubborn child
// (labelled by its position: "g0", "g1"…) and waits for its ready line,
// which it passes on. Then it prints "LABEL ready pid=N" and waits, or
// exits N with -exit.
func helperStubborn(args []string) int {
	fs := flag.NewFlagSet("stubborn", flag.ContinueOnError)
	label := fs.String("label", "", "")
	mode := fs.String("mode", "ignore", "")
	exit := fs.Int("exit", -1, "")
	var spawns []string
	fs.Func("spawn", "", func(s string) error { spawns = append(spawns, s); return nil })
	if fs.Parse(args) != nil {
		return usageFail("stress-stubborn [flags]")
	}
	c := make(chan os.Signal, 64)
	for s := unix.Signal(1); s <= 64; s++ {
		if s == unix.SIGKILL || s == unix.SIGSTOP || s == unix.SIGURG || (s >= 32 && s <= 34) {
			continue
		}
		switch *mode {
		case "ignore":
			signal.Ignore(s)
		case "stop":
			if s != unix.SIGCHLD {
				signal.Notify(c, s)
			}
		default:
			return usageFail("stress-stubborn -mode ignore|stop")
		}
	}
	for i, spec := range spawns {
		m, setsid := strings.CutSuffix(spec, ",setsid")
		exe, _ := os.Executable()
		cmd := exec.Command(exe, "stress-stubborn", "-label", fmt.Sprintf("g%d", i), "-mode", m)
		cmd.Stderr = os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: setsid}
		out, err := cmd.StdoutPipe()
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, harnessPrefix+"stress-stubborn: spawn: %v\n", err)
			return 2
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		fmt.Print(line)
	}
	fmt.Println(readyLine(*label, os.Getpid()))
	if *exit >= 0 {
		return *exit
	}
	if *mode == "stop" {
		for range c {
			_ = unix.Kill(os.Getpid(), unix.SIGSTOP)
		}
	}
	for {
		time.Sleep(time.Hour) // nothing to wait on: select{} would be a deadlock
	}
}

// shutdownGrace is the --grace of these tests, and shutdownBound the most
// tend may take from the start of the shutdown to its exit.
const (
	shutdownGrace = 500 * time.Millisecond
	shutdownBound = 5 * time.Second
)

// TestStressShutdownStubborn: each stubborn workload, with tend as PID 1
// and as a subreaper: tend exits within shutdownBound of the start of the
// shutdown, with the contract's status, and no process of the run is
// alive afterwards.
func TestStressShutdownStubborn(t *testing.T) {
	t.Parallel()
	// forkScript forks as fast as it can once it gets SIGTERM: background
	// sleeps that ignore SIGTERM, and orphans.
	const forkScript = `trap 'storm=1' TERM
echo "ready pid=$$"
while [ -z "$storm" ]; do sleep 0.05; done
while :; do ( trap '' TERM; exec sleep 1000 ) & ( : & ); done`
	tests := []struct {
		name string
		argv []string
		// term: the test sends SIGTERM to tend once the child is ready;
		// otherwise the child exits by itself and the shutdown starts then.
		term   bool
		labels []string // ready lines to wait for, in order
		status int
	}{
		{
			name:   "ignore every signal",
			argv:   helperArgv("stress-stubborn", "-mode", "ignore", "-spawn", "ignore"),
			term:   true,
			labels: []string{"g0", ""},
			status: 128 + int(unix.SIGKILL),
		},
		{
			name:   "stop itself at shutdown",
			argv:   helperArgv("stress-stubborn", "-mode", "stop", "-spawn", "stop", "-spawn", "stop,setsid"),
			term:   true,
			labels: []string{"g0", "g1", ""},
			status: 128 + int(unix.SIGKILL),
		},
		{
			name:   "grandchild in its own session",
			argv:   helperArgv("stress-stubborn", "-spawn", "ignore,setsid", "-spawn", "stop,setsid", "-exit", "3"),
			labels: []string{"g0", "g1", ""},
			status: 3,
		},
		{
			name:   "fork during the shutdown",
			argv:   []string{"/bin/sh", "-c", forkScript},
			term:   true,
			labels: []string{""},
			status: 128 + int(unix.SIGKILL),
		},
	}
	for _, tt := range tests {
		for _, pid1 := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/pid1=%v", tt.name, pid1), func(t *testing.T) {
				t.Parallel()
				mark := newMark(t)
				opts := runOpts{Env: []string{markEnv + "=" + mark}}
				p := startEither(t, pid1, opts, append([]string{"--grace", shutdownGrace.String()}, tt.argv...)...)
				for _, l := range tt.labels {
					p.expectReady(l)
				}
				start := time.Now()
				if tt.term {
					p.signal(unix.SIGTERM)
				}
				p.waitStatus(shutdownBound+10*time.Second, tt.status)
				took := time.Since(start)
				if left := marked(mark); len(left) > 0 {
					var desc []string
					for _, pid := range left {
						if s, err := readStat(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
							desc = append(desc, s.String())
						}
					}
					t.Errorf("%d processes of the run still alive after tend exited: %v", len(left), desc)
				}
				t.Logf("tend exited %v after the shutdown started (grace %v)", took.Round(time.Millisecond), shutdownGrace)
				if took > shutdownBound {
					t.Errorf("tend took %v to exit; want at most %v with --grace %v", took, shutdownBound, shutdownGrace)
				}
				checkNoPanic(t, p.stderr.String())
			})
		}
	}
}
