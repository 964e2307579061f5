package migrate

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concord-cert/concord/internal/audit"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/store/postgres"
	"github.com/concord-cert/concord/internal/store/sqlite"
)

// Report says what a move copied and how it was verified.
type Report struct {
	// Tables are the tables moved, in the order they were copied.
	Tables []TableCount `json:"tables"`
	// Digest is store.Digest of both databases (equal when the move
	// verified).
	Digest string `json:"digest"`
	// AuditHead is the audit log's head in both databases.
	AuditHead Head `json:"audit_head"`
	// NextIDs is the id the destination gives the next row of each table
	// with an identity column, or assigns it as MAX(id)+1.
	NextIDs map[string]int64 `json:"next_ids"`
	// Checks are the verifications run after copying, in order.
	Checks []Check `json:"checks"`
	// Seconds is how long the move and its verification took.
	Seconds float64 `json:"seconds"`
}

// TableCount is how many rows one table holds in each database after the
// move, and how many were copied.
type TableCount struct {
	Table       string `json:"table"`
	Copied      int64  `json:"copied"`
	Source      int64  `json:"source"`
	Destination int64  `json:"destination"`
}

// Head is an audit head as the report shows it: the last entry's sequence
// number and its hash in hex.
type Head struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

func headOf(h audit.Head) Head { return Head{Seq: h.Seq, Hash: hex.EncodeToString(h.Hash[:])} }

// Check is one verification of the move.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// The checks, in the order they run.
const (
	CheckSourceAudit = "source audit chain" // before copying: the source's chain verifies against its head
	CheckDigest      = "digest"             // store.Digest of both databases is equal
	CheckRows        = "row counts"         // every table holds as many rows in both, and as many as were copied
	CheckAudit       = "audit chain"        // the destination's chain verifies against its head, which is the source's
	CheckIDs         = "id sequences"       // the destination's next ids follow the highest copied id
)

// CheckError is returned when a check fails: the source's audit chain
// before anything was copied, or one of the verifications after.
type CheckError struct {
	// Check is the name of the first check that failed.
	Check string
	// Reason says what differs.
	Reason string
}

// Error names the failed check and says why it failed.
func (e *CheckError) Error() string {
	return fmt.Sprintf("migrate: check %q failed: %s", e.Check, e.Reason)
}

// ErrNotEmpty is wrapped by the error SQLiteToPostgres returns when the
// destination already holds rows.
var ErrNotEmpty = errors.New("migrate: the destination database is not empty")

// progressEvery is how many rows pass between progress calls.
const progressEvery = 100_000

