package metrics

import (
	"errors"
	"io"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// header is the output's fixed start for New("v1.2.3", "abc123").
var header = `# HELP tend_build_info Version of tend and the Go it was built with; always 1.
# TYPE tend_build_info gauge
tend_build_info{version="v1.2.3",commit="abc123",goversion="` + runtime.Version() + `"} 1
`

func TestWriteTo(t *testing.T) {
	start := time.Unix(1764700000, 250000000)
	tests := []struct {
		name   string
		script func(m *Metrics)
		want   string
	}{
		{
			name:   "nothing recorded",
			script: func(*Metrics) {},
			want: header + `# HELP tend_child_up Whether the main child is running (1) or not (0).
# TYPE tend_child_up gauge
tend_child_up 0
# HELP tend_child_start_time_seconds Unix time the main child last started, 0 before the first start.
# TYPE tend_child_start_time_seconds gauge
tend_child_start_time_seconds 0
# HELP tend_child_starts_total Starts of the main child, the first one included.
# TYPE tend_child_starts_total counter
tend_child_starts_total 0
# HELP tend_restarts_total Restarts of the main child.
# TYPE tend_restarts_total counter
tend_restarts_total 0
# HELP tend_child_exits_total Exits of the main child by exit status (128+N on signal N).
# TYPE tend_child_exits_total counter
# HELP tend_child_oom_kills_total Exits of the main child caused by the kernel's OOM killer.
# TYPE tend_child_oom_kills_total counter
tend_child_oom_kills_total 0
# HELP tend_zombies_reaped_total Processes reaped: the main child, orphans and probes.
# TYPE tend_zombies_reaped_total counter
tend_zombies_reaped_total 0
# HELP tend_signals_forwarded_total Signals forwarded to the main child, by name.
# TYPE tend_signals_forwarded_total counter
# HELP tend_probes_total Health probes by kind and result.
# TYPE tend_probes_total counter
# HELP tend_probe_duration_seconds Durations of health probes by kind.
# TYPE tend_probe_duration_seconds histogram
`,
		},
		{
			name: "start, probes, signals, exit, restart",
			script: func(m *Metrics) {
				m.ChildStarted(start.Add(-time.Minute))
				m.Probe(KindHTTP, true, 3*time.Millisecond)
				m.Probe(KindHTTP, true, time.Millisecond) // on a bound: le is inclusive
				m.Probe(KindHTTP, false, 12*time.Second)  // above every bound
				m.Forwarded(syscall.SIGTERM)
				m.Forwarded(37)
				m.Forwarded(syscall.SIGTERM)
				m.Forwarded(65) // not a signal number: not counted
				m.Reaped(3)
				m.ChildExited(143)
				m.Restarted()
				m.ChildStarted(start)
				m.Reaped(1)
				m.Reaped(0)
				m.ChildExited(0)
				m.ChildExited(137)
				m.ChildOOMKilled()
				m.ChildExited(256) // out of range: not counted
				m.ChildExited(-1)
				m.Probe("grpc", true, time.Millisecond) // unknown kind: not counted
				m.SetUp(true)
			},
			want: header + `# HELP tend_child_up Whether the main child is running (1) or not (0).
# TYPE tend_child_up gauge
tend_child_up 1
# HELP tend_child_start_time_seconds Unix time the main child last started, 0 before the first start.
# TYPE tend_child_start_time_seconds gauge
tend_child_start_time_seconds 1.76470000025e+09
# HELP tend_child_starts_total Starts of the main child, the first one included.
# TYPE tend_child_starts_total counter
tend_child_starts_total 2
# HELP tend_restarts_total Restarts of the main child.
# TYPE tend_restarts_total counter
tend_restarts_total 1
# HELP tend_child_exits_total Exits of the main child by exit status (128+N on signal N).
# TYPE tend_child_exits_total counter
tend_child_exits_total{status="0"} 1
tend_child_exits_total{status="137"} 1
tend_child_exits_total{status="143"} 1
# HELP tend_child_oom_kills_total Exits of the main child caused by the kernel's OOM killer.
# TYPE tend_child_oom_kills_total counter
tend_child_oom_kills_total 1
# HELP tend_zombies_reaped_total Processes reaped: the main child, orphans and probes.
# TYPE tend_zombies_reaped_total counter
tend_zombies_reaped_total 4
# HELP tend_signals_forwarded_total Signals forwarded to the main child, by name.
# TYPE tend_signals_forwarded_total counter
tend_signals_forwarded_total{signal="SIGTERM"} 2
tend_signals_forwarded_total{signal="SIGRTMIN+3"} 1
# HELP tend_probes_total Health probes by kind and result.
# TYPE tend_probes_total counter
tend_probes_total{kind="http",result="ok"} 2
tend_probes_total{kind="http",result="failed"} 1
# HELP tend_probe_duration_seconds Durations of health probes by kind.
# TYPE tend_probe_duration_seconds histogram
tend_probe_duration_seconds_bucket{kind="http",le="0.001"} 1
tend_probe_duration_seconds_bucket{kind="http",le="0.0025"} 1
tend_probe_duration_seconds_bucket{kind="http",le="0.005"} 2
tend_probe_duration_seconds_bucket{kind="http",le="0.01"} 2
tend_probe_duration_seconds_bucket{kind="http",le="0.025"} 2
tend_probe_duration_seconds_bucket{kind="http",le="0.05"} 2
tend_probe_duration_seconds_bucket{kind="http",le="0.1"} 2
tend_probe_duration_seconds_bucket{kind="http",le="0.25"} 2
tend_probe_duration_seconds_bucket{kind="http",le="0.5"} 2
tend_probe_duration_seconds_bucket{kind="http",le="1"} 2
tend_probe_duration_seconds_bucket{kind="http",le="2.5"} 2
tend_probe_duration_seconds_bucket{kind="http",le="5"} 2
tend_probe_duration_seconds_bucket{kind="http",le="10"} 2
tend_probe_duration_seconds_bucket{kind="http",le="+Inf"} 3
tend_probe_duration_seconds_sum{kind="http"} 12.004
tend_probe_duration_seconds_count{kind="http"} 3
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New("v1.2.3", "abc123")
			tt.script(m)
			var sb strings.Builder
			n, err := m.WriteTo(&sb)
			got := sb.String()
			if err != nil || n != int64(len(got)) {
				t.Fatalf("WriteTo() = %d, %v; want %d, <nil>", n, err, len(got))
			}
			if got != tt.want {
				t.Errorf("WriteTo() wrote:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestWriteToProbeKinds(t *testing.T) {
	m := New("v1.2.3", "abc123")
	m.Probe(KindTCP, false, 20*time.Millisecond)
	m.Probe(KindCmd, true, -time.Second) // a clock step back counts as 0
	var sb strings.Builder
	if _, err := m.WriteTo(&sb); err != nil {
		t.Fatal(err)
	}
	got := sb.String()
	tests := []struct {
		name string
		want string // lines that must follow one another
	}{
		{"probes", `tend_probes_total{kind="cmd",result="ok"} 1
tend_probes_total{kind="cmd",result="failed"} 0
tend_probes_total{kind="tcp",result="ok"} 0
tend_probes_total{kind="tcp",result="failed"} 1
`},
		{"cmd histogram", `tend_probe_duration_seconds_bucket{kind="cmd",le="0.001"} 1
`},
		{"cmd sum and count", `tend_probe_duration_seconds_sum{kind="cmd"} 0
tend_probe_duration_seconds_count{kind="cmd"} 1
tend_probe_duration_seconds_bucket{kind="tcp",le="0.001"} 0
`},
		{"tcp bucket edge", `tend_probe_duration_seconds_bucket{kind="tcp",le="0.01"} 0
tend_probe_duration_seconds_bucket{kind="tcp",le="0.025"} 1
`},
		{"tcp sum and count", `tend_probe_duration_seconds_sum{kind="tcp"} 0.02
tend_probe_duration_seconds_count{kind="tcp"} 1
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(got, tt.want) {
				t.Errorf("WriteTo() wrote:\n%s\nwant it to contain:\n%s", got, tt.want)
			}
		})
	}
	if strings.Contains(got, `kind="http"`) {
		t.Errorf("WriteTo() wrote http series with no http probe:\n%s", got)
	}
}

