package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

var _ store.EventScanner = scanner{}

// SearchEvents implements store.Searcher with store.SearchEvents, on the
// unique index of events' keys.
func (s *Store) SearchEvents(ctx context.Context, q store.EventQuery) (store.EventPage, error) {
	page, err := store.SearchEvents(ctx, scanner{s}, q)
	if err != nil {
		return page, fmt.Errorf("store: search events: %w", err)
	}
	return page, nil
}

// scanner gives store.SearchEvents its range queries.
type scanner struct{ s *Store }

// dialect is SQLite's spelling of a search's conditions: numbered
// parameters, which a condition may repeat, and lower(), which folds ASCII
// letters only, as store.SQLDialect asks.
var dialect = store.SQLDialect{
	Placeholder: func(n int) string { return "?" + strconv.Itoa(n) },
	LowerASCII:  func(expr string) string { return "lower(" + expr + ")" },
}

// ScanChunk implements store.EventScanner; the subquery reads the key
// index alone.
func (sc scanner) ScanChunk(ctx context.Context, lo, hi store.Key, n int) (store.Key, int, error) {
	var low []byte
	var count int
	err := sc.s.db.QueryRowContext(ctx, `SELECT min(key), count(*) FROM (SELECT key FROM events WHERE key >= ? AND key < ? ORDER BY key DESC LIMIT ?)`,
		lo[:], hi[:], n).Scan(&low, &count)
	if err != nil || count == 0 {
		return store.Key{}, 0, err
	}
	if len(low) != store.KeySize {
		return store.Key{}, 0, fmt.Errorf("an event key of %d bytes", len(low))
	}
	return store.Key(low), count, nil
}

// FirstKey implements store.EventScanner.
func (sc scanner) FirstKey(ctx context.Context, lo, hi store.Key) (store.Key, bool, error) {
	var k []byte
	err := sc.s.db.QueryRowContext(ctx, `SELECT key FROM events WHERE key >= ? AND key < ? ORDER BY key LIMIT 1`, lo[:], hi[:]).Scan(&k)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.Key{}, false, nil
	case err != nil:
		return store.Key{}, false, err
	case len(k) != store.KeySize:
		return store.Key{}, false, fmt.Errorf("an event key of %d bytes", len(k))
	}
	return store.Key(k), true, nil
}

// MatchKeys implements store.EventScanner. It reads the range in
// ascending order, though the search wants the newest first: rowids grow
// with keys when events arrive in time order, and SQLite then finds each
// row from the one before instead of from the root of the table, which
// made a step nearly twice as fast. The filters are evaluated on the
// row's columns; documents are not read.
func (sc scanner) MatchKeys(ctx context.Context, lo, hi store.Key, f *store.SearchFilter) ([]store.Key, error) {
	where, args := f.Where(dialect, 3)
	var out []store.Key
	err := sc.s.eachRow(ctx, `SELECT key FROM events WHERE key >= ?1 AND key < ?2`+where+` ORDER BY key`, append([]any{lo[:], hi[:]}, args...),
		func(row []driver.Value) error {
			k, err := asKey(row[0])
			out = append(out, k)
			return err
		})
	return out, err
}

// EventsByKey implements store.EventScanner.
func (sc scanner) EventsByKey(ctx context.Context, keys []store.Key) ([]store.StoredEvent, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	args := make([]any, len(keys))
	for i := range keys {
		args[i] = keys[i][:]
	}
	out := make([]store.StoredEvent, 0, len(keys))
	err := sc.s.eachRow(ctx, `SELECT key, doc FROM events WHERE key IN (?`+strings.Repeat(", ?", len(keys)-1)+`)`, args,
		func(row []driver.Value) error {
			k, err := asKey(row[0])
			if err != nil {
				return err
			}
			se := store.StoredEvent{Key: k}
			if err := store.DecodeDoc(asBytes(row[1]), &se.Event); err != nil {
				return fmt.Errorf("decode event %x: %w", k, err)
			}
			out = append(out, se)
			return nil
		})
	return out, err
}

// asKey reads a key column.
func asKey(v driver.Value) (store.Key, error) {
	b := asBytes(v)
	if len(b) != store.KeySize {
		return store.Key{}, fmt.Errorf("an event key of %d bytes", len(b))
	}
	return store.Key(b), nil
}

// FactsOfIP implements store.EventScanner.
func (sc scanner) FactsOfIP(ctx context.Context, ip netip.Addr, from, to int32) ([]store.Fact, error) {
	return sc.s.FactsOfIP(ctx, ip, from, to)
}

// IngestRuns implements store.Searcher.
func (s *Store) IngestRuns(ctx context.Context, limit int) ([]store.IngestRun, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, ingestQuery+` ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: read ingest runs: %w", err)
	}
	defer rows.Close()
	var out []store.IngestRun
	for rows.Next() {
		r, err := scanIngest(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read ingest runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// StrictestTLP implements store.Markings from the per-day feed counts.
func (s *Store) StrictestTLP(ctx context.Context, from, to int32) (event.TLP, bool, error) {
	var t, n int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(max_tlp), 0), COUNT(*) FROM feed_days WHERE day BETWEEN ? AND ?`, from, to).Scan(&t, &n)
	if err != nil {
		return 0, false, fmt.Errorf("store: read markings: %w", err)
	}
	return event.TLP(t), n > 0, nil
}