// SQLiteToPostgres copies everything src holds into dst, which must be
// empty and at the same schema version, then verifies the copy.
//
// Before copying it verifies src's audit chain against its head and
// refuses (a *CheckError) when it is broken: a move must not launder a
// tampered log into a database where it would look original. It refuses
// a destination that holds any row (an error wrapping ErrNotEmpty).
//
// Tables are read in primary-key order from one read transaction on src,
// a consistent snapshot that lets other readers and writers go on, and
// streamed into dst with COPY in one transaction, holding one row at a
// time: either everything is moved or nothing is. The month partitions of
// events are created first; identity sequences are moved past the copied
// ids in the same transaction. Writers to src during the move make the
// verification fail; stop them first.
//
// The returned Report lists the checks; when one fails, the error is a
// *CheckError naming the first. progress, when not nil, is called with
// each table's name and the rows copied so far, at least once per table.
// src is only read.
func SQLiteToPostgres(ctx context.Context, src *sqlite.Store, dst *postgres.Store, progress func(table string, rows int64)) (Report, error) {
	start := time.Now()
	var rep Report
	if progress == nil {
		progress = func(string, int64) {}
	}
	if err := checkVersions(ctx, src, dst); err != nil {
		return rep, err
	}
	srcHead, err := src.AuditHead(ctx)
	if err != nil {
		return rep, fmt.Errorf("migrate: %w", err)
	}
	if n, err := verifyChain(ctx, src, srcHead); err != nil {
		return rep, &CheckError{Check: CheckSourceAudit, Reason: fmt.Sprintf("the source's audit log does not verify (%v, after %d good entries); nothing was copied. Find out what changed it (concord audit verify --db SOURCE) before moving it", err, n)}
	}
	if err := checkEmpty(ctx, dst.Pool(), dst); err != nil {
		return rep, err
	}

	conn, err := src.DB().Conn(ctx)
	if err != nil {
		return rep, fmt.Errorf("migrate: read the source: %w", err)
	}
	defer conn.Close()
	// A deferred transaction in WAL mode: a snapshot as of the first read,
	// taking no write lock.
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return rep, fmt.Errorf("migrate: read the source: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")

	months, err := eventMonths(ctx, conn)
	if err != nil {
		return rep, err
	}
	if err := dst.EnsurePartitions(ctx, months); err != nil {
		return rep, fmt.Errorf("migrate: %w", err)
	}

	copied := map[string]int64{}
	err = pgx.BeginFunc(ctx, dst.Pool(), func(tx pgx.Tx) error {
		names := make([]string, len(tables))
		for i := range tables {
			names[i] = tables[i].name
		}
		// Writers wait until the move commits; readers do not. Under the
		// lock the destination is checked again, so a process that wrote
		// to it since the first check is not overwritten.
		if _, err := tx.Exec(ctx, "LOCK TABLE "+strings.Join(names, ", ")+" IN EXCLUSIVE MODE"); err != nil {
			return fmt.Errorf("migrate: lock the destination's tables: %w", err)
		}
		if err := checkEmpty(ctx, tx, dst); err != nil {
			return err
		}
		for i := range tables {
			t := &tables[i]
			n, err := copyTable(ctx, conn, tx, t, progress)
			if err != nil {
				return err
			}
			copied[t.name] = n
			progress(t.name, n)
		}
		for i := range tables {
			if t := &tables[i]; t.identity {
				if _, err := tx.Exec(ctx, fmt.Sprintf(`SELECT CASE WHEN m IS NULL THEN setval(pg_get_serial_sequence('%[1]s', 'id'), 1, false)
					ELSE setval(pg_get_serial_sequence('%[1]s', 'id'), m, true) END FROM (SELECT MAX(id) AS m FROM %[1]s) x`, t.name)); err != nil {
					return fmt.Errorf("migrate: move the id sequence of %s: %w", t.name, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	conn.ExecContext(ctx, "ROLLBACK")

	err = verify(ctx, src, dst, copied, &rep)
	rep.Seconds = time.Since(start).Seconds()
	return rep, err
}

// querier is what checkEmpty needs of a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// checkEmpty returns an error wrapping ErrNotEmpty, naming what the
// destination holds, unless every table to be filled is empty.
func checkEmpty(ctx context.Context, q querier, dst *postgres.Store) error {
	var held []string
	for i := range tables {
		t := &tables[i]
		var n int64
		// LIMIT keeps the check cheap on a full database.
		if err := q.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM "+t.name+" LIMIT 1000001) x").Scan(&n); err != nil {
			return fmt.Errorf("migrate: read the destination: %w", err)
		}
		if n > 0 {
			s := fmt.Sprintf("%s (%d)", t.name, n)
			if n > 1000000 {
				s = t.name + " (over a million)"
			}
			held = append(held, s)
		}
	}
	if len(held) > 0 {
		return fmt.Errorf("%w: it holds rows in %s; migrate only into a new database (createdb NAME), so that nothing there is overwritten or mixed with the source", ErrNotEmpty, strings.Join(held, ", "))
	}
	return nil
}

// checkVersions refuses to move between schemas this package does not map.
func checkVersions(ctx context.Context, src *sqlite.Store, dst *postgres.Store) error {
	var sv, dv int
	if err := src.DB().QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&sv); err != nil {
		return fmt.Errorf("migrate: read the source's schema version: %w", err)
	}
	if err := dst.Pool().QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&dv); err != nil {
		return fmt.Errorf("migrate: read the destination's schema version: %w", err)
	}
	if sv != SchemaVersion || dv != SchemaVersion {
		return fmt.Errorf("migrate: this concord moves databases at schema version %d; the source is at %d and the destination at %d: use the concord that wrote them", SchemaVersion, sv, dv)
	}
	return nil
}

// eventMonths returns one key in each month that the source's events
// have key times in, seeking the key index once per month rather than
// reading every key.
func eventMonths(ctx context.Context, conn *sql.Conn) ([]store.Key, error) {
	var out []store.Key
	bound := []byte{0, 0, 0, 0, 0, 1} // key time 0 needs no partition
	for {
		var k []byte
		err := conn.QueryRowContext(ctx, `SELECT key FROM events WHERE key >= ? ORDER BY key LIMIT 1`, bound).Scan(&k)
		if errors.Is(err, sql.ErrNoRows) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("migrate: read the source's event months: %w", err)
		}
		if len(k) != store.KeySize {
			return nil, fmt.Errorf("migrate: the source holds an event key of %d bytes (%x); keys are %d", len(k), k, store.KeySize)
		}
		key := store.Key(k)
		out = append(out, key)
		d := time.Unix(store.KeyTime(key), 0).UTC()
		next := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0).Unix()
		bound = []byte{byte(next >> 40), byte(next >> 32), byte(next >> 24), byte(next >> 16), byte(next >> 8), byte(next)}
	}
}

