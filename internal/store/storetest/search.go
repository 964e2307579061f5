package storetest

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// SearchStore is a store that searches its events.
type SearchStore interface {
	store.Store
	store.Searcher
	store.Markings
}

// RunSearch runs the conformance tests of event search and the list of
// ingest runs against stores made by open.
func RunSearch(t *testing.T, open func(t *testing.T) SearchStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s SearchStore)
	}{
		{"FiltersSelectWhatTheySay", testSearchFilters},
		{"PagesNeitherSkipNorRepeat", testSearchPaging},
		{"ABudgetCutsPagesShortButLosesNothing", testSearchPartial},
		{"IngestRunsNewestFirst", testIngestRuns},
		{"StrictestTLPOfTheDays", testStrictestTLP},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

var allTLPs = []event.TLP{event.TLPClear, event.TLPGreen, event.TLPAmber, event.TLPAmberStrict, event.TLPRed}

// searchCorpus is 300 events over four days, with every field a filter
// reads varied independently, and a few events without a source time.
func searchCorpus() []event.Event {
	classes := []event.Class{event.ClassC2, event.ClassInfected, event.ClassScanner, event.ClassIDSAlert, {}}
	feeds := []string{"suricata", "shadowserver", "feodo-tracker"}
	malware := []string{"Emotet", "qakbot", "", ""}
	var out []event.Event
	for i := range 300 {
		e := event.Event{
			TimeSource:      t0.Add(time.Duration(i) * 19 * time.Minute),
			TimeObservation: t0.Add(200 * time.Hour),
			Feed:            event.Feed{Name: feeds[i%3]},
			Source: event.Endpoint{IP: netip.AddrFrom4([4]byte{192, 0, 2, byte(i % 50)}), Port: uint16(1000 + i),
				CC: []string{"PL", "DE", "US", ""}[i%4], ASN: uint32(64500 + i%5)},
			Destination: event.Endpoint{IP: netip.AddrFrom4([4]byte{203, 0, 113, byte(i % 7)}), Port: 443,
				CC: []string{"US", "NL", "PL", "", ""}[i%5], ASN: uint32(64510 + i%3)},
			Malware: malware[i%4],
			TLP:     event.TLP(i % 5),
			Raw:     []byte(fmt.Sprintf(`{"n":%d}`, i)),
		}
		switch {
		case i%11 == 0:
			e.Source.IP = netip.AddrFrom4([4]byte{198, 51, 100, byte(i % 20)})
		case i%6 == 5:
			e.Source.IP = netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", i%30))
		}
		if i%9 == 0 {
			e.Destination.IP = netip.MustParseAddr(fmt.Sprintf("2001:db8:1::%x", i%4))
		}
		if i%8 == 0 {
			e.Source.Flags |= event.FlagTor
		}
		if i%10 == 0 {
			e.Source.Flags |= event.FlagProxy
		}
		if i%3 == 0 {
			e.Destination.Flags |= event.FlagHosting
		}
		if c := classes[i%5]; c.IsZero() {
			e.Kind = event.Observation
		} else {
			e.SetClass(c)
		}
		out = append(out, e)
	}
	// Records whose feed gave no time: keyed at time 0, dated by when they
	// were read.
	for i := range 6 {
		e := event.Event{
			TimeObservation: t0.Add(time.Duration(30+i) * time.Hour),
			Feed:            event.Feed{Name: "shadowserver"},
			Source:          event.Endpoint{IP: netip.AddrFrom4([4]byte{192, 0, 2, 5}), Port: uint16(7000 + i), CC: "PL", ASN: 64500},
			Destination:     event.Endpoint{IP: netip.AddrFrom4([4]byte{203, 0, 113, 1}), Port: 22},
			TLP:             event.TLPGreen,
		}
		if i%2 == 0 {
			e.SetClass(event.ClassScanner)
		} else {
			e.Kind = event.Observation
		}
		out = append(out, e)
	}
	return out
}

// storedCorpus writes the corpus in a few batches, out of time order.
func storedCorpus(t *testing.T, s store.Store) []store.StoredEvent {
	t.Helper()
	b := batchOf(searchCorpus()...)
	var out []store.StoredEvent
	for i := range b.Events {
		out = append(out, store.StoredEvent{Key: b.Keys[i], Event: b.Events[i]})
	}
	for _, part := range [][2]int{{150, 306}, {0, 70}, {70, 150}} {
		write(t, s, &store.Batch{Events: b.Events[part[0]:part[1]], Keys: b.Keys[part[0]:part[1]]})
	}
	return out
}

// matches is the meaning of an EventQuery, written plainly.
func matches(q *store.EventQuery, e *event.Event) bool {
	eps := [2]*event.Endpoint{&e.Source, &e.Destination}
	prefix := q.Prefix
	if prefix.Addr().Is4In6() {
		prefix = netip.PrefixFrom(prefix.Addr().Unmap(), prefix.Bits()-96)
	}
	either := func(fn func(ep *event.Endpoint) bool) bool { return fn(eps[0]) || fn(eps[1]) }
	class := e.Class.String()
	switch {
	case !slices.Contains(q.TLPs, e.TLP):
		return false
	case (!q.From.IsZero() || !q.To.IsZero()) && e.TimeSource.IsZero():
		return false
	case !q.From.IsZero() && e.TimeSource.Before(q.From), !q.To.IsZero() && !e.TimeSource.Before(q.To):
		return false
	case q.Class != "" && class != q.Class && !strings.HasPrefix(class, strings.TrimSuffix(q.Class, "/")+"/"):
		return false
	case q.CC != "" && !either(func(ep *event.Endpoint) bool { return ep.CC == q.CC }):
		return false
	case q.ASN != 0 && !either(func(ep *event.Endpoint) bool { return ep.ASN == q.ASN }):
		return false
	case prefix.IsValid() && !either(func(ep *event.Endpoint) bool { return prefix.Contains(ep.IP) }):
		return false
	case q.Feed != "" && e.Feed.Name != q.Feed, q.Malware != "" && !strings.EqualFold(e.Malware, q.Malware):
		return false
	case (e.Source.Flags|e.Destination.Flags)&q.Flags != q.Flags:
		return false
	case q.Role != event.RoleNone:
		return e.Kind == event.Incident && either(func(ep *event.Endpoint) bool {
			return ep.Role == q.Role && (!prefix.IsValid() || prefix.Contains(ep.IP))
		})
	}
	return true
}

// expected returns the keys of the corpus events q selects, newest first.
func expected(q store.EventQuery, corpus []store.StoredEvent) []store.Key {
	var out []store.Key
	for _, se := range corpus {
		if matches(&q, &se.Event) && (q.Before == store.Key{} || bytes.Compare(se.Key[:], q.Before[:]) < 0) {
			out = append(out, se.Key)
		}
	}
	slices.SortFunc(out, func(a, b store.Key) int { return bytes.Compare(b[:], a[:]) })
	return out
}

// allPages follows q's pages to the end and returns the keys found and
// the pages, checking what every page promises.
func allPages(t *testing.T, s store.Searcher, q store.EventQuery) ([]store.Key, []store.EventPage) {
	t.Helper()
	var keys []store.Key
	var pages []store.EventPage
	for {
		page, err := s.SearchEvents(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, page)
		if q.Limit > 0 && len(page.Events) > q.Limit {
			t.Fatalf("a page of %d events, limit %d", len(page.Events), q.Limit)
		}
		if q.ScanLimit > 0 && page.Scanned > int64(q.ScanLimit) {
			t.Fatalf("a page examined %d events, budget %d", page.Scanned, q.ScanLimit)
		}
		for _, se := range page.Events {
			if !slices.Contains(q.TLPs, se.Event.TLP) {
				t.Fatalf("an event marked %s reached a reader of %v", se.Event.TLP, q.TLPs)
			}
			keys = append(keys, se.Key)
		}
		if !page.More {
			return keys, pages
		}
		limit := cmp.Or(q.Limit, store.DefaultSearchLimit)
		switch n := len(page.Events); {
		case page.Partial && n >= limit:
			t.Fatalf("a full page is marked partial")
		case !page.Partial && n < limit:
			t.Fatalf("a page of %d events of %d says there is more, but not that it is partial", n, limit)
		case !page.Partial && page.Next != page.Events[n-1].Key:
			t.Fatalf("a full page continues from %x, not from its last event %x", page.Next, page.Events[n-1].Key)
		}
		if q.Before != (store.Key{}) && bytes.Compare(page.Next[:], q.Before[:]) >= 0 {
			t.Fatalf("page %d does not move on: next %x after %x", len(pages), page.Next, q.Before)
		}
		if len(pages) > 10000 {
			t.Fatal("the pages do not end")
		}
		q.Before = page.Next
	}
}

func keyTimes(keys []store.Key) string {
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%d:%x ", store.KeyTime(k), k[6:8])
	}
	return b.String()
}

