package supervise

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/reaper"
	"github.com/tend-init/tend/signals"
	"github.com/tend-init/tend/supervise/internal/textpages"
	"github.com/tend-init/tend/supervise/metrics"
	"github.com/tend-init/tend/supervise/oomwatch"
	"github.com/tend-init/tend/supervise/spawn"
	"github.com/tend-init/tend/supervise/status"
	"github.com/tend-init/tend/supervise/tree"
)

// maxPending bounds the signals kept for a child that does not exist yet.
const maxPending = 64

// supervisor is the event loop's state. Only the loop's goroutine touches
// it; probe goroutines send results through probeDone, and the status
// server reads the published snapshot.
type supervisor struct {
	cfg  Config
	log  *slog.Logger
	in   signals.Incoming
	tree tree.Reach // how tend finds its descendants
	cmd  *spawn.Command

	m   machine // the child's life: every decision comes from step
	pol policy

	main    int       // pid of the main child, 0 when there is none
	started time.Time // when the main child started

	noChildren bool // the last reap found no child at all

	termedGroup int // process group that got leftoverSignal from a stop, 0 if none
	group       int // process group of the current or last run (its main child's pid)

	grace    *time.Timer
	poll     *time.Timer // looks again for strangers (see finished)
	kill     *time.Timer // the next SIGKILL pass, once the grace is over
	restartT *time.Timer
	deadline *time.Timer
	drain    *time.Timer // --stop-delay: the held-back SIGTERM goes when it fires
	settle   *time.Timer // start-up is over: tend gives back its binary's pages (see Run)

	graceOver bool      // this run's stop is past its grace: leftovers get SIGKILL
	killUntil time.Time // when tend stops killing and gives up on leftovers
	gaveUp    bool      // leftovers outlived killBound: tend no longer waits for them

	pending []unix.Signal
	exits   []reaper.Exit

	// direct says the signal handler forwards passThrough's signals by
	// itself; directPid is the target it was given last (0: none).
	direct    bool
	directPid int

	probe     prober
	probeDone chan probeResult
	status    atomic.Pointer[status.Snapshot]
	server    *status.Server
	metrics   *metrics.Metrics // nil without --status-addr; its methods then do nothing

	// The OOM-kill counter of tend's memory cgroup, found once, and its
	// value when the current run started (oomOK: it could be read).
	oom       oomwatch.Counter
	oomBefore uint64
	oomOK     bool
	lastEnd   runEnd   // how the last run ended, for the log, status and summary
	note      notifier // --notify
}

// Run supervises cfg's command (or pauses) until it is over and every
// descendant is reaped, and returns the status tend should exit with.
//
// An error means nothing is running: a *UsageError (status 125) or a
// *spawn.StartError for the first start (126, 127 or 125). Once the child runs,
// Run never fails: errors are logged and the loop goes on (catatonit).
//
// The loop's goroutine is not locked to a thread: when a signal arrives,
// the goroutine that relays it can hand it to the loop on the same thread,
// without waking another one. Only forks lock, briefly (see forkExec).
func Run(ctx context.Context, cfg Config, log *slog.Logger) (int, error) {
	if cfg.Signals == nil {
		in := signals.Notify(false)
		cfg.Signals = &in
	}
	if err := cfg.Validate(); err != nil {
		return ExitUsage, err
	}
	// From here on, tend's own statuses go through --remap-exit too.
	fail := func(err error) (int, error) {
		code := exitCodeOf(err)
		writeTermination(&cfg, log, failSummary(err, code, cfg.RemapExit))
		return machine{lastCode: code, haveExit: true}.exitStatus(policy{remap: cfg.RemapExit}), err
	}
	s := &supervisor{cfg: cfg, pol: policyOf(&cfg), log: log, in: *cfg.Signals, tree: tree.New(), probeDone: make(chan probeResult, 1)}
	if !cfg.Pause {
		cmd, err := spawn.Prepare(cfg.Argv, cfg.Workdir, cfg.User)
		var oe *spawn.OptionError
		if errors.As(err, &oe) {
			err = &UsageError{Err: oe.Err}
		}
		if err != nil {
			return fail(err)
		}
		s.cmd = cmd
		s.oom = oomwatch.Find()
	}
	if cfg.Notify {
		if err := s.setupNotify(); err != nil {
			return fail(err)
		}
		defer s.closeNotify()
	}
	if cfg.StatusAddr != "" {
		s.metrics = metrics.New(cfg.Version, cfg.Commit)
		srv, err := status.Listen(cfg.StatusAddr, s.status.Load, s.metrics, func(msg string, args ...any) { log.Debug(msg, args...) })
		if err != nil {
			return fail(Usagef("--status-addr: %v", err))
		}
		s.server = srv
		defer func() { _ = srv.Close() }()
	}
	// Before the child exists, so that the spare threads are there before
	// anything the child does can fill a pids cgroup.
	spawn.ReserveThreads()
	s.becomeReaper()
	if cfg.PdeathSig != 0 {
		s.setPdeathsig()
	}
	if cfg.Pause {
		s.m.state = statePaused
		log.Info("pausing", "pid", os.Getpid())
	} else if err := s.startMain(); err != nil {
		return fail(err)
	}
	if cfg.Deadline > 0 {
		s.deadline = time.NewTimer(cfg.Deadline)
	}
	s.publish()
	// One reap right away: a SIGCHLD that came before Notify was registered
	// is not queued for us (runc#5206).
	s.reap()
	// From here on tend's work is this one loop, on one P (cmd/tend's
	// oneproc saw to that before any package was initialised), and the
	// code that got it here is not needed again: once the child has run a
	// while, tend drops its mappings of its binary's read-only pages
	// (textpages), so that its VmRSS shows what the loop touches. It
	// waits, so that a command that is over at once (a job, a probe,
	// `tend -- true`) pays nothing.
	s.settle = time.NewTimer(settleAfter)
	// Debug logging wants a line per forwarded signal: the loop's way.
	s.direct = !log.Enabled(ctx, slog.LevelDebug) && signals.SetDirect(passThrough(s.pol))
	return s.loop(ctx), nil
}

