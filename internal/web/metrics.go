package web

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/store"
)

// Metrics are the server's counters and latency histograms, exposed at
// /metrics in the Prometheus text format (version 0.0.4), written by hand:
// a handful of series do not earn a client library.
type Metrics struct {
	mu    sync.Mutex
	http  map[httpKey]*histogram
	start time.Time

	loginFailures  atomic.Int64
	victimReports  atomic.Int64
	ingestRecords  atomic.Int64
	ingestAccepted atomic.Int64
	ingestDup      atomic.Int64
	ingestRejected atomic.Int64
}

type httpKey struct {
	route, method string
	code          int
}

// latencyBuckets are the histogram's upper bounds in seconds.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type histogram struct {
	counts [14]int64 // one per bucket, then +Inf
	sum    float64
	n      int64
}

func (h *histogram) observe(v float64) {
	i, _ := slices.BinarySearch(latencyBuckets, v)
	h.counts[i]++
	h.sum += v
	h.n++
}

func newMetrics() *Metrics { return &Metrics{http: map[httpKey]*histogram{}, start: time.Now()} }

// Ingested counts what an ingest through the server stored.
func (m *Metrics) Ingested(c store.Counts) {
	m.ingestRecords.Add(c.Records)
	m.ingestAccepted.Add(c.Accepted)
	m.ingestDup.Add(c.Duplicates)
	m.ingestRejected.Add(c.Rejected)
}

// VictimReport counts one report filed through the public form.
func (m *Metrics) VictimReport() { m.victimReports.Add(1) }

func (m *Metrics) observeHTTP(route, method string, code int, d time.Duration) {
	k := httpKey{route, method, code}
	m.mu.Lock()
	h := m.http[k]
	if h == nil {
		h = &histogram{}
		m.http[k] = h
	}
	h.observe(d.Seconds())
	m.mu.Unlock()
}

// write prints every series; deadline gauges are read from the store now.
func (m *Metrics) write(ctx context.Context, w io.Writer, st Store, now time.Time) error {
	var b strings.Builder
	b.WriteString("# HELP concord_http_request_duration_seconds Time to answer an HTTP request, by route pattern.\n")
	b.WriteString("# TYPE concord_http_request_duration_seconds histogram\n")
	m.mu.Lock()
	keys := make([]httpKey, 0, len(m.http))
	for k := range m.http {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b httpKey) int {
		return strings.Compare(fmt.Sprint(a.route, a.method, a.code), fmt.Sprint(b.route, b.method, b.code))
	})
	for _, k := range keys {
		h := m.http[k]
		labels := fmt.Sprintf(`route=%q,method=%q,code="%d"`, k.route, k.method, k.code)
		var cum int64
		for i, ub := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(&b, "concord_http_request_duration_seconds_bucket{%s,le=\"%s\"} %d\n", labels, strconv.FormatFloat(ub, 'g', -1, 64), cum)
		}
		cum += h.counts[len(latencyBuckets)]
		fmt.Fprintf(&b, "concord_http_request_duration_seconds_bucket{%s,le=\"+Inf\"} %d\n", labels, cum)
		fmt.Fprintf(&b, "concord_http_request_duration_seconds_sum{%s} %s\n", labels, strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(&b, "concord_http_request_duration_seconds_count{%s} %d\n", labels, h.n)
	}
	m.mu.Unlock()

	counter := func(name, help string, v int64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	counter("concord_login_failures_total", "Failed or throttled logins.", m.loginFailures.Load())
	counter("concord_victim_reports_total", "Victim reports filed through the public form since start.", m.victimReports.Load())
	b.WriteString("# HELP concord_ingest_records_total Records read by ingests through the server, by outcome.\n# TYPE concord_ingest_records_total counter\n")
	fmt.Fprintf(&b, "concord_ingest_records_total{outcome=\"accepted\"} %d\n", m.ingestAccepted.Load())
	fmt.Fprintf(&b, "concord_ingest_records_total{outcome=\"duplicate\"} %d\n", m.ingestDup.Load())
	fmt.Fprintf(&b, "concord_ingest_records_total{outcome=\"rejected\"} %d\n", m.ingestRejected.Load())
	fmt.Fprintf(&b, "# HELP concord_uptime_seconds Seconds since the server started.\n# TYPE concord_uptime_seconds gauge\nconcord_uptime_seconds %d\n", int64(time.Since(m.start).Seconds()))

	reqs, err := st.Requests(ctx)
	if err != nil {
		return err
	}
	var open, overdue, due24, due72 int64
	next := math.Inf(1)
	for _, r := range reqs {
		if !casework.Status(r.Status).Open() || r.Status == string(casework.StatusDraft) || r.Due.IsZero() {
			continue
		}
		open++
		left := r.Due.Sub(now)
		switch {
		case left < 0:
			overdue++
		case left <= 24*time.Hour:
			due24++
			fallthrough
		case left <= 72*time.Hour:
			due72++
		}
		if left >= 0 && left.Seconds() < next {
			next = left.Seconds()
		}
	}
	b.WriteString("# HELP concord_requests_open Requests for assistance awaiting an answer, with a deadline.\n# TYPE concord_requests_open gauge\n")
	fmt.Fprintf(&b, "concord_requests_open %d\n", open)
	b.WriteString("# HELP concord_requests_overdue Open requests past their deadline.\n# TYPE concord_requests_overdue gauge\n")
	fmt.Fprintf(&b, "concord_requests_overdue %d\n", overdue)
	b.WriteString("# HELP concord_requests_due Open requests due within the window.\n# TYPE concord_requests_due gauge\n")
	fmt.Fprintf(&b, "concord_requests_due{within=\"24h\"} %d\nconcord_requests_due{within=\"72h\"} %d\n", due24, due72)
	if !math.IsInf(next, 1) {
		b.WriteString("# HELP concord_requests_next_deadline_seconds Seconds until the nearest deadline of an open request.\n# TYPE concord_requests_next_deadline_seconds gauge\n")
		fmt.Fprintf(&b, "concord_requests_next_deadline_seconds %d\n", int64(next))
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// routeKey carries the matched route pattern from wrap to observe.
type routeKey struct{}

type routeHolder struct{ pattern string }

func setRoute(r *http.Request, pattern string) {
	if h, ok := r.Context().Value(routeKey{}).(*routeHolder); ok {
		h.pattern = pattern
	}
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe times each request into the histogram of its route pattern and
// logs it: method, pattern, status, duration and user — never the query
// string, a cookie or a header, which may hold secrets.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h := &routeHolder{pattern: "unmatched"}
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, h))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		d := time.Since(start)
		s.metrics.observeHTTP(h.pattern, r.Method, sw.code, d)
		s.Cfg.Log.Debug("http", "method", r.Method, "route", h.pattern, "status", sw.code, "ms", d.Milliseconds())
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
