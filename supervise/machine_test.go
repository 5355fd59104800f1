package supervise

import (
	"reflect"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/signals"
)

// pol is a policy with the documented defaults and the given restart policy.
func pol(r Restart) policy {
	c := Defaults()
	c.Restart = r
	return policyOf(&c)
}

func running() machine { return machine{state: stateRunning} }

// codesPol is pol(r) with --restart-codes and --no-restart-codes.
func codesPol(r Restart, codes, never []int) policy {
	p := pol(r)
	p.restartCodes, p.noRestartCodes = codes, never
	return p
}

// kinds lists the kinds of acts, for comparisons.
func kinds(acts []action) []actionKind {
	out := []actionKind{}
	for _, a := range acts {
		out = append(out, a.kind)
	}
	return out
}

func TestMachineExit(t *testing.T) {
	short := 10 * time.Millisecond
	tests := []struct {
		name      string
		m         machine
		p         policy
		code      int
		ranFor    time.Duration
		wantState state
		wantFinal bool
		wantActs  []actionKind
		wantDelay time.Duration
		wantTry   int
	}{
		{name: "no, exit 1", m: running(), p: pol(RestartNo), code: 1, wantState: stateStopping, wantFinal: true, wantActs: []actionKind{}},
		{name: "on-failure, exit 0", m: running(), p: pol(RestartOnFailure), code: 0, wantState: stateStopping, wantFinal: true, wantActs: []actionKind{}},
		{name: "on-failure, exit 1", m: running(), p: pol(RestartOnFailure), code: 1, ranFor: short, wantState: stateBackoff, wantActs: []actionKind{actSchedule}, wantDelay: time.Second, wantTry: 1},
		{name: "always, exit 0", m: running(), p: pol(RestartAlways), code: 0, ranFor: short, wantState: stateBackoff, wantActs: []actionKind{actSchedule}, wantDelay: time.Second, wantTry: 1},
		{name: "no, unhealthy restart", m: machine{state: stateStopping, unhealthyRestart: true}, p: pol(RestartNo), code: 143, ranFor: short, wantState: stateBackoff, wantActs: []actionKind{actSchedule}, wantDelay: time.Second, wantTry: 1},
		{name: "backoff doubles", m: machine{state: stateRunning, attempt: 2}, p: pol(RestartAlways), code: 1, ranFor: short, wantState: stateBackoff, wantActs: []actionKind{actSchedule}, wantDelay: 4 * time.Second, wantTry: 3},
		{name: "backoff capped", m: machine{state: stateRunning, attempt: 8}, p: pol(RestartAlways), code: 1, ranFor: short, wantState: stateBackoff, wantActs: []actionKind{actSchedule}, wantDelay: time.Minute, wantTry: 9},
		{name: "long run resets", m: machine{state: stateRunning, attempt: 5}, p: pol(RestartAlways), code: 1, ranFor: 2 * time.Minute, wantState: stateBackoff, wantActs: []actionKind{actSchedule}, wantDelay: time.Second, wantTry: 1},
		{name: "max restarts exhausted", m: machine{state: stateRunning, attempt: 10}, p: pol(RestartAlways), code: 3, ranFor: short, wantState: stateStopping, wantFinal: true, wantActs: []actionKind{actGaveUp}, wantTry: 11},
		{name: "always, --no-restart-codes 3, exit 3: the end", m: running(), p: codesPol(RestartAlways, nil, []int{3}), code: 3, ranFor: short, wantState: stateStopping, wantFinal: true, wantActs: []actionKind{}},
		{name: "always, --no-restart-codes 3, exit 1: restart", m: running(), p: codesPol(RestartAlways, nil, []int{3}), code: 1, ranFor: short, wantState: stateBackoff, wantActs: []actionKind{actSchedule}, wantDelay: time.Second, wantTry: 1},
		{name: "on-failure, --restart-codes 2, exit 2: restart", m: running(), p: codesPol(RestartOnFailure, []int{2}, nil), code: 2, ranFor: short, wantState: stateBackoff, wantActs: []actionKind{actSchedule}, wantDelay: time.Second, wantTry: 1},
		{name: "on-failure, --restart-codes 2, exit 4: the end", m: running(), p: codesPol(RestartOnFailure, []int{2}, nil), code: 4, ranFor: short, wantState: stateStopping, wantFinal: true, wantActs: []actionKind{}},
		{name: "--restart-codes 2 still counts --max-restarts", m: machine{state: stateRunning, attempt: 10}, p: codesPol(RestartAlways, []int{2}, nil), code: 2, ranFor: short, wantState: stateStopping, wantFinal: true, wantActs: []actionKind{actGaveUp}, wantTry: 11},
		{name: "--no-restart-codes 143 does not block an unhealthy restart", m: machine{state: stateStopping, unhealthyRestart: true}, p: codesPol(RestartAlways, nil, []int{143}), code: 143, ranFor: short, wantState: stateBackoff, wantActs: []actionKind{actSchedule}, wantDelay: time.Second, wantTry: 1},
		{name: "final run is not restarted", m: machine{state: stateStopping, final: true}, p: pol(RestartAlways), code: 143, wantState: stateStopping, wantFinal: true, wantActs: []actionKind{}},
		{
			name: "zero backoff keeps counting",
			m:    machine{state: stateRunning, attempt: 3},
			p:    policy{restart: RestartAlways, maxRestarts: 10},
			code: 1, ranFor: 500 * time.Millisecond,
			wantState: stateBackoff, wantActs: []actionKind{actSchedule}, wantDelay: minBackoff, wantTry: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, acts := step(tt.m, event{kind: evExited, code: tt.code, ranFor: tt.ranFor}, tt.p)
			if m.state != tt.wantState || m.final != tt.wantFinal || !reflect.DeepEqual(kinds(acts), tt.wantActs) {
				t.Fatalf("step(exit %d) = state %s, final %v, actions %v; want %s, %v, %v", tt.code, m.state, m.final, kinds(acts), tt.wantState, tt.wantFinal, tt.wantActs)
			}
			if !m.haveExit || m.lastCode != tt.code || m.unhealthyRestart {
				t.Errorf("step(exit %d) recorded haveExit %v, lastCode %d, unhealthyRestart %v", tt.code, m.haveExit, m.lastCode, m.unhealthyRestart)
			}
			if tt.wantTry != 0 && m.attempt != tt.wantTry {
				t.Errorf("attempt = %d; want %d", m.attempt, tt.wantTry)
			}
			if len(acts) == 1 && acts[0].kind == actSchedule && acts[0].delay != tt.wantDelay {
				t.Errorf("delay = %s; want %s", acts[0].delay, tt.wantDelay)
			}
		})
	}
}

