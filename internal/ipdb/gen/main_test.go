package main

import (
	"strconv"
	"strings"
	"testing"
)

func TestResolveOverlaps(t *testing.T) {
	tests := []struct {
		name       string
		in         string // rows: first,last,cc
		want       string
		overlapped int
	}{
		{"no overlap", "1,5,AU 6,9,NZ", "1-5 AU, 6-9 NZ", 0},
		// A geofeed detail inside a whois range.
		{"nested", "0,255,DE 15,15,BE 16,255,DE", "0-14 DE, 15-15 BE, 16-255 DE", 2},
		{"partial: narrower wins", "0,99,US 90,109,CA", "0-89 US, 90-109 CA", 1},
		{"partial: the wide one loses where they meet", "0,19,US 10,1000,CA", "0-19 US, 20-1000 CA", 1},
		{"equal width: later wins", "0,9,US 0,9,CA", "0-9 CA", 1},
		{"nested twice", "0,99,A1 10,49,B2 20,29,C3", "0-9 A1, 10-19 B2, 20-29 C3, 30-49 B2, 50-99 A1", 2},
		{"up to the end of IPv4", "0,4294967295,ZZ 7,7,AQ", "0-6 ZZ, 7-7 AQ, 8-4294967295 ZZ", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rows []row
			for i, f := range strings.Fields(tt.in) {
				p := strings.Split(f, ",")
				first, err1 := parseNum(p[0])
				last, err2 := parseNum(p[1])
				if err1 != nil || err2 != nil {
					t.Fatal(err1, err2)
				}
				rows = append(rows, row{first: first, last: last, cc: p[2], seq: i})
			}
			out, n := resolveOverlaps(rows)
			var got []string
			for _, r := range out {
				got = append(got, strconv.FormatUint(r.first.lo, 10)+"-"+strconv.FormatUint(r.last.lo, 10)+" "+r.cc)
			}
			if s := strings.Join(got, ", "); s != tt.want || n != tt.overlapped {
				t.Errorf("got %q (%d overlaps), want %q (%d)", s, n, tt.want, tt.overlapped)
			}
		})
	}
}

func TestParseNum(t *testing.T) {
	for _, tt := range []struct {
		in     string
		hi, lo uint64
		v4     bool
	}{
		{"16777216", 0, 16777216, true},
		{"1.0.0.0", 0, 16777216, true},
		{"::ffff:1.0.0.0", 0, 16777216, true},
		{"2001:200::", 0x2001020000000000, 0, false},
		{"2c0f:e9a0:2:0:0:0:2a::", 0x2c0fe9a000020000, 0x2a0000, false},
	} {
		n, err := parseNum(tt.in)
		if err != nil || n.hi != tt.hi || n.lo != tt.lo || n.v4 != tt.v4 {
			t.Errorf("parseNum(%q) = %+v, %v", tt.in, n, err)
		}
	}
	if _, err := parseNum("4294967296"); err == nil {
		t.Error("parseNum accepted a number beyond IPv4")
	}
}
