package supervise

import (
	"slices"
	"time"
)

// minBackoff is the shortest wait before a restart, whatever the flags: a
// crash-looping command must never spin.
const minBackoff = 10 * time.Millisecond

// wantRestart decides whether the main child is started again after an exit
// with status code. unhealthy means tend itself stopped the child because
// its probe failed and --on-unhealthy asked for a restart: that is its own
// reason, and the exit codes lists are not consulted (the status is the
// result of tend's stop, not the child's verdict).
//
// Otherwise, in this order: --restart no never restarts; a code in
// --no-restart-codes never restarts; when --restart-codes is given, only
// its codes restart (on-failure and always then behave alike); else
// on-failure restarts on a non-zero code and always on any code.
// --max-restarts and the backoff apply afterwards, to every restart.
func wantRestart(p policy, code int, unhealthy bool) bool {
	switch {
	case unhealthy:
		return true
	case p.restart == RestartNo:
		return false
	case slices.Contains(p.noRestartCodes, code):
		return false
	case len(p.restartCodes) > 0:
		return slices.Contains(p.restartCodes, code)
	case p.restart == RestartOnFailure:
		return code != 0
	}
	return p.restart == RestartAlways
}

// backoff returns the wait before restart number attempt (1 for the first):
// lo, doubled for each consecutive restart, at most hi, never below
// minBackoff.
func backoff(attempt int, lo, hi time.Duration) time.Duration {
	lo = max(lo, minBackoff)
	hi = max(hi, lo)
	d := lo
	for i := 1; i < attempt && d < hi; i++ {
		if d > hi/2 {
			return hi // doubling would pass hi, or overflow
		}
		d *= 2
	}
	return min(d, hi)
}

// resetFloor is the shortest run that resets the restart count, whatever
// --backoff-max says. Without it a zero (or tiny) --backoff-max made every
// run a long one, and --max-restarts never held (issue 12: 814 starts of a
// failing command in 10s).
const resetFloor = time.Second

// nextAttempt returns the restart attempt number after a run that lasted
// ranFor: a run longer than backoffMax, and than resetFloor, resets the
// count, so only consecutive quick failures are counted against
// --max-restarts.
func nextAttempt(prev int, ranFor, backoffMax time.Duration) int {
	if ranFor > max(backoffMax, resetFloor) {
		return 1
	}
	return prev + 1
}

// exhausted reports whether attempt is over the limit (0 = unlimited).
func exhausted(attempt, maxRestarts int) bool {
	return maxRestarts > 0 && attempt > maxRestarts
}

// finalStatus applies the --remap-exit rules to tend's exit status.
func finalStatus(code int, remap map[int]int) int {
	if to, ok := remap[code]; ok {
		return to
	}
	return code
}