func TestMachineRestartDue(t *testing.T) {
	p := pol(RestartAlways)
	backoffM := machine{state: stateBackoff, attempt: 1}
	// Due with leftovers still there: wait for them.
	m, acts := step(backoffM, event{kind: evRestartDue}, p)
	if len(acts) != 0 || !m.restartDue {
		t.Fatalf("due, not quiet: actions %v, restartDue %v; want none, true", kinds(acts), m.restartDue)
	}
	// Then the last one goes.
	m, acts = step(m, event{kind: evQuiet}, p)
	if !reflect.DeepEqual(kinds(acts), []actionKind{actStart}) || m.restartDue || m.restarts != 1 {
		t.Fatalf("quiet after due: actions %v, restartDue %v, restarts %d; want [start], false, 1", kinds(acts), m.restartDue, m.restarts)
	}
	// Due and quiet: start at once.
	m, acts = step(backoffM, event{kind: evRestartDue, quiet: true}, p)
	if !reflect.DeepEqual(kinds(acts), []actionKind{actStart}) || m.restarts != 1 {
		t.Fatalf("due, quiet: actions %v; want [start]", kinds(acts))
	}
	if m, _ = step(m, event{kind: evStarted}, p); m.state != stateRunning {
		t.Errorf("after evStarted: state %s; want running", m.state)
	}
	// Quiet before due, or due outside a backoff: nothing.
	for _, tt := range []struct {
		m  machine
		ev event
	}{
		{backoffM, event{kind: evQuiet}},
		{machine{state: stateStopping, final: true}, event{kind: evRestartDue, quiet: true}},
	} {
		if _, acts := step(tt.m, tt.ev, p); len(acts) != 0 {
			t.Errorf("state %s, event %d: actions %v; want none", tt.m.state, tt.ev.kind, kinds(acts))
		}
	}
}

