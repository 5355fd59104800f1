package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/tend-init/tend/supervise/probe"
)

// exitCheckFailed is the status of a --check whose target is unhealthy:
// Docker's HEALTHCHECK contract is 0 healthy, 1 unhealthy (2 is reserved).
const exitCheckFailed = 1

// checkRequested reports whether tend was asked to probe once instead of
// running a command.
func checkRequested(c *cli.Context) bool {
	return c.IsSet(fCheck) || c.IsSet(fCheckTimeout)
}

// check runs --check: one probe, no child, with the same code as
// --health-http and --health-tcp. It returns 0 when the target is healthy,
// and exitCheckFailed with an error for tend's one line when it is not.
// A usage error comes back with status -1 (run maps it to 125). The other
// options are not read: a HEALTHCHECK inherits the image's TEND_*
// variables, which are meant for the tend that runs the app.
func check(c *cli.Context) (int, error) {
	h, err := parseCheck(c)
	if err != nil {
		return -1, err
	}
	if err := probe.Probe(context.Background(), h); err != nil {
		var se *probe.StatusError
		if errors.As(err, &se) {
			err = fmt.Errorf("get %s: %w", h.HTTP, err)
		}
		return exitCheckFailed, fmt.Errorf("unhealthy: %w", err)
	}
	return 0, nil
}

// parseCheck reads --check and --check-timeout into a Health holding the
// one probe.
func parseCheck(c *cli.Context) (probe.Target, error) {
	var h probe.Target
	target, tmo := c.String(fCheck), c.String(fCheckTimeout)
	switch {
	case !c.IsSet(fCheck):
		return h, optErr(fCheckTimeout, "needs --check")
	case target == "":
		return h, optErr(fCheck, "empty value")
	case c.Args().Len() > 0:
		return h, optErr(fCheck, "probes once and runs no command, got %q", c.Args().First())
	}
	d, err := time.ParseDuration(tmo)
	switch {
	case err != nil:
		return h, optErr(fCheckTimeout, "invalid duration %q", tmo)
	case d <= 0:
		return h, optErr(fCheckTimeout, "want a positive duration, got %q", tmo)
	}
	h.Timeout = d
	scheme, rest, _ := strings.Cut(target, "://")
	switch strings.ToLower(scheme) {
	case "http", "https": // probe.ParseURL says why https is refused
		u, err := probe.ParseURL(target)
		if err != nil {
			return h, optErr(fCheck, "%v", err)
		}
		h.HTTP = &u
	case "tcp":
		addr, err := probe.ParseHostPort(rest)
		if err != nil {
			// Name the URL as given, not the address inside it.
			if inner := errors.Unwrap(err); inner != nil {
				err = inner
			}
			return h, optErr(fCheck, "parse URL %q: %v", target, err)
		}
		h.TCP = addr
	default:
		return h, optErr(fCheck, "want http://HOST[:PORT][/PATH] or tcp://HOST:PORT, got %q", target)
	}
	return h, nil
}
