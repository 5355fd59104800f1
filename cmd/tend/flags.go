package main

import "github.com/urfave/cli/v2"

// Flag names, shared by the flag table and the code that reads them.
const (
	fForward      = "forward"
	fRewrite      = "rewrite"
	fRemapExit    = "remap-exit"
	fGrace        = "grace"
	fNoSubreaper  = "no-subreaper"
	fPdeathsig    = "pdeathsig"
	fStopSignal   = "stop-signal"
	fStopDelay    = "stop-delay"
	fUser         = "user"
	fWorkdir      = "workdir"
	fPause        = "pause"
	fQueueSignals = "queue-signals"
	fLogFormat    = "log-format"
	fVerbose      = "verbose"
	fQuiet        = "quiet"
	fRestart      = "restart"
	fMaxRestarts  = "max-restarts"
	fRestartCodes = "restart-codes"
	fNoRestart    = "no-restart-codes"
	fBackoffMin   = "backoff-min"
	fBackoffMax   = "backoff-max"
	fDeadline     = "deadline"
	fHealthCmd    = "health-cmd"
	fHealthHTTP   = "health-http"
	fHealthTCP    = "health-tcp"
	fHealthIntvl  = "health-interval"
	fHealthTmo    = "health-timeout"
	fHealthRetry  = "health-retries"
	fHealthStart  = "health-start-period"
	fOnUnhealthy  = "on-unhealthy"
	fStatusAddr   = "status-addr"
	fTermLog      = "termination-log"
	fNotify       = "notify"
	fWatchdog     = "watchdog"
	fCheck        = "check"
	fCheckTimeout = "check-timeout"
	fCopyTo       = "copy-to"
	categoryCore  = "Core"
	categorySuper = "Supervision"
	categoryLog   = "Logging"
	categoryCheck = "Check (probe once and exit, for HEALTHCHECK)"
	categoryCopy  = "Install (copy tend and exit, for a Kubernetes initContainer)"
)

// str declares a string option with its TEND_* variable.
func str(name, value, usage, category string) *cli.StringFlag {
	return &cli.StringFlag{Name: name, Value: value, Usage: usage, EnvVars: []string{envName(name)}, Category: category}
}

// boolean declares a boolean option with its TEND_* variable.
func boolean(name, usage, category string, aliases ...string) *cli.BoolFlag {
	return &cli.BoolFlag{Name: name, Aliases: aliases, Usage: usage, EnvVars: []string{envName(name)}, Category: category}
}

// list declares a repeatable option; its TEND_* variable is comma-separated.
func list(name, usage, category string) *cli.StringSliceFlag {
	return &cli.StringSliceFlag{Name: name, Usage: usage, EnvVars: []string{envName(name)}, Category: category}
}