func TestMachineSignal(t *testing.T) {
	quitRewrite, err := signals.ParseRewrites([]string{"TERM:QUIT"})
	if err != nil {
		t.Fatal(err)
	}
	dropHup, err := signals.ParseRewrites([]string{"HUP:0"})
	if err != nil {
		t.Fatal(err)
	}
	withRewrite := func(r signals.Rewrite) policy { p := pol(RestartAlways); p.rewrite = r; return p }
	tests := []struct {
		name      string
		m         machine
		p         policy
		sig       unix.Signal
		alive     bool
		wantState state
		wantFinal bool
		want      []action
	}{
		{
			name: "TERM while running", m: running(), p: pol(RestartAlways), sig: unix.SIGTERM, alive: true,
			wantState: stateStopping, wantFinal: true,
			want: []action{{kind: actForward, sig: unix.SIGTERM}, {kind: actForward, sig: unix.SIGCONT}, {kind: actLogStopping, sig: unix.SIGTERM, reason: stopGrace}, {kind: actArmGrace}},
		},
		{
			name: "INT ends the restart loop but only forwards", m: running(), p: pol(RestartAlways), sig: unix.SIGINT, alive: true,
			wantState: stateRunning, wantFinal: true,
			want: []action{{kind: actForward, sig: unix.SIGINT}},
		},
		{
			name: "HUP is forwarded", m: running(), p: pol(RestartAlways), sig: unix.SIGHUP, alive: true,
			wantState: stateRunning,
			want:      []action{{kind: actForward, sig: unix.SIGHUP}},
		},
		{
			name: "TERM during backoff ends the restart loop", m: machine{state: stateBackoff, restartDue: true}, p: pol(RestartAlways), sig: unix.SIGTERM,
			wantState: stateStopping, wantFinal: true,
			want: []action{{kind: actLogStopping, sig: unix.SIGTERM, reason: stopBackoff}, {kind: actCancelRestart}},
		},
		{
			name: "INT during backoff ends the restart loop", m: machine{state: stateBackoff}, p: pol(RestartAlways), sig: unix.SIGINT,
			wantState: stateStopping, wantFinal: true,
			want: []action{{kind: actLogStopping, sig: unix.SIGINT, reason: stopBackoff}, {kind: actCancelRestart}},
		},
		{
			name: "HUP during backoff waits for the next child", m: machine{state: stateBackoff}, p: pol(RestartAlways), sig: unix.SIGHUP,
			wantState: stateBackoff,
			want:      []action{{kind: actPend, sig: unix.SIGHUP, from: unix.SIGHUP}},
		},
		{
			name: "TERM again while stopping does not log again", m: machine{state: stateStopping, final: true}, p: pol(RestartAlways), sig: unix.SIGTERM, alive: true,
			wantState: stateStopping, wantFinal: true,
			want: []action{{kind: actForward, sig: unix.SIGTERM}, {kind: actForward, sig: unix.SIGCONT}, {kind: actArmGrace}},
		},
		{
			name: "no child while stopping", m: machine{state: stateStopping, final: true}, p: pol(RestartAlways), sig: unix.SIGHUP,
			wantState: stateStopping, wantFinal: true,
			want: []action{{kind: actNoChild, sig: unix.SIGHUP}},
		},
		{
			name: "rewritten TERM still stops", m: running(), p: withRewrite(quitRewrite), sig: unix.SIGTERM, alive: true,
			wantState: stateStopping, wantFinal: true,
			want: []action{{kind: actForward, sig: unix.SIGQUIT}, {kind: actForward, sig: unix.SIGCONT}, {kind: actLogStopping, sig: unix.SIGTERM, reason: stopGrace}, {kind: actArmGrace}},
		},
		{
			name: "dropped signal", m: running(), p: withRewrite(dropHup), sig: unix.SIGHUP, alive: true,
			wantState: stateRunning,
			want:      []action{{kind: actDrop, sig: unix.SIGHUP}},
		},
		{
			name: "TERM ends --pause", m: machine{state: statePaused}, p: pol(RestartNo), sig: unix.SIGTERM,
			wantState: stateStopping, wantFinal: true,
			want: []action{{kind: actLogStopping, sig: unix.SIGTERM, reason: stopPaused}, {kind: actStopLeftovers}},
		},
		{
			name: "HUP does nothing in --pause", m: machine{state: statePaused}, p: pol(RestartNo), sig: unix.SIGHUP,
			wantState: statePaused,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, acts := step(tt.m, event{kind: evSignal, sig: tt.sig, alive: tt.alive}, tt.p)
			if m.state != tt.wantState || m.final != tt.wantFinal {
				t.Errorf("state %s, final %v; want %s, %v", m.state, m.final, tt.wantState, tt.wantFinal)
			}
			if len(acts) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(acts, tt.want) {
				t.Errorf("actions %+v; want %+v", acts, tt.want)
			}
			if tt.m.state == stateBackoff && m.final && m.restartDue {
				t.Errorf("restartDue still set after the restart loop ended")
			}
		})
	}
}

