package ipdb

import (
	"strings"
	"testing"
)

func TestLoadCSV(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []rangeRow
	}{
		{
			name: "ip-location-db asn -num file",
			in: "16777216,16777471,13335,\"Cloudflare, Inc.\"\n" +
				"35309568,35313663,201907,\"LLC \"\"SPUTNIK\"\"\"\n" +
				"16778240,16779263,38803,Gtelecom Pty Ltd\n",
			want: []rangeRow{
				{"1.0.0.0", "1.0.0.255", Result{ASN: 13335, ASName: "Cloudflare, Inc."}},
				{"1.0.4.0", "1.0.7.255", Result{ASN: 38803, ASName: "Gtelecom Pty Ltd"}},
				{"2.26.200.0", "2.26.215.255", Result{ASN: 201907, ASName: `LLC "SPUTNIK"`}},
			},
		},
		{
			name: "ip-location-db country files, text and -num, IPv4 and IPv6",
			in: "1.0.0.0,1.0.0.255,AU\n" +
				"16777472,16778239,cn\n" +
				"2001:200::,2001:218:2000:51:ffff:ffff:ffff:ffff,JP\n" +
				"42540532529746850748579408809912434688,42540532608975013262843746403456385023,JP\n",
			want: []rangeRow{
				{"1.0.0.0", "1.0.0.255", Result{CC: "AU"}},
				{"1.0.1.0", "1.0.3.255", Result{CC: "CN"}},
				{"2001:200::", "2001:218:2000:51:ffff:ffff:ffff:ffff", Result{CC: "JP"}},
				{"2001:230::", "2001:230:ffff:ffff:ffff:ffff:ffff:ffff", Result{CC: "JP"}},
			},
		},
		{
			name: "header, comments, blank lines, spaces, unsorted",
			in: "# my ranges\n" +
				"start, end, country\n" +
				"\n" +
				"  10.1.0.0 , 10.1.0.255 , de\n" +
				"# more\n" +
				"   \n" +
				"9.0.0.0,9.0.0.0,FR\n",
			want: []rangeRow{
				{"9.0.0.0", "9.0.0.0", Result{CC: "FR"}},
				{"10.1.0.0", "10.1.0.255", Result{CC: "DE"}},
			},
		},
		{
			name: "CIDR countries, adjacent equal ranges merge",
			in: "network,cc\n" +
				"192.0.2.0/25,NL\n" +
				"192.0.2.128/25,NL\n" +
				"::ffff:198.51.100.0/120,BE\n" +
				"2001:db8::/32,NL\n" +
				"0.0.0.0/0,US\n",
			want: nil, // overlaps 0.0.0.0/0: replaced below
		},
		{
			name: "CIDR ASNs with AS prefix, optional names, AS0 skipped",
			in: "192.0.2.0/24,AS64500,Example Net\n" +
				"198.51.100.0/24,as64501\n" +
				"203.0.113.0/24,0,Not routed\n" +
				"2001:db8::/48,64500,Other name for the same AS\n" +
				"2c0f::/16,4294967295,\n",
			want: []rangeRow{
				{"192.0.2.0", "192.0.2.255", Result{ASN: 64500, ASName: "Example Net"}},
				{"198.51.100.0", "198.51.100.255", Result{ASN: 64501}},
				{"2001:db8::", "2001:db8:0:ffff:ffff:ffff:ffff:ffff", Result{ASN: 64500, ASName: "Example Net"}},
				{"2c0f::", "2c0f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Result{ASN: 4294967295}},
			},
		},
		{
			name: "whole IPv4 space as numbers",
			in:   "0,4294967295,AQ\n",
			want: []rangeRow{{"0.0.0.0", "255.255.255.255", Result{CC: "AQ"}}},
		},
	}
	// The CIDR country case without the overlapping catch-all.
	tests[3].in = strings.TrimSuffix(tests[3].in, "0.0.0.0/0,US\n")
	tests[3].want = []rangeRow{
		{"192.0.2.0", "192.0.2.255", Result{CC: "NL"}},
		{"198.51.100.0", "198.51.100.255", Result{CC: "BE"}},
		{"2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", Result{CC: "NL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := LoadCSV(strings.NewReader(tt.in), "ops", "v1")
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, db, tt.want)
			if db.ID() != "ops@v1" {
				t.Errorf("ID = %q", db.ID())
			}
		})
	}
}

