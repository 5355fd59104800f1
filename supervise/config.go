package supervise

import (
	"fmt"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/signals"
	"github.com/tend-init/tend/supervise/probe"
)

// Forward says where forwarded signals go.
type Forward int

const (
	// ForwardGroup sends signals to the main child's process group.
	ForwardGroup Forward = iota
	// ForwardChild sends signals to the main child alone.
	ForwardChild
)

// Restart is the restart policy for the main child.
type Restart int

const (
	// RestartNo never restarts: the child's exit ends tend.
	RestartNo Restart = iota
	// RestartOnFailure restarts after a non-zero exit or a death by signal.
	RestartOnFailure
	// RestartAlways restarts after any exit.
	RestartAlways
)

// Unhealthy is what tend does when the health probe fails too often.
type Unhealthy int

const (
	// UnhealthyDefault restarts when the restart policy is not RestartNo and
	// exits otherwise.
	UnhealthyDefault Unhealthy = iota
	// UnhealthyExit stops the child gracefully and exits with status 69.
	UnhealthyExit
	// UnhealthyRestart stops the child gracefully and restarts it.
	UnhealthyRestart
)

// Health configures the health probe; at most one of Cmd, HTTP and TCP is set.
type Health struct {
	Cmd         []string   // argv of a command; exit 0 is healthy
	HTTP        *probe.URL // GET; 2xx and 3xx are healthy
	TCP         string     // host:port; a connection is healthy
	Interval    time.Duration
	Timeout     time.Duration
	Retries     int           // consecutive failures that make the child unhealthy
	StartPeriod time.Duration // failures in it do not count; a success ends it
	OnUnhealthy Unhealthy
}

// Enabled reports whether a probe is configured.
func (h Health) Enabled() bool { return len(h.Cmd) > 0 || h.HTTP != nil || h.TCP != "" }

// Config is everything [Run] needs, as plain values. The zero value of a
// field means its documented default only where [Defaults] says so.
type Config struct {
	Argv    []string // the command and its arguments; empty with Pause
	Pause   bool     // no command: reap until SIGTERM or SIGINT, then exit 0
	Forward Forward
	Rewrite signals.Rewrite
	// RemapExit maps tend's final exit status to another one.
	RemapExit   map[int]int
	Grace       time.Duration
	NoSubreaper bool
	PdeathSig   unix.Signal // 0: none
	// StopSignal is what tend sends when it stops the child itself
	// (deadline, unhealthy) and what starts the stop of leftovers;
	// 0: SIGTERM (after Rewrite, for the main child).
	StopSignal unix.Signal
	User       string // USER[:GROUP], names or numbers; "" keeps tend's
	Workdir    string

	// StopDelay holds back the first SIGTERM tend receives while the
	// child runs: tend is not ready at once, the child gets the SIGTERM
	// StopDelay later; the delay counts against Grace. 0: none.
	StopDelay time.Duration

	Restart Restart
	// RestartCodes, when not empty, are the only exit codes that restart;
	// NoRestartCodes never restart. Both refine RestartOnFailure and
	// RestartAlways and need one of them; they may not overlap.
	RestartCodes   []int
	NoRestartCodes []int
	MaxRestarts    int // 0: unlimited
	BackoffMin     time.Duration
	BackoffMax     time.Duration
	Deadline       time.Duration // 0: none
	Health         Health
	StatusAddr     string // "" : no status endpoint
	// TerminationLog is the file tend writes its termination summary to
	// (see package termlog); "" writes none. With TerminationLogIfExists
	// (the default path, /dev/termination-log) a missing file is left
	// missing; otherwise it is created.
	TerminationLog         string
	TerminationLogIfExists bool

	// Notify is --notify: the child gets a notify socket of tend's in
	// NOTIFY_SOCKET and tells tend it is ready (READY=1) over the sd_notify
	// protocol; a NOTIFY_SOCKET tend was given is then told READY=1 once
	// the child is ready (see package notify).
	Notify bool
	// Watchdog is --watchdog, with Notify: the child must send WATCHDOG=1
	// at least this often (it gets WATCHDOG_USEC); each miss counts as a
	// failed probe. 0: no watchdog.
	Watchdog time.Duration

	// Version and Commit label tend_build_info on GET /metrics (see
	// package metrics); cmd/tend sets them to what tend --version prints.
	Version, Commit string

	// Signals are the channels from signals.Notify, registered by the caller
	// as early as it could; Run registers them itself when they are nil.
	Signals *signals.Incoming
}

