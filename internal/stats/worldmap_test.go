package stats

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/golden"
)

func TestWorldCountries(t *testing.T) {
	if _, err := loadWorld(); err != nil {
		t.Fatal(err)
	}
	cs := WorldCountries()
	if len(cs) < 170 {
		t.Fatalf("WorldCountries has %d countries, want at least 170", len(cs))
	}
	if !slices.IsSortedFunc(cs, func(a, b Country) int { return strings.Compare(a.CC, b.CC) }) {
		t.Error("WorldCountries is not sorted by code")
	}
	byCC := map[string]Country{}
	for _, c := range cs {
		if c.Name == "" || c.Path == "" {
			t.Errorf("%s: empty name or path", c.CC)
		}
		byCC[c.CC] = c
	}
	// France and Norway carry ISO_N3 -99 in some Natural Earth releases.
	for _, cc := range []string{"US", "CN", "RU", "PL", "FR", "NO", "DE", "BR", "AU", "ZA", "IN", "XK", "CY", "SO", "TW", "GL"} {
		if _, ok := byCC[cc]; !ok {
			t.Errorf("no shape for %s", cc)
		}
	}
	if _, ok := byCC["AQ"]; ok {
		t.Error("Antarctica is drawn")
	}
	cs[0].Name = "changed"
	if WorldCountries()[0].Name == "changed" {
		t.Error("WorldCountries shares its slice with the caller")
	}
}

func TestCountryName(t *testing.T) {
	tests := []struct{ cc, want string }{
		{"HK", "Hong Kong"},
		{"hk", "Hong Kong"},
		{"TW", "Taiwan"},
		{"US", "United States"},
		{"CI", "Côte d'Ivoire"},
		{"XK", "Kosovo"},
		{"SG", "Singapore"},
		{"XX", ""},
		{"", ""},
		{"USA", ""},
	}
	for _, tt := range tests {
		if got := CountryName(tt.cc); got != tt.want {
			t.Errorf("CountryName(%q) = %q, want %q", tt.cc, got, tt.want)
		}
	}
}

func TestBreaks(t *testing.T) {
	tests := []struct {
		max  float64
		want []float64
	}{
		{0.3, []float64{0.01, 0.02, 0.05, 0.1, 0.2}},
		{1, []float64{0.02, 0.05, 0.1, 0.2, 0.5}},
		{0.05, []float64{0.001, 0.002, 0.005, 0.01, 0.02}},
		{1000, []float64{20, 50, 100, 200, 500}},
		{1234, []float64{50, 100, 200, 500, 1000}},
		{7, []float64{0.2, 0.5, 1, 2, 5}},
	}
	for _, tt := range tests {
		if got := breaks(tt.max); !slices.Equal(got, tt.want) {
			t.Errorf("breaks(%v) = %v, want %v", tt.max, got, tt.want)
		}
	}
}

func TestClass(t *testing.T) {
	br := breaks(0.3)
	tests := []struct {
		v    float64
		want int
	}{
		{0.001, 0}, {0.01, 1}, {0.019, 1}, {0.05, 3}, {0.1, 4}, {0.12, 4}, {0.2, 5}, {0.3, 5},
	}
	for _, tt := range tests {
		if got := class(tt.v, br); got != tt.want {
			t.Errorf("class(%v) = %d, want %d", tt.v, got, tt.want)
		}
	}
}

// svgDoc is the part of WorldMapSVG's output the tests look at.
type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	Role    string   `xml:"role,attr"`
	ViewBox string   `xml:"viewBox,attr"`
	Width   string   `xml:"width,attr"`
	Title   string   `xml:"title"`
	Desc    string   `xml:"desc"`
	Groups  []struct {
		Paths []svgPath `xml:"path"`
		Texts []string  `xml:"text"`
	} `xml:"g"`
	Paths []svgPath `xml:"path"`
	Texts []string  `xml:"text"`
}

type svgPath struct {
	Fill  string `xml:"fill,attr"`
	Title string `xml:"title"`
}

func render(t *testing.T, values map[string]float64, o MapOptions) (string, svgDoc) {
	t.Helper()
	var b bytes.Buffer
	if err := WorldMapSVG(&b, values, o); err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := WorldMapSVG(&again, values, o); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), again.Bytes()) {
		t.Error("two calls gave different output")
	}
	var doc svgDoc
	d := xml.NewDecoder(bytes.NewReader(b.Bytes()))
	d.Strict = true
	if err := d.Decode(&doc); err != nil {
		t.Fatalf("output is not XML: %v", err)
	}
	if doc.Role != "img" || doc.Width != "100%" || !strings.HasPrefix(doc.ViewBox, "0 0 1000 ") {
		t.Errorf("svg attributes: role %q, width %q, viewBox %q", doc.Role, doc.Width, doc.ViewBox)
	}
	out := b.String()
	if strings.Contains(out, "<?xml") || strings.Contains(out, "<script") || strings.Contains(out, "href") {
		t.Error("output has a prolog, a script or a reference")
	}
	return out, doc
}

// fills maps each country title's name part to its fill.
func fills(doc svgDoc) map[string]string {
	m := map[string]string{}
	for _, g := range doc.Groups {
		for _, p := range g.Paths {
			name, _, _ := strings.Cut(p.Title, ":")
			m[name] = p.Fill
		}
	}
	return m
}