// copyTable streams t from the source to the destination with COPY.
func copyTable(ctx context.Context, conn *sql.Conn, tx pgx.Tx, t *table, progress func(string, int64)) (int64, error) {
	rows, err := conn.QueryContext(ctx, t.selectSQL())
	if err != nil {
		return 0, fmt.Errorf("migrate: read %s: %w", t.name, err)
	}
	defer rows.Close()
	rs := newRowSource(t, rows, progress)
	n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.destColumns(), rs)
	if err != nil {
		return n, fmt.Errorf("migrate: copy %s (after %d rows): %w", t.name, rs.n, err)
	}
	if n != rs.n {
		return n, fmt.Errorf("migrate: copy %s: read %d rows but the destination took %d", t.name, rs.n, n)
	}
	return n, nil
}

// rowSource feeds one table's rows to COPY, converting each as it goes
// and holding one at a time.
type rowSource struct {
	t        *table
	rows     *sql.Rows
	raw      []any // scanned values
	ptrs     []any // pointers to raw, for Scan
	vals     []any // converted values, key_time first for events
	n        int64
	err      error
	progress func(string, int64)
}

func newRowSource(t *table, rows *sql.Rows, progress func(string, int64)) *rowSource {
	r := &rowSource{t: t, rows: rows, raw: make([]any, len(t.cols)), ptrs: make([]any, len(t.cols)), progress: progress}
	for i := range r.raw {
		r.ptrs[i] = &r.raw[i]
	}
	r.vals = make([]any, len(t.destColumns()))
	return r
}

// Next implements pgx.CopyFromSource.
func (r *rowSource) Next() bool {
	if r.err != nil || !r.rows.Next() {
		if r.err == nil {
			r.err = r.rows.Err()
		}
		return false
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.err = fmt.Errorf("migrate: read %s row %d: %w", r.t.name, r.n+1, err)
		return false
	}
	off := 0
	if r.t.keyTime {
		off = 1
	}
	for i := range r.t.cols {
		v, err := r.t.cols[i].convert(r.raw[i])
		if err != nil {
			r.err = fmt.Errorf("migrate: %s row %d: %w", r.t.name, r.n+1, err)
			return false
		}
		r.vals[off+i] = v
	}
	if r.t.keyTime {
		k, _ := r.vals[1].([]byte)
		if len(k) != store.KeySize {
			r.err = fmt.Errorf("migrate: events row %d has a key of %d bytes; keys are %d", r.n+1, len(k), store.KeySize)
			return false
		}
		r.vals[0] = store.KeyTime(store.Key(k))
	}
	r.n++
	if r.n%progressEvery == 0 {
		r.progress(r.t.name, r.n)
	}
	return true
}

// Values implements pgx.CopyFromSource.
func (r *rowSource) Values() ([]any, error) { return r.vals, r.err }

// Err implements pgx.CopyFromSource.
func (r *rowSource) Err() error { return r.err }

// verifyChain checks a store's audit log against head, streaming it.
func verifyChain(ctx context.Context, st store.Casework, head audit.Head) (int64, error) {
	stop := errors.New("stop")
	seq := func(yield func(audit.Entry, error) bool) {
		err := st.EachAudit(ctx, func(e audit.Entry) error {
			if !yield(e, nil) {
				return stop
			}
			return nil
		})
		if err != nil && !errors.Is(err, stop) {
			yield(audit.Entry{}, err)
		}
	}
	next, done := iter.Pull2(iter.Seq2[audit.Entry, error](seq))
	defer done()
	return audit.VerifyAgainst(head, func() (audit.Entry, bool, error) {
		e, err, ok := next()
		if !ok || err != nil {
			return e, false, err
		}
		return e, true, nil
	})
}

