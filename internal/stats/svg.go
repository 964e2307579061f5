package stats

import (
	"fmt"
	"math"
	"strings"
)

// The charts are drawn here as inline SVG: no scripts, no external files,
// legible in print and to screen readers (role="img" with a title and a
// description). Output is deterministic: fixed float formatting, input order.

// barRow is one bar of a horizontal bar chart.
type barRow struct {
	Label string  // left of the bar
	Value float64 // bar length, against the chart's largest value
	Text  string  // right of the bar, e.g. "59 (25.1 %)"
}

const (
	barWidth     = 760
	barLabelW    = 210
	barRowH      = 22
	barAreaW     = 300
	barFill      = "#2c5d8f"
	chartFont    = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:12px"
	axisColor    = "#555"
	gridColor    = "#ddd"
	chartTextCol = "#222"
)

// barChartSVG draws rows as horizontal bars.
func barChartSVG(title string, rows []barRow) string {
	if len(rows) == 0 {
		return ""
	}
	max := 0.0
	for _, r := range rows {
		max = math.Max(max, r.Value)
	}
	h := len(rows)*barRowH + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="%s" viewBox="0 0 %d %d" width="100%%" style="max-width:%dpx;%s">`,
		esc(title), barWidth, h, barWidth, chartFont)
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	var desc []string
	for _, r := range rows {
		desc = append(desc, r.Label+": "+r.Text)
	}
	fmt.Fprintf(&b, `<desc>%s</desc>`, esc(strings.Join(desc, "; ")))
	for i, r := range rows {
		y := i*barRowH + 4
		w := 0.0
		if max > 0 {
			w = r.Value / max * barAreaW
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" fill="%s">%s</text>`, barLabelW-8, y+15, chartTextCol, esc(truncLabel(r.Label, 32)))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, barLabelW, y+3, math.Max(w, 1), barRowH-6, barFill)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="%s">%s</text>`, float64(barLabelW)+math.Max(w, 1)+6, y+15, chartTextCol, esc(r.Text))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func truncLabel(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// series is one line of the trend chart.
type series struct {
	Name   string
	Color  string
	Dash   string // stroke-dasharray, so the lines differ in grey print too
	Values []int
}

// trendSVG draws one line per series over the buckets.
func trendSVG(title string, labels []string, ss []series) string {
	if len(labels) == 0 {
		return ""
	}
	const (
		w, h         = 760, 300
		left, right  = 56, 16
		top, bottom  = 16, 64
		plotW, plotH = w - left - right, h - top - bottom
		legendY      = h - 18
		maxXLabels   = 12
	)
	maxV := 0
	for _, s := range ss {
		for _, v := range s.Values {
			maxV = max(maxV, v)
		}
	}
	step, top2 := niceScale(maxV)
	x := func(i int) float64 {
		if len(labels) == 1 {
			return left + plotW/2
		}
		return left + float64(i)*plotW/float64(len(labels)-1)
	}
	y := func(v int) float64 { return top + plotH - float64(v)/float64(top2)*plotH }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="%s" viewBox="0 0 %d %d" width="100%%" style="max-width:%dpx;%s">`, esc(title), w, h, w, chartFont)
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	var desc []string
	for _, s := range ss {
		var parts []string
		for i, v := range s.Values {
			parts = append(parts, fmt.Sprintf("%s %d", labels[i], v))
		}
		desc = append(desc, s.Name+": "+strings.Join(parts, ", "))
	}
	fmt.Fprintf(&b, `<desc>%s</desc>`, esc(strings.Join(desc, ". ")))
	// Grid and y axis.
	for v := 0; v <= top2; v += step {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="%s"/>`, left, w-right, y(v), y(v), gridColor)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="%s">%s</text>`, left-6, y(v)+4, axisColor, num(v))
	}
	// x labels, thinned to at most maxXLabels.
	every := (len(labels) + maxXLabels - 1) / maxXLabels
	for i, l := range labels {
		if i%every != 0 && i != len(labels)-1 {
			continue
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" fill="%s">%s</text>`, x(i), top+plotH+16, axisColor, esc(shortBucket(l)))
	}
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s"/>`, left, w-right, top+plotH, top+plotH, axisColor)
	for si, s := range ss {
		var pts []string
		for i, v := range s.Values {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2.5" stroke-dasharray="%s" points="%s"/>`, s.Color, s.Dash, strings.Join(pts, " "))
		if len(pts) <= 40 {
			for i, v := range s.Values {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s: %s</title></circle>`, x(i), y(v), s.Color, esc(s.Name), esc(labels[i]), num(v))
			}
		}
		lx := left + si*220
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="3" stroke-dasharray="%s"/>`, lx, lx+28, legendY-4, legendY-4, s.Color, s.Dash)
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">%s</text>`, lx+34, legendY, chartTextCol, esc(s.Name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// shortBucket trims a day label to month-day for the axis.
func shortBucket(l string) string {
	if len(l) == 10 && l[4] == '-' && l[7] == '-' {
		return l[5:]
	}
	return l
}

// niceScale returns a grid step of 1, 2 or 5 times a power of ten and the
// axis maximum, a multiple of it, for values up to max.
func niceScale(max int) (step, top int) {
	if max <= 0 {
		return 1, 1
	}
	raw := float64(max) / 5
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			step = int(math.Max(1, m*p))
			break
		}
	}
	top = (max + step - 1) / step * step
	return step, top
}