func testSearchFilters(t *testing.T, s SearchStore) {
	corpus := storedCorpus(t, s)
	at := func(i int) time.Time { return corpus[i].Event.TimeSource }
	tests := []struct {
		name string
		q    store.EventQuery
		min  int // fewest matches the case must have, so it tests something
	}{
		{"everything", store.EventQuery{}, 306},
		{"class", store.EventQuery{Class: "malicious-code/c2-server"}, 50},
		{"taxonomy", store.EventQuery{Class: "malicious-code"}, 100},
		{"taxonomy with slash", store.EventQuery{Class: "intrusion-attempts/"}, 50},
		{"unknown class", store.EventQuery{Class: "malicious"}, 0},
		{"country", store.EventQuery{CC: "PL"}, 100},
		{"AS", store.EventQuery{ASN: 64511}, 90},
		{"feed", store.EventQuery{Feed: "feodo-tracker"}, 90},
		{"malware in another case", store.EventQuery{Malware: "EMOTET"}, 70},
		{"flag", store.EventQuery{Flags: event.FlagTor}, 30},
		{"flags on both sides", store.EventQuery{Flags: event.FlagTor | event.FlagHosting}, 10},
		{"IPv4 prefix", store.EventQuery{Prefix: netip.MustParsePrefix("198.51.100.0/24")}, 25},
		{"IPv4 prefix mapped", store.EventQuery{Prefix: netip.MustParsePrefix("::ffff:198.51.100.0/120")}, 25},
		{"narrow IPv4 prefix", store.EventQuery{Prefix: netip.MustParsePrefix("192.0.2.8/29")}, 30},
		{"IPv6 prefix", store.EventQuery{Prefix: netip.MustParsePrefix("2001:db8:1::/64")}, 30},
		{"wide IPv6 prefix", store.EventQuery{Prefix: netip.MustParsePrefix("2001:db8::/32")}, 70},
		{"one address", store.EventQuery{Prefix: netip.MustParsePrefix("192.0.2.5/32")}, 5},
		{"one address and its role", store.EventQuery{Prefix: netip.MustParsePrefix("192.0.2.5/32"), Role: event.RoleAttacker}, 3},
		{"one address in a role it never plays", store.EventQuery{Prefix: netip.MustParsePrefix("203.0.113.3/32"), Role: event.RoleAttacker}, 0},
		{"one address as a target", store.EventQuery{Prefix: netip.MustParsePrefix("203.0.113.3/32"), Role: event.RoleTarget}, 10},
		{"one C&C server", store.EventQuery{Prefix: netip.MustParsePrefix("192.0.2.10/32"), Role: event.RoleC2}, 3},
		{"one IPv6 address and its role", store.EventQuery{Prefix: netip.MustParsePrefix("2001:db8::5/128"), Role: event.RoleC2}, 5},
		{"a role", store.EventQuery{Role: event.RoleInfected}, 50},
		{"from", store.EventQuery{From: at(100)}, 200},
		{"to", store.EventQuery{To: at(40)}, 40},
		{"from and to", store.EventQuery{From: at(5), To: at(20)}, 15},
		{"to within a second", store.EventQuery{From: at(5).Add(time.Microsecond), To: at(20).Add(time.Millisecond)}, 15},
		{"from and to, one address in a role", store.EventQuery{From: at(50), To: at(250), Prefix: netip.MustParsePrefix("192.0.2.5/32"), Role: event.RoleC2}, 2},
		{"an empty period", store.EventQuery{From: at(20), To: at(20)}, 0},
		{"a period before any event", store.EventQuery{From: t0.AddDate(-1, 0, 0), To: t0}, 0},
		{"combined", store.EventQuery{Class: "malicious-code", CC: "PL", Feed: "suricata", Malware: "emotet"}, 3},
		{"combined with a prefix", store.EventQuery{Prefix: netip.MustParsePrefix("192.0.2.0/24"), ASN: 64500, Flags: event.FlagHosting, From: at(10)}, 5},
		{"some markings", store.EventQuery{TLPs: []event.TLP{event.TLPClear, event.TLPGreen}}, 100},
		{"one marking and a class", store.EventQuery{TLPs: []event.TLP{event.TLPRed}, Class: "information-gathering/scanner"}, 0},
		{"markings and an address", store.EventQuery{TLPs: []event.TLP{event.TLPGreen, event.TLPAmber}, Prefix: netip.MustParsePrefix("192.0.2.5/32"), Role: event.RoleAttacker}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			if q.TLPs == nil {
				q.TLPs = allTLPs
			}
			q.Limit = 1000
			want := expected(q, corpus)
			if len(want) < tc.min {
				t.Fatalf("the corpus has %d matches, the case needs %d", len(want), tc.min)
			}
			got, pages := allPages(t, s, q)
			if !slices.Equal(got, want) {
				t.Fatalf("got %d events, want %d:\n got %s\nwant %s", len(got), len(want), keyTimes(got), keyTimes(want))
			}
			if len(pages) != 1 || pages[0].Partial {
				t.Errorf("%d pages, partial %v; want one whole page", len(pages), pages[0].Partial)
			}
		})
	}

	t.Run("events read back whole", func(t *testing.T) {
		page, err := s.SearchEvents(context.Background(), store.EventQuery{TLPs: allTLPs, Prefix: netip.MustParsePrefix("2001:db8::5/128"), Role: event.RoleC2})
		if err != nil || len(page.Events) == 0 {
			t.Fatalf("%+v %v", page, err)
		}
		for _, se := range page.Events {
			i := slices.IndexFunc(corpus, func(c store.StoredEvent) bool { return c.Key == se.Key })
			if i < 0 || !reflect.DeepEqual(se.Event, corpus[i].Event) {
				t.Errorf("event %x reads back as %+v", se.Key, se.Event)
			}
		}
	})
	t.Run("no markings, nothing", func(t *testing.T) {
		for _, tlps := range [][]event.TLP{nil, {}} {
			page, err := s.SearchEvents(context.Background(), store.EventQuery{TLPs: tlps})
			if err != nil || len(page.Events) != 0 || page.More || page.Scanned != 0 {
				t.Errorf("a search without markings: %+v, %v", page, err)
			}
		}
	})
}

