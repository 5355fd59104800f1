package supervise

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/signals"
	"github.com/tend-init/tend/supervise/spawn"
)

func TestSummary(t *testing.T) {
	probeErr := errors.New("GET http://127.0.0.1:8080/healthz: 503")
	notFound := &spawn.StartError{Name: "nope", Err: errors.New(`exec: "nope": executable file not found in $PATH`)}
	killed := func(sig unix.Signal) runEnd { return runEnd{sig: sig} }
	tests := []struct {
		name string
		m    machine
		p    policy
		f    facts
		want string
	}{
		{name: "exit status", m: machine{haveExit: true, lastCode: 3}, want: "exited with status 3"},
		{name: "exit 0", m: machine{haveExit: true}, want: "exited with status 0"},
		{name: "signal", m: machine{haveExit: true, lastCode: 139}, f: facts{last: killed(unix.SIGSEGV)}, want: "killed by SIGSEGV"},
		{name: "exit 137 is not a signal", m: machine{haveExit: true, lastCode: 137}, want: "exited with status 137"},
		{
			name: "OOM", m: machine{haveExit: true, lastCode: 137},
			f:    facts{last: runEnd{sig: unix.SIGKILL, oom: true}},
			want: "killed by the OOM killer (SIGKILL)",
		},
		{
			name: "deadline", m: machine{haveExit: true, lastCode: 143, override: ExitDeadline},
			f:    facts{deadline: 30 * time.Second, last: killed(unix.SIGTERM)},
			want: "deadline 30s exceeded; the child was killed by SIGTERM",
		},
		{
			name: "unhealthy", m: machine{haveExit: true, lastCode: 0, override: ExitUnhealthy},
			f:    facts{probeFailures: 3, probeErr: probeErr},
			want: "unhealthy: 3 probes failed; last: GET http://127.0.0.1:8080/healthz: 503; the child exited with status 0",
		},
		{
			name: "unhealthy after one probe", m: machine{haveExit: true, lastCode: 143, override: ExitUnhealthy},
			f:    facts{probeFailures: 1, probeErr: errProbeTimeout, last: killed(unix.SIGTERM)},
			want: "unhealthy: 1 probe failed; last: timed out; the child was killed by SIGTERM",
		},
		{
			name: "gave up", m: machine{haveExit: true, lastCode: 1, exhausted: true, attempt: 11},
			want: "gave up after 10 restarts; the child exited with status 1",
		},
		{
			name: "gave up after a failed restart", m: machine{haveExit: true, lastCode: 127, exhausted: true, attempt: 2},
			f:    facts{last: runEnd{startErr: notFound}},
			want: `gave up after 1 restart; the child could not start: nope: exec: "nope": executable file not found in $PATH (status 127)`,
		},
		{
			name: "gave up after an OOM kill", m: machine{haveExit: true, lastCode: 137, exhausted: true, attempt: 4},
			f:    facts{last: runEnd{sig: unix.SIGKILL, oom: true}},
			want: "gave up after 3 restarts; the child was killed by the OOM killer (SIGKILL)",
		},
		{
			name: "gave up after unhealthy restarts", m: machine{haveExit: true, lastCode: 143, exhausted: true, attempt: 2},
			f:    facts{unhealthy: true, probeFailures: 2, probeErr: errors.New("status 500"), last: killed(unix.SIGTERM)},
			want: "gave up after 1 restart; the last run was unhealthy: 2 probes failed; last: status 500; the child was killed by SIGTERM",
		},
		{
			name: "stopped by SIGTERM", m: machine{haveExit: true, lastCode: 143, stopSig: unix.SIGTERM},
			f:    facts{last: killed(unix.SIGTERM)},
			want: "stopped by SIGTERM; the child was killed by SIGTERM",
		},
		{
			name: "stopped by SIGTERM, the child exits 0", m: machine{haveExit: true, stopSig: unix.SIGTERM},
			want: "stopped by SIGTERM; the child exited with status 0",
		},
		{
			name: "stopped by SIGINT during the backoff", m: machine{haveExit: true, lastCode: 1, stopSig: unix.SIGINT},
			want: "stopped by SIGINT; the child exited with status 1",
		},
		{
			name: "the deadline wins over a later SIGTERM", m: machine{haveExit: true, lastCode: 143, override: ExitDeadline, stopSig: unix.SIGTERM},
			f:    facts{deadline: time.Minute, last: killed(unix.SIGTERM)},
			want: "deadline 1m0s exceeded; the child was killed by SIGTERM",
		},
		{name: "paused", m: machine{stopSig: unix.SIGTERM}, p: policy{pause: true}, want: "paused; stopped by SIGTERM"},
		{
			name: "--remap-exit", m: machine{haveExit: true, lastCode: 143, stopSig: unix.SIGTERM},
			p: policy{remap: map[int]int{143: 0}}, f: facts{last: killed(unix.SIGTERM)},
			want: "stopped by SIGTERM; the child was killed by SIGTERM; tend exits 0 (--remap-exit 143:0)",
		},
		{
			name: "--remap-exit of the deadline", m: machine{haveExit: true, lastCode: 143, override: ExitDeadline},
			p: policy{remap: map[int]int{124: 0, 143: 1}}, f: facts{deadline: time.Second, last: killed(unix.SIGTERM)},
			want: "deadline 1s exceeded; the child was killed by SIGTERM; tend exits 0 (--remap-exit 124:0)",
		},
		{
			name: "--remap-exit that does not apply", m: machine{haveExit: true, lastCode: 3},
			p: policy{remap: map[int]int{143: 0}}, want: "exited with status 3",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summary(tt.m, tt.p, tt.f); got != tt.want {
				t.Errorf("summary() = %q\nwant             %q", got, tt.want)
			}
		})
	}
}

