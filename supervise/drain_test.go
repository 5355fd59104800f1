package supervise

import (
	"reflect"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/signals"
)

// delayPol is pol(r) with --stop-delay 5s and the given --rewrite rules.
func delayPol(t *testing.T, r Restart, rewrites ...string) policy {
	t.Helper()
	p := pol(r)
	p.stopDelay = 5 * time.Second
	if len(rewrites) > 0 {
		rw, err := signals.ParseRewrites(rewrites)
		if err != nil {
			t.Fatal(err)
		}
		p.rewrite = rw
	}
	return p
}

func draining() machine { return machine{state: stateDraining, final: true} }

func TestMachineDrain(t *testing.T) {
	always := delayPol(t, RestartAlways)
	noDelay := pol(RestartAlways)
	quit := delayPol(t, RestartAlways, "TERM:QUIT")
	withStopSig := delayPol(t, RestartAlways)
	withStopSig.stopSignal = unix.SIGWINCH
	sigEv := func(s unix.Signal) event { return event{kind: evSignal, sig: s, alive: true} }
	stopNow := func(s unix.Signal) []action {
		return []action{{kind: actForward, sig: s}, {kind: actForward, sig: unix.SIGCONT}, {kind: actLogStopping, sig: unix.SIGTERM, reason: stopGrace}, {kind: actArmGrace}}
	}
	cut := func(got, fwd unix.Signal) []action {
		return []action{{kind: actCancelDrain}, {kind: actLogStopping, sig: got, reason: stopInDrain}, {kind: actStop, sig: fwd}}
	}
	tests := []struct {
		name         string
		m            machine
		p            policy
		ev           event
		want         []action
		wantState    state
		wantFinal    bool
		wantOverride int
	}{
		// Where a drain begins, and where it does not.
		{name: "TERM while running: drain, grace from now, no forward", m: running(), p: always, ev: sigEv(unix.SIGTERM),
			want:      []action{{kind: actArmGrace}, {kind: actDrain, sig: unix.SIGTERM, delay: 5 * time.Second}},
			wantState: stateDraining, wantFinal: true},
		{name: "TERM:QUIT: the received TERM drains too", m: running(), p: quit, ev: sigEv(unix.SIGTERM),
			want:      []action{{kind: actArmGrace}, {kind: actDrain, sig: unix.SIGTERM, delay: 5 * time.Second}},
			wantState: stateDraining, wantFinal: true},
		{name: "no delay: TERM is forwarded at once", m: running(), p: noDelay, ev: sigEv(unix.SIGTERM),
			want: stopNow(unix.SIGTERM), wantState: stateStopping, wantFinal: true},
		{name: "INT while running is forwarded, no drain", m: running(), p: always, ev: sigEv(unix.SIGINT),
			want: []action{{kind: actForward, sig: unix.SIGINT}}, wantState: stateRunning, wantFinal: true},
		{name: "INT:TERM: a TERM made of INT stops at once", m: running(), p: delayPol(t, RestartAlways, "INT:TERM"), ev: sigEv(unix.SIGINT),
			want:      []action{{kind: actForward, sig: unix.SIGTERM}, {kind: actForward, sig: unix.SIGCONT}, {kind: actLogStopping, sig: unix.SIGINT, reason: stopGrace}, {kind: actArmGrace}},
			wantState: stateStopping, wantFinal: true},
		{name: "TERM:0: dropped, no drain", m: running(), p: delayPol(t, RestartAlways, "TERM:0"), ev: sigEv(unix.SIGTERM),
			want: []action{{kind: actDrop, sig: unix.SIGTERM}}, wantState: stateRunning},
		{name: "TERM during a backoff: no child to drain, stop at once", m: machine{state: stateBackoff}, p: always, ev: event{kind: evSignal, sig: unix.SIGTERM},
			want:      []action{{kind: actLogStopping, sig: unix.SIGTERM, reason: stopBackoff}, {kind: actCancelRestart}},
			wantState: stateStopping, wantFinal: true},
		{name: "TERM with --pause: no delay", m: machine{state: statePaused}, p: always, ev: event{kind: evSignal, sig: unix.SIGTERM},
			want:      []action{{kind: actLogStopping, sig: unix.SIGTERM, reason: stopPaused}, {kind: actStopLeftovers}},
			wantState: stateStopping, wantFinal: true},
		{name: "TERM during tend's own stop (unhealthy): forwarded at once", m: machine{state: stateStopping, unhealthyRestart: true}, p: always, ev: sigEv(unix.SIGTERM),
			want:      []action{{kind: actForward, sig: unix.SIGTERM}, {kind: actForward, sig: unix.SIGCONT}, {kind: actArmGrace}},
			wantState: stateStopping, wantFinal: true},

		// Signals during the delay.
		{name: "second TERM forwards at once", m: draining(), p: always, ev: sigEv(unix.SIGTERM),
			want: cut(unix.SIGTERM, unix.SIGTERM), wantState: stateStopping, wantFinal: true},
		{name: "second TERM with TERM:QUIT forwards QUIT", m: draining(), p: quit, ev: sigEv(unix.SIGTERM),
			want: cut(unix.SIGTERM, unix.SIGQUIT), wantState: stateStopping, wantFinal: true},
		{name: "INT forwards INT at once", m: draining(), p: always, ev: sigEv(unix.SIGINT),
			want: cut(unix.SIGINT, unix.SIGINT), wantState: stateStopping, wantFinal: true},
		{name: "INT with INT:QUIT forwards QUIT at once", m: draining(), p: delayPol(t, RestartAlways, "INT:QUIT"), ev: sigEv(unix.SIGINT),
			want: cut(unix.SIGINT, unix.SIGQUIT), wantState: stateStopping, wantFinal: true},
		{name: "HUP:TERM: a TERM made of HUP forwards at once", m: draining(), p: delayPol(t, RestartAlways, "HUP:TERM"), ev: sigEv(unix.SIGHUP),
			want: cut(unix.SIGHUP, unix.SIGTERM), wantState: stateStopping, wantFinal: true},
		{name: "HUP is forwarded, the delay goes on", m: draining(), p: always, ev: sigEv(unix.SIGHUP),
			want: []action{{kind: actForward, sig: unix.SIGHUP}}, wantState: stateDraining, wantFinal: true},
		{name: "USR1:USR2 is forwarded rewritten, the delay goes on", m: draining(), p: delayPol(t, RestartAlways, "USR1:USR2"), ev: sigEv(unix.SIGUSR1),
			want: []action{{kind: actForward, sig: unix.SIGUSR2}}, wantState: stateDraining, wantFinal: true},
		{name: "INT:0: dropped, the delay goes on", m: draining(), p: delayPol(t, RestartAlways, "INT:0"), ev: sigEv(unix.SIGINT),
			want: []action{{kind: actDrop, sig: unix.SIGINT}}, wantState: stateDraining, wantFinal: true},

		// The end of the delay, and what ends it early.
		{name: "delay over: TERM and SIGCONT now", m: draining(), p: always, ev: event{kind: evDrainOver},
			want:      []action{{kind: actLogStopping, sig: unix.SIGTERM, reason: stopDrained}, {kind: actStop, sig: unix.SIGTERM}},
			wantState: stateStopping, wantFinal: true},
		{name: "delay over with TERM:QUIT: QUIT", m: draining(), p: quit, ev: event{kind: evDrainOver},
			want:      []action{{kind: actLogStopping, sig: unix.SIGTERM, reason: stopDrained}, {kind: actStop, sig: unix.SIGQUIT}},
			wantState: stateStopping, wantFinal: true},
		{name: "delay over with --stop-signal: still the received TERM", m: draining(), p: withStopSig, ev: event{kind: evDrainOver},
			want:      []action{{kind: actLogStopping, sig: unix.SIGTERM, reason: stopDrained}, {kind: actStop, sig: unix.SIGTERM}},
			wantState: stateStopping, wantFinal: true},
		{name: "stale delay over while stopping: nothing", m: machine{state: stateStopping, final: true}, p: always, ev: event{kind: evDrainOver},
			wantState: stateStopping, wantFinal: true},
		{name: "child exits during the delay: no restart", m: draining(), p: always, ev: event{kind: evExited, code: 0, ranFor: time.Minute},
			want: []action{{kind: actCancelDrain}}, wantState: stateStopping, wantFinal: true},
		{name: "deadline during the delay: --stop-signal at once, 124", m: draining(), p: withStopSig, ev: event{kind: evDeadline},
			want:      []action{{kind: actCancelDrain}, {kind: actCancelRestart}, {kind: actStopProbing}, {kind: actStop, sig: unix.SIGWINCH}},
			wantState: stateStopping, wantFinal: true, wantOverride: ExitDeadline},
		{name: "unhealthy during the delay: nothing", m: draining(), p: always, ev: event{kind: evUnhealthy},
			wantState: stateDraining, wantFinal: true},
		{name: "grace over during the delay: kill", m: draining(), p: always, ev: event{kind: evGraceOver},
			want: []action{{kind: actCancelDrain}, {kind: actKill}}, wantState: stateStopping, wantFinal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, acts := step(tt.m, tt.ev, tt.p)
			if len(acts) != 0 || len(tt.want) != 0 {
				if !reflect.DeepEqual(acts, tt.want) {
					t.Errorf("actions %+v; want %+v", acts, tt.want)
				}
			}
			if m.state != tt.wantState || m.final != tt.wantFinal || m.override != tt.wantOverride {
				t.Errorf("state %s, final %v, override %d; want %s, %v, %d", m.state, m.final, m.override, tt.wantState, tt.wantFinal, tt.wantOverride)
			}
		})
	}
}

