package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestLeanVerdict(t *testing.T) {
	metric := func(vals map[string][]float64) *Metric {
		m := &Metric{Values: map[string][]float64{}}
		for k, v := range vals {
			m.Values[k] = v
		}
		return m
	}
	startup := leanRow{id: "startup-ns", ref: goFloor, limit: 1.1}
	threads := leanRow{id: "threads", limit: 5}
	tests := []struct {
		name string
		row  leanRow
		m    *Metric
		want string
	}{
		{"relative, missed", startup, metric(map[string][]float64{goFloor: {2, 3, 4}, "tend": {10, 11, 12}}), "**missed**"},
		{"relative, met at the limit", startup, metric(map[string][]float64{goFloor: {10}, "tend": {11}}), "met"},
		{"relative, median decides", startup, metric(map[string][]float64{goFloor: {10}, "tend": {1, 10.5, 50}}), "met"},
		{"relative, no reference figure", startup, metric(map[string][]float64{"tend": {1}}), "no reference"},
		{"relative, reference not positive", startup, metric(map[string][]float64{goFloor: {-1}, "tend": {1}}), "no reference"},
		{"absolute, met", threads, metric(map[string][]float64{"tend": {5}}), "met"},
		{"absolute, missed", threads, metric(map[string][]float64{"tend": {11}}), "**missed**"},
		{"no tend figure", threads, metric(map[string][]float64{goFloor: {6}}), "not measured"},
		{"metric missing", threads, nil, "not measured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.row.verdict(tt.m); got != tt.want {
				t.Errorf("verdict = %q; want %q", got, tt.want)
			}
		})
	}
}

// TestLeanTableFlips checks what a reader of results.md sees: the same row
// turns from missed to met when tend's figure drops under its target.
func TestLeanTableFlips(t *testing.T) {
	row := func(tend float64) string {
		r := &Results{Subjects: []SubjectInfo{{Name: goFloor}, {Name: "tend"}}}
		m := r.metric("rss-anon", "RssAnon", "MiB")
		m.add(goFloor, 1)
		m.add("tend", tend)
		var w strings.Builder
		leanTable(func(f string, a ...any) { fmt.Fprintf(&w, f, a...) }, r, r.names())
		for line := range strings.Lines(w.String()) {
			if strings.HasPrefix(line, "| RssAnon while the child sleeps |") {
				return line
			}
		}
		t.Fatalf("no RssAnon row in:\n%s", w.String())
		return ""
	}
	if got := row(1.5); !strings.Contains(got, "| ×1.50 |") || !strings.HasSuffix(strings.TrimSpace(got), "| **missed** |") {
		t.Errorf("tend 1.5 MiB, floor 1 MiB: row %q; want ×1.50 and missed", got)
	}
	if got := row(1.1); !strings.HasSuffix(strings.TrimSpace(got), "| met |") {
		t.Errorf("tend 1.1 MiB, floor 1 MiB: row %q; want met", got)
	}
}
