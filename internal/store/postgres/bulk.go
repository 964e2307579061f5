package postgres

import (
	"context"

	"github.com/concord-cert/concord/internal/store"
)

// EnsurePartitions creates the monthly partitions of events that rows with
// the given keys need and that do not exist yet, as WriteBatch does before
// a batch. Tools that copy events into the table with COPY (concord
// migrate) call it first, because a row whose month has no partition lands
// in events_undated and fails its CHECK. Only the first six bytes of each
// key (its time) matter, and keys may come in any order.
func (s *Store) EnsurePartitions(ctx context.Context, keys []store.Key) error {
	return s.ensurePartitions(ctx, keys)
}
