package store

import (
	"bytes"
	"context"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

func TestCompileQuery(t *testing.T) {
	t0 := time.Date(2024, 3, 12, 10, 0, 0, 0, time.UTC)
	sec := t0.Unix()
	before := keyAt(sec + 60)
	v4 := func(s string) []byte { return AddrBytes(netip.MustParseAddr(s)) }
	tests := []struct {
		name   string
		q      EventQuery
		want   SearchFilter
		lo, hi Key
	}{
		{"nothing", EventQuery{}, SearchFilter{}, Key{}, noKey},
		{"from a whole second", EventQuery{From: t0}, SearchFilter{From: t0.UnixMicro(), HasFrom: true}, keyAt(sec), noKey},
		{"to within a second", EventQuery{To: t0.Add(time.Millisecond)},
			SearchFilter{To: t0.Add(time.Millisecond).UnixMicro(), HasTo: true}, keyAt(1), keyAt(sec + 1)},
		{"to a whole second", EventQuery{To: t0}, SearchFilter{To: t0.UnixMicro(), HasTo: true}, keyAt(1), keyAt(sec)},
		{"from before 1970", EventQuery{From: time.Unix(-86400, 0)}, SearchFilter{From: -86400e6, HasFrom: true}, keyAt(1), noKey},
		{"a cursor", EventQuery{Before: before}, SearchFilter{}, Key{}, before},
		{"a cursor after the period", EventQuery{To: t0, Before: before}, SearchFilter{To: t0.UnixMicro(), HasTo: true}, keyAt(1), keyAt(sec)},
		{"a taxonomy", EventQuery{Class: "malicious-code"}, SearchFilter{Class: "malicious-code/", ClassPrefix: true}, Key{}, noKey},
		{"a class", EventQuery{Class: "malicious-code/c2-server"}, SearchFilter{Class: "malicious-code/c2-server"}, Key{}, noKey},
		{"malware in capitals", EventQuery{Malware: "EmOTet"}, SearchFilter{Malware: "emotet"}, Key{}, noKey},
		{"an IPv4 network", EventQuery{Prefix: netip.MustParsePrefix("192.0.2.77/24")},
			SearchFilter{IPLo: v4("192.0.2.0"), IPHi: v4("192.0.2.255")}, Key{}, noKey},
		{"an IPv4 network, mapped", EventQuery{Prefix: netip.MustParsePrefix("::ffff:192.0.2.0/120")},
			SearchFilter{IPLo: v4("192.0.2.0"), IPHi: v4("192.0.2.255")}, Key{}, noKey},
		{"an IPv6 network", EventQuery{Prefix: netip.MustParsePrefix("2001:db8::/32")},
			SearchFilter{IPLo: v4("2001:db8::"), IPHi: v4("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")}, Key{}, noKey},
		{"one address", EventQuery{Prefix: netip.MustParsePrefix("198.51.100.7/32")},
			SearchFilter{IPLo: v4("198.51.100.7"), IPHi: v4("198.51.100.7")}, Key{}, noKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, r := compileQuery(&tc.q)
			if !reflect.DeepEqual(f, tc.want) {
				t.Errorf("filter %+v, want %+v", f, tc.want)
			}
			if r.lo != tc.lo || r.hi != tc.hi {
				t.Errorf("range %x..%x, want %x..%x", r.lo, r.hi, tc.lo, tc.hi)
			}
		})
	}
}

// fakeScanner keeps events in memory and records the ranges a search asks
// it to examine. Its MatchKeys applies the address filter only.
type fakeScanner struct {
	keys   []Key // ascending
	events map[Key]event.Event
	facts  []Fact
	asked  []keyRange
}

func newFakeScanner(events []event.Event) *fakeScanner {
	sc := &fakeScanner{events: map[Key]event.Event{}}
	var h event.Hasher
	for i := range events {
		k := KeyOf(h.Sum(&events[i]), events[i].TimeSource)
		sc.keys = append(sc.keys, k)
		sc.events[k] = events[i]
		sc.facts = AppendFacts(sc.facts, &events[i])
	}
	slices.SortFunc(sc.keys, func(a, b Key) int { return bytes.Compare(a[:], b[:]) })
	return sc
}

func (sc *fakeScanner) in(lo, hi Key) []Key {
	i, _ := slices.BinarySearchFunc(sc.keys, lo, func(a, b Key) int { return bytes.Compare(a[:], b[:]) })
	j, _ := slices.BinarySearchFunc(sc.keys, hi, func(a, b Key) int { return bytes.Compare(a[:], b[:]) })
	return sc.keys[i:j]
}

func (sc *fakeScanner) ScanChunk(_ context.Context, lo, hi Key, n int) (Key, int, error) {
	ks := sc.in(lo, hi)
	ks = ks[max(0, len(ks)-n):]
	if len(ks) == 0 {
		return Key{}, 0, nil
	}
	return ks[0], len(ks), nil
}

