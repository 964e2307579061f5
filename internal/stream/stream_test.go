package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/concord-cert/concord/internal/enrich"
	"github.com/concord-cert/concord/internal/feed"
	"github.com/concord-cert/concord/internal/ingest"
	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/store/sqlite"
)

// runServer starts an embedded NATS server with JetStream, storing in a
// temporary directory, and returns its URL.
func runServer(t testing.TB, configure ...func(*server.Options)) string {
	t.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true}
	for _, c := range configure {
		c(opts)
	}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server did not start")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s.ClientURL()
}

func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "concord.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var geoDB = sync.OnceValues(ipdb.Default)

// enricher returns a fresh enricher over the embedded IP database; each
// worker needs its own.
func enricher(t testing.TB) *enrich.Enricher {
	t.Helper()
	geo, err := geoDB()
	if err != nil {
		t.Fatal(err)
	}
	return enrich.New(geo, nil)
}

// writeEVE writes n EVE records, every tenth an alert and the rest flows,
// each distinct, with bad lines at the given (0-based) positions.
func writeEVE(t testing.TB, n int, bad map[int]string) string {
	t.Helper()
	var b bytes.Buffer
	t0 := time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)
	for i := range n {
		if s, ok := bad[i]; ok {
			b.WriteString(s + "\n")
			continue
		}
		ts := t0.Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000000-0700")
		if i%10 == 0 {
			fmt.Fprintf(&b, `{"timestamp":"%s","flow_id":%d,"event_type":"alert","src_ip":"10.0.%d.%d","src_port":50000,"dest_ip":"8.8.%d.8","dest_port":443,"proto":"TCP","alert":{"signature_id":2404301,"signature":"ET CNC Feodo Tracker Reported CnC Server group 1","category":"A Network Trojan was detected"}}`+"\n", ts, i, i/250%250, i%250, i%7)
		} else {
			fmt.Fprintf(&b, `{"timestamp":"%s","flow_id":%d,"event_type":"flow","src_ip":"10.0.0.1","src_port":%d,"dest_ip":"1.1.1.1","dest_port":443,"proto":"TCP","flow":{"pkts_toserver":3}}`+"\n", ts, i, 1024+i%60000)
		}
	}
	path := filepath.Join(t.TempDir(), "eve.json")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// badLines are three records the EVE decoder rejects, placed at the end of
// an input of n records.
func badLines(n int) map[int]string {
	return map[int]string{n - 3: "not json", n - 2: `{"timestamp":"2026-03-12T00:00:05`, n - 1: `{"timestamp":"2026-03-12T00:00:00Z","event_type":"flow","src_ip":"148.81.111.11.12"}`}
}

