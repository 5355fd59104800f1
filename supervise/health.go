package supervise

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/reaper"
	"github.com/tend-init/tend/signals"
	"github.com/tend-init/tend/supervise/metrics"
	"github.com/tend-init/tend/supervise/probe"
)

// prober is the health probe's state, owned by the event loop.
type prober struct {
	gen        int         // bumped at each start and stop; stale results are dropped
	next       *time.Timer // fires when the next probe is due
	timeout    *time.Timer // fires when a --health-cmd probe overstays
	running    bool
	began      time.Time // when the probe in flight started, for its duration
	pid        int       // the --health-cmd process, until reaped
	timedOut   bool
	failures   int       // consecutive failures that counted
	startUntil time.Time // end of --health-start-period
	passed     bool      // a probe succeeded since the child started
	unhealthy  bool
	lastErr    error
	lastTime   time.Time
}

// probeResult is what an HTTP or TCP probe goroutine sends back.
type probeResult struct {
	gen int
	err error
}

// errProbeTimeout is the failure of a probe that did not finish in time.
var errProbeTimeout = errors.New("timed out")

// startProbing schedules the first probe of a new run, one interval after
// the start.
func (s *supervisor) startProbing() {
	h := s.cfg.Health
	if !h.Enabled() {
		return
	}
	p := &s.probe
	p.gen++
	p.failures, p.passed, p.unhealthy = 0, false, false
	p.startUntil = time.Now().Add(h.StartPeriod)
	p.next = time.NewTimer(h.Interval)
}

// stopProbing cancels the schedule and ends a probe in flight: a
// --health-cmd process is killed, and reaped by the loop like any other.
func (s *supervisor) stopProbing() {
	p := &s.probe
	p.gen++
	p.running = false
	for _, t := range []**time.Timer{&p.next, &p.timeout} {
		if *t != nil {
			(*t).Stop()
			*t = nil
		}
	}
	if p.pid != 0 {
		_ = signals.Send(p.pid, unix.SIGKILL, true)
	}
}

func (s *supervisor) startProbe() {
	p := &s.probe
	if p.running || s.main == 0 {
		return
	}
	h := s.cfg.Health
	p.running, p.timedOut, p.began = true, false, time.Now()
	if len(h.Cmd) > 0 {
		pid, err := s.startProbeCmd()
		if err != nil {
			s.onProbeResult(probeResult{gen: p.gen, err: err})
			return
		}
		p.pid = pid
		p.timeout = time.NewTimer(h.Timeout)
		return
	}
	gen, done := p.gen, s.probeDone
	go func() {
		done <- probeResult{gen: gen, err: probe.Probe(context.Background(), probe.Target{HTTP: h.HTTP, TCP: h.TCP, Timeout: h.Timeout})}
	}()
}

// startProbeCmd forks the --health-cmd command as the child's user, in the
// child's directory (see [spawn.Command.StartHelper]).
func (s *supervisor) startProbeCmd() (int, error) {
	pid, err := s.cmd.StartHelper(s.cfg.Health.Cmd, s.cfg.Workdir)
	if err != nil {
		return 0, err
	}
	s.log.Debug("probe started", "pid", pid)
	return pid, nil
}

func (s *supervisor) onProbeTimeout() {
	p := &s.probe
	if p.pid != 0 {
		p.timedOut = true
		_ = signals.Send(p.pid, unix.SIGKILL, true)
	}
}

func (s *supervisor) onProbeExit(e reaper.Exit) {
	p := &s.probe
	p.pid = 0
	if p.timeout != nil {
		p.timeout.Stop()
		p.timeout = nil
	}
	if !p.running {
		return // stopped with its run
	}
	var err error
	switch {
	case p.timedOut:
		err = errProbeTimeout
	case e.Code() != 0:
		err = fmt.Errorf("exit status %d", e.Code())
	}
	s.onProbeResult(probeResult{gen: p.gen, err: err})
}

// onProbeResult counts a probe's outcome and acts when the child turns
// unhealthy: failures inside the start period do not count, and a success
// ends the start period.
func (s *supervisor) onProbeResult(r probeResult) {
	p := &s.probe
	if r.gen != p.gen || s.main == 0 {
		return
	}
	p.running = false
	p.lastErr, p.lastTime = r.err, time.Now()
	s.metrics.Probe(s.probeKind(), r.err == nil, p.lastTime.Sub(p.began))
	h := s.cfg.Health
	if r.err == nil {
		s.log.Debug("probe passed")
		p.failures, p.passed, p.startUntil = 0, true, time.Time{}
	} else if time.Now().Before(p.startUntil) {
		s.log.Debug("probe failed in the start period", "err", r.err)
	} else {
		p.failures++
		s.log.Debug("probe failed", "err", r.err, "failures", p.failures)
	}
	if p.failures >= h.Retries && s.m.state == stateRunning {
		p.unhealthy = true
		s.onUnhealthy(r.err)
	} else {
		p.next = time.NewTimer(h.Interval)
	}
	s.publish()
}

// probeKind names the configured probe as package metrics does.
func (s *supervisor) probeKind() string {
	switch h := s.cfg.Health; {
	case len(h.Cmd) > 0:
		return metrics.KindCmd
	case h.HTTP != nil:
		return metrics.KindHTTP
	default:
		return metrics.KindTCP
	}
}

// onUnhealthy stops the child gracefully and then exits with 69 or
// restarts, as --on-unhealthy says (see unhealthyAction).
func (s *supervisor) onUnhealthy(err error) {
	s.log.Warn("unhealthy", "failures", s.probe.failures, "err", err)
	s.feed(event{kind: evUnhealthy})
}