// DefaultTerminationLog is where tend writes its termination summary when
// the file exists and no option says otherwise: Kubernetes' default
// terminationMessagePath.
const DefaultTerminationLog = "/dev/termination-log"

// Defaults returns a Config with every documented default filled in.
func Defaults() Config {
	return Config{
		Grace:       10 * time.Second,
		MaxRestarts: 10,
		BackoffMin:  time.Second,
		BackoffMax:  time.Minute,
		// Kubernetes mounts it into every container (terminationMessagePath).
		TerminationLog:         DefaultTerminationLog,
		TerminationLogIfExists: true,
		Health: Health{
			Interval: 10 * time.Second,
			Timeout:  time.Second,
			Retries:  3,
		},
	}
}

// UsageError is a bad option value: tend exits with status 125 and starts
// nothing.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a *UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// Validate checks the relations between fields that no single option's
// parser can see.
func (c *Config) Validate() error {
	switch {
	case c.Pause && len(c.Argv) > 0:
		return Usagef("--pause takes no command, got %q", c.Argv[0])
	case !c.Pause && len(c.Argv) == 0:
		return Usagef("no command given (try tend --help)")
	case c.Grace < 0:
		return Usagef("--grace: negative duration %s", c.Grace)
	case c.MaxRestarts < 0:
		return Usagef("--max-restarts: negative count %d", c.MaxRestarts)
	case c.BackoffMin < 0:
		return Usagef("--backoff-min: negative duration %s", c.BackoffMin)
	case c.BackoffMax < 0:
		return Usagef("--backoff-max: negative duration %s", c.BackoffMax)
	case c.BackoffMin > c.BackoffMax:
		return Usagef("--backoff-min %s is above --backoff-max %s", c.BackoffMin, c.BackoffMax)
	case c.Deadline < 0:
		return Usagef("--deadline: negative duration %s", c.Deadline)
	case c.StopSignal == unix.SIGSTOP:
		return Usagef("--stop-signal: SIGSTOP stops nothing for good")
	case c.StopDelay < 0:
		return Usagef("--stop-delay: negative duration %s", c.StopDelay)
	case c.StopDelay > 0 && c.StopDelay >= c.Grace:
		return Usagef("--stop-delay %s is not below --grace %s: the child would get SIGKILL before its SIGTERM", c.StopDelay, c.Grace)
	case c.Watchdog < 0:
		return Usagef("--watchdog: negative duration %s", c.Watchdog)
	case c.Watchdog > 0 && !c.Notify:
		return Usagef("--watchdog needs --notify")
	case c.Pause && c.Notify:
		return Usagef("--pause cannot be combined with --notify")
	}
	if err := c.validateCodes(); err != nil {
		return err
	}
	h := c.Health
	kinds := 0
	for _, set := range []bool{len(h.Cmd) > 0, h.HTTP != nil, h.TCP != ""} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds > 1:
		return Usagef("only one of --health-cmd, --health-http and --health-tcp may be given")
	case h.Interval <= 0:
		return Usagef("--health-interval: must be positive, got %s", h.Interval)
	case h.Timeout <= 0:
		return Usagef("--health-timeout: must be positive, got %s", h.Timeout)
	case h.Retries < 1:
		return Usagef("--health-retries: must be at least 1, got %d", h.Retries)
	case h.StartPeriod < 0:
		return Usagef("--health-start-period: negative duration %s", h.StartPeriod)
	case c.Pause && kinds > 0:
		return Usagef("--pause cannot be combined with a health probe")
	}
	return nil
}

// validateCodes checks --restart-codes and --no-restart-codes against
// --restart and against each other.
func (c *Config) validateCodes() error {
	if c.Restart == RestartNo {
		switch {
		case len(c.RestartCodes) > 0:
			return Usagef("--restart-codes needs --restart on-failure or always")
		case len(c.NoRestartCodes) > 0:
			return Usagef("--no-restart-codes needs --restart on-failure or always")
		}
	}
	for _, list := range [][]int{c.RestartCodes, c.NoRestartCodes} {
		for _, code := range list {
			if code < 0 || code > 255 {
				return Usagef("exit code %d: codes run from 0 to 255", code)
			}
		}
	}
	for _, code := range c.RestartCodes {
		if slices.Contains(c.NoRestartCodes, code) {
			return Usagef("exit code %d is in both --restart-codes and --no-restart-codes", code)
		}
	}
	return nil
}