func TestMachineGraceDeadlineUnhealthy(t *testing.T) {
	quit, err := signals.ParseRewrites([]string{"TERM:QUIT"})
	if err != nil {
		t.Fatal(err)
	}
	rewritten := pol(RestartNo)
	rewritten.rewrite = quit
	// --stop-signal QUIT, alone and beside --rewrite TERM:USR1 (it wins).
	stopQuit := pol(RestartOnFailure)
	stopQuit.stopSignal = unix.SIGQUIT
	usr1, err := signals.ParseRewrites([]string{"TERM:USR1"})
	if err != nil {
		t.Fatal(err)
	}
	stopQuitRewritten := stopQuit
	stopQuitRewritten.rewrite = usr1
	withUnhealthy := func(r Restart, u Unhealthy) policy { p := pol(r); p.onUnhealthy = u; return p }
	tests := []struct {
		name         string
		m            machine
		p            policy
		ev           event
		wantActs     []action
		wantState    state
		wantFinal    bool
		wantOverride int
		wantRestart  bool // unhealthyRestart
	}{
		{name: "grace expiry kills", m: machine{state: stateStopping, final: true}, p: pol(RestartNo), ev: event{kind: evGraceOver},
			wantActs: []action{{kind: actKill}}, wantState: stateStopping, wantFinal: true},
		{name: "deadline", m: running(), p: pol(RestartAlways), ev: event{kind: evDeadline},
			wantActs:  []action{{kind: actCancelRestart}, {kind: actStopProbing}, {kind: actStop, sig: unix.SIGTERM}},
			wantState: stateStopping, wantFinal: true, wantOverride: ExitDeadline},
		{name: "deadline during backoff", m: machine{state: stateBackoff, restartDue: true}, p: pol(RestartAlways), ev: event{kind: evDeadline},
			wantActs:  []action{{kind: actCancelRestart}, {kind: actStopProbing}, {kind: actStop, sig: unix.SIGTERM}},
			wantState: stateStopping, wantFinal: true, wantOverride: ExitDeadline},
		{name: "deadline stops with the rewritten TERM", m: running(), p: rewritten, ev: event{kind: evDeadline},
			wantActs:  []action{{kind: actCancelRestart}, {kind: actStopProbing}, {kind: actStop, sig: unix.SIGQUIT}},
			wantState: stateStopping, wantFinal: true, wantOverride: ExitDeadline},
		{name: "deadline stops with --stop-signal", m: running(), p: stopQuit, ev: event{kind: evDeadline},
			wantActs:  []action{{kind: actCancelRestart}, {kind: actStopProbing}, {kind: actStop, sig: unix.SIGQUIT}},
			wantState: stateStopping, wantFinal: true, wantOverride: ExitDeadline},
		{name: "--stop-signal wins over --rewrite of TERM", m: running(), p: stopQuitRewritten, ev: event{kind: evDeadline},
			wantActs:  []action{{kind: actCancelRestart}, {kind: actStopProbing}, {kind: actStop, sig: unix.SIGQUIT}},
			wantState: stateStopping, wantFinal: true, wantOverride: ExitDeadline},
		{name: "unhealthy restart stops with --stop-signal", m: running(), p: stopQuit, ev: event{kind: evUnhealthy},
			wantActs:  []action{{kind: actStopProbing}, {kind: actStop, sig: unix.SIGQUIT}},
			wantState: stateStopping, wantRestart: true},
		{name: "unhealthy, restart no: exit 69", m: running(), p: pol(RestartNo), ev: event{kind: evUnhealthy},
			wantActs:  []action{{kind: actStopProbing}, {kind: actStop, sig: unix.SIGTERM}},
			wantState: stateStopping, wantFinal: true, wantOverride: ExitUnhealthy},
		{name: "unhealthy, restart on-failure: restart", m: running(), p: pol(RestartOnFailure), ev: event{kind: evUnhealthy},
			wantActs:  []action{{kind: actStopProbing}, {kind: actStop, sig: unix.SIGTERM}},
			wantState: stateStopping, wantRestart: true},
		{name: "unhealthy, --on-unhealthy exit", m: running(), p: withUnhealthy(RestartAlways, UnhealthyExit), ev: event{kind: evUnhealthy},
			wantActs:  []action{{kind: actStopProbing}, {kind: actStop, sig: unix.SIGTERM}},
			wantState: stateStopping, wantFinal: true, wantOverride: ExitUnhealthy},
		{name: "unhealthy, --on-unhealthy restart", m: running(), p: withUnhealthy(RestartNo, UnhealthyRestart), ev: event{kind: evUnhealthy},
			wantActs:  []action{{kind: actStopProbing}, {kind: actStop, sig: unix.SIGTERM}},
			wantState: stateStopping, wantRestart: true},
		{name: "unhealthy while stopping: nothing", m: machine{state: stateStopping, final: true}, p: pol(RestartNo), ev: event{kind: evUnhealthy},
			wantState: stateStopping, wantFinal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, acts := step(tt.m, tt.ev, tt.p)
			if len(acts) != 0 || len(tt.wantActs) != 0 {
				if !reflect.DeepEqual(acts, tt.wantActs) {
					t.Errorf("actions %+v; want %+v", acts, tt.wantActs)
				}
			}
			if m.state != tt.wantState || m.final != tt.wantFinal || m.override != tt.wantOverride || m.unhealthyRestart != tt.wantRestart {
				t.Errorf("state %s, final %v, override %d, unhealthyRestart %v; want %s, %v, %d, %v",
					m.state, m.final, m.override, m.unhealthyRestart, tt.wantState, tt.wantFinal, tt.wantOverride, tt.wantRestart)
			}
			if m.restartDue {
				t.Errorf("restartDue still set")
			}
		})
	}
	// The child stopped for an unhealthy restart is restarted even with
	// --restart no, and the flag is used once.
	m, _ := step(running(), event{kind: evUnhealthy}, withUnhealthy(RestartNo, UnhealthyRestart))
	m, acts := step(m, event{kind: evExited, code: 143, ranFor: time.Minute}, withUnhealthy(RestartNo, UnhealthyRestart))
	if !reflect.DeepEqual(kinds(acts), []actionKind{actSchedule}) || m.state != stateBackoff {
		t.Fatalf("exit after an unhealthy stop: actions %v, state %s; want [schedule], backoff", kinds(acts), m.state)
	}
	m, _ = step(m, event{kind: evRestartDue, quiet: true}, pol(RestartNo))
	m, _ = step(m, event{kind: evStarted}, pol(RestartNo))
	if m, _ = step(m, event{kind: evExited, code: 1}, pol(RestartNo)); !m.final {
		t.Errorf("a plain exit after the unhealthy restart was restarted too")
	}
}

