// Command mapgen builds internal/stats/data/world.json, the country shapes
// and names behind stats.WorldMapSVG. It is run by `go generate` in
// internal/stats, which fetches its two inputs with `npm pack`:
//
//   - world-atlas@2.0.2 (ISC), whose countries-110m.json is a TopoJSON
//     rendering of the Natural Earth 1:110m admin-0 countries (public domain);
//   - i18n-iso-countries@7.14.0 (MIT), whose codes.json maps ISO 3166-1
//     numeric codes to alpha-2 and whose langs/en.json gives English names.
//
// With -dir it reads already-unpacked packages instead: DIR/world-atlas and
// DIR/i18n-iso-countries, each holding the package's files either directly
// or under package/ as `tar xzf` leaves them.
//
// The shapes are projected with Equal Earth (Šavrič, Patterson & Jenny,
// 2018) into SVG path data, so the binary carries no geometry code beyond
// writing strings. The output depends only on the input bytes.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// source pins one npm package: the files read from it and the integrity
// string of its tarball as the registry publishes it, so a tarball that
// changed under the same version is refused.
type source struct {
	name, version, integrity, license, note string
	files                                   []string
}

var (
	atlas = source{
		name:      "world-atlas",
		version:   "2.0.2",
		integrity: "sha512-IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/MXAYRHWJqgXOpM8IkcPBoXnyTU5lFHcYa5ChG0LQ==",
		license:   "ISC",
		note:      "countries-110m.json: Natural Earth 1:110m Cultural Vectors, admin-0 countries; data in the public domain (naturalearthdata.com)",
		files:     []string{"package.json", "countries-110m.json"},
	}
	isoNames = source{
		name:      "i18n-iso-countries",
		version:   "7.14.0",
		integrity: "sha512-nXHJZYtNrfsi1UQbyRqm3Gou431elgLjKl//CYlnBGt5aTWdRPH1PiS2T/p/n8Q8LnqYqzQJik3Q7mkwvLokeg==",
		license:   "MIT",
		note:      "codes.json (ISO 3166-1 alpha-2, alpha-3, numeric) and langs/en.json (English names)",
		files:     []string{"package.json", "codes.json", "langs/en.json"},
	}
)

// Geometry of the output: the projected world fills the width less a margin
// on each side, so the outline's stroke is not clipped at the viewBox edge.
const (
	width  = 1000
	margin = 5
)

func main() {
	dir := flag.String("dir", "", "read unpacked packages from `DIR`/world-atlas and DIR/i18n-iso-countries instead of running npm pack")
	out := flag.String("out", filepath.Join("data", "world.json"), "write the map data to `FILE`")
	flag.Parse()
	if err := run(*dir, *out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(dir, out string) error {
	var pkgs map[string]map[string][]byte
	var err error
	if dir == "" {
		pkgs, err = fetch()
	} else {
		pkgs, err = readDir(dir)
	}
	if err != nil {
		return err
	}
	for _, s := range []source{atlas, isoNames} {
		if err := checkVersion(s, pkgs[s.name]["package.json"]); err != nil {
			return err
		}
	}
	data, err := build(pkgs[atlas.name]["countries-110m.json"], pkgs[isoNames.name]["codes.json"], pkgs[isoNames.name]["langs/en.json"], moved)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("stats/mapgen: %w", err)
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return fmt.Errorf("stats/mapgen: %w", err)
	}
	fmt.Fprintf(os.Stderr, "stats/mapgen: wrote %s (%d bytes)\n", out, len(data))
	return nil
}

// fetch runs npm pack into a temporary directory, checks each tarball
// against its pinned integrity and reads the files needed from it.
func fetch() (map[string]map[string][]byte, error) {
	tmp, err := os.MkdirTemp("", "mapgen-")
	if err != nil {
		return nil, fmt.Errorf("stats/mapgen: %w", err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("npm", "pack", "--silent", "--pack-destination", tmp,
		atlas.name+"@"+atlas.version, isoNames.name+"@"+isoNames.version)
	cmd.Stdout = io.Discard
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("stats/mapgen: npm pack: %w (is npm installed and the registry reachable? or pass -dir)", err)
	}
	pkgs := map[string]map[string][]byte{}
	for _, s := range []source{atlas, isoNames} {
		tgz, err := os.ReadFile(filepath.Join(tmp, s.name+"-"+s.version+".tgz"))
		if err != nil {
			return nil, fmt.Errorf("stats/mapgen: %w", err)
		}
		sum := sha512.Sum512(tgz)
		if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != s.integrity {
			return nil, fmt.Errorf("stats/mapgen: %s@%s: tarball integrity %s, want %s", s.name, s.version, got, s.integrity)
		}
		files, err := untar(tgz, s.files)
		if err != nil {
			return nil, fmt.Errorf("stats/mapgen: %s: %w", s.name, err)
		}
		pkgs[s.name] = files
	}
	return pkgs, nil
}

// untar reads the wanted files from an npm tarball, whose entries all sit
// under package/. Nothing is written to disk.
func untar(tgz []byte, want []string) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		name, ok := strings.CutPrefix(h.Name, "package/")
		if !ok || h.Typeflag != tar.TypeReg || !slices.Contains(want, name) {
			continue
		}
		if files[name], err = io.ReadAll(tr); err != nil {
			return nil, err
		}
	}
	for _, name := range want {
		if _, ok := files[name]; !ok {
			return nil, fmt.Errorf("no %s in tarball", name)
		}
	}
	return files, nil
}

