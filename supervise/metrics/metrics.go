package metrics

import (
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tend-init/tend/signals"
)

// ContentType is the Content-Type of what [Metrics.WriteTo] writes: the
// Prometheus text exposition format, version 0.0.4.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Probe kinds and results, as the label values of tend_probes_total and
// tend_probe_duration_seconds.
const (
	KindCmd  = "cmd"
	KindHTTP = "http"
	KindTCP  = "tcp"
)

// kinds are the probe kinds in output order; their index is the kind's slot.
var kinds = [...]string{KindCmd, KindHTTP, KindTCP}

// buckets are the upper bounds of tend_probe_duration_seconds: probes time
// out after seconds, and a healthy local probe takes a few milliseconds.
var buckets = [...]time.Duration{
	1 * time.Millisecond,
	2500 * time.Microsecond,
	5 * time.Millisecond,
	10 * time.Millisecond,
	25 * time.Millisecond,
	50 * time.Millisecond,
	100 * time.Millisecond,
	250 * time.Millisecond,
	500 * time.Millisecond,
	1 * time.Second,
	2500 * time.Millisecond,
	5 * time.Second,
	10 * time.Second,
}

// histogram holds one probe kind's durations; bucket i counts durations in
// (buckets[i-1], buckets[i]], and the last slot counts those above 10s.
type histogram struct {
	counts [len(buckets) + 1]uint64
	sum    time.Duration
}

// state is everything [Metrics] records; [Metrics.WriteTo] copies it under
// the lock and formats the copy without holding it.
type state struct {
	up        bool
	startTime time.Time
	starts    uint64
	restarts  uint64
	reaped    uint64
	exits     [256]uint64
	oomKills  uint64
	forwarded [signals.Max + 1]uint64
	probes    [len(kinds)][2]uint64 // [kind][0 ok, 1 failed]
	durations [len(kinds)]histogram
}

// Metrics records the event loop's events for `GET /metrics`. Its methods
// are safe for one recording goroutine and concurrent calls of
// [Metrics.WriteTo]; on a nil *Metrics they do nothing.
type Metrics struct {
	buildInfo []byte // the tend_build_info sample line, fixed at New

	mu sync.Mutex
	s  state
}

// New returns a Metrics with nothing counted whose tend_build_info carries
// version and commit (as the binary was stamped) and the Go version it was
// built with.
func New(version, commit string) *Metrics {
	var b []byte
	b = append(b, "tend_build_info{version="...)
	b = appendLabelValue(b, version)
	b = append(b, ",commit="...)
	b = appendLabelValue(b, commit)
	b = append(b, ",goversion="...)
	b = appendLabelValue(b, runtime.Version())
	b = append(b, "} 1\n"...)
	return &Metrics{buildInfo: b}
}

// ChildStarted records that the main child started at t: it counts a start,
// sets tend_child_up to 1 and tend_child_start_time_seconds to t. The loop
// calls it once the child runs, for the first start and every restart.
func (m *Metrics) ChildStarted(t time.Time) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.s.starts++
	m.s.up = true
	m.s.startTime = t
	m.mu.Unlock()
}

// Restarted counts a restart of the main child; the loop calls it when it
// decides to start the child again, besides [Metrics.ChildStarted] when the
// new child runs.
func (m *Metrics) Restarted() {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.s.restarts++
	m.mu.Unlock()
}

// ChildExited records that the main child exited with status (0..255,
// 128+N on signal N) and sets tend_child_up to 0. A status outside 0..255
// sets the gauge but is not counted, which bounds the label values.
func (m *Metrics) ChildExited(status int) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.s.up = false
	if status >= 0 && status < len(m.s.exits) {
		m.s.exits[status]++
	}
	m.mu.Unlock()
}

// ChildOOMKilled counts an exit of the main child that the kernel's OOM
// killer caused; the loop calls it besides [Metrics.ChildExited] (status
// 137) when the memory cgroup's OOM-kill counter grew during the run.
func (m *Metrics) ChildOOMKilled() {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.s.oomKills++
	m.mu.Unlock()
}

// SetUp sets tend_child_up. [Metrics.ChildStarted] and [Metrics.ChildExited]
// already set it; SetUp is for the loop's other views of "up", such as a
// child that failed to start.
func (m *Metrics) SetUp(up bool) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.s.up = up
	m.mu.Unlock()
}

// Reaped counts n processes collected by one [reaper.Reap]: the main child,
// orphans and probes alike. n <= 0 counts nothing.
//
// [reaper.Reap]: https://pkg.go.dev/github.com/tend-init/tend/reaper#Reap
func (m *Metrics) Reaped(n int) {
	if m == nil || n <= 0 {
		return
	}
	m.mu.Lock()
	m.s.reaped += uint64(n)
	m.mu.Unlock()
}

// Forwarded counts one signal forwarded to the child, labelled with the
// name [signals.Name] gives it ("SIGTERM", "SIGRTMIN+3"). It takes the
// number, not the name, so that the loop builds no string per signal;
// numbers outside 1..[signals.Max] are not counted.
func (m *Metrics) Forwarded(sig unix.Signal) {
	if m == nil || sig < 1 || sig > signals.Max {
		return
	}
	m.mu.Lock()
	m.s.forwarded[sig]++
	m.mu.Unlock()
}

// Probe records one health probe of kind ([KindCmd], [KindHTTP] or
// [KindTCP]) that passed (ok) or failed after d. Other kinds are not
// counted; a negative d counts as 0.
func (m *Metrics) Probe(kind string, ok bool, d time.Duration) {
	if m == nil {
		return
	}
	k := kindIndex(kind)
	if k < 0 {
		return
	}
	d = max(d, 0)
	i := 0
	for i < len(buckets) && d > buckets[i] {
		i++
	}
	r := 0
	if !ok {
		r = 1
	}
	m.mu.Lock()
	m.s.probes[k][r]++
	h := &m.s.durations[k]
	h.counts[i]++
	h.sum += d
	m.mu.Unlock()
}

// kindIndex returns the slot of a probe kind, or -1.
func kindIndex(kind string) int {
	for i, k := range kinds {
		if k == kind {
			return i
		}
	}
	return -1
}
