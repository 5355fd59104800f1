package supervise

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestWantRestart(t *testing.T) {
	tests := []struct {
		name      string
		policy    Restart
		codes     []int // --restart-codes
		never     []int // --no-restart-codes
		code      int
		unhealthy bool
		want      bool
	}{
		{"no, exit 0", RestartNo, nil, nil, 0, false, false},
		{"no, exit 1", RestartNo, nil, nil, 1, false, false},
		{"no, SIGTERM", RestartNo, nil, nil, 143, false, false},
		{"no, unhealthy", RestartNo, nil, nil, 143, true, true},
		{"on-failure, exit 0", RestartOnFailure, nil, nil, 0, false, false},
		{"on-failure, exit 1", RestartOnFailure, nil, nil, 1, false, true},
		{"on-failure, exit 255", RestartOnFailure, nil, nil, 255, false, true},
		{"on-failure, SIGKILL", RestartOnFailure, nil, nil, 137, false, true},
		{"on-failure, exit 0 unhealthy", RestartOnFailure, nil, nil, 0, true, true},
		{"on-failure, SIGTERM unhealthy", RestartOnFailure, nil, nil, 143, true, true},
		{"always, exit 0", RestartAlways, nil, nil, 0, false, true},
		{"always, exit 1", RestartAlways, nil, nil, 1, false, true},
		{"always, SIGTERM", RestartAlways, nil, nil, 143, false, true},
		{"always, unhealthy", RestartAlways, nil, nil, 0, true, true},
		{"unknown policy", Restart(99), nil, nil, 1, false, false},

		// --restart-codes: only the listed codes restart.
		{"on-failure, codes 1,2,137, exit 2", RestartOnFailure, []int{1, 2, 137}, nil, 2, false, true},
		{"on-failure, codes 1,2,137, exit 137", RestartOnFailure, []int{1, 2, 137}, nil, 137, false, true},
		{"on-failure, codes 1,2,137, exit 4", RestartOnFailure, []int{1, 2, 137}, nil, 4, false, false},
		{"on-failure, codes 1,2,137, exit 0", RestartOnFailure, []int{1, 2, 137}, nil, 0, false, false},
		{"on-failure, codes 0, exit 0", RestartOnFailure, []int{0}, nil, 0, false, true},
		{"on-failure, codes 0, exit 1", RestartOnFailure, []int{0}, nil, 1, false, false},
		{"always, codes 2, exit 2", RestartAlways, []int{2}, nil, 2, false, true},
		{"always, codes 2, exit 0", RestartAlways, []int{2}, nil, 0, false, false},
		{"always, codes 2,2 (duplicate), exit 2", RestartAlways, []int{2, 2}, nil, 2, false, true},
		{"codes 2, exit 4 unhealthy", RestartAlways, []int{2}, nil, 4, true, true},

		// --no-restart-codes: the listed codes never restart.
		{"always, never 0,3, exit 3", RestartAlways, nil, []int{0, 3}, 3, false, false},
		{"always, never 0,3, exit 0", RestartAlways, nil, []int{0, 3}, 0, false, false},
		{"always, never 0,3, exit 1", RestartAlways, nil, []int{0, 3}, 1, false, true},
		{"on-failure, never 3, exit 3", RestartOnFailure, nil, []int{3}, 3, false, false},
		{"on-failure, never 3, exit 0", RestartOnFailure, nil, []int{3}, 0, false, false},
		{"on-failure, never 3, exit 143", RestartOnFailure, nil, []int{3}, 143, false, true},
		{"never 143, unhealthy stop 143", RestartAlways, nil, []int{143}, 143, true, true},

		// Both lists: --no-restart-codes is checked first.
		{"codes 1,2, never 3, exit 2", RestartAlways, []int{1, 2}, []int{3}, 2, false, true},
		{"codes 1,2, never 3, exit 3", RestartAlways, []int{1, 2}, []int{3}, 3, false, false},
		{"codes 1,2, never 3, exit 5", RestartAlways, []int{1, 2}, []int{3}, 5, false, false},

		// --restart no ignores the lists (Validate refuses them anyway).
		{"no, codes 1, exit 1", RestartNo, []int{1}, nil, 1, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := policy{restart: tt.policy, restartCodes: tt.codes, noRestartCodes: tt.never}
			if got := wantRestart(p, tt.code, tt.unhealthy); got != tt.want {
				t.Errorf("wantRestart(%d, codes %v, never %v, %d, %v) = %v; want %v",
					tt.policy, tt.codes, tt.never, tt.code, tt.unhealthy, got, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	const s, m = time.Second, time.Minute
	tests := []struct {
		name    string
		attempt int
		lo, hi  time.Duration
		want    time.Duration
	}{
		{"attempt 1 is min", 1, s, m, s},
		{"attempt 2 doubles", 2, s, m, 2 * s},
		{"attempt 3", 3, s, m, 4 * s},
		{"attempt 4", 4, s, m, 8 * s},
		{"attempt 6", 6, s, m, 32 * s},
		{"attempt 7 capped", 7, s, m, m},
		{"attempt 100 capped", 100, s, m, m},
		{"huge attempt does not overflow", math.MaxInt, s, m, m},
		{"attempt 0 is min", 0, s, m, s},
		{"negative attempt is min", -3, s, m, s},
		{"100ms series", 4, 100 * time.Millisecond, m, 800 * time.Millisecond},
		{"cap between doublings", 3, 3 * s, 10 * s, 10 * s},
		{"min equals max", 5, 5 * s, 5 * s, 5 * s},
		{"zero min floored", 1, 0, m, 10 * time.Millisecond},
		{"zero min doubles from floor", 3, 0, m, 40 * time.Millisecond},
		{"negative min floored", 1, -s, m, 10 * time.Millisecond},
		{"zero min and max", 5, 0, 0, 10 * time.Millisecond},
		{"max below floor", 2, 0, time.Millisecond, 10 * time.Millisecond},
		{"max below min", 3, 2 * s, s, 2 * s},
		{"huge max", 62, s, time.Duration(1<<63 - 1), time.Duration(1<<63 - 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := backoff(tt.attempt, tt.lo, tt.hi); got != tt.want {
				t.Errorf("backoff(%d, %v, %v) = %v; want %v", tt.attempt, tt.lo, tt.hi, got, tt.want)
			}
		})
	}
}

// TestBackoffNeverSpins checks the contract "a crash-looping command never
// spins, whatever the flags": every delay is at least the floor and the
// series never decreases.
func TestBackoffNeverSpins(t *testing.T) {
	for _, lo := range []time.Duration{-time.Second, 0, 1, time.Millisecond, time.Second, time.Hour} {
		for _, hi := range []time.Duration{0, 1, time.Millisecond, time.Second, time.Minute, 1<<63 - 1} {
			prev := time.Duration(0)
			for attempt := 1; attempt <= 80; attempt++ {
				d := backoff(attempt, lo, hi)
				if d < minBackoff || d < prev {
					t.Fatalf("backoff(%d, %v, %v) = %v; want at least %v and at least backoff(%d) = %v", attempt, lo, hi, d, minBackoff, attempt-1, prev)
				}
				prev = d
			}
		}
	}
}

func TestNextAttempt(t *testing.T) {
	tests := []struct {
		name       string
		prev       int
		ranFor     time.Duration
		backoffMax time.Duration
		want       int
	}{
		{"first restart", 0, time.Millisecond, time.Minute, 1},
		{"quick failure counts", 3, time.Second, time.Minute, 4},
		{"exactly backoff-max counts", 3, time.Minute, time.Minute, 4},
		{"longer than backoff-max resets", 7, time.Minute + 1, time.Minute, 1},
		{"long run after none", 0, time.Hour, time.Minute, 1},
		{"zero backoff-max, instant exit", 2, 0, 0, 3},
		// issue 12: with --backoff-max 0 every run outlasted it, so
		// --max-restarts never held.
		{"zero backoff-max, quick failure counts", 2, time.Millisecond, 0, 3},
		{"zero backoff-max, at the floor counts", 2, resetFloor, 0, 3},
		{"zero backoff-max, past the floor resets", 2, resetFloor + 1, 0, 1},
		{"small backoff-max, run under the floor counts", 5, 500 * time.Millisecond, 100 * time.Millisecond, 6},
		{"small backoff-max, run past the floor resets", 5, resetFloor + 1, 100 * time.Millisecond, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextAttempt(tt.prev, tt.ranFor, tt.backoffMax); got != tt.want {
				t.Errorf("nextAttempt(%d, %v, %v) = %d; want %d", tt.prev, tt.ranFor, tt.backoffMax, got, tt.want)
			}
		})
	}
}

func TestExhausted(t *testing.T) {
	tests := []struct {
		attempt, maxRestarts int
		want                 bool
	}{
		{1, 0, false},
		{1000000, 0, false},
		{1, 1, false},
		{2, 1, true},
		{3, 3, false},
		{4, 3, true},
		{10, 10, false},
		{11, 10, true},
		{0, 3, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("attempt %d of %d", tt.attempt, tt.maxRestarts), func(t *testing.T) {
			if got := exhausted(tt.attempt, tt.maxRestarts); got != tt.want {
				t.Errorf("exhausted(%d, %d) = %v; want %v", tt.attempt, tt.maxRestarts, got, tt.want)
			}
		})
	}
}

// TestRestartSeries plays the example through the pure functions: a
// command that exits 1 at once with --restart=on-failure --max-restarts=3
// --backoff-min=100ms runs 4 times, the gaps double, the final status is 1.
func TestRestartSeries(t *testing.T) {
	const maxRestarts = 3
	lo, hi := 100*time.Millisecond, time.Minute
	var delays []time.Duration
	attempt, runs := 0, 1
	for {
		code := 1
		if !wantRestart(policy{restart: RestartOnFailure}, code, false) {
			t.Fatalf("wantRestart(on-failure, 1, false) = false")
		}
		attempt = nextAttempt(attempt, time.Millisecond, hi)
		if exhausted(attempt, maxRestarts) {
			break
		}
		delays = append(delays, backoff(attempt, lo, hi))
		runs++
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}
	if runs != 4 || fmt.Sprint(delays) != fmt.Sprint(want) {
		t.Errorf("on-failure, max 3, exit 1 at once: %d runs, delays %v; want 4 runs, delays %v", runs, delays, want)
	}
	if got := finalStatus(1, nil); got != 1 {
		t.Errorf("finalStatus(1, nil) = %d; want 1", got)
	}
}

func TestFinalStatus(t *testing.T) {
	remap := map[int]int{143: 0, 1: 2, 0: 5, 2: 1}
	tests := []struct {
		name  string
		code  int
		remap map[int]int
		want  int
	}{
		{"no rules", 143, nil, 143},
		{"empty rules", 3, map[int]int{}, 3},
		{"remapped", 143, remap, 0},
		{"zero remapped", 0, remap, 5},
		{"not chained", 1, remap, 2},
		{"swap", 2, remap, 1},
		{"absent", 137, remap, 137},
		{"usage error remapped too", 125, map[int]int{125: 1}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := finalStatus(tt.code, tt.remap); got != tt.want {
				t.Errorf("finalStatus(%d, %v) = %d; want %d", tt.code, tt.remap, got, tt.want)
			}
		})
	}
}

// TestMaxRestartsHolds: --max-restarts bounds a crash loop whatever the
// backoff flags (issue 12: with --backoff-max 0 every run reset the count
// and 814 starts in 10s were seen). Each run fails after ranFor; with a
// limit of 3 the command runs exactly 4 times.
func TestMaxRestartsHolds(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi time.Duration
		ranFor time.Duration
	}{
		{"defaults", time.Second, time.Minute, time.Millisecond},
		{"zero backoff", 0, 0, time.Millisecond},
		{"zero backoff, instant", 0, 0, 0},
		{"tiny backoff", time.Nanosecond, time.Nanosecond, 5 * time.Millisecond},
		{"small backoff-max, slower failure", 10 * time.Millisecond, 50 * time.Millisecond, 200 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const maxRestarts = 3
			attempt, runs := 0, 1
			for runs < 1000 {
				attempt = nextAttempt(attempt, tt.ranFor, tt.hi)
				if exhausted(attempt, maxRestarts) {
					break
				}
				if d := backoff(attempt, tt.lo, tt.hi); d < minBackoff {
					t.Fatalf("backoff(%d, %v, %v) = %v; want at least %v", attempt, tt.lo, tt.hi, d, minBackoff)
				}
				runs++
			}
			if runs != maxRestarts+1 {
				t.Errorf("backoff %v..%v, runs of %v, --max-restarts %d: %d runs; want %d", tt.lo, tt.hi, tt.ranFor, maxRestarts, runs, maxRestarts+1)
			}
		})
	}
}
