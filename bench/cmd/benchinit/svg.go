package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

var colors = map[string]string{
	"tini":        "#9aa5b1",
	"tini-static": "#52606d",
	"dumb-init":   "#e6a23c",
	"catatonit":   "#8e6cc0",
	goFloor:       "#3b82c4",
	"tend":        "#1f8a4c",
}

// chart draws, for each charted metric, one horizontal bar per init: the
// ratio of its median to tini-static's on a log2 axis, growing left or right
// from 1 (lower is better on every row). Hand-written SVG, no dependencies.
func chart(r *Results) string {
	const (
		left   = 260.0 // metric labels
		plotW  = 520.0
		right  = 80.0 // value labels
		barH   = 9.0
		gap    = 2.0
		groupG = 12.0
		top    = 58.0
		lo, hi = -6.0, 5.0 // log2 of the axis ends: ×1/64 … ×32
	)
	names := r.names()
	var ms []*Metric
	for _, m := range r.Metrics {
		if m.Chart && m.Skip == "" && len(m.Values[base]) > 0 {
			ms = append(ms, m)
		}
	}
	x := func(ratio float64) float64 {
		l := math.Log2(ratio)
		l = math.Max(lo, math.Min(hi, l))
		return left + (l-lo)/(hi-lo)*plotW
	}
	groupH := float64(len(names))*(barH+gap) + groupG
	height := top + float64(len(ms))*groupH + 30
	width := left + plotW + right
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format, args...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="11">`+"\n", width, height, width, height)
	p(`<rect width="100%%" height="100%%" fill="#fff"/>` + "\n")
	p(`<text x="8" y="16" font-size="13" font-weight="bold">Each init's median as a ratio to tini-static (log scale; left of ×1 is less, lower is better)</text>` + "\n")
	// legend
	lx := 8.0
	for _, n := range names {
		p(`<rect x="%.0f" y="26" width="10" height="10" fill="%s"/><text x="%.0f" y="35">%s</text>`+"\n", lx, colors[n], lx+14, n)
		lx += 14 + 7*float64(len(n)) + 18
	}
	// grid
	for e := lo; e <= hi; e++ {
		gx := x(math.Exp2(e))
		stroke, sw := "#e4e7eb", 1.0
		if e == 0 {
			stroke, sw = "#323f4b", 1.5
		}
		p(`<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="%s" stroke-width="%.1f"/>`+"\n", gx, top-6, gx, height-24, stroke, sw)
		label := fmt.Sprintf("×%g", math.Exp2(e))
		if e < 0 {
			label = fmt.Sprintf("×1/%g", math.Exp2(-e))
		}
		if int(e)%2 == 0 {
			p(`<text x="%.1f" y="%.0f" text-anchor="middle" fill="#52606d">%s</text>`+"\n", gx, height-10, label)
		}
	}
	y := top
	for _, m := range ms {
		unit := m.Unit
		if unit != "" {
			unit = " (" + unit + ")"
		}
		title := m.Title
		if m.Short != "" {
			title = m.Short
		}
		title += unit
		if m.Higher {
			title += ", higher is better"
		}
		p(`<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-8, y+float64(len(names))*(barH+gap)/2+3, html.EscapeString(shorten(title, 44)))
		for i, n := range names {
			by := y + float64(i)*(barH+gap)
			ra, ok := m.ratio(n, base)
			if !ok {
				continue
			}
			x1 := x(1)
			x2 := x1
			label := fmt.Sprintf("×%.2f", ra)
			if ra > 0 {
				x2 = x(ra)
			} else {
				x2 = x(math.Exp2(lo))
				label = num(ra)
			}
			a, b := math.Min(x1, x2), math.Max(x1, x2)
			p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.0f" fill="%s"><title>%s %s: %s</title></rect>`+"\n", a, by, math.Max(b-a, 1), barH, colors[n], n, html.EscapeString(m.Title), label)
			p(`<text x="%.1f" y="%.1f" font-size="9" fill="#323f4b">%s</text>`+"\n", b+3, by+barH-1, label)
		}
		y += groupH
	}
	p("</svg>\n")
	return w.String()
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
