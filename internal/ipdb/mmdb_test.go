package ipdb

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// epoch is the build time of the fixtures: 2024-05-01 12:00 UTC.
const epoch = 1714564800

func geoCountry(cc string) map[string]any {
	return map[string]any{
		"geoname_id":           uint32(2921044),
		"is_in_european_union": cc == "DE" || cc == "FR",
		"iso_code":             cc,
		"names":                map[string]any{"en": "Name of " + cc, "de": "Name von " + cc},
	}
}

// mmFixtures are the test databases kept in testdata/: every one is made
// by writeMMDB, never taken from a vendor.
var mmFixtures = []struct {
	file string
	opt  mmOptions
	nets []mmNet
	want []rangeRow
	id   string
}{
	{
		file: "country-v6-rs28.mmdb",
		opt:  mmOptions{ipVersion: 6, recordSize: 28, dbType: "Concord-Test-Country", description: "country fixture", buildEpoch: epoch, aliases: true},
		nets: []mmNet{
			{"1.0.0.0/24", map[string]any{"country": geoCountry("AU"), "registered_country": geoCountry("AU"), "continent": map[string]any{"code": "OC"}}},
			{"1.0.1.0/24", map[string]any{"country": geoCountry("AU")}}, // merges with the previous
			{"2.0.0.0/8", map[string]any{"registered_country": geoCountry("FR")}},
			{"81.2.69.160/27", map[string]any{"country": geoCountry("GB"), "traits": map[string]any{"is_anycast": true}}},
			{"255.255.255.255/32", map[string]any{"country": geoCountry("ZZ")}},
			{"2001:db8::/32", map[string]any{"country": geoCountry("DE")}},
			{"2a00::/12", map[string]any{"country": map[string]any{"names": map[string]any{"en": "no code"}}}},
			{"2c0f:fff0::/32", map[string]any{"country": geoCountry("NG")}},
		},
		want: []rangeRow{
			{"1.0.0.0", "1.0.1.255", Result{CC: "AU"}},
			{"2.0.0.0", "2.255.255.255", Result{CC: "FR"}},
			{"81.2.69.160", "81.2.69.191", Result{CC: "GB"}},
			{"255.255.255.255", "255.255.255.255", Result{CC: "ZZ"}},
			{"2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", Result{CC: "DE"}},
			{"2c0f:fff0::", "2c0f:fff0:ffff:ffff:ffff:ffff:ffff:ffff", Result{CC: "NG"}},
		},
		id: "Concord-Test-Country@2024-05-01",
	},
	{
		file: "asn-v4-rs24.mmdb",
		opt:  mmOptions{ipVersion: 4, recordSize: 24, dbType: "Concord-Test-ASN", buildEpoch: epoch},
		nets: []mmNet{
			{"1.0.0.0/24", map[string]any{"autonomous_system_number": uint32(13335), "autonomous_system_organization": "Cloudflare, Inc."}},
			{"8.8.8.0/24", map[string]any{"autonomous_system_number": uint32(15169), "autonomous_system_organization": "Google LLC"}},
			{"8.8.9.0/24", map[string]any{"autonomous_system_number": uint64(15169)}},
			{"9.0.0.0/8", map[string]any{"autonomous_system_organization": "no number"}},
			{"128.0.0.0/1", map[string]any{"autonomous_system_number": uint16(64512), "autonomous_system_organization": "Upper half"}},
		},
		want: []rangeRow{
			{"1.0.0.0", "1.0.0.255", Result{ASN: 13335, ASName: "Cloudflare, Inc."}},
			{"8.8.8.0", "8.8.9.255", Result{ASN: 15169, ASName: "Google LLC"}},
			{"128.0.0.0", "255.255.255.255", Result{ASN: 64512, ASName: "Upper half"}},
		},
		id: "Concord-Test-ASN@2024-05-01",
	},
	{
		file: "ipinfo-v6-rs32.mmdb",
		opt:  mmOptions{ipVersion: 6, recordSize: 32, dbType: "ipinfo ipinfo_lite.mmdb", buildEpoch: epoch},
		nets: []mmNet{
			{"1.1.1.0/24", map[string]any{"asn": "AS13335", "as_name": "Cloudflare, Inc.", "as_domain": "cloudflare.com", "country": "Australia", "country_code": "AU", "continent": "Oceania", "continent_code": "OC"}},
			{"5.0.0.0/8", map[string]any{"country": "SE"}},
			{"2001:4860::/32", map[string]any{"asn": "AS15169", "name": "Google LLC", "country_code": "US"}},
			{"2a00::/16", map[string]any{"asn": uint32(64500)}},
			{"2a01::/16", map[string]any{"asn": "not an ASN", "country_code": "X"}},
		},
		want: []rangeRow{
			{"1.1.1.0", "1.1.1.255", Result{"AU", 13335, "Cloudflare, Inc."}},
			{"5.0.0.0", "5.255.255.255", Result{CC: "SE"}},
			{"2001:4860::", "2001:4860:ffff:ffff:ffff:ffff:ffff:ffff", Result{"US", 15169, "Google LLC"}},
			{"2a00::", "2a00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Result{ASN: 64500}},
		},
		id: "ipinfo ipinfo_lite.mmdb@2024-05-01",
	},
	{
		// Every data type, in fields LoadMMDB skips.
		file: "city-v6-rs24.mmdb",
		opt:  mmOptions{ipVersion: 6, recordSize: 24, dbType: "Concord-Test-City", buildEpoch: epoch, aliases: true},
		nets: []mmNet{
			{"81.0.0.0/8", map[string]any{
				"city":         map[string]any{"names": map[string]any{"en": strings.Repeat("long name ", 40)}},
				"location":     map[string]any{"latitude": 51.5, "longitude": -0.25, "accuracy_radius": uint16(100)},
				"float":        float32(1.5),
				"bytes":        []byte{0, 1, 2},
				"int":          int32(-7),
				"big":          mmU128{1, 2},
				"u64":          uint64(1 << 40),
				"subdivisions": []any{map[string]any{"iso_code": "ENG"}, map[string]any{"iso_code": "LND"}},
				"country":      geoCountry("GB"),
				"empty":        map[string]any{},
				"false":        false,
				"huge":         strings.Repeat("x", 70000),
			}},
			{"2a02::/16", map[string]any{"country": geoCountry("GB"), "registered_country": geoCountry("DE")}},
		},
		want: []rangeRow{
			{"81.0.0.0", "81.255.255.255", Result{CC: "GB"}},
			{"2a02::", "2a02:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Result{CC: "GB"}},
		},
		id: "Concord-Test-City@2024-05-01",
	},
}

func TestMMDBFixtures(t *testing.T) {
	for _, fx := range mmFixtures {
		t.Run(fx.file, func(t *testing.T) {
			path := filepath.Join("testdata", fx.file)
			made := writeMMDB(fx.opt, fx.nets)
			if *update {
				if err := os.WriteFile(path, made, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, made) {
				t.Errorf("%s is not what writeMMDB makes now; run go test -run TestMMDBFixtures -update", path)
			}
			db, err := LoadMMDB(b, "")
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, db, fx.want)
			if db.ID() != fx.id {
				t.Errorf("ID = %q, want %q", db.ID(), fx.id)
			}
			if want := time.Unix(epoch, 0).UTC(); !db.Info().Built.Equal(want) {
				t.Errorf("Built = %v, want %v", db.Info().Built, want)
			}
			named, err := LoadMMDB(b, "ops-geo")
			if err != nil || !strings.HasPrefix(named.ID(), "ops-geo@") {
				t.Errorf("named: %v, %v", named, err)
			}
		})
	}
}

// TestMMDBRecordSizes loads the same networks written with each record
// size and IP version.
func TestMMDBRecordSizes(t *testing.T) {
	nets := mmFixtures[0].nets[:5] // IPv4 only
	want := mmFixtures[0].want[:4]
	for _, v := range []int{4, 6} {
		for _, rs := range []int{24, 28, 32} {
			db, err := LoadMMDB(writeMMDB(mmOptions{ipVersion: v, recordSize: rs, aliases: v == 6}, nets), "x")
			if err != nil {
				t.Fatalf("ip_version %d record size %d: %v", v, rs, err)
			}
			checkRows(t, db, want)
		}
	}
}

// TestMMDBLargeRecords uses more nodes and a larger data section than the
// fixtures, so that records and pointers need more bits.
func TestMMDBLargeRecords(t *testing.T) {
	var nets []mmNet
	var want []rangeRow
	for i := range 3000 {
		cc := string([]byte{'A' + byte(i/26%26), 'A' + byte(i%26)})
		first := netip.AddrFrom4([4]byte{10 + byte(i>>8), byte(i), 0, 0})
		last := netip.AddrFrom4([4]byte{10 + byte(i>>8), byte(i), 255, 255})
		nets = append(nets, mmNet{
			netip.PrefixFrom(first, 16).String(),
			map[string]any{"country": map[string]any{"iso_code": cc}, "pad": strings.Repeat("p", i%700), "n": uint32(i)},
		})
		if n := len(want); n > 0 && want[n-1].CC == cc {
			want[n-1].Last = last.String()
			continue
		}
		want = append(want, rangeRow{first.String(), last.String(), Result{CC: cc}})
	}
	for _, rs := range []int{24, 28, 32} {
		db, err := LoadMMDB(writeMMDB(mmOptions{ipVersion: 6, recordSize: rs, aliases: true}, nets), "x")
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, db, want)
	}
}

// rawMMDB assembles a file from 24-bit node records, a data section and
// metadata fields (merged over valid defaults; a nil value removes a key).
func rawMMDB(nodes [][2]uint32, data []byte, meta map[string]any) []byte {
	var out bytes.Buffer
	for _, n := range nodes {
		l, r := n[0], n[1]
		out.Write([]byte{byte(l >> 16), byte(l >> 8), byte(l), byte(r >> 16), byte(r >> 8), byte(r)})
	}
	out.Write(make([]byte, 16))
	out.Write(data)
	out.WriteString(mmMarker)
	m := map[string]any{
		"binary_format_major_version": uint16(2),
		"build_epoch":                 uint64(epoch),
		"database_type":               "raw",
		"ip_version":                  uint16(4),
		"node_count":                  uint32(len(nodes)),
		"record_size":                 uint16(24),
	}
	for k, v := range meta {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	var enc mmEncoder
	enc.value(m)
	out.Write(enc.buf.Bytes())
	return out.Bytes()
}

// ccRecord is a data section holding {"country": {"iso_code": "DE"}}.
func ccRecord() []byte {
	var enc mmEncoder
	enc.value(map[string]any{"country": map[string]any{"iso_code": "DE"}})
	return enc.buf.Bytes()
}

func TestLoadMMDBRaw(t *testing.T) {
	// One node: 0.0.0.0/1 has no data, 128.0.0.0/1 is DE.
	db, err := LoadMMDB(rawMMDB([][2]uint32{{1, 1 + 16}}, ccRecord(), nil), "")
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, db, []rangeRow{{"128.0.0.0", "255.255.255.255", Result{CC: "DE"}}})
	if db.ID() != "raw@2024-05-01" {
		t.Errorf("ID = %q", db.ID())
	}

	// An IPv6 tree whose first record holds ::/1 as a whole, so all of
	// IPv4 and the rest of ::/1 share one value.
	db, err = LoadMMDB(rawMMDB([][2]uint32{{1 + 16, 1}}, ccRecord(), map[string]any{"ip_version": uint16(6)}), "")
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, db, []rangeRow{
		{"0.0.0.0", "255.255.255.255", Result{CC: "DE"}},
		{"::1:0:0", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Result{CC: "DE"}},
	})
}