func (sc *fakeScanner) FirstKey(_ context.Context, lo, hi Key) (Key, bool, error) {
	ks := sc.in(lo, hi)
	if len(ks) == 0 {
		return Key{}, false, nil
	}
	return ks[0], true, nil
}

func (sc *fakeScanner) MatchKeys(_ context.Context, lo, hi Key, f *SearchFilter) ([]Key, error) {
	sc.asked = append(sc.asked, keyRange{lo, hi})
	var out []Key
	for _, k := range sc.in(lo, hi) {
		e := sc.events[k]
		if f.IPLo == nil || f.inPrefix(e.Source.IP) || f.inPrefix(e.Destination.IP) {
			out = append(out, k)
		}
	}
	return out, nil
}

func (sc *fakeScanner) EventsByKey(_ context.Context, keys []Key) ([]StoredEvent, error) {
	var out []StoredEvent
	for _, k := range keys {
		out = append(out, StoredEvent{Key: k, Event: sc.events[k]})
	}
	return out, nil
}

func (sc *fakeScanner) FactsOfIP(_ context.Context, ip netip.Addr, from, to int32) ([]Fact, error) {
	var out []Fact
	for _, f := range sc.facts {
		if f.IP == ip && f.Day >= from && f.Day <= to {
			out = append(out, f)
		}
	}
	return out, nil
}

// TestSearchReadsTheDaysOfFacts checks that a search for one address in a
// role examines only the days its facts name, and that a search without
// the role examines everything: the address is a target on another day.
func TestSearchReadsTheDaysOfFacts(t *testing.T) {
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	host := netip.MustParseAddr("198.51.100.7")
	var events []event.Event
	for i := range 1000 { // ten days of a hundred events
		e := event.Event{
			TimeSource:  t0.Add(time.Duration(i) * 864 * time.Second),
			Feed:        event.Feed{Name: "shadowserver"},
			Source:      event.Endpoint{IP: netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), Port: uint16(i)},
			Destination: event.Endpoint{IP: netip.MustParseAddr("203.0.113.1"), Port: 22},
		}
		switch i {
		case 250, 720: // days 2 and 7: the host scans
			e.Source.IP = host
		case 530: // day 5: the host is scanned
			e.Destination.IP = host
		}
		e.SetClass(event.ClassScanner)
		events = append(events, e)
	}
	sc := newFakeScanner(events)
	day := func(d int) keyRange {
		return keyRange{keyAt(t0.Unix() + int64(d)*86400), keyAt(t0.Unix() + int64(d+1)*86400)}
	}
	within := func(r keyRange, days ...int) bool {
		for _, d := range days {
			dr := day(d)
			if bytes.Compare(r.lo[:], dr.lo[:]) >= 0 && bytes.Compare(r.hi[:], dr.hi[:]) <= 0 {
				return true
			}
		}
		return false
	}
	prefix := netip.PrefixFrom(host, 32)

	page, err := SearchEvents(context.Background(), sc, EventQuery{Prefix: prefix, Role: event.RoleAttacker, TLPs: []event.TLP{0}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 2 || page.Events[0].Event.Source.IP != host || page.More || page.Scanned != 200 {
		t.Fatalf("the host as an attacker: %d events, more %v, scanned %d", len(page.Events), page.More, page.Scanned)
	}
	for _, r := range sc.asked {
		if !within(r, 2, 7) {
			t.Errorf("examined %x..%x, outside the days of the host's facts", r.lo[:6], r.hi[:6])
		}
	}

	sc.asked = nil
	page, err = SearchEvents(context.Background(), sc, EventQuery{Prefix: prefix, TLPs: []event.TLP{0}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 3 || page.More || page.Scanned != 1000 {
		t.Fatalf("the host in any part: %d events, more %v, scanned %d", len(page.Events), page.More, page.Scanned)
	}

	// A budget smaller than the days cuts the page short, and the cursor
	// leads on to the rest.
	q := EventQuery{Prefix: prefix, Role: event.RoleAttacker, TLPs: []event.TLP{0}, ScanLimit: 120}
	page, err = SearchEvents(context.Background(), sc, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 || !page.Partial || !page.More || page.Scanned != 120 || KeyTime(page.Next) >= t0.Unix()+8*86400 {
		t.Fatalf("first page on a budget: %d events, partial %v, scanned %d, next %x", len(page.Events), page.Partial, page.Scanned, page.Next[:6])
	}
	q.Before = page.Next
	page, err = SearchEvents(context.Background(), sc, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 || page.Events[0].Event.TimeSource.Day() != 3 {
		t.Fatalf("second page on a budget: %+v", page)
	}
}
