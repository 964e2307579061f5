package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concord-cert/concord/internal/store/postgres/pgtest"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/store/sqlite"
	"github.com/concord-cert/concord/internal/store/storetest"
)

// withDatabase returns dsn with its database replaced by name.
func withDatabase(tb testing.TB, dsn, name string) string {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " dbname=" + name // keyword/value form: the last setting wins
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", pgtest.ServerEnv, err)
	}
	u.Path = "/" + name
	return u.String()
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// openTest opens a store on a fresh database.
func openTest(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(context.Background(), pgtest.Database(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t) })
}

func TestCaseworkConformance(t *testing.T) {
	storetest.RunCasework(t, func(t *testing.T) store.CaseStore { return openTest(t) })
}

func TestAccountsConformance(t *testing.T) {
	storetest.RunAccounts(t, func(t *testing.T) store.CaseStore { return openTest(t) })
}

func TestSearchConformance(t *testing.T) {
	storetest.RunSearch(t, func(t *testing.T) storetest.SearchStore { return openTest(t) })
}

func TestProcessesStartingTogetherMigrateOnce(t *testing.T) {
	dsn := pgtest.Database(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	stores := make([]*Store, 4)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = Open(ctx, dsn) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var n, max int
	if err := stores[0].Pool().QueryRow(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &max); err != nil {
		t.Fatal(err)
	}
	if n != len(migrations) || max != len(migrations) {
		t.Fatalf("schema_migrations has %d rows up to %d; want %d", n, max, len(migrations))
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	dsn := pgtest.Database(t)
	ctx := context.Background()
	s, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `INSERT INTO schema_migrations(version, applied) VALUES (999, 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, dsn); err == nil || !strings.Contains(err.Error(), "upgrade concord") {
		t.Fatalf("opening a database from a newer concord: %v", err)
	}
}

func TestOpenSaysWhatToDo(t *testing.T) {
	if os.Getenv(pgtest.ServerEnv) == "" {
		t.Skipf("%s is not set", pgtest.ServerEnv)
	}
	dsn := withDatabase(t, os.Getenv(pgtest.ServerEnv), "concord_test_missing_"+hex.EncodeToString(randomBytes(4)))
	_, err := Open(context.Background(), dsn)
	if err == nil || !strings.HasPrefix(err.Error(), "store: ") || !strings.Contains(err.Error(), "create the database first") {
		t.Fatalf("opening a missing database: %v", err)
	}
}

// alert is a C&C alert between host 10.0.h.h and server 203.0.113.c at t.
func alert(t time.Time, host, c2 int) event.Event {
	e := event.Event{
		TimeSource:      t,
		TimeObservation: time.Now().UTC().Truncate(time.Microsecond),
		Feed:            event.Feed{Name: "suricata"},
		Source:          event.Endpoint{IP: netip.AddrFrom4([4]byte{10, 0, byte(host >> 8), byte(host)}), CC: "PL", ASN: 5617},
		Destination:     event.Endpoint{IP: netip.AddrFrom4([4]byte{203, 0, 113, byte(c2)}), CC: "US", ASN: 64500, Role: event.RoleC2},
		Malware:         "emotet",
		Raw:             fmt.Appendf(nil, `{"host":%d,"c2":%d,"t":%d}`, host, c2, t.Unix()),
	}
	e.SetClass(event.ClassInfected)
	return e
}

func batchOf(events ...event.Event) *store.Batch {
	b := &store.Batch{Events: events}
	var h event.Hasher
	for i := range events {
		b.Keys = append(b.Keys, store.KeyOf(h.Sum(&events[i]), events[i].TimeSource))
	}
	return b
}

// TestPartitionsFollowTheKeyTime writes events of two months and one
// without a source time, and reads the latter again later (another
// observation time, so another event time): it must meet its first copy
// and be a duplicate.
func TestPartitionsFollowTheKeyTime(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	march := time.Date(2024, 3, 31, 23, 59, 59, 0, time.UTC)
	undated := alert(time.Time{}, 1, 1)
	undated.TimeObservation = time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)
	res, err := s.WriteBatch(ctx, batchOf(alert(march, 1, 1), alert(march.Add(time.Second), 2, 1), undated))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.New, []bool{true, true, true}) {
		t.Fatalf("new = %v", res.New)
	}
	again := undated
	again.TimeObservation = time.Date(2024, 6, 7, 0, 0, 0, 0, time.UTC)
	res, err = s.WriteBatch(ctx, batchOf(again))
	if err != nil {
		t.Fatal(err)
	}
	if res.New[0] {
		t.Fatal("an event without a source time, read again later, was stored again")
	}
	rows, _ := s.Pool().Query(ctx, `SELECT tableoid::regclass::text, COUNT(*) FROM events GROUP BY 1 ORDER BY 1`)
	got := map[string]int{}
	var name string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&name, &n}, func() error { got[name] = n; return nil }); err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"events_2024_03": 1, "events_2024_04": 1, "events_undated": 1}; !reflect.DeepEqual(got, want) {
		t.Fatalf("events per partition %v, want %v", got, want)
	}
	// A partition dropped by an operator is made again when needed.
	if _, err := s.Pool().Exec(ctx, `DROP TABLE events_2024_03`); err != nil {
		t.Fatal(err)
	}
	if res, err := s.WriteBatch(ctx, batchOf(alert(march, 1, 1))); err != nil || !res.New[0] {
		t.Fatalf("writing to a dropped month: %v %v", res.New, err)
	}
}

// TestConcurrentBatchesNeverDoubleCount writes overlapping batches from two
// stores (two pools, as two processes would) at once and checks that every
// event was stored once and every count is exact.
func TestConcurrentBatchesNeverDoubleCount(t *testing.T) {
	dsn := pgtest.Database(t)
	ctx := context.Background()
	var stores [2]*Store
	for i := range stores {
		s, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	t0 := time.Date(2024, 3, 30, 0, 0, 0, 0, time.UTC)
	const n = 3000
	all := make([]event.Event, n)
	for i := range all {
		// Three days across a month's end, 40 C&C servers, 700 hosts.
		all[i] = alert(t0.Add(time.Duration(i)*86*time.Second), i%700, i%40)
	}
	// Four writers, each writing every event of its own stripe and half of
	// everyone else's, in batches of 250 in different orders.
	const writers = 4
	var wg sync.WaitGroup
	stored := make([]int64, writers)
	counts := make([]store.Counts, writers)
	errs := make(chan error, writers)
	for w := range writers {
		s := stores[w%2]
		wg.Go(func() {
			var mine []event.Event
			for i := range all {
				if i%writers == w || (i/7)%2 == w%2 {
					mine = append(mine, all[i])
				}
			}
			if w%2 == 1 {
				for i, j := 0, len(mine)-1; i < j; i, j = i+1, j-1 {
					mine[i], mine[j] = mine[j], mine[i]
				}
			}
			for len(mine) > 0 {
				k := min(250, len(mine))
				res, err := s.WriteBatch(ctx, batchOf(mine[:k]...))
				if err != nil {
					errs <- err
					return
				}
				for _, isNew := range res.New {
					if isNew {
						stored[w]++
					}
				}
				counts[w].Accepted += res.Counts.Accepted
				counts[w].Duplicates += res.Counts.Duplicates
				mine = mine[k:]
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var total, accepted int64
	for w := range writers {
		total += stored[w]
		accepted += counts[w].Accepted
	}
	if total != n || accepted != n {
		t.Fatalf("writers stored %d events and accepted %d; want %d", total, accepted, n)
	}
	tot, err := stores[0].Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tot.Events != n || tot.Incidents != n {
		t.Fatalf("totals %+v, want %d events", tot, n)
	}
	// The facts are those of every event counted once.
	var want []store.Fact
	for i := range all {
		want = store.AppendFacts(want, &all[i])
	}
	want = store.MergeFacts(want)
	store.SortFacts(want)
	got, err := stores[1].Facts(ctx, store.DayOf(t0), store.DayOf(t0)+10)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("facts differ from those of the events counted once: %d facts, want %d", len(got), len(want))
	}
	feeds, err := stores[0].FeedDays(ctx, store.DayOf(t0), store.DayOf(t0)+10)
	if err != nil || len(feeds) != 1 || feeds[0].Incidents != n {
		t.Fatalf("feed days %+v %v, want %d incidents", feeds, err, n)
	}
}

// TestDigestMatchesSQLite writes the same batches to both backends: their
// digests, facts and feed counts must agree, as `concord migrate` relies on.
func TestDigestMatchesSQLite(t *testing.T) {
	pg := openTest(t)
	lite, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "concord.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	ctx := context.Background()
	t0 := time.Date(2024, 2, 27, 12, 0, 0, 0, time.UTC)
	var events []event.Event
	for i := range 500 {
		e := alert(t0.Add(time.Duration(i)*17*time.Minute), i%90, i%7)
		switch i % 5 {
		case 1:
			e.Malware = "Qakbot" // upper case sorts before lower case in byte order
		case 2:
			e.Malware = "ärger" // and non-ASCII after
		case 3:
			e.Destination.IP = netip.MustParseAddr("2001:db8::1")
		case 4:
			e.TimeSource = time.Time{} // undated
			e.TimeObservation = t0.Add(time.Duration(i) * time.Minute)
		}
		events = append(events, e)
	}
	for _, s := range []store.Store{pg, lite} {
		if _, err := s.WriteBatch(ctx, batchOf(events...)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.WriteBatch(ctx, batchOf(events[100:200]...)); err != nil {
			t.Fatal(err)
		}
	}
	dp, err := pg.Digest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dl, err := lite.Digest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if dp != dl {
		t.Errorf("digest: PostgreSQL %s, SQLite %s", dp, dl)
	}
	from, to := store.DayOf(t0)-1, store.DayOf(t0)+30
	fp, _ := pg.Facts(ctx, from, to)
	fl, _ := lite.Facts(ctx, from, to)
	if len(fp) == 0 || !reflect.DeepEqual(fp, fl) {
		t.Errorf("facts differ: %d in PostgreSQL, %d in SQLite", len(fp), len(fl))
	}
	for _, ip := range []netip.Addr{netip.MustParseAddr("203.0.113.3"), netip.MustParseAddr("10.0.0.17")} {
		ap, _ := pg.FactsOfIP(ctx, ip, from, to)
		al, _ := lite.FactsOfIP(ctx, ip, from, to)
		if len(ap) == 0 || !reflect.DeepEqual(ap, al) {
			t.Errorf("facts of %s differ: %d in PostgreSQL, %d in SQLite", ip, len(ap), len(al))
		}
	}
	cp, _ := pg.FeedDays(ctx, from, to)
	cl, _ := lite.FeedDays(ctx, from, to)
	if !reflect.DeepEqual(cp, cl) {
		t.Errorf("feed days: PostgreSQL %+v, SQLite %+v", cp, cl)
	}
}

// TestNewMonthDoesNotStallIngest starts a month's partition while a long
// reader (a Digest, say) holds events: the partition must wait for the
// reader, but batches of months already there and lookups must not wait
// behind it.
func TestNewMonthDoesNotStallIngest(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	march := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	first := batchOf(alert(march, 1, 1))
	if _, err := s.WriteBatch(ctx, first); err != nil {
		t.Fatal(err)
	}
	reader, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Rollback(ctx)
	var n int
	if err := reader.QueryRow(ctx, `SELECT COUNT(*) FROM events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	attached := make(chan error, 1)
	go func() {
		_, err := s.WriteBatch(ctx, batchOf(alert(march.AddDate(0, 2, 0), 2, 1)))
		attached <- err
	}()
	time.Sleep(200 * time.Millisecond) // let it wait for the reader
	select {
	case err := <-attached:
		t.Fatalf("the new month did not wait for the reader (%v): is the test still testing anything?", err)
	default:
	}
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := s.WriteBatch(c, batchOf(alert(march.Add(time.Hour), 3, 1))); err != nil {
		t.Fatalf("a batch of a month already there waited behind the new partition: %v", err)
	}
	if _, err := s.EventByKey(c, first.Keys[0]); err != nil {
		t.Fatalf("a lookup waited behind the new partition: %v", err)
	}
	reader.Rollback(ctx)
	if err := <-attached; err != nil {
		t.Fatal(err)
	}
}
