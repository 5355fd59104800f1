package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/signals"
	"github.com/tend-init/tend/supervise"
	"github.com/tend-init/tend/supervise/probe"
)

// optErr is a usage error that names the option and its variable.
func optErr(name, format string, args ...any) error {
	return supervise.Usagef("--%s (%s): %s", name, envName(name), fmt.Sprintf(format, args...))
}

// parseConfig maps the options onto a supervise.Config.
func parseConfig(c *cli.Context) (supervise.Config, error) {
	cfg := supervise.Defaults()
	p := parser{c: c}
	// An option given with an empty value (--grace "", TEND_GRACE=) is a
	// mistake rather than a way to ask for the default.
	for _, f := range c.App.Flags {
		if sf, ok := f.(*cli.StringFlag); ok && c.IsSet(sf.Name) && c.String(sf.Name) == "" {
			p.fail(sf.Name, "empty value")
		}
	}
	cfg.Argv = c.Args().Slice()
	cfg.Pause = c.Bool(fPause)
	cfg.NoSubreaper = c.Bool(fNoSubreaper)
	cfg.User = c.String(fUser)
	cfg.Workdir = c.String(fWorkdir)
	cfg.StatusAddr = c.String(fStatusAddr)
	p.terminationLog(&cfg)
	cfg.Notify = c.Bool(fNotify)
	if cfg.Notify && cfg.Pause {
		p.fail(fNotify, "cannot be combined with --%s (no child to report)", fPause)
	}

	switch v := c.String(fForward); v {
	case "group":
		cfg.Forward = supervise.ForwardGroup
	case "child":
		cfg.Forward = supervise.ForwardChild
	default:
		p.fail(fForward, "want group or child, got %q", v)
	}
	switch v := c.String(fRestart); v {
	case "no":
		cfg.Restart = supervise.RestartNo
	case "on-failure":
		cfg.Restart = supervise.RestartOnFailure
	case "always":
		cfg.Restart = supervise.RestartAlways
	default:
		p.fail(fRestart, "want no, on-failure or always, got %q", v)
	}
	switch v := c.String(fOnUnhealthy); v {
	case "":
	case "exit":
		cfg.Health.OnUnhealthy = supervise.UnhealthyExit
	case "restart":
		cfg.Health.OnUnhealthy = supervise.UnhealthyRestart
	default:
		p.fail(fOnUnhealthy, "want exit or restart, got %q", v)
	}

	if rw, err := signals.ParseRewrites(c.StringSlice(fRewrite)); err != nil {
		p.fail(fRewrite, "%v", err)
	} else {
		cfg.Rewrite = rw
	}
	cfg.RemapExit = p.remaps(fRemapExit)
	if v := c.String(fPdeathsig); v != "" {
		sig, err := signals.Parse(v)
		if err != nil {
			p.fail(fPdeathsig, "%v", err)
		} else if !signals.Catchable(sig) {
			p.fail(fPdeathsig, "%s cannot be caught", signals.Name(sig))
		}
		cfg.PdeathSig = sig
	}
	if v := c.String(fStopSignal); v != "" {
		sig, err := signals.Parse(v)
		if err != nil {
			p.fail(fStopSignal, "%v", err)
		} else if sig == unix.SIGSTOP {
			p.fail(fStopSignal, "%q is SIGSTOP, which stops nothing for good", v)
		}
		cfg.StopSignal = sig
	}
	cfg.RestartCodes = p.codes(fRestartCodes)
	cfg.NoRestartCodes = p.codes(fNoRestart)
	if cfg.Restart == supervise.RestartNo {
		for _, name := range []string{fRestartCodes, fNoRestart} {
			if c.IsSet(name) {
				p.fail(name, "needs --restart on-failure or always")
			}
		}
	}
	for _, code := range cfg.RestartCodes {
		if slices.Contains(cfg.NoRestartCodes, code) {
			p.fail(fRestartCodes, "exit code %d is also in --%s", code, fNoRestart)
		}
	}
	cfg.Grace = p.duration(fGrace)
	cfg.StopDelay = p.duration(fStopDelay)
	if cfg.StopDelay > 0 && cfg.StopDelay >= cfg.Grace {
		p.fail(fStopDelay, "%s is not below --%s %s: the child would get SIGKILL before its SIGTERM", cfg.StopDelay, fGrace, cfg.Grace)
	}
	cfg.MaxRestarts = p.count(fMaxRestarts)
	cfg.BackoffMin = p.duration(fBackoffMin)
	cfg.BackoffMax = p.duration(fBackoffMax)
	cfg.Deadline = p.duration(fDeadline)
	cfg.Watchdog = p.watchdog(cfg.Notify)

	h := &cfg.Health
	if v := c.String(fHealthCmd); v != "" {
		words, err := probe.SplitWords(v)
		if err != nil {
			p.fail(fHealthCmd, "%v", err)
		}
		h.Cmd = words
	}
	if v := c.String(fHealthHTTP); v != "" {
		u, err := probe.ParseURL(v)
		if err != nil {
			p.fail(fHealthHTTP, "%v", err)
		}
		h.HTTP = &u
	}
	if v := c.String(fHealthTCP); v != "" {
		addr, err := probe.ParseHostPort(v)
		if err != nil {
			p.fail(fHealthTCP, "%v", err)
		}
		h.TCP = addr
	}
	h.Interval = p.duration(fHealthIntvl)
	h.Timeout = p.duration(fHealthTmo)
	h.Retries = p.count(fHealthRetry)
	h.StartPeriod = p.duration(fHealthStart)
	if !h.Enabled() {
		for _, name := range []string{fHealthIntvl, fHealthTmo, fHealthRetry, fHealthStart, fOnUnhealthy} {
			if c.IsSet(name) && !(cfg.Watchdog > 0 && watchdogCounts(name)) {
				p.fail(name, "needs a probe (--health-cmd, --health-http or --health-tcp)")
			}
		}
	}
	return cfg, p.err
}

