//go:build stress && linux

package integration

// Broken and blocked output: a child that closes its stdout, a stdout pipe
// nobody reads (full), stdout and stderr pipes whose reader is gone
// (EPIPE), and a full stderr while tend logs every event (-v). tend shares
// stdout and stderr with its child and logs to stderr; none of this may
// stall its signal or reap loop. The child reports to a file, which no
// pipe can block.

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() { registerHelper("stress-filler", helperFiller) }

// helperFiller: -report PATH [-fill] [-close-stdout] [-orphans N]: appends
// to PATH
// "ready", the name of each kind of signal the first time it arrives, and
// what happened to stdout; exits 0 on SIGTERM. -close-stdout closes fd 1
// first; -fill writes to fd 1 without end, reporting "stdout blocked" when
// a write has not returned after 300ms and "stdout error: …" when one
// fails; -orphans makes N orphans with /bin/sh, then reports "orphans
// done".
func helperFiller(args []string) int {
	fs := flag.NewFlagSet("filler", flag.ContinueOnError)
	report := fs.String("report", "", "")
	fill := fs.Bool("fill", false, "")
	closeOut := fs.Bool("close-stdout", false, "")
	orphans := fs.Int("orphans", 0, "")
	if fs.Parse(args) != nil || *report == "" {
		return usageFail("stress-filler -report PATH [-fill] [-close-stdout]")
	}
	rep, err := os.OpenFile(*report, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return 2
	}
	say := func(s string) { _, _ = rep.WriteString(s + "\n") }
	var caught []os.Signal
	for s := unix.Signal(1); s <= 64; s++ {
		if s == unix.SIGKILL || s == unix.SIGSTOP || s == unix.SIGURG || s == unix.SIGCHLD || (s >= 32 && s <= 34) {
			continue
		}
		caught = append(caught, s)
	}
	c := make(chan os.Signal, 256)
	signal.Notify(c, caught...) // SIGPIPE included: a write to a broken pipe reports instead of killing
	if *closeOut {
		unix.Close(1)
	}
	if *fill {
		go func() {
			buf := []byte(strings.Repeat("x", 4095) + "\n")
			for {
				t := time.AfterFunc(300*time.Millisecond, func() { say("stdout blocked") })
				_, err := unix.Write(1, buf)
				t.Stop()
				if err != nil {
					say("stdout error: " + err.Error())
					return
				}
			}
		}()
	}
	say("ready")
	if *orphans > 0 {
		// Short-lived orphans, each reaped (and logged at -v) by tend.
		script := fmt.Sprintf(`i=0; while [ "$i" -lt %d ]; do ( : & ); i=$((i+1)); done`, *orphans)
		cmd := exec.Command("/bin/sh", "-c", script)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
		if err := cmd.Run(); err != nil {
			say("orphans: " + err.Error())
		}
		say("orphans done")
	}
	seen := map[os.Signal]bool{}
	for s := range c {
		if !seen[s] {
			seen[s] = true
			say(sigName(s.(syscall.Signal)))
		}
		if s == unix.SIGTERM {
			return 0
		}
	}
	return 0
}

// waitReport waits until the report file holds the line want.
func waitReport(t *testing.T, path, want string) {
	t.Helper()
	var b []byte
	if !poll(20*time.Second, func() bool {
		b, _ = os.ReadFile(path)
		return slices.Contains(strings.Split(string(b), "\n"), want)
	}) {
		t.Fatalf("the child never reported %q; its report:\n%s", want, b)
	}
}

// openFIFO makes a FIFO in dir and opens its read end without blocking;
// the pipe is shrunk to one page so that it fills at once. The test
// decides whether to read it, close it, or leave it alone.
func openFIFO(t *testing.T, dir, name string) (string, *os.File) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unix.FcntlInt(r.Fd(), unix.F_SETPIPE_SZ, 4096); err != nil {
		t.Logf("F_SETPIPE_SZ: %v (the pipe keeps its default size)", err)
	}
	t.Cleanup(func() { r.Close() })
	return path, r
}

// TestStressStdio: in each case the child gets a signal forwarded after its
// output broke or filled, and tend exits 0 within a few seconds once the
// child exits on SIGTERM.
func TestStressStdio(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// stdout, stderr: give tend a FIFO as fd 1 / 2; its reader is
		// closed at once when broken is set, else never read.
		stdout, stderr bool
		broken         bool
		verbose        bool
		filler         []string // flags of the child
		storm          int      // signals sent to tend to make it log
		wait           string   // report line to wait for before the test signal
	}{
		{name: "child closes stdout", filler: []string{"-close-stdout", "-fill"}, wait: "stdout error: bad file descriptor"},
		{name: "stdout pipe nobody reads", stdout: true, filler: []string{"-fill"}, wait: "stdout blocked"},
		{name: "stdout and stderr broken (EPIPE)", stdout: true, stderr: true, broken: true, verbose: true,
			filler: []string{"-fill"}, storm: 200, wait: "stdout error: broken pipe"},
		{name: "stderr pipe nobody reads with -v", stderr: true, verbose: true, storm: size(20000, 3000),
			filler: []string{"-orphans", "2000"}, wait: "orphans done"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			report := filepath.Join(dir, "report")
			var pr prelude
			var outR, errR *os.File
			if tt.stdout {
				pr.Stdout, outR = openFIFO(t, dir, "stdout")
			}
			if tt.stderr {
				pr.Stderr, errR = openFIFO(t, dir, "stderr")
			}
			var args []string
			if tt.verbose {
				args = append(args, "-v")
			}
			args = append(args, helperArgv("stress-filler", append([]string{"-report", report}, tt.filler...)...)...)
			p := startPID1Prelude(t, runOpts{}, pr, args...)
			if tt.broken {
				for _, r := range []*os.File{outR, errR} {
					if r != nil {
						r.Close()
					}
				}
			}
			waitReport(t, report, "ready")
			waitReport(t, report, tt.wait)
			before := p.mem()
			for i := range tt.storm {
				p.signal([]unix.Signal{unix.SIGUSR1, unix.SIGWINCH}[i%2])
			}
			p.signal(unix.SIGUSR2)
			waitReport(t, report, "SIGUSR2")
			checkNoZombies(t, p)
			after := p.mem()
			// A stderr nobody read: read it from now on, so that tend's
			// last lines, the count of those it dropped, get through.
			var drained chan string
			if errR != nil && !tt.broken {
				drained = make(chan string, 1)
				go func() {
					b, _ := io.ReadAll(errR) // until tend and its child are gone
					drained <- string(b)
				}()
			}
			sent := time.Now()
			p.signal(unix.SIGTERM)
			p.waitStatus(exitTimeout, 0)
			took := time.Since(sent)
			t.Logf("tend exited %v after SIGTERM", took.Round(time.Millisecond))
			if took > shutdownBound {
				t.Errorf("tend took %v to exit after its child did; want at most %v", took, shutdownBound)
			}
			checkMem(t, before, after)
			stderr := p.stderr.String()
			if drained != nil {
				select {
				case stderr = <-drained:
				case <-time.After(exitTimeout):
					t.Fatalf("tend's stderr did not close within %v of its exit", exitTimeout)
				}
				t.Logf("tend's stderr pipe held %d bytes (full: its log was blocked); end:\n%s", len(stderr), stderr[max(0, len(stderr)-300):])
				if !strings.Contains(stderr, "tend's log lines were dropped") || !strings.Contains(stderr, "dropped=") {
					t.Errorf("tend did not say how many of its log lines it dropped while its stderr was full")
				}
			}
			checkNoPanic(t, stderr)
		})
	}
}
