package signals

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Rewrite maps a signal tend receives to the one it forwards; a value of 0
// means the signal is dropped. Signals absent from the map pass unchanged.
type Rewrite map[unix.Signal]unix.Signal

// Apply returns the signal to forward for sig, and false when the rewrite
// drops it.
func (r Rewrite) Apply(sig unix.Signal) (unix.Signal, bool) {
	to, ok := r[sig]
	if !ok {
		return sig, true
	}
	return to, to != 0
}

// ParseRewrite reads one --rewrite rule "FROM:TO", where both sides are
// anything [Parse] accepts and TO may also be "0" or "none" to drop FROM.
// FROM must be a signal tend can receive and forward.
func ParseRewrite(s string) (from, to unix.Signal, err error) {
	f, t, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("invalid rewrite %q: want FROM:TO", s)
	}
	from, err = Parse(f)
	if err != nil {
		return 0, 0, fmt.Errorf("invalid rewrite %q: %w", s, err)
	}
	if !Forwardable(from) {
		return 0, 0, fmt.Errorf("invalid rewrite %q: %s is never forwarded", s, Name(from))
	}
	if t == "0" || strings.EqualFold(t, "none") {
		return from, 0, nil
	}
	to, err = Parse(t)
	if err != nil {
		return 0, 0, fmt.Errorf("invalid rewrite %q: %w", s, err)
	}
	return from, to, nil
}

// ParseRewrites reads every rule of specs into one table; a later rule for
// the same FROM replaces an earlier one.
func ParseRewrites(specs []string) (Rewrite, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	r := make(Rewrite, len(specs))
	for _, s := range specs {
		from, to, err := ParseRewrite(s)
		if err != nil {
			return nil, err
		}
		r[from] = to
	}
	return r, nil
}
