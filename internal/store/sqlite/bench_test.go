package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/concord-cert/concord/internal/store/storetest"
)

func BenchmarkWriteBatch(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchWriteBatch(b, s)
}

func BenchmarkSearchEvents(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchSearchEvents(b, s)
}

func BenchmarkAddTAXIIObjects(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchAddTAXIIObjects(b, s)
}
