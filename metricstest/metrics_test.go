package metricstest

import (
	"bytes"
	"math"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tend-init/tend/supervise/metrics"
)

// A commit with every character the text format escapes in a label value.
const (
	version = "v1.4.0"
	commit  = "0123abc\"\\\n"
)

var (
	start1 = time.Unix(1764700000, 0)
	start2 = time.Unix(1764700060, 500000000)
)

// scripted is a run as the event loop would record it: a start, probes,
// forwarded signals, an exit on SIGTERM, a restart, more probes, orphans.
func scripted() *metrics.Metrics {
	m := metrics.New(version, commit)
	m.ChildStarted(start1)
	m.Probe(metrics.KindCmd, true, 4*time.Millisecond)
	m.Probe(metrics.KindCmd, false, 30*time.Millisecond)
	m.Probe(metrics.KindTCP, true, 800*time.Microsecond)
	m.Forwarded(syscall.SIGHUP)
	m.Forwarded(syscall.SIGTERM)
	m.Reaped(2) // an orphan and the child
	m.ChildExited(143)
	m.Restarted()
	m.ChildStarted(start2)
	m.Probe(metrics.KindCmd, true, 11*time.Second) // above every bucket
	m.Forwarded(syscall.SIGTERM)
	m.Reaped(1)
	return m
}

type sample struct {
	labels map[string]string
	value  float64
}

type histogram struct {
	labels  map[string]string
	buckets map[float64]uint64 // upper bound: cumulative count
	sum     float64
	count   uint64
}

// families is what scripted() must expose, in the order WriteTo writes it.
var families = []struct {
	name       string
	typ        dto.MetricType
	samples    []sample
	histograms []histogram
}{
	{"tend_build_info", dto.MetricType_GAUGE, []sample{
		{map[string]string{"version": version, "commit": commit, "goversion": runtime.Version()}, 1},
	}, nil},
	{"tend_child_up", dto.MetricType_GAUGE, []sample{{nil, 1}}, nil},
	{"tend_child_start_time_seconds", dto.MetricType_GAUGE, []sample{{nil, 1764700060.5}}, nil},
	{"tend_child_starts_total", dto.MetricType_COUNTER, []sample{{nil, 2}}, nil},
	{"tend_restarts_total", dto.MetricType_COUNTER, []sample{{nil, 1}}, nil},
	{"tend_child_exits_total", dto.MetricType_COUNTER, []sample{
		{map[string]string{"status": "143"}, 1},
	}, nil},
	{"tend_child_oom_kills_total", dto.MetricType_COUNTER, []sample{{nil, 0}}, nil},
	{"tend_zombies_reaped_total", dto.MetricType_COUNTER, []sample{{nil, 3}}, nil},
	{"tend_signals_forwarded_total", dto.MetricType_COUNTER, []sample{
		{map[string]string{"signal": "SIGHUP"}, 1},
		{map[string]string{"signal": "SIGTERM"}, 2},
	}, nil},
	{"tend_probes_total", dto.MetricType_COUNTER, []sample{
		{map[string]string{"kind": "cmd", "result": "ok"}, 2},
		{map[string]string{"kind": "cmd", "result": "failed"}, 1},
		{map[string]string{"kind": "tcp", "result": "ok"}, 1},
		{map[string]string{"kind": "tcp", "result": "failed"}, 0},
	}, nil},
	{"tend_probe_duration_seconds", dto.MetricType_HISTOGRAM, nil, []histogram{
		{map[string]string{"kind": "cmd"}, cumulative(0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3), 11.034, 3},
		{map[string]string{"kind": "tcp"}, cumulative(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), 0.0008, 1},
	}},
}

// bounds are the histogram's upper bounds, +Inf last.
var bounds = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, math.Inf(1)}

func cumulative(counts ...uint64) map[float64]uint64 {
	m := make(map[float64]uint64, len(counts))
	for i, c := range counts {
		m[bounds[i]] = c
	}
	return m
}

// parse writes m and parses the output as a Prometheus server would, with
// the legacy name rules that every version of Prometheus accepts.
func parse(t *testing.T, m *metrics.Metrics) ([]byte, map[string]*dto.MetricFamily) {
	t.Helper()
	var buf bytes.Buffer
	n, err := m.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo() = %d, %v; want %d, <nil>", n, err, buf.Len())
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	got, err := p.TextToMetricFamilies(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("TextToMetricFamilies: %v\n%s", err, buf.Bytes())
	}
	return buf.Bytes(), got
}

func labels(m *dto.Metric) map[string]string {
	l := make(map[string]string)
	for _, lp := range m.GetLabel() {
		if _, dup := l[lp.GetName()]; dup {
			l[lp.GetName()] = "DUPLICATE " + lp.GetValue() // fails sameLabels
			continue
		}
		l[lp.GetName()] = lp.GetValue()
	}
	return l
}

func sameLabels(got, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			return false
		}
	}
	return true
}

