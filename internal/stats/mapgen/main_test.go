package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func tinyTopology(t *testing.T) *topology {
	t.Helper()
	topo, err := decodeTopology(readFixture(t, "tiny.topojson"))
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

func TestRingDecodesDeltasAndReversal(t *testing.T) {
	topo := tinyTopology(t)
	tests := []struct {
		name string
		refs []int
		want []point
	}{
		{"forward arcs", []int{0, 1}, []point{{10, 0}, {10, 10}, {0, 10}, {0, 0}, {10, 0}}},
		{"reversed arc", []int{2, -1}, []point{{10, 0}, {20, 0}, {20, 10}, {10, 10}, {10, 0}}},
		{"one closed arc", []int{4}, []point{{10, 60}, {15, 60}, {15, 65}, {10, 65}, {10, 60}}},
	}
	for _, tt := range tests {
		got, err := topo.ring(tt.refs)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: ring(%v) = %v, want %v", tt.name, tt.refs, got, tt.want)
		}
	}
	if _, err := topo.ring([]int{99}); err == nil {
		t.Error("ring accepted an arc index out of range")
	}
}

func TestDissolveDropsSharedBorder(t *testing.T) {
	topo := tinyTopology(t)
	rings, err := topo.dissolve([][][]int{{{0, 1}}, {{2, -1}}})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]point{{{10, 10}, {0, 10}, {0, 0}, {10, 0}, {20, 0}, {20, 10}, {10, 10}}}
	if len(rings) != 1 || !slices.Equal(rings[0], want[0]) {
		t.Errorf("dissolve = %v, want %v", rings, want)
	}
}

