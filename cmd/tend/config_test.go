package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/signals"
	"github.com/tend-init/tend/supervise"
)

// clearTendEnv removes every TEND_* variable for the test, so that the
// environment the tests run in cannot change what they see.
func clearTendEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TEND_") {
			t.Setenv(k, "") // restores the value after the test
			os.Unsetenv(k)
		}
	}
}

// parse runs tend's real cli.App on args with env set, with an action
// that only reads and validates the configuration.
func parse(t *testing.T, env map[string]string, args ...string) (supervise.Config, error) {
	t.Helper()
	clearTendEnv(t)
	for k, v := range env {
		t.Setenv(k, v)
	}
	var status int
	var format string
	app := newApp(signals.Incoming{}, &status, &format)
	var cfg supervise.Config
	ran := false
	app.Action = func(c *cli.Context) error {
		ran = true
		var err error
		cfg, err = parseConfig(c)
		if err != nil {
			return err
		}
		return cfg.Validate()
	}
	err := app.Run(append([]string{"tend"}, args...))
	if err == nil && !ran {
		t.Fatalf("tend %q: the action did not run", args)
	}
	return cfg, err
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		args  []string
		check func(c supervise.Config) string // "" when right, else what is wrong
	}{
		{"defaults", nil, []string{"prog"}, func(c supervise.Config) string {
			want := supervise.Defaults()
			want.Argv = []string{"prog"}
			return diff(c, want)
		}},
		{"grace from the variable", map[string]string{"TEND_GRACE": "3s"}, []string{"prog"}, func(c supervise.Config) string {
			return want("Grace", c.Grace, 3*time.Second)
		}},
		{"flag beats the variable", map[string]string{"TEND_GRACE": "3s"}, []string{"--grace", "5s", "prog"}, func(c supervise.Config) string {
			return want("Grace", c.Grace, 5*time.Second)
		}},
		{"flag with =", map[string]string{"TEND_GRACE": "3s"}, []string{"--grace=5s", "prog"}, func(c supervise.Config) string {
			return want("Grace", c.Grace, 5*time.Second)
		}},
		{"notify and watchdog from the variables", map[string]string{"TEND_NOTIFY": "1", "TEND_WATCHDOG": "30s"}, []string{"prog"}, func(c supervise.Config) string {
			return want("Notify, Watchdog", fmt.Sprint(c.Notify, c.Watchdog), "true 30s")
		}},
		{"watchdog counts like a probe", nil, []string{"--notify", "--watchdog", "2s", "--health-retries", "2", "--on-unhealthy", "exit", "--health-start-period", "5s", "prog"}, func(c supervise.Config) string {
			return want("Watchdog, Retries, OnUnhealthy, StartPeriod", fmt.Sprint(c.Watchdog, c.Health.Retries, c.Health.OnUnhealthy, c.Health.StartPeriod), fmt.Sprint(2*time.Second, 2, supervise.UnhealthyExit, 5*time.Second))
		}},
		{"zero grace", nil, []string{"--grace", "0", "prog"}, func(c supervise.Config) string {
			return want("Grace", c.Grace, time.Duration(0))
		}},
		{"rewrite variable, comma-separated", map[string]string{"TEND_REWRITE": "TERM:QUIT,INT:TERM"}, []string{"prog"}, func(c supervise.Config) string {
			return want("Rewrite", c.Rewrite, signals.Rewrite{unix.SIGTERM: unix.SIGQUIT, unix.SIGINT: unix.SIGTERM})
		}},
		{"rewrite flag replaces the variable", map[string]string{"TEND_REWRITE": "TERM:QUIT,INT:TERM"}, []string{"--rewrite", "HUP:USR1", "prog"}, func(c supervise.Config) string {
			return want("Rewrite", c.Rewrite, signals.Rewrite{unix.SIGHUP: unix.SIGUSR1})
		}},
		{"rewrite repeated", nil, []string{"--rewrite", "TERM:QUIT", "--rewrite", "INT:none", "prog"}, func(c supervise.Config) string {
			return want("Rewrite", c.Rewrite, signals.Rewrite{unix.SIGTERM: unix.SIGQUIT, unix.SIGINT: 0})
		}},
		{"rewrite flag comma-separated", nil, []string{"--rewrite", "TERM:QUIT,INT:TERM", "prog"}, func(c supervise.Config) string {
			return want("Rewrite", c.Rewrite, signals.Rewrite{unix.SIGTERM: unix.SIGQUIT, unix.SIGINT: unix.SIGTERM})
		}},
		{"rewrite later wins", nil, []string{"--rewrite", "TERM:QUIT", "--rewrite", "15:INT", "prog"}, func(c supervise.Config) string {
			return want("Rewrite", c.Rewrite, signals.Rewrite{unix.SIGTERM: unix.SIGINT})
		}},
		{"remap variable", map[string]string{"TEND_REMAP_EXIT": "143:0,1:2"}, []string{"prog"}, func(c supervise.Config) string {
			return want("RemapExit", c.RemapExit, map[int]int{143: 0, 1: 2})
		}},
		{"remap flag replaces the variable", map[string]string{"TEND_REMAP_EXIT": "143:0"}, []string{"--remap-exit", "1:0", "prog"}, func(c supervise.Config) string {
			return want("RemapExit", c.RemapExit, map[int]int{1: 0})
		}},
		{"stop signal by name", nil, []string{"--stop-signal", "QUIT", "prog"}, func(c supervise.Config) string {
			return want("StopSignal", c.StopSignal, unix.SIGQUIT)
		}},
		{"stop signal with SIG and lower case", nil, []string{"--stop-signal", "sigwinch", "prog"}, func(c supervise.Config) string {
			return want("StopSignal", c.StopSignal, unix.SIGWINCH)
		}},
		{"stop signal by number from the variable", map[string]string{"TEND_STOP_SIGNAL": "3"}, []string{"prog"}, func(c supervise.Config) string {
			return want("StopSignal", c.StopSignal, unix.SIGQUIT)
		}},
		{"stop signal KILL is allowed", nil, []string{"--stop-signal", "KILL", "prog"}, func(c supervise.Config) string {
			return want("StopSignal", c.StopSignal, unix.SIGKILL)
		}},
		{"restart codes", nil, []string{"--restart", "always", "--restart-codes", "1,2,137", "prog"}, func(c supervise.Config) string {
			return want("RestartCodes", c.RestartCodes, []int{1, 2, 137})
		}},
		{"restart codes repeated, duplicates kept", nil, []string{"--restart", "on-failure", "--restart-codes", "2", "--restart-codes", "2,3", "prog"}, func(c supervise.Config) string {
			return want("RestartCodes", c.RestartCodes, []int{2, 2, 3})
		}},
		{"no-restart codes from the variable", map[string]string{"TEND_NO_RESTART_CODES": "0,3", "TEND_RESTART": "always"}, []string{"prog"}, func(c supervise.Config) string {
			return want("NoRestartCodes", c.NoRestartCodes, []int{0, 3})
		}},
		{"both lists, disjoint", nil, []string{"--restart", "always", "--restart-codes", "1,2", "--no-restart-codes", "0,3", "prog"}, func(c supervise.Config) string {
			if d := want("RestartCodes", c.RestartCodes, []int{1, 2}); d != "" {
				return d
			}
			return want("NoRestartCodes", c.NoRestartCodes, []int{0, 3})
		}},
		{"forward variable", map[string]string{"TEND_FORWARD": "child"}, []string{"prog"}, func(c supervise.Config) string {
			return want("Forward", c.Forward, supervise.ForwardChild)
		}},
		{"forward flag beats variable", map[string]string{"TEND_FORWARD": "child"}, []string{"--forward", "group", "prog"}, func(c supervise.Config) string {
			return want("Forward", c.Forward, supervise.ForwardGroup)
		}},
		{"no-subreaper variable", map[string]string{"TEND_NO_SUBREAPER": "true"}, []string{"prog"}, func(c supervise.Config) string {
			return want("NoSubreaper", c.NoSubreaper, true)
		}},
		{"no-subreaper variable 1", map[string]string{"TEND_NO_SUBREAPER": "1"}, []string{"prog"}, func(c supervise.Config) string {
			return want("NoSubreaper", c.NoSubreaper, true)
		}},
		{"no-subreaper flag=false beats variable", map[string]string{"TEND_NO_SUBREAPER": "true"}, []string{"--no-subreaper=false", "prog"}, func(c supervise.Config) string {
			return want("NoSubreaper", c.NoSubreaper, false)
		}},
		{"pdeathsig", map[string]string{"TEND_PDEATHSIG": "sigterm"}, []string{"prog"}, func(c supervise.Config) string {
			return want("PdeathSig", c.PdeathSig, unix.SIGTERM)
		}},
		{"user and workdir", map[string]string{"TEND_USER": "nobody", "TEND_WORKDIR": "/tmp"}, []string{"prog"}, func(c supervise.Config) string {
			return want("User, Workdir", c.User+" "+c.Workdir, "nobody /tmp")
		}},
		{"restart settings", map[string]string{"TEND_RESTART": "on-failure", "TEND_MAX_RESTARTS": "0", "TEND_BACKOFF_MIN": "100ms"}, []string{"--backoff-max", "2s", "prog"}, func(c supervise.Config) string {
			return want("Restart, MaxRestarts, BackoffMin, BackoffMax", fmt.Sprint(c.Restart, c.MaxRestarts, c.BackoffMin, c.BackoffMax), fmt.Sprint(supervise.RestartOnFailure, 0, 100*time.Millisecond, 2*time.Second))
		}},
		{"stop delay from the variable", map[string]string{"TEND_STOP_DELAY": "5s"}, []string{"prog"}, func(c supervise.Config) string {
			return want("StopDelay, Grace", fmt.Sprint(c.StopDelay, c.Grace), fmt.Sprint(5*time.Second, 10*time.Second))
		}},
		{"stop delay flag beats the variable, just below the grace", map[string]string{"TEND_STOP_DELAY": "5s"}, []string{"--stop-delay", "29.9s", "--grace", "30s", "prog"}, func(c supervise.Config) string {
			return want("StopDelay, Grace", fmt.Sprint(c.StopDelay, c.Grace), fmt.Sprint(29900*time.Millisecond, 30*time.Second))
		}},
		{"stop delay 0 with grace 0", nil, []string{"--stop-delay", "0", "--grace", "0", "prog"}, func(c supervise.Config) string {
			return want("StopDelay", c.StopDelay, time.Duration(0))
		}},
		{"stop delay with pause (ignored)", map[string]string{"TEND_STOP_DELAY": "5s"}, []string{"--pause"}, func(c supervise.Config) string {
			return want("Pause, StopDelay", fmt.Sprint(c.Pause, c.StopDelay), fmt.Sprint(true, 5*time.Second))
		}},
		{"deadline", nil, []string{"--deadline", "1m30s", "prog"}, func(c supervise.Config) string {
			return want("Deadline", c.Deadline, 90*time.Second)
		}},
		{"health cmd split into words", nil, []string{"--health-cmd", `test -f "/tmp/a b"`, "--health-retries", "5", "prog"}, func(c supervise.Config) string {
			return want("Health.Cmd, Retries", fmt.Sprintf("%q %d", c.Health.Cmd, c.Health.Retries), fmt.Sprintf("%q %d", []string{"test", "-f", "/tmp/a b"}, 5))
		}},
		{"on-unhealthy", map[string]string{"TEND_HEALTH_TCP": "127.0.0.1:80"}, []string{"--on-unhealthy", "exit", "prog"}, func(c supervise.Config) string {
			return want("Health.OnUnhealthy", c.Health.OnUnhealthy, supervise.UnhealthyExit)
		}},
		{"options stop at the command", nil, []string{"prog", "--grace", "1s", "-v"}, func(c supervise.Config) string {
			return want("Argv, Grace", fmt.Sprintf("%q %v", c.Argv, c.Grace), fmt.Sprintf("%q %v", []string{"prog", "--grace", "1s", "-v"}, 10*time.Second))
		}},
		{"double dash", nil, []string{"--grace", "1s", "--", "-prog", "--version"}, func(c supervise.Config) string {
			return want("Argv", c.Argv, []string{"-prog", "--version"})
		}},
		{"help as a command", map[string]string{"TEND_GRACE": "1s"}, []string{"help"}, func(c supervise.Config) string {
			return want("Argv", c.Argv, []string{"help"})
		}},
		{"version as a command", nil, []string{"--grace", "1s", "--", "version"}, func(c supervise.Config) string {
			return want("Argv", c.Argv, []string{"version"})
		}},
		{"pause", map[string]string{"TEND_PAUSE": "true"}, nil, func(c supervise.Config) string {
			return want("Pause, Argv", fmt.Sprint(c.Pause, len(c.Argv)), "true 0")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parse(t, tt.env, tt.args...)
			if err != nil {
				t.Fatalf("tend %q with %v: %v", tt.args, tt.env, err)
			}
			if msg := tt.check(cfg); msg != "" {
				t.Errorf("tend %q with %v: %s", tt.args, tt.env, msg)
			}
		})
	}
}

