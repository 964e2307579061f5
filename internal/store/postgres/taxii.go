package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

var _ store.TAXII = (*Store)(nil)

// AddTAXIIObjects implements store.TAXII, through addTAXIIObjects.
func (s *Store) AddTAXIIObjects(ctx context.Context, objs []store.TAXIIObject, now time.Time) ([]bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: begin TAXII add: %w", err)
	}
	defer tx.Rollback(ctx)
	added, err := addTAXIIObjects(ctx, tx, len(objs), func(i int) *store.TAXIIObject { return &objs[i] }, now)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("store: commit TAXII add: %w", err)
	}
	return added, nil
}

// lockCollections locks the rows of the collections $1 in the order
// given, creating those that are new, and returns their high-water marks.
const lockCollections = `INSERT INTO taxii_collections (id, last_added)
SELECT c, 0 FROM unnest($1::text[]) WITH ORDINALITY AS u(c, n) ORDER BY n
ON CONFLICT (id) DO UPDATE SET last_added = taxii_collections.last_added
RETURNING id, last_added`

// taxiiSpans returns the oldest and newest version held of each object
// ($1 the collections, $2 the ids), one index probe each, with the rows
// that hold its first and last flags; objects the collections do not hold
// return no row.
const taxiiSpans = `SELECT u.c, u.o, s.lo, s.hi, s.f, s.l
FROM unnest($1::text[], $2::text[]) AS u(c, o)
CROSS JOIN LATERAL (SELECT MIN(version) AS lo, MAX(version) AS hi,
	array_agg(id) FILTER (WHERE first) AS f, array_agg(id) FILTER (WHERE last) AS l
	FROM taxii_objects t WHERE t.collection = u.c AND t.object_id = u.o) s
WHERE s.lo IS NOT NULL`

// clearTAXIIFirst and clearTAXIILast take the flags from the rows $1, held
// versions whose span the new versions extend. They name the rows by id:
// joining the objects' ids to the table instead makes the planner hash all
// of it, with every call.
const (
	clearTAXIIFirst = `UPDATE taxii_objects SET first = false WHERE id = ANY($1::bigint[])`
	clearTAXIILast  = `UPDATE taxii_objects SET last = false WHERE id = ANY($1::bigint[])`
)

// insertTAXIIObjects inserts the versions the store does not hold yet,
// raises the high-water marks of their collections to the newest Added
// inserted, and returns each inserted row's Seq with what names it in the
// call: its collection and Added.
const insertTAXIIObjects = `WITH ins AS (
	INSERT INTO taxii_objects (collection, object_id, version, type, spec_version, added, tlp, first, last, object)
	SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::smallint[],
		$8::boolean[], $9::boolean[], $10::bytea[])
	ON CONFLICT (collection, object_id, version) DO NOTHING
	RETURNING id, collection, added
), hw AS (
	UPDATE taxii_collections c SET last_added = m.added
	FROM (SELECT collection, MAX(added) AS added FROM ins GROUP BY collection) m
	WHERE c.id = m.collection
)
SELECT id, collection, added FROM ins`

