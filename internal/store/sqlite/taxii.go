package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

var _ store.TAXII = (*Store)(nil)

// AddTAXIIObjects implements store.TAXII. SQLite's write lock, taken when
// the transaction begins, serializes the writers. It works on the driver's
// connection, as WriteBatch does, so that both store objects through
// addTAXIIObjects.
func (s *Store) AddTAXIIObjects(ctx context.Context, objs []store.TAXIIObject, now time.Time) ([]bool, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: begin TAXII add: %w", err)
	}
	defer conn.Close()
	var added []bool
	err = conn.Raw(func(dc any) error {
		tx, err := dc.(driver.ConnBeginTx).BeginTx(ctx, driver.TxOptions{})
		if err != nil {
			return fmt.Errorf("store: begin TAXII add: %w", err)
		}
		added, err = addTAXIIObjects(ctx, dc.(driver.ConnPrepareContext), len(objs), func(i int) *store.TAXIIObject { return &objs[i] }, now)
		if err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: commit TAXII add: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return added, nil
}

// addTAXIIObjects stores the n objects obj returns (each naming its
// collection) by the rules of store.TAXII's AddTAXIIObjects, inside the
// transaction the caller began on dc: it gives each new version its Added
// time and Seq and reports which were new. AddTAXIIObjects and WriteBatch
// (a run's kept objects) both store objects through it.
func addTAXIIObjects(ctx context.Context, dc driver.ConnPrepareContext, n int, obj func(int) *store.TAXIIObject, now time.Time) ([]bool, error) {
	added := make([]bool, n)
	if n == 0 {
		return added, nil
	}
	var stmts []driver.Stmt
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	prepare := func(query string) (driver.Stmt, error) {
		st, err := dc.PrepareContext(ctx, query)
		if err != nil {
			return nil, fmt.Errorf("store: prepare TAXII add: %w", err)
		}
		stmts = append(stmts, st)
		return st, nil
	}
	lastAdded, err := prepare(`SELECT last_added FROM taxii_collections WHERE id = ?`)
	if err != nil {
		return nil, err
	}
	span, err := prepare(`SELECT MIN(version), MAX(version) FROM taxii_objects WHERE collection = ? AND object_id = ?`)
	if err != nil {
		return nil, err
	}
	clearFirst, err := prepare(`UPDATE taxii_objects SET first = 0 WHERE collection = ? AND object_id = ? AND first = 1`)
	if err != nil {
		return nil, err
	}
	clearLast, err := prepare(`UPDATE taxii_objects SET last = 0 WHERE collection = ? AND object_id = ? AND last = 1`)
	if err != nil {
		return nil, err
	}
	ins, err := prepare(`INSERT INTO taxii_objects (collection, object_id, version, type, spec_version, added, tlp, first, last, object)
		VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (collection, object_id, version) DO NOTHING`)
	if err != nil {
		return nil, err
	}
	last := map[string]int64{}
	row := make([]driver.Value, 2)
	for i := range n {
		c := obj(i).Collection
		if _, ok := last[c]; ok {
			continue
		}
		found, err := queryRow(ctx, lastAdded, row[:1], c)
		if err != nil {
			return nil, fmt.Errorf("store: read TAXII collection %s: %w", c, err)
		}
		last[c] = 0
		if found {
			last[c] = asInt(row[0])
		}
	}
	nowUS := now.UnixMicro()
	for i := range n {
		o := obj(i)
		v := o.Version.UnixMicro()
		if _, err := queryRow(ctx, span, row, o.Collection, o.ID); err != nil {
			return nil, fmt.Errorf("store: read versions of %s: %w", o.ID, err)
		}
		// MIN and MAX of no rows are NULL: the object is new.
		lo, hi := row[0], row[1]
		first, latest := lo == nil || v < asInt(lo), hi == nil || v > asInt(hi)
		if lo != nil && first {
			if err := exec(ctx, clearFirst, o.Collection, o.ID); err != nil {
				return nil, fmt.Errorf("store: update versions of %s: %w", o.ID, err)
			}
		}
		if hi != nil && latest {
			if err := exec(ctx, clearLast, o.Collection, o.ID); err != nil {
				return nil, fmt.Errorf("store: update versions of %s: %w", o.ID, err)
			}
		}
		at := max(nowUS, last[o.Collection]+1)
		r, err := ins.(driver.StmtExecContext).ExecContext(ctx, named(o.Collection, o.ID, v, o.Type, o.SpecVersion, at, int64(o.TLP),
			int64(boolInt(first)), int64(boolInt(latest)), o.JSON))
		if err != nil {
			return nil, fmt.Errorf("store: add TAXII object %s: %w", o.ID, err)
		}
		k, err := r.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("store: add TAXII object %s: %w", o.ID, err)
		}
		if k == 0 {
			continue // held already: a version inside the span changes no flag
		}
		last[o.Collection] = at
		if o.Seq, err = r.LastInsertId(); err != nil {
			return nil, fmt.Errorf("store: add TAXII object %s: %w", o.ID, err)
		}
		o.Added = time.UnixMicro(at).UTC()
		added[i] = true
	}
	hw, err := prepare(`INSERT INTO taxii_collections (id, last_added) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET last_added = max(last_added, excluded.last_added)`)
	if err != nil {
		return nil, err
	}
	for c, v := range last {
		if err := exec(ctx, hw, c, v); err != nil {
			return nil, fmt.Errorf("store: update TAXII collection %s: %w", c, err)
		}
	}
	return added, nil
}

