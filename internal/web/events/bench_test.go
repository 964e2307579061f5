package events_test

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/store/sqlite"
	"github.com/concord-cert/concord/internal/store/storetest"
	"github.com/concord-cert/concord/internal/web"
	"github.com/concord-cert/concord/internal/web/events"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// benchEvents is how many synthetic events the benchmarks' store holds.
var benchEvents = flag.Int("bench-events", 1_000_000, "synthetic events in the benchmarks' store")

var bench struct {
	once sync.Once
	dir  string
	err  error
}

// benchStore fills one SQLite database with synthetic events (a sensor's
// flows and C&C alerts over eleven days) for every benchmark of the run,
// and returns its path.
func benchStore(b *testing.B) string {
	bench.once.Do(func() {
		if bench.dir, bench.err = os.MkdirTemp("", "concord-events-bench-"); bench.err != nil {
			return
		}
		path := filepath.Join(bench.dir, "concord.db")
		ctx := context.Background()
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			bench.err = err
			return
		}
		defer st.Close()
		webtest.Seed(b, st, filepath.Join(bench.dir, "data"))
		const size = 20_000
		for i := 0; i < *benchEvents; i += size {
			if _, err := st.WriteBatch(ctx, storetest.SyntheticBatch(i, min(size, *benchEvents-i))); err != nil {
				bench.err = err
				return
			}
		}
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return filepath.Join(bench.dir, "concord.db")
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// benchEnv serves the benchmarks' store with this package's routes.
func benchEnv(b *testing.B) *webtest.Env {
	path := benchStore(b)
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	dir := b.TempDir()
	srv, err := web.New(st, web.Config{Data: dir, Home: "PL"})
	if err != nil {
		b.Fatal(err)
	}
	if err := events.Register(srv); err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	b.Cleanup(hs.Close)
	return &webtest.Env{T: b, Store: st, Server: srv, HTTP: hs, Dir: dir}
}

// BenchmarkDashboard measures the dashboard page as an analyst's browser
// gets it, with the period's report cached (as it is after Register or an
// ingest); cold-ms is the first visit, which computes the report.
func BenchmarkDashboard(b *testing.B) {
	env := benchEnv(b)
	c := env.Login("analyst")
	for _, path := range []string{"/", "/api/v1/dashboard"} {
		b.Run(path, func(b *testing.B) {
			start := time.Now()
			if code, body := c.Get(path); code != http.StatusOK {
				b.Fatalf("GET %s: %d\n%.300s", path, code, body)
			}
			cold := time.Since(start)
			for b.Loop() {
				if code, _ := c.Get(path); code != http.StatusOK {
					b.Fatal(code)
				}
			}
			b.ReportMetric(float64(cold.Microseconds())/1000, "cold-ms")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		})
	}
}

// BenchmarkEventSearch measures one page of the event search for common
// and rare filters; a filter nothing matches reads the scan budget and
// answers a partial page.
func BenchmarkEventSearch(b *testing.B) {
	env := benchEnv(b)
	c := env.Login("analyst")
	for _, tc := range []struct{ name, path string }{
		{"newest", "/events"},
		{"class", "/events?class=malicious-code"},
		{"country+asn", "/events?country=US&asn=16509&malware=emotet"},
		{"prefix", "/events?ip=10.0.1.0/24"},
		{"address", "/events?ip=10.0.0.7"},
		{"none-matches", "/events?flag=tor-exit"},
		{"api-newest", "/api/v1/events"},
		{"api-one-address-as-infected", "/api/v1/events?ip=10.0.0.70&role=infected-host"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if code, body := c.Get(tc.path); code != http.StatusOK {
					b.Fatalf("GET %s: %d\n%.300s", tc.path, code, body)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		})
	}
}

// BenchmarkReportUncached measures what the dashboard's report costs
// when it is not cached: the same thirty days, but each request names
// another home country, so each computes.
func BenchmarkReportUncached(b *testing.B) {
	env := benchEnv(b)
	c := env.Login("analyst")
	var dash struct {
		Period struct{ From, To string } `json:"period"`
	}
	if err := c.GetJSON("/api/v1/dashboard", &dash); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		home := string(rune('A'+i/26%26)) + string(rune('A'+i%26))
		i++
		path := "/api/v1/reports?from=" + dash.Period.From + "&to=" + dash.Period.To + "&home=" + home
		if code, body := c.Get(path); code != http.StatusOK {
			b.Fatalf("GET %s: %d\n%.300s", path, code, body)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/report")
}

// BenchmarkIPPage measures an address page: the IP database, the facts of
// two years with their marking, the recent events in each role.
func BenchmarkIPPage(b *testing.B) {
	env := benchEnv(b)
	c := env.Login("analyst")
	for _, ip := range []string{"10.0.0.70", "203.0.113.7"} {
		b.Run(ip, func(b *testing.B) {
			for b.Loop() {
				if code, body := c.Get("/ip/" + ip); code != http.StatusOK {
					b.Fatalf("GET /ip/%s: %d\n%.300s", ip, code, body)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/page")
		})
	}
}
