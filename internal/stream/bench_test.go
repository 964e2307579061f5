package stream

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"testing"

	"github.com/concord-cert/concord/internal/demo"
	"github.com/concord-cert/concord/internal/feed"
	"github.com/concord-cert/concord/internal/ingest"
)

// benchEVE is the size of the benchmarks' input; CONCORD_BENCH_EVE
// changes it.
func benchEVE() int {
	if n, err := strconv.Atoi(os.Getenv("CONCORD_BENCH_EVE")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// benchFile writes the demo's EVE log: a national network's sensors,
// alerts, flows, DNS and TLS records with realistic addresses.
func benchFile(b *testing.B) (path string, records int) {
	b.Helper()
	geo, err := geoDB()
	if err != nil {
		b.Fatal(err)
	}
	n := benchEVE()
	files, err := demo.Generate(geo, demo.Options{Dir: b.TempDir(), EVE: n})
	if err != nil {
		b.Fatal(err)
	}
	return files.EVE, n
}

// BenchmarkStream measures events per second through the stream: a
// direct `concord ingest` for comparison, publishing alone, workers
// draining a published backlog into SQLite, and both at once.
func BenchmarkStream(b *testing.B) {
	path, n := benchFile(b)
	quiet := WorkerOptions{Logger: slog.New(slog.DiscardHandler)}

	b.Run("direct-ingest", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			st := openStore(b)
			en := enricher(b)
			f, _ := os.Open(path)
			b.StartTimer()
			if _, err := ingest.Run(context.Background(), st, en, path, f, ingest.Options{}, nil); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})

	b.Run("publish", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			url := runServer(b)
			b.StartTimer()
			publishFile(b, url, "concord", path, PublisherOptions{})
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})

	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("drain/workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				url := runServer(b)
				publishFile(b, url, "concord", path, PublisherOptions{})
				st := openStore(b)
				b.StartTimer()
				var rs []*running
				for range workers {
					rs = append(rs, startWorker(b, url, "concord", "workers", st, quiet))
				}
				drain(b, url, "concord")
				b.StopTimer()
				for _, r := range rs {
					r.wait()
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}

	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("end-to-end/workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				url := runServer(b)
				st := openStore(b)
				pub, err := NewPublisher(context.Background(), url, "concord", PublisherOptions{})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				var rs []*running
				for range workers {
					rs = append(rs, startWorker(b, url, "concord", "workers", st, quiet))
				}
				if _, err := PublishFile(context.Background(), pub, path, "", feed.Options{}); err != nil {
					b.Fatal(err)
				}
				pub.Close()
				drain(b, url, "concord")
				b.StopTimer()
				for _, r := range rs {
					r.wait()
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
