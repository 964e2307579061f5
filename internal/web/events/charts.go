package events

import (
	"bytes"
	"html"
	"regexp"
	"strings"

	"github.com/concord-cert/concord/internal/stats"
)

// chartKinds names the pictures of a report by how their titles begin, in
// the order pages show them. The charts are drawn by package stats for
// its HTML report (stats.WriteHTML); pages here show each one as a
// separate SVG resource loaded by <img>, because the drawings carry
// inline style attributes that the pages' Content-Security-Policy forbids
// and an SVG document served on its own may keep (web.DocumentCSP).
var chartKinds = []struct {
	name, prefix, alt string
}{
	{"trend.svg", "Distinct addresses per", "Trend: distinct C&C servers, controlled hosts and attack sources"},
	{"map.svg", "Share of foreign C&C servers by country", "World map: share of foreign C&C servers by country"},
	{"c2-countries.svg", "C&C servers abroad by country", "C&C servers abroad by country"},
	{"c2-malware.svg", "C&C servers by malware family", "C&C servers by malware family"},
	{"controllers.svg", "Controlled hosts in", "Controlled hosts by country of their C&C server"},
	{"host-malware.svg", "Controlled hosts in", "Controlled hosts by malware family"},
	{"attack-classes.svg", "Attack sources by classification", "Attack sources by classification"},
	{"relay.svg", "Share of attack sources abroad", "Share of attack sources abroad that were relays or infected hosts"},
	{"cooperation.svg", "Requests for assistance by partner country", "Requests for assistance by partner country"},
}

// svgElement finds each <svg>...</svg> of the report page; the drawings
// nest no <svg>.
var svgElement = regexp.MustCompile(`(?s)<svg[ >].*?</svg>`)

// svgTitle finds a drawing's accessible title.
var svgTitle = regexp.MustCompile(`<title[^>]*>([^<]*)</title>`)

// chart is one drawing of a report, ready to serve on its own.
type chart struct {
	Name, Alt string
	SVG       []byte
}

// Wide is whether pages give the drawing a row of its own: the trend and
// the map read badly at half width.
func (c chart) Wide() bool { return c.Name == "trend.svg" || c.Name == "map.svg" }

// reportCharts returns the drawings of r that have something to show,
// each a standalone SVG document, in chartKinds order.
func reportCharts(r *stats.Report) ([]chart, error) {
	var page bytes.Buffer
	if err := stats.WriteHTML(&page, r, 10); err != nil {
		return nil, err
	}
	taken := make([]bool, len(chartKinds))
	var found []chart
	for _, el := range svgElement.FindAll(page.Bytes(), -1) {
		m := svgTitle.FindSubmatch(el)
		if m == nil {
			continue
		}
		title := html.UnescapeString(string(m[1]))
		for i, k := range chartKinds {
			if taken[i] || !strings.HasPrefix(title, k.prefix) {
				continue
			}
			if k.name == "host-malware.svg" && !strings.Contains(title, "malware family") ||
				k.name == "controllers.svg" && strings.Contains(title, "malware family") {
				continue
			}
			taken[i] = true
			found = append(found, chart{Name: k.name, Alt: k.alt, SVG: standalone(el)})
			break
		}
	}
	var out []chart
	for _, k := range chartKinds {
		for _, c := range found {
			if c.Name == k.name {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// standalone makes an inline <svg> element a document of its own: an SVG
// file needs its namespace, which HTML supplies to inline drawings.
func standalone(el []byte) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	if bytes.Contains(el[:bytes.IndexByte(el, '>')], []byte("xmlns=")) {
		b.Write(el)
	} else {
		b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg"`)
		b.Write(el[len("<svg"):])
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// chartsOf returns e's drawings, made once.
func (e *reportEntry) chartsOf() ([]chart, error) {
	e.chartsOnce.Do(func() {
		e.charts, e.chartErr = reportCharts(e.report)
	})
	return e.charts, e.chartErr
}
