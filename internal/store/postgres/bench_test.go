package postgres

import (
	"context"
	"testing"

	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/store/storetest"
)

// BenchmarkWriteBatch measures ingest from one process, on the same data
// as the SQLite backend's benchmark.
func BenchmarkWriteBatch(b *testing.B) {
	storetest.BenchWriteBatch(b, openTest(b))
}

// BenchmarkWriteBatchDuplicates measures re-ingesting a file already
// stored: every event is looked up and found.
func BenchmarkWriteBatchDuplicates(b *testing.B) {
	ctx := context.Background()
	s := openTest(b)
	const size, batches = 2000, 20
	var all []*store.Batch
	for i := range batches {
		bt := storetest.SyntheticBatch(i*size, size)
		if _, err := s.WriteBatch(ctx, bt); err != nil {
			b.Fatal(err)
		}
		all = append(all, bt)
	}
	n := 0
	for i := 0; b.Loop(); i++ {
		if _, err := s.WriteBatch(ctx, all[i%batches]); err != nil {
			b.Fatal(err)
		}
		n += size
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkSearchEvents measures search pages on the same data as the
// SQLite backend's benchmark.
func BenchmarkSearchEvents(b *testing.B) {
	storetest.BenchSearchEvents(b, openTest(b))
}

// BenchmarkAddTAXIIObjects measures adding objects to a TAXII collection,
// on the same data as the SQLite backend's benchmark.
func BenchmarkAddTAXIIObjects(b *testing.B) {
	storetest.BenchAddTAXIIObjects(b, openTest(b))
}
