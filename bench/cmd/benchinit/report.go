package main

import (
	"fmt"
	"math"
	"strings"
)

const base = "tini-static"

// order is the column order of the tables and the chart: the Go floor sits
// beside tend.
var order = []string{"tini", "tini-static", "dumb-init", "catatonit", goFloor, "tend"}

// label is a subject's column heading.
func label(n string) string {
	if n == goFloor {
		return "Go floor (reference)"
	}
	return n
}

func (r *Results) names() []string {
	var out []string
	for _, n := range order {
		for _, s := range r.Subjects {
			if s.Name == n {
				out = append(out, n)
			}
		}
	}
	return out
}

// num prints v with about three significant digits.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case math.IsNaN(v):
		return "—"
	case v == math.Trunc(v): // counts: threads, context switches
		return fmt.Sprintf("%.0f", v)
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 100:
		return fmt.Sprintf("%.1f", v)
	case a >= 10:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func ratioStr(m *Metric, name string) string {
	if ra, ok := m.ratio(name, base); ok {
		return fmt.Sprintf("×%.2f", ra)
	}
	return "—"
}

// markdown renders the results: tend against the lean-core targets (issue
// 11), a summary of medians with ratios, tend against the earlier targets,
// the full table (median, min, max across rounds), the checks, the notes and
// the machine.
func markdown(r *Results) string {
	var w strings.Builder
	names := r.names()
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	p("# tend benchmark results\n\n")
	p("Run %s, took %s, on the machine described at the end. Produced by `make bench` (bench/README.md says what each row measures); every figure below passed its check.\n\n", r.Date, r.Elapsed)
	leanTable(p, r, names)
	p("## Summary: medians across rounds (ratio to tini-static)\n\n")
	p("| metric | unit | no init |")
	for _, n := range names {
		p(" %s |", label(n))
	}
	p("\n|---|---|---|")
	for range names {
		p("---|")
	}
	p("\n")
	for _, m := range r.Metrics {
		p("| %s | %s | ", m.Title, m.Unit)
		if st, ok := m.stat(floor); ok {
			p("%s", num(st.med))
		} else {
			p("—")
		}
		p(" |")
		for _, n := range names {
			st, ok := m.stat(n)
			switch {
			case m.Skip != "" || !ok:
				p(" — |")
			case n == base || m.Values[base] == nil:
				p(" %s |", num(st.med))
			default:
				p(" %s (%s) |", num(st.med), ratioStr(m, n))
			}
		}
		p("\n")
	}
	p("| static binary | | — |")
	for _, n := range names {
		for _, s := range r.Subjects {
			if s.Name == n {
				p(" %s |", map[bool]string{true: "yes", false: "no"}[s.Static])
			}
		}
	}
	p("\n\n![ratio of each figure to tini-static](ratios.svg)\n\n")

	p("## tend against the earlier targets (issues 2 and 5)\n\n")
	p("| target | tend | reference | ratio | met |\n|---|---|---|---|---|\n")
	for _, t := range targets(r) {
		p("| %s | %s | %s | %s | %s |\n", t.what, t.tend, t.ref, t.ratio, t.met)
	}

	p("\n## Full table: median, min and max across rounds\n\n")
	p("The \"no init\" line of a metric is its floor: /bin/true alone for start-up (the overheads above are already net of it), the child signalled directly for signal round trips.\n\n")
	p("| metric | init | median | min | max | rounds | × tini-static |\n|---|---|---|---|---|---|---|\n")
	for _, m := range r.Metrics {
		title := fmt.Sprintf("%s (%s)", m.Title, m.Unit)
		if m.Unit == "" {
			title = m.Title
		}
		if m.Skip != "" {
			p("| %s | all | skipped: %s | | | | |\n", title, esc(m.Skip))
			continue
		}
		if st, ok := m.stat(floor); ok {
			p("| %s | no init (%s) | %s | %s | %s | %d | |\n", title, m.Floor, num(st.med), num(st.min), num(st.max), st.n)
			title = "〃"
		}
		for _, n := range names {
			st, ok := m.stat(n)
			if !ok {
				if len(m.Fails[n]) > 0 {
					p("| %s | %s | every figure failed its check | | | 0 | |\n", title, label(n))
					title = "〃"
				}
				continue
			}
			p("| %s | %s | %s | %s | %s | %d | %s |\n", title, label(n), num(st.med), num(st.min), num(st.max), st.n, ratioStr(m, n))
			title = "〃"
		}
	}

	p("\n## Checks\n\n")
	p("A figure is recorded only when its check passed: start-up runs exited 0; every orphan was counted alive before the release and the pids cgroup that holds them (zombies stay charged until reaped) fell to zero, with the init still running; every signal was answered within 2 s; the idle window kept the same single sleeping child and the init asleep at both ends.\n\n")
	bad := false
	for _, m := range r.Metrics {
		for _, n := range append([]string{floor}, names...) {
			for _, f := range m.Fails[n] {
				p("- %s, %s: thrown away: %s\n", m.ID, n, esc(f))
				bad = true
			}
		}
	}
	if !bad {
		p("Every figure passed.\n")
	}
	if len(r.Notes) > 0 {
		p("\n## Notes\n\n")
		for _, n := range r.Notes {
			p("- %s\n", esc(n))
		}
	}
	p("\n## Machine and settings\n\n| | |\n|---|---|\n")
	for _, kv := range append(append([]KV{}, r.Machine...), r.Settings...) {
		p("| %s | %s |\n", kv.K, esc(kv.V))
	}
	for _, s := range r.Subjects {
		p("| %s | %s, %s, %d bytes, %s |\n", label(s.Name), s.Path, esc(s.Version), s.Bytes, map[bool]string{true: "static", false: "dynamic"}[s.Static])
	}
	return w.String()
}

