package metrics

import (
	"io"
	"math"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/signals"
)

// WriteTo writes every metric to w in the text exposition format 0.0.4
// ([ContentType]) and returns the bytes written and w's error. The status
// server calls it for each `GET /metrics`; it copies the counts under the
// lock, so it holds the loop up only for that copy, and writes the output
// with one call to w.Write. m must not be nil.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	m.mu.Lock()
	s := m.s
	m.mu.Unlock()
	for sig := range s.forwarded { // and those the signal handler forwarded itself
		s.forwarded[sig] += signals.Directed(unix.Signal(sig))
	}

	b := make([]byte, 0, 4096)
	b = appendHeader(b, "tend_build_info", "gauge", "Version of tend and the Go it was built with; always 1.")
	b = append(b, m.buildInfo...)

	b = appendHeader(b, "tend_child_up", "gauge", "Whether the main child is running (1) or not (0).")
	up := uint64(0)
	if s.up {
		up = 1
	}
	b = appendUint(b, "tend_child_up", up)

	b = appendHeader(b, "tend_child_start_time_seconds", "gauge", "Unix time the main child last started, 0 before the first start.")
	b = append(b, "tend_child_start_time_seconds "...)
	if s.startTime.IsZero() {
		b = append(b, '0')
	} else {
		// Seconds and fraction apart: UnixNano()/1e9 rounds 0.25 s to 0.2499998.
		b = appendFloat(b, float64(s.startTime.Unix())+float64(s.startTime.Nanosecond())/1e9)
	}
	b = append(b, '\n')

	b = appendHeader(b, "tend_child_starts_total", "counter", "Starts of the main child, the first one included.")
	b = appendUint(b, "tend_child_starts_total", s.starts)

	b = appendHeader(b, "tend_restarts_total", "counter", "Restarts of the main child.")
	b = appendUint(b, "tend_restarts_total", s.restarts)

	b = appendHeader(b, "tend_child_exits_total", "counter", "Exits of the main child by exit status (128+N on signal N).")
	for status, n := range s.exits {
		if n == 0 {
			continue
		}
		b = append(b, `tend_child_exits_total{status="`...)
		b = strconv.AppendInt(b, int64(status), 10)
		b = append(b, `"} `...)
		b = strconv.AppendUint(b, n, 10)
		b = append(b, '\n')
	}

	b = appendHeader(b, "tend_child_oom_kills_total", "counter", "Exits of the main child caused by the kernel's OOM killer.")
	b = appendUint(b, "tend_child_oom_kills_total", s.oomKills)

	b = appendHeader(b, "tend_zombies_reaped_total", "counter", "Processes reaped: the main child, orphans and probes.")
	b = appendUint(b, "tend_zombies_reaped_total", s.reaped)

	b = appendHeader(b, "tend_signals_forwarded_total", "counter", "Signals forwarded to the main child, by name.")
	for sig, n := range s.forwarded {
		if n == 0 {
			continue
		}
		b = append(b, "tend_signals_forwarded_total{signal="...)
		b = appendLabelValue(b, signals.Name(unix.Signal(sig)))
		b = append(b, "} "...)
		b = strconv.AppendUint(b, n, 10)
		b = append(b, '\n')
	}

	b = appendHeader(b, "tend_probes_total", "counter", "Health probes by kind and result.")
	for k, kind := range kinds {
		h := &s.durations[k]
		if h.count() == 0 {
			continue
		}
		for r, result := range [...]string{"ok", "failed"} {
			b = append(b, `tend_probes_total{kind="`...)
			b = append(b, kind...)
			b = append(b, `",result="`...)
			b = append(b, result...)
			b = append(b, `"} `...)
			b = strconv.AppendUint(b, s.probes[k][r], 10)
			b = append(b, '\n')
		}
	}

	b = appendHeader(b, "tend_probe_duration_seconds", "histogram", "Durations of health probes by kind.")
	for k, kind := range kinds {
		h := &s.durations[k]
		if h.count() == 0 {
			continue
		}
		var cum uint64
		for i := range buckets {
			cum += h.counts[i]
			b = appendBucket(b, kind, les[i], cum)
		}
		cum += h.counts[len(buckets)]
		b = appendBucket(b, kind, []byte("+Inf"), cum)
		b = append(b, `tend_probe_duration_seconds_sum{kind="`...)
		b = append(b, kind...)
		b = append(b, `"} `...)
		b = appendFloat(b, h.sum.Seconds())
		b = append(b, '\n')
		b = append(b, `tend_probe_duration_seconds_count{kind="`...)
		b = append(b, kind...)
		b = append(b, `"} `...)
		b = strconv.AppendUint(b, cum, 10)
		b = append(b, '\n')
	}

	n, err := w.Write(b)
	return int64(n), err
}

// les are the le label values of buckets, formatted once.
var les = func() (s [len(buckets)][]byte) {
	for i, le := range buckets {
		s[i] = appendFloat(nil, le.Seconds())
	}
	return s
}()

// count returns the number of durations h holds.
func (h *histogram) count() uint64 {
	var n uint64
	for _, c := range h.counts {
		n += c
	}
	return n
}

// appendHeader appends the HELP and TYPE lines of a metric family; help
// holds no backslash or newline, so it needs no escaping.
func appendHeader(b []byte, name, typ, help string) []byte {
	b = append(b, "# HELP "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, help...)
	b = append(b, "\n# TYPE "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, typ...)
	return append(b, '\n')
}

// appendUint appends a sample line without labels.
func appendUint(b []byte, name string, v uint64) []byte {
	b = append(b, name...)
	b = append(b, ' ')
	b = strconv.AppendUint(b, v, 10)
	return append(b, '\n')
}

// appendBucket appends one cumulative bucket line of a probe kind.
func appendBucket(b []byte, kind string, le []byte, cum uint64) []byte {
	b = append(b, `tend_probe_duration_seconds_bucket{kind="`...)
	b = append(b, kind...)
	b = append(b, `",le="`...)
	b = append(b, le...)
	b = append(b, `"} `...)
	b = strconv.AppendUint(b, cum, 10)
	return append(b, '\n')
}

// appendFloat formats v as Prometheus' own client does: the shortest 'g'
// form that reads back as v, and +Inf, -Inf, NaN for the special values.
func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case math.IsNaN(v):
		return append(b, "NaN"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendLabelValue appends s as a quoted label value, escaping backslash,
// double quote and newline as the text format requires (and nothing else:
// it is not Go quoting).
func appendLabelValue(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
