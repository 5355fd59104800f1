package main

import (
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// queueSignals reports whether --queue-signals (or TEND_QUEUE_SIGNALS) is
// on. It is read before the command line is parsed, because it decides how
// tend sets up its signals, which must happen first thing in main (see
// signals.Start). It scans tend's own options the way the parser will,
// stopping at "--" or the command; a malformed value reads as off here and
// is then reported by the parser as a usage error.
func queueSignals(args, environ []string) bool {
	on := false
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, envName(fQueueSignals)+"="); ok {
			on, _ = strconv.ParseBool(v)
		}
	}
	if len(args) < 2 || !strings.HasPrefix(args[1], "-") || args[1] == "--" {
		return on // the common start: no option at all
	}
	if v, ok := optionValue(args, fQueueSignals); ok {
		on = v == "" // a bare --queue-signals
		if !on {
			on, _ = strconv.ParseBool(v)
		}
	}
	return on
}

// optionValue returns the value of tend's option name as given on the
// command line (the last one wins), "" for a bare boolean, and whether it
// was given at all. It scans tend's own options the way the parser will,
// stopping at "--" or the command.
func optionValue(args []string, name string) (string, bool) {
	takesValue := map[string]bool{}
	for _, f := range flags() {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	value, found := "", false
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		n, v, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case !takesValue[n] && !hasValue:
			if n == name {
				value, found = "", true
			}
		case !hasValue:
			if i+1 < len(args) {
				v = args[i+1]
			}
			i++ // its value is the next word
			fallthrough
		default:
			if n == name {
				value, found = v, true
			}
		}
	}
	return value, found
}