// addTAXIIObjects stores the n objects obj returns (each naming its
// collection) by the rules of store.TAXII's AddTAXIIObjects, in tx: it
// gives each new version its Added time and Seq and reports which were
// new. AddTAXIIObjects and WriteBatch (a run's kept objects) both store
// objects through it.
//
// It takes two round trips however many objects there are. The first
// locks the collections' rows, in one order for every writer so that two
// never wait for each other, and holds them to the commit: writers to one
// collection commit in the order of the Added times they give, so a reader
// paging by Added never sees a later time before an earlier one. The same
// round trip reads the span of versions held of each object. The flags
// and Added times are then worked out here, for several versions of one
// object in the call too, and the second round trip clears the flags the
// new versions take over and inserts them all; ON CONFLICT leaves the
// versions held already, which lie inside their object's span and so
// change no flag. Added times given to those are skipped: gaps are fine,
// order is what matters.
func addTAXIIObjects(ctx context.Context, tx pgx.Tx, n int, obj func(int) *store.TAXIIObject, now time.Time) ([]bool, error) {
	added := make([]bool, n)
	if n == 0 {
		return added, nil
	}
	type objKey struct{ c, id string }
	type objSpan struct {
		held     bool
		lo, hi   int64   // the versions held before the call, when held
		f, l     []int64 // the rows flagged first and last, when held
		min, max int64   // the versions of the call
	}
	spans := make(map[objKey]*objSpan, n)
	var names, cs, ids []string
	for i := range n {
		o := obj(i)
		v := o.Version.UnixMicro()
		k := objKey{o.Collection, o.ID}
		sp := spans[k]
		if sp == nil {
			spans[k] = &objSpan{min: v, max: v}
			names, cs, ids = append(names, o.Collection), append(cs, o.Collection), append(ids, o.ID)
			continue
		}
		sp.min, sp.max = min(sp.min, v), max(sp.max, v)
	}
	names = uniqueSorted(names)

	last := make(map[string]int64, len(names))
	var read pgx.Batch
	read.Queue(lockCollections, names).Query(func(rows pgx.Rows) error {
		var c string
		var v int64
		_, err := pgx.ForEachRow(rows, []any{&c, &v}, func() error {
			last[c] = v
			return nil
		})
		return err
	})
	read.Queue(taxiiSpans, cs, ids).Query(func(rows pgx.Rows) error {
		var k objKey
		var lo, hi int64
		var f, l []int64
		_, err := pgx.ForEachRow(rows, []any{&k.c, &k.id, &lo, &hi, &f, &l}, func() error {
			if sp := spans[k]; sp != nil {
				sp.held, sp.lo, sp.hi, sp.f, sp.l = true, lo, hi, slices.Clone(f), slices.Clone(l)
			}
			f, l = nil, nil // a NULL array must not read as the row before's
			return nil
		})
		return err
	})
	if err := tx.SendBatch(ctx, &read).Close(); err != nil {
		return nil, fmt.Errorf("store: lock TAXII collections and read versions: %w", err)
	}

	var clearFirst, clearLast []int64 // rows whose flag a new version takes over
	for _, sp := range spans {
		if sp.held && sp.min < sp.lo {
			clearFirst = append(clearFirst, sp.f...)
		}
		if sp.held && sp.max > sp.hi {
			clearLast = append(clearLast, sp.l...)
		}
	}
	type verKey struct {
		objKey
		v int64
	}
	type addedKey struct {
		c  string
		at int64
	}
	var (
		seen                   = make(map[verKey]bool, n)
		row                    = make(map[addedKey]int, n)
		colls, oids, typs, svs []string
		vers, ats              []int64
		tlps                   []int16
		firsts, lasts          []bool
		jsons                  [][]byte
	)
	nowUS := now.UnixMicro()
	for i := range n {
		o := obj(i)
		v := o.Version.UnixMicro()
		k := verKey{objKey{o.Collection, o.ID}, v}
		if seen[k] {
			continue // the same version earlier in the call
		}
		seen[k] = true
		sp := spans[k.objKey]
		at := max(nowUS, last[o.Collection]+1)
		last[o.Collection] = at
		row[addedKey{o.Collection, at}] = i
		colls, oids, vers, typs, svs = append(colls, o.Collection), append(oids, o.ID), append(vers, v), append(typs, o.Type), append(svs, o.SpecVersion)
		ats, tlps, jsons = append(ats, at), append(tlps, int16(o.TLP)), append(jsons, o.JSON)
		firsts = append(firsts, v == sp.min && (!sp.held || v < sp.lo))
		lasts = append(lasts, v == sp.max && (!sp.held || v > sp.hi))
	}

	var write pgx.Batch
	if len(clearFirst) > 0 {
		write.Queue(clearTAXIIFirst, clearFirst)
	}
	if len(clearLast) > 0 {
		write.Queue(clearTAXIILast, clearLast)
	}
	write.Queue(insertTAXIIObjects, colls, oids, vers, typs, svs, ats, tlps, firsts, lasts, jsons).Query(func(rows pgx.Rows) error {
		var k addedKey
		var seq int64
		_, err := pgx.ForEachRow(rows, []any{&seq, &k.c, &k.at}, func() error {
			i, ok := row[k]
			if !ok {
				return fmt.Errorf("the database returned a version added at %d to %s, which the call does not hold", k.at, k.c)
			}
			o := obj(i)
			o.Seq, o.Added = seq, time.UnixMicro(k.at).UTC()
			added[i] = true
			return nil
		})
		return err
	})
	if err := tx.SendBatch(ctx, &write).Close(); err != nil {
		return nil, fmt.Errorf("store: add TAXII objects: %w", err)
	}
	return added, nil
}

