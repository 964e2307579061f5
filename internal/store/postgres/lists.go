package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// ImportList implements store.Lists. Periods of the same kind and range
// that touch or overlap are merged into one entry, so importing the same
// daily list every day keeps one row per address and period. Imports are
// serialised by the lists lock: each reads the periods it extends and
// rewrites the snapshot of all entries, which two imports at once would
// otherwise undo for each other.
func (s *Store) ImportList(ctx context.Context, entries []store.ListEntry) (added, extended int, err error) {
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockLists); err != nil {
			return err
		}
		for _, e := range entries {
			lo, hi := store.AddrBytes(e.Range.Lo), store.AddrBytes(e.Range.Hi)
			from, to := store.PeriodStart(e.From), store.PeriodEnd(e.To)
			maxFrom, minTo := store.TouchingPeriods(from, to)
			rows, _ := tx.Query(ctx, `DELETE FROM list_entries
				WHERE kind = $1 AND lo = $2 AND hi = $3 AND valid_from <= $4 AND valid_to >= $5
				RETURNING valid_from, valid_to`, int32(e.Kind), lo, hi, maxFrom, minTo)
			var old [][2]int64
			var f, t int64
			if _, err := pgx.ForEachRow(rows, []any{&f, &t}, func() error {
				old = append(old, [2]int64{f, t})
				return nil
			}); err != nil {
				return err
			}
			var what store.PeriodMerge
			from, to, what = store.MergePeriods(from, to, old)
			switch what {
			case store.PeriodAdded:
				added++
			case store.PeriodExtended:
				extended++
			}
			if _, err := tx.Exec(ctx, `INSERT INTO list_entries(kind, lo, hi, valid_from, valid_to, source) VALUES ($1, $2, $3, $4, $5, $6)`,
				int32(e.Kind), lo, hi, from, to, e.Source); err != nil {
				return err
			}
		}
		return writeListSnapshot(ctx, tx)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("store: import list: %w", err)
	}
	return added, extended, nil
}

// writeListSnapshot rewrites the list snapshot from the entries, inside
// the transaction that changed them.
func writeListSnapshot(ctx context.Context, tx pgx.Tx) error {
	var ranges []store.ListRange
	var r store.ListRange
	var kind int32
	var lo, hi []byte
	rows, _ := tx.Query(ctx, `SELECT kind, lo, hi, valid_from, valid_to FROM list_entries ORDER BY kind, lo, valid_from`)
	if _, err := pgx.ForEachRow(rows, []any{&kind, &lo, &hi, &r.From, &r.To}, func() error {
		r.Kind, r.Lo, r.Hi = event.Flags(kind), store.AddrFromBytes(lo), store.AddrFromBytes(hi)
		ranges = append(ranges, r)
		return nil
	}); err != nil {
		return fmt.Errorf("list snapshot: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO list_snapshot(id, data) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET data = excluded.data`,
		store.EncodeListSnapshot(ranges)); err != nil {
		return fmt.Errorf("list snapshot: %w", err)
	}
	return nil
}

// ListEntries implements store.Lists.
func (s *Store) ListEntries(ctx context.Context) ([]store.ListEntry, error) {
	var out []store.ListEntry
	var kind int32
	var lo, hi []byte
	var from, to int64
	var source string
	rows, _ := s.pool.Query(ctx, `SELECT kind, lo, hi, valid_from, valid_to, source FROM list_entries ORDER BY kind, lo, valid_from`)
	_, err := pgx.ForEachRow(rows, []any{&kind, &lo, &hi, &from, &to, &source}, func() error {
		e := store.ListEntry{Kind: event.Flags(kind), Range: store.Range{Lo: store.AddrFromBytes(lo), Hi: store.AddrFromBytes(hi)}, Source: source}
		e.From, e.To = store.PeriodTime(from), store.PeriodTime(to)
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read lists: %w", err)
	}
	return out, nil
}

// EachListRange implements store.Lists. It reads the snapshot when there
// is one, and the entries otherwise.
func (s *Store) EachListRange(ctx context.Context, from, to time.Time, fn func(store.ListRange)) error {
	var snap []byte
	err := s.pool.QueryRow(ctx, `SELECT data FROM list_snapshot WHERE id = 1`).Scan(&snap)
	switch {
	case err == nil:
		if err := store.EachSnapshotRange(snap, store.PeriodStart(from), store.PeriodEnd(to), fn); err != nil {
			return fmt.Errorf("%w: import any list again to rebuild it", err)
		}
		return nil
	case !errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("store: read lists: %w", err)
	}
	var r store.ListRange
	var kind int32
	var lo, hi []byte
	rows, _ := s.pool.Query(ctx, `SELECT kind, lo, hi, valid_from, valid_to FROM list_entries WHERE valid_to >= $1 AND valid_from <= $2`,
		store.PeriodStart(from), store.PeriodEnd(to))
	_, err = pgx.ForEachRow(rows, []any{&kind, &lo, &hi, &r.From, &r.To}, func() error {
		r.Kind, r.Lo, r.Hi = event.Flags(kind), store.AddrFromBytes(lo), store.AddrFromBytes(hi)
		fn(r)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: read lists: %w", err)
	}
	return nil
}