// want compares with fmt's %v, which prints maps sorted by key.
func want(field string, got, want any) string {
	if fmt.Sprint(got) == fmt.Sprint(want) {
		return ""
	}
	return fmt.Sprintf("%s = %v; want %v", field, got, want)
}

// diff compares the plain fields of two configurations.
func diff(got, want supervise.Config) string {
	got.Signals, want.Signals = nil, nil
	if g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want); g != w {
		return fmt.Sprintf("config\n%s\nwant\n%s", g, w)
	}
	return ""
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		// The message names the option and its variable, then the value.
		wantPrefix, wantValue string
	}{
		{"bad grace", nil, []string{"--grace", "soon", "prog"}, "--grace (TEND_GRACE): ", "soon"},
		{"negative grace", nil, []string{"--grace", "-1s", "prog"}, "--grace (TEND_GRACE): ", "-1s"},
		{"bad grace variable", map[string]string{"TEND_GRACE": "3 s"}, []string{"prog"}, "--grace (TEND_GRACE): ", "3 s"},
		{"bad forward", nil, []string{"--forward", "sideways", "prog"}, "--forward (TEND_FORWARD): ", "sideways"},
		{"bad rewrite", nil, []string{"--rewrite", "TERM", "prog"}, "--rewrite (TEND_REWRITE): ", "TERM"},
		{"rewrite from KILL", nil, []string{"--rewrite", "KILL:TERM", "prog"}, "--rewrite (TEND_REWRITE): ", "KILL:TERM"},
		{"bad rewrite in variable", map[string]string{"TEND_REWRITE": "TERM:QUIT,BOGUS:INT"}, []string{"prog"}, "--rewrite (TEND_REWRITE): ", "BOGUS:INT"},
		{"bad remap", nil, []string{"--remap-exit", "1:256", "prog"}, "--remap-exit (TEND_REMAP_EXIT): ", "1:256"},
		{"bad remap variable", map[string]string{"TEND_REMAP_EXIT": "143"}, []string{"prog"}, "--remap-exit (TEND_REMAP_EXIT): ", "143"},
		{"pdeathsig KILL", nil, []string{"--pdeathsig", "KILL", "prog"}, "--pdeathsig (TEND_PDEATHSIG): ", "SIGKILL"},
		{"pdeathsig unknown", map[string]string{"TEND_PDEATHSIG": "FOO"}, []string{"prog"}, "--pdeathsig (TEND_PDEATHSIG): ", "FOO"},
		{"bad restart", nil, []string{"--restart", "sometimes", "prog"}, "--restart (TEND_RESTART): ", "sometimes"},
		{"stop signal unknown", nil, []string{"--stop-signal", "BOGUS", "prog"}, "--stop-signal (TEND_STOP_SIGNAL): ", "BOGUS"},
		{"stop signal 0", nil, []string{"--stop-signal", "0", "prog"}, "--stop-signal (TEND_STOP_SIGNAL): ", `"0"`},
		{"stop signal STOP", nil, []string{"--stop-signal", "STOP", "prog"}, "--stop-signal (TEND_STOP_SIGNAL): ", "STOP"},
		{"stop signal 19 from the variable", map[string]string{"TEND_STOP_SIGNAL": "19"}, []string{"prog"}, "--stop-signal (TEND_STOP_SIGNAL): ", `"19"`},
		{"stop signal empty", map[string]string{"TEND_STOP_SIGNAL": ""}, []string{"--stop-signal", "", "prog"}, "--stop-signal (TEND_STOP_SIGNAL): ", "empty"},
		{"restart codes with restart no", nil, []string{"--restart-codes", "1", "prog"}, "--restart-codes (TEND_RESTART_CODES): ", "--restart"},
		{"no-restart codes with restart no", map[string]string{"TEND_NO_RESTART_CODES": "3"}, []string{"--restart", "no", "prog"}, "--no-restart-codes (TEND_NO_RESTART_CODES): ", "--restart"},
		{"restart code 256", nil, []string{"--restart", "always", "--restart-codes", "1,256", "prog"}, "--restart-codes (TEND_RESTART_CODES): ", "256"},
		{"restart code negative", nil, []string{"--restart", "always", "--no-restart-codes", "-1", "prog"}, "--no-restart-codes (TEND_NO_RESTART_CODES): ", "-1"},
		{"restart code not a number", map[string]string{"TEND_RESTART_CODES": "1,two"}, []string{"--restart", "always", "prog"}, "--restart-codes (TEND_RESTART_CODES): ", "two"},
		{"restart codes overlap", nil, []string{"--restart", "always", "--restart-codes", "1,2", "--no-restart-codes", "2,3", "prog"}, "--restart-codes (TEND_RESTART_CODES): ", "2"},
		{"negative max restarts", nil, []string{"--max-restarts", "-1", "prog"}, "--max-restarts (TEND_MAX_RESTARTS): ", "-1"},
		{"bad max restarts variable", map[string]string{"TEND_MAX_RESTARTS": "1.5"}, []string{"prog"}, "--max-restarts (TEND_MAX_RESTARTS): ", "1.5"},
		{"backoff min above max", nil, []string{"--backoff-min", "2m", "prog"}, "--backoff-min ", "2m"},
		{"bad stop delay", nil, []string{"--stop-delay", "5x", "prog"}, "--stop-delay (TEND_STOP_DELAY): ", `invalid duration "5x"`},
		{"bad stop delay variable", map[string]string{"TEND_STOP_DELAY": "5"}, []string{"prog"}, "--stop-delay (TEND_STOP_DELAY): ", `invalid duration "5"`},
		{"negative stop delay", nil, []string{"--stop-delay", "-1s", "prog"}, "--stop-delay (TEND_STOP_DELAY): ", `negative duration "-1s"`},
		{"empty stop delay", map[string]string{"TEND_STOP_DELAY": ""}, []string{"--stop-delay", "", "prog"}, "--stop-delay (TEND_STOP_DELAY): ", "empty"},
		{"stop delay equal to the default grace", nil, []string{"--stop-delay", "10s", "prog"}, "--stop-delay (TEND_STOP_DELAY): ", "10s is not below --grace 10s"},
		{"stop delay above the grace", map[string]string{"TEND_STOP_DELAY": "30s", "TEND_GRACE": "20s"}, []string{"prog"}, "--stop-delay (TEND_STOP_DELAY): ", "30s is not below --grace 20s"},
		{"stop delay with grace 0", nil, []string{"--stop-delay", "1ms", "--grace", "0", "prog"}, "--stop-delay (TEND_STOP_DELAY): ", "1ms is not below --grace 0s"},
		{"bad deadline", nil, []string{"--deadline", "-1s", "prog"}, "--deadline (TEND_DEADLINE): ", "-1s"},
		{"two probes", nil, []string{"--health-cmd", "true", "--health-tcp", "127.0.0.1:1", "prog"}, "only one of ", ""},
		{"probe option without a probe", nil, []string{"--health-interval", "5s", "prog"}, "--health-interval (TEND_HEALTH_INTERVAL): ", ""},
		{"probe variable without a probe", map[string]string{"TEND_HEALTH_RETRIES": "5"}, []string{"prog"}, "--health-retries (TEND_HEALTH_RETRIES): ", ""},
		{"on-unhealthy without a probe", nil, []string{"--on-unhealthy", "exit", "prog"}, "--on-unhealthy (TEND_ON_UNHEALTHY): ", ""},
		{"bad on-unhealthy", map[string]string{"TEND_HEALTH_CMD": "true"}, []string{"--on-unhealthy", "explode", "prog"}, "--on-unhealthy (TEND_ON_UNHEALTHY): ", "explode"},
		{"zero retries", nil, []string{"--health-cmd", "true", "--health-retries", "0", "prog"}, "--health-retries", "0"},
		{"unbalanced health cmd", nil, []string{"--health-cmd", `echo "x`, "prog"}, "--health-cmd (TEND_HEALTH_CMD): ", ""},
		{"https probe", nil, []string{"--health-http", "https://127.0.0.1/", "prog"}, "--health-http (TEND_HEALTH_HTTP): ", ""},
		{"bad tcp probe", nil, []string{"--health-tcp", "nocolon", "prog"}, "--health-tcp (TEND_HEALTH_TCP): ", "nocolon"},
		{"no command", nil, nil, "no command", ""},
		{"pause and command", nil, []string{"--pause", "prog"}, "--pause ", "prog"},
		{"watchdog without notify", nil, []string{"--watchdog", "5s", "prog"}, "--watchdog (TEND_WATCHDOG): ", "--notify"},
		{"watchdog variable without notify", map[string]string{"TEND_WATCHDOG": "5s"}, []string{"prog"}, "--watchdog (TEND_WATCHDOG): ", "--notify"},
		{"bad watchdog", nil, []string{"--notify", "--watchdog", "often", "prog"}, "--watchdog (TEND_WATCHDOG): ", "often"},
		{"zero watchdog", map[string]string{"TEND_NOTIFY": "true"}, []string{"--watchdog", "0s", "prog"}, "--watchdog (TEND_WATCHDOG): ", "0s"},
		{"negative watchdog", nil, []string{"--notify", "--watchdog", "-1s", "prog"}, "--watchdog (TEND_WATCHDOG): ", "-1s"},
		{"notify with pause", nil, []string{"--notify", "--pause"}, "--notify (TEND_NOTIFY): ", "--pause"},
		{"health interval with watchdog only", nil, []string{"--notify", "--watchdog", "1s", "--health-interval", "5s", "prog"}, "--health-interval (TEND_HEALTH_INTERVAL): ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(t, tt.env, tt.args...)
			var ue *supervise.UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("tend %q with %v: error %v (%T); want a *supervise.UsageError", tt.args, tt.env, err, err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, tt.wantPrefix) || !strings.Contains(msg, tt.wantValue) {
				t.Errorf("tend %q with %v: error %q; want it to start with %q and name %q", tt.args, tt.env, msg, tt.wantPrefix, tt.wantValue)
			}
		})
	}
}

