// Package storetest is the conformance suite every store backend must pass.
// A backend's own test calls Run with a function that opens a fresh, empty
// store; the suite then checks the behaviour the rest of Concord relies on,
// so that SQLite and PostgreSQL stay interchangeable.
package storetest

import (
	"context"
	"net/netip"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// Run runs the conformance suite. open must return a new empty store for
// each call; the suite closes it.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"DuplicatesAreCountedNotStored", testDuplicates},
		{"EventRoundTripsThroughDocument", testDocument},
		{"FactsFollowRolesAndSkipDuplicates", testFacts},
		{"FactQueries", testFactQueries},
		{"FactsOfOneAddress", testFactsOfIP},
		{"KeyedRejectionsAreStoredOnce", testKeyedRejections},
		{"IngestRunsKeepProgressAndRejections", testIngests},
		{"IPDatabases", testIPDBs},
		{"ListPeriodsMerge", testLists},
		{"DigestIgnoresOrderAndRuns", testDigest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

var t0 = time.Date(2024, 3, 12, 10, 0, 0, 0, time.UTC)

// c2Event is an infected host (src) talking to a C&C server (dst).
func c2Event(i int) event.Event {
	e := event.Event{
		TimeSource:      t0.Add(time.Duration(i) * time.Minute),
		TimeObservation: time.Now().UTC().Truncate(time.Microsecond),
		Feed:            event.Feed{Name: "suricata"},
		Source:          event.Endpoint{IP: netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), Port: 49152, CC: "PL", ASN: 5617},
		Destination:     event.Endpoint{IP: netip.MustParseAddr("203.0.113.5"), Port: 443, CC: "US", ASN: 64500, Flags: event.FlagHosting, Role: event.RoleC2},
		Malware:         "emotet",
		Text:            "ET CNC Feodo Tracker Reported CnC Server",
		Raw:             []byte(`{"event_type":"alert"}`),
		Line:            int64(i + 1),
	}
	e.SetClass(event.ClassInfected)
	return e
}

func flowEvent(i int) event.Event {
	return event.Event{
		Kind:            event.Observation,
		TimeSource:      t0.Add(time.Duration(i) * time.Second),
		TimeObservation: time.Now().UTC().Truncate(time.Microsecond),
		Feed:            event.Feed{Name: "suricata"},
		Source:          event.Endpoint{IP: netip.MustParseAddr("2001:db8::7"), Port: uint16(40000 + i)},
		Destination:     event.Endpoint{IP: netip.MustParseAddr("2001:db8::53"), Port: 53},
		Transport:       "udp",
		Raw:             []byte(`{"event_type":"flow"}`),
	}
}

func batchOf(events ...event.Event) *store.Batch {
	b := &store.Batch{Events: events}
	var h event.Hasher
	for i := range events {
		b.Keys = append(b.Keys, store.KeyOf(h.Sum(&events[i]), events[i].TimeSource))
	}
	return b
}

func write(t *testing.T, s store.Store, b *store.Batch) []bool {
	t.Helper()
	res, err := s.WriteBatch(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	return res.New
}

func totals(t *testing.T, s store.Store) store.Totals {
	t.Helper()
	tot, err := s.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tot
}

func testDuplicates(t *testing.T, s store.Store) {
	got := write(t, s, batchOf(c2Event(1), c2Event(2), c2Event(1), flowEvent(1)))
	if want := []bool{true, true, false, true}; !reflect.DeepEqual(got, want) {
		t.Fatalf("first batch new = %v, want %v (a repeat inside a batch is a duplicate)", got, want)
	}
	again := c2Event(2)
	again.TimeObservation = again.TimeObservation.Add(time.Hour) // read again later
	again.Raw = []byte(`{"event_type":"alert","spelled":"differently"}`)
	got = write(t, s, batchOf(again, c2Event(3)))
	if want := []bool{false, true}; !reflect.DeepEqual(got, want) {
		t.Fatalf("second batch new = %v, want %v", got, want)
	}
	tot := totals(t, s)
	if tot.Events != 4 || tot.Incidents != 3 || tot.Observations != 1 {
		t.Fatalf("totals %+v, want 4 events (3 incidents, 1 observation)", tot)
	}
}

func testDocument(t *testing.T, s store.Store) {
	e := c2Event(7)
	e.PutString("sid", "2404301")
	e.IPDB = "test@1"
	b := batchOf(e)
	write(t, s, b)
	got, err := s.EventByKey(context.Background(), b.Keys[0])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Fatalf("stored event differs:\n got %+v\nwant %+v", got, e)
	}
	if _, err := s.EventByKey(context.Background(), store.Key{1}); err != store.ErrNotFound {
		t.Fatalf("missing key: err %v, want ErrNotFound", err)
	}
}

func testFacts(t *testing.T, s store.Store) {
	ctx := context.Background()
	write(t, s, batchOf(c2Event(1), c2Event(2), flowEvent(1)))
	write(t, s, batchOf(c2Event(1))) // duplicate: must not count again
	facts, err := s.Facts(ctx, store.DayOf(t0), store.DayOf(t0))
	if err != nil {
		t.Fatal(err)
	}
	day := store.DayOf(t0)
	c2 := netip.MustParseAddr("203.0.113.5")
	want := []store.Fact{
		{Day: day, Role: event.RoleC2, IP: c2, Class: "malicious-code/c2-server", Malware: "emotet", Feed: "suricata", CC: "US", ASN: 64500, Flags: event.FlagHosting, Events: 2},
		{Day: day, Role: event.RoleInfected, IP: netip.MustParseAddr("192.0.2.1"), Class: "malicious-code/infected-system", Malware: "emotet", Feed: "suricata", CC: "PL", ASN: 5617, Peer: c2, PeerCC: "US", Events: 1},
		{Day: day, Role: event.RoleInfected, IP: netip.MustParseAddr("192.0.2.2"), Class: "malicious-code/infected-system", Malware: "emotet", Feed: "suricata", CC: "PL", ASN: 5617, Peer: c2, PeerCC: "US", Events: 1},
	}
	if !reflect.DeepEqual(facts, want) {
		t.Fatalf("facts:\n got %+v\nwant %+v", facts, want)
	}
	none, err := s.Facts(ctx, day+1, day+30)
	if err != nil || len(none) != 0 {
		t.Fatalf("facts outside the period: %v %v", none, err)
	}
}

func testFactsOfIP(t *testing.T, s store.Store) {
	ctx := context.Background()
	write(t, s, batchOf(c2Event(1), c2Event(2)))
	later := c2Event(3)
	later.TimeSource = later.TimeSource.AddDate(0, 0, 10)
	write(t, s, batchOf(later))
	day := store.DayOf(t0)
	c2 := netip.MustParseAddr("203.0.113.5")
	got, err := s.FactsOfIP(ctx, c2, day-1, day+30)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Day != day || got[1].Day != day+10 || got[0].Role != event.RoleC2 || got[0].Events != 2 || got[0].CC != "US" {
		t.Fatalf("facts of %s: %+v", c2, got)
	}
	if got, err := s.FactsOfIP(ctx, c2, day+1, day+5); err != nil || len(got) != 0 {
		t.Fatalf("facts of %s outside the days: %+v %v", c2, got, err)
	}
	host, err := s.FactsOfIP(ctx, netip.MustParseAddr("192.0.2.2"), day, day)
	if err != nil || len(host) != 1 || host[0].Role != event.RoleInfected || host[0].Peer != c2 {
		t.Fatalf("facts of an infected host: %+v %v", host, err)
	}
	if none, err := s.FactsOfIP(ctx, netip.MustParseAddr("198.51.100.77"), day-30, day+30); err != nil || len(none) != 0 {
		t.Fatalf("facts of an unseen address: %+v %v", none, err)
	}
}

func testKeyedRejections(t *testing.T, s store.Store) {
	ctx := context.Background()
	var runs []int64
	for range 2 {
		id, err := s.BeginIngest(ctx, store.IngestRun{Path: "stream", Format: "stream", Feed: "suricata", Started: t0})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, id)
		// The same message reaches a second worker after the first died:
		// its rejection has the same key. A file's own rejections have none
		// and are all kept.
		b := &store.Batch{IngestID: id, Rejects: []store.Rejection{
			{Line: 7, Reason: "eve.json: bad ip", Key: []byte("msg:abc")},
			{Line: 9, Reason: "eve.json: bad time"},
		}}
		if _, err := s.WriteBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	first, err := s.Rejections(ctx, runs[0])
	if err != nil || len(first) != 2 {
		t.Fatalf("first run's rejections %+v %v", first, err)
	}
	second, err := s.Rejections(ctx, runs[1])
	if err != nil || len(second) != 1 || second[0].Line != 9 {
		t.Fatalf("the redelivered rejection was stored again: %+v %v", second, err)
	}
}

func testIngests(t *testing.T, s store.Store) {
	ctx := context.Background()
	id, err := s.BeginIngest(ctx, store.IngestRun{Path: "/data/eve.json", Format: "eve", Feed: "suricata", Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	b := batchOf(c2Event(1))
	b.IngestID = id
	b.Rejects = []store.Rejection{{Line: 3, Reason: "invalid IP address \"148.81.111.11.12\""}, {Line: 2, Reason: "truncated"}}
	res, err := s.WriteBatch(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.Counts{Records: 3, Accepted: 1, Rejected: 2}); res.Counts != want {
		t.Fatalf("batch counts %+v, want %+v", res.Counts, want)
	}
	run, err := s.Ingest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != "running" || run.Counts != res.Counts || !run.Finished.IsZero() || run.Path != "/data/eve.json" || !run.Started.Equal(t0) {
		t.Fatalf("interrupted run reads back as %+v", run)
	}
	b2 := batchOf(c2Event(1), flowEvent(9))
	b2.IngestID = id
	write(t, s, b2)
	final := store.Counts{Records: 5, Accepted: 2, Duplicates: 1, Rejected: 2, Observations: 1}
	if err := s.FinishIngest(ctx, id, "done"); err != nil {
		t.Fatal(err)
	}
	run, _ = s.Ingest(ctx, id)
	if run.Status != "done" || run.Counts != final || run.Finished.IsZero() {
		t.Fatalf("finished run reads back as %+v", run)
	}
	rej, err := s.Rejections(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if want := []store.Rejection{{Line: 2, Reason: "truncated"}, {Line: 3, Reason: "invalid IP address \"148.81.111.11.12\""}}; !reflect.DeepEqual(rej, want) {
		t.Fatalf("rejections %v, want %v (in line order)", rej, want)
	}
	if _, err := s.Ingest(ctx, id+100); err != store.ErrNotFound {
		t.Fatalf("missing run: %v", err)
	}
}

func testIPDBs(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.ActiveIPDB(ctx); err != store.ErrNotFound {
		t.Fatalf("fresh store active ipdb: %v, want ErrNotFound", err)
	}
	emb, err := s.RegisterIPDB(ctx, "ip-location-db@2.3.2026061719", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.RegisterIPDB(ctx, "ip-location-db@2.3.2026061719", nil, false)
	if err != nil || again != emb {
		t.Fatalf("re-register gave %d, %v; want %d", again, err, emb)
	}
	op, err := s.RegisterIPDB(ctx, "GeoLite2-Country@2024-05-01", []byte("blob"), true)
	if err != nil || op == emb {
		t.Fatalf("register operator db: %d %v", op, err)
	}
	act, err := s.ActiveIPDB(ctx)
	if err != nil || act.ID != op || act.Name != "GeoLite2-Country@2024-05-01" || string(act.Data) != "blob" {
		t.Fatalf("active = %+v, %v", act, err)
	}
}

func testLists(t *testing.T, s store.Store) {
	ctx := context.Background()
	exit := store.Range{Lo: netip.MustParseAddr("198.51.100.7"), Hi: netip.MustParseAddr("198.51.100.7")}
	day := func(d int) time.Time { return time.Date(2024, 3, d, 0, 0, 0, 0, time.UTC) }
	added, ext, err := s.ImportList(ctx, []store.ListEntry{
		{Kind: event.FlagTor, Range: exit, From: day(1), To: day(2), Source: "exit-addresses"},
		{Kind: event.FlagHosting, Range: store.Range{Lo: netip.MustParseAddr("2001:db8::"), Hi: netip.MustParseAddr("2001:db8::ffff")}, Source: "hosting.txt"},
	})
	if err != nil || added != 2 || ext != 0 {
		t.Fatalf("first import: added %d extended %d err %v", added, ext, err)
	}
	// The next day's list extends the period; a list a month later starts a
	// new one.
	added, ext, err = s.ImportList(ctx, []store.ListEntry{
		{Kind: event.FlagTor, Range: exit, From: day(2), To: day(3), Source: "exit-addresses"},
		{Kind: event.FlagTor, Range: exit, From: day(25), To: day(26), Source: "exit-addresses"},
	})
	if err != nil || added != 1 || ext != 1 {
		t.Fatalf("second import: added %d extended %d err %v", added, ext, err)
	}
	got, err := s.ListEntries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.ListEntry{
		{Kind: event.FlagTor, Range: exit, From: day(1), To: day(3), Source: "exit-addresses"},
		{Kind: event.FlagTor, Range: exit, From: day(25), To: day(26), Source: "exit-addresses"},
		{Kind: event.FlagHosting, Range: store.Range{Lo: netip.MustParseAddr("2001:db8::"), Hi: netip.MustParseAddr("2001:db8::ffff")}, Source: "hosting.txt"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("entries:\n got %+v\nwant %+v", got, want)
	}
	asRange := func(e store.ListEntry) store.ListRange {
		r := store.ListRange{Kind: e.Kind, Lo: e.Range.Lo, Hi: e.Range.Hi, From: store.SinceEver, To: store.UntilEver}
		if !e.From.IsZero() {
			r.From = e.From.Unix()
		}
		if !e.To.IsZero() {
			r.To = e.To.Unix()
		}
		return r
	}
	for _, c := range []struct {
		from, to time.Time
		want     []store.ListEntry
	}{
		{day(10), day(20), want[2:]},                          // only the unbounded hosting range
		{day(2), day(2), []store.ListEntry{want[0], want[2]}}, // the first Tor period touches day 2
		{day(26), day(30), want[1:]},
		{time.Time{}, time.Time{}, want},
	} {
		var got []store.ListRange
		if err := s.EachListRange(ctx, c.from, c.to, func(r store.ListRange) { got = append(got, r) }); err != nil {
			t.Fatal(err)
		}
		var wantR []store.ListRange
		for _, e := range c.want {
			wantR = append(wantR, asRange(e))
		}
		sort.Slice(got, func(i, j int) bool {
			return got[i].Kind < got[j].Kind || got[i].Kind == got[j].Kind && got[i].From < got[j].From
		})
		sort.Slice(wantR, func(i, j int) bool {
			return wantR[i].Kind < wantR[j].Kind || wantR[i].Kind == wantR[j].Kind && wantR[i].From < wantR[j].From
		})
		if !reflect.DeepEqual(got, wantR) {
			t.Errorf("EachListRange(%s, %s) = %+v; want %+v", c.from.Format(time.DateOnly), c.to.Format(time.DateOnly), got, wantR)
		}
	}
}

func testDigest(t *testing.T, s store.Store) {
	ctx := context.Background()
	d0, err := s.Digest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	write(t, s, batchOf(c2Event(2), flowEvent(1)))
	write(t, s, batchOf(c2Event(1)))
	d1, _ := s.Digest(ctx)
	if d1 == d0 {
		t.Fatal("digest did not change when events were added")
	}
	// Re-writing the same content (later, in another order) changes nothing.
	write(t, s, batchOf(c2Event(1), flowEvent(1), c2Event(2)))
	if d2, _ := s.Digest(ctx); d2 != d1 {
		t.Fatal("digest changed when only duplicates were written")
	}
}

func testFactQueries(t *testing.T, s store.Store) {
	ctx := context.Background()
	day := store.DayOf(t0)
	b := batchOf(c2Event(1), c2Event(2), flowEvent(1), flowEvent(2))
	b.IPDB, _ = s.RegisterIPDB(ctx, "test-db@1", nil, false)
	write(t, s, b)
	write(t, s, batchOf(c2Event(1))) // a duplicate changes no count

	var streamed []store.Fact
	if err := s.EachFact(ctx, day, day, func(f *store.Fact) error {
		streamed = append(streamed, *f)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	all, _ := s.Facts(ctx, day, day)
	if !reflect.DeepEqual(streamed, all) {
		t.Fatalf("EachFact gave %+v, Facts %+v", streamed, all)
	}
	for _, c := range []struct {
		q    store.DistinctQuery
		want int64
	}{
		{store.DistinctQuery{From: day, To: day, Role: event.RoleC2}, 1},
		{store.DistinctQuery{From: day, To: day, Role: event.RoleInfected}, 2},
		{store.DistinctQuery{From: day, To: day, Role: event.RoleInfected, CC: "PL"}, 2},
		{store.DistinctQuery{From: day, To: day, Role: event.RoleInfected, CC: "DE"}, 0},
		{store.DistinctQuery{From: day + 1, To: day + 9, Role: event.RoleC2}, 0},
	} {
		got, err := s.CountDistinct(ctx, c.q)
		if err != nil || got != c.want {
			t.Errorf("CountDistinct(%+v) = %d, %v; want %d", c.q, got, err, c.want)
		}
	}
	feeds, err := s.FeedDays(ctx, day, day)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.FeedCount{{Feed: "suricata", IPDB: "test-db@1", Incidents: 2, Observations: 2}}
	if !reflect.DeepEqual(feeds, want) {
		t.Fatalf("FeedDays = %+v, want %+v", feeds, want)
	}
}
