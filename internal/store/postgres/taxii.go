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

// AddTAXIIObjects implements store.TAXII. The collection's row in
// taxii_collections is locked first and held to the commit, so writers to
// one collection commit in the order of the Added times they give, and a
// reader paging by Added never sees a later time before an earlier one.
func (s *Store) AddTAXIIObjects(ctx context.Context, objs []store.TAXIIObject, now time.Time) ([]bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: begin TAXII add: %w", err)
	}
	defer tx.Rollback(ctx)
	var names []string
	for i := range objs {
		names = append(names, objs[i].Collection)
	}
	names = uniqueSorted(names)
	last := map[string]int64{}
	for _, c := range names {
		var v int64
		if err := tx.QueryRow(ctx, `INSERT INTO taxii_collections (id, last_added) VALUES ($1, 0)
			ON CONFLICT (id) DO UPDATE SET last_added = taxii_collections.last_added RETURNING last_added`, c).Scan(&v); err != nil {
			return nil, fmt.Errorf("store: lock TAXII collection %s: %w", c, err)
		}
		last[c] = v
	}
	added := make([]bool, len(objs))
	nowUS := now.UnixMicro()
	for i := range objs {
		o := &objs[i]
		v := o.Version.UnixMicro()
		var lo, hi *int64
		if err := tx.QueryRow(ctx, `SELECT MIN(version), MAX(version) FROM taxii_objects WHERE collection = $1 AND object_id = $2`, o.Collection, o.ID).Scan(&lo, &hi); err != nil {
			return nil, fmt.Errorf("store: read versions of %s: %w", o.ID, err)
		}
		first, latest := lo == nil || v < *lo, hi == nil || v > *hi
		if lo != nil && first {
			if _, err := tx.Exec(ctx, `UPDATE taxii_objects SET first = false WHERE collection = $1 AND object_id = $2 AND first`, o.Collection, o.ID); err != nil {
				return nil, fmt.Errorf("store: update versions of %s: %w", o.ID, err)
			}
		}
		if hi != nil && latest {
			if _, err := tx.Exec(ctx, `UPDATE taxii_objects SET last = false WHERE collection = $1 AND object_id = $2 AND last`, o.Collection, o.ID); err != nil {
				return nil, fmt.Errorf("store: update versions of %s: %w", o.ID, err)
			}
		}
		at := max(nowUS, last[o.Collection]+1)
		err := tx.QueryRow(ctx, `INSERT INTO taxii_objects (collection, object_id, version, type, spec_version, added, tlp, first, last, object)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (collection, object_id, version) DO NOTHING RETURNING id`,
			o.Collection, o.ID, v, o.Type, o.SpecVersion, at, int16(o.TLP), first, latest, o.JSON).Scan(&o.Seq)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // held already: a version inside the span changes no flag
		}
		if err != nil {
			return nil, fmt.Errorf("store: add TAXII object %s: %w", o.ID, err)
		}
		last[o.Collection] = at
		o.Added = time.UnixMicro(at).UTC()
		added[i] = true
	}
	for c, v := range last {
		if _, err := tx.Exec(ctx, `UPDATE taxii_collections SET last_added = $2 WHERE id = $1`, c, v); err != nil {
			return nil, fmt.Errorf("store: update TAXII collection %s: %w", c, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("store: commit TAXII add: %w", err)
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
