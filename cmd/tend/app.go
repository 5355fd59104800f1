package main

import (
	"bytes"
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
	"github.com/tend-init/tend/supervise/logsink"
	"github.com/tend-init/tend/supervise/spawn"
)

const usageText = `tend [OPTIONS] [--] COMMAND [ARG...]
tend [OPTIONS] --pause
tend --check URL [--check-timeout DURATION]
tend --copy-to DIR
tend --version

tend stops reading its options at the first word that is not one:
"tend prog -v" runs "prog -v". Every option can also be set with the
variable shown after it; an option on the command line beats the variable.`

// run parses args, supervises the command and returns tend's exit status.
// It prints at most one error line on stderr: "tend: ...", or a JSON
// object once the options have asked for --log-format json.
func run(args []string, in signals.Incoming) int {
	if argv, ok := plainCommand(args, os.Environ()); ok {
		return runPlain(argv, in)
	}
	status := -1     // set once supervise.Run has run
	format := "text" // set once --log-format is read and valid
	app := newApp(in, &status, &format)
	err := app.Run(args)
	switch {
	case status >= 0:
	case err != nil:
		status = exitCode(err)
	default:
		status = 0 // --help, --version
	}
	if err != nil {
		if format == "json" {
			printJSONError(err, status)
		} else {
			printError(err)
		}
	}
	return status
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
	writeStderr([]byte("tend: " + msg + "\n"))
}

// printJSONError prints err as tend's one error line under --log-format
// json: one object with level ERROR, msg, err (the text printError would
// print) and the status tend exits with. The JSON encoder escapes control
// characters, so the line stays one line.
func printJSONError(err error, status int) {
	var se *spawn.StartError
	var ue *supervise.UsageError
	msg := "failed"
	switch {
	case errors.As(err, &se):
		msg = "start failed"
	case errors.As(err, &ue):
		msg = "invalid usage"
	}
	var b bytes.Buffer
	slog.New(logsink.NewJSONHandler(&b, slog.LevelError)).Error(msg, "err", err, "status", status)
	writeStderr(b.Bytes())
}

// writeStderr writes an error line with write(2): on a closed stderr,
// os.Stderr raises SIGPIPE (Go does for fds 1 and 2), which tend would
// take for one sent to it.
func writeStderr(line []byte) {
	_, _ = unix.Write(2, line)
}

// exitCode maps an error from the app to tend's exit status.
func exitCode(err error) int {
	var se *spawn.StartError
	if errors.As(err, &se) {
		return se.ExitCode()
	}
	return supervise.ExitUsage
}

// newApp builds tend's command line. Its action stores the exit status of
// supervise.Run in *status, and the log format in *format as soon as the
// option is read.
func newApp(in signals.Incoming, status *int, format *string) *cli.App {
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
			if copyToRequested(c) {
				return copyTo(c)
			}
			if checkRequested(c) {
				// Only a --log-format on the check's own command line:
				// like every TEND_* variable, the image's TEND_LOG_FORMAT
				// is meant for the tend that runs the app.
				if f, _ := optionValue(os.Args, fLogFormat); f == "json" {
					*format = f
				}
				st, err := check(c)
				*status = st
				return err
			}
			cfg, log, sink, err := configure(c, format)
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
func execute(cfg supervise.Config, in signals.Incoming, log *slog.Logger, sink *logsink.Sink) (int, error) {
	cfg.Signals = &in
	cfg.Version, cfg.Commit = version, commitID() // tend_build_info, as tend --version prints them
	status, err := supervise.Run(context.Background(), cfg, log)
	// The queue drains first, so that the count of dropped lines is not
	// itself dropped for want of room; a second in all for both flushes.
	deadline := time.Now().Add(time.Second)
	sink.Flush(time.Until(deadline))
	if n := sink.Dropped(); n > 0 {
		// The one warning of this kind: stderr was full for a second at a
		// time, so tend dropped its own lines rather than stall.
		log.Warn("some of tend's log lines were dropped: stderr was not being read", "dropped", n)
		sink.Flush(time.Until(deadline))
	}
	return status, err
}

// newLogger sets up tend's stderr logging: format is "text" or "json".
func newLogger(format string, level slog.Level) (*slog.Logger, *logsink.Sink) {
	sink := logsink.New(2)
	if format == "json" {
		return slog.New(logsink.NewJSONHandler(sink, level)), sink
	}
	return slog.New(logsink.NewTextHandler(sink, level)), sink
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
	log, sink := newLogger("text", slog.LevelInfo)
	status, err := execute(cfg, in, log, sink)
	if err != nil {
		printError(err)
	}
	return status
}

// configure reads every option into a supervise.Config and sets up logging.
// It reads --log-format first and stores it in *format, so that an error
// in any other option is reported in that format.
func configure(c *cli.Context, format *string) (supervise.Config, *slog.Logger, *logsink.Sink, error) {
	switch f := c.String(fLogFormat); f {
	case "text", "json":
		*format = f
	default:
		return supervise.Config{}, nil, nil, optErr(fLogFormat, "want text or json, got %q", f)
	}
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
	log, sink := newLogger(*format, level)
	return cfg, log, sink, nil
}
