package supervise

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/reaper"
	"github.com/tend-init/tend/signals"
	"github.com/tend-init/tend/supervise/termlog"
)

// The termination summary (--termination-log): one line, written when tend
// ends, that says why. The machine knows the decisions (deadline,
// unhealthy, gave up, the signal that stopped tend, the last status); the
// loop knows the rest (how the last run ended: a signal, the OOM killer, a
// failed restart; the last probe's error). summary is a pure function of
// both, so every wording is tested without processes.

// oomReason is what tend says of a death by SIGKILL while the memory
// cgroup's OOM-kill counter grew: in the "exited" line, and in the summary.
const oomReason = "killed by the OOM killer"

// runEnd is how the last run of the main child ended, beyond its status.
type runEnd struct {
	sig      unix.Signal // the signal that killed it, 0 if it exited
	oom      bool        // killed by SIGKILL while the cgroup counted an OOM kill
	startErr error       // the restart failed: no process ran
}

// endOf reads how a reaped run ended; oom says whether the OOM-kill
// counter grew during it.
func endOf(ws unix.WaitStatus, oom bool) runEnd {
	if !ws.Signaled() {
		return runEnd{}
	}
	sig := ws.Signal()
	return runEnd{sig: sig, oom: oom && sig == unix.SIGKILL}
}

// phrase says how a run with status code ended; with subject it is a
// clause of its own ("the child was killed by SIGTERM"), without, the
// whole summary ("killed by SIGTERM").
func (r runEnd) phrase(code int, subject bool) string {
	var s string
	switch {
	case r.startErr != nil:
		s = fmt.Sprintf("could not start: %v (status %d)", r.startErr, code)
	case r.oom:
		s = "was " + oomReason + " (" + signals.Name(unix.SIGKILL) + ")"
	case r.sig != 0:
		s = "was killed by " + signals.Name(r.sig)
	default:
		s = "exited with status " + strconv.Itoa(code)
	}
	if subject {
		return "the child " + s
	}
	return strings.TrimPrefix(s, "was ")
}

// facts are what the loop, not the machine, knows of the end.
type facts struct {
	last          runEnd
	deadline      time.Duration // --deadline
	unhealthy     bool          // the last run was stopped as unhealthy
	probeFailures int           // consecutive failed probes when the child turned unhealthy
	probeErr      error         // the last probe's error
}

// unhealthyClause says why the probe made the child unhealthy.
func (f facts) unhealthyClause() string {
	s := fmt.Sprintf("unhealthy: %d %s failed", f.probeFailures, plural(f.probeFailures, "probe", "probes"))
	if f.probeErr != nil {
		s += "; last: " + f.probeErr.Error()
	}
	return s
}

// summary says why tend ends: the first cause that made the run the last
// (the deadline, the probe, --max-restarts, a signal to tend), then how
// the last run ended; and, when --remap-exit changes it, the status tend
// exits with. The summary reports what happened; --remap-exit changes only
// the status.
func summary(m machine, p policy, f facts) string {
	run := func() string { return "; " + f.last.phrase(m.lastCode, true) }
	var s string
	switch {
	case m.override == ExitDeadline:
		s = "deadline " + f.deadline.String() + " exceeded" + run()
	case m.override == ExitUnhealthy:
		s = f.unhealthyClause() + run()
	case p.pause:
		s = "paused"
		if m.stopSig != 0 {
			s += "; stopped by " + signals.Name(m.stopSig)
		}
	case m.exhausted:
		n := m.attempt - 1
		s = fmt.Sprintf("gave up after %d %s", n, plural(n, "restart", "restarts"))
		if f.unhealthy { // --on-unhealthy restart: the probe ended the last run
			s += "; the last run was " + f.unhealthyClause()
		}
		s += run()
	case m.stopSig != 0 && m.haveExit:
		s = "stopped by " + signals.Name(m.stopSig) + run()
	case m.haveExit:
		s = f.last.phrase(m.lastCode, false)
	default:
		s = "ended"
	}
	return s + remapped(m, p)
}

// remapped is the summary's last clause when --remap-exit changes tend's
// exit status: "; tend exits 0 (--remap-exit 143:0)".
func remapped(m machine, p policy) string {
	plain := p
	plain.remap = nil
	from, to := m.exitStatus(plain), m.exitStatus(p)
	if from == to {
		return ""
	}
	return fmt.Sprintf("; tend exits %d (--remap-exit %d:%d)", to, from, to)
}

// failSummary is the summary of a Run that fails before the child runs:
// status is the status before --remap-exit.
func failSummary(err error, status int, remap map[int]int) string {
	var ue *UsageError
	what := "could not start"
	if errors.As(err, &ue) {
		what = "invalid usage"
	}
	s := fmt.Sprintf("%s: %v (status %d)", what, err, status)
	if to := finalStatus(status, remap); to != status {
		s += fmt.Sprintf("; tend exits %d (--remap-exit %d:%d)", to, status, to)
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// writeTermination writes the summary to --termination-log, if any. It
// runs once, when tend ends; a file that already holds the application's
// message is left alone.
func writeTermination(cfg *Config, log *slog.Logger, msg string) {
	if cfg.TerminationLog == "" {
		return
	}
	err := termlog.Write(cfg.TerminationLog, !cfg.TerminationLogIfExists, msg)
	switch {
	case errors.Is(err, termlog.ErrNotEmpty):
		log.Debug("termination log not empty; left as it is", "path", cfg.TerminationLog)
	case err != nil:
		log.Warn("could not write the termination log", "err", err)
	}
}

// facts gathers what the summary needs from the loop.
func (s *supervisor) facts() facts {
	return facts{last: s.lastEnd, deadline: s.cfg.Deadline, unhealthy: s.probe.unhealthy, probeFailures: s.probe.failures, probeErr: s.probe.lastErr}
}

// exitedOOM reads the OOM-kill counter after a death by SIGKILL and says
// whether it grew since the run started.
func (s *supervisor) exitedOOM(e reaper.Exit) bool {
	if !s.oomOK || !e.Status.Signaled() || e.Status.Signal() != unix.SIGKILL {
		return false
	}
	after, ok := s.oom.Read()
	return ok && after > s.oomBefore
}

// logExited logs the main child's exit: a warning that names the OOM
// killer when it struck (and counts it in tend_child_oom_kills_total).
func (s *supervisor) logExited(pid, code int) {
	if s.lastEnd.oom {
		s.metrics.ChildOOMKilled()
		s.log.Warn("exited", "pid", pid, "status", code, "reason", oomReason)
		return
	}
	s.log.Info("exited", "pid", pid, "status", code)
}