// named numbers driver arguments.
func named(args ...driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, a := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return out
}

// exec runs a prepared statement.
func exec(ctx context.Context, st driver.Stmt, args ...driver.Value) error {
	_, err := st.(driver.StmtExecContext).ExecContext(ctx, named(args...))
	return err
}

// queryRow reads the first row of a prepared query into dest and reports
// whether there was one.
func queryRow(ctx context.Context, st driver.Stmt, dest []driver.Value, args ...driver.Value) (bool, error) {
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, named(args...))
	if err != nil {
		return false, err
	}
	defer rows.Close()
	switch err := rows.Next(dest); {
	case err == io.EOF:
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
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
	// A query for given objects reads them through the index on
	// (collection, object_id, version): "+tlp" keeps SQLite from taking
	// the page index instead, which would scan every version of the
	// label (0.22 s against 18 ms for 500 ids among 200,000 objects).
	tlp := "tlp"
	if len(q.IDs) > 0 {
		tlp = "+tlp"
	}
	var parts []string
	var args []any
	for _, t := range q.TLPs {
		parts = append(parts, `SELECT id, added FROM (SELECT id, added FROM taxii_objects
			WHERE `+tlp+` = ? AND `+where+` ORDER BY added, id LIMIT ?)`)
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

// taxiiIDsPerQuery bounds the ids one statement binds: SQLite limits
// the variables of a statement.
const taxiiIDsPerQuery = 1000

// LatestTAXIIVersions implements store.TAXII, through the index on
// (collection, object_id, version).
func (s *Store) LatestTAXIIVersions(ctx context.Context, collection string, ids []string, withJSON bool) ([]store.TAXIIObject, error) {
	body := "NULL"
	if withJSON {
		body = "object"
	}
	var out []store.TAXIIObject
	for len(ids) > 0 {
		n := min(len(ids), taxiiIDsPerQuery)
		args := make([]any, 0, n+1)
		args = append(args, collection)
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		rows, err := s.db.QueryContext(ctx, `SELECT id, object_id, version, type, spec_version, added, tlp, `+body+`
			FROM taxii_objects WHERE collection = ? AND object_id IN (?`+strings.Repeat(",?", n-1)+`) AND last = 1`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: read TAXII versions: %w", err)
		}
		for rows.Next() {
			o := store.TAXIIObject{Collection: collection}
			var version, added, tlp int64
			if err := rows.Scan(&o.Seq, &o.ID, &version, &o.Type, &o.SpecVersion, &added, &tlp, &o.JSON); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: read TAXII versions: %w", err)
			}
			o.Version, o.Added, o.TLP = time.UnixMicro(version).UTC(), time.UnixMicro(added).UTC(), event.TLP(tlp)
			out = append(out, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: read TAXII versions: %w", err)
		}
		ids = ids[n:]
	}
	return out, nil
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
