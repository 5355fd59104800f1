package supervise

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/supervise/probe"
)

func TestDefaults(t *testing.T) {
	c := Defaults()
	tests := []struct {
		name      string
		got, want any
	}{
		{"Grace", c.Grace, 10 * time.Second},
		{"MaxRestarts", c.MaxRestarts, 10},
		{"BackoffMin", c.BackoffMin, time.Second},
		{"BackoffMax", c.BackoffMax, time.Minute},
		{"Deadline", c.Deadline, time.Duration(0)},
		{"StopDelay", c.StopDelay, time.Duration(0)},
		{"Restart", c.Restart, RestartNo},
		{"Forward", c.Forward, ForwardGroup},
		{"Health.Interval", c.Health.Interval, 10 * time.Second},
		{"Health.Timeout", c.Health.Timeout, time.Second},
		{"Health.Retries", c.Health.Retries, 3},
		{"Health.StartPeriod", c.Health.StartPeriod, time.Duration(0)},
		{"Health.OnUnhealthy", c.Health.OnUnhealthy, UnhealthyDefault},
		{"Health.Enabled()", c.Health.Enabled(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("Defaults().%s = %v; want %v", tt.name, tt.got, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	with := func(f func(c *Config)) Config {
		c := Defaults()
		c.Argv = []string{"true"}
		f(&c)
		return c
	}
	tests := []struct {
		name    string
		in      Config
		wantErr bool
	}{
		{"defaults with a command", with(func(*Config) {}), false},
		{"pause", with(func(c *Config) { c.Argv, c.Pause = nil, true }), false},
		{"zero grace", with(func(c *Config) { c.Grace = 0 }), false},
		{"unlimited restarts", with(func(c *Config) { c.MaxRestarts = 0 }), false},
		{"backoff min equals max", with(func(c *Config) { c.BackoffMin, c.BackoffMax = time.Second, time.Second }), false},
		{"zero backoff", with(func(c *Config) { c.BackoffMin, c.BackoffMax = 0, 0 }), false},
		{"deadline", with(func(c *Config) { c.Deadline = time.Hour }), false},
		{"notify with watchdog", with(func(c *Config) { c.Notify, c.Watchdog = true, time.Second }), false},
		{"watchdog without notify", with(func(c *Config) { c.Watchdog = time.Second }), true},
		{"negative watchdog", with(func(c *Config) { c.Notify, c.Watchdog = true, -time.Second }), true},
		{"notify with pause", with(func(c *Config) { c.Argv, c.Pause, c.Notify = nil, true, true }), true},
		{"health cmd", with(func(c *Config) { c.Health.Cmd = []string{"true"} }), false},
		{"health http", with(func(c *Config) { c.Health.HTTP = &probe.URL{} }), false},
		{"health tcp", with(func(c *Config) { c.Health.TCP = "127.0.0.1:80" }), false},
		{"probe with start period", with(func(c *Config) { c.Health.TCP, c.Health.StartPeriod = "127.0.0.1:80", time.Minute }), false},
		{"pause with status addr", with(func(c *Config) { c.Argv, c.Pause, c.StatusAddr = nil, true, "127.0.0.1:0" }), false},

		{"stop signal QUIT", with(func(c *Config) { c.StopSignal = unix.SIGQUIT }), false},
		{"stop signal KILL", with(func(c *Config) { c.StopSignal = unix.SIGKILL }), false},
		{"restart codes with always", with(func(c *Config) { c.Restart, c.RestartCodes = RestartAlways, []int{1, 2, 137} }), false},
		{"both code lists, disjoint", with(func(c *Config) {
			c.Restart, c.RestartCodes, c.NoRestartCodes = RestartOnFailure, []int{1, 2}, []int{0, 3}
		}), false},
		{"duplicate codes", with(func(c *Config) { c.Restart, c.NoRestartCodes = RestartAlways, []int{3, 3} }), false},
		{"stop delay below the grace", with(func(c *Config) { c.StopDelay = 10*time.Second - time.Nanosecond }), false},
		{"no stop delay, zero grace", with(func(c *Config) { c.StopDelay, c.Grace = 0, 0 }), false},
		{"stop delay with pause", with(func(c *Config) { c.Argv, c.Pause, c.StopDelay = nil, true, time.Second }), false},

		{"stop signal STOP", with(func(c *Config) { c.StopSignal = unix.SIGSTOP }), true},
		{"restart codes with restart no", with(func(c *Config) { c.RestartCodes = []int{1} }), true},
		{"no-restart codes with restart no", with(func(c *Config) { c.NoRestartCodes = []int{3} }), true},
		{"code lists overlap", with(func(c *Config) {
			c.Restart, c.RestartCodes, c.NoRestartCodes = RestartAlways, []int{1, 2}, []int{2}
		}), true},
		{"code above 255", with(func(c *Config) { c.Restart, c.RestartCodes = RestartAlways, []int{256} }), true},
		{"negative code", with(func(c *Config) { c.Restart, c.NoRestartCodes = RestartAlways, []int{-1} }), true},
		{"no command", with(func(c *Config) { c.Argv = nil }), true},
		{"empty argv", with(func(c *Config) { c.Argv = []string{} }), true},
		{"pause and command", with(func(c *Config) { c.Pause = true }), true},
		{"negative grace", with(func(c *Config) { c.Grace = -time.Second }), true},
		{"negative max restarts", with(func(c *Config) { c.MaxRestarts = -1 }), true},
		{"negative backoff min", with(func(c *Config) { c.BackoffMin = -time.Nanosecond }), true},
		{"negative backoff max", with(func(c *Config) { c.BackoffMin, c.BackoffMax = 0, -time.Second }), true},
		{"backoff min above max", with(func(c *Config) { c.BackoffMin, c.BackoffMax = 2*time.Minute, time.Minute }), true},
		{"negative deadline", with(func(c *Config) { c.Deadline = -time.Second }), true},
		{"negative stop delay", with(func(c *Config) { c.StopDelay = -time.Second }), true},
		{"stop delay equal to the grace", with(func(c *Config) { c.StopDelay = 10 * time.Second }), true},
		{"stop delay above the grace", with(func(c *Config) { c.StopDelay, c.Grace = 30*time.Second, 20*time.Second }), true},
		{"stop delay with zero grace", with(func(c *Config) { c.StopDelay, c.Grace = time.Millisecond, 0 }), true},
		{"cmd and http", with(func(c *Config) { c.Health.Cmd, c.Health.HTTP = []string{"true"}, &probe.URL{} }), true},
		{"cmd and tcp", with(func(c *Config) { c.Health.Cmd, c.Health.TCP = []string{"true"}, "127.0.0.1:80" }), true},
		{"http and tcp", with(func(c *Config) { c.Health.HTTP, c.Health.TCP = &probe.URL{}, "127.0.0.1:80" }), true},
		{"three probes", with(func(c *Config) {
			c.Health.Cmd, c.Health.HTTP, c.Health.TCP = []string{"true"}, &probe.URL{}, "127.0.0.1:80"
		}), true},
		{"zero interval", with(func(c *Config) { c.Health.Interval = 0 }), true},
		{"negative interval", with(func(c *Config) { c.Health.Interval = -time.Second }), true},
		{"zero timeout", with(func(c *Config) { c.Health.Timeout = 0 }), true},
		{"zero retries", with(func(c *Config) { c.Health.Retries = 0 }), true},
		{"negative start period", with(func(c *Config) { c.Health.StartPeriod = -time.Second }), true},
		{"pause and probe", with(func(c *Config) { c.Argv, c.Pause, c.Health.TCP = nil, true, "127.0.0.1:80" }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate() = %v; want error %v", err, tt.wantErr)
			}
			var ue *UsageError
			if err != nil && !errors.As(err, &ue) {
				t.Errorf("Validate() = %v (%T); want a *UsageError", err, err)
			}
		})
	}
}

func TestUsageError(t *testing.T) {
	err := Usagef("--grace: invalid duration %q", "x")
	var ue *UsageError
	if !errors.As(err, &ue) || err.Error() != `--grace: invalid duration "x"` {
		t.Errorf("Usagef(...) = %v (%T); want *UsageError %q", err, err, `--grace: invalid duration "x"`)
	}
	inner := errors.New("inner")
	if !errors.Is(&UsageError{Err: inner}, inner) {
		t.Errorf("errors.Is(&UsageError{inner}, inner) = false; want true")
	}
}
