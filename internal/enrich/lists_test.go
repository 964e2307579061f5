package enrich

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

func at(s string) time.Time {
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestExitAddressesAreTimeBounded(t *testing.T) {
	f, _ := os.Open("testdata/exit-addresses")
	defer f.Close()
	entries, bad, err := ParseList(f, ListOptions{Kind: event.FlagTor, Source: "exit-addresses"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 || len(bad) != 1 || bad[0].Line != 13 {
		t.Fatalf("entries %d, bad %+v; want 3 entries and line 13 rejected", len(entries), bad)
	}
	ix := NewIndex(entries)
	for _, c := range []struct {
		ip, when string
		tor      bool
	}{
		{"198.51.100.7", "2024-03-12 23:00:00", true},  // seen that day
		{"198.51.100.7", "2024-03-11 00:00:01", true},  // descriptor published that day
		{"198.51.100.7", "2024-03-10 12:00:00", false}, // before
		{"198.51.100.7", "2024-03-13 00:00:01", false}, // after
		{"198.51.100.7", "2021-06-01 12:00:00", false}, // a 2021 event is not flagged by a 2024 list
		{"203.0.113.44", "2024-03-10 23:59:59", true},
		{"2001:db8:7::44", "2024-03-12 12:00:00", true},
		{"192.0.2.1", "2024-03-12 12:00:00", false},
	} {
		got := ix.Flags(mustAddr(c.ip), at(c.when))&event.FlagTor != 0
		if got != c.tor {
			t.Errorf("%s at %s: tor=%v, want %v", c.ip, c.when, got, c.tor)
		}
	}
}

func TestPlainListForms(t *testing.T) {
	f, _ := os.Open("testdata/hosting.txt")
	defer f.Close()
	entries, bad, err := ParseList(f, ListOptions{Kind: event.FlagHosting, Source: "hosting.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 5 {
		t.Fatalf("entries %d, want 5", len(entries))
	}
	if len(bad) != 2 || bad[0].Line != 6 || bad[1].Line != 8 || !strings.Contains(bad[1].Reason, "ends before") {
		t.Fatalf("bad %+v", bad)
	}
	ix := NewIndex(entries)
	any := at("2023-01-01 00:00:00")
	for ip, want := range map[string]bool{
		"192.0.2.0": true, "192.0.2.127": true, "192.0.2.128": false,
		"198.51.100.127": false, "198.51.100.128": true, "198.51.100.255": true,
		"2001:db8:100:ffff::1": true, "2001:db8:101::1": false, "203.0.113.9": true,
		"::ffff:192.0.2.5": true,
	} {
		if got := ix.Flags(mustAddr(ip), any) == event.FlagHosting; got != want {
			t.Errorf("%s: hosting=%v, want %v", ip, got, want)
		}
	}
	if ix.Flags(mustAddr("192.0.2.200"), at("2023-12-31 00:00:00")) != 0 || ix.Flags(mustAddr("192.0.2.200"), at("2024-06-30 23:59:00")) == 0 {
		t.Error("per-line dates not honoured")
	}
}

func TestBulkTorListDatesToFetchDay(t *testing.T) {
	fetched := at("2024-03-12 06:00:00")
	entries, bad, err := ParseList(strings.NewReader("198.51.100.7\n203.0.113.44\n"), ListOptions{Kind: event.FlagTor, Fetched: fetched})
	if err != nil || len(bad) != 0 || len(entries) != 2 {
		t.Fatalf("%v %v %v", entries, bad, err)
	}
	ix := NewIndex(entries)
	if ix.Flags(mustAddr("198.51.100.7"), at("2024-03-12 23:59:00")) != event.FlagTor {
		t.Error("exit not flagged on the day the list was fetched")
	}
	if ix.Flags(mustAddr("198.51.100.7"), at("2024-03-13 00:00:00")) != 0 {
		t.Error("exit flagged the day after the list was fetched")
	}
}

func TestRangePrefixes(t *testing.T) {
	for _, c := range []struct {
		lo, hi string
		want   string
	}{
		{"192.0.2.0", "192.0.2.255", "192.0.2.0/24"},
		{"192.0.2.1", "192.0.2.1", "192.0.2.1/32"},
		{"198.51.100.128", "198.51.100.255", "198.51.100.128/25"},
		{"192.0.2.1", "192.0.2.6", "192.0.2.1/32 192.0.2.2/31 192.0.2.4/31 192.0.2.6/32"},
		{"0.0.0.0", "255.255.255.255", "0.0.0.0/0"},
		{"2001:db8::", "2001:db8::ffff", "2001:db8::/112"},
	} {
		var got []string
		for _, p := range rangePrefixes(mustAddr(c.lo), mustAddr(c.hi)) {
			got = append(got, p.String())
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("%s-%s = %v, want %s", c.lo, c.hi, got, c.want)
		}
	}
}

func FuzzParseList(f *testing.F) {
	for _, p := range []string{"testdata/exit-addresses", "testdata/hosting.txt"} {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, _, err := ParseList(strings.NewReader(string(data)), ListOptions{Kind: event.FlagProxy, Fetched: time.Unix(1700000000, 0)})
		if err != nil {
			return
		}
		ix := NewIndex(entries)
		for _, e := range entries {
			if e.Range.Lo.BitLen() != e.Range.Hi.BitLen() || e.Range.Hi.Less(e.Range.Lo) {
				t.Fatalf("bad range %v", e.Range)
			}
			when := time.Unix(1700000000, 0)
			if !e.From.IsZero() {
				when = e.From
			}
			if ix.Flags(e.Range.Lo, when)&event.FlagProxy == 0 || ix.Flags(e.Range.Hi, when)&event.FlagProxy == 0 {
				t.Fatalf("entry %+v not found in its own index", e)
			}
		}
	})
}
