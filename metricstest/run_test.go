//go:build linux

package metricstest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// orphans is how many orphans the first run of the scripted child leaves.
const orphans = 3

// script is the child tend supervises. Its first run leaves orphans (each
// `( true & )` is reparented to tend, which reaps it) and exits 3; tend
// restarts only once every one of them is reaped, so the counts are known.
// The second run records SIGUSR1 and says it is ready, and exits 0 on
// SIGTERM.
const script = `
d=$1
if [ ! -e "$d/ran" ]; then
	: > "$d/ran"
	i=0
	while [ $i -lt 3 ]; do ( true & ); i=$((i+1)); done
	exit 3
fi
trap 'echo usr1 >> "$d/usr1"' USR1
trap 'exit 0' TERM
: > "$d/ready"
while :; do sleep 1 & wait $!; done
`

// tendBin returns TEND_TEST_BIN, or builds tend from the parent module
// with the Makefile's tags.
func tendBin(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TEND_TEST_BIN"); p != "" {
		return p
	}
	out := filepath.Join(t.TempDir(), "tend")
	cmd := exec.Command("go", "build", "-tags", "urfave_cli_no_docs,urfave_cli_no_suggest", "-o", out, "./cmd/tend")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/tend: %v\n%s", err, b)
	}
	return out
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// poll calls f until it returns nil or the deadline passes.
func poll(t *testing.T, what string, deadline time.Time, f func() error) {
	t.Helper()
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func exists(p string) error {
	_, err := os.Stat(p)
	return err
}

func scrape(client *http.Client, addr string) (map[string]*dto.MetricFamily, []byte, error) {
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode != 200 {
		return nil, body, fmt.Errorf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		return nil, body, fmt.Errorf("Content-Type %q", ct)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, body, fmt.Errorf("parse: %v", err)
	}
	return fams, body, nil
}

// value returns the value of fam's sample with exactly the labels want.
func value(fam *dto.MetricFamily, want map[string]string) (float64, bool) {
	if fam == nil {
		return 0, false
	}
	for _, m := range fam.GetMetric() {
		if !sameLabels(labels(m), want) {
			continue
		}
		switch fam.GetType() {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue(), true
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

// TestScriptedRun runs tend with --status-addr over a child that leaves
// orphans, fails once, is restarted, takes a forwarded SIGUSR1 and is
// probed, and checks every metric GET /metrics reports.
func TestScriptedRun(t *testing.T) {
	bin := tendBin(t)
	vout, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("tend --version: %v", err)
	}
	// "tend version V - git.C - goX"
	parts := strings.Split(strings.TrimSpace(string(vout)), " - ")
	if len(parts) != 3 || !strings.HasPrefix(parts[0], "tend version ") || !strings.HasPrefix(parts[1], "git.") {
		t.Fatalf("tend --version printed %q", vout)
	}
	wantBuild := map[string]string{"version": strings.TrimPrefix(parts[0], "tend version "), "commit": strings.TrimPrefix(parts[1], "git."), "goversion": parts[2]}

	dir := t.TempDir()
	addr := freePort(t)
	began := time.Now()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--status-addr", addr, "--restart", "on-failure", "--max-restarts", "3", "--backoff-min", "10ms",
		"--health-cmd", "true", "--health-interval", "20ms", "--", "sh", "-c", script, "sh", dir)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	exited := false
	t.Cleanup(func() {
		if !exited {
			// SIGTERM first, so that tend stops the child's process group;
			// SIGKILL if it does not exit in time.
			_ = syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-waited:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
				<-waited
			}
		}
		if t.Failed() {
			t.Logf("tend's output:\n%s", logs.String())
		}
	})

	deadline := time.Now().Add(20 * time.Second)
	poll(t, "second run ready", deadline, func() error { return exists(filepath.Join(dir, "ready")) })
	if err := cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	poll(t, "SIGUSR1 handled", deadline, func() error { return exists(filepath.Join(dir, "usr1")) })

	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var fams map[string]*dto.MetricFamily
	var body []byte
	poll(t, "a passed probe on /metrics", deadline, func() error {
		var err error
		fams, body, err = scrape(client, addr)
		if err != nil {
			return err
		}
		if v, _ := value(fams["tend_probes_total"], map[string]string{"kind": "cmd", "result": "ok"}); v == 0 {
			return errors.New("no passed probe yet")
		}
		return nil
	})
	scraped := time.Now()
	t.Logf("GET /metrics:\n%s", body)

	types := map[string]dto.MetricType{
		"tend_build_info":               dto.MetricType_GAUGE,
		"tend_child_up":                 dto.MetricType_GAUGE,
		"tend_child_start_time_seconds": dto.MetricType_GAUGE,
		"tend_child_starts_total":       dto.MetricType_COUNTER,
		"tend_restarts_total":           dto.MetricType_COUNTER,
		"tend_child_exits_total":        dto.MetricType_COUNTER,
		"tend_child_oom_kills_total":    dto.MetricType_COUNTER,
		"tend_zombies_reaped_total":     dto.MetricType_COUNTER,
		"tend_signals_forwarded_total":  dto.MetricType_COUNTER,
		"tend_probes_total":             dto.MetricType_COUNTER,
		"tend_probe_duration_seconds":   dto.MetricType_HISTOGRAM,
	}
	for name, typ := range types {
		if fams[name] == nil {
			t.Errorf("%s missing", name)
		} else if got := fams[name].GetType(); got != typ {
			t.Errorf("%s has type %v; want %v", name, got, typ)
		}
	}
	for name := range fams {
		if _, ok := types[name]; !ok {
			t.Errorf("unexpected metric %s", name)
		}
	}

	// Families with one sample per label set, every sample listed.
	exact := []struct {
		name    string
		samples []sample
	}{
		{"tend_build_info", []sample{{wantBuild, 1}}},
		{"tend_child_up", []sample{{nil, 1}}},
		{"tend_child_starts_total", []sample{{nil, 2}}},
		{"tend_restarts_total", []sample{{nil, 1}}},
		{"tend_child_exits_total", []sample{{map[string]string{"status": "3"}, 1}}},
		{"tend_child_oom_kills_total", []sample{{nil, 0}}},
		{"tend_signals_forwarded_total", []sample{{map[string]string{"signal": "SIGUSR1"}, 1}}},
		{"tend_probes_total", []sample{
			{map[string]string{"kind": "cmd", "result": "ok"}, -1}, // > 0, checked below
			{map[string]string{"kind": "cmd", "result": "failed"}, 0},
		}},
	}
	for _, e := range exact {
		fam := fams[e.name]
		if fam == nil {
			continue
		}
		if len(fam.GetMetric()) != len(e.samples) {
			t.Errorf("%s has %d samples; want %d", e.name, len(fam.GetMetric()), len(e.samples))
		}
		for _, s := range e.samples {
			v, ok := value(fam, s.labels)
			switch {
			case !ok:
				t.Errorf("%s%v missing", e.name, s.labels)
			case s.value >= 0 && v != s.value:
				t.Errorf("%s%v = %v; want %v", e.name, s.labels, v, s.value)
			}
		}
	}

	if v, _ := value(fams["tend_child_start_time_seconds"], nil); v < float64(began.Unix()) || v > float64(scraped.Unix()+1) {
		t.Errorf("tend_child_start_time_seconds = %v; want between %d and %d", v, began.Unix(), scraped.Unix())
	}

	okProbes, _ := value(fams["tend_probes_total"], map[string]string{"kind": "cmd", "result": "ok"})
	failedProbes, _ := value(fams["tend_probes_total"], map[string]string{"kind": "cmd", "result": "failed"})
	probes := okProbes + failedProbes
	// Reaped: the orphans and the main child of the first run, and every
	// --health-cmd probe whose result is counted (a probe's exit is
	// counted as reaped before its result).
	if v, _ := value(fams["tend_zombies_reaped_total"], nil); v < orphans+1+probes {
		t.Errorf("tend_zombies_reaped_total = %v; want at least %v (%d orphans, one exit, %v probes)", v, orphans+1+probes, orphans, probes)
	}

	if fam := fams["tend_probe_duration_seconds"]; fam != nil {
		ms := fam.GetMetric()
		if len(ms) != 1 || !sameLabels(labels(ms[0]), map[string]string{"kind": "cmd"}) {
			t.Fatalf("tend_probe_duration_seconds has series %v; want one with kind=cmd", ms)
		}
		h := ms[0].GetHistogram()
		if float64(h.GetSampleCount()) != probes {
			t.Errorf("tend_probe_duration_seconds_count = %d; want tend_probes_total's sum %v", h.GetSampleCount(), probes)
		}
		if h.GetSampleSum() <= 0 {
			t.Errorf("tend_probe_duration_seconds_sum = %v; want > 0", h.GetSampleSum())
		}
		var last uint64
		for _, b := range h.GetBucket() {
			if b.GetCumulativeCount() < last {
				t.Errorf("bucket le=%v has %d, below the one before (%d)", b.GetUpperBound(), b.GetCumulativeCount(), last)
			}
			last = b.GetCumulativeCount()
		}
		// Every probe of `true` takes less than 10s, the highest bound.
		var in10s uint64
		finite := 0
		for _, b := range h.GetBucket() {
			if b.GetUpperBound() == 10 {
				in10s = b.GetCumulativeCount()
			}
			if !math.IsInf(b.GetUpperBound(), 1) {
				finite++
			}
		}
		if finite != len(bounds)-1 || in10s != h.GetSampleCount() {
			t.Errorf("buckets %v: want %d finite bounds, le=10 holding all %d probes", h.GetBucket(), len(bounds)-1, h.GetSampleCount())
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-waited:
		exited = true
		if err != nil {
			t.Errorf("tend after SIGTERM: %v; want exit status 0 (the child's)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("tend still runs 10s after SIGTERM")
	}
}