// watchdogCounts reports whether option name applies to --watchdog's
// misses as to failed probes, so that it may be given with --watchdog
// and no probe.
func watchdogCounts(name string) bool {
	return name == fHealthRetry || name == fHealthStart || name == fOnUnhealthy
}

// watchdog reads --watchdog: a positive duration, and only with --notify.
func (p *parser) watchdog(notify bool) time.Duration {
	if !p.c.IsSet(fWatchdog) {
		return 0
	}
	d := p.duration(fWatchdog)
	switch {
	case !notify:
		p.fail(fWatchdog, "needs --%s", fNotify)
	case d == 0:
		p.fail(fWatchdog, "must be positive, got %q", p.c.String(fWatchdog))
	}
	return d
}

// parser keeps the first error, so parseConfig reads straight through.
type parser struct {
	c   *cli.Context
	err error
}

func (p *parser) fail(name, format string, args ...any) {
	if p.err == nil {
		p.err = optErr(name, format, args...)
	}
}

// duration reads a Go duration ("500ms", "1m30s"); empty means 0, negative
// values are refused.
func (p *parser) duration(name string) time.Duration {
	v := p.c.String(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		p.fail(name, "invalid duration %q", v)
	case d < 0:
		p.fail(name, "negative duration %q", v)
	}
	return d
}

// count reads a non-negative integer.
func (p *parser) count(name string) int {
	v := p.c.String(name)
	n, err := strconv.Atoi(v)
	switch {
	case err != nil:
		p.fail(name, "invalid number %q", v)
	case n < 0:
		p.fail(name, "negative number %q", v)
	}
	return n
}

// codes reads a list of exit codes, each 0..255; duplicates are kept
// (harmless), an empty entry is refused.
func (p *parser) codes(name string) []int {
	var out []int
	for _, s := range p.c.StringSlice(name) {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 || n > 255 {
			p.fail(name, "invalid exit code %q: codes run from 0 to 255", s)
			return nil
		}
		out = append(out, n)
	}
	return out
}

// remaps reads FROM:TO exit status rules, each side 0..255.
func (p *parser) remaps(name string) map[int]int {
	specs := p.c.StringSlice(name)
	if len(specs) == 0 {
		return nil
	}
	m := make(map[int]int, len(specs))
	for _, s := range specs {
		from, to, err := parseRemap(s)
		if err != nil {
			p.fail(name, "%v", err)
			return nil
		}
		m[from] = to
	}
	return m
}

// parseRemap reads one --remap-exit rule "FROM:TO".
func parseRemap(s string) (from, to int, err error) {
	f, t, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("invalid rule %q: want FROM:TO", s)
	}
	from, err1 := strconv.Atoi(f)
	to, err2 := strconv.Atoi(t)
	if err1 != nil || err2 != nil || from < 0 || from > 255 || to < 0 || to > 255 {
		return 0, 0, fmt.Errorf("invalid rule %q: statuses run from 0 to 255", s)
	}
	return from, to, nil
}