func TestMachineExitStatus(t *testing.T) {
	remap := map[int]int{143: 0, 124: 3, 69: 4, 0: 9}
	tests := []struct {
		name  string
		m     machine
		pause bool
		remap map[int]int
		want  int
	}{
		{name: "child status", m: machine{haveExit: true, lastCode: 7}, want: 7},
		{name: "signal death", m: machine{haveExit: true, lastCode: 143}, want: 143},
		{name: "no exit yet", m: machine{}, want: 0},
		{name: "pause", m: machine{haveExit: false}, pause: true, want: 0},
		{name: "deadline overrides", m: machine{haveExit: true, lastCode: 143, override: ExitDeadline}, want: 124},
		{name: "unhealthy overrides", m: machine{haveExit: true, lastCode: 143, override: ExitUnhealthy}, want: 69},
		{name: "remap applied", m: machine{haveExit: true, lastCode: 143}, remap: remap, want: 0},
		{name: "remap applied once", m: machine{haveExit: true, lastCode: 0}, remap: map[int]int{0: 143, 143: 1}, want: 143},
		{name: "remap of the deadline", m: machine{haveExit: true, lastCode: 1, override: ExitDeadline}, remap: remap, want: 3},
		{name: "remap of the unhealthy status", m: machine{override: ExitUnhealthy}, remap: remap, want: 4},
		{name: "remap of pause's 0", m: machine{}, pause: true, remap: remap, want: 9},
		{name: "start failure", m: machine{haveExit: true, lastCode: ExitNotFound}, remap: map[int]int{127: 1}, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.exitStatus(policy{pause: tt.pause, remap: tt.remap}); got != tt.want {
				t.Errorf("exitStatus(%+v, pause %v, remap %v) = %d; want %d", tt.m, tt.pause, tt.remap, got, tt.want)
			}
		})
	}
}