func esc(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

type target struct{ what, tend, ref, ratio, met string }

// targets compares tend with the targets of issues 2 and 5 (the lean-core
// targets of issue 11 are leanTable's).
func targets(r *Results) []target {
	get := func(id string) *Metric {
		for _, m := range r.Metrics {
			if m.ID == id && m.Skip == "" {
				return m
			}
		}
		return nil
	}
	med := func(m *Metric, n string) (float64, bool) {
		if m == nil {
			return 0, false
		}
		st, ok := m.stat(n)
		return st.med, ok
	}
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
	}
	var out []target
	relative := func(id, what, ref string, limit float64, refs ...string) {
		m := get(id)
		tv, ok := med(m, "tend")
		if !ok {
			out = append(out, target{what, "—", ref, "—", "not measured"})
			return
		}
		best, bestName := math.Inf(1), ""
		for _, n := range refs {
			if v, ok := med(m, n); ok && v < best {
				best, bestName = v, n
			}
		}
		if bestName == "" || best <= 0 {
			out = append(out, target{what, num(tv) + " " + m.Unit, ref, "—", "no reference"})
			return
		}
		ra := tv / best
		out = append(out, target{what, num(tv) + " " + m.Unit, fmt.Sprintf("%s %s %s", bestName, num(best), m.Unit), fmt.Sprintf("×%.2f (≤ ×%.1f)", ra, limit), yes(ra <= limit)})
	}
	absolute := func(id, what string, limit float64, unit string) {
		tv, ok := med(get(id), "tend")
		if !ok {
			out = append(out, target{what, "—", "", "—", "not measured"})
			return
		}
		out = append(out, target{what, num(tv) + " " + unit, fmt.Sprintf("≤ %s %s", num(limit), unit), "", yes(tv <= limit)})
	}
	relative("startup", "start-up overhead, no namespace", "≤ 1.5 × tini-static", 1.5, "tini-static")
	relative("startup-ns", "start-up overhead, PID namespace", "≤ 1.5 × tini-static", 1.5, "tini-static")
	for _, m := range r.Metrics {
		if n, ok := strings.CutPrefix(m.ID, "cpu-reap-"); ok {
			relative(m.ID, "CPU per 10,000 reaps, "+n+"-orphan storm", "≤ 1.5 × tini", 1.5, "tini")
		}
	}
	relative("fwd-over-p50", "forwarding overhead p50", "≤ 1.5 × best peer", 1.5, "tini", "tini-static", "dumb-init", "catatonit")
	absolute("idle-wakeups", "idle wakeups", 2, "/min")
	absolute("rss", "steady RSS", 4, "MiB")
	absolute("size", "binary size", 5, "MiB")
	return out
}

// A leanRow is one cost of the lean-core table (issue 11) and tend's target
// for it: at most limit × ref's median, or at most limit itself when ref is
// empty.
type leanRow struct {
	id, cost string
	ref      string
	limit    float64
	unit     string
}

