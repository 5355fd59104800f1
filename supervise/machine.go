package supervise

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/signals"
)

// The main child's life is one state machine: the event loop performs the
// I/O (forks, kills, timers, logs) and feeds what happened to step as an
// event; step alone decides, and answers with the actions the loop must
// take. step starts no process and reads no clock, so every decision is
// tested without processes (machine_test.go).

// state is where the main child's life stands.
type state int

const (
	stateStarting state = iota // before the first start
	stateRunning               // the main child runs
	stateBackoff               // between two runs, waiting to restart
	stateStopping              // shutting down: no restart will follow
	statePaused                // --pause: no child, reaping orphans
	stateDraining              // --stop-delay: SIGTERM came, not ready, not yet forwarded
)

func (s state) String() string {
	switch s {
	case stateStarting:
		return "starting"
	case stateRunning:
		return "running"
	case stateBackoff:
		return "backoff"
	case stateStopping:
		return "stopping"
	case statePaused:
		return "paused"
	case stateDraining:
		return "draining"
	}
	return "unknown"
}

// eventKind names what happened.
type eventKind int

const (
	evStarted    eventKind = iota // the main child started
	evExited                      // the main child exited (or could not restart) with code, after ranFor
	evSignal                      // tend received sig; alive says whether the main child runs
	evGraceOver                   // the grace period of a stop is over
	evRestartDue                  // the backoff is over; quiet says no descendant is left
	evQuiet                       // no descendant is left (or tend gave up waiting for them)
	evDeadline                    // --deadline passed
	evUnhealthy                   // the probe failed --health-retries times in a row
	evDrainOver                   // --stop-delay after the SIGTERM that began a drain is over
)

// event is one input of the machine.
type event struct {
	kind   eventKind
	code   int           // evExited: the child's status
	ranFor time.Duration // evExited: how long the run lasted
	sig    unix.Signal   // evSignal: the signal as received
	alive  bool          // evSignal: the main child runs
	quiet  bool          // evRestartDue: nothing is left of the last run
}

// actionKind names what the loop must do.
type actionKind int

const (
	actStart         actionKind = iota // start the main child again (a restart)
	actForward                         // forward sig to the main child
	actPend                            // keep sig for the next child (none runs during a backoff)
	actDrop                            // drop sig: --rewrite maps it to nothing (log "dropped")
	actNoChild                         // sig has no child to go to (log it)
	actStop                            // stop the main child gracefully: stopSignal, SIGCONT, grace
	actArmGrace                        // start the grace period unless one runs
	actKill                            // the grace is over: SIGKILL what is left
	actStopLeftovers                   // leftoverSignal to every descendant (--pause stopping)
	actSchedule                        // restart after delay (log "restarting" with attempt)
	actCancelRestart                   // cancel a scheduled restart
	actStopProbing                     // cancel the probe schedule and any probe in flight
	actGaveUp                          // --max-restarts is exhausted (log "gave up")
	actLogStopping                     // log "stopping" (reason says which line)
	actDrain                           // log "draining", arm the drain timer for delay (--stop-delay)
	actCancelDrain                     // cancel the drain timer
)

// stopReason says which "stopping" line a signal logs.
type stopReason int

const (
	stopPaused  stopReason = iota // --pause ends
	stopBackoff                   // a signal during the backoff ends the restart loop
	stopGrace                     // a stop signal, with the grace period
	stopDrained                   // the stop delay is over: the drain's SIGTERM goes now
	stopInDrain                   // a second SIGTERM or a SIGINT during the stop delay
)

// action is one thing the loop must do.
type action struct {
	kind    actionKind
	sig     unix.Signal   // actForward, actPend, actDrop, actNoChild, actLogStopping, actStop, actDrain: the signal
	from    unix.Signal   // actPend: the signal as received, before --rewrite
	delay   time.Duration // actSchedule, actDrain
	attempt int           // actSchedule, actGaveUp (restarts so far: attempt-1)
	code    int           // actGaveUp: the last status
	reason  stopReason    // actLogStopping
}

// policy is what the options say about the child's life.
type policy struct {
	restart Restart
	// restartCodes and noRestartCodes refine restart (see wantRestart).
	restartCodes   []int
	noRestartCodes []int
	maxRestarts    int // 0: unlimited
	backoffMin     time.Duration
	backoffMax     time.Duration
	onUnhealthy    Unhealthy
	rewrite        signals.Rewrite
	remap          map[int]int
	pause          bool
	// stopSignal is --stop-signal; 0: SIGTERM after --rewrite.
	stopSignal unix.Signal
	// stopDelay is --stop-delay: how long a received SIGTERM waits,
	// the child not ready, before it is forwarded (see drain.go).
	stopDelay time.Duration
}

