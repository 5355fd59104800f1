package supervise

import (
	"errors"
	"os"
	"strconv"
	"time"

	"github.com/tend-init/tend/supervise/notify"
)

// notifier is --notify's state, owned by the event loop: the socket the
// child reports to, what the current run said, the --watchdog timer, and
// the client of the NOTIFY_SOCKET tend was given.
type notifier struct {
	sock *notify.Socket // nil without --notify
	up   notify.Upstream

	ready    bool   // this run sent READY=1
	stopping bool   // this run sent STOPPING=1
	status   string // this run's last STATUS=

	watchdog   *time.Timer // fires when a ping is overdue
	misses     int         // consecutive missed deadlines that counted
	startUntil time.Time   // end of --health-start-period for the watchdog
	unhealthy  bool        // the watchdog made this run unhealthy
}

// errWatchdog is the failure of a missed --watchdog deadline,
// errWatchdogTrigger the child's own verdict.
var (
	errWatchdog        = errors.New("no WATCHDOG=1 in time")
	errWatchdogTrigger = errors.New("the child sent WATCHDOG=trigger")
)

// setupNotify makes the notify socket and puts it in the command's
// environment: NOTIFY_SOCKET, and with --watchdog WATCHDOG_USEC and
// WATCHDOG_PID (the child's own pid, which sd_watchdog_enabled(3) checks).
// Without --watchdog the WATCHDOG_ variables tend may have been given are
// removed: they are meant for tend, and tend does not forward pings. The
// NOTIFY_SOCKET tend was given becomes the upstream; an address tend
// cannot use is a warning, not an error.
func (s *supervisor) setupNotify() error {
	if addr := os.Getenv("NOTIFY_SOCKET"); addr != "" {
		up, err := notify.NewUpstream(addr)
		if err != nil {
			s.log.Warn("not telling the notify socket tend was given", "err", err)
		}
		s.note.up = up
	}
	var owner *notify.Owner
	if uid, gid, ok := s.cmd.Owner(); ok {
		owner = &notify.Owner{UID: uid, GID: gid}
	}
	sock, err := notify.Listen(notify.Candidates(), owner, s.tree.Descends)
	if err != nil {
		return Usagef("--notify: make the notify socket: %v", err)
	}
	s.note.sock = sock
	s.cmd.SetEnv("NOTIFY_SOCKET", sock.Path())
	if s.cfg.Watchdog > 0 {
		s.cmd.SetEnv("WATCHDOG_USEC", strconv.FormatInt(s.cfg.Watchdog.Microseconds(), 10))
		s.cmd.SetWatchdogPid()
	} else {
		s.cmd.UnsetEnv("WATCHDOG_USEC")
		s.cmd.UnsetEnv("WATCHDOG_PID")
	}
	s.log.Debug("notify socket ready", "path", sock.Path())
	return nil
}

// closeNotify closes the socket and removes its directory.
func (s *supervisor) closeNotify() {
	if s.note.sock != nil {
		if err := s.note.sock.Close(); err != nil {
			s.log.Debug("closing the notify socket", "err", err)
		}
	}
}

// notifyC is the channel of datagrams, nil (never ready) without --notify
// or once the socket is closed.
func (s *supervisor) notifyC() <-chan notify.Datagram {
	if s.note.sock == nil {
		return nil
	}
	return s.note.sock.C()
}

// startNotify begins a run: it must say READY=1 again, and its watchdog
// starts counting from the start.
func (s *supervisor) startNotify() {
	n := &s.note
	if n.sock == nil {
		return
	}
	n.ready, n.stopping, n.status = false, false, ""
	n.misses, n.unhealthy = 0, false
	if s.cfg.Watchdog > 0 {
		n.startUntil = time.Now().Add(s.cfg.Health.StartPeriod)
		s.armWatchdog()
	}
}

// stopNotify ends a run: it is no longer ready and has no watchdog.
func (s *supervisor) stopNotify() {
	n := &s.note
	n.ready = false
	s.stopNotifyTimer()
}

func (s *supervisor) stopNotifyTimer() {
	if s.note.watchdog != nil {
		s.note.watchdog.Stop()
		s.note.watchdog = nil
	}
}

func (s *supervisor) armWatchdog() {
	if s.note.watchdog != nil {
		s.note.watchdog.Stop()
	}
	s.note.watchdog = time.NewTimer(s.cfg.Watchdog)
}

// notifyGate is --notify's part of readiness: without --notify nothing,
// with it READY=1 from this run, no STOPPING=1 since, and no watchdog
// failure.
func (s *supervisor) notifyGate() bool {
	n := &s.note
	return n.sock == nil || n.ready && !n.stopping && !n.unhealthy
}

// notifyState is the status JSON's "notify" field: "stopping" once the
// app said STOPPING=1 or tend began to stop it (a --stop-delay drain
// included).
func (s *supervisor) notifyState() string {
	switch n := &s.note; {
	case n.sock == nil:
		return ""
	case n.stopping, s.m.state == stateDraining, s.m.state == stateStopping:
		return "stopping"
	case n.ready:
		return "ready"
	}
	return "waiting"
}