func TestFailSummary(t *testing.T) {
	notFound := &spawn.StartError{Name: "nope", Err: errors.New("not found")}
	tests := []struct {
		name   string
		err    error
		status int
		remap  map[int]int
		want   string
	}{
		{"not found", notFound, 127, nil, "could not start: nope: not found (status 127)"},
		{"remapped", notFound, 127, map[int]int{127: 0}, "could not start: nope: not found (status 127); tend exits 0 (--remap-exit 127:0)"},
		{"usage", Usagef("--status-addr: listen: address in use"), 125, nil, "invalid usage: --status-addr: listen: address in use (status 125)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := failSummary(tt.err, tt.status, tt.remap); got != tt.want {
				t.Errorf("failSummary() = %q; want %q", got, tt.want)
			}
		})
	}
}

// TestMachineRemembersTheEnd: the machine keeps what the summary needs:
// the signal that ended the restart loop (the first one only) and that
// --max-restarts ran out.
func TestMachineRemembersTheEnd(t *testing.T) {
	p := policy{restart: RestartAlways, maxRestarts: 1, backoffMin: time.Second, backoffMax: time.Minute}
	sig := func(s unix.Signal, alive bool) event { return event{kind: evSignal, sig: s, alive: alive} }
	tests := []struct {
		name   string
		m      machine
		p      policy
		events []event
		want   unix.Signal
	}{
		{"SIGINT then SIGTERM", machine{state: stateRunning}, p, []event{sig(unix.SIGINT, true), sig(unix.SIGTERM, true)}, unix.SIGINT},
		{"SIGTERM during the backoff", machine{state: stateBackoff}, p, []event{sig(unix.SIGTERM, false)}, unix.SIGTERM},
		{"SIGHUP does not stop", machine{state: stateRunning}, p, []event{sig(unix.SIGHUP, true)}, 0},
		{"--rewrite TERM:QUIT still stops", machine{state: stateRunning}, policy{rewrite: signals.Rewrite{unix.SIGTERM: unix.SIGQUIT}}, []event{sig(unix.SIGTERM, true)}, unix.SIGTERM},
		{"paused", machine{state: statePaused}, policy{pause: true}, []event{sig(unix.SIGHUP, false), sig(unix.SIGINT, false)}, unix.SIGINT},
		{"--stop-delay: the drained SIGTERM", machine{state: stateRunning}, policy{stopDelay: time.Second}, []event{sig(unix.SIGTERM, true), sig(unix.SIGINT, true)}, unix.SIGTERM},
		{"the deadline came first", machine{state: stateRunning}, p, []event{{kind: evDeadline}, sig(unix.SIGTERM, true)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m
			for _, ev := range tt.events {
				m, _ = step(m, ev, tt.p)
			}
			if m.stopSig != tt.want {
				t.Errorf("stopSig = %v; want %v", m.stopSig, tt.want)
			}
		})
	}
	m := machine{state: stateRunning}
	m, _ = step(m, event{kind: evExited, code: 1}, p)
	if m.exhausted {
		t.Fatalf("after the first exit, exhausted; want a restart")
	}
	m, _ = step(m, event{kind: evQuiet}, p)
	m, _ = step(m, event{kind: evRestartDue, quiet: true}, p)
	m, _ = step(m, event{kind: evStarted}, p)
	m, _ = step(m, event{kind: evExited, code: 1}, p)
	if !m.exhausted || m.stopSig != 0 {
		t.Errorf("after the second exit with --max-restarts 1: exhausted %v, stopSig %v; want true, 0", m.exhausted, m.stopSig)
	}
	if got, want := summary(m, p, facts{}), "gave up after 1 restart; the child exited with status 1"; got != want {
		t.Errorf("summary() = %q; want %q", got, want)
	}
}

// TestRunStartFailureSummary: a first start that fails writes its summary
// before Run returns; the default path is written only if it exists.
func TestRunStartFailureSummary(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		path     string
		ifExists bool
		before   *string
		want     *string
	}{
		{name: "explicit path, created", path: filepath.Join(dir, "a"), want: ptrTo("could not start: tend-no-such-command-")},
		{name: "default path, missing", path: filepath.Join(dir, "b"), ifExists: true},
		{name: "default path, empty", path: filepath.Join(dir, "c"), ifExists: true, before: ptrTo(""), want: ptrTo("could not start: tend-no-such-command-")},
		{name: "the app's message", path: filepath.Join(dir, "d"), before: ptrTo("mine\n"), want: ptrTo("mine\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				if err := os.WriteFile(tt.path, []byte(*tt.before), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg := Defaults()
			cfg.Argv = []string{"tend-no-such-command-" + strings.ReplaceAll(tt.name, " ", "-")}
			cfg.TerminationLog, cfg.TerminationLogIfExists = tt.path, tt.ifExists
			cfg.Signals = &signals.Incoming{} // Run fails before it would read them
			status, err := Run(t.Context(), cfg, slog.New(slog.DiscardHandler))
			if status != ExitNotFound || err == nil {
				t.Fatalf("Run(%q) = %d, %v; want %d and an error", cfg.Argv[0], status, err, ExitNotFound)
			}
			b, rerr := os.ReadFile(tt.path)
			switch {
			case tt.want == nil && rerr == nil:
				t.Errorf("Run wrote %s (%q); want no file", tt.path, b)
			case tt.want != nil && rerr != nil:
				t.Errorf("read %s: %v", tt.path, rerr)
			case tt.want != nil && !strings.HasPrefix(string(b), *tt.want):
				t.Errorf("%s holds %q; want it to start with %q", tt.path, b, *tt.want)
			}
		})
	}
}

func ptrTo(s string) *string { return &s }
