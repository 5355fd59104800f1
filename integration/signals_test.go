//go:build linux

package integration

// Signal forwarding: every catchable signal reaches the child, to its group
// or to it alone, after --rewrite.

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// forwardable lists the signals tend must forward: 1–31 without KILL and
// STOP (uncatchable), CHLD (never forwarded), URG and PROF (owned by the Go
// runtime), then the real-time signals 35–64 (32–34 belong to the C
// library and the Go runtime). SIGTERM comes last: forwarding it starts the
// shutdown, which sends the child a second SIGTERM and later SIGKILL.
func forwardable() []unix.Signal {
	var sigs []unix.Signal
	for s := unix.Signal(1); s <= 64; s++ {
		switch {
		case s == unix.SIGKILL, s == unix.SIGSTOP, s == unix.SIGCHLD, s == unix.SIGURG, s == unix.SIGPROF,
			s == unix.SIGTERM, s >= 32 && s <= 34:
			continue
		}
		sigs = append(sigs, s)
	}
	return append(sigs, unix.SIGTERM)
}

// TestSignalsReachChild sends tend every signal from 1 to 64 that can be
// sent, one at a time: every forwardable one,
// and expects the child to report each exactly once, in order (an extra
// line, such as a forwarded SIGCHLD or a duplicate, fails the next
// expectation). The ABRT/SEGV/BUS/FPE/ILL/TRAP/SYS sent with kill must not
// crash tend, and TSTP/TTIN/TTOU must not stop it: the signals after them
// still arrive. With --verbose every signal takes the event
// loop's way, which logs it; otherwise (amd64) most are forwarded by
// tend's signal handler itself: both ways must deliver the same.
func TestSignalsReachChild(t *testing.T) {
	t.Parallel()
	for _, v := range []struct{ pid1, verbose bool }{{true, false}, {false, false}, {true, true}} {
		t.Run(fmt.Sprintf("pid1=%v,verbose=%v", v.pid1, v.verbose), func(t *testing.T) {
			t.Parallel()
			start := startTend
			if v.pid1 {
				start = startPID1
			}
			var args []string
			if v.verbose {
				args = []string{"--verbose"}
			}
			p := start(t, runOpts{}, append(args, helperArgv("trap")...)...)
			p.expectReady("")
			sigs := forwardable()
			for _, sig := range sigs[:len(sigs)-1] {
				p.signal(sig)
				p.expectLine(sigName(sig))
			}
			// Never forwarded: CHLD (tend's own), PROF (the Go runtime's), URG
			// (the trap helper does not print it anyway), 32-34 (no Go program
			// can catch 32 and 34, and 33 is the runtime's): none of them may
			// end tend either. WINCH after them must be the next line.
			p.signal(unix.SIGCHLD)
			p.signal(unix.SIGPROF)
			for _, sig := range []unix.Signal{32, 33, 34} {
				p.signal(sig)
			}
			p.signal(unix.SIGWINCH)
			p.expectLine("SIGWINCH")
			p.signal(unix.SIGTERM) // last: it starts the shutdown
			p.expectLinesSkipping(shutdownNoise(""), "SIGTERM")
		})
	}
}

// TestForwardGroup: by default and with --forward=group a signal reaches
// the child's whole process group, here the child and a grandchild.
func TestForwardGroup(t *testing.T) {
	t.Parallel()
	for _, flags := range [][]string{nil, {"--forward=group"}, {"--forward", "group"}} {
		t.Run(strings.Join(append([]string{"flags"}, flags...), " "), func(t *testing.T) {
			t.Parallel()
			args := append(flags, helperArgv("trap", "-label", "child", "-spawn", "grandchild")...)
			p := startPID1(t, runOpts{}, args...)
			p.expectReady("grandchild")
			p.expectReady("child")
			p.signal(unix.SIGUSR1)
			p.expectLines("child SIGUSR1", "grandchild SIGUSR1")
			p.signal(unix.SIGHUP)
			p.expectLines("child SIGHUP", "grandchild SIGHUP")
		})
	}
}

