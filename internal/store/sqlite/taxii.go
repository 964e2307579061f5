package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

var _ store.TAXII = (*Store)(nil)

// AddTAXIIObjects implements store.TAXII. SQLite's write lock, taken when
// the transaction begins, serializes the writers.
func (s *Store) AddTAXIIObjects(ctx context.Context, objs []store.TAXIIObject, now time.Time) ([]bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin TAXII add: %w", err)
	}
	defer tx.Rollback()
	last := map[string]int64{}
	for i := range objs {
		c := objs[i].Collection
		if _, ok := last[c]; ok {
			continue
		}
		var v int64
		err := tx.QueryRowContext(ctx, `SELECT last_added FROM taxii_collections WHERE id = ?`, c).Scan(&v)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("store: read TAXII collection %s: %w", c, err)
		}
		last[c] = v
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO taxii_objects (collection, object_id, version, type, spec_version, added, tlp, first, last, object)
		VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (collection, object_id, version) DO NOTHING`)
	if err != nil {
		return nil, fmt.Errorf("store: prepare TAXII add: %w", err)
	}
	defer ins.Close()
	span, err := tx.PrepareContext(ctx, `SELECT MIN(version), MAX(version) FROM taxii_objects WHERE collection = ? AND object_id = ?`)
	if err != nil {
		return nil, fmt.Errorf("store: prepare TAXII add: %w", err)
	}
	defer span.Close()
	added := make([]bool, len(objs))
	nowUS := now.UnixMicro()
	for i := range objs {
		o := &objs[i]
		v := o.Version.UnixMicro()
		var lo, hi sql.NullInt64
		if err := span.QueryRowContext(ctx, o.Collection, o.ID).Scan(&lo, &hi); err != nil {
			return nil, fmt.Errorf("store: read versions of %s: %w", o.ID, err)
		}
		first, latest := !lo.Valid || v < lo.Int64, !hi.Valid || v > hi.Int64
		if lo.Valid && first {
			if _, err := tx.ExecContext(ctx, `UPDATE taxii_objects SET first = 0 WHERE collection = ? AND object_id = ? AND first = 1`, o.Collection, o.ID); err != nil {
				return nil, fmt.Errorf("store: update versions of %s: %w", o.ID, err)
			}
		}
		if hi.Valid && latest {
			if _, err := tx.ExecContext(ctx, `UPDATE taxii_objects SET last = 0 WHERE collection = ? AND object_id = ? AND last = 1`, o.Collection, o.ID); err != nil {
				return nil, fmt.Errorf("store: update versions of %s: %w", o.ID, err)
			}
		}
		at := max(nowUS, last[o.Collection]+1)
		r, err := ins.ExecContext(ctx, o.Collection, o.ID, v, o.Type, o.SpecVersion, at, int64(o.TLP), boolInt(first), boolInt(latest), o.JSON)
		if err != nil {
			return nil, fmt.Errorf("store: add TAXII object %s: %w", o.ID, err)
		}
		n, err := r.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("store: add TAXII object %s: %w", o.ID, err)
		}
		if n == 0 {
			continue // held already: a version inside the span changes no flag
		}
		last[o.Collection] = at
		if o.Seq, err = r.LastInsertId(); err != nil {
			return nil, fmt.Errorf("store: add TAXII object %s: %w", o.ID, err)
		}
		o.Added = time.UnixMicro(at).UTC()
		added[i] = true
	}
	for c, v := range last {
		if _, err := tx.ExecContext(ctx, `INSERT INTO taxii_collections (id, last_added) VALUES (?, ?)
			ON CONFLICT (id) DO UPDATE SET last_added = max(last_added, excluded.last_added)`, c, v); err != nil {
			return nil, fmt.Errorf("store: update TAXII collection %s: %w", c, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: commit TAXII add: %w", err)
	}
	return added, nil
}

// taxiiWhere is the WHERE clause of q, without the cursor and the dates,
// and without the labels unless withTLP is set.
func taxiiWhere(q *store.TAXIIQuery, withTLP bool) (string, []any) {
	var b strings.Builder
	args := []any{q.Collection}
	b.WriteString("collection = ?")
	in := func(col string, vals []any) {
		b.WriteString(" AND " + col + " IN (?" + strings.Repeat(",?", len(vals)-1) + ")")
		args = append(args, vals...)
	}
	tlps := make([]any, len(q.TLPs))
	for i, t := range q.TLPs {
		tlps[i] = int64(t)
	}
	if len(tlps) == 0 {
		tlps = []any{int64(-1)}
	}
	if withTLP {
		in("tlp", tlps)
	}
	strs := func(ss []string) []any {
		out := make([]any, len(ss))
		for i, s := range ss {
			out[i] = s
		}
		return out
	}
	if len(q.IDs) > 0 {
		in("object_id", strs(q.IDs))
	}
	if len(q.Types) > 0 {
		in("type", strs(q.Types))
	}
	if len(q.SpecVersions) > 0 {
		in("spec_version", strs(q.SpecVersions))
	}
	if q.First || q.Last || len(q.Versions) > 0 {
		var alts []string
		if q.First {
			alts = append(alts, "first = 1")
		}
		if q.Last {
			alts = append(alts, "last = 1")
		}
		for _, v := range q.Versions {
			alts = append(alts, "version = ?")
			args = append(args, v.UnixMicro())
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
	where, whereArgs := taxiiWhere(&q, false)
	if !q.AddedAfter.IsZero() {
		where += " AND added > ?"
		whereArgs = append(whereArgs, q.AddedAfter.UnixMicro())
	}
	if !q.After.Added.IsZero() {
		where += " AND (added, id) > (?, ?)"
		whereArgs = append(whereArgs, q.After.Added.UnixMicro(), q.After.Seq)
	}
	body := "t.object"
	if q.NoJSON {
		body = "NULL"
	}
	limit := q.PageLimit()
	var parts []string
	var args []any
	for _, t := range q.TLPs {
		parts = append(parts, `SELECT id, added FROM (SELECT id, added FROM taxii_objects
			WHERE tlp = ? AND `+where+` ORDER BY added, id LIMIT ?)`)
		args = append(append(append(args, int64(t)), whereArgs...), limit+1)
	}
	args = append(args, limit+1)
	// The keys of the page come from the index alone (it holds the
	// version flags too); only the page's own rows are read.
	rows, err := s.db.QueryContext(ctx, `SELECT t.id, t.object_id, t.version, t.type, t.spec_version, t.added, t.tlp, `+body+`
		FROM (`+strings.Join(parts, " UNION ALL ")+` ORDER BY added, id LIMIT ?) k
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
		var version, added, tlp int64
		if err := rows.Scan(&o.Seq, &o.ID, &version, &o.Type, &o.SpecVersion, &added, &tlp, &o.JSON); err != nil {
			return store.TAXIIPage{}, fmt.Errorf("store: read TAXII object: %w", err)
		}
		o.Version, o.Added, o.TLP = time.UnixMicro(version).UTC(), time.UnixMicro(added).UTC(), event.TLP(tlp)
		page.Objects = append(page.Objects, o)
	}
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
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: begin TAXII delete: %w", err)
	}
	defer tx.Rollback()
	r, err := tx.ExecContext(ctx, `DELETE FROM taxii_objects WHERE `+where, args...)
	if err != nil {
		return 0, fmt.Errorf("store: delete TAXII objects: %w", err)
	}
	n, err := r.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: delete TAXII objects: %w", err)
	}
	for _, id := range q.IDs {
		if _, err := tx.ExecContext(ctx, `UPDATE taxii_objects SET
			first = (version = (SELECT MIN(version) FROM taxii_objects WHERE collection = ?1 AND object_id = ?2)),
			last = (version = (SELECT MAX(version) FROM taxii_objects WHERE collection = ?1 AND object_id = ?2))
			WHERE collection = ?1 AND object_id = ?2`, q.Collection, id); err != nil {
			return 0, fmt.Errorf("store: update versions of %s: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: commit TAXII delete: %w", err)
	}
	return n, nil
}