func TestParsedByExpfmt(t *testing.T) {
	out, got := parse(t, scripted())
	var names []string
	for _, f := range families {
		names = append(names, f.name)
	}
	for name := range got {
		if !slices.Contains(names, name) {
			t.Errorf("unexpected metric family %s", name)
		}
	}
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			mf, ok := got[f.name]
			if !ok {
				t.Fatalf("family %s missing from:\n%s", f.name, out)
			}
			if mf.GetType() != f.typ {
				t.Errorf("type = %v; want %v", mf.GetType(), f.typ)
			}
			if mf.GetHelp() == "" {
				t.Errorf("no HELP text")
			}
			if n := len(f.samples) + len(f.histograms); len(mf.GetMetric()) != n {
				t.Fatalf("%d series; want %d:\n%s", len(mf.GetMetric()), n, out)
			}
			for i, m := range mf.GetMetric() {
				if f.typ == dto.MetricType_HISTOGRAM {
					checkHistogram(t, m, f.histograms[i])
					continue
				}
				want := f.samples[i]
				if l := labels(m); !sameLabels(l, want.labels) {
					t.Errorf("series %d labels = %v; want %v", i, l, want.labels)
				}
				var v float64
				switch f.typ {
				case dto.MetricType_COUNTER:
					v = m.GetCounter().GetValue()
				case dto.MetricType_GAUGE:
					v = m.GetGauge().GetValue()
				}
				if v != want.value {
					t.Errorf("series %d %v = %v; want %v", i, want.labels, v, want.value)
				}
			}
		})
	}
}

func checkHistogram(t *testing.T, m *dto.Metric, want histogram) {
	t.Helper()
	if l := labels(m); !sameLabels(l, want.labels) {
		t.Errorf("labels = %v; want %v", l, want.labels)
	}
	h := m.GetHistogram()
	if h.GetSampleCount() != want.count {
		t.Errorf("%v count = %d; want %d", want.labels, h.GetSampleCount(), want.count)
	}
	if math.Abs(h.GetSampleSum()-want.sum) > 1e-9 {
		t.Errorf("%v sum = %v; want %v", want.labels, h.GetSampleSum(), want.sum)
	}
	var gotBounds []float64
	for _, b := range h.GetBucket() {
		gotBounds = append(gotBounds, b.GetUpperBound())
		if c := b.GetCumulativeCount(); c != want.buckets[b.GetUpperBound()] {
			t.Errorf("%v bucket le=%v = %d; want %d", want.labels, b.GetUpperBound(), c, want.buckets[b.GetUpperBound()])
		}
	}
	if !slices.Equal(gotBounds, bounds) {
		t.Errorf("%v bucket bounds = %v; want %v", want.labels, gotBounds, bounds)
	}
}

// TestSameAsExpfmt checks the output byte for byte against what Prometheus'
// own encoder writes for the parsed families: HELP, TYPE, label quoting,
// float formatting and the histogram's series all as the client library
// would write them.
func TestSameAsExpfmt(t *testing.T) {
	out, got := parse(t, scripted())
	var want bytes.Buffer
	for _, f := range families {
		if _, err := expfmt.MetricFamilyToText(&want, got[f.name]); err != nil {
			t.Fatalf("MetricFamilyToText(%s): %v", f.name, err)
		}
	}
	if !bytes.Equal(out, want.Bytes()) {
		t.Errorf("WriteTo() wrote:\n%s\nexpfmt writes:\n%s", out, want.Bytes())
	}
}

// TestNothingRecorded checks a scrape before the child starts: it parses,
// the unlabelled series are 0, and labelled families have no series yet.
func TestNothingRecorded(t *testing.T) {
	out, got := parse(t, metrics.New(version, commit))
	tests := []struct {
		name string
		want float64
	}{
		{"tend_child_up", 0},
		{"tend_child_start_time_seconds", 0},
		{"tend_child_starts_total", 0},
		{"tend_restarts_total", 0},
		{"tend_child_oom_kills_total", 0},
		{"tend_zombies_reaped_total", 0},
		{"tend_build_info", 1},
	}
	for _, tt := range tests {
		mf, ok := got[tt.name]
		if !ok || len(mf.GetMetric()) != 1 {
			t.Errorf("%s: want one series in:\n%s", tt.name, out)
			continue
		}
		m := mf.GetMetric()[0]
		v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
		if v != tt.want {
			t.Errorf("%s = %v; want %v", tt.name, v, tt.want)
		}
	}
	for _, name := range []string{"tend_child_exits_total", "tend_signals_forwarded_total", "tend_probes_total", "tend_probe_duration_seconds"} {
		if _, ok := got[name]; ok {
			t.Errorf("%s has series before anything happened:\n%s", name, out)
		}
	}
	if len(got) != len(tests) {
		t.Errorf("%d families; want %d", len(got), len(tests))
	}
}

// TestEverySignalName checks that every signal name the loop may forward is
// a label value the parser reads back unchanged.
func TestEverySignalName(t *testing.T) {
	m := metrics.New(version, commit)
	var want []string
	for _, n := range append(seq(1, 31), seq(34, 64)...) {
		name := signalName(n)
		m.Forwarded(syscall.Signal(n))
		want = append(want, name)
	}
	_, got := parse(t, m)
	var names []string
	for _, s := range got["tend_signals_forwarded_total"].GetMetric() {
		names = append(names, labels(s)["signal"])
		if v := s.GetCounter().GetValue(); v != 1 {
			t.Errorf("%s = %v; want 1", labels(s)["signal"], v)
		}
	}
	if !slices.Equal(names, want) {
		t.Errorf("signals = %v; want %v", names, want)
	}
}

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

// signalName spells signal n as signals.Name does, written out here so that
// the test states the names a user sees rather than calling the code under
// test.
func signalName(n int) string {
	std := []string{1: "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"}
	switch {
	case n < len(std):
		return "SIG" + std[n]
	case n == 34:
		return "SIGRTMIN"
	case n == 64:
		return "SIGRTMAX"
	}
	return "SIGRTMIN+" + strconv.Itoa(n-34)
}