// A SIGTERM tend receives follows --rewrite, not --stop-signal: the stop
// signal governs only the stops tend decides.
func TestMachineStopSignalLeavesForwarding(t *testing.T) {
	usr1, err := signals.ParseRewrites([]string{"TERM:USR1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		rewrite signals.Rewrite
		want    unix.Signal
	}{
		{"no rewrite: TERM forwarded as TERM", nil, unix.SIGTERM},
		{"--rewrite TERM:USR1: forwarded as USR1", usr1, unix.SIGUSR1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pol(RestartNo)
			p.stopSignal, p.rewrite = unix.SIGQUIT, tt.rewrite
			_, acts := step(running(), event{kind: evSignal, sig: unix.SIGTERM, alive: true}, p)
			if len(acts) == 0 || acts[0].kind != actForward || acts[0].sig != tt.want {
				t.Fatalf("SIGTERM with --stop-signal QUIT: actions %+v; want forward %s first", acts, signals.Name(tt.want))
			}
		})
	}
}

func TestStopAndLeftoverSignal(t *testing.T) {
	quit, err := signals.ParseRewrites([]string{"TERM:QUIT"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		stop         unix.Signal
		rewrite      signals.Rewrite
		wantStop     unix.Signal
		wantLeftover unix.Signal
	}{
		{"defaults", 0, nil, unix.SIGTERM, unix.SIGTERM},
		{"--rewrite TERM:QUIT: the child gets QUIT, leftovers TERM", 0, quit, unix.SIGQUIT, unix.SIGTERM},
		{"--stop-signal WINCH", unix.SIGWINCH, nil, unix.SIGWINCH, unix.SIGWINCH},
		{"--stop-signal TERM beside --rewrite TERM:QUIT", unix.SIGTERM, quit, unix.SIGTERM, unix.SIGTERM},
		{"--stop-signal KILL", unix.SIGKILL, nil, unix.SIGKILL, unix.SIGKILL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := policy{stopSignal: tt.stop, rewrite: tt.rewrite}
			if got := stopSignal(p); got != tt.wantStop {
				t.Errorf("stopSignal = %s; want %s", signals.Name(got), signals.Name(tt.wantStop))
			}
			if got := leftoverSignal(p); got != tt.wantLeftover {
				t.Errorf("leftoverSignal = %s; want %s", signals.Name(got), signals.Name(tt.wantLeftover))
			}
		})
	}
}