// readDir reads the needed files of both packages from unpacked copies.
func readDir(dir string) (map[string]map[string][]byte, error) {
	pkgs := map[string]map[string][]byte{}
	for _, s := range []source{atlas, isoNames} {
		root := filepath.Join(dir, s.name)
		if _, err := os.Stat(filepath.Join(root, "package", "package.json")); err == nil {
			root = filepath.Join(root, "package")
		}
		files := map[string][]byte{}
		for _, name := range s.files {
			b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
			if err != nil {
				return nil, fmt.Errorf("stats/mapgen: %w", err)
			}
			files[name] = b
		}
		pkgs[s.name] = files
	}
	return pkgs, nil
}

// checkVersion makes sure the header written names the package read.
func checkVersion(s source, packageJSON []byte) error {
	var p struct{ Name, Version string }
	if err := json.Unmarshal(packageJSON, &p); err != nil {
		return fmt.Errorf("stats/mapgen: %s package.json: %w", s.name, err)
	}
	if p.Name != s.name || p.Version != s.version {
		return fmt.Errorf("stats/mapgen: found %s@%s, want %s@%s", p.Name, p.Version, s.name, s.version)
	}
	return nil
}

// unlisted gives the alpha-2 code of Natural Earth features that carry no
// ISO 3166-1 numeric id (no id at all in world-atlas, or -99 in the
// Natural Earth attributes some releases copy), keyed by the feature's
// name. Features mapped to a code that another feature already has are
// merged into it, their shared border dissolved:
//
//   - Kosovo has no ISO 3166-1 code; XK is the user-assigned code that the
//     European Commission, IP registries and most data sets use for it.
//   - Northern Cyprus is recognised by Turkey alone; ISO 3166-1 and the
//     registries count it as part of Cyprus (CY).
//   - Somaliland is internationally part of Somalia (SO).
//   - France and Norway had ISO_N3 -99 in some Natural Earth releases
//     (overseas departments, Svalbard); world-atlas 2.0.2 gives them 250
//     and 578, and these entries only keep an older or newer file working.
//
// A feature missing from both codes.json and this table stops the
// generator, so a new data release is looked at by a person.
var unlisted = map[string]string{
	"Kosovo":     "XK",
	"N. Cyprus":  "CY",
	"Somaliland": "SO",
	"France":     "FR",
	"Norway":     "NO",
}

// moved reassigns single polygons from one country to another. Natural
// Earth draws boundaries as they are held on the ground; Concord keys
// everything by ISO 3166-1, and this map follows it, as it does for
// Northern Cyprus and Somaliland above: Crimea is part of Ukraine in
// ISO 3166-2 (UA-43) and in UN General Assembly resolution 68/262. A
// polygon moves when all its positions lie inside the box (degrees); a
// rule that moves nothing stops the generator, so a new data release is
// looked at by a person. The moved polygon is dissolved into its new
// country along their shared border.
var moved = []move{
	{"Crimea", "RU", "UA", 32, 44, 37, 46.5},
}

