package supervise

import (
	"context"
	"errors"
	"fmt"
)

// StatusError is the failure of an HTTP probe that got an answer, but not a
// healthy one (see [HealthyStatus]). Its text is the bare "status 503":
// the event loop logs it that way; `tend --check` adds the URL.
type StatusError struct {
	Code int
}

func (e *StatusError) Error() string { return fmt.Sprintf("status %d", e.Code) }

// Probe runs h's HTTP or TCP probe once, bounded by h.Timeout, and returns
// nil when it passed. The event loop's probe goroutine calls it for
// --health-http and --health-tcp, and `tend --check` for its one probe, so
// both judge health the same way. A --health-cmd probe is not run here: it
// is a process, started and reaped by the loop.
func Probe(ctx context.Context, h Health) error {
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	switch {
	case h.HTTP != nil:
		code, err := ProbeHTTP(ctx, *h.HTTP, h.Timeout)
		if err == nil && !HealthyStatus(code) {
			err = &StatusError{Code: code}
		}
		return err
	case h.TCP != "":
		return ProbeTCP(ctx, h.TCP, h.Timeout)
	}
	return errors.New("probe: no --health-http or --health-tcp target")
}