// reference ingests path directly, as `concord ingest` does, and returns
// the store's digest and totals: what the stream must arrive at.
func reference(t testing.TB, path string) (string, store.Totals) {
	t.Helper()
	ctx := context.Background()
	st := openStore(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := ingest.Run(ctx, st, enricher(t), path, f, ingest.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	return digest(t, st)
}

func digest(t testing.TB, st store.Store) (string, store.Totals) {
	t.Helper()
	ctx := context.Background()
	d, err := st.Digest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tot, err := st.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return d, tot
}

// publishFile publishes path into the stream and returns the result.
func publishFile(t testing.TB, url, name, path string, opts PublisherOptions) Result {
	t.Helper()
	ctx := context.Background()
	pub, err := NewPublisher(ctx, url, name, opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := PublishFile(ctx, pub, path, "", feed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	return res
}

// backlog returns the messages the stream still holds; with work-queue
// retention that is what no worker has acknowledged or terminated yet.
func backlog(t testing.TB, url, name string) uint64 {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// running is a worker started by startWorker.
type running struct {
	w    *Worker
	stop context.CancelFunc
	done chan error
}

// startWorker makes a worker and runs it until stopped.
func startWorker(t testing.TB, url, name, durable string, bw BatchWriter, opts WorkerOptions) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w, err := NewWorker(ctx, url, name, durable, bw, enricher(t).Enrich, opts)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r := &running{w: w, stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- w.Run(ctx) }()
	t.Cleanup(func() { r.wait(); w.Close() })
	return r
}

// wait stops the worker and returns Run's error.
func (r *running) wait() error {
	r.stop()
	err, ok := <-r.done
	if ok {
		close(r.done)
	}
	return err
}

// drain waits until the stream's backlog is empty.
func drain(t testing.TB, url, name string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for backlog(t, url, name) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("stream %s still holds %d messages", name, backlog(t, url, name))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fastWorker is worker configuration for tests: small batches, quick
// retries. AckWait stays long, so that a slow run (-race) sees no
// redelivery the test did not cause; the crash tests shorten it.
var fastWorker = WorkerOptions{BatchSize: 500, FlushAfter: 100 * time.Millisecond, AckWait: 30 * time.Second, RetryDelay: 100 * time.Millisecond,
	Logger: slog.New(slog.DiscardHandler)}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in, server, stream, err string
	}{
		{in: "nats://127.0.0.1:4222", server: "nats://127.0.0.1:4222", stream: "concord"},
		{in: "nats://127.0.0.1:4222/", server: "nats://127.0.0.1:4222/", stream: "concord"},
		{in: "nats://host:4222/sensors", server: "nats://host:4222", stream: "sensors"},
		{in: "nats://a:4222,nats://b:4222/sensors", server: "nats://a:4222,nats://b:4222", stream: "sensors"},
		{in: "tls://user:secret@host:4222/s1", server: "tls://user:secret@host:4222", stream: "s1"},
		{in: "http://host:4222", err: "must start with nats://"},
		{in: "nats://host:4222/a.b", err: "not a valid stream name"},
		{in: "nats://user:secret@host:4222/a.b", err: "not a valid stream name"},
	} {
		server, stream, err := ParseURL(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseURL(%q) error %v, want %q", tc.in, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("ParseURL(%q) error shows the password: %v", tc.in, err)
			}
			continue
		}
		if err != nil || server != tc.server || stream != tc.stream {
			t.Errorf("ParseURL(%q) = %q, %q, %v; want %q, %q", tc.in, server, stream, err, tc.server, tc.stream)
		}
	}
}

func TestStreamOfAnotherApplicationIsRefused(t *testing.T) {
	url := runServer(t)
	ctx := context.Background()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "orders", Subjects: []string{"orders.>"}}); err != nil {
		t.Fatal(err)
	}
	_, err = NewPublisher(ctx, url, "orders", PublisherOptions{})
	if err == nil || !strings.Contains(err.Error(), "not Concord's") {
		t.Fatalf("publisher on a foreign stream: %v", err)
	}
	_, err = NewWorker(ctx, url, "orders", "workers", openStore(t), nil, WorkerOptions{})
	if err == nil || !strings.Contains(err.Error(), "not Concord's") {
		t.Fatalf("worker on a foreign stream: %v", err)
	}
}

func TestStreamIsCreatedAsConfigured(t *testing.T) {
	url := runServer(t)
	ctx := context.Background()
	pub, err := NewPublisher(ctx, url, "concord", PublisherOptions{Stream: StreamOptions{MaxBytes: 1 << 30, DuplicateWindow: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	s, err := pub.js.Stream(ctx, "concord")
	if err != nil {
		t.Fatal(err)
	}
	c := s.CachedInfo().Config
	if c.Retention != jetstream.WorkQueuePolicy || c.Storage != jetstream.FileStorage || c.Discard != jetstream.DiscardNew ||
		c.MaxBytes != 1<<30 || c.MaxAge != 7*24*time.Hour || c.Duplicates != time.Hour {
		t.Fatalf("stream config %+v", c)
	}
	// A second publisher with other options uses the stream as it is.
	pub2, err := NewPublisher(ctx, url, "concord", PublisherOptions{Stream: StreamOptions{MaxBytes: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	pub2.Close()
	info, _ := s.Info(ctx)
	if info.Config.MaxBytes != 1<<30 {
		t.Fatalf("a publisher changed the stream's limits to %d", info.Config.MaxBytes)
	}
}

// failingWriter wraps a store; before and after decide what each write
// does around the real one (nil: nothing).
type failingWriter struct {
	store.Store
	mu     sync.Mutex
	writes int
	before func(n int) error // runs before the real write; an error skips it
	after  func(n int) error // runs after a successful write; replaces its nil
}

func (f *failingWriter) WriteBatch(ctx context.Context, b *store.Batch) (store.BatchResult, error) {
	f.mu.Lock()
	f.writes++
	n := f.writes
	f.mu.Unlock()
	if f.before != nil {
		if err := f.before(n); err != nil {
			return store.BatchResult{}, err
		}
	}
	res, err := f.Store.WriteBatch(ctx, b)
	if err == nil && f.after != nil {
		err = f.after(n)
	}
	return res, err
}

var errCrash = errors.New("simulated crash")