// settleAfter is how long the child runs before tend gives back the pages
// of its binary that start-up mapped.
const settleAfter = 50 * time.Millisecond

// minFiles is the RLIMIT_NOFILE tend needs: stdio, the cgroup CPU files
// the Go runtime keeps open (up to two) to follow GOMAXPROCS, its epoll
// and eventfd (timers), the signalfd, and the error pipe of a fork. Below
// it the runtime aborts with a stack trace instead of an error.
const minFiles = 10

// CheckFiles reports an RLIMIT_NOFILE too small for tend, so that tend can
// refuse to start with one clear line. Call it before anything uses a timer.
// (Go has already raised the soft limit to the hard one; children get the
// original back.)
func CheckFiles() error {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return nil
	}
	if rl.Cur < minFiles {
		return fmt.Errorf("RLIMIT_NOFILE is %d: tend needs at least %d file descriptors", rl.Cur, minFiles)
	}
	return nil
}

func exitCodeOf(err error) int {
	var se *spawn.StartError
	if errors.As(err, &se) {
		return se.ExitCode()
	}
	return ExitUsage
}

// becomeReaper makes tend a child subreaper unless it is PID 1 (which reaps
// its namespace anyway) or --no-subreaper says not to. A failure is a
// warning: tend still reaps its own children (tini#218).
func (s *supervisor) becomeReaper() {
	const blind = "tend cannot see its descendants (no /proc, or the /proc of another PID namespace): "
	switch {
	case s.tree.Blind() && s.tree.PID1():
		s.log.Warn(blind + "the cleanup before a restart reaches only the child's process group")
	case s.tree.Blind():
		s.log.Warn(blind + "a stop reaches only the child's process group")
	}
	if s.tree.PID1() {
		return
	}
	if s.cfg.NoSubreaper {
		s.log.Warn("not PID 1 and not a child subreaper (--no-subreaper): orphans of the command will not be reaped by tend")
		return
	}
	if err := reaper.SetSubreaper(); err != nil {
		s.log.Warn("could not become a child subreaper; orphans will not be reaped by tend", "err", err)
	}
}

// setPdeathsig asks the kernel to send the signal when tend's parent dies.
// If the parent died before the call, the signal is raised by hand.
//
// The setting belongs to the calling thread (golang/go#27505), so the call
// is made locked; the Go runtime never ends a thread that is not locked
// when its goroutine exits, so the thread, and the setting, last as long
// as tend.
func (s *supervisor) setPdeathsig() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ppid := os.Getppid()
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(s.cfg.PdeathSig), 0, 0, 0); err != nil {
		s.log.Warn("could not set the parent-death signal", "signal", signals.Name(s.cfg.PdeathSig), "err", err)
		return
	}
	if os.Getppid() != ppid {
		_ = unix.Kill(os.Getpid(), s.cfg.PdeathSig)
	}
}