func testSearchPaging(t *testing.T, s SearchStore) {
	corpus := storedCorpus(t, s)
	for _, q := range []store.EventQuery{
		{Limit: 7},
		{Limit: 1},
		{Limit: 50, Class: "malicious-code"},
		{Limit: 13, TLPs: []event.TLP{event.TLPAmber, event.TLPRed}, Feed: "suricata"},
		{Limit: 2, Prefix: netip.MustParsePrefix("192.0.2.5/32"), Role: event.RoleAttacker},
		{Limit: 4, Prefix: netip.MustParsePrefix("192.0.2.5/32")},
		{Limit: 3, Prefix: netip.MustParsePrefix("203.0.113.3/32"), Role: event.RoleTarget},
		{Limit: 5, From: corpus[30].Event.TimeSource, To: corpus[90].Event.TimeSource},
		{Limit: 6, Before: corpus[200].Key},
	} {
		t.Run(fmt.Sprintf("%+v", q), func(t *testing.T) {
			if q.TLPs == nil {
				q.TLPs = allTLPs
			}
			want := expected(q, corpus)
			got, pages := allPages(t, s, q)
			if !slices.Equal(got, want) {
				t.Fatalf("%d pages gave %d events, want %d:\n got %s\nwant %s", len(pages), len(got), len(want), keyTimes(got), keyTimes(want))
			}
			if n := (len(want) + q.Limit - 1) / q.Limit; len(pages) < n {
				t.Errorf("%d pages for %d events of %d a page", len(pages), len(want), q.Limit)
			}
		})
	}
}

