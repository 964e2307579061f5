package misp

import (
	"context"
	"encoding/binary"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/store/postgres"
	"github.com/concord-cert/concord/internal/store/postgres/pgtest"
	"github.com/concord-cert/concord/internal/store/sqlite"
	"github.com/concord-cert/concord/internal/store/storetest"
)

// BenchExportEnv names the variable that sets how many distinct attack
// sources BenchmarkExport stores first (default 100,000; the figures quoted
// are on 1,000,000). BenchExportDBEnv names a database file to fill (or
// reuse when it exists) instead of a temporary one, for measuring
// `concord export misp` on it afterwards.
const (
	BenchExportEnv   = "CONCORD_BENCH_MISP_ADDRESSES"
	BenchExportDBEnv = "CONCORD_BENCH_MISP_DB"
)

// BenchmarkExport measures the export of n attack sources, each its own
// address, from SQLite: storetest.SyntheticBatch's events with every one
// made a scan from a distinct source. It reports attributes/s and the peak
// heap in use during the export.
func BenchmarkExport(b *testing.B) {
	ctx := context.Background()
	n := benchExportSize(b)
	path := os.Getenv(BenchExportDBEnv)
	if path == "" {
		path = filepath.Join(b.TempDir(), "bench.db")
	}
	_, statErr := os.Stat(path)
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if statErr != nil {
		fillAttackSources(b, st, n)
	}
	benchExport(b, st, n)
}

// BenchmarkExportPostgres is BenchmarkExport on PostgreSQL, in a database
// of its own on the server CONCORD_TEST_POSTGRES names.
func BenchmarkExportPostgres(b *testing.B) {
	ctx := context.Background()
	n := benchExportSize(b)
	st, err := postgres.Open(ctx, pgtest.Database(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	fillAttackSources(b, st, n)
	benchExport(b, st, n)
}

func benchExportSize(b *testing.B) int {
	n := 100_000
	if v := os.Getenv(BenchExportEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("%s: %v", BenchExportEnv, err)
		}
	}
	return n
}

func benchExport(b *testing.B, st Facts, n int) {
	ctx := context.Background()
	x := &Exporter{
		Facts: st, Agency: store.Agency{ID: "bench", Name: "Bench CERT"},
		From: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC),
		TLPMax: event.TLPRed, Generated: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	var sum Summary
	var peak uint64
	var err error
	for b.Loop() {
		stop := samplePeakHeap(&peak)
		sum, err = x.Export(ctx, io.Discard)
		stop()
		if err != nil {
			b.Fatal(err)
		}
	}
	if sum.Attributes < int64(n) {
		b.Fatalf("exported %d attributes, want at least %d", sum.Attributes, n)
	}
	b.ReportMetric(float64(sum.Attributes)*float64(b.N)/b.Elapsed().Seconds(), "attributes/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// fillAttackSources stores n SyntheticBatch events, each turned into a
// scan from its own source address.
func fillAttackSources(b *testing.B, st store.Events, n int) {
	ctx := context.Background()
	defer func(start time.Time) { b.Logf("stored %d events in %v", n, time.Since(start).Round(time.Millisecond)) }(time.Now())
	var h event.Hasher
	var docs store.DocEncoder
	scan := event.Class{Taxonomy: "information-gathering", Type: "scanner"}
	const size = 2000
	for start := 0; start < n; start += size {
		bt := storetest.SyntheticBatch(start, min(size, n-start))
		for i := range bt.Events {
			e := &bt.Events[i]
			var a [4]byte
			binary.BigEndian.PutUint32(a[:], 0x0b000000+uint32(start+i))
			e.Source.IP = netip.AddrFrom4(a)
			e.Source.Role, e.Destination.Role = event.RoleNone, event.RoleNone
			if (start+i)%7 == 0 {
				e.Source.Flags = event.FlagTor
			}
			e.SetClass(scan)
			bt.Keys[i] = store.KeyOf(h.Sum(e), e.TimeSource)
			bt.Docs[i] = docs.AppendDoc(nil, e)
		}
		if _, err := st.WriteBatch(ctx, bt); err != nil {
			b.Fatal(err)
		}
	}
}

// samplePeakHeap records the largest heap in use (live and not yet
// swept objects) every millisecond until stop is called.
func samplePeakHeap(peak *uint64) (stop func()) {
	runtime.GC()
	var done atomic.Bool
	finished := make(chan struct{})
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for !done.Load() {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > *peak {
				*peak = v
			}
			time.Sleep(time.Millisecond)
		}
		close(finished)
	}()
	return func() { done.Store(true); <-finished }
}