// move is one entry of moved.
type move struct {
	what, from, to                 string
	minLon, minLat, maxLon, maxLat float64
}

// dropped are codes left out of the map: Antarctica's band across the
// bottom of the projection is where WorldMapSVG puts its legend, and its
// outline would cost some 3 KB for a country no one reports on.
var dropped = map[string]bool{"AQ": true}

// preferredName picks, where i18n-iso-countries lists several English
// names, the one people write in a table ("China", not "People's Republic
// of China"). Codes not listed take the first (official) name. Each choice
// must be one of the package's own names, so a release that renames a
// country stops the generator instead of going unnoticed.
var preferredName = map[string]string{
	"CI": "Côte d'Ivoire",
	"CN": "China",
	"CZ": "Czechia",
	"GM": "Gambia",
	"IR": "Iran",
	"MK": "North Macedonia",
	"PS": "Palestine",
	"RU": "Russia",
	"TW": "Taiwan",
	"TZ": "Tanzania",
	"US": "United States",
}

// build turns the three input files into the bytes of world.json, moving
// polygons between countries as moves says.
func build(atlasJSON, codesJSON, enJSON []byte, moves []move) ([]byte, error) {
	names, err := englishNames(enJSON)
	if err != nil {
		return nil, err
	}
	numeric, err := numericCodes(codesJSON)
	if err != nil {
		return nil, err
	}
	topo, err := decodeTopology(atlasJSON)
	if err != nil {
		return nil, err
	}
	feats, err := topo.features("countries")
	if err != nil {
		return nil, err
	}

	// Group the features' polygons by country code, in input order.
	var order []string
	groups := map[string][]feature{}
	for _, f := range feats {
		cc, err := f.code(numeric)
		if err != nil {
			return nil, err
		}
		if dropped[cc] {
			continue
		}
		if _, ok := names[cc]; !ok {
			return nil, fmt.Errorf("stats/mapgen: feature %q: no English name for %s", f.name, cc)
		}
		if _, ok := groups[cc]; !ok {
			order = append(order, cc)
		}
		groups[cc] = append(groups[cc], f)
	}
	slices.Sort(order)
	for _, m := range moves {
		var n int
		for gi, f := range groups[m.from] {
			var keep [][][]int
			for _, poly := range f.polygons {
				in, err := topo.within(poly, m.minLon, m.minLat, m.maxLon, m.maxLat)
				if err != nil {
					return nil, fmt.Errorf("stats/mapgen: %s: %w", m.from, err)
				}
				if !in {
					keep = append(keep, poly)
					continue
				}
				n++
				groups[m.to] = append(groups[m.to], feature{name: m.what, polygons: [][][]int{poly}})
			}
			groups[m.from][gi].polygons = keep
		}
		if n == 0 || len(groups[m.to]) == n {
			return nil, fmt.Errorf("stats/mapgen: moving %s from %s to %s: no polygon found, or no %s to join", m.what, m.from, m.to, m.to)
		}
	}

	p := newProjector()
	var countries []country
	for _, cc := range order {
		var rings [][]point
		if g := groups[cc]; len(g) == 1 {
			for _, poly := range g[0].polygons {
				for _, refs := range poly {
					r, err := topo.ring(refs)
					if err != nil {
						return nil, fmt.Errorf("stats/mapgen: %s: %w", cc, err)
					}
					rings = append(rings, r)
				}
			}
		} else {
			var polys [][][]int
			for _, f := range g {
				polys = append(polys, f.polygons...)
			}
			if rings, err = topo.dissolve(polys); err != nil {
				return nil, fmt.Errorf("stats/mapgen: merging %s: %w", cc, err)
			}
		}
		var cut [][]point
		for _, r := range rings {
			pieces, err := splitAntimeridian(r)
			if err != nil {
				return nil, fmt.Errorf("stats/mapgen: %s: %w", cc, err)
			}
			cut = append(cut, pieces...)
		}
		d := p.path(cut)
		if d == "" {
			return nil, fmt.Errorf("stats/mapgen: %s: no ring survives rounding", cc)
		}
		countries = append(countries, country{CC: cc, Name: names[cc], D: d})
	}
	return encode(countries, names, p)
}