// received handles a signal from either of the channels signals.Notify
// returns.
func (s *supervisor) received(sig os.Signal) {
	if n, ok := sig.(syscall.Signal); ok {
		s.onSignal(n)
	}
}

func (s *supervisor) loop(ctx context.Context) int {
	done := ctx.Done()
	for !s.finished() {
		s.aimDirect()
		select {
		case <-done:
			done = nil
			s.onSignal(unix.SIGTERM)
		case <-s.in.Child:
			s.reap()
		case sig := <-s.in.Other:
			s.received(sig)
		case sig := <-s.in.Queued:
			s.received(sig)
		case <-timerC(s.poll):
			s.poll = nil
		case <-timerC(s.grace):
			s.grace = nil
			s.onGrace()
		case <-timerC(s.kill):
			s.kill = nil
			s.onKillAgain()
		case <-timerC(s.restartT):
			s.restartT = nil
			s.onRestartDue()
		case <-timerC(s.deadline):
			s.deadline = nil
			s.onDeadline()
		case <-timerC(s.settle):
			s.settle = nil
			if _, err := textpages.Release(textpages.Ranges()); err != nil {
				s.log.Debug("could not give back the binary's pages", "err", err)
			}
		case <-timerC(s.drain):
			s.drain = nil
			s.feed(event{kind: evDrainOver})
		case <-timerC(s.probe.next):
			s.probe.next = nil
			s.startProbe()
		case <-timerC(s.probe.timeout):
			s.probe.timeout = nil
			s.onProbeTimeout()
		case r := <-s.probeDone:
			s.onProbeResult(r)
		case d, ok := <-s.notifyC():
			s.onNotify(d, ok)
		case <-timerC(s.note.watchdog):
			s.onWatchdog()
		}
	}
	s.aimDirect()
	s.stopTimers()
	status := s.m.exitStatus(s.pol)
	writeTermination(&s.cfg, s.log, summary(s.m, s.pol, s.facts()))
	s.log.Info("exiting", "status", status)
	return status
}

// finished reports whether tend may exit: no restart is coming, and the
// main child and every other descendant are gone.
//
// A PID 1 also waits, polling, for processes that joined its namespace
// from outside and so are nobody's children here (see reach.strangers).
func (s *supervisor) finished() bool {
	if s.m.final && s.gaveUp {
		return true
	}
	if !s.m.final || s.main != 0 || !s.noChildren {
		return false
	}
	if s.tree.Strangers() {
		if s.poll == nil {
			s.poll = time.NewTimer(strangerPoll)
		}
		return false
	}
	return true
}

// strangerPoll is how often a PID 1 looks for processes it cannot reap
// during the end of a shutdown.
const strangerPoll = 20 * time.Millisecond

func timerC(t *time.Timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}

func (s *supervisor) stopTimers() {
	for _, t := range []*time.Timer{s.grace, s.poll, s.kill, s.restartT, s.deadline, s.drain, s.settle, s.probe.next, s.probe.timeout, s.note.watchdog} {
		if t != nil {
			t.Stop()
		}
	}
}

// startMain starts the main child and delivers the signals that arrived
// while there was none.
func (s *supervisor) startMain() error {
	s.oomBefore, s.oomOK = s.oom.Read() // before the child can allocate
	pid, ttyErr, err := s.cmd.Start()
	if ttyErr != nil {
		s.log.Warn("could not hand the terminal to the child; it runs in the background", "err", ttyErr)
	}
	if err != nil {
		return err
	}
	s.main, s.started, s.noChildren = pid, time.Now(), false
	s.m, _ = step(s.m, event{kind: evStarted}, s.pol)
	s.metrics.ChildStarted(s.started)
	s.termedGroup, s.group = 0, pid
	s.graceOver, s.gaveUp = false, false
	if s.m.restarts > 0 {
		s.log.Info("started", "pid", pid, "command", s.cmd.Name(), "restarts", s.m.restarts)
	} else {
		s.log.Info("started", "pid", pid, "command", s.cmd.Name())
	}
	if s.cmd.HandedTo() != 0 {
		s.log.Debug("handed the terminal over", "pgid", pid)
	}
	pending := s.pending
	s.pending = nil
	for _, sig := range pending {
		s.forward(sig)
	}
	s.startProbing()
	s.startNotify()
	s.publish()
	return nil
}