func testSearchPartial(t *testing.T, s SearchStore) {
	corpus := storedCorpus(t, s)
	for _, q := range []store.EventQuery{
		{Limit: 10, ScanLimit: 10, Malware: "qakbot", CC: "DE"},
		{Limit: 50, ScanLimit: 25, Prefix: netip.MustParsePrefix("192.0.2.5/32")},
		{Limit: 5, ScanLimit: 3, Prefix: netip.MustParsePrefix("192.0.2.5/32"), Role: event.RoleAttacker},
		{Limit: 3, ScanLimit: 40, Class: "vulnerable"},
	} {
		t.Run(fmt.Sprintf("%+v", q), func(t *testing.T) {
			q.TLPs = allTLPs
			want := expected(q, corpus)
			got, pages := allPages(t, s, q)
			if !slices.Equal(got, want) {
				t.Fatalf("%d pages gave %d events, want %d:\n got %s\nwant %s", len(pages), len(got), len(want), keyTimes(got), keyTimes(want))
			}
			partial := 0
			for _, p := range pages {
				if p.Partial {
					partial++
					if !p.More {
						t.Errorf("a partial page says there is no more")
					}
				}
			}
			if partial == 0 {
				t.Errorf("no page of %d ran out of its budget of %d", len(pages), q.ScanLimit)
			}
		})
	}
}

