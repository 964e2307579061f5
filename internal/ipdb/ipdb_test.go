package ipdb

import (
	"flag"
	"io"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the MMDB fixtures in testdata/")

// rangeRow is one range of a DB with data, for comparing tables in tests.
type rangeRow struct {
	First, Last string
	Result
}

// rangeRows lists the DB's ranges that carry data, IPv4 first.
func (db *DB) rangeRows() []rangeRow {
	var out []rangeRow
	add := func(fam int, segs []seg, max u128) {
		for i, s := range segs {
			if s.v == (val{}) {
				continue
			}
			last := max
			if i+1 < len(segs) {
				last = segs[i+1].start.dec()
			}
			out = append(out, rangeRow{keyAddr(fam, s.start).String(), keyAddr(fam, last).String(),
				db.values[db.indexOf(fam, s.start)]})
		}
	}
	add(4, db.segs4(), max4)
	add(6, db.segs6(), max6)
	return out
}

// indexOf returns the value index of the range holding k.
func (db *DB) indexOf(fam int, k u128) uint32 {
	if fam == 4 {
		return db.v4.find(uint32(k.lo))
	}
	return db.v6.find(k.hi, k.lo)
}

func mustDefault(t testing.TB) *DB {
	t.Helper()
	db, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestDefaultLookup(t *testing.T) {
	db := mustDefault(t)
	cloudflare := Result{"AU", 13335, "Cloudflare, Inc."}
	google := Result{"US", 15169, "Google LLC"}
	tests := []struct {
		ip   string
		want Result
	}{
		// Well-known resolvers, as ip-location-db 2.3.2026061719 places them.
		{"1.1.1.1", cloudflare},
		{"8.8.8.8", google},
		{"9.9.9.9", Result{"US", 19281, "Quad9"}},
		{"193.0.6.139", Result{"NL", 3333, "Reseaux IP Europeens Network Coordination Centre (RIPE NCC)"}},
		{"2001:4860:4860::8888", google},
		{"2606:4700:4700::1111", Result{"US", 13335, "Cloudflare, Inc."}},
		{"2a00:1450:4001:80b::200e", Result{"IE", 15169, "Google LLC"}},
		// IPv4-mapped IPv6 is looked up as IPv4.
		{"::ffff:8.8.8.8", google},
		{"::ffff:1.1.1.1", cloudflare},
		// First and last address of a range, and just outside it:
		// 1.0.0.0/24 is AU and AS13335; 1.0.1.0 starts a CN range with
		// no ASN.
		{"1.0.0.0", cloudflare},
		{"1.0.0.255", cloudflare},
		{"1.0.1.0", Result{CC: "CN"}},
		{"223.255.255.255", Result{CC: "AU"}},
		// A geofeed detail inside a wider whois range: the narrower wins.
		{"2.58.197.14", Result{"DE", 207695, "Mario Kurz trading as LUME Solutions"}},
		{"2.58.197.15", Result{"BE", 207695, "Mario Kurz trading as LUME Solutions"}},
		{"2.58.197.16", Result{"DE", 207695, "Mario Kurz trading as LUME Solutions"}},
		// IPv6 boundaries inside a /64.
		{"2001:418:1439::29f", Result{"US", 1225, "NTT America, Inc."}},
		{"2001:418:1439::2a0", Result{"CA", 1225, "NTT America, Inc."}},
		{"2001:418:1439::2a1", Result{"US", 1225, "NTT America, Inc."}},
		{"2001:418:1401:50:ffff:ffff:ffff:ffff", Result{"CA", 2914, "NTT America, Inc."}},
		{"2001:418:1401:51::", Result{"US", 2914, "NTT America, Inc."}},
		// Unallocated.
		{"2c0f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Result{}},
		// Private and reserved addresses give nothing.
		{"0.0.0.0", Result{}},
		{"0.255.255.255", Result{}},
		{"10.0.0.1", Result{}},
		{"100.64.0.1", Result{}},
		{"127.0.0.1", Result{}},
		{"169.254.1.1", Result{}},
		{"172.16.5.4", Result{}},
		{"192.0.2.1", Result{}},
		{"192.168.1.1", Result{}},
		{"198.18.0.1", Result{}},
		{"198.51.100.7", Result{}},
		{"203.0.113.9", Result{}},
		{"224.0.0.1", Result{}},
		{"240.0.0.1", Result{}},
		{"255.255.255.255", Result{}},
		{"::", Result{}},
		{"::1", Result{}},
		{"::ffff:10.0.0.1", Result{}},
		{"64:ff9b::808:808", Result{}},
		{"fc00::1", Result{}},
		{"fe80::1", Result{}},
		{"ff02::1", Result{}},
		{"2001:db8::1", Result{}},
		{"3fff::1", Result{}},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			if got := db.Lookup(netip.MustParseAddr(tt.ip)); got != tt.want {
				t.Errorf("Lookup(%s) = %+v, want %+v", tt.ip, got, tt.want)
			}
		})
	}
	// A zone does not change the answer.
	if got := db.Lookup(netip.MustParseAddr("2001:4860:4860::8888%eth0")); got != google {
		t.Errorf("Lookup with zone = %+v, want %+v", got, google)
	}
}

func TestDefaultInfo(t *testing.T) {
	db := mustDefault(t)
	in := db.Info()
	if db.ID() != "ip-location-db@2.3.2026061719" {
		t.Errorf("ID = %q", db.ID())
	}
	if want := time.Date(2026, 6, 17, 19, 0, 0, 0, time.UTC); !in.Built.Equal(want) {
		t.Errorf("Built = %v, want %v", in.Built, want)
	}
	if !in.HasCountry || !in.HasASN {
		t.Errorf("HasCountry, HasASN = %v, %v", in.HasCountry, in.HasASN)
	}
	// Counts of this snapshot; they change only when the data does.
	if in.Ranges4 != 619978 || in.Ranges6 != 284347 || in.ASNs != 91065 {
		t.Errorf("counts = %d/%d/%d", in.Ranges4, in.Ranges6, in.ASNs)
	}
	for _, s := range []string{"CC BY 4.0", "NRO", "RouteViews", "DB-IP", "ip-location-db", "2.3.2026061719"} {
		if !strings.Contains(in.Attribution, s) {
			t.Errorf("Attribution lacks %q", s)
		}
	}
	for _, s := range []string{"@ip-location-db/geo-whois-asn-country@2.3.2026061719", "@ip-location-db/asn@2.3.2026061719"} {
		if !strings.Contains(in.Description, s) {
			t.Errorf("Description lacks %q", s)
		}
	}
	if d2, _ := Default(); d2 != db {
		t.Error("Default decoded twice")
	}
}

// TestConcurrentLookup shares one DB between goroutines; run with -race.
func TestConcurrentLookup(t *testing.T) {
	db := mustDefault(t)
	addrs := randomAddrs(2000)
	want := make([]Result, len(addrs))
	for i, ip := range addrs {
		want[i] = db.Lookup(ip)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range addrs {
				j := (i + g*500) % len(addrs)
				if got := db.Lookup(addrs[j]); got != want[j] {
					t.Errorf("Lookup(%s) = %+v, want %+v", addrs[j], got, want[j])
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestLookupOnZeroDB(t *testing.T) {
	var db DB
	for _, s := range []string{"8.8.8.8", "2001:4860::1"} {
		if got := db.Lookup(netip.MustParseAddr(s)); got != (Result{}) {
			t.Errorf("zero DB Lookup(%s) = %+v", s, got)
		}
	}
	if got := mustDefault(t).Lookup(netip.Addr{}); got != (Result{}) {
		t.Errorf("Lookup(zero Addr) = %+v", got)
	}
	if err := db.Encode(io.Discard); err == nil {
		t.Error("Encode of the zero DB succeeded")
	}
	def := mustDefault(t)
	if Overlay(def, &db) != def || Overlay(&db, def) != def {
		t.Error("Overlay with the zero DB is not the other DB")
	}
}

// TestBuilder checks ranges, gaps and merging on a small hand-made DB.
func TestBuilder(t *testing.T) {
	a := netip.MustParseAddr
	var b Builder
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.AddCountry(a("1.0.0.0"), a("1.0.0.255"), "au"))
	must(b.AddCountry(a("1.0.1.0"), a("1.0.1.255"), "AU")) // merges with the previous
	must(b.AddCountry(a("255.255.255.0"), a("255.255.255.255"), "ZZ"))
	must(b.AddASN(a("1.0.0.128"), a("1.0.1.127"), 64500, "Example\xff"))
	must(b.AddASN(a("::ffff:2.0.0.0"), a("::ffff:2.0.0.9"), 64501, ""))
	must(b.AddASN(a("2001:db8::"), a("2001:db8::ffff"), 64500, "Other name"))
	must(b.AddCountry(a("ffff::"), a("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "DE"))
	db, err := b.Build(Info{Name: "test", Version: "1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []rangeRow{
		{"1.0.0.0", "1.0.0.127", Result{CC: "AU"}},
		{"1.0.0.128", "1.0.1.127", Result{"AU", 64500, "Example\uFFFD"}},
		{"1.0.1.128", "1.0.1.255", Result{CC: "AU"}},
		{"2.0.0.0", "2.0.0.9", Result{ASN: 64501}},
		{"255.255.255.0", "255.255.255.255", Result{CC: "ZZ"}},
		{"2001:db8::", "2001:db8::ffff", Result{ASN: 64500, ASName: "Example\uFFFD"}},
		{"ffff::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Result{CC: "DE"}},
	}
	checkRows(t, db, want)
	in := db.Info()
	if in.Ranges4 != 5 || in.Ranges6 != 2 || in.ASNs != 2 || !in.HasASN || !in.HasCountry {
		t.Errorf("Info = %+v", in)
	}

	errs := []struct {
		name string
		add  func(*Builder) error
		want string
	}{
		{"bad country", func(b *Builder) error { return b.AddCountry(a("1.0.0.0"), a("1.0.0.1"), "A1") }, "not a two-letter"},
		{"ASN 0", func(b *Builder) error { return b.AddASN(a("1.0.0.0"), a("1.0.0.1"), 0, "") }, "ASN 0"},
		{"mixed families", func(b *Builder) error { return b.AddASN(a("1.0.0.0"), a("::1"), 1, "") }, "mixes IPv4 and IPv6"},
		{"reversed", func(b *Builder) error { return b.AddCountry(a("1.0.0.9"), a("1.0.0.1"), "DE") }, "ends before it starts"},
		{"invalid", func(b *Builder) error { return b.AddCountry(netip.Addr{}, a("1.0.0.1"), "DE") }, "invalid address"},
	}
	for _, tt := range errs {
		var b Builder
		if err := tt.add(&b); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}

	var ov Builder
	must(ov.AddCountry(a("1.0.0.0"), a("1.0.0.255"), "AU"))
	must(ov.AddCountry(a("1.0.0.255"), a("1.0.1.0"), "NZ"))
	if _, err := ov.Build(Info{}); err == nil || !strings.Contains(err.Error(), "overlaps") {
		t.Errorf("overlap: err = %v", err)
	}
}

func checkRows(t *testing.T, db *DB, want []rangeRow) {
	t.Helper()
	got := db.rangeRows()
	if len(got) != len(want) {
		t.Errorf("got %d ranges, want %d:\n got %v\nwant %v", len(got), len(want), got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("range %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