// reap collects every exit and dispatches each by pid. Whether any child
// is left is known before the dispatch, so that an exit with nothing left
// behind costs no search for leftovers.
func (s *supervisor) reap() {
	s.unaimDirect() // the main child may be among the exits
	exits, err := reaper.Reap(s.exits[:0])
	s.exits = exits[:0]
	// Every process tend collected counts as reaped, probes included.
	s.metrics.Reaped(len(exits))
	switch {
	case err == nil:
		s.noChildren = false
	case errors.Is(err, unix.ECHILD):
		s.noChildren = true
	default:
		s.log.Error("reaping failed", "err", err)
	}
	for _, e := range exits {
		switch e.Pid {
		case s.main:
			s.onMainExit(e)
		case s.probe.pid:
			s.onProbeExit(e)
		default:
			s.log.Debug("reaped", "pid", e.Pid, "status", e.Code())
		}
	}
	if s.noChildren {
		s.onQuiet()
	}
}

// onMainExit decides between a restart and the end, then stops what the
// child left behind, as the shutdown does, so that two generations never
// overlap.
func (s *supervisor) onMainExit(e reaper.Exit) {
	code, ranFor := e.Code(), time.Since(s.started)
	s.main = 0
	s.metrics.ChildExited(code)
	s.lastEnd = endOf(e.Status, s.exitedOOM(e))
	s.logExited(e.Pid, code)
	s.reclaimTerminal()
	s.stopProbing()
	s.stopNotify()
	s.feed(event{kind: evExited, code: code, ranFor: ranFor})
	if !s.noChildren || (s.m.final && s.tree.Strangers()) {
		s.stopLeftovers()
	}
	s.publish()
}

// feed gives ev to the machine and performs the actions it answers with.
func (s *supervisor) feed(ev event) {
	before := s.m
	var acts []action
	s.m, acts = step(s.m, ev, s.pol)
	for _, a := range acts {
		s.do(a)
	}
	// A signal that only passes through changes nothing the status
	// endpoint shows: no new snapshot per forwarded signal.
	if ev.kind != evSignal || s.m != before {
		s.publish()
	}
}

// do performs one action of the machine: the I/O and the log lines.
func (s *supervisor) do(a action) {
	switch a.kind {
	case actStart:
		// A restart counts when it is performed, not when the backoff
		// is scheduled: a stop during the backoff cancels it uncounted.
		s.metrics.Restarted()
		s.restart()
	case actForward:
		s.forward(a.sig)
	case actPend:
		if len(s.pending) < maxPending {
			s.pending = append(s.pending, a.sig)
		} else {
			s.log.Debug("no child to forward to", "signal", signals.Name(a.from))
		}
	case actDrop:
		s.log.Debug("dropped", "signal", signals.Name(a.sig))
	case actNoChild:
		s.log.Debug("no child to forward to", "signal", signals.Name(a.sig))
	case actStop:
		if s.main != 0 {
			s.forward(a.sig)
			s.forward(unix.SIGCONT) // a stopped child could not act on it
		}
		s.armGrace()
	case actArmGrace:
		s.armGrace()
	case actKill:
		s.log.Info("grace period over; killing what is left", "grace", s.cfg.Grace)
		s.graceOver = true
		s.killUntil = time.Now().Add(killBound)
		s.killAgain()
	case actStopLeftovers:
		s.stopLeftovers()
	case actSchedule:
		limit := "unlimited"
		if s.cfg.MaxRestarts > 0 {
			limit = strconv.Itoa(s.cfg.MaxRestarts)
		}
		s.log.Info("restarting", "delay", a.delay, "attempt", strconv.Itoa(a.attempt)+"/"+limit)
		s.restartT = time.NewTimer(a.delay)
	case actCancelRestart:
		if s.restartT != nil {
			s.restartT.Stop()
			s.restartT = nil
		}
	case actStopProbing:
		s.stopProbing()
	case actGaveUp:
		s.log.Warn("gave up", "restarts", a.attempt-1, "status", a.code)
	case actLogStopping:
		switch a.reason {
		case stopPaused:
			s.log.Info("stopping", "signal", signals.Name(a.sig))
		case stopBackoff:
			s.log.Info("stopping", "signal", signals.Name(a.sig), "reason", "signal during backoff")
		case stopGrace:
			s.log.Info("stopping", "signal", signals.Name(a.sig), "grace", s.cfg.Grace)
		case stopDrained:
			s.log.Info("stopping", "signal", signals.Name(a.sig), "reason", "stop delay over", "delay", s.cfg.StopDelay)
		case stopInDrain:
			s.log.Info("stopping", "signal", signals.Name(a.sig), "reason", "signal during the stop delay")
		}
	case actDrain:
		s.log.Info("draining", "signal", signals.Name(a.sig), "delay", a.delay, "grace", s.cfg.Grace)
		s.drain = time.NewTimer(a.delay)
	case actCancelDrain:
		if s.drain != nil {
			s.drain.Stop()
			s.drain = nil
		}
	}
}