// PutTAXIIStatus implements store.TAXII.
func (s *Store) PutTAXIIStatus(ctx context.Context, st store.TAXIIStatus) error {
	details, err := json.Marshal(taxiiDetails{st.Successes, st.Failures, st.Pendings})
	if err != nil {
		return fmt.Errorf("store: encode TAXII status %s: %w", st.ID, err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO taxii_status (id, collection, user_name, requested, status, details) VALUES (?,?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, details = excluded.details`,
		st.ID, st.Collection, st.User, st.Requested.UnixMicro(), st.Status, string(details)); err != nil {
		return fmt.Errorf("store: put TAXII status %s: %w", st.ID, err)
	}
	return nil
}

// taxiiDetails is how a status's object lists are stored.
type taxiiDetails struct {
	Successes []store.TAXIIStatusDetail `json:"successes"`
	Failures  []store.TAXIIStatusDetail `json:"failures"`
	Pendings  []store.TAXIIStatusDetail `json:"pendings"`
}

// TAXIIStatus implements store.TAXII.
func (s *Store) TAXIIStatus(ctx context.Context, id string) (store.TAXIIStatus, error) {
	st := store.TAXIIStatus{ID: id}
	var requested int64
	var details string
	err := s.db.QueryRowContext(ctx, `SELECT collection, user_name, requested, status, details FROM taxii_status WHERE id = ?`, id).
		Scan(&st.Collection, &st.User, &requested, &st.Status, &details)
	if errors.Is(err, sql.ErrNoRows) {
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
