package stream

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// TestServerRestartMidIngestLosesNothing stops the NATS server while a
// worker is storing, starts it again on the same port and store directory,
// and expects the worker to reconnect and the store to end exactly as a
// direct ingest would.
func TestServerRestartMidIngestLosesNothing(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	start := func() *server.Server {
		s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatal("nats server did not start")
		}
		return s
	}
	srv := start()
	url := "nats://127.0.0.1:" + strconv.Itoa(port)

	const n = 20000
	path := writeEVE(t, n, badLines(n))
	wantDigest, want := reference(t, path)
	publishFile(t, url, "concord", path, PublisherOptions{})

	st := openStore(t)
	slow := fastWorker
	slow.BatchSize = 200
	slow.AckWait = 3 * time.Second // what the stopped server had delivered comes back soon
	w := startWorker(t, url, "concord", "workers", st, slow)
	// Stop the server once the worker has stored part of the stream.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, got := digest(t, st); got.Events > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker stored nothing")
		}
	}
	srv.Shutdown()
	srv.WaitForShutdown()
	if d, _ := digest(t, st); d == wantDigest {
		t.Fatal("the worker finished before the server stopped; the test proves nothing on a machine this fast (publish more)")
	}
	time.Sleep(500 * time.Millisecond)
	srv = start()
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })

	drain(t, url, "concord")
	if err := w.wait(); err != nil {
		t.Fatal(err)
	}
	gotDigest, got := digest(t, st)
	if gotDigest != wantDigest || got.Events != want.Events || got.Facts != want.Facts {
		t.Fatalf("after a server restart the store holds %+v, want %+v (digest equal: %v)", got, want, gotDigest == wantDigest)
	}
	if s := w.w.Stats(); s.Stored == 0 || s.Stored+s.Duplicates < n-3 {
		t.Fatalf("worker stats %+v", s)
	}
}
