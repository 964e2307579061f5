package stats

import (
	_ "embed"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// worldJSON is the output of mapgen: Natural Earth 1:110m country shapes
// (via world-atlas, ISC; data public domain) projected with Equal Earth,
// and English names from i18n-iso-countries (MIT).
//
//go:embed data/world.json
var worldJSON []byte

// worldData is world.json as parsed.
type worldData struct {
	Width     float64 `json:"width"`
	Height    float64 `json:"height"`
	Outline   string  `json:"outline"`
	Countries []struct {
		CC   string `json:"cc"`
		Name string `json:"name"`
		D    string `json:"d"`
	} `json:"countries"`
	Names map[string]string `json:"names"`
}

var world struct {
	once sync.Once
	data *worldData
	err  error
}

// loadWorld parses the embedded data once. It also checks what the SVG
// writer relies on, so nothing from the file needs escaping there: codes
// are two capital letters in order, and path data holds only numbers and
// path commands.
func loadWorld() (*worldData, error) {
	world.once.Do(func() {
		var w worldData
		if err := json.Unmarshal(worldJSON, &w); err != nil {
			world.err = fmt.Errorf("stats: world map data: %w", err)
			return
		}
		if w.Width <= 0 || w.Height <= 0 || len(w.Countries) == 0 || len(w.Names) == 0 {
			world.err = errors.New("stats: world map data: missing size, countries or names")
			return
		}
		if !isPathData(w.Outline) {
			world.err = errors.New("stats: world map data: bad outline")
			return
		}
		for i, c := range w.Countries {
			if !isCode(c.CC) || (i > 0 && c.CC <= w.Countries[i-1].CC) {
				world.err = fmt.Errorf("stats: world map data: country %q out of order or malformed", c.CC)
				return
			}
			if !isPathData(c.D) || c.D == "" {
				world.err = fmt.Errorf("stats: world map data: bad path for %s", c.CC)
				return
			}
		}
		world.data = &w
	})
	return world.data, world.err
}

func isCode(cc string) bool {
	return len(cc) == 2 && 'A' <= cc[0] && cc[0] <= 'Z' && 'A' <= cc[1] && cc[1] <= 'Z'
}

func isPathData(d string) bool {
	for _, r := range d {
		if !strings.ContainsRune("0123456789.- MmLlHhVvZz", r) {
			return false
		}
	}
	return true
}

// Country is one shape of the world map.
type Country struct {
	CC   string // ISO 3166-1 alpha-2 code, or XK for Kosovo
	Name string // English short name
	Path string // SVG path data in the map's viewBox
}

// WorldCountries returns the countries drawn on the world map, sorted by
// code: every ISO 3166-1 country or territory with a shape at Natural
// Earth's 1:110m scale (about 175), less Antarctica. The caller owns the
// slice. It returns nil only if the embedded data is broken, which the
// package's tests rule out.
func WorldCountries() []Country {
	w, err := loadWorld()
	if err != nil {
		return nil
	}
	cs := make([]Country, len(w.Countries))
	for i, c := range w.Countries {
		cs[i] = Country{CC: c.CC, Name: c.Name, Path: c.D}
	}
	return cs
}

// CountryName returns the English short name of an ISO 3166-1 alpha-2
// code ("HK" gives "Hong Kong"), including regions too small to have a
// shape on the map, and XK for Kosovo. Case does not matter. It returns ""
// for a code that is not assigned.
func CountryName(cc string) string {
	w, err := loadWorld()
	if err != nil {
		return ""
	}
	return w.Names[strings.ToUpper(cc)]
}

// MapOptions configure WorldMapSVG.
type MapOptions struct {
	Title  string                 // accessible title, e.g. "Share of foreign C&C servers by country"
	Legend string                 // legend caption, e.g. "share of foreign C&C IPs"
	Format func(v float64) string // how values print in tooltips/legend, e.g. percent; default %.1f %%
	// Exclude is a country drawn hatched and outlined as "home" (the
	// reporting country) instead of being shaded; its value, if any, is
	// ignored.
	Exclude string
}

// mapFills are the class colours, light to dark: a yellow–orange–red ramp
// made for Concord (not taken from a published palette), laid out in OKLCH with lightness stepping evenly from 0.885
// to 0.42 (CIE L* 87, 75, 64, 53, 42, 31) while hue turns from 88° to 27°.
// Because lightness alone orders the classes, the ramp reads the same with
// any colour-vision deficiency and on a greyscale printout; warm hues suit
// a map of threats, and every colour is inside sRGB so nothing is clipped.
var mapFills = [...]string{"#f5d68b", "#f5ab4b", "#ec7f1f", "#d75718", "#b6351b", "#8d1b19"}

// Fills for countries without a value (lighter than every class, L* 93,
// so it stays apart from the first class even in greyscale) and the lines
// of the home country's hatch.
const (
	noValueFill = "#ebebeb"
	homeInk     = "#3a3a3a"
)

// breaks returns the lower bounds of classes 1..5 (class 0 has none) on
// the 1–2–5 series below max: for a top share of 30 % they are 1, 2, 5,
// 10 and 20 %. Round numbers read well in a legend, and the roughly
// logarithmic steps suit data where one country holds a third of the
// servers and most hold a fraction of a percent.
func breaks(max float64) []float64 {
	// Start a decade high: Log10 may round 1000 down to 2.9999999999999996.
	e := int(math.Floor(math.Log10(max))) + 1
	var out []float64
	for len(out) < len(mapFills)-1 {
		for _, m := range []float64{5, 2, 1} {
			// Dividing by an exact power of ten gives the double
			// closest to 0.05, the same as the literal, so a value
			// written as 0.05 lands in the class that starts there.
			var b float64
			if e >= 0 {
				b = m * math.Pow10(e)
			} else {
				b = m / math.Pow10(-e)
			}
			if b < max && len(out) < len(mapFills)-1 {
				out = append(out, b)
			}
		}
		e--
	}
	slices.Reverse(out)
	return out
}

// class returns the index into mapFills for v.
func class(v float64, br []float64) int {
	k := 0
	for _, b := range br {
		if v >= b {
			k++
		}
	}
	return k
}

func defaultFormat(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " %" }

// Layout of the map in viewBox units, which span 1000 across. The legend
// sits in the band at the bottom of the projection that Antarctica would
// fill, between South America's tip (y ≈ 435) and the pole line.
const (
	fontSize   = 13
	legendTop  = 446 // caption baseline
	swatchTop  = 452
	swatchH    = 12
	swatchW    = 56  // wide enough for bounds like "20.0 %" side by side
	labelBase  = 478 // threshold labels' baseline
	charWidth  = 7   // rough advance of a character at fontSize, for centring
	noteHeight = 22  // extra height for the line about unmapped values
	noteMax    = 120 // characters of that line before "and N more"
)

// WorldMapSVG writes a choropleth world map as one standalone <svg>
// element: no XML prolog, script or external reference, so it can be
// inlined in an HTML report or saved as a file. Each country with a
// positive value is shaded in one of six classes whose bounds are round
// numbers below the largest value; countries without one are light grey,
// and o.Exclude, the reporting country, is hatched. Every country carries
// a <title> that browsers show on hover ("Poland (PL): 12.3 %"), and a
// legend with the class bounds sits inside the picture. Keys of values are
// ISO 3166-1 alpha-2 codes in either case; zero, negative, NaN and
// infinite values count as none. Values of codes without a shape at this
// scale (Singapore, Hong Kong, Malta…) are listed in a line under the map,
// the largest first. The output depends only on the arguments, byte for
// byte. An error comes from w, or from broken embedded data.
func WorldMapSVG(w io.Writer, values map[string]float64, o MapOptions) error {
	wd, err := loadWorld()
	if err != nil {
		return err
	}
	format := o.Format
	if format == nil {
		format = defaultFormat
	}
	home := strings.ToUpper(o.Exclude)

	// Normalise keys; summing in key order keeps duplicates deterministic.
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	vals := map[string]float64{}
	for _, k := range keys {
		v := values[k]
		cc := strings.ToUpper(strings.TrimSpace(k))
		if cc == "" || cc == home || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
			continue
		}
		vals[cc] += v
	}
	var max float64
	for _, v := range vals {
		max = math.Max(max, v)
	}
	var br []float64
	if max > 0 {
		br = breaks(max)
	}

	mapped := map[string]bool{}
	homeName := ""
	for _, c := range wd.Countries {
		mapped[c.CC] = true
		if c.CC == home {
			homeName = c.Name
		}
	}
	var unmapped []string
	for cc := range vals {
		if !mapped[cc] {
			unmapped = append(unmapped, cc)
		}
	}
	slices.SortFunc(unmapped, func(a, b string) int {
		if vals[a] != vals[b] {
			if vals[a] > vals[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})

	height := wd.Height
	if len(unmapped) > 0 {
		height += noteHeight
	}

	// Ids are needed for the hatch and for aria; "\x00" stands for a
	// prefix derived from the whole output, so two different maps on one
	// page never share an id and the same map always gets the same one.
	// Escaped text cannot contain a NUL: EscapeText turns it into U+FFFD.
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="100%%" role="img" aria-labelledby="%s-t" aria-describedby="%s-d" font-family="sans-serif" font-size="%d">`,
		coord(wd.Width), coord(height), "\x00", "\x00", fontSize)
	p(`<title id="%s-t">%s</title>`, "\x00", esc(o.Title))
	p(`<desc id="%s-d">%s</desc>`, "\x00", esc(describe(vals, br, format, o, home, homeName, len(wd.Countries), unmapped)))
	p(`<defs><pattern id="%s-h" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">`+
		`<rect width="5" height="5" fill="#fff"/><path d="M0 0v5" stroke="%s" stroke-width="1.6"/></pattern></defs>`, "\x00", homeInk)
	p(`<path d="%s" fill="none" stroke="#bdbdbd" stroke-width=".8"/>`, wd.Outline)

	p(`<g stroke="#fff" stroke-width=".5" stroke-linejoin="round" fill-rule="evenodd">`)
	var homePath string
	for _, c := range wd.Countries {
		if c.CC == home {
			homePath = c.D
			continue
		}
		label := c.Name + " (" + c.CC + ")"
		fill := noValueFill
		if v, ok := vals[c.CC]; ok {
			fill = mapFills[class(v, br)]
			label += ": " + format(v)
		}
		p(`<path d="%s" fill="%s"><title>%s</title></path>`, c.D, fill, esc(label))
	}
	p(`</g>`)
	// The home country comes last so its outline is not painted over by
	// its neighbours' borders.
	if homePath != "" {
		p(`<path d="%s" fill="url(#%s-h)" stroke="%s" stroke-width=".9" stroke-linejoin="round" fill-rule="evenodd"><title>%s</title></path>`,
			homePath, "\x00", homeInk, esc(homeName+" ("+home+"): reporting country"))
	}

	legend(p, br, format, o.Legend, homeName)

	if len(unmapped) > 0 {
		p(`<text x="%s" y="%s" text-anchor="middle" fill="#333">%s</text>`, coord(wd.Width/2), coord(wd.Height+15), esc("Too small to draw: "+unmappedList(unmapped, vals, format)))
	}
	p(`</svg>`)

	out := b.String()
	h := fnv.New32a()
	io.WriteString(h, out)
	out = strings.ReplaceAll(out, "\x00", fmt.Sprintf("wm%08x", h.Sum32()))
	if _, err := io.WriteString(w, out); err != nil {
		return fmt.Errorf("stats: writing world map: %w", err)
	}
	return nil
}

// legend draws the class boxes in a row with their bounds between them,
// then swatches for "none" and the home country, all centred under the
// map. The outer ends carry no label: a smallest or largest value printed
// there would crowd the first and last bound, and the tooltips and the
// description give them anyway.
func legend(p func(string, ...any), br []float64, format func(float64) string, caption, homeName string) {
	const gap, sw = 18, 12
	width := 0
	if len(br) > 0 {
		width += len(mapFills)*swatchW + gap
	}
	width += sw + 4 + len("none")*charWidth
	homeLabel := ""
	if homeName != "" {
		homeLabel = homeName + " (reporting country)"
		width += gap + sw + 4 + utf8.RuneCountInString(homeLabel)*charWidth
	}
	x := 500 - width/2
	p(`<g fill="#333">`)
	if caption != "" {
		p(`<text x="%d" y="%d">%s</text>`, x, legendTop, esc(caption))
	}
	if len(br) > 0 {
		for i, fill := range mapFills {
			p(`<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`, x+i*swatchW, swatchTop, swatchW, swatchH, fill)
		}
		for i, b := range br {
			p(`<text x="%d" y="%d" text-anchor="middle">%s</text>`, x+(i+1)*swatchW, labelBase, esc(format(b)))
		}
		// Ticks tie the bounds to the joints between boxes.
		p(`<path d="`)
		for i := 1; i < len(mapFills); i++ {
			p(`M%d %dv4`, x+i*swatchW, swatchTop+swatchH)
		}
		p(`" stroke="#333" stroke-width=".8"/>`)
		x += len(mapFills)*swatchW + gap
	}
	p(`<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#bdbdbd" stroke-width=".5"/>`, x, swatchTop, sw, swatchH, noValueFill)
	p(`<text x="%d" y="%d">none</text>`, x+sw+4, swatchTop+swatchH-1)
	x += sw + 4 + len("none")*charWidth + gap
	if homeLabel != "" {
		p(`<rect x="%d" y="%d" width="%d" height="%d" fill="url(#%s-h)" stroke="%s" stroke-width=".9"/>`, x, swatchTop, sw, swatchH, "\x00", homeInk)
		p(`<text x="%d" y="%d">%s</text>`, x+sw+4, swatchTop+swatchH-1, esc(homeLabel))
	}
	p(`</g>`)
}

// describe writes the <desc>: what a screen reader says instead of the
// picture.
func describe(vals map[string]float64, br []float64, format func(float64) string, o MapOptions, home, homeName string, n int, unmapped []string) string {
	var s strings.Builder
	subject := o.Legend
	if subject == "" {
		subject = "value"
	}
	shaded := len(vals) - len(unmapped)
	fmt.Fprintf(&s, "World map of %d countries shaded by %s", n, subject)
	if len(br) == 0 {
		s.WriteString("; no country has a value.")
	} else {
		fmt.Fprintf(&s, ", %d of them with a value, darker for higher: below %s", shaded, format(br[0]))
		for i := 1; i < len(br); i++ {
			fmt.Fprintf(&s, ", %s to %s", format(br[i-1]), format(br[i]))
		}
		fmt.Fprintf(&s, ", %s and above. Others are grey.", format(br[len(br)-1]))
	}
	if homeName != "" {
		fmt.Fprintf(&s, " %s (%s), the reporting country, is hatched.", homeName, home)
	}
	if len(unmapped) > 0 {
		s.WriteString(" Too small to draw: " + unmappedList(unmapped, vals, format))
	}
	return s.String()
}

// unmappedList lists values of codes without a shape, cut short with
// "and N more" past noteMax characters.
func unmappedList(unmapped []string, vals map[string]float64, format func(float64) string) string {
	var s strings.Builder
	for i, cc := range unmapped {
		item := cc
		if name := CountryName(cc); name != "" {
			item = name + " (" + cc + ")"
		}
		item += " " + format(vals[cc])
		if i > 0 && utf8.RuneCountInString(s.String())+len(item) > noteMax {
			fmt.Fprintf(&s, " and %d more", len(unmapped)-i)
			break
		}
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(item)
	}
	s.WriteString(".")
	return s.String()
}

// esc escapes text for an XML attribute or element: &, <, >, quotes, and
// control characters, which become U+FFFD.
func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// coord formats a coordinate with at most one decimal.
func coord(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}