// envName maps an option name to its variable: grace -> TEND_GRACE.
func envName(name string) string {
	b := []byte("TEND_" + name)
	for i, c := range b {
		switch {
		case c == '-':
			b[i] = '_'
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// flags is tend's option table: every option, its variable and default.
func flags() []cli.Flag {
	return []cli.Flag{
		str(fForward, "group", "where signals go: `group` (the child's process group) or child (the child alone)", categoryCore),
		list(fRewrite, "`FROM:TO`: forward signal TO when FROM arrives (names or numbers; TO of 0 or none drops FROM); repeatable", categoryCore),
		list(fRemapExit, "`FROM:TO`: exit with TO when tend would exit with FROM (e.g. 143:0); repeatable", categoryCore),
		str(fGrace, "10s", "`DURATION` from the start of the shutdown until whatever is left gets SIGKILL", categoryCore),
		boolean(fNoSubreaper, "do not become a child subreaper when not PID 1", categoryCore),
		str(fStopSignal, "", "`SIGNAL` tend sends when it stops the child itself (deadline, unhealthy) and to leftovers (names or numbers; default: SIGTERM, after --rewrite for the child)", categoryCore),
		str(fStopDelay, "0s", "on the first SIGTERM, answer /readyz 503 at once and hold the SIGTERM back from the child for `DURATION` (counts against --grace; a second SIGTERM or a SIGINT forwards at once)", categoryCore),
		str(fPdeathsig, "", "`SIGNAL` tend receives when its parent dies, handled as if sent", categoryCore),
		str(fUser, "", "run the command as `USER[:GROUP]` (names from the image's /etc/passwd and /etc/group, or numbers)", categoryCore),
		str(fWorkdir, "", "run the command in `DIR`", categoryCore),
		boolean(fPause, "run no command: reap orphans and exit 0 on SIGTERM or SIGINT", categoryCore),
		boolean(fQueueSignals, "forward every queued copy of a signal, not at least one of each kind (tend then executes itself once at start)", categoryCore),
		str(fRestart, "no", "restart the command: `no`, on-failure or always", categorySuper),
		list(fRestartCodes, "`CODES`: restart only on these exit codes (e.g. 1,2,137; needs --restart on-failure or always)", categorySuper),
		list(fNoRestart, "`CODES`: never restart on these exit codes (e.g. 0,3; needs --restart on-failure or always)", categorySuper),
		str(fMaxRestarts, "10", "give up after `N` consecutive restarts (0: never give up)", categorySuper),
		str(fBackoffMin, "1s", "`DURATION` to wait before the first restart, doubled for each consecutive one", categorySuper),
		str(fBackoffMax, "1m", "longest `DURATION` between restarts; a run longer than this and than 1s resets the count", categorySuper),
		str(fDeadline, "", "stop everything after `DURATION` and exit 124 (restarts included; default: none)", categorySuper),
		str(fHealthCmd, "", "health probe: run `CMD` (words split like a shell, no shell); exit 0 is healthy", categorySuper),
		str(fHealthHTTP, "", "health probe: GET `URL` (http only); 2xx and 3xx are healthy", categorySuper),
		str(fHealthTCP, "", "health probe: connect to `HOST:PORT`", categorySuper),
		str(fHealthIntvl, "10s", "`DURATION` between probes", categorySuper),
		str(fHealthTmo, "1s", "`DURATION` a probe may take", categorySuper),
		str(fHealthRetry, "3", "`N` consecutive failed probes make the child unhealthy", categorySuper),
		str(fHealthStart, "0s", "probe failures in this `DURATION` after a start do not count", categorySuper),
		str(fOnUnhealthy, "", "when unhealthy: `exit` (status 69) or restart; default: restart if --restart is not no, else exit", categorySuper),
		str(fStatusAddr, "", "serve GET /healthz, /readyz and /metrics on `ADDR` (e.g. 127.0.0.1:8081)", categorySuper),
		boolean(fNotify, "give the child a notify socket (NOTIFY_SOCKET, the sd_notify protocol): it is ready once it sends READY=1", categorySuper),
		str(fWatchdog, "", "with --notify: the child must send WATCHDOG=1 at least every `DURATION` (it gets WATCHDOG_USEC); a miss counts as a failed probe", categorySuper),
		str(fCheck, "", "probe `URL` once and exit 0 if healthy, 1 if not; start no command: http://HOST[:PORT][/PATH] (2xx and 3xx are healthy) or tcp://HOST:PORT", categoryCheck),
		str(fCheckTimeout, "1s", "`DURATION` the --check probe may take", categoryCheck),
		str(fCopyTo, "", "copy tend's executable to `DIR`/tend (mode 0755) and exit 0; start no command", categoryCopy),
		str(fLogFormat, "text", "log format on stderr: `text` or json", categoryLog),
		str(fTermLog, "/dev/termination-log", "write one line saying why tend ended to `FILE` if it is empty (the default only if it exists; none: never)", categoryLog),
		boolean(fVerbose, "also log every reap, forward, probe and terminal hand-off", categoryLog, "v"),
		boolean(fQuiet, "log only errors", categoryLog),
	}
}
