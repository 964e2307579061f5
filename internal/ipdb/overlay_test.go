package ipdb

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func loadCSV(t *testing.T, in, name, version string) *DB {
	t.Helper()
	db, err := LoadCSV(strings.NewReader(in), name, version)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestOverlay(t *testing.T) {
	// base has both kinds; its countries cover 1.0.0.0/23 and 2001:db8::/32.
	var b Builder
	a := netip.MustParseAddr
	b.AddCountry(a("1.0.0.0"), a("1.0.1.255"), "AU")
	b.AddCountry(a("2001:db8::"), a("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), "JP")
	b.AddASN(a("1.0.0.0"), a("1.0.0.255"), 13335, "Cloudflare, Inc.")
	b.AddASN(a("1.0.1.0"), a("1.0.1.255"), 64500, "Base Net")
	base, err := b.Build(Info{Name: "ip-location-db", Version: "2.3.2026061719", Attribution: "base attribution",
		Built: time.Date(2026, 6, 17, 19, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	countries := loadCSV(t, "1.0.0.0/24,NZ\n9.0.0.0/8,US\n", "GeoLite2-Country", "2024-05-01")
	asns := loadCSV(t, "1.0.1.0/24,AS64501,Over Net\n2001:db8::/48,64502\n", "ops-asn", "3")

	tests := []struct {
		name    string
		over    *DB
		id      string
		lookups map[string]Result
	}{
		{
			name: "countries from over, ASNs from base",
			over: countries,
			id:   "GeoLite2-Country@2024-05-01+ip-location-db@2.3.2026061719",
			lookups: map[string]Result{
				"1.0.0.1":        {"NZ", 13335, "Cloudflare, Inc."},
				"1.0.1.1":        {"", 64500, "Base Net"}, // over has no country here: base's AU is not used
				"9.9.9.9":        {CC: "US"},
				"2001:db8::1":    {}, // documentation prefix: never answered
				"::ffff:1.0.0.1": {"NZ", 13335, "Cloudflare, Inc."},
			},
		},
		{
			name: "ASNs from over, countries from base",
			over: asns,
			id:   "ops-asn@3+ip-location-db@2.3.2026061719",
			lookups: map[string]Result{
				"1.0.0.1": {CC: "AU"},
				"1.0.1.1": {"AU", 64501, "Over Net"},
			},
		},
		{
			name: "over with both kinds replaces base",
			over: Overlay(countries, asns),
			id:   "ops-asn@3+GeoLite2-Country@2024-05-01",
			lookups: map[string]Result{
				"1.0.0.1": {CC: "NZ"},
				"1.0.1.1": {"", 64501, "Over Net"},
				"9.9.9.9": {CC: "US"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Overlay(base, tt.over)
			if got.ID() != tt.id {
				t.Errorf("ID = %q, want %q", got.ID(), tt.id)
			}
			for ip, want := range tt.lookups {
				if r := got.Lookup(netip.MustParseAddr(ip)); r != want {
					t.Errorf("Lookup(%s) = %+v, want %+v", ip, r, want)
				}
			}
			in := got.Info()
			if !in.HasCountry || !in.HasASN {
				t.Errorf("Info = %+v", in)
			}
		})
	}

	// The merged table is a real one: it survives encoding.
	ov := Overlay(base, countries)
	round, err := Decode(encode(t, ov))
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, round, ov.rangeRows())
	in := ov.Info()
	if !strings.Contains(in.Attribution, "base attribution") || !in.Built.Equal(base.Info().Built) {
		t.Errorf("Info = %+v", in)
	}
	if in.ASNs != 2 || in.Ranges6 != 0 {
		t.Errorf("counts = %+v", in)
	}

	// Sources that contribute nothing are left out.
	if Overlay(base, nil) != base || Overlay(nil, countries) != countries {
		t.Error("nil handling")
	}
	if full := Overlay(countries, base); full != base {
		t.Errorf("over with both kinds: ID %q, want base itself", full.ID())
	}
	// Inputs are unchanged.
	if r := base.Lookup(a("1.0.0.1")); r != (Result{"AU", 13335, "Cloudflare, Inc."}) {
		t.Errorf("base changed: %+v", r)
	}
}

func TestOverlayOnDefault(t *testing.T) {
	def := mustDefault(t)
	ops := loadCSV(t, "8.8.8.0/24,AS64496,Renamed\n", "ops", "1")
	got := Overlay(def, ops)
	for ip, want := range map[string]Result{
		"8.8.8.8":              {"US", 64496, "Renamed"},
		"1.1.1.1":              {CC: "AU"},
		"2001:4860:4860::8888": {CC: "US"},
	} {
		if r := got.Lookup(netip.MustParseAddr(ip)); r != want {
			t.Errorf("Lookup(%s) = %+v, want %+v", ip, r, want)
		}
	}
	if got.ID() != "ops@1+ip-location-db@2.3.2026061719" {
		t.Errorf("ID = %q", got.ID())
	}
}