func TestSplitAntimeridian(t *testing.T) {
	tests := []struct {
		name string
		ring []point
		want [][]point
	}{
		{
			name: "no crossing",
			ring: []point{{0, 0}, {1, 0}, {1, 1}, {0, 0}},
			want: [][]point{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}},
		},
		{
			name: "two crossings",
			ring: []point{{179, -16}, {-179, -16}, {-179, -18}, {179, -18}, {179, -16}},
			want: [][]point{
				{{-180, -16}, {-179, -16}, {-179, -18}, {-180, -18}, {-180, -16}},
				{{180, -18}, {179, -18}, {179, -16}, {180, -16}, {180, -18}},
			},
		},
		{
			name: "crossing at a vertex on the meridian",
			ring: []point{{178, 70}, {-180, 70}, {-178, 72}, {-180, 71}, {178, 71}, {178, 70}},
			want: [][]point{
				{{-180, 70}, {-180, 70}, {-178, 72}, {-180, 71}, {-180, 71}, {-180, 70}},
				{{180, 71}, {178, 71}, {178, 70}, {180, 70}, {180, 71}},
			},
		},
	}
	for _, tt := range tests {
		got, err := splitAntimeridian(tt.ring)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(got) != len(tt.want) {
			t.Fatalf("%s: %d pieces, want %d: %v", tt.name, len(got), len(tt.want), got)
		}
		for i := range got {
			if !slices.Equal(got[i], tt.want[i]) {
				t.Errorf("%s: piece %d = %v, want %v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
	// A ring around a pole crosses once; it cannot be cut into two.
	if _, err := splitAntimeridian([]point{{-180, -85}, {0, -85}, {180, -85}, {-180, -85}}); err == nil {
		t.Error("a ring crossing once was accepted")
	}
}

func TestEqualEarth(t *testing.T) {
	m := math.Sqrt(3) / 2
	tests := []struct{ lon, lat, x, y float64 }{
		{0, 0, 0, 0},
		// On the equator θ = 0, so x = λ / (M·A1).
		{180, 0, math.Pi / (m * eeA1), 0},
		{-90, 0, -math.Pi / 2 / (m * eeA1), 0},
		// At the pole θ = asin(M) = π/3 and x is zero on the central meridian.
		{0, 90, 0, math.Pi / 3 * (eeA1 + eeA2*math.Pow(math.Pi/3, 2) + math.Pow(math.Pi/3, 6)*(eeA3+eeA4*math.Pow(math.Pi/3, 2)))},
		// Reference value computed independently from the paper's equations.
		{10, 50, 0.1240350, 0.9415402},
	}
	for _, tt := range tests {
		x, y := equalEarth(tt.lon, tt.lat)
		if math.Abs(x-tt.x) > 1e-6 || math.Abs(y-tt.y) > 1e-6 {
			t.Errorf("equalEarth(%v, %v) = (%.7f, %.7f), want (%.7f, %.7f)", tt.lon, tt.lat, x, y, tt.x, tt.y)
		}
		// The projection is symmetric about both axes.
		if nx, ny := equalEarth(-tt.lon, -tt.lat); nx != -x || ny != -y {
			t.Errorf("equalEarth(%v, %v) is not the mirror image", -tt.lon, -tt.lat)
		}
	}
}

func TestProjectorOrientation(t *testing.T) {
	p := newProjector()
	centre := p.tenths(point{0, 0})
	if centre[0] != 5000 || math.Abs(float64(centre[1])-p.height*5) > 1 {
		t.Errorf("(0, 0) at %v, want the middle of %v", centre, p.height)
	}
	if west := p.tenths(point{-180, 0}); west[0] != margin*10 {
		t.Errorf("180°W at x %d, want the margin", west[0])
	}
	if north := p.tenths(point{0, 60}); north[1] >= centre[1] {
		t.Errorf("60°N at y %d, below the equator at %d", north[1], centre[1])
	}
}

func TestPathEncoder(t *testing.T) {
	tests := []struct {
		name  string
		rings [][][2]int
		want  string
	}{
		// After M a bare pair means L, so "1 1" beats "l.5.5".
		{"h, v and the shorter of H", [][][2]int{{{0, 0}, {10, 0}, {10, 10}, {0, 10}}}, "M0 0h1v1H0z"},
		{"decimals share a dot", [][][2]int{{{5, 5}, {10, 10}, {15, 5}}}, "M.5.5 1 1l.5-.5z"},
		{"minus needs no space", [][][2]int{{{1000, 1000}, {1052, 980}, {1104, 1000}}}, "M100 100l5.2-2 5.2 2z"},
		{"absolute while shorter", [][][2]int{{{9000, 10}, {15, 20}, {9000, 30}}}, "M900 1 1.5 2 900 3z"},
		{"relative where shorter", [][][2]int{{{5555, 5555}, {5560, 5550}, {5565, 5555}}}, "M555.5 555.5l.5-.5.5.5z"},
		{"second ring relative to first start", [][][2]int{{{0, 0}, {10, 0}, {0, 10}}, {{20, 20}, {30, 20}, {20, 30}}}, "M0 0h1L0 1zm2 2h1L2 3z"},
	}
	for _, tt := range tests {
		var e pathEncoder
		for _, r := range tt.rings {
			e.ring(r)
		}
		if got := e.b.String(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestNum(t *testing.T) {
	tests := []struct {
		in   int
		want string
	}{{0, "0"}, {5, ".5"}, {-5, "-.5"}, {10, "1"}, {123, "12.3"}, {-123, "-12.3"}, {-120, "-12"}}
	for _, tt := range tests {
		if got := num(tt.in); got != tt.want {
			t.Errorf("num(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func buildTiny(t *testing.T) []byte {
	t.Helper()
	moves := []move{{"test island", "NO", "CY", 19, 69, 26, 76}}
	b, err := build(readFixture(t, "tiny.topojson"), readFixture(t, "codes.json"), readFixture(t, "en.json"), moves)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBuildTiny(t *testing.T) {
	out := buildTiny(t)
	if again := buildTiny(t); !bytes.Equal(out, again) {
		t.Error("two builds of the same input differ")
	}
	var doc struct {
		Width, Height float64
		Countries     []country
		Names         map[string]string
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	var codes []string
	paths := map[string]string{}
	for _, c := range doc.Countries {
		codes = append(codes, c.CC)
		paths[c.CC] = c.D
	}
	// Antarctica is dropped, N. Cyprus merged into Cyprus, Norway's -99
	// resolved by name.
	if want := []string{"CY", "FJ", "NO"}; !slices.Equal(codes, want) {
		t.Errorf("countries %v, want %v", codes, want)
	}
	if doc.Width != width || doc.Height <= 480 || doc.Height >= 500 {
		t.Errorf("size %v×%v", doc.Width, doc.Height)
	}
	// Cyprus: the dissolved square pair plus the island moved from Norway.
	if n := strings.Count(strings.ToLower(paths["CY"]), "m"); n != 2 {
		t.Errorf("CY has %d subpaths, want 2: %s", n, paths["CY"])
	}
	if n := strings.Count(strings.ToLower(paths["NO"]), "m"); n != 1 {
		t.Errorf("NO has %d subpaths, want 1: %s", n, paths["NO"])
	}
	// Fiji is cut in two, one piece at each edge of the map.
	if n := strings.Count(strings.ToLower(paths["FJ"]), "m"); n != 2 {
		t.Errorf("FJ has %d subpaths, want 2: %s", n, paths["FJ"])
	}
	p := newProjector()
	start := p.tenths(point{10, 10})
	if want := "M" + num(start[0]) + " " + num(start[1]); !strings.HasPrefix(paths["CY"], want) {
		t.Errorf("CY path %q does not start at %q", paths["CY"], want)
	}
	if doc.Names["HK"] != "Hong Kong" || doc.Names["US"] != "United States" || len(doc.Names) != 6 {
		t.Errorf("names %v", doc.Names)
	}
}

func TestBuildRejects(t *testing.T) {
	topo := string(readFixture(t, "tiny.topojson"))
	codes, en := readFixture(t, "codes.json"), readFixture(t, "en.json")
	tests := []struct {
		name  string
		topo  string
		moves []move
		want  string
	}{
		{"unknown feature", strings.Replace(topo, `"id": "242", "properties": {"name": "Fiji"}`, `"id": "-99", "properties": {"name": "Atlantis"}`, 1), nil, "Atlantis"},
		{"move finding nothing", topo, []move{{"x", "NO", "CY", 100, 0, 101, 1}}, "moving x"},
		{"not a topology", `{"type":"FeatureCollection"}`, nil, "want Topology"},
	}
	for _, tt := range tests {
		_, err := build([]byte(tt.topo), codes, en, tt.moves)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tt.name, err, tt.want)
		}
	}
}

func TestUntar(t *testing.T) {
	if _, err := untar([]byte("not gzip"), []string{"package.json"}); err == nil {
		t.Error("untar accepted garbage")
	}
}

// FuzzDecodeTopology feeds arbitrary documents through everything the
// generator does with a topology: decoding, ring assembly, dissolving,
// cutting at the antimeridian and writing path data. None may panic or
// loop; errors are fine.
func FuzzDecodeTopology(f *testing.F) {
	f.Add(readFixture(f, "tiny.topojson"))
	f.Add([]byte(`{"type":"Topology","objects":{"countries":{"type":"GeometryCollection","geometries":[{"type":"Polygon","arcs":[[0,-1]]}]}},"arcs":[[[0,0],[1,1]]]}`))
	p := newProjector()
	f.Fuzz(func(t *testing.T, doc []byte) {
		topo, err := decodeTopology(doc)
		if err != nil {
			return
		}
		feats, err := topo.features("countries")
		if err != nil {
			return
		}
		var polys [][][]int
		for _, ft := range feats {
			for _, poly := range ft.polygons {
				polys = append(polys, poly)
				for _, refs := range poly {
					r, err := topo.ring(refs)
					if err != nil {
						continue
					}
					if pieces, err := splitAntimeridian(r); err == nil {
						p.path(pieces)
					}
				}
			}
		}
		if rings, err := topo.dissolve(polys); err == nil {
			p.path(rings)
		}
	})
}