// TestPassThrough checks the table the signal handler forwards by: every
// signal in it is, in every state where the main child lives, one forward
// of the table's signal and nothing else, and the signals the loop must
// see are not in it.
func TestPassThrough(t *testing.T) {
	rewrites := func(specs ...string) signals.Rewrite {
		r, err := signals.ParseRewrites(specs)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	withPol := func(f func(*policy)) policy {
		p := pol(RestartNo)
		f(&p)
		return p
	}
	tests := []struct {
		name string
		p    policy
		want map[unix.Signal]unix.Signal // spot checks, 0: not in the table
	}{
		{name: "defaults", p: pol(RestartNo), want: map[unix.Signal]unix.Signal{
			unix.SIGUSR1: unix.SIGUSR1, unix.SIGHUP: unix.SIGHUP, unix.SIGQUIT: unix.SIGQUIT, unix.SIGWINCH: unix.SIGWINCH, 64: 64,
			unix.SIGTERM: 0, unix.SIGINT: 0, unix.SIGCHLD: 0, unix.SIGURG: 0, unix.SIGKILL: 0,
		}},
		{name: "restart always", p: pol(RestartAlways), want: map[unix.Signal]unix.Signal{unix.SIGUSR2: unix.SIGUSR2, unix.SIGINT: 0}},
		{name: "rewrites", p: withPol(func(p *policy) { p.rewrite = rewrites("USR1:USR2", "HUP:TERM", "WINCH:0", "QUIT:INT", "TERM:USR1") }), want: map[unix.Signal]unix.Signal{
			unix.SIGUSR1: unix.SIGUSR2, unix.SIGHUP: 0, unix.SIGWINCH: 0, unix.SIGQUIT: 0, unix.SIGTERM: 0, unix.SIGUSR2: unix.SIGUSR2,
		}},
		{name: "stop signal", p: withPol(func(p *policy) { p.stopSignal = unix.SIGQUIT }), want: map[unix.Signal]unix.Signal{unix.SIGQUIT: 0, unix.SIGHUP: unix.SIGHUP}},
		{name: "stop delay", p: withPol(func(p *policy) { p.stopDelay = time.Second }), want: map[unix.Signal]unix.Signal{unix.SIGUSR1: unix.SIGUSR1, unix.SIGTERM: 0}},
	}
	states := []machine{
		{state: stateRunning},
		{state: stateRunning, restarts: 2, attempt: 1},
		{state: stateDraining, final: true},
		{state: stateStopping},
		{state: stateStopping, final: true, stopSig: unix.SIGTERM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := passThrough(tt.p)
			for sig, want := range tt.want {
				if got := table[sig]; got != want {
					t.Errorf("table[%s] = %d, want %d", signals.Name(sig), got, want)
				}
			}
			for n, to := range table {
				if to == 0 {
					continue
				}
				sig := unix.Signal(n)
				for _, m := range states {
					if !passing(m.state) {
						t.Fatalf("state %s is not a passing one", m.state)
					}
					got, acts := step(m, event{kind: evSignal, sig: sig, alive: true}, tt.p)
					want := []action{{kind: actForward, sig: to}}
					if got != m || !reflect.DeepEqual(acts, want) {
						t.Errorf("%s in %s: machine %+v, actions %+v; want it unchanged and %+v", signals.Name(sig), m.state, got, acts, want)
					}
				}
			}
		})
	}
	for _, st := range []state{stateStarting, stateBackoff, statePaused} {
		if passing(st) {
			t.Errorf("passing(%s) = true: there is no child to forward to", st)
		}
	}
}