func TestParseRemap(t *testing.T) {
	tests := []struct {
		name             string
		in               string
		wantFrom, wantTo int
		wantErr          bool
	}{
		{"JVM", "143:0", 143, 0, false},
		{"zero to one", "0:1", 0, 1, false},
		{"bounds", "255:255", 255, 255, false},
		{"same", "3:3", 3, 3, false},
		{"empty", "", 0, 0, true},
		{"no colon", "143", 0, 0, true},
		{"only colon", ":", 0, 0, true},
		{"empty from", ":0", 0, 0, true},
		{"empty to", "143:", 0, 0, true},
		{"from too big", "256:0", 0, 0, true},
		{"to too big", "0:256", 0, 0, true},
		{"negative", "-1:0", 0, 0, true},
		{"names", "TERM:0", 0, 0, true},
		{"spaces", " 1:2", 0, 0, true},
		{"two colons", "1:2:3", 0, 0, true},
		{"hex", "0x1:0", 0, 0, true},
		{"huge", "99999999999999999999:0", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to, err := parseRemap(tt.in)
			if (err != nil) != tt.wantErr || from != tt.wantFrom || to != tt.wantTo {
				w := "<nil>"
				if tt.wantErr {
					w = "error"
				}
				t.Fatalf("parseRemap(%q) = %d, %d, %v; want %d, %d, %s", tt.in, from, to, err, tt.wantFrom, tt.wantTo, w)
			}
			if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.in)) {
				t.Errorf("parseRemap(%q) error %q does not name the rule", tt.in, err)
			}
		})
	}
}

