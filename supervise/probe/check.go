package probe

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// StatusError is the failure of an HTTP probe that got an answer, but not a
// healthy one (see [Healthy]). Its text is the bare "status 503":
// the event loop logs it that way; `tend --check` adds the URL.
type StatusError struct {
	Code int
}

func (e *StatusError) Error() string { return fmt.Sprintf("status %d", e.Code) }

// Target is one HTTP or TCP probe: at most one of HTTP and TCP is set.
type Target struct {
	HTTP    *URL   // GET; 2xx and 3xx are healthy
	TCP     string // host:port; a connection is healthy
	Timeout time.Duration
}

// Probe runs h's HTTP or TCP probe once, bounded by h.Timeout, and returns
// nil when it passed. The event loop's probe goroutine calls it for
// --health-http and --health-tcp, and `tend --check` for its one probe, so
// both judge health the same way. A --health-cmd probe is not run here: it
// is a process, started and reaped by the loop.
func Probe(ctx context.Context, h Target) error {
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	switch {
	case h.HTTP != nil:
		code, err := HTTP(ctx, *h.HTTP, h.Timeout)
		if err == nil && !Healthy(code) {
			err = &StatusError{Code: code}
		}
		return err
	case h.TCP != "":
		return TCP(ctx, h.TCP, h.Timeout)
	}
	return errors.New("probe: no --health-http or --health-tcp target")
}
