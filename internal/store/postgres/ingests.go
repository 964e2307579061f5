package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concord-cert/concord/internal/store"
)

// BeginIngest implements store.Ingests.
func (s *Store) BeginIngest(ctx context.Context, run store.IngestRun) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO ingests(path, format, feed, started, status) VALUES ($1, $2, $3, $4, 'running') RETURNING id`,
		run.Path, run.Format, run.Feed, run.Started.UnixMicro()).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: begin ingest: %w", err)
	}
	return id, nil
}

// FinishIngest implements store.Ingests.
func (s *Store) FinishIngest(ctx context.Context, id int64, status string) error {
	_, err := s.pool.Exec(ctx, `UPDATE ingests SET finished = $1, status = $2 WHERE id = $3`, time.Now().UnixMicro(), status, id)
	if err != nil {
		return fmt.Errorf("store: finish ingest %d: %w", id, err)
	}
	return nil
}

// Ingest implements store.Ingests.
func (s *Store) Ingest(ctx context.Context, id int64) (store.IngestRun, error) {
	r, err := scanIngest(s.pool.QueryRow(ctx, ingestQuery+` WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, store.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("store: read ingest %d: %w", id, err)
	}
	return r, nil
}

// IngestRuns implements store.Searcher.
func (s *Store) IngestRuns(ctx context.Context, limit int) ([]store.IngestRun, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, _ := s.pool.Query(ctx, ingestQuery+` ORDER BY id DESC LIMIT $1`, limit)
	out, err := collect(rows, func(row pgx.CollectableRow) (store.IngestRun, error) { return scanIngest(row) })
	if err != nil {
		return nil, fmt.Errorf("store: read ingest runs: %w", err)
	}
	return out, nil
}

const ingestQuery = `SELECT id, path, format, feed, started, finished, status, records, accepted, duplicates, rejected, observations, kept FROM ingests`

// scanIngest reads a row of ingestQuery.
func scanIngest(row pgx.Row) (store.IngestRun, error) {
	var r store.IngestRun
	var started int64
	var finished *int64
	if err := row.Scan(&r.ID, &r.Path, &r.Format, &r.Feed, &started, &finished, &r.Status,
		&r.Counts.Records, &r.Counts.Accepted, &r.Counts.Duplicates, &r.Counts.Rejected, &r.Counts.Observations, &r.Counts.Kept); err != nil {
		return r, err
	}
	r.Started, r.Finished = time.UnixMicro(started).UTC(), fromMicro(finished)
	return r, nil
}

// Rejections implements store.Ingests.
func (s *Store) Rejections(ctx context.Context, id int64) ([]store.Rejection, error) {
	rows, _ := s.pool.Query(ctx, `SELECT line, reason FROM rejections WHERE ingest_id = $1 ORDER BY line, id`, id)
	out, err := collect(rows, func(row pgx.CollectableRow) (store.Rejection, error) {
		var r store.Rejection
		err := row.Scan(&r.Line, &r.Reason)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read rejections: %w", err)
	}
	return out, nil
}

// RegisterIPDB implements store.IPDBs. Two processes registering the same
// name at once get the same id: the second insert waits for the first and
// then finds its row. Activations are serialised by a table lock, so
// exactly one database is active however many processes activate one.
func (s *Store) RegisterIPDB(ctx context.Context, name string, data []byte, activate bool) (int64, error) {
	var id int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if activate {
			if _, err := tx.Exec(ctx, `LOCK TABLE ipdbs IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return fmt.Errorf("store: activate ip database %s: %w", name, err)
			}
		}
		err := tx.QueryRow(ctx, `SELECT id FROM ipdbs WHERE name = $1`, name).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			err = tx.QueryRow(ctx, `INSERT INTO ipdbs(name, loaded, data) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING id`,
				name, time.Now().Unix(), data).Scan(&id)
			switch {
			case err == nil:
				return activateIPDB(ctx, tx, name, id, activate)
			case errors.Is(err, pgx.ErrNoRows): // registered by another process meanwhile
				err = tx.QueryRow(ctx, `SELECT id FROM ipdbs WHERE name = $1`, name).Scan(&id)
			default:
				return fmt.Errorf("store: register ip database %s: %w", name, err)
			}
		}
		if err != nil {
			return fmt.Errorf("store: look up ip database %s: %w", name, err)
		}
		// Re-loading a database under the same name refreshes its bytes.
		if data != nil {
			if _, err := tx.Exec(ctx, `UPDATE ipdbs SET data = $1, loaded = $2 WHERE id = $3`, data, time.Now().Unix(), id); err != nil {
				return fmt.Errorf("store: update ip database %s: %w", name, err)
			}
		}
		return activateIPDB(ctx, tx, name, id, activate)
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// activateIPDB makes database id the active one, when activate is set.
func activateIPDB(ctx context.Context, tx pgx.Tx, name string, id int64, activate bool) error {
	if !activate {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE ipdbs SET active = (id = $1) WHERE active OR id = $1`, id); err != nil {
		return fmt.Errorf("store: activate ip database %s: %w", name, err)
	}
	return nil
}

// ActiveIPDB implements store.IPDBs.
func (s *Store) ActiveIPDB(ctx context.Context) (store.IPDBRecord, error) {
	var r store.IPDBRecord
	var loaded int64
	err := s.pool.QueryRow(ctx, `SELECT id, name, loaded, data FROM ipdbs WHERE active`).Scan(&r.ID, &r.Name, &loaded, &r.Data)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, store.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("store: read active ip database: %w", err)
	}
	r.Loaded = time.Unix(loaded, 0).UTC()
	return r, nil
}