func TestLoadCSVKindFlags(t *testing.T) {
	cc, err := LoadCSV(strings.NewReader("1.0.0.0/24,AU\n"), "c", "")
	if err != nil {
		t.Fatal(err)
	}
	if in := cc.Info(); !in.HasCountry || in.HasASN || in.ASNs != 0 || cc.ID() != "c" {
		t.Errorf("country file: %+v, ID %q", in, cc.ID())
	}
	as, err := LoadCSV(strings.NewReader("1.0.0.0/24,13335\n2.0.0.0/24,13335\n"), "a", "1")
	if err != nil {
		t.Fatal(err)
	}
	if in := as.Info(); in.HasCountry || !in.HasASN || in.ASNs != 1 || in.Ranges4 != 2 {
		t.Errorf("ASN file: %+v", in)
	}
}

func TestLoadCSVErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "no ranges"},
		{"only comments and a header", "# x\nstart,end,cc\n\n", "no ranges"},
		{"typo in the first row", "1.0.0.x,1.0.0.255,AU\n", `line 1: start "1.0.0.x": not an IP address`},
		{"bad start after data", "1.0.0.0,1.0.0.255,AU\nfoo,1.0.0.1,AU\n", `line 2: start "foo": not an IP address`},
		{"bad end", "1.0.0.0,1.0.0.x,AU\n", `line 1: end "1.0.0.x"`},
		{"too few fields", "1.0.0.0,AU\n", "line 1: 2 fields"},
		{"missing value", "1.0.0.0,1.0.0.255,\n", "line 1: missing value"},
		{"missing CIDR value", "1.0.0.0/24\n", "line 1: missing value"},
		{"mixed families", "1.0.0.0,::1,AU\n", "line 1: start 1.0.0.0 and end ::1 are of different address families"},
		{"reversed", "1.0.0.9,1.0.0.1,AU\n", "line 1: range 1.0.0.9-1.0.0.1 ends before it starts"},
		{"number too large", "1,340282366920938463463374607431768211456,AU\n", "too large"},
		{"zone", "fe80::/64,DE\nfe80::1%eth0,fe80::2,DE\n", "line 2: start \"fe80::1%eth0\": address has a zone"},
		{"bad CIDR", "1.0.0.0/33,AU\n", `line 1: bad CIDR "1.0.0.0/33"`},
		{"host bits", "1.0.0.1/24,AU\n", "line 1: CIDR 1.0.0.1/24 has host bits set (did you mean 1.0.0.0/24?)"},
		{"neither country nor ASN", "1.0.0.0/24,Australia\n", `line 1: "Australia" is neither a country code nor an ASN`},
		{"ASN too large", "1.0.0.0/24,AS4294967296\n", "not a 32-bit number"},
		{"ASN after countries", "1.0.0.0/24,AU\n2.0.0.0/24,AS1\n", `line 2: value "AS1" is not like line 1's: this file maps ranges to country values`},
		{"country after ASNs", "1.0.0.0/24,AS1\n2.0.0.0/24,AU\n", "line 2: value \"AU\" is not like line 1's: this file maps ranges to ASN values"},
		{"country file with a name", "1.0.0.0/24,AU,Australia\n", "line 1: 2 fields after the range"},
		{"ASN file with extra fields", "1.0.0.0/24,1,a,b\n", "line 1: 3 fields after the range"},
		{"overlap", "1.0.0.0,1.0.0.255,AU\n\n1.0.0.128/25,NZ\n", "line 3: range 1.0.0.128-1.0.0.255 overlaps line 1's 1.0.0.0-1.0.0.255"},
		{"overlap IPv6", "2001:db8::/32,1\n2001:db8:1::/48,2\n", "line 2: range 2001:db8:1::-2001:db8:1:ffff:ffff:ffff:ffff:ffff overlaps line 1's"},
		{"quote error", "1.0.0.0/24,1,\"bad\"name\n", "line 1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := LoadCSV(strings.NewReader(tt.in), "x", "1")
			if err == nil {
				t.Fatalf("LoadCSV succeeded: %v", db.rangeRows())
			}
			if !strings.HasPrefix(err.Error(), "ipdb: csv") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to mention %q", err, tt.want)
			}
		})
	}
}
