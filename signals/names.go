package signals

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// rtMin is the first real-time signal as the C libraries name it (glibc's
// SIGRTMIN is 34, as `kill -l` shows); rtMax is the last one the kernel has.
const (
	rtMin = 34
	rtMax = 64
)

// names maps the standard signals 1..31 to their names without the SIG prefix.
var names = [...]string{
	unix.SIGHUP:    "HUP",
	unix.SIGINT:    "INT",
	unix.SIGQUIT:   "QUIT",
	unix.SIGILL:    "ILL",
	unix.SIGTRAP:   "TRAP",
	unix.SIGABRT:   "ABRT",
	unix.SIGBUS:    "BUS",
	unix.SIGFPE:    "FPE",
	unix.SIGKILL:   "KILL",
	unix.SIGUSR1:   "USR1",
	unix.SIGSEGV:   "SEGV",
	unix.SIGUSR2:   "USR2",
	unix.SIGPIPE:   "PIPE",
	unix.SIGALRM:   "ALRM",
	unix.SIGTERM:   "TERM",
	unix.SIGSTKFLT: "STKFLT",
	unix.SIGCHLD:   "CHLD",
	unix.SIGCONT:   "CONT",
	unix.SIGSTOP:   "STOP",
	unix.SIGTSTP:   "TSTP",
	unix.SIGTTIN:   "TTIN",
	unix.SIGTTOU:   "TTOU",
	unix.SIGURG:    "URG",
	unix.SIGXCPU:   "XCPU",
	unix.SIGXFSZ:   "XFSZ",
	unix.SIGVTALRM: "VTALRM",
	unix.SIGPROF:   "PROF",
	unix.SIGWINCH:  "WINCH",
	unix.SIGIO:     "IO",
	unix.SIGPWR:    "PWR",
	unix.SIGSYS:    "SYS",
}

// aliases are the other names the C libraries accept for standard signals.
var aliases = map[string]unix.Signal{
	"IOT":  unix.SIGABRT,
	"CLD":  unix.SIGCHLD,
	"POLL": unix.SIGIO,
}

// Max is the highest signal number on Linux.
const Max = rtMax

// Name returns the conventional name of sig: "SIGTERM", "SIGRTMIN+3",
// "SIGRTMAX", or "signal 33" for numbers that have no name.
func Name(sig unix.Signal) string {
	n := int(sig)
	switch {
	case n > 0 && n < len(names) && names[n] != "":
		return "SIG" + names[n]
	case n == rtMin:
		return "SIGRTMIN"
	case n == rtMax:
		return "SIGRTMAX"
	case n > rtMin && n < rtMax:
		return "SIGRTMIN+" + strconv.Itoa(n-rtMin)
	}
	return "signal " + strconv.Itoa(n)
}

// Parse reads a signal given by name or number: "TERM", "sigterm", "SIGTERM",
// "15", "RTMIN+3", "SIGRTMAX-2". Names are case-insensitive and the SIG
// prefix is optional. Numbers run from 1 to [Max].
func Parse(s string) (unix.Signal, error) {
	if s == "" {
		return 0, fmt.Errorf("invalid signal %q: empty", s)
	}
	if s[0] >= '0' && s[0] <= '9' {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > Max {
			return 0, fmt.Errorf("invalid signal %q: numbers run from 1 to %d", s, Max)
		}
		return unix.Signal(n), nil
	}
	up := strings.Map(asciiUpper, s) // not ToUpper: it maps "ſ" (U+017F) to "S"
	up = strings.TrimPrefix(up, "SIG")
	for n, name := range names {
		if name != "" && name == up {
			return unix.Signal(n), nil
		}
	}
	if sig, ok := aliases[up]; ok {
		return sig, nil
	}
	if sig, ok := parseRealtime(up); ok {
		return sig, nil
	}
	return 0, fmt.Errorf("invalid signal %q: unknown name", s)
}

// asciiUpper upper-cases ASCII letters only, so that no other script's
// letter can spell a signal name.
func asciiUpper(r rune) rune {
	if r >= 'a' && r <= 'z' {
		return r - 'a' + 'A'
	}
	return r
}

// parseRealtime reads RTMIN, RTMIN+n, RTMAX and RTMAX-n (prefix already
// removed, upper case).
func parseRealtime(s string) (unix.Signal, bool) {
	base, rest, sign := 0, "", 0
	switch {
	case strings.HasPrefix(s, "RTMIN"):
		base, rest, sign = rtMin, s[len("RTMIN"):], 1
	case strings.HasPrefix(s, "RTMAX"):
		base, rest, sign = rtMax, s[len("RTMAX"):], -1
	default:
		return 0, false
	}
	if rest == "" {
		return unix.Signal(base), true
	}
	if (sign > 0 && rest[0] != '+') || (sign < 0 && rest[0] != '-') || len(rest) < 2 {
		return 0, false
	}
	for _, c := range rest[1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	off, err := strconv.Atoi(rest[1:])
	if err != nil || off > rtMax-rtMin {
		return 0, false
	}
	return unix.Signal(base + sign*off), true
}

// Catchable reports whether a process can install a handler for sig: every
// signal from 1 to [Max] but SIGKILL and SIGSTOP.
func Catchable(sig unix.Signal) bool {
	return sig >= 1 && sig <= Max && sig != unix.SIGKILL && sig != unix.SIGSTOP
}

// Forwardable reports whether tend passes sig on when it receives it: every
// catchable signal but SIGCHLD (tend's own), SIGURG and SIGPROF (the Go
// runtime's), and 32 to 34 (reserved by the C libraries; see the package
// documentation).
func Forwardable(sig unix.Signal) bool {
	switch {
	case !Catchable(sig):
		return false
	case sig == unix.SIGCHLD, sig == unix.SIGURG, sig == unix.SIGPROF:
		return false
	case sig >= 32 && sig <= 34:
		return false
	}
	return true
}