// policyOf reads the machine's policy from cfg.
func policyOf(cfg *Config) policy {
	return policy{
		restart:        cfg.Restart,
		restartCodes:   cfg.RestartCodes,
		noRestartCodes: cfg.NoRestartCodes,
		maxRestarts:    cfg.MaxRestarts,
		backoffMin:     cfg.BackoffMin,
		backoffMax:     cfg.BackoffMax,
		onUnhealthy:    cfg.Health.OnUnhealthy,
		rewrite:        cfg.Rewrite,
		remap:          cfg.RemapExit,
		pause:          cfg.Pause,
		stopSignal:     cfg.StopSignal,
		stopDelay:      cfg.StopDelay,
	}
}

// machine is the state of the child's life: all that decisions need.
type machine struct {
	state    state
	final    bool // no more restarts: tend exits once everything is gone
	haveExit bool
	lastCode int // the last main child's status
	override int // status forced by the deadline (124) or an unhealthy exit (69)
	attempt  int // consecutive restarts, for backoff and --max-restarts
	restarts int // restarts in all
	// restartDue: the backoff is over, the restart waits for leftovers.
	restartDue bool
	// unhealthyRestart: the child is being stopped to be restarted.
	unhealthyRestart bool
	// exhausted: --max-restarts ran out ("gave up"), for the summary.
	exhausted bool
	// stopSig is the signal, as received, that ended the restart loop (or
	// --pause), 0 if none did: for the termination summary.
	stopSig unix.Signal
}

// step is the transition function: the machine m, given event ev under
// policy p, becomes the returned machine, and the loop performs the
// returned actions in order.
func step(m machine, ev event, p policy) (machine, []action) {
	switch ev.kind {
	case evStarted:
		m.state = stateRunning
		return m, nil
	case evExited:
		return m.exited(ev.code, ev.ranFor, p)
	case evSignal:
		return m.signal(ev.sig, ev.alive, p)
	case evGraceOver:
		if m.state == stateDraining { // not below --grace: Validate refuses it
			m.state = stateStopping
			return m, []action{{kind: actCancelDrain}, {kind: actKill}}
		}
		return m, []action{{kind: actKill}}
	case evDrainOver:
		return m.drainOver(p)
	case evRestartDue:
		if m.state != stateBackoff {
			return m, nil
		}
		m.restartDue = true
		if ev.quiet {
			return m.restart()
		}
		return m, nil
	case evQuiet:
		if m.state == stateBackoff && m.restartDue {
			return m.restart()
		}
		return m, nil
	case evDeadline:
		m.override, m.final = ExitDeadline, true
		m.restartDue = false
		acts := []action{{kind: actCancelRestart}, {kind: actStopProbing}, {kind: actStop, sig: stopSignal(p)}}
		if m.state == stateDraining { // the deadline is not delayed: it ends the drain
			acts = append([]action{{kind: actCancelDrain}}, acts...)
		}
		m.state = stateStopping
		return m, acts
	case evUnhealthy:
		if m.state != stateRunning {
			return m, nil
		}
		if unhealthyAction(p) == UnhealthyExit {
			m.override, m.final = ExitUnhealthy, true
		} else {
			m.unhealthyRestart = true
		}
		m.state = stateStopping
		return m, []action{{kind: actStopProbing}, {kind: actStop, sig: stopSignal(p)}}
	}
	return m, nil
}

// exited records a run's status and either schedules the next run or
// makes this one the last.
func (m machine) exited(code int, ranFor time.Duration, p policy) (machine, []action) {
	m.lastCode, m.haveExit = code, true
	if m.state == stateDraining { // the child did not wait for its SIGTERM: the drain is over
		m.state = stateStopping
		return m, []action{{kind: actCancelDrain}}
	}
	unhealthy := m.unhealthyRestart
	m.unhealthyRestart = false
	if m.final || !wantRestart(p, code, unhealthy) {
		m.final, m.state = true, stateStopping
		return m, nil
	}
	m.attempt = nextAttempt(m.attempt, ranFor, p.backoffMax)
	if exhausted(m.attempt, p.maxRestarts) {
		m.final, m.state, m.exhausted = true, stateStopping, true
		return m, []action{{kind: actGaveUp, attempt: m.attempt, code: code}}
	}
	m.state, m.restartDue = stateBackoff, false
	delay := backoff(m.attempt, p.backoffMin, p.backoffMax)
	return m, []action{{kind: actSchedule, delay: delay, attempt: m.attempt}}
}

func (m machine) restart() (machine, []action) {
	m.restartDue = false
	m.restarts++
	return m, []action{{kind: actStart}}
}