// tellUpstream tells the NOTIFY_SOCKET tend was given READY=1 the first
// time the child is ready (ready is what /readyz says) and STOPPING=1 the
// first time tend stops for good. publish calls it on every change.
func (s *supervisor) tellUpstream(ready bool) {
	up := &s.note.up
	if !up.Enabled() {
		return
	}
	if ready {
		if sent, err := up.Ready(); err != nil {
			s.log.Warn("could not tell the notify socket tend was given", "state", "READY=1", "err", err)
		} else if sent {
			s.log.Debug("told the notify socket tend was given", "state", "READY=1")
		}
	}
	// A drain (--stop-delay) is the beginning of the stop: the upstream
	// hears STOPPING=1 when it begins, as /readyz says 503.
	if s.m.final && (s.m.state == stateStopping || s.m.state == stateDraining) {
		s.notifyStopping()
	}
}

// notifyStopping tells the NOTIFY_SOCKET tend was given STOPPING=1, once.
// tellUpstream calls it when the machine stops for good, or begins a
// drain before the stop.
func (s *supervisor) notifyStopping() {
	if sent, err := s.note.up.Stopping(); err != nil {
		s.log.Warn("could not tell the notify socket tend was given", "state", "STOPPING=1", "err", err)
	} else if sent {
		s.log.Debug("told the notify socket tend was given", "state", "STOPPING=1")
	}
}

// onNotify handles one datagram on the notify socket. Only a descendant
// of tend may speak: its pid, from the kernel's credentials, must be the
// main child's or have led up to tend under /proc when the datagram was
// read (see [notify.Listen]). A message that fails the check (a sender
// already gone, a tend with another namespace's /proc that cannot check
// but the main child), or comes when no child runs, is dropped with a
// debug line.
func (s *supervisor) onNotify(d notify.Datagram, ok bool) {
	if !ok {
		s.note.sock = nil // closed: nothing more comes
		return
	}
	switch {
	case !d.Creds:
		s.log.Debug("notify message dropped", "reason", "no credentials")
		return
	case d.Truncated:
		s.log.Debug("notify message dropped", "pid", d.PID, "reason", "longer than 4096 bytes")
		return
	case s.main == 0:
		s.log.Debug("notify message dropped", "pid", d.PID, "reason", "no child runs")
		return
	case d.PID == 0:
		s.log.Debug("notify message dropped", "pid", d.PID, "reason", "the sender has no pid in tend's namespace")
		return
	case d.PID != s.main && !d.Descendant:
		s.log.Debug("notify message dropped", "pid", d.PID, "reason", "not a descendant of tend")
		return
	}
	n, m := &s.note, d.Msg
	before := *n
	if m.MainPID != "" {
		s.log.Info("MAINPID ignored: tend watches the process it started", "pid", d.PID, "mainpid", m.MainPID)
	}
	if m.HasStatus {
		n.status = m.Status
		s.log.Debug("notify status", "pid", d.PID, "text", m.Status)
	}
	if m.Ready && !n.ready {
		n.ready = true
		s.log.Info("child ready", "pid", d.PID)
	}
	if m.Stopping && !n.stopping {
		n.stopping = true
		s.log.Info("child stopping", "pid", d.PID)
	}
	for _, k := range m.Ignored {
		s.log.Debug("notify assignment ignored", "pid", d.PID, "key", k)
	}
	switch {
	case s.cfg.Watchdog == 0:
	case m.Trigger && s.m.state == stateRunning:
		s.stopNotifyTimer()
		s.watchdogFailed(d.PID, errWatchdogTrigger)
		return
	case m.Watchdog && n.watchdog != nil:
		// As a passed probe does, a ping ends the start period.
		n.misses, n.startUntil = 0, time.Time{}
		s.armWatchdog()
	}
	// A ping alone changes nothing the status endpoint shows.
	if n.ready != before.ready || n.stopping != before.stopping || n.status != before.status {
		s.publish()
	}
}

// onWatchdog runs when the child sent no WATCHDOG=1 for --watchdog (or
// sent WATCHDOG=trigger): one failed probe, counted as probes are
// (--health-retries in a row, none in --health-start-period), then the
// timer starts again.
func (s *supervisor) onWatchdog() {
	n := &s.note
	n.watchdog = nil
	if s.main == 0 || s.m.state != stateRunning {
		return
	}
	if time.Now().Before(n.startUntil) {
		s.log.Debug("watchdog missed in the start period", "watchdog", s.cfg.Watchdog)
	} else {
		n.misses++
		s.log.Info("watchdog missed", "watchdog", s.cfg.Watchdog, "failures", n.misses)
	}
	if n.misses >= s.cfg.Health.Retries {
		s.watchdogFailed(s.main, errWatchdog)
		return
	}
	s.armWatchdog()
	s.publish()
}

// watchdogFailed makes the run unhealthy: --on-unhealthy then stops it
// and exits 69 or restarts it, as after failed probes. A WATCHDOG=trigger
// does so at once, whatever --health-retries and the start period say, as
// it does under systemd.
func (s *supervisor) watchdogFailed(pid int, err error) {
	n := &s.note
	n.unhealthy = true
	s.log.Warn("unhealthy", "pid", pid, "failures", n.misses, "err", err)
	s.feed(event{kind: evUnhealthy})
}
