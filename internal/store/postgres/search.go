package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

var _ store.EventScanner = scanner{}

// SearchEvents implements store.Searcher with store.SearchEvents, on the
// primary keys of events' partitions. Every range query also bounds
// key_time, so PostgreSQL reads only the months the range spans.
func (s *Store) SearchEvents(ctx context.Context, q store.EventQuery) (store.EventPage, error) {
	page, err := store.SearchEvents(ctx, scanner{s}, q)
	if err != nil {
		return page, fmt.Errorf("store: search events: %w", err)
	}
	return page, nil
}

// scanner gives store.SearchEvents its range queries.
type scanner struct{ s *Store }

// dialect is PostgreSQL's spelling of a search's conditions. lower()
// under the "C" collation folds ASCII letters only, as SQLite's does.
var dialect = store.SQLDialect{
	Placeholder: func(n int) string { return "$" + strconv.Itoa(n) },
	LowerASCII:  func(expr string) string { return "lower(" + expr + ` COLLATE "C")` },
}

// inRange is the condition on a key range with its partition bounds,
// parameters $1 to $4 (rangeArgs).
const inRange = `key >= $1 AND key < $2 AND key_time BETWEEN $3 AND $4`

func rangeArgs(lo, hi store.Key) []any {
	return []any{lo[:], hi[:], store.KeyTime(lo), store.KeyTime(hi)}
}

// ScanChunk implements store.EventScanner; the subquery reads the
// partitions' key indexes alone. PostgreSQL has no min() of bytea; the
// keys' hex, compared bytewise, sorts as they do.
func (sc scanner) ScanChunk(ctx context.Context, lo, hi store.Key, n int) (store.Key, int, error) {
	var low *string
	var count int
	err := sc.s.pool.QueryRow(ctx, `SELECT min(encode(key, 'hex') COLLATE "C"), count(*) FROM
		(SELECT key FROM events WHERE `+inRange+` ORDER BY key DESC LIMIT $5) x`,
		append(rangeArgs(lo, hi), n)...).Scan(&low, &count)
	if err != nil || count == 0 {
		return store.Key{}, 0, err
	}
	b, err := hex.DecodeString(*low)
	if err != nil || len(b) != store.KeySize {
		return store.Key{}, 0, fmt.Errorf("an event key %q", *low)
	}
	return store.Key(b), count, nil
}

// FirstKey implements store.EventScanner.
func (sc scanner) FirstKey(ctx context.Context, lo, hi store.Key) (store.Key, bool, error) {
	var k []byte
	err := sc.s.pool.QueryRow(ctx, `SELECT key FROM events WHERE `+inRange+` ORDER BY key LIMIT 1`, rangeArgs(lo, hi)...).Scan(&k)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.Key{}, false, nil
	case err != nil:
		return store.Key{}, false, err
	case len(k) != store.KeySize:
		return store.Key{}, false, fmt.Errorf("an event key of %d bytes", len(k))
	}
	return store.Key(k), true, nil
}

// MatchKeys implements store.EventScanner. The filters are evaluated on
// the row's columns; documents are not read.
func (sc scanner) MatchKeys(ctx context.Context, lo, hi store.Key, f *store.SearchFilter) ([]store.Key, error) {
	where, args := f.Where(dialect, 5)
	var out []store.Key
	var k []byte
	rows, _ := sc.s.pool.Query(ctx, `SELECT key FROM events WHERE `+inRange+where, append(rangeArgs(lo, hi), args...)...)
	_, err := pgx.ForEachRow(rows, []any{&k}, func() error {
		if len(k) != store.KeySize {
			return fmt.Errorf("an event key of %d bytes", len(k))
		}
		out = append(out, store.Key(k))
		return nil
	})
	return out, err
}

// EventsByKey implements store.EventScanner. Each key is looked up with
// its key_time, so each lookup reads one partition.
func (sc scanner) EventsByKey(ctx context.Context, keys []store.Key) ([]store.StoredEvent, error) {
	ks, ts := make([][]byte, len(keys)), make([]int64, len(keys))
	for i := range keys {
		ks[i], ts[i] = keys[i][:], store.KeyTime(keys[i])
	}
	var out []store.StoredEvent
	var k, doc []byte
	rows, _ := sc.s.pool.Query(ctx, `SELECT e.key, e.doc FROM unnest($1::bytea[], $2::bigint[]) AS u(key, key_time)
		JOIN events e ON e.key = u.key AND e.key_time = u.key_time`, ks, ts)
	_, err := pgx.ForEachRow(rows, []any{&k, &doc}, func() error {
		if len(k) != store.KeySize {
			return fmt.Errorf("an event key of %d bytes", len(k))
		}
		se := store.StoredEvent{Key: store.Key(k)}
		if err := store.DecodeDoc(doc, &se.Event); err != nil {
			return fmt.Errorf("decode event %x: %w", k, err)
		}
		out = append(out, se)
		return nil
	})
	return out, err
}

// FactsOfIP implements store.EventScanner.
func (sc scanner) FactsOfIP(ctx context.Context, ip netip.Addr, from, to int32) ([]store.Fact, error) {
	return sc.s.FactsOfIP(ctx, ip, from, to)
}

// StrictestTLP implements store.Markings from the per-day feed counts.
func (s *Store) StrictestTLP(ctx context.Context, from, to int32) (event.TLP, bool, error) {
	var t, n int64
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(max_tlp), 0), COUNT(*) FROM feed_days WHERE day BETWEEN $1 AND $2`, from, to).Scan(&t, &n)
	if err != nil {
		return 0, false, fmt.Errorf("store: read markings: %w", err)
	}
	return event.TLP(t), n > 0, nil
}