func TestAppendLabelValue(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", `""`},
		{"v1.2.3", `"v1.2.3"`},
		{`a\b`, `"a\\b"`},
		{`say "hi"`, `"say \"hi\""`},
		{"two\nlines", `"two\nlines"`},
		{"tab\tand é", "\"tab\tand é\""}, // only \ " and newline are escaped
	}
	for _, tt := range tests {
		if got := string(appendLabelValue(nil, tt.in)); got != tt.want {
			t.Errorf("appendLabelValue(%q) = %s; want %s", tt.in, got, tt.want)
		}
	}
}

func TestAppendFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{1, "1"},
		{0.0025, "0.0025"},
		{12.004, "12.004"},
		{1e6, "1e+06"},
		{1764700000.25, "1.76470000025e+09"},
		{math.Inf(1), "+Inf"},
		{math.Inf(-1), "-Inf"},
		{math.NaN(), "NaN"},
	}
	for _, tt := range tests {
		if got := string(appendFloat(nil, tt.in)); got != tt.want {
			t.Errorf("appendFloat(%v) = %s; want %s", tt.in, got, tt.want)
		}
	}
}

func TestBuildInfoEscaped(t *testing.T) {
	m := New("v1\"x", "a\\b\nc")
	var sb strings.Builder
	if _, err := m.WriteTo(&sb); err != nil {
		t.Fatal(err)
	}
	want := `tend_build_info{version="v1\"x",commit="a\\b\nc",goversion="` + runtime.Version() + `"} 1` + "\n"
	if !strings.Contains(sb.String(), want) {
		t.Errorf("WriteTo() wrote:\n%s\nwant the line %q", sb.String(), want)
	}
}