func TestWorldMapSVG(t *testing.T) {
	pct := func(v float64) string { return fmt.Sprintf("%.1f %%", 100*v) }
	tests := []struct {
		name     string
		values   map[string]float64
		opts     MapOptions
		contains []string
		absent   []string
	}{
		{
			name:     "empty",
			opts:     MapOptions{Title: "Nothing"},
			contains: []string{"<title>Poland (PL)</title>", "no country has a value"},
			absent:   []string{mapFills[0], "Too small"},
		},
		{
			name:     "default format",
			values:   map[string]float64{"PL": 12.3, "DE": 40},
			contains: []string{"<title>Poland (PL): 12.3 %</title>", "<title>Germany (DE): 40.0 %</title>"},
		},
		{
			name:   "escapes",
			values: map[string]float64{"CI": 0.5, "ba": 0.25},
			opts:   MapOptions{Title: `C&C <servers> "by" country`, Legend: "a & b", Format: func(float64) string { return "<5 & up>" }},
			contains: []string{
				"C&amp;C &lt;servers&gt; &#34;by&#34; country",
				"<title>Côte d&#39;Ivoire (CI): &lt;5 &amp; up&gt;</title>",
				"<title>Bosnia and Herzegovina (BA): &lt;5",
				">a &amp; b</text>",
			},
		},
		{
			name:     "home",
			values:   map[string]float64{"PL": 0.5, "DE": 0.1},
			opts:     MapOptions{Exclude: "pl", Format: pct},
			contains: []string{"<title>Poland (PL): reporting country</title>", "Poland (reporting country)", "Poland (PL), the reporting country, is hatched"},
			absent:   []string{"50.0 %"},
		},
		{
			name:     "unmapped",
			values:   map[string]float64{"SG": 0.03, "HK": 0.04, "ZZ": 0.01, "US": 0.3},
			opts:     MapOptions{Format: pct},
			contains: []string{"Too small to draw: Hong Kong (HK) 4.0 %, Singapore (SG) 3.0 %, ZZ 1.0 %."},
		},
		{
			name:   "ignored values",
			values: map[string]float64{"DE": 0, "FR": -1, "IT": nan(), "": 3, "ES": 0.2},
			opts:   MapOptions{Format: pct},
			contains: []string{
				"<title>Germany (DE)</title>", "<title>France (FR)</title>", "<title>Italy (IT)</title>",
				"<title>Spain (ES): 20.0 %</title>",
			},
			absent: []string{"Too small"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := render(t, tt.values, tt.opts)
			for _, s := range tt.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q", s)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(out, s) {
					t.Errorf("output has %q", s)
				}
			}
		})
	}
}

func nan() float64 { var z float64; return z / z }

func TestWorldMapSVGShadesHigherDarker(t *testing.T) {
	_, doc := render(t, map[string]float64{"US": 0.3, "FR": 0.04, "NL": 0.005}, MapOptions{})
	f := fills(doc)
	rank := func(name string) int { return slices.Index(mapFills[:], f[name]) }
	us, fr, nl := rank("United States (US)"), rank("France (FR)"), rank("Netherlands (NL)")
	if !(us > fr && fr > nl && nl >= 0) {
		t.Errorf("class ranks US %d, FR %d, NL %d; want decreasing and shaded", us, fr, nl)
	}
	if got := f["Poland (PL)"]; got != noValueFill {
		t.Errorf("Poland without a value is filled %s, want %s", got, noValueFill)
	}
}

func TestWorldMapSVGIdsDiffer(t *testing.T) {
	a, _ := render(t, map[string]float64{"US": 1}, MapOptions{Exclude: "PL"})
	b, _ := render(t, map[string]float64{"US": 2}, MapOptions{Exclude: "PL"})
	id := func(s string) string { _, rest, _ := strings.Cut(s, `<title id="`); return rest[:10] }
	if id(a) == id(b) {
		t.Errorf("two different maps share the id %s", id(a))
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWorldMapSVGWriteError(t *testing.T) {
	err := WorldMapSVG(failWriter{}, nil, MapOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "stats: ") {
		t.Errorf("error = %v, want one prefixed stats:", err)
	}
}

func TestWorldMapSVGGolden(t *testing.T) {
	values := map[string]float64{
		"US": 0.3, "NL": 0.12, "DE": 0.1, "RU": 0.09, "CN": 0.05, "FR": 0.04, "SG": 0.03,
		"BR": 0.02, "IN": 0.015, "JP": 0.01, "ZA": 0.004, "PL": 0.2,
	}
	o := MapOptions{
		Title:   "Share of foreign C&C servers by country",
		Legend:  "share of foreign C&C IPs",
		Format:  func(v float64) string { return fmt.Sprintf("%.1f %%", 100*v) },
		Exclude: "PL",
	}
	var b bytes.Buffer
	if err := WorldMapSVG(&b, values, o); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "worldmap.golden.svg"), b.Bytes())
}

func BenchmarkWorldMapSVG(b *testing.B) {
	values := map[string]float64{"US": 0.3, "NL": 0.12, "DE": 0.1, "RU": 0.09, "CN": 0.05}
	for b.Loop() {
		if err := WorldMapSVG(io.Discard, values, MapOptions{Exclude: "PL"}); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzWorldMapSVG checks that whatever the caller passes as codes, names
// and formatted values, the output stays well-formed XML.
func FuzzWorldMapSVG(f *testing.F) {
	f.Add("PL", 12.3, "C&C <servers>", "share", "PL", "%")
	f.Add("sg", 0.5, "", "", "", "\x00]]>")
	f.Fuzz(func(t *testing.T, cc string, v float64, title, caption, home, unit string) {
		var b bytes.Buffer
		o := MapOptions{Title: title, Legend: caption, Exclude: home, Format: func(v float64) string { return fmt.Sprint(v) + unit }}
		if err := WorldMapSVG(&b, map[string]float64{cc: v, "US": 1}, o); err != nil {
			t.Fatal(err)
		}
		d := xml.NewDecoder(&b)
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("not XML: %v", err)
			}
		}
	})
}