// verify runs the checks after a copy into rep, and returns a *CheckError
// for the first that failed.
func verify(ctx context.Context, src *sqlite.Store, dst *postgres.Store, copied map[string]int64, rep *Report) error {
	var first *CheckError
	add := func(name string, ok bool, detail string) {
		rep.Checks = append(rep.Checks, Check{Name: name, OK: ok, Detail: detail})
		if !ok && first == nil {
			first = &CheckError{Check: name, Reason: detail}
		}
	}

	// 1. The digest of events and facts.
	sd, err := src.Digest(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	dd, err := dst.Digest(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	rep.Digest = dd
	if sd == dd {
		add(CheckDigest, true, "source and destination have digest "+sd)
	} else {
		add(CheckDigest, false, fmt.Sprintf("the source's digest is %s, the destination's %s", sd, dd))
	}

	// 2. Row counts, table by table.
	var diff []string
	for i := range tables {
		t := &tables[i]
		c := TableCount{Table: t.name, Copied: copied[t.name]}
		if err := src.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t.name).Scan(&c.Source); err != nil {
			return fmt.Errorf("migrate: count %s in the source: %w", t.name, err)
		}
		if err := dst.Pool().QueryRow(ctx, "SELECT COUNT(*) FROM "+t.name).Scan(&c.Destination); err != nil {
			return fmt.Errorf("migrate: count %s in the destination: %w", t.name, err)
		}
		if c.Source != c.Destination || c.Copied != c.Source {
			diff = append(diff, fmt.Sprintf("%s: %d in the source, %d copied, %d in the destination", t.name, c.Source, c.Copied, c.Destination))
		}
		rep.Tables = append(rep.Tables, c)
	}
	if len(diff) == 0 {
		add(CheckRows, true, fmt.Sprintf("%d tables hold the same number of rows in both", len(tables)))
	} else {
		add(CheckRows, false, strings.Join(diff, "; ")+" (did something write to the source during the move?)")
	}

	// 3. The audit chain and its head.
	sh, err := src.AuditHead(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	dh, err := dst.AuditHead(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	rep.AuditHead = headOf(dh)
	n, verr := verifyChain(ctx, dst, dh)
	switch {
	case verr != nil:
		add(CheckAudit, false, fmt.Sprintf("the destination's audit log does not verify against its head (entry %d, hash %x): %v", dh.Seq, dh.Hash, verr))
	case sh != dh:
		add(CheckAudit, false, fmt.Sprintf("the destination's audit head is entry %d with hash %x, the source's entry %d with hash %x", dh.Seq, dh.Hash, sh.Seq, sh.Hash))
	default:
		add(CheckAudit, true, fmt.Sprintf("%d entries verify against the head, entry %d with hash %x, in both", n, dh.Seq, dh.Hash))
	}

	// 4. The ids the destination hands out next.
	rep.NextIDs = map[string]int64{}
	diff = diff[:0]
	for i := range tables {
		t := &tables[i]
		if !t.identity {
			continue
		}
		var maxID, last int64
		var called bool
		var seqName string
		if err := dst.Pool().QueryRow(ctx, fmt.Sprintf(`SELECT COALESCE(MAX(id), 0), pg_get_serial_sequence('%[1]s', 'id') FROM %[1]s`, t.name)).Scan(&maxID, &seqName); err != nil {
			return fmt.Errorf("migrate: read the id sequence of %s: %w", t.name, err)
		}
		if err := dst.Pool().QueryRow(ctx, "SELECT last_value, is_called FROM "+seqName).Scan(&last, &called); err != nil {
			return fmt.Errorf("migrate: read the id sequence of %s: %w", t.name, err)
		}
		next := last
		if called {
			next++
		}
		rep.NextIDs[t.name] = next
		if next <= maxID {
			diff = append(diff, fmt.Sprintf("%s would give id %d next, but holds ids up to %d", t.name, next, maxID))
		}
	}
	for _, name := range []string{"cases", "evidence", "requests"} {
		var next int64
		if err := dst.Pool().QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) + 1 FROM "+name).Scan(&next); err != nil {
			return fmt.Errorf("migrate: read the ids of %s: %w", name, err)
		}
		rep.NextIDs[name] = next
	}
	if len(diff) == 0 {
		b, _ := json.Marshal(rep.NextIDs)
		add(CheckIDs, true, "next ids "+string(b))
	} else {
		add(CheckIDs, false, strings.Join(diff, "; "))
	}
	if first != nil {
		return first
	}
	return nil
}
