package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
)

// Results is everything one run measured; results.json holds it so that
// --plot-only can redraw the chart and the table without measuring again.
type Results struct {
	Date     string        `json:"date"`
	Elapsed  string        `json:"elapsed"`
	Settings []KV          `json:"settings"`
	Machine  []KV          `json:"machine"`
	Subjects []SubjectInfo `json:"subjects"`
	Metrics  []*Metric     `json:"metrics"`
	Notes    []string      `json:"notes,omitempty"`
}

// KV is one labelled line of the machine or settings description.
type KV struct {
	K string `json:"k"`
	V string `json:"v"`
}

// SubjectInfo describes one init binary.
type SubjectInfo struct {
	Name    string `json:"name"`
	Path    string `json:"path"`
	Version string `json:"version"`
	Bytes   int64  `json:"bytes"`
	Static  bool   `json:"static"`
}

// Metric is one figure measured for every init, one value per round.
type Metric struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Short is the chart's label.
	Short string `json:"short,omitempty"`
	Unit  string `json:"unit"`
	// Higher is set when a larger value is better (reaps per second).
	Higher bool `json:"higher,omitempty"`
	// Floor says what the "none" column holds for this metric, if anything.
	Floor  string               `json:"floor,omitempty"`
	Values map[string][]float64 `json:"values"`
	// Checks counts validated figures per init; Fails holds the reasons
	// figures were thrown away.
	Checks map[string]int      `json:"checks,omitempty"`
	Fails  map[string][]string `json:"fails,omitempty"`
	Skip   string              `json:"skip,omitempty"`
	Chart  bool                `json:"chart,omitempty"`
}

func (r *Results) metric(id, title, unit string) *Metric {
	for _, m := range r.Metrics {
		if m.ID == id {
			return m
		}
	}
	m := &Metric{ID: id, Title: title, Unit: unit, Values: map[string][]float64{}, Checks: map[string]int{}, Fails: map[string][]string{}, Chart: true}
	r.Metrics = append(r.Metrics, m)
	return m
}

// add records one validated figure.
func (m *Metric) add(subject string, v float64) {
	m.Values[subject] = append(m.Values[subject], v)
	m.Checks[subject]++
}

// fail records a figure thrown away by its check.
func (m *Metric) fail(subject, why string) {
	m.Fails[subject] = append(m.Fails[subject], why)
}

// stat is the median, minimum and maximum of one init's figures.
type stat struct {
	med, min, max float64
	n             int
}

func (m *Metric) stat(subject string) (stat, bool) {
	v := slices.Clone(m.Values[subject])
	if len(v) == 0 {
		return stat{}, false
	}
	sort.Float64s(v)
	return stat{med: median(v), min: v[0], max: v[len(v)-1], n: len(v)}, true
}

// ratio is subject's median over base's median.
func (m *Metric) ratio(subject, base string) (float64, bool) {
	a, ok1 := m.stat(subject)
	b, ok2 := m.stat(base)
	if !ok1 || !ok2 || b.med == 0 {
		return 0, false
	}
	return a.med / b.med, true
}

// median of sorted v.
func median(v []float64) float64 {
	n := len(v)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// quantile of unsorted samples (nearest rank).
func quantile(v []float64, q float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	i = max(0, min(i, len(s)-1))
	return s[i]
}

func (r *Results) save(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func load(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}