// TestNil checks that a nil *Metrics records nothing and does not panic, so
// the loop can call it when --status-addr is off.
func TestNil(t *testing.T) {
	var m *Metrics
	m.ChildStarted(time.Now())
	m.ChildExited(0)
	m.ChildOOMKilled()
	m.Restarted()
	m.Reaped(1)
	m.Forwarded(syscall.SIGTERM)
	m.Probe(KindCmd, true, time.Millisecond)
	m.SetUp(true)
}

// TestRecordDoesNotAllocate checks that the loop's calls stay cheap.
func TestRecordDoesNotAllocate(t *testing.T) {
	m := New("v", "c")
	now := time.Now()
	tests := []struct {
		name string
		f    func()
	}{
		{"ChildStarted", func() { m.ChildStarted(now) }},
		{"ChildExited", func() { m.ChildExited(137) }},
		{"Restarted", m.Restarted},
		{"Reaped", func() { m.Reaped(2) }},
		{"Forwarded", func() { m.Forwarded(64) }},
		{"Probe", func() { m.Probe(KindTCP, false, 7*time.Second) }},
		{"SetUp", func() { m.SetUp(false) }},
	}
	for _, tt := range tests {
		if n := testing.AllocsPerRun(100, tt.f); n != 0 {
			t.Errorf("%s allocates %v times per call; want 0", tt.name, n)
		}
	}
}

// TestConcurrentWrite runs the writer and readers at once (for -race) and
// checks that each scrape is consistent: a histogram's +Inf bucket equals its
// count and the sum of its kind's probes.
func TestConcurrentWrite(t *testing.T) {
	m := New("v", "c")
	const probes = 2000
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range probes {
			m.Probe(KindCmd, i%3 != 0, time.Duration(i)*time.Millisecond)
			m.Reaped(1)
		}
	})
	for range 2 {
		wg.Go(func() {
			for range 50 {
				var sb strings.Builder
				if _, err := m.WriteTo(&sb); err != nil {
					t.Error(err)
					return
				}
				out := sb.String()
				if !strings.Contains(out, `kind="cmd"`) {
					continue
				}
				inf := value(out, `tend_probe_duration_seconds_bucket{kind="cmd",le="+Inf"} `)
				count := value(out, `tend_probe_duration_seconds_count{kind="cmd"} `)
				ok := value(out, `tend_probes_total{kind="cmd",result="ok"} `)
				failed := value(out, `tend_probes_total{kind="cmd",result="failed"} `)
				if inf != count || count != sumStrings(ok, failed) {
					t.Errorf("inconsistent scrape: +Inf %s, count %s, ok %s, failed %s", inf, count, ok, failed)
					return
				}
			}
		})
	}
	wg.Wait()
	var sb strings.Builder
	if _, err := m.WriteTo(&sb); err != nil {
		t.Fatal(err)
	}
	if got := value(sb.String(), "tend_zombies_reaped_total "); got != "2000" {
		t.Errorf("tend_zombies_reaped_total = %s; want 2000", got)
	}
}

// value returns the rest of the line that starts with prefix, or "".
func value(out, prefix string) string {
	i := strings.Index(out, "\n"+prefix)
	if i < 0 {
		return ""
	}
	rest := out[i+1+len(prefix):]
	if j := strings.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// sumStrings adds two decimal counts.
func sumStrings(a, b string) string {
	x, errX := strconv.Atoi(a)
	y, errY := strconv.Atoi(b)
	if errX != nil || errY != nil {
		return "not numbers: " + a + ", " + b
	}
	return strconv.Itoa(x + y)
}

var errWrite = errors.New("connection reset")

type failWriter struct{}

func (failWriter) Write(p []byte) (int, error) { return len(p) / 2, errWrite }

func TestWriteToError(t *testing.T) {
	m := New("v", "c")
	n, err := m.WriteTo(failWriter{})
	if !errors.Is(err, errWrite) || n <= 0 {
		t.Errorf("WriteTo(failing writer) = %d, %v; want a short count, %v", n, err, errWrite)
	}
}

// BenchmarkRecord measures what the loop pays per reap, forwarded signal
// and probe result.
func BenchmarkRecord(b *testing.B) {
	m := New("v", "c")
	for b.Loop() {
		m.Reaped(1)
		m.Forwarded(syscall.SIGTERM)
		m.Probe(KindHTTP, true, 3*time.Millisecond)
	}
}

// BenchmarkWriteTo measures one scrape with every family populated.
func BenchmarkWriteTo(b *testing.B) {
	m := New("v", "c")
	m.ChildStarted(time.Now())
	m.ChildExited(0)
	m.Forwarded(syscall.SIGTERM)
	for _, k := range []string{KindCmd, KindHTTP, KindTCP} {
		m.Probe(k, true, time.Millisecond)
	}
	for b.Loop() {
		if _, err := m.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