// TestMachineDrainRun follows one stop with a delay under --restart
// always from SIGTERM to the end: drain, forward at the end of the delay,
// the child's exit ends tend with its status.
func TestMachineDrainRun(t *testing.T) {
	p := delayPol(t, RestartAlways)
	m, _ := step(machine{}, event{kind: evStarted}, p)
	m, _ = step(m, event{kind: evSignal, sig: unix.SIGTERM, alive: true}, p)
	if m.state != stateDraining || m.state.String() != "draining" {
		t.Fatalf("after SIGTERM: state %s; want draining", m.state)
	}
	m, acts := step(m, event{kind: evDrainOver}, p)
	if !reflect.DeepEqual(kinds(acts), []actionKind{actLogStopping, actStop}) || m.state != stateStopping {
		t.Fatalf("delay over: actions %v, state %s; want [stopping stop], stopping", kinds(acts), m.state)
	}
	m, acts = step(m, event{kind: evExited, code: 143, ranFor: time.Second}, p)
	if len(acts) != 0 || !m.final || m.state != stateStopping {
		t.Fatalf("exit after the delay: actions %v, final %v, state %s; want none, true, stopping", kinds(acts), m.final, m.state)
	}
	if got := m.exitStatus(p); got != 143 {
		t.Errorf("exit status %d; want 143", got)
	}
}