// onQuiet runs when no child is left at all.
func (s *supervisor) onQuiet() {
	s.reclaimTerminal() // before a restart hands it over again
	if s.grace != nil && !(s.m.final && s.tree.Strangers()) {
		s.grace.Stop()
		s.grace = nil
	}
	if s.kill != nil && !(s.m.final && s.tree.Strangers()) {
		s.kill.Stop()
		s.kill = nil
	}
	s.feed(event{kind: evQuiet})
}

// onRestartDue runs when the backoff is over; leftovers of the last run
// must be gone before the next one starts.
func (s *supervisor) onRestartDue() {
	s.feed(event{kind: evRestartDue, quiet: s.noChildren || s.gaveUp})
}

// restart starts the main child again; a failure counts as a run that
// exited at once with the start error's status.
func (s *supervisor) restart() {
	if err := s.startMain(); err != nil {
		code := exitCodeOf(err)
		s.log.Error("restart failed", "err", err, "status", code)
		s.lastEnd = runEnd{startErr: err}
		s.feed(event{kind: evExited, code: code})
	}
}

// onSignal hands one signal tend received to the machine (see
// machine.signal): it is rewritten and forwarded; SIGTERM starts the
// shutdown; SIGTERM and SIGINT end the restart loop.
func (s *supervisor) onSignal(sig unix.Signal) {
	s.feed(event{kind: evSignal, sig: sig, alive: s.main != 0})
}

// aimDirect points the signal handler's own forwarding at the main child
// while the machine only passes signals through to it, and at no one
// otherwise. The loop calls it before it waits for the next event: every
// change of state or child happens in the loop.
func (s *supervisor) aimDirect() {
	if !s.direct {
		return
	}
	want := 0
	if s.main != 0 && passing(s.m.state) {
		want = s.main
	}
	if want != s.directPid {
		signals.DirectTo(want, s.cfg.Forward == ForwardGroup)
		s.directPid = want
	}
}

// unaimDirect stops the handler's own forwarding before a reap: once
// wait4 has returned the main child's pid, nothing may signal it.
func (s *supervisor) unaimDirect() {
	if s.directPid != 0 {
		signals.DirectTo(0, false)
		s.directPid = 0
	}
}

func (s *supervisor) forward(sig unix.Signal) {
	group := s.cfg.Forward == ForwardGroup
	if err := signals.Send(s.main, sig, group); err != nil {
		s.log.Warn("could not forward", "signal", signals.Name(sig), "pid", s.main, "err", err)
		return
	}
	s.metrics.Forwarded(sig)
	if group && sig == leftoverSignal(s.pol) {
		s.termedGroup = s.main
	}
	// Checked first: the arguments would cost a string and two
	// allocations per forwarded signal, for a line not written.
	if !s.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	if group {
		s.log.Debug("forwarded", "signal", signals.Name(sig), "pgid", s.main)
	} else {
		s.log.Debug("forwarded", "signal", signals.Name(sig), "pid", s.main)
	}
}

// stopLeftovers sends leftoverSignal (--stop-signal, else SIGTERM) to
// every descendant and arms the grace timer.
//
// Members of a process group that already got that signal from the
// shutdown are skipped: a second one would run their handlers again.
func (s *supervisor) stopLeftovers() {
	if s.graceOver { // no second grace: SIGKILL now
		s.killAgain()
		return
	}
	sig := leftoverSignal(s.pol)
	n, err := s.tree.SignalDescendants(sig, tree.Stop{Main: s.main, Group: s.group, Skip: s.termedGroup, Final: s.m.final})
	if err != nil {
		s.log.Debug("signalling leftovers", "err", err)
	}
	if n != 0 {
		s.log.Info("stopping leftovers", "signal", signals.Name(sig), "grace", s.cfg.Grace)
	}
	s.armGrace()
}

