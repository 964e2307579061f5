package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/concord-cert/concord/internal/store"
)

// Store is a Concord database on a PostgreSQL server. Its methods may be
// called concurrently, and several processes may open the same database at
// once.
type Store struct {
	pool  *pgxpool.Pool
	where string // "user@host:port/database", for messages (no password)

	mu         sync.Mutex
	partitions map[int64]bool // months (start, Unix seconds) whose partition exists
}

var _ store.Store = (*Store)(nil)

// Advisory lock keys. PostgreSQL scopes advisory locks to the database, so
// two Concord databases on one server never wait for each other. The high
// bytes spell "concord".
const (
	lockMigrate    int64 = 0x636f6e636f726401 // schema migrations
	lockPartitions int64 = 0x636f6e636f726402 // creating event partitions
	lockCasework   int64 = 0x636f6e636f726403 // Change: the audit chain
	lockLists      int64 = 0x636f6e636f726404 // ImportList: list periods and their snapshot
)

// Open connects to the PostgreSQL database named by dsn, a URL such as
// postgres://concord@db.example:5432/concord (or a libpq keyword/value
// string), and brings its schema up to date. The database must exist.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w (give the database as postgres://user@host:port/database)", err)
	}
	c := cfg.ConnConfig
	s := &Store{where: fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database), partitions: map[int64]bool{}}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect to PostgreSQL %s: %w", s.where, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect to PostgreSQL %s: %w (%s)", s.where, err, connectHint(err, c.Database))
	}
	s.pool = pool
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// connectHint says what to do when connecting failed with err.
func connectHint(err error, database string) string {
	var pe *pgconn.PgError
	switch {
	case !errors.As(err, &pe):
		return "is the server running, and are host and port right?"
	case pe.Code == "3D000":
		return fmt.Sprintf("create the database first, e.g. createdb %s", database)
	case pe.Code == "28000" || pe.Code == "28P01":
		return "check the user and password in the address, and the server's pg_hba.conf"
	}
	return "check the address and the server's log"
}

// Close closes the store's connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Pool exposes the connection pool for tests and tools that must reach
// below the interface.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// migrate applies the migrations the database lacks. Each runs in its own
// transaction holding the migration lock and reads the version again under
// it, so processes starting at once apply each migration exactly once: the
// others wait, then find it done.
func (s *Store) migrate(ctx context.Context) error {
	for {
		done, err := s.migrateOne(ctx)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the next missing migration, if any, and reports
// whether the schema is now up to date.
func (s *Store) migrateOne(ctx context.Context) (done bool, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("store: migrate %s: %w", s.where, err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockMigrate); err != nil {
		return false, fmt.Errorf("store: migrate %s: %w", s.where, err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied bigint NOT NULL)`); err != nil {
		return false, fmt.Errorf("store: create schema_migrations in %s: %w (may this user create tables there?)", s.where, err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return false, fmt.Errorf("store: read schema version: %w", err)
	}
	switch {
	case have > len(migrations):
		return false, fmt.Errorf("store: %s has schema version %d but this concord knows only %d: upgrade concord", s.where, have, len(migrations))
	case have == len(migrations):
		return true, tx.Commit(ctx)
	}
	v := have + 1
	if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
		return false, fmt.Errorf("store: migration %d: %w", v, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations(version, applied) VALUES ($1, $2)`, v, time.Now().Unix()); err != nil {
		return false, fmt.Errorf("store: record migration %d: %w", v, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("store: commit migration %d: %w", v, err)
	}
	return v == len(migrations), nil
}

// ip16 encodes an address for storage; the zero Addr becomes NULL.
func ip16(a netip.Addr) []byte {
	if !a.IsValid() {
		return nil
	}
	b := a.As16()
	return b[:]
}

// str stores "" as NULL.
func str(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// collect reads rows into a slice with fn. No rows give nil, as with
// SQLite (pgx.CollectRows gives an empty slice, which JSON spells [] rather
// than null).
func collect[T any](rows pgx.Rows, fn pgx.RowToFunc[T]) ([]T, error) {
	return pgx.AppendRows([]T(nil), rows, fn)
}

// isCode reports whether err is a PostgreSQL error with SQLSTATE code.
func isCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// SQLSTATEs the store tells apart.
const (
	uniqueViolation = "23505"
	checkViolation  = "23514"
)

// Stats implements store.Store.
func (s *Store) Stats(ctx context.Context) (store.Totals, error) {
	var t store.Totals
	err := s.pool.QueryRow(ctx, `SELECT e.n, e.incidents, e.n - e.incidents,
		(SELECT COUNT(*) FROM facts),
		(SELECT COUNT(*) FROM ingests),
		(SELECT COUNT(*) FROM rejections),
		(SELECT COUNT(*) FROM list_entries)
		FROM (SELECT COUNT(*) AS n, COUNT(class) AS incidents FROM events) e`).Scan(
		&t.Events, &t.Incidents, &t.Observations, &t.Facts, &t.Ingests, &t.Rejections, &t.ListEntries)
	if err != nil {
		return t, fmt.Errorf("store: totals: %w", err)
	}
	return t, nil
}

// Digest implements store.Store. It hashes exactly the bytes the SQLite
// backend hashes, in the same order (bytea and COLLATE "C" text sort as
// SQLite's blobs and BINARY text do), so the same content has the same
// digest in both: `concord migrate` compares them to verify a move.
func (s *Store) Digest(ctx context.Context) (string, error) {
	h := sha256.New()
	rows, _ := s.pool.Query(ctx, `SELECT key FROM events ORDER BY key`)
	var k []byte
	if _, err := pgx.ForEachRow(rows, []any{&k}, func() error {
		h.Write(k)
		return nil
	}); err != nil {
		return "", fmt.Errorf("store: digest: %w", err)
	}
	var day, role, asn, flags, n int64
	var ip, peer []byte
	var class, malware, feed, peerCC, cc string
	rows, _ = s.pool.Query(ctx, `SELECT day, role, ip, class, malware, peer, feed, peer_cc, cc, asn, flags, events FROM facts
		ORDER BY day, role, ip, class, malware, peer, feed`)
	if _, err := pgx.ForEachRow(rows, []any{&day, &role, &ip, &class, &malware, &peer, &feed, &peerCC, &cc, &asn, &flags, &n}, func() error {
		fmt.Fprintf(h, "\n%d|%d|%x|%s|%s|%x|%s|%s|%s|%d|%d|%d", day, role, ip, class, malware, peer, feed, peerCC, cc, asn, flags, n)
		return nil
	}); err != nil {
		return "", fmt.Errorf("store: digest: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