// leanRows are the rows of issue 11, in its order; one CPU-per-reap row is
// added for each storm size measured.
func leanRows(r *Results) []leanRow {
	rows := []leanRow{
		{id: "startup-ns", cost: "start-up + exit overhead over /bin/true, PID 1 (new PID namespace)", ref: goFloor, limit: 1.1, unit: "ms"},
		{id: "rss", cost: "VmRSS while the child sleeps", ref: goFloor, limit: 1.2, unit: "MiB"},
		{id: "rss-anon", cost: "RssAnon while the child sleeps", ref: goFloor, limit: 1.2, unit: "MiB"},
	}
	for _, m := range r.Metrics {
		if n, ok := strings.CutPrefix(m.ID, "cpu-reap-"); ok {
			rows = append(rows, leanRow{id: m.ID, cost: "CPU per 10,000 reaps, live storm of " + n + " orphans", ref: goFloor, limit: 1, unit: "ms"})
		}
	}
	return append(rows,
		leanRow{id: "fwd-same-over-p50", cost: "signal forward overhead p50 (driver, init and child on one CPU)", ref: base, limit: 1, unit: "µs"},
		leanRow{id: "threads", cost: "threads while idle", limit: 5},
		leanRow{id: "idle-wakeups", cost: "idle wakeups (context switches, all threads)", limit: 2, unit: "/min"},
		leanRow{id: "size", cost: "binary size", limit: 5, unit: "MiB"},
	)
}

// leanTable writes the lean-core table: every subject's median for each
// cost of issue 11, tend over the Go floor and over tini-static, the target,
// and whether tend meets it, all from the figures of this run.
func leanTable(p func(string, ...any), r *Results, names []string) {
	p("## Lean core (issue 11): tend against the Go floor\n\n")
	p("Medians across rounds. The Go floor (`bench/cmd/floorinit`) is a reference, not a product: the least a Go init does (bench/README.md). *met* is computed from this run's medians.\n\n")
	p("| cost | unit |")
	for _, n := range names {
		p(" %s |", label(n))
	}
	p(" tend ÷ Go floor | tend ÷ tini-static | target | met |\n|---|---|")
	for range names {
		p("---|")
	}
	p("---|---|---|---|\n")
	get := func(id string) *Metric {
		for _, m := range r.Metrics {
			if m.ID == id && m.Skip == "" {
				return m
			}
		}
		return nil
	}
	for _, row := range leanRows(r) {
		m := get(row.id)
		p("| %s | %s |", row.cost, row.unit)
		med := func(n string) (float64, bool) {
			if m == nil {
				return 0, false
			}
			st, ok := m.stat(n)
			return st.med, ok
		}
		for _, n := range names {
			if v, ok := med(n); ok {
				p(" %s |", num(v))
			} else {
				p(" — |")
			}
		}
		for _, ref := range []string{goFloor, base} {
			if ra, ok := m.ratioOK("tend", ref); ok {
				p(" ×%.2f |", ra)
			} else {
				p(" — |")
			}
		}
		target := fmt.Sprintf("≤ %g %s", row.limit, row.unit)
		switch {
		case row.ref == goFloor && row.limit == 1:
			target = "≤ Go floor"
		case row.ref == goFloor:
			target = fmt.Sprintf("≤ %g × Go floor", row.limit)
		case row.ref != "" && row.limit == 1:
			target = "≤ " + row.ref
		case row.ref != "":
			target = fmt.Sprintf("≤ %g × %s", row.limit, row.ref)
		}
		p(" %s | %s |\n", strings.TrimSpace(target), row.verdict(m))
	}
	p("\n")
}

// verdict says whether tend's median in m meets the row's target: "met",
// "**missed**", "not measured" (no figure for tend) or "no reference" (no
// positive figure for the subject the target is relative to).
func (row leanRow) verdict(m *Metric) string {
	med := func(n string) (float64, bool) {
		if m == nil {
			return 0, false
		}
		st, ok := m.stat(n)
		return st.med, ok
	}
	tv, ok := med("tend")
	if !ok {
		return "not measured"
	}
	limit := row.limit
	if row.ref != "" {
		rv, ok := med(row.ref)
		if !ok || rv <= 0 {
			return "no reference"
		}
		limit *= rv
	}
	return pick(tv <= limit, "met", "**missed**")
}

// ratioOK is m.ratio for a metric that may be missing, with a positive
// reference only.
func (m *Metric) ratioOK(subject, ref string) (float64, bool) {
	if m == nil {
		return 0, false
	}
	if st, ok := m.stat(ref); !ok || st.med <= 0 {
		return 0, false
	}
	return m.ratio(subject, ref)
}