func TestLoadMMDBErrors(t *testing.T) {
	good := rawMMDB([][2]uint32{{1, 17}}, ccRecord(), nil)
	if _, err := LoadMMDB(good, ""); err != nil {
		t.Fatal(err)
	}
	var deep mmEncoder // a map nested 40 deep in a field LoadMMDB skips
	v := any("x")
	for range 40 {
		v = map[string]any{"k": v}
	}
	deep.value(map[string]any{"other": v})
	var ptrToPtr []byte // record → pointer to a pointer
	ptrToPtr = append(ptrToPtr, mmPointerBytes(2)...)
	ptrToPtr = append(ptrToPtr, mmPointerBytes(0)...)
	// Every node's two records point to the next node: 2^32 paths.
	var fan [][2]uint32
	for i := range 31 {
		fan = append(fan, [2]uint32{uint32(i + 1), uint32(i + 1)})
	}
	fan = append(fan, [2]uint32{32 + 16, 32 + 16})
	sepBroken := bytes.Clone(good)
	sepBroken[6+3] = 1

	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "no metadata marker"},
		{"not mmdb", []byte("hello world"), "no metadata marker"},
		{"metadata not a map", append([]byte(mmMarker), 0x43, 'a', 'b', 'c'), "metadata: not a map"},
		{"metadata truncated", append([]byte(mmMarker), 0xe5), "metadata: value runs past the end"},
		{"format version", rawMMDB([][2]uint32{{1, 1}}, nil, map[string]any{"binary_format_major_version": uint16(3)}), "unsupported format version 3"},
		{"no format version", rawMMDB([][2]uint32{{1, 1}}, nil, map[string]any{"binary_format_major_version": nil}), "unsupported format version 0"},
		{"record size", rawMMDB([][2]uint32{{1, 1}}, nil, map[string]any{"record_size": uint16(20)}), "unsupported record size 20"},
		{"ip version", rawMMDB([][2]uint32{{1, 1}}, nil, map[string]any{"ip_version": uint16(5)}), "unsupported IP version 5"},
		{"node count", rawMMDB([][2]uint32{{1, 1}}, nil, map[string]any{"node_count": uint32(1 << 30)}), "node count 1073741824 does not fit"},
		{"no node count", rawMMDB([][2]uint32{{1, 1}}, nil, map[string]any{"node_count": nil}), "node count 0"},
		{"separator", sepBroken, "no 16-byte zero separator"},
		{"record beyond data", rawMMDB([][2]uint32{{1, 1 + 16 + 500}}, ccRecord(), nil), "points outside the data section"},
		{"record inside separator", rawMMDB([][2]uint32{{1, 1 + 3}}, ccRecord(), nil), "points outside the data section"},
		{"data truncated", rawMMDB([][2]uint32{{1, 17}}, ccRecord()[:8], nil), "runs past the end"},
		{"pointer to pointer", rawMMDB([][2]uint32{{1, 17}}, ptrToPtr, nil), "pointer to a pointer"},
		{"nested too deep", rawMMDB([][2]uint32{{1, 17}}, deep.buf.Bytes(), nil), "nested too deeply"},
		{"cycle", rawMMDB([][2]uint32{{0, 0}}, nil, nil), "deeper than 32 bits"},
		{"shared nodes", rawMMDB(fan, ccRecord(), nil), "revisits nodes"},
		{"map key not a string", rawMMDB([][2]uint32{{1, 17}}, []byte{0xe1, 0xa1, 'x', 0x41, 'y'}, nil), "map key is not a string"},
		{"reserved type", rawMMDB([][2]uint32{{1, 17}}, []byte{0xe1, 0x41, 'k', 0x00, 0x05}, nil), "not allowed"},
		{"bad extended type", rawMMDB([][2]uint32{{1, 17}}, []byte{0xe1, 0x41, 'k', 0x00, 0x30}, nil), "invalid extended type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := LoadMMDB(tt.in, "")
			if err == nil {
				t.Fatalf("LoadMMDB succeeded: %v", db.rangeRows())
			}
			if !strings.HasPrefix(err.Error(), "ipdb: mmdb: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestMMDecoder(t *testing.T) {
	// Pointers of every size, to strings placed at their targets.
	buf := make([]byte, 600000)
	put := func(off int, s string) {
		buf[off] = byte(mmString<<5 | len(s))
		copy(buf[off+1:], s)
	}
	put(7, "seven")
	put(3000, "three thousand")
	put(590000, "far")
	copy(buf[20:], mmPointerBytes(7))
	copy(buf[30:], mmPointerBytes(3000))
	copy(buf[40:], mmPointerBytes(590000))
	copy(buf[50:], []byte{0x38, 0, 0, 0, 7}) // 32-bit form
	d := &mmDecoder{b: buf, steps: 1000}
	for _, tt := range []struct {
		off, next int
		want      string
	}{{20, 22, "seven"}, {30, 33, "three thousand"}, {40, 44, "far"}, {50, 55, "seven"}} {
		s, ok, next, err := d.str(tt.off)
		if err != nil || !ok || s != tt.want || next != tt.next {
			t.Errorf("str(%d) = %q, %v, %d, %v; want %q, next %d", tt.off, s, ok, next, err, tt.want, tt.next)
		}
	}
	// Two zero bytes are an extended type of number 7, which is none.
	if _, _, _, err := d.header(60); err == nil || !strings.Contains(err.Error(), "invalid extended type 7") {
		t.Errorf("header of zero bytes: %v", err)
	}
	bad := &mmDecoder{b: []byte{0x38, 0xff, 0, 0, 0}, steps: 10}
	if _, _, _, err := bad.str(0); err == nil || !strings.Contains(err.Error(), "outside its section") {
		t.Errorf("pointer past the end: %v", err)
	}

	// Long strings use the extended size forms.
	for _, n := range []int{28, 29, 284, 285, 65820, 65821, 70000} {
		var e mmEncoder
		e.value(strings.Repeat("s", n))
		d := &mmDecoder{b: e.buf.Bytes(), steps: 10}
		s, ok, next, err := d.str(0)
		if err != nil || !ok || len(s) != n || next != len(d.b) {
			t.Errorf("string of %d: len %d, %v, next %d of %d, %v", n, len(s), ok, next, len(d.b), err)
		}
	}

	// Integers.
	for _, tt := range []struct {
		v    any
		want uint64
		ok   bool
	}{
		{uint16(513), 513, true},
		{uint32(1 << 31), 1 << 31, true},
		{uint64(1<<64 - 1), 1<<64 - 1, true},
		{mmU128{0, 42}, 42, true},
		{mmU128{1, 0}, 0, false},
		{int32(77), 77, true},
		{int32(-1), 0, false},
		{"12", 0, false},
		{1.5, 0, false},
	} {
		var e mmEncoder
		e.value(tt.v)
		d := &mmDecoder{b: e.buf.Bytes(), steps: 10}
		x, ok, next, err := d.uint(0)
		if err != nil || ok != tt.ok || ok && x != tt.want || next != len(d.b) {
			t.Errorf("uint(%#v) = %d, %v, next %d of %d, %v", tt.v, x, ok, next, len(d.b), err)
		}
	}

	// Sizes a type cannot have.
	for _, b := range [][]byte{
		{0x67, 0, 0, 0, 0, 0, 0, 0}, // double of 7 bytes
		{0x03, 0x08, 0, 0, 0},       // float of 3 bytes
		{0xa3, 0, 0, 0},             // uint16 of 3 bytes
		{0x02, 0x07, 1, 2, 3, 4, 5}, // boolean of value 2
		{0x09, 0x02},                // uint128 of 17 bytes, cut short
	} {
		d := &mmDecoder{b: b, steps: 10}
		if _, err := d.skip(0, 0); err == nil {
			t.Errorf("skip(% x) succeeded", b)
		}
	}
}

func FuzzLoadMMDB(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "perl-writer-rs24.mmdb")); err == nil {
		f.Add(b)
	}
	for _, fx := range mmFixtures {
		if fx.file != "city-v6-rs24.mmdb" {
			f.Add(writeMMDB(fx.opt, fx.nets))
		}
	}
	f.Add(rawMMDB([][2]uint32{{1, 17}}, ccRecord(), nil))
	f.Add(rawMMDB([][2]uint32{{1 + 16, 1}}, ccRecord(), map[string]any{"ip_version": uint16(6)}))
	addrs := randomAddrs(32)
	f.Fuzz(func(t *testing.T, b []byte) {
		db, err := LoadMMDB(b, "")
		if err != nil {
			return
		}
		for _, ip := range addrs {
			db.Lookup(ip)
		}
		if _, err := Decode(encode(t, db)); err != nil {
			t.Fatalf("a loaded DB does not survive encoding: %v", err)
		}
	})
}