// TestForwardChild: with --forward=child only the child gets the signal,
// not the grandchild in its process group. To prove the grandchild got
// nothing, the child relays USR2 to it as WINCH: had the grandchild also
// received USR1 or USR2, its line would come first.
func TestForwardChild(t *testing.T) {
	t.Parallel()
	args := append([]string{"--forward=child"},
		helperArgv("trap", "-label", "child", "-spawn", "grandchild", "-relay", "USR2:WINCH")...)
	p := startPID1(t, runOpts{}, args...)
	p.expectReady("grandchild")
	p.expectReady("child")
	p.signal(unix.SIGUSR1)
	p.expectLine("child SIGUSR1")
	p.signal(unix.SIGUSR2)
	p.expectLine("child SIGUSR2")
	p.expectLine("grandchild SIGWINCH")
}

// rewriteStep is a signal sent to tend and the line the child must print
// next ("" when the signal is dropped: the next step's line comes first).
type rewriteStep struct {
	send unix.Signal
	want string
}

// runRewrite starts tend with args before the trap child, then runs steps.
// The last step's expectation skips the lines of shutdownNoise: the last
// step may forward or send SIGTERM, which starts the shutdown.
func runRewrite(t *testing.T, opts runOpts, args []string, steps []rewriteStep) {
	t.Helper()
	p := startPID1(t, opts, append(args, helperArgv("trap")...)...)
	p.expectReady("")
	for i, st := range steps {
		p.signal(st.send)
		if st.want == "" {
			continue
		}
		if i < len(steps)-1 {
			p.expectLine(st.want)
			continue
		}
		p.expectLinesSkipping(shutdownNoise(""), st.want)
	}
}

// TestRewrite: --rewrite takes names in any case, with or without SIG, and
// numbers; a rewrite applies once (USR1 and USR2 swap); TO of 0 or none
// drops the signal.
func TestRewrite(t *testing.T) {
	t.Parallel()
	args := []string{
		"--rewrite", "usr1:SIGUSR2",
		"--rewrite", "12:10",
		"--rewrite", "SIGhup:0",
		"--rewrite", "Int:none",
		"--rewrite", "sigterm:Quit",
		"--rewrite", "28:sigalrm",
	}
	runRewrite(t, runOpts{}, args, []rewriteStep{
		{unix.SIGUSR1, "SIGUSR2"},
		{unix.SIGHUP, ""},
		{unix.SIGPWR, "SIGPWR"}, // not rewritten; must come before any SIGHUP
		{unix.SIGUSR2, "SIGUSR1"},
		{unix.SIGINT, ""},
		{unix.SIGWINCH, "SIGALRM"},
		{unix.SIGTERM, "SIGQUIT"},
	})
}

// TestChildOwnGroup: the main child runs in its own process group (its
// pgid is its pid), apart from tend's.
func TestChildOwnGroup(t *testing.T) {
	t.Parallel()
	for _, pid1 := range []bool{true, false} {
		t.Run(fmt.Sprintf("pid1=%v", pid1), func(t *testing.T) {
			t.Parallel()
			p := startEither(t, pid1, runOpts{}, helperArgv("trap", "-tty")...)
			line, err := p.nextLine()
			var fg, pgrp int
			if err == nil {
				_, err = fmt.Sscanf(line, "tty fg=%d pgrp=%d", &fg, &pgrp)
			}
			if err != nil {
				t.Fatalf("child printed %q: %v", line, err)
			}
			if pid := p.expectReady(""); pgrp != pid {
				t.Errorf("child's process group = %d; want its own (%d)", pgrp, pid)
			}
		})
	}
}

