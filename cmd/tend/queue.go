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
	takesValue := map[string]bool{}
	for _, f := range flags() {
		_, isBool := f.(*cli.BoolFlag)
		for _, name := range f.Names() {
			takesValue[name] = !isBool
		}
	}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case name == fQueueSignals && hasValue:
			on, _ = strconv.ParseBool(value)
		case name == fQueueSignals:
			on = true
		case takesValue[name] && !hasValue:
			i++ // its value is the next word
		}
	}
	return on
}