// englishNames reads langs/en.json, whose values are a name or a list of
// names, official first.
func englishNames(b []byte) (map[string]string, error) {
	var doc struct {
		Countries map[string]json.RawMessage `json:"countries"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("stats/mapgen: en.json: %w", err)
	}
	names := map[string]string{}
	for cc, raw := range doc.Countries {
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil {
			var one string
			if err := json.Unmarshal(raw, &one); err != nil {
				return nil, fmt.Errorf("stats/mapgen: en.json: %s: %w", cc, err)
			}
			list = []string{one}
		}
		if len(list) == 0 || len(cc) != 2 {
			return nil, fmt.Errorf("stats/mapgen: en.json: bad entry %q", cc)
		}
		name := list[0]
		if want, ok := preferredName[cc]; ok {
			if !slices.Contains(list, want) {
				return nil, fmt.Errorf("stats/mapgen: en.json: %s has no name %q (got %q)", cc, want, list)
			}
			name = want
		}
		names[cc] = name
	}
	return names, nil
}

// numericCodes reads codes.json: rows of alpha-2, alpha-3, numeric, ...
func numericCodes(b []byte) (map[int]string, error) {
	var rows [][]string
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, fmt.Errorf("stats/mapgen: codes.json: %w", err)
	}
	m := map[int]string{}
	for _, r := range rows {
		if len(r) < 3 {
			return nil, fmt.Errorf("stats/mapgen: codes.json: short row %q", r)
		}
		n, err := strconv.Atoi(r[2])
		if err != nil {
			return nil, fmt.Errorf("stats/mapgen: codes.json: %s: %w", r[0], err)
		}
		m[n] = r[0]
	}
	return m, nil
}

// point is a longitude/latitude pair in degrees before projection, or a
// position in tenths of a viewBox unit after.
type point [2]float64

// topology is a decoded TopoJSON Topology: arcs already turned into
// absolute positions.
type topology struct {
	arcs    [][]point
	objects map[string]json.RawMessage
}

// decodeTopology reads a TopoJSON Topology. With a transform, arc positions
// are quantized and delta-encoded: each position after the first is an
// offset from the one before, in units of the scale.
func decodeTopology(b []byte) (*topology, error) {
	var doc struct {
		Type      string `json:"type"`
		Transform *struct {
			Scale     [2]float64 `json:"scale"`
			Translate [2]float64 `json:"translate"`
		} `json:"transform"`
		Objects map[string]json.RawMessage `json:"objects"`
		Arcs    [][][]float64              `json:"arcs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("stats/mapgen: topojson: %w", err)
	}
	if doc.Type != "Topology" {
		return nil, fmt.Errorf("stats/mapgen: topojson: type %q, want Topology", doc.Type)
	}
	t := &topology{objects: doc.Objects, arcs: make([][]point, len(doc.Arcs))}
	for i, arc := range doc.Arcs {
		if len(arc) < 2 {
			return nil, fmt.Errorf("stats/mapgen: topojson: arc %d has %d positions", i, len(arc))
		}
		pts := make([]point, len(arc))
		var x, y float64
		for j, pos := range arc {
			if len(pos) < 2 {
				return nil, fmt.Errorf("stats/mapgen: topojson: arc %d position %d has %d coordinates", i, j, len(pos))
			}
			if doc.Transform == nil {
				pts[j] = point{pos[0], pos[1]}
				continue
			}
			x += pos[0]
			y += pos[1]
			pts[j] = point{
				x*doc.Transform.Scale[0] + doc.Transform.Translate[0],
				y*doc.Transform.Scale[1] + doc.Transform.Translate[1],
			}
		}
		t.arcs[i] = pts
	}
	return t, nil
}

// feature is one country geometry: polygons of rings of arc references.
type feature struct {
	id       string // as given: "840", or "" when absent
	name     string
	polygons [][][]int
}