// armGrace starts the grace period unless one is running: whatever is
// alive when it ends gets SIGKILL.
func (s *supervisor) armGrace() {
	if s.grace == nil {
		s.grace = time.NewTimer(s.cfg.Grace)
	}
}

func (s *supervisor) onGrace() {
	s.feed(event{kind: evGraceOver})
}

// killRetry is how soon tend walks its descendants again after a SIGKILL
// pass, and killBound how long after the grace it keeps doing so.
const (
	killRetry = 20 * time.Millisecond
	killBound = time.Second
)

// killAgain makes one SIGKILL pass and schedules the next. One pass is
// not enough for a subreaper: a process forked while tend walks /proc is
// not in the list it walked, and nothing would kill it. tend stops when
// nothing is left (onQuiet) or at killBound (onKillAgain).
func (s *supervisor) killAgain() {
	if _, err := s.tree.SignalDescendants(unix.SIGKILL, tree.Stop{Main: s.main, Group: s.group, Final: s.m.final}); err != nil {
		s.log.Warn("could not kill leftovers", "err", err)
	}
	if s.kill != nil {
		s.kill.Stop()
	}
	s.kill = time.NewTimer(killRetry)
}

// onKillAgain runs killRetry after a SIGKILL pass that left something
// alive: tend kills again, or, past killBound, gives up waiting, so that
// a process it cannot kill or cannot see (no /proc) never keeps it from
// exiting or restarting.
func (s *supervisor) onKillAgain() {
	if s.noChildren && !(s.m.final && s.tree.Strangers()) {
		return
	}
	if time.Now().Before(s.killUntil) {
		s.killAgain()
		return
	}
	s.log.Warn("leftovers outlived SIGKILL; no longer waiting for them", "after", s.cfg.Grace+killBound)
	s.gaveUp = true
	if s.main != 0 { // unkillable (or a zombie its threads hold): count it as killed
		s.main = 0
		s.metrics.ChildExited(128 + int(unix.SIGKILL))
		s.lastEnd = runEnd{sig: unix.SIGKILL}
		s.stopProbing()
		s.feed(event{kind: evExited, code: 128 + int(unix.SIGKILL), ranFor: time.Since(s.started)})
	}
	s.feed(event{kind: evQuiet})
}

func (s *supervisor) onDeadline() {
	s.log.Warn("deadline exceeded", "deadline", s.cfg.Deadline)
	s.feed(event{kind: evDeadline})
}

// publish stores a fresh snapshot for the status endpoint.
func (s *supervisor) publish() {
	// With --notify, ready needs READY=1 too (notifyGate): both must hold.
	ready := s.main != 0 && s.m.state == stateRunning && !s.probe.unhealthy && (s.probe.passed || !s.cfg.Health.Enabled()) && s.notifyGate()
	s.tellUpstream(ready)
	if s.server == nil {
		return
	}
	st := &status.Snapshot{
		State:    s.m.state.String(),
		PID:      s.main,
		Restarts: s.m.restarts,
		Live:     s.main != 0 && !s.probe.unhealthy && !s.note.unhealthy,
		Ready:    ready,
	}
	st.Notify, st.NotifyStatus = s.notifyState(), s.note.status
	if s.m.haveExit {
		code := s.m.lastCode
		st.LastExit = &code
		st.OOMKilled = s.lastEnd.oom
	}
	if !s.probe.lastTime.IsZero() {
		st.ProbeTime = s.probe.lastTime
		if s.probe.lastErr != nil {
			st.Probe = "failed: " + s.probe.lastErr.Error()
		} else {
			st.Probe = "ok"
		}
	}
	s.status.Store(st)
}

// reclaimTerminal takes the terminal back for tend (see
// [spawn.Command.TakeTerminalBack]) and logs what happened.
func (s *supervisor) reclaimTerminal() {
	if s.cmd == nil {
		return // --pause
	}
	took, err := s.cmd.TakeTerminalBack()
	switch {
	case errors.Is(err, unix.ENOTTY), errors.Is(err, unix.EIO), errors.Is(err, unix.ENXIO):
		s.log.Debug("could not take the terminal back", "err", err) // hung up or gone
	case err != nil:
		s.log.Warn("could not take the terminal back", "err", err)
	case took:
		s.log.Debug("took the terminal back", "pgid", unix.Getpgrp())
	}
}