func testIngestRuns(t *testing.T, s SearchStore) {
	ctx := context.Background()
	if runs, err := s.IngestRuns(ctx, 10); err != nil || len(runs) != 0 {
		t.Fatalf("runs of an empty store: %+v %v", runs, err)
	}
	var ids []int64
	for i := range 3 {
		id, err := s.BeginIngest(ctx, store.IngestRun{Path: fmt.Sprintf("/data/%d.json", i), Format: "eve", Feed: "suricata", Started: t0.Add(time.Duration(i) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := s.FinishIngest(ctx, ids[2], "done"); err != nil {
		t.Fatal(err)
	}
	runs, err := s.IngestRuns(ctx, 2)
	if err != nil || len(runs) != 2 || runs[0].ID != ids[2] || runs[1].ID != ids[1] {
		t.Fatalf("the last two runs: %+v %v", runs, err)
	}
	if runs[0].Status != "done" || runs[0].Finished.IsZero() || runs[1].Path != "/data/1.json" || !runs[1].Started.Equal(t0.Add(time.Hour)) {
		t.Errorf("runs read back as %+v", runs)
	}
	if all, _ := s.IngestRuns(ctx, 100); len(all) != 3 {
		t.Errorf("%d runs, want 3", len(all))
	}
}

// testStrictestTLP checks that the marking of a period is the strictest
// among its events, day by day, read without the events; and that a
// duplicate does not count twice nor an empty period at all.
func testStrictestTLP(t *testing.T, s SearchStore) {
	ctx := context.Background()
	if _, found, err := s.StrictestTLP(ctx, 0, 1<<30); err != nil || found {
		t.Fatalf("empty store: found=%v err=%v", found, err)
	}
	corpus := storedCorpus(t, s)
	want := map[int32]event.TLP{}
	for _, se := range corpus {
		d := store.DayOf(se.Event.Time())
		want[d] = want[d].Stricter(se.Event.TLP)
	}
	// Writing the corpus again stores nothing new and changes no marking.
	b := batchOf(searchCorpus()...)
	write(t, s, b)
	for day, w := range want {
		got, found, err := s.StrictestTLP(ctx, day, day)
		if err != nil || !found || got != w {
			t.Errorf("day %d: StrictestTLP = %v, %v, %v; want %v", day, got, found, err, w)
		}
	}
	// A day of only GREEN events: the time-less records, read on one day.
	green := event.Event{TimeObservation: t0.Add(900 * time.Hour), Feed: event.Feed{Name: "x"},
		Source: event.Endpoint{IP: netip.AddrFrom4([4]byte{192, 0, 2, 1})}, TLP: event.TLPGreen, Kind: event.Observation}
	write(t, s, batchOf(green))
	day := store.DayOf(green.Time())
	if got, found, err := s.StrictestTLP(ctx, day, day); err != nil || !found || got != event.TLPGreen {
		t.Errorf("a GREEN day: %v, %v, %v", got, found, err)
	}
	if _, found, err := s.StrictestTLP(ctx, day+1, day+30); err != nil || found {
		t.Errorf("days with no events: found=%v err=%v", found, err)
	}
}
