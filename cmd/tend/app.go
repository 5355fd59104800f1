package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/signals"
	"github.com/tend-init/tend/supervise"
)

const usageText = `tend [OPTIONS] [--] COMMAND [ARG...]
tend [OPTIONS] --pause
tend --check URL [--check-timeout DURATION]
tend --version

tend stops reading its options at the first word that is not one:
"tend prog -v" runs "prog -v". Every option can also be set with the
variable shown after it; an option on the command line beats the variable.`

// run parses args, supervises the command and returns tend's exit status.
// It prints at most one error line, "tend: ...", on stderr.
func run(args []string, in signals.Incoming) int {
	if argv, ok := plainCommand(args, os.Environ()); ok {
		return runPlain(argv, in)
	}
	status := -1 // set once supervise.Run has run
	app := newApp(in, &status)
	err := app.Run(args)
	if err != nil {
		printError(err)
	}
	switch {
	case status >= 0:
		return status
	case err != nil:
		return exitCode(err)
	}
	return 0 // --help, --version
}

// printError prints err as tend's one error line. Control characters from
// a hostile value (a newline in TEND_WORKDIR, say) are escaped, so the line
// stays one line.
func printError(err error) {
	msg := err.Error()
	if strings.ContainsFunc(msg, unicode.IsControl) {
		var b strings.Builder
		for _, r := range msg {
			if unicode.IsControl(r) {
				q := strconv.QuoteRune(r)
				b.WriteString(q[1 : len(q)-1])
			} else {
				b.WriteRune(r)
			}
		}
		msg = b.String()
	}
	// write(2) directly: on a closed stderr, os.Stderr raises SIGPIPE (Go
	// does for fds 1 and 2), which tend would take for one sent to it.
	_, _ = unix.Write(2, []byte("tend: "+msg+"\n"))
}

// exitCode maps an error from the app to tend's exit status.
func exitCode(err error) int {
	var se *supervise.StartError
	if errors.As(err, &se) {
		return se.ExitCode()
	}
	return supervise.ExitUsage
}

func newApp(in signals.Incoming, status *int) *cli.App {
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: "print the version and exit"}
	cli.VersionPrinter = func(*cli.Context) { fmt.Println(versionLine()) }
	return &cli.App{
		Name:            "tend",
		Usage:           "a container init: forwards signals, reaps zombies, stops leftovers, restarts and probes",
		UsageText:       usageText,
		Version:         version,
		HideHelpCommand: true, // "tend help" runs a program named help
		Flags:           flags(),
		Writer:          os.Stdout,
		ErrWriter:       io.Discard, // tend prints its one error line itself
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return err
		},
		// StartError has an ExitCode method; without this handler urfave/cli
		// would print it and call os.Exit inside Run.
		ExitErrHandler: func(*cli.Context, error) {},
		Action: func(c *cli.Context) error {
			if checkRequested(c) {
				st, err := check(c)
				*status = st
				return err
			}
			cfg, log, sink, err := configure(c)
			if err != nil {
				return err
			}
			st, err := execute(cfg, in, log, sink)
			*status = st
			return err
		},
	}
}

// execute runs the supervisor, says how many of tend's log lines were
// dropped if any, and flushes the log before returning.
func execute(cfg supervise.Config, in signals.Incoming, log *slog.Logger, sink *supervise.LogSink) (int, error) {
	cfg.Signals = &in
	status, err := supervise.Run(context.Background(), cfg, log)
	if n := sink.Dropped(); n > 0 {
		// The one warning of this kind: stderr was full for a second at a
		// time, so tend dropped its own lines rather than stall.
		log.Warn("some of tend's log lines were dropped: stderr was not being read", "dropped", n)
	}
	sink.Flush(time.Second)
	return status, err
}

// newLogger sets up tend's stderr logging.
func newLogger(format string, level slog.Level) (*slog.Logger, *supervise.LogSink, error) {
	var h func(*supervise.LogSink) slog.Handler
	switch format {
	case "text":
		h = func(w *supervise.LogSink) slog.Handler { return supervise.NewTextHandler(w, level) }
	case "json":
		h = func(w *supervise.LogSink) slog.Handler {
			return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
		}
	default:
		return nil, nil, optErr(fLogFormat, "want text or json, got %q", format)
	}
	sink := supervise.NewLogSink(2)
	return slog.New(h(sink)), sink, nil
}

// plainCommand recognises the common start, "tend [--] COMMAND [ARG...]"
// with no option and no TEND_* variable (ENTRYPOINT ["/tend", "--"], and
// docker run --init): then every option has its default, and tend skips
// building the command-line parser, which costs more than the rest of its
// start-up (about 3,500 allocations).
func plainCommand(args, environ []string) ([]string, bool) {
	if len(args) < 2 {
		return nil, false
	}
	argv := args[1:]
	if argv[0] == "--" {
		argv = argv[1:]
	}
	if len(argv) == 0 || strings.HasPrefix(argv[0], "-") {
		return nil, false
	}
	for _, kv := range environ {
		if strings.HasPrefix(kv, "TEND_") {
			return nil, false
		}
	}
	return argv, true
}

// runPlain supervises argv with every option at its default.
func runPlain(argv []string, in signals.Incoming) int {
	cfg := supervise.Defaults()
	cfg.Argv = argv
	log, sink, _ := newLogger("text", slog.LevelInfo)
	status, err := execute(cfg, in, log, sink)
	if err != nil {
		printError(err)
	}
	return status
}

// configure reads every option into a supervise.Config and sets up logging.
func configure(c *cli.Context) (supervise.Config, *slog.Logger, *supervise.LogSink, error) {
	cfg, err := parseConfig(c)
	if err != nil {
		return cfg, nil, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nil, nil, err
	}
	level := slog.LevelInfo
	switch {
	case c.Bool(fQuiet):
		level = slog.LevelError
	case c.Bool(fVerbose):
		level = slog.LevelDebug
	}
	log, sink, err := newLogger(c.String(fLogFormat), level)
	if err != nil {
		return cfg, nil, nil, err
	}
	return cfg, log, sink, nil
}