// code resolves the feature's ISO 3166-1 alpha-2 code.
func (f feature) code(numeric map[int]string) (string, error) {
	if n, err := strconv.Atoi(f.id); err == nil {
		if cc, ok := numeric[n]; ok {
			return cc, nil
		}
	}
	if cc, ok := unlisted[f.name]; ok {
		return cc, nil
	}
	return "", fmt.Errorf("stats/mapgen: feature %q has id %q, which is no ISO 3166-1 numeric code: add it to unlisted", f.name, f.id)
}

// features reads the named GeometryCollection, skipping null geometries.
func (t *topology) features(object string) ([]feature, error) {
	raw, ok := t.objects[object]
	if !ok {
		return nil, fmt.Errorf("stats/mapgen: topojson: no object %q", object)
	}
	var coll struct {
		Type       string `json:"type"`
		Geometries []struct {
			Type       string          `json:"type"`
			ID         json.RawMessage `json:"id"`
			Properties struct {
				Name string `json:"name"`
			} `json:"properties"`
			Arcs json.RawMessage `json:"arcs"`
		} `json:"geometries"`
	}
	if err := json.Unmarshal(raw, &coll); err != nil {
		return nil, fmt.Errorf("stats/mapgen: topojson: %s: %w", object, err)
	}
	if coll.Type != "GeometryCollection" {
		return nil, fmt.Errorf("stats/mapgen: topojson: %s is a %s, want GeometryCollection", object, coll.Type)
	}
	var feats []feature
	for i, g := range coll.Geometries {
		f := feature{name: g.Properties.Name}
		// The spec allows a string or a number as id.
		if len(g.ID) > 0 && string(g.ID) != "null" {
			var s string
			if err := json.Unmarshal(g.ID, &s); err != nil {
				s = string(g.ID)
			}
			f.id = s
		}
		var err error
		switch g.Type {
		case "Polygon":
			var rings [][]int
			err = json.Unmarshal(g.Arcs, &rings)
			f.polygons = [][][]int{rings}
		case "MultiPolygon":
			err = json.Unmarshal(g.Arcs, &f.polygons)
		case "", "null":
			continue
		default:
			err = fmt.Errorf("type %s is not a polygon", g.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("stats/mapgen: topojson: %s geometry %d (%q): %w", object, i, f.name, err)
		}
		feats = append(feats, f)
	}
	return feats, nil
}

// arc returns the positions of an arc reference: a negative reference ~i
// is arc i reversed. The result may be shared with the topology.
func (t *topology) arc(ref int) ([]point, error) {
	i := ref
	if ref < 0 {
		i = ^ref
	}
	if i >= len(t.arcs) {
		return nil, fmt.Errorf("arc %d out of range (%d arcs)", ref, len(t.arcs))
	}
	if ref >= 0 {
		return t.arcs[i], nil
	}
	rev := slices.Clone(t.arcs[i])
	slices.Reverse(rev)
	return rev, nil
}

// ring joins a ring's arcs: each arc starts where the one before ends, so
// that shared position is kept once.
func (t *topology) ring(refs []int) ([]point, error) {
	var pts []point
	for k, ref := range refs {
		a, err := t.arc(ref)
		if err != nil {
			return nil, err
		}
		if k > 0 {
			a = a[1:]
		}
		pts = append(pts, a...)
	}
	return pts, nil
}

// within reports whether every position of a polygon lies inside a box.
func (t *topology) within(poly [][]int, minLon, minLat, maxLon, maxLat float64) (bool, error) {
	for _, refs := range poly {
		r, err := t.ring(refs)
		if err != nil {
			return false, err
		}
		for _, q := range r {
			if q[0] < minLon || q[0] > maxLon || q[1] < minLat || q[1] > maxLat {
				return false, nil
			}
		}
	}
	return true, nil
}

// dissolve merges polygons into rings that leave out the borders between
// them. Such a border is an arc used twice, once in each direction; the
// arcs used once are chained end to start into closed rings again.
func (t *topology) dissolve(polys [][][]int) ([][]point, error) {
	uses := map[int]int{}
	var refs []int
	for _, poly := range polys {
		for _, ring := range poly {
			for _, ref := range ring {
				i := ref
				if i < 0 {
					i = ^i
				}
				uses[i]++
				refs = append(refs, ref)
			}
		}
	}
	var keep []int
	for _, ref := range refs {
		i := ref
		if i < 0 {
			i = ^i
		}
		if uses[i] == 1 {
			keep = append(keep, ref)
		}
	}
	ends := func(ref int) (point, point, error) {
		a, err := t.arc(ref)
		if err != nil {
			return point{}, point{}, err
		}
		return a[0], a[len(a)-1], nil
	}
	used := make([]bool, len(keep))
	var rings [][]point
	for k := range keep {
		if used[k] {
			continue
		}
		used[k] = true
		chain := []int{keep[k]}
		first, end, err := ends(keep[k])
		if err != nil {
			return nil, err
		}
		for end != first {
			next := -1
			for j := range keep {
				if s, _, _ := ends(keep[j]); !used[j] && s == end {
					next = j
					break
				}
			}
			if next < 0 {
				return nil, fmt.Errorf("open ring at %v", end)
			}
			used[next] = true
			chain = append(chain, keep[next])
			_, end, _ = ends(keep[next])
		}
		r, err := t.ring(chain)
		if err != nil {
			return nil, err
		}
		rings = append(rings, r)
	}
	return rings, nil
}

// splitAntimeridian cuts a closed ring that crosses the 180th meridian
// into one closed ring on each side. world-atlas leaves such rings whole
// (Fiji, Chukotka, Wrangel Island), since d3 clips on the sphere; drawn
// flat they would streak across the map. A ring crosses where consecutive
// longitudes are more than 180° apart; the crossing latitude is
// interpolated, and each side's piece is closed along the meridian. Only
// rings crossing twice are handled: one crossing means a ring around a
// pole (Antarctica, which is dropped), and more are absent from the data.
func splitAntimeridian(r []point) ([][]point, error) {
	if len(r) < 2 || r[0] != r[len(r)-1] {
		return nil, errors.New("ring not closed")
	}
	u := r[:len(r)-1] // unique positions; edge i runs from u[i] to u[i+1 mod n]
	n := len(u)
	var cross []int
	for i := range u {
		if math.Abs(u[(i+1)%n][0]-u[i][0]) > 180 {
			cross = append(cross, i)
		}
	}
	switch len(cross) {
	case 0:
		return [][]point{r}, nil
	case 2:
	default:
		return nil, fmt.Errorf("ring crosses the antimeridian %d times, want 0 or 2", len(cross))
	}
	pieces := make([][]point, 0, 2)
	for k := range 2 {
		i, j := cross[k], cross[1-k]
		_, in := meridianCrossing(u[i], u[(i+1)%n])
		out, _ := meridianCrossing(u[j], u[(j+1)%n])
		pc := []point{in}
		for m := (i + 1) % n; ; m = (m + 1) % n {
			pc = append(pc, u[m])
			if m == j {
				break
			}
		}
		pieces = append(pieces, append(pc, out, in))
	}
	return pieces, nil
}

// meridianCrossing returns where the edge a→b meets the antimeridian, as
// seen from a's side and from b's side (180 and -180, or the reverse).
func meridianCrossing(a, b point) (onA, onB point) {
	m, bl := 180.0, b[0]+360
	if a[0] < 0 {
		m, bl = -180, b[0]-360
	}
	t := 0.0
	if d := bl - a[0]; d != 0 {
		t = (m - a[0]) / d
	}
	lat := a[1] + t*(b[1]-a[1])
	return point{m, lat}, point{-m, lat}
}

// Equal Earth constants (Šavrič, Patterson & Jenny 2018, eq. 2).
const (
	eeA1 = 1.340264
	eeA2 = -0.081106
	eeA3 = 0.000893
	eeA4 = 0.003796
)

var eeM = math.Sqrt(3) / 2

// equalEarth projects longitude and latitude in degrees onto the plane of
// a unit sphere, y growing northwards.
func equalEarth(lon, lat float64) (x, y float64) {
	lam := lon * math.Pi / 180
	th := math.Asin(eeM * math.Sin(lat*math.Pi/180))
	t2 := th * th
	t6 := t2 * t2 * t2
	x = lam * math.Cos(th) / (eeM * (eeA1 + 3*eeA2*t2 + t6*(7*eeA3+9*eeA4*t2)))
	y = th * (eeA1 + eeA2*t2 + t6*(eeA3+eeA4*t2))
	return x, y
}

// projector maps longitude and latitude to viewBox positions in tenths of
// a unit: the whole projected sphere spans width less the margins, and the
// height follows from Equal Earth's aspect ratio (about 2.05:1).
type projector struct {
	xmax, ymax, k float64
	height        float64 // in units, rounded up to a tenth
}

func newProjector() *projector {
	xmax, _ := equalEarth(180, 0)
	_, ymax := equalEarth(0, 90)
	k := (width - 2*margin) / (2 * xmax)
	return &projector{xmax: xmax, ymax: ymax, k: k, height: math.Ceil((2*margin+2*ymax*k)*10) / 10}
}

// tenths returns the projected position in whole tenths of a viewBox unit,
// y growing downwards as in SVG.
func (p *projector) tenths(q point) [2]int {
	x, y := equalEarth(q[0], q[1])
	return [2]int{
		int(math.Round((margin + (x+p.xmax)*p.k) * 10)),
		int(math.Round((margin + (p.ymax-y)*p.k) * 10)),
	}
}

// path projects rings and writes them as SVG path data. Rounding to a
// tenth makes neighbouring positions coincide; repeats are dropped, and so
// are rings left with fewer than three positions.
func (p *projector) path(rings [][]point) string {
	var e pathEncoder
	for _, r := range rings {
		var pts [][2]int
		for _, q := range r {
			t := p.tenths(q)
			if len(pts) == 0 || pts[len(pts)-1] != t {
				pts = append(pts, t)
			}
		}
		for len(pts) > 1 && pts[len(pts)-1] == pts[0] {
			pts = pts[:len(pts)-1]
		}
		if len(pts) < 3 {
			continue
		}
		e.ring(pts)
	}
	return e.b.String()
}

// outline is the projected sphere: the meridians ±180° and the pole lines.
func (p *projector) outline() string {
	var r []point
	for lat := 90; lat >= -90; lat -= 2 {
		r = append(r, point{180, float64(lat)})
	}
	for lat := -90; lat <= 90; lat += 2 {
		r = append(r, point{-180, float64(lat)})
	}
	return p.path([][]point{r})
}

// pathEncoder writes closed subpaths in tenths of a unit, choosing for
// each position the shortest of the absolute and relative line commands
// (L, H, V, l, h, v), leaving out a command letter that repeats, and
// leaving out separators the path grammar does not need ("1-2", ".5.5").
type pathEncoder struct {
	b       strings.Builder
	cur     [2]int // current point
	repeat  byte   // command implied by a bare number, 0 after z
	lastDot bool   // the last number written has a decimal point
	lastNum bool   // the last token written is a number
}

// num formats tenths as a decimal without a redundant zero: 12, 1.5, .5, -.5.
func num(t int) string {
	s := ""
	if t < 0 {
		s, t = "-", -t
	}
	switch i, f := t/10, t%10; {
	case f == 0:
		return s + strconv.Itoa(i)
	case i == 0:
		return s + "." + strconv.Itoa(f)
	default:
		return s + strconv.Itoa(i) + "." + strconv.Itoa(f)
	}
}

// token is one drawing command with its numbers, and the bytes it takes
// after the encoder's current state.
func (e *pathEncoder) token(cmd byte, args ...int) string {
	var b strings.Builder
	lastNum, lastDot := e.lastNum, e.lastDot
	if cmd != e.repeat {
		b.WriteByte(cmd)
		lastNum = false
	}
	for _, a := range args {
		s := num(a)
		if lastNum && s[0] != '-' && !(s[0] == '.' && lastDot) {
			b.WriteByte(' ')
		}
		b.WriteString(s)
		lastNum, lastDot = true, strings.Contains(s, ".")
	}
	return b.String()
}

// emit writes a token chosen by token and updates the state.
func (e *pathEncoder) emit(cmd byte, s string, args []int) {
	e.b.WriteString(s)
	e.repeat = cmd
	switch cmd {
	case 'M':
		e.repeat = 'L'
	case 'm':
		e.repeat = 'l'
	}
	if len(args) > 0 {
		last := num(args[len(args)-1])
		e.lastNum, e.lastDot = true, strings.Contains(last, ".")
	}
}

func (e *pathEncoder) ring(pts [][2]int) {
	start := pts[0]
	if e.b.Len() == 0 {
		args := []int{start[0], start[1]}
		e.emit('M', e.token('M', args...), args)
	} else {
		// After z the current point is the previous subpath's start.
		abs := []int{start[0], start[1]}
		rel := []int{start[0] - e.cur[0], start[1] - e.cur[1]}
		if a, r := e.token('M', abs...), e.token('m', rel...); len(a) < len(r) {
			e.emit('M', a, abs)
		} else {
			e.emit('m', r, rel)
		}
	}
	e.cur = start
	for _, q := range pts[1:] {
		dx, dy := q[0]-e.cur[0], q[1]-e.cur[1]
		type cand struct {
			cmd  byte
			args []int
		}
		// Relative first: on a tie the relative form wins, which keeps
		// the output stable and usually keeps the next token short too.
		var cands []cand
		switch {
		case dy == 0:
			cands = []cand{{'h', []int{dx}}, {'H', []int{q[0]}}}
		case dx == 0:
			cands = []cand{{'v', []int{dy}}, {'V', []int{q[1]}}}
		default:
			cands = []cand{{'l', []int{dx, dy}}, {'L', []int{q[0], q[1]}}}
		}
		best, bestS := cands[0], e.token(cands[0].cmd, cands[0].args...)
		for _, c := range cands[1:] {
			if s := e.token(c.cmd, c.args...); len(s) < len(bestS) {
				best, bestS = c, s
			}
		}
		e.emit(best.cmd, bestS, best.args)
		e.cur = q
	}
	e.b.WriteByte('z')
	e.cur = start
	e.repeat, e.lastNum, e.lastDot = 0, false, false
}

// country is one entry of world.json's countries list.
type country struct {
	CC   string `json:"cc"`
	Name string `json:"name"`
	D    string `json:"d"`
}

// encode writes world.json: one country or name per line, so a change of
// data shows as a readable diff, and keys in a fixed order.
func encode(countries []country, names map[string]string, p *projector) ([]byte, error) {
	type src struct {
		Package string `json:"package"`
		Version string `json:"version"`
		License string `json:"license"`
		Content string `json:"content"`
	}
	header := struct {
		Generator  string  `json:"generator"`
		Sources    []src   `json:"sources"`
		Notes      string  `json:"notes"`
		Projection string  `json:"projection"`
		Width      float64 `json:"width"`
		Height     float64 `json:"height"`
		Outline    string  `json:"outline"`
	}{
		Generator: "go generate ./internal/stats (internal/stats/mapgen)",
		Sources: []src{
			{atlas.name, atlas.version, atlas.license, atlas.note},
			{isoNames.name, isoNames.version, isoNames.license, isoNames.note},
		},
		Notes:      "Antarctica (AQ) omitted; Kosovo as XK; N. Cyprus merged into CY, Somaliland into SO and Crimea into UA, following ISO 3166; coordinates rounded to 0.1",
		Projection: "Equal Earth (Šavrič, Patterson & Jenny 2018)",
		Width:      width,
		Height:     p.height,
		Outline:    p.outline(),
	}
	var buf bytes.Buffer
	enc := func(v any) error {
		b, err := marshal(v)
		buf.Write(b)
		return err
	}
	if err := enc(header); err != nil {
		return nil, err
	}
	// Reopen the header object to append the two lists.
	buf.Truncate(buf.Len() - 1)
	buf.WriteString(",\n\"countries\":[\n")
	for i, c := range countries {
		if err := enc(c); err != nil {
			return nil, err
		}
		if i < len(countries)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("],\n\"names\":{\n")
	codes := make([]string, 0, len(names))
	for cc := range names {
		codes = append(codes, cc)
	}
	slices.Sort(codes)
	for i, cc := range codes {
		if err := enc(cc); err != nil {
			return nil, err
		}
		buf.WriteByte(':')
		if err := enc(names[cc]); err != nil {
			return nil, err
		}
		if i < len(codes)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("}}\n")
	return buf.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping, so names read as written.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, fmt.Errorf("stats/mapgen: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