// signal rewrites and forwards one signal tend received. SIGTERM starts
// the shutdown; SIGTERM and SIGINT end the restart loop.
func (m machine) signal(sig unix.Signal, alive bool, p policy) (machine, []action) {
	to, ok := p.rewrite.Apply(sig)
	if !ok {
		return m, []action{{kind: actDrop, sig: sig}}
	}
	stop := sig == unix.SIGTERM || to == unix.SIGTERM
	end := stop || sig == unix.SIGINT || to == unix.SIGINT
	if m.state == stateDraining {
		return m.drainSignal(sig, to, end)
	}
	if sig == unix.SIGTERM && alive && m.state == stateRunning && p.stopDelay > 0 {
		return m.drain(sig, p)
	}
	if m.state == statePaused {
		if !end {
			return m, nil
		}
		m.final, m.state, m.stopSig = true, stateStopping, sig
		return m, []action{{kind: actLogStopping, sig: sig, reason: stopPaused}, {kind: actStopLeftovers}}
	}
	if end && !m.final {
		m.final, m.stopSig = true, sig
		if m.state == stateBackoff {
			m.state, m.restartDue = stateStopping, false
			return m, []action{{kind: actLogStopping, sig: sig, reason: stopBackoff}, {kind: actCancelRestart}}
		}
	}
	if !alive {
		if m.state == stateBackoff {
			return m, []action{{kind: actPend, sig: to, from: sig}}
		}
		return m, []action{{kind: actNoChild, sig: sig}}
	}
	acts := []action{{kind: actForward, sig: to}}
	if stop {
		acts = append(acts, action{kind: actForward, sig: unix.SIGCONT}) // a stopped child could not act on it
		if m.state != stateStopping {
			acts = append(acts, action{kind: actLogStopping, sig: sig, reason: stopGrace})
		}
		m.state = stateStopping
		acts = append(acts, action{kind: actArmGrace})
	}
	return m, acts
}

// stopSignal is what a stop tend decides (deadline, unhealthy, a restart
// after unhealthy) sends to the main child: --stop-signal as given, which
// --rewrite does not touch; without it SIGTERM after --rewrite, as before
// --stop-signal existed. Signals tend receives are forwarded after
// --rewrite and never replaced by --stop-signal.
func stopSignal(p policy) unix.Signal {
	if p.stopSignal != 0 {
		return p.stopSignal
	}
	sig := unix.Signal(unix.SIGTERM)
	if to, ok := p.rewrite.Apply(sig); ok {
		sig = to
	}
	return sig
}

// leftoverSignal is what starts the stop of the descendants left once the
// main child is gone (before a restart, at the end, when --pause stops):
// --stop-signal, so that every process tend stops gets the one signal the
// image asked for; without it SIGTERM. --rewrite applies to forwarded
// signals only, and leftovers were never forwarded anything.
func leftoverSignal(p policy) unix.Signal {
	if p.stopSignal != 0 {
		return p.stopSignal
	}
	return unix.SIGTERM
}

// unhealthyAction resolves --on-unhealthy's default: restart when the
// restart policy restarts at all, exit otherwise.
func unhealthyAction(p policy) Unhealthy {
	if p.onUnhealthy != UnhealthyDefault {
		return p.onUnhealthy
	}
	if p.restart != RestartNo {
		return UnhealthyRestart
	}
	return UnhealthyExit
}

// exitStatus is the one place tend's exit status is computed: the
// override (deadline, unhealthy) or else the last child's status (0 with
// --pause or when no child ever exited), then --remap-exit, applied once.
func (m machine) exitStatus(p policy) int {
	status := m.lastCode
	if m.override != 0 {
		status = m.override
	} else if p.pause || !m.haveExit {
		status = 0
	}
	return finalStatus(status, p.remap)
}

// passThrough returns, for every signal tend receives, the one it forwards
// when the machine does nothing but forward it while the main child is
// alive (running, draining or stopping), and 0 for the signals the loop
// must see: those it drops, those that stop the child or end the restart
// loop (SIGTERM and SIGINT, before or after --rewrite), and the signal
// that stops leftovers, whose forwarding to a group the loop records.
// The signal handler forwards the others by itself (signals.SetDirect).
func passThrough(p policy) *[signals.Max + 1]unix.Signal {
	var t [signals.Max + 1]unix.Signal
	left := leftoverSignal(p)
	for n := 1; n <= signals.Max; n++ {
		sig := unix.Signal(n)
		if !signals.Forwardable(sig) {
			continue
		}
		to, ok := p.rewrite.Apply(sig)
		switch {
		case !ok:
		case sig == unix.SIGTERM, sig == unix.SIGINT, to == unix.SIGTERM, to == unix.SIGINT:
		case sig == left, to == left:
		default:
			t[n] = to
		}
	}
	return &t
}

// passing reports whether a signal in passThrough's table only passes
// through in state st.
func passing(st state) bool {
	return st == stateRunning || st == stateDraining || st == stateStopping
}
