package postgres

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// month is one monthly partition of events: key times lo <= t < hi.
type month struct{ lo, hi int64 }

// monthOf returns the partition of key time t > 0. January 1970 starts at
// 1, not 0: key time 0 belongs to events_undated.
func monthOf(t int64) month {
	d := time.Unix(t, 0).UTC()
	start := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
	return month{max(start.Unix(), 1), start.AddDate(0, 1, 0).Unix()}
}

func (m month) table() string {
	d := time.Unix(m.lo, 0).UTC()
	return fmt.Sprintf("events_%04d_%02d", d.Year(), int(d.Month()))
}

// ensurePartitions creates the monthly partitions the keys need and the
// store has not seen yet, before the batch's transaction. Each is created
// as a table of its own and attached: CREATE TABLE ... PARTITION OF would
// lock all of events until the end of its transaction, and wait for every
// running reader of it (a Digest can take minutes) while the batches of
// every process queued behind it. ATTACH PARTITION takes a lock on events
// that reads and writes do not wait for; it only locks the new table and,
// briefly, events_undated, whose CHECK spares it a scan. A CHECK on the new
// table's range spares the scan of the new table too. The partition lock
// serialises creators, so processes needing the same month at once create
// it once. An empty partition left by a batch that then failed is harmless.
func (s *Store) ensurePartitions(ctx context.Context, keys []store.Key) error {
	var need []month
	var cur month
	s.mu.Lock()
	for i := range keys {
		t := store.KeyTime(keys[i])
		if t == 0 || t >= cur.lo && t < cur.hi {
			continue // undated, or in the month of the key before
		}
		cur = monthOf(t)
		if !s.partitions[cur.lo] && !slices.Contains(need, cur) {
			need = append(need, cur)
		}
	}
	s.mu.Unlock()
	if len(need) == 0 {
		return nil
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockPartitions); err != nil {
			return err
		}
		for _, m := range need {
			if err := attachMonth(ctx, tx, m); err != nil {
				return fmt.Errorf("%s: %w", m.table(), err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: create event partition: %w", err)
	}
	s.mu.Lock()
	for _, m := range need {
		s.partitions[m.lo] = true
	}
	s.mu.Unlock()
	return nil
}

// attachMonth creates and attaches the partition of month m unless it is
// there.
func attachMonth(ctx context.Context, tx pgx.Tx, m month) error {
	t := m.table()
	var exists, attached bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL, EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass($1))`,
		t).Scan(&exists, &attached); err != nil {
		return err
	}
	switch {
	case attached:
		return nil
	case exists:
		return fmt.Errorf("a table %s exists but is not a partition of events: attach it (ALTER TABLE events ATTACH PARTITION %s FOR VALUES FROM (%d) TO (%d)), or rename or drop it", t, t, m.lo, m.hi)
	}
	for _, q := range []string{
		`CREATE TABLE %[1]s (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING INDEXES)`,
		`ALTER TABLE %[1]s ADD CONSTRAINT %[1]s_range CHECK (key_time >= %[2]d AND key_time < %[3]d)`,
		`ALTER TABLE events ATTACH PARTITION %[1]s FOR VALUES FROM (%[2]d) TO (%[3]d)`,
		`ALTER TABLE %[1]s DROP CONSTRAINT %[1]s_range`, // the partition bound says as much
	} {
		if _, err := tx.Exec(ctx, fmt.Sprintf(q, t, m.lo, m.hi)); err != nil {
			return err
		}
	}
	return nil
}

// forgetPartitions drops what the store knows of partitions, after one
// went missing (an operator dropped an old month to free space).
func (s *Store) forgetPartitions() {
	s.mu.Lock()
	clear(s.partitions)
	s.mu.Unlock()
}

// createStaging creates the session's staging table for events. It lives
// as long as the session; ON COMMIT DELETE ROWS empties it at the end of
// each batch, without the catalog churn of creating and dropping a table
// per batch. Every batch sends it, in the round trip that begins the
// transaction, rather than the store remembering which connections have
// the table: behind a pooler such as PgBouncer a connection's next
// transaction may run in another session.
const createStaging = `CREATE TEMPORARY TABLE IF NOT EXISTS staging_events (
	key_time  bigint,
	time      bigint,
	ingest_id bigint,
	src_asn   bigint,
	dst_asn   bigint,
	src_flags integer,
	dst_flags integer,
	tlp       smallint,
	key       bytea,
	class     text,
	feed      text,
	src_ip    bytea,
	src_cc    text,
	dst_ip    bytea,
	dst_cc    text,
	malware   text,
	doc       bytea
) ON COMMIT DELETE ROWS`

var stagingColumns = []string{"key_time", "time", "ingest_id", "src_asn", "dst_asn", "src_flags", "dst_flags", "tlp",
	"key", "class", "feed", "src_ip", "src_cc", "dst_ip", "dst_cc", "malware", "doc"}

// insertEvents moves the staged events into events, skipping those already
// stored, and returns the keys it stored. Rows go in key order, so that
// two batches sharing events wait for each other in one order and never
// deadlock.
const insertEvents = `INSERT INTO events (key_time, time, ingest_id, src_asn, dst_asn, src_flags, dst_flags, tlp,
	key, class, feed, src_ip, src_cc, dst_ip, dst_cc, malware, doc)
SELECT key_time, time, ingest_id, src_asn, dst_asn, src_flags, dst_flags, tlp,
	key, class, feed, src_ip, src_cc, dst_ip, dst_cc, malware, doc
FROM staging_events ORDER BY key
ON CONFLICT (key, key_time) DO NOTHING
RETURNING key`

// upsertFacts adds a batch's facts, given as arrays in key order (so that
// concurrent batches lock shared facts in one order).
const upsertFacts = `INSERT INTO facts (day, role, ip, class, malware, peer, feed, peer_cc, cc, asn, flags, events, as_name)
SELECT * FROM unnest($1::integer[], $2::smallint[], $3::bytea[], $4::text[], $5::text[], $6::bytea[], $7::text[],
	$8::text[], $9::text[], $10::bigint[], $11::integer[], $12::bigint[], $13::text[])
ON CONFLICT (day, role, ip, class, malware, peer, feed) DO UPDATE SET
	events = facts.events + excluded.events,
	flags = facts.flags | excluded.flags`

const upsertFeedDays = `INSERT INTO feed_days (day, feed, ipdb_id, incidents, observations, max_tlp)
SELECT d, f, $3, i, o, t FROM unnest($1::integer[], $2::text[], $4::bigint[], $5::bigint[], $6::smallint[]) AS u(d, f, i, o, t)
ON CONFLICT (day, feed, ipdb_id) DO UPDATE SET
	incidents = feed_days.incidents + excluded.incidents,
	observations = feed_days.observations + excluded.observations,
	max_tlp = GREATEST(feed_days.max_tlp, excluded.max_tlp)`

const insertRejections = `INSERT INTO rejections (ingest_id, line, reason, key)
SELECT $1, l, r, k FROM unnest($2::bigint[], $3::text[], $4::bytea[]) AS u(l, r, k)
ON CONFLICT DO NOTHING`

const updateIngest = `UPDATE ingests SET records = records + $1, accepted = accepted + $2, duplicates = duplicates + $3,
	rejected = rejected + $4, observations = observations + $5, kept = kept + $6, ipdb_id = COALESCE(ipdb_id, $7) WHERE id = $8`

// WriteBatch implements store.Events.
//
// The batch is one transaction: its events are copied (COPY, the fastest
// way into PostgreSQL) into a temporary staging table and moved from there
// into events with ON CONFLICT DO NOTHING, whose RETURNING names the new
// ones; the run's kept objects follow in two round trips (addTAXIIObjects),
// then the facts, per-day feed counts, rejections and run counters are
// sent together in one round trip. A concurrent batch holding
// the same event makes this one wait until it commits or rolls back, then
// count the event as a duplicate or store it: never both, never neither.
func (s *Store) WriteBatch(ctx context.Context, b *store.Batch) (store.BatchResult, error) {
	res := store.BatchResult{New: make([]bool, len(b.Events)), Kept: make([]bool, len(b.Objects))}
	if len(b.Keys) != len(b.Events) || (b.Docs != nil && len(b.Docs) != len(b.Events)) {
		return res, fmt.Errorf("store: batch has %d events, %d keys and %d documents", len(b.Events), len(b.Keys), len(b.Docs))
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	err := s.ensurePartitions(ctx, b.Keys)
	if err == nil {
		err = s.writeBatch(ctx, b, &res)
		if isCode(err, checkViolation) && constraintOf(err) == "events_undated_key_time" {
			// A partition the store created was dropped since: make it again.
			s.forgetPartitions()
			clear(res.New)
			clear(res.Kept)
			if err = s.ensurePartitions(ctx, b.Keys); err == nil {
				err = s.writeBatch(ctx, b, &res)
			}
		}
	}
	if err != nil {
		res.New, res.Kept = make([]bool, len(b.Events)), make([]bool, len(b.Objects))
		res.Counts = store.Counts{}
	}
	return res, err
}

func constraintOf(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.ConstraintName
	}
	return ""
}

// writeBatch does WriteBatch's work in one transaction.
func (s *Store) writeBatch(ctx context.Context, b *store.Batch, res *store.BatchResult) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store: begin batch: %w", err)
	}
	defer conn.Release()
	var begin pgx.Batch
	begin.BeginTx(pgx.TxOptions{})
	begin.Queue(createStaging)
	br := conn.SendBatch(ctx, &begin)
	tx := br.Tx()
	defer tx.Rollback(ctx)
	if err := br.Close(); err != nil {
		return fmt.Errorf("store: begin batch: %w", err)
	}

	// Of equal keys, the first in the input is the one stored, as in SQLite;
	// the others are duplicates and never reach the database.
	order := store.KeyOrder(b.Keys)
	uniq := order[:0:0]
	for j, i := range order {
		if j > 0 && b.Keys[i] == b.Keys[order[j-1]] {
			continue
		}
		uniq = append(uniq, i)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"staging_events"}, stagingColumns, &eventRows{b: b, idx: uniq}); err != nil {
		return fmt.Errorf("store: copy events: %w", err)
	}
	byKey := make(map[store.Key]int, len(uniq))
	for _, i := range uniq {
		byKey[b.Keys[i]] = i
	}
	var k []byte
	rows, _ := tx.Query(ctx, insertEvents)
	if _, err := pgx.ForEachRow(rows, []any{&k}, func() error {
		if len(k) == store.KeySize {
			if i, ok := byKey[store.Key(k)]; ok {
				res.New[i] = true
				return nil
			}
		}
		return fmt.Errorf("the database returned key %x, which the batch does not hold", k)
	}); err != nil {
		return fmt.Errorf("store: insert events: %w", err)
	}

	// The run's kept objects go after the events, as every writer's do:
	// batches take the rows of events, then of the collections, then of
	// facts and counters, in one order, so they never wait for each other.
	if res.Kept, err = addTAXIIObjects(ctx, tx, len(b.Objects), func(i int) *store.TAXIIObject { return &b.Objects[i].TAXIIObject }, time.Now()); err != nil {
		return err
	}

	var facts []store.Fact
	for _, i := range uniq {
		if res.New[i] {
			facts = store.AppendFacts(facts, &b.Events[i])
		}
	}
	facts = store.MergeFacts(facts)
	store.SortFacts(facts)
	facts = mergeStored(facts)

	var q pgx.Batch
	if len(facts) > 0 {
		q.Queue(upsertFacts, factColumns(facts)...)
	}
	if days, feeds, inc, obs, tlps := feedDays(b, res.New); len(days) > 0 {
		q.Queue(upsertFeedDays, days, feeds, b.IPDB, inc, obs, tlps)
	}
	res.Counts = store.BatchCounts(b, res.New, res.Kept)
	if b.IngestID != 0 {
		if len(b.Rejects) > 0 {
			lines, reasons, keys := make([]int64, len(b.Rejects)), make([]string, len(b.Rejects)), make([][]byte, len(b.Rejects))
			for i, r := range b.Rejects {
				lines[i], reasons[i] = r.Line, r.Reason
				if len(r.Key) > 0 {
					keys[i] = r.Key
				}
			}
			q.Queue(insertRejections, b.IngestID, lines, reasons, keys)
		}
		c := res.Counts
		var ipdb any
		if b.IPDB != 0 {
			ipdb = b.IPDB
		}
		q.Queue(updateIngest, c.Records, c.Accepted, c.Duplicates, c.Rejected, c.Observations, c.Kept, ipdb, b.IngestID)
	}
	if q.Len() > 0 {
		if err := tx.SendBatch(ctx, &q).Close(); err != nil {
			return fmt.Errorf("store: write facts and counters: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("store: commit batch: %w", err)
	}
	return nil
}

// eventRows feeds the batch's events, in the order of idx, to COPY. It
// reuses one row: pgx encodes each row before asking for the next.
type eventRows struct {
	b    *store.Batch
	idx  []int
	n    int
	row  [17]any
	doc  []byte
	docs store.DocEncoder
}

func (r *eventRows) Next() bool {
	r.n++
	return r.n <= len(r.idx)
}

func (r *eventRows) Err() error { return nil }

func (r *eventRows) Values() ([]any, error) {
	i := r.idx[r.n-1]
	e, k := &r.b.Events[i], &r.b.Keys[i]
	doc := r.doc[:0]
	if r.b.Docs != nil {
		doc = r.b.Docs[i]
	} else {
		doc = r.docs.AppendDoc(doc, e)
		r.doc = doc
	}
	r.row = [17]any{
		store.KeyTime(*k), e.Time().UnixMicro(), num(r.b.IngestID), num(e.Source.ASN), num(e.Destination.ASN),
		flags(e.Source.Flags), flags(e.Destination.Flags), int16(e.TLP),
		k[:], str(e.Class.String()), e.Feed.Name, ip16(e.Source.IP), str(e.Source.CC),
		ip16(e.Destination.IP), str(e.Destination.CC), str(e.Malware), doc,
	}
	return r.row[:], nil
}

// num stores 0 as NULL.
func num[T ~uint32 | ~int64](n T) any {
	if n == 0 {
		return nil
	}
	return int64(n)
}

// flags stores no flags as NULL.
func flags(f event.Flags) any {
	if f == 0 {
		return nil
	}
	return int32(f)
}

// mergeStored folds facts whose keys differ in Go but not as stored (an
// IPv4 address and its IPv4-mapped IPv6 form, an address with a zone),
// which SortFacts leaves side by side. One statement may not upsert a row
// twice; SQLite, writing row by row, adds them up the same way.
func mergeStored(facts []store.Fact) []store.Fact {
	out := facts[:0]
	for _, f := range facts {
		if n := len(out); n > 0 && sameStored(&out[n-1], &f) {
			out[n-1].Events += f.Events
			out[n-1].Flags |= f.Flags
			continue
		}
		out = append(out, f)
	}
	return out
}

func sameStored(a, b *store.Fact) bool {
	return a.Day == b.Day && a.Role == b.Role && a.Class == b.Class && a.Malware == b.Malware && a.Feed == b.Feed &&
		bytes.Equal(store.AddrBytes(a.IP), store.AddrBytes(b.IP)) && bytes.Equal(store.AddrBytes(a.Peer), store.AddrBytes(b.Peer))
}

// factColumns turns facts into the column arrays of upsertFacts.
func factColumns(facts []store.Fact) []any {
	n := len(facts)
	var (
		day                                     = make([]int32, n)
		role                                    = make([]int16, n)
		ip, peer                                = make([][]byte, n), make([][]byte, n)
		class, malware, feed, peerCC, cc, asNam = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		asn, events                             = make([]int64, n), make([]int64, n)
		fl                                      = make([]int32, n)
	)
	for i := range facts {
		f := &facts[i]
		day[i], role[i], ip[i], class[i], malware[i], peer[i], feed[i] = f.Day, int16(f.Role), store.AddrBytes(f.IP), f.Class, f.Malware, store.AddrBytes(f.Peer), f.Feed
		peerCC[i], cc[i], asn[i], fl[i], events[i], asNam[i] = f.PeerCC, f.CC, int64(f.ASN), int32(f.Flags), f.Events, f.ASName
	}
	return []any{day, role, ip, class, malware, peer, feed, peerCC, cc, asn, fl, events, asNam}
}

// feedDays counts the batch's new events per day and feed, in (day, feed)
// order so concurrent batches update shared rows in one order.
func feedDays(b *store.Batch, isNew []bool) (days []int32, feeds []string, incidents, observations []int64, tlps []int16) {
	counts, keys := store.CountFeedDays(b, isNew)
	slices.SortFunc(keys, func(a, b store.DayFeed) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Feed, b.Feed))
	})
	for _, k := range keys {
		c := counts[k]
		days, feeds = append(days, k.Day), append(feeds, k.Feed)
		incidents, observations, tlps = append(incidents, c.Incidents), append(observations, c.Observations), append(tlps, int16(c.MaxTLP))
	}
	return days, feeds, incidents, observations, tlps
}

// EventByKey implements store.Reader.
func (s *Store) EventByKey(ctx context.Context, k store.Key) (event.Event, error) {
	var doc []byte
	err := s.pool.QueryRow(ctx, `SELECT doc FROM events WHERE key = $1 AND key_time = $2`, k[:], store.KeyTime(k)).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return event.Event{}, store.ErrNotFound
	}
	if err != nil {
		return event.Event{}, fmt.Errorf("store: read event: %w", err)
	}
	var e event.Event
	if err := store.DecodeDoc(doc, &e); err != nil {
		return e, fmt.Errorf("store: decode event %x: %w", k, err)
	}
	return e, nil
}