// uniqueSorted returns the distinct names in order: collections are locked
// in one order by every writer, so two never wait for each other.
func uniqueSorted(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// taxiiWhere is the WHERE clause of q, without the cursor and the dates,
// and without the labels unless withTLP is set.
func taxiiWhere(q *store.TAXIIQuery, withTLP bool) (string, []any) {
	args := []any{q.Collection}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var b strings.Builder
	b.WriteString("collection = $1")
	tlps := []int16{-1}
	for _, t := range q.TLPs {
		tlps = append(tlps, int16(t))
	}
	if withTLP {
		b.WriteString(" AND tlp = ANY(" + arg(tlps) + ")")
	}
	if len(q.IDs) > 0 {
		b.WriteString(" AND object_id = ANY(" + arg(q.IDs) + ")")
	}
	if len(q.Types) > 0 {
		b.WriteString(" AND type = ANY(" + arg(q.Types) + ")")
	}
	if len(q.SpecVersions) > 0 {
		b.WriteString(" AND spec_version = ANY(" + arg(q.SpecVersions) + ")")
	}
	if q.First || q.Last || len(q.Versions) > 0 {
		var alts []string
		if q.First {
			alts = append(alts, "first")
		}
		if q.Last {
			alts = append(alts, "last")
		}
		if len(q.Versions) > 0 {
			vs := make([]int64, len(q.Versions))
			for i, v := range q.Versions {
				vs[i] = v.UnixMicro()
			}
			alts = append(alts, "version = ANY("+arg(vs)+")")
		}
		b.WriteString(" AND (" + strings.Join(alts, " OR ") + ")")
	}
	return b.String(), args
}

// TAXIIObjects implements store.TAXII. Each label the caller may receive
// is read on its own, in the order of the index (collection, tlp, added,
// id), and the parts merged: a caller who receives a label that is rare
// in the collection reads a page without scanning past the others, and
// the rows of the other labels' parts that do not make the page are
// never read.
func (s *Store) TAXIIObjects(ctx context.Context, q store.TAXIIQuery) (store.TAXIIPage, error) {
	if len(q.TLPs) == 0 {
		return store.TAXIIPage{}, nil
	}
	where, args := taxiiWhere(&q, false)
	n := func() string { return "$" + strconv.Itoa(len(args)) }
	if !q.AddedAfter.IsZero() {
		args = append(args, q.AddedAfter.UnixMicro())
		where += " AND added > " + n()
	}
	if !q.After.Added.IsZero() {
		args = append(args, q.After.Added.UnixMicro())
		a := n()
		args = append(args, q.After.Seq)
		where += " AND (added, id) > (" + a + ", " + n() + ")"
	}
	body := "t.object"
	if q.NoJSON {
		body = "NULL::bytea"
	}
	limit := q.PageLimit()
	args = append(args, limit+1)
	lim := n()
	var parts []string
	for _, t := range q.TLPs {
		args = append(args, int16(t))
		parts = append(parts, `(SELECT id, added FROM taxii_objects WHERE tlp = `+n()+` AND `+where+` ORDER BY added, id LIMIT `+lim+`)`)
	}
	// The keys of the page come from the index alone (it includes the
	// version flags); only the page's own rows are read.
	rows, err := s.pool.Query(ctx, `SELECT t.id, t.object_id, t.version, t.type, t.spec_version, t.added, t.tlp, `+body+`
		FROM (SELECT id, added FROM (`+strings.Join(parts, " UNION ALL ")+`) u ORDER BY added, id LIMIT `+lim+`) k
		JOIN taxii_objects t ON t.id = k.id ORDER BY k.added, k.id`, args...)
	if err != nil {
		return store.TAXIIPage{}, fmt.Errorf("store: query TAXII objects: %w", err)
	}
	defer rows.Close()
	var page store.TAXIIPage
	for rows.Next() {
		if len(page.Objects) == limit {
			page.More = true
			break
		}
		o := store.TAXIIObject{Collection: q.Collection}
		var version, added int64
		var tlp int16
		if err := rows.Scan(&o.Seq, &o.ID, &version, &o.Type, &o.SpecVersion, &added, &tlp, &o.JSON); err != nil {
			return store.TAXIIPage{}, fmt.Errorf("store: read TAXII object: %w", err)
		}
		o.Version, o.Added, o.TLP = time.UnixMicro(version).UTC(), time.UnixMicro(added).UTC(), event.TLP(tlp)
		page.Objects = append(page.Objects, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return store.TAXIIPage{}, fmt.Errorf("store: query TAXII objects: %w", err)
	}
	if n := len(page.Objects); n > 0 {
		page.Next = store.TAXIICursor{Added: page.Objects[n-1].Added, Seq: page.Objects[n-1].Seq}
	}
	return page, nil
}

// DeleteTAXIIObjects implements store.TAXII.
func (s *Store) DeleteTAXIIObjects(ctx context.Context, q store.TAXIIQuery) (int64, error) {
	if len(q.IDs) == 0 {
		return 0, errors.New("store: delete TAXII objects: no object named")
	}
	where, args := taxiiWhere(&q, true)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: begin TAXII delete: %w", err)
	}
	defer tx.Rollback(ctx)
	tag, err := tx.Exec(ctx, `DELETE FROM taxii_objects WHERE `+where, args...)
	if err != nil {
		return 0, fmt.Errorf("store: delete TAXII objects: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE taxii_objects t SET first = (t.version = m.lo), last = (t.version = m.hi)
		FROM (SELECT object_id, MIN(version) AS lo, MAX(version) AS hi FROM taxii_objects
			WHERE collection = $1 AND object_id = ANY($2) GROUP BY object_id) m
		WHERE t.collection = $1 AND t.object_id = m.object_id`, q.Collection, q.IDs); err != nil {
		return 0, fmt.Errorf("store: update versions after a TAXII delete: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("store: commit TAXII delete: %w", err)
	}
	return tag.RowsAffected(), nil
}

// taxiiDetails is how a status's object lists are stored.
type taxiiDetails struct {
	Successes []store.TAXIIStatusDetail `json:"successes"`
	Failures  []store.TAXIIStatusDetail `json:"failures"`
	Pendings  []store.TAXIIStatusDetail `json:"pendings"`
}

// LatestTAXIIVersions implements store.TAXII, through the index on
// (collection, object_id, version).
func (s *Store) LatestTAXIIVersions(ctx context.Context, collection string, ids []string, withJSON bool) ([]store.TAXIIObject, error) {
	body := "NULL::bytea"
	if withJSON {
		body = "object"
	}
	rows, err := s.pool.Query(ctx, `SELECT id, object_id, version, type, spec_version, added, tlp, `+body+`
		FROM taxii_objects WHERE collection = $1 AND object_id = ANY($2::text[]) AND last`, collection, ids)
	if err != nil {
		return nil, fmt.Errorf("store: read TAXII versions: %w", err)
	}
	var out []store.TAXIIObject
	o := store.TAXIIObject{Collection: collection}
	var version, added int64
	var tlp int16
	_, err = pgx.ForEachRow(rows, []any{&o.Seq, &o.ID, &version, &o.Type, &o.SpecVersion, &added, &tlp, &o.JSON}, func() error {
		c := o
		c.Version, c.Added, c.TLP = time.UnixMicro(version).UTC(), time.UnixMicro(added).UTC(), event.TLP(tlp)
		c.JSON = slices.Clone(o.JSON)
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read TAXII versions: %w", err)
	}
	return out, nil
}

// PutTAXIIStatus implements store.TAXII.
func (s *Store) PutTAXIIStatus(ctx context.Context, st store.TAXIIStatus) error {
	details, err := json.Marshal(taxiiDetails{st.Successes, st.Failures, st.Pendings})
	if err != nil {
		return fmt.Errorf("store: encode TAXII status %s: %w", st.ID, err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO taxii_status (id, collection, user_name, requested, status, details) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, details = excluded.details`,
		st.ID, st.Collection, st.User, st.Requested.UnixMicro(), st.Status, string(details)); err != nil {
		return fmt.Errorf("store: put TAXII status %s: %w", st.ID, err)
	}
	return nil
}

// TAXIIStatus implements store.TAXII.
func (s *Store) TAXIIStatus(ctx context.Context, id string) (store.TAXIIStatus, error) {
	st := store.TAXIIStatus{ID: id}
	var requested int64
	var details string
	err := s.pool.QueryRow(ctx, `SELECT collection, user_name, requested, status, details FROM taxii_status WHERE id = $1`, id).
		Scan(&st.Collection, &st.User, &requested, &st.Status, &details)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, store.ErrNotFound
	}
	if err != nil {
		return st, fmt.Errorf("store: read TAXII status %s: %w", id, err)
	}
	var d taxiiDetails
	if err := json.Unmarshal([]byte(details), &d); err != nil {
		return st, fmt.Errorf("store: decode TAXII status %s: %w", id, err)
	}
	st.Requested = time.UnixMicro(requested).UTC()
	st.Successes, st.Failures, st.Pendings = d.Successes, d.Failures, d.Pendings
	return st, nil
}
