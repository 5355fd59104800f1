package notify

import (
	"bytes"
	"strings"
)

// maxStatus bounds the STATUS= text kept from one message, in bytes.
const maxStatus = 1024

// Message is what one datagram of the notify protocol says. Only the
// assignments tend acts on are kept; every other one is counted in
// Ignored.
type Message struct {
	Ready    bool // READY=1
	Stopping bool // STOPPING=1
	// HasStatus says STATUS= was given; Status is its text (possibly
	// empty, which clears the status), cut at 1 KiB.
	HasStatus bool
	Status    string
	Watchdog  bool // WATCHDOG=1: a keep-alive ping
	Trigger   bool // WATCHDOG=trigger: fail the watchdog now
	// MainPID is the value of MAINPID=, "" when absent. tend ignores it:
	// the main child is the process tend started.
	MainPID string
	// Ignored are the keys of the other assignments (RELOADING, ERRNO,
	// FDSTORE, ...), in order.
	Ignored []string
}

// Parse reads one datagram: assignments KEY=VALUE separated by newlines
// (sd_notify(3)). Empty lines and lines without "=" are skipped; for a key
// given twice the last value wins. READY, STOPPING and WATCHDOG count only
// with the values systemd accepts ("1", and "trigger" for WATCHDOG);
// another value is ignored as an unknown assignment is.
func Parse(b []byte) Message {
	var m Message
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		k, v, ok := bytes.Cut(line, []byte{'='})
		if !ok || len(k) == 0 {
			continue
		}
		switch key, val := string(k), string(v); {
		case key == "READY" && val == "1":
			m.Ready = true
		case key == "STOPPING" && val == "1":
			m.Stopping = true
		case key == "WATCHDOG" && val == "1":
			m.Watchdog = true
		case key == "WATCHDOG" && val == "trigger":
			m.Trigger = true
		case key == "STATUS":
			m.HasStatus, m.Status = true, cut(val, maxStatus)
		case key == "MAINPID":
			m.MainPID = val
		default:
			m.Ignored = append(m.Ignored, key)
		}
	}
	return m
}

// cut shortens s to at most n bytes without splitting a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return strings.Clone(s[:n])
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
