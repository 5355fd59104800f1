package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/tend-init/tend/signals"
	"github.com/tend-init/tend/supervise"
)

const usageText = `tend [OPTIONS] [--] COMMAND [ARG...]
tend [OPTIONS] --pause
tend --version

tend stops reading its options at the first word that is not one:
"tend prog -v" runs "prog -v". Every option can also be set with the
variable shown after it; an option on the command line beats the variable.`

// run parses args, supervises the command and returns tend's exit status.
// It prints at most one error line, "tend: ...", on stderr.
func run(args []string, in signals.Incoming) int {
	status := 0
	app := newApp(in, &status)
	if err := app.Run(args); err != nil {
		fmt.Fprintln(os.Stderr, "tend: "+err.Error())
		return exitCode(err)
	}
	return status
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
			cfg, log, sink, err := configure(c)
			if err != nil {
				return err
			}
			cfg.Signals = &in
			st, err := supervise.Run(context.Background(), cfg, log)
			sink.Flush(time.Second)
			if err != nil {
				return err
			}
			*status = st
			return nil
		},
	}
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
	sink := supervise.NewLogSink(2)
	var h slog.Handler
	switch f := c.String(fLogFormat); f {
	case "text":
		h = supervise.NewTextHandler(sink, level)
	case "json":
		h = slog.NewJSONHandler(sink, &slog.HandlerOptions{Level: level})
	default:
		return cfg, nil, nil, optErr(fLogFormat, "want text or json, got %q", f)
	}
	cfg.Log = sink
	return cfg, slog.New(h), sink, nil
}