// TestLoadMMDBPerlWriter reads files made by MaxMind's Perl writer (see
// testdata/perl-writer.pl): another implementation's idea of the format,
// with its own pointer use, node order and IPv4 aliases.
func TestLoadMMDBPerlWriter(t *testing.T) {
	for _, rs := range []string{"24", "32"} {
		t.Run("rs"+rs, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "perl-writer-rs"+rs+".mmdb"))
			if err != nil {
				t.Fatal(err)
			}
			db, err := LoadMMDB(b, "")
			if err != nil {
				t.Fatal(err)
			}
			if db.ID() != "Perl-Test-"+rs+"@2024-05-01" {
				t.Errorf("ID = %q", db.ID())
			}
			var want []rangeRow
			for n := range 300 {
				first := netip.AddrFrom4([4]byte{byte(1 + n/256), byte(n % 256), 0, 0})
				last := netip.AddrFrom4([4]byte{byte(1 + n/256), byte(n % 256), 255, 255})
				want = append(want, rangeRow{first.String(), last.String(), Result{
					CC:     string([]byte{byte('A' + n%26), byte('A' + n/26%26)}),
					ASN:    uint32(64000 + n%50),
					ASName: "Org " + strconv.Itoa(n%50),
				}})
			}
			want = append(want,
				rangeRow{"2a00::", "2a00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Result{CC: "DE", ASN: 3320}},
				rangeRow{"2c0f:f000::", "2c0f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Result{CC: "ZA"}},
			)
			checkRows(t, db, want)
			// The writer aliased ::ffff:0:0/96 and 2002::/16 to IPv4.
			if got := db.Lookup(netip.MustParseAddr("::ffff:1.2.3.4")); got.CC != "CA" {
				t.Errorf("IPv4-mapped lookup = %+v", got)
			}
		})
	}
}