// TestSignalBeforeChild: a signal that is already pending when tend starts
// (its parent blocked and raised it) reaches the child once the child
// exists: sleep dies of it, so tend exits 128+N. This also needs the child
// to start with the signal unblocked.
func TestSignalBeforeChild(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/usr/bin/perl"); err != nil {
		t.Skip("needs /usr/bin/perl to make a signal pending process-wide")
	}
	for _, pid1 := range []bool{true, false} {
		// Only signals the Go runtime leaves blocked until signal.Notify: a
		// TERM, HUP or INT pending at exec is unblocked by the runtime before
		// main runs, and with no Notify yet it kills tend (or, as PID 1, is
		// lost); no Go program can catch that one.
		for _, sig := range []unix.Signal{unix.SIGUSR1, unix.SIGUSR2, unix.SIGALRM} {
			t.Run(fmt.Sprintf("pid1=%v/%s", pid1, sigName(sig)), func(t *testing.T) {
				t.Parallel()
				opts := runOpts{SigBlock: []unix.Signal{sig}, SigRaise: []unix.Signal{sig}}
				p := startEither(t, pid1, opts, "sleep", "1000")
				p.waitStatus(exitTimeout, 128+int(sig))
			})
		}
	}
}

// TestStopContinue: TSTP, TTIN and TTOU sent to tend are forwarded (they
// stop a sleep), tend itself never stops and does not take a stopped child
// for an exited one; CONT resumes the child.
func TestStopContinue(t *testing.T) {
	t.Parallel()
	for _, pid1 := range []bool{true, false} {
		for _, sig := range []unix.Signal{unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU} {
			t.Run(fmt.Sprintf("pid1=%v/%s", pid1, sigName(sig)), func(t *testing.T) {
				t.Parallel()
				p := startEither(t, pid1, runOpts{}, "sleep", "1000")
				waitForComm(t, p, "sleep")
				state := func() byte {
					if p.pid1 {
						for _, s := range p.nsProcs() {
							if s.Comm == "sleep" {
								return s.State
							}
						}
						return 0
					}
					for _, pid := range descendants(p.pid()) {
						if s, err := readStat(fmt.Sprintf("/proc/%d/stat", pid)); err == nil && s.Comm == "sleep" {
							return s.State
						}
					}
					return 0
				}
				p.signal(sig)
				waitFor(t, exitTimeout, "the child to stop", func() bool { return state() == 'T' })
				if st, err := readStat(fmt.Sprintf("/proc/%d/stat", p.pid())); err != nil || st.State == 'T' || p.exited() {
					t.Fatalf("after %v tend is %v, %v (exited: %v); want it running", sig, st, err, p.exited())
				}
				p.signal(unix.SIGCONT)
				waitFor(t, exitTimeout, "the child to continue", func() bool { return state() == 'S' || state() == 'R' })
				p.signal(unix.SIGTERM)
				p.waitStatus(exitTimeout, 128+int(unix.SIGTERM))
			})
		}
	}
}

// TestPdeathsig: with --pdeathsig TERM, tend (not PID 1) gets SIGTERM when
// its parent dies and handles it as if sent: it forwards it to the child.
func TestPdeathsig(t *testing.T) {
	t.Parallel()
	for _, flags := range [][]string{{"--pdeathsig", "TERM"}, {"--pdeathsig=SIGTERM"}} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			t.Parallel()
			argv := append(append([]string{testBin, tendBin}, flags...), helperArgv("trap", "-exit-on", "TERM")...)
			parent := start(t, false, argv, append(tendEnv(nil), roleEnv+"=parent"), &syscall.SysProcAttr{Setpgid: true}, runOpts{})
			line, err := parent.nextLine()
			var tend int
			if err == nil {
				_, err = fmt.Sscanf(line, "parent child=%d", &tend)
			}
			if err != nil {
				t.Fatalf("parent role printed %q: %v\nstderr:\n%s", line, err, parent.stderr)
			}
			desc := descendants(tend)
			t.Cleanup(func() {
				for _, pid := range append(desc, tend) {
					if alive(pid) {
						_ = unix.Kill(pid, unix.SIGKILL)
					}
				}
			})
			parent.expectReady("")
			desc = descendants(tend)
			if err := unix.Kill(parent.pid(), unix.SIGKILL); err != nil {
				t.Fatal(err)
			}
			parent.expectLinesSkipping(shutdownNoise(""), "SIGTERM")
			waitFor(t, exitTimeout, "tend to exit after its child", func() bool { return !alive(tend) })
		})
	}
}