func FuzzParseRemap(f *testing.F) {
	for _, s := range []string{"143:0", "0:1", "255:255", "256:0", "-1:0", ":", "", "1:2:3", "+1:2", "TERM:0", "01:002"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		from, to, err := parseRemap(s)
		if err != nil {
			if from != 0 || to != 0 {
				t.Fatalf("parseRemap(%q) = %d, %d, %v; want 0, 0 with an error", s, from, to, err)
			}
			return
		}
		if from < 0 || from > 255 || to < 0 || to > 255 {
			t.Fatalf("parseRemap(%q) = %d, %d, <nil>; want statuses in 0..255", s, from, to)
		}
		back := fmt.Sprintf("%d:%d", from, to)
		if f2, t2, err := parseRemap(back); err != nil || f2 != from || t2 != to {
			t.Fatalf("parseRemap(%q) = %d, %d, %v; want %d, %d, <nil> (from %q)", back, f2, t2, err, from, to, s)
		}
	})
}

func TestEnvName(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"grace", "TEND_GRACE"},
		{"no-subreaper", "TEND_NO_SUBREAPER"},
		{"health-start-period", "TEND_HEALTH_START_PERIOD"},
		{"remap-exit", "TEND_REMAP_EXIT"},
		{"v", "TEND_V"},
		{"", "TEND_"},
		{"a1-b2", "TEND_A1_B2"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := envName(tt.in); got != tt.want {
				t.Errorf("envName(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestFlagTable checks that every option has exactly its own variable and
// that names and variables are unique.
func TestFlagTable(t *testing.T) {
	seen := make(map[string]bool)
	for _, f := range flags() {
		names := f.Names()
		name := names[0]
		ef, ok := f.(interface{ GetEnvVars() []string })
		if !ok {
			t.Errorf("--%s: %T has no GetEnvVars", name, f)
			continue
		}
		if got, want := ef.GetEnvVars(), []string{envName(name)}; !slices.Equal(got, want) {
			t.Errorf("--%s: variables %q; want %q", name, got, want)
		}
		for _, n := range append(names, envName(name)) {
			if seen[n] {
				t.Errorf("%q is used twice", n)
			}
			seen[n] = true
		}
		if n := name; n == "help" || n == "h" || n == "version" {
			t.Errorf("--%s collides with the cli's built-in flags", n)
		}
	}
}
