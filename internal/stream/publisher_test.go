package stream

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/concord-cert/concord/internal/feed"
	"github.com/concord-cert/concord/internal/ingest"
)

func TestRepublishedFileIsNotStoredTwice(t *testing.T) {
	url := runServer(t)
	const n = 2000
	path := writeEVE(t, n, badLines(n))
	wantDigest, want := reference(t, path)

	first := publishFile(t, url, "concord", path, PublisherOptions{})
	second := publishFile(t, url, "concord", path, PublisherOptions{})
	if second.Published != 0 || second.Duplicates != first.Published || second.Rejected != 3 {
		t.Fatalf("second publish %+v after %+v", second, first)
	}
	if got := backlog(t, url, "concord"); got != uint64(first.Published+first.Rejected) {
		t.Fatalf("stream holds %d messages, want %d", got, first.Published+first.Rejected)
	}

	st := openStore(t)
	w := startWorker(t, url, "concord", "workers", st, fastWorker)
	drain(t, url, "concord")

	// The stream remembers the ids after the workers took the events.
	third := publishFile(t, url, "concord", path, PublisherOptions{})
	if third.Published != 0 || third.Duplicates != n-3 {
		t.Fatalf("publish after the workers drained the stream: %+v", third)
	}
	if err := w.wait(); err != nil {
		t.Fatal(err)
	}
	gotDigest, got := digest(t, st)
	if gotDigest != wantDigest || got.Events != want.Events || got.Facts != want.Facts || got.Rejections != 3 {
		t.Fatalf("stored %+v, want %+v", got, want)
	}
}

// TestRepublishedAfterTheWindowIsDeduplicatedByTheStore re-sends a file
// once the stream has forgotten its ids: the stream takes every event
// again, and the store's content keys keep its totals exact.
func TestRepublishedAfterTheWindowIsDeduplicatedByTheStore(t *testing.T) {
	url := runServer(t)
	const n = 1000
	path := writeEVE(t, n, nil)
	wantDigest, want := reference(t, path)
	opts := PublisherOptions{Stream: StreamOptions{DuplicateWindow: 100 * time.Millisecond}}

	publishFile(t, url, "concord", path, opts)
	time.Sleep(1500 * time.Millisecond) // the server purges ids about once a second
	again := publishFile(t, url, "concord", path, opts)
	if again.Published != n {
		t.Fatalf("re-publish outside the window: %+v", again)
	}
	st := openStore(t)
	w := startWorker(t, url, "concord", "workers", st, fastWorker)
	drain(t, url, "concord")
	if err := w.wait(); err != nil {
		t.Fatal(err)
	}
	if s := w.w.Stats(); s.Stored != n || s.Duplicates != n {
		t.Fatalf("stats %+v", s)
	}
	gotDigest, got := digest(t, st)
	if gotDigest != wantDigest || got.Events != want.Events || got.Facts != want.Facts {
		t.Fatalf("stored %+v, want %+v", got, want)
	}
}

func TestRepeatedRecordIsCountedAsDuplicate(t *testing.T) {
	url := runServer(t)
	path := writeEVE(t, 100, nil)
	data, _ := os.ReadFile(path)
	lines := bytes.SplitAfter(data, []byte("\n"))
	data = append(data, lines[5]...) // a sensor that wrote one record twice
	os.WriteFile(path, data, 0o644)

	res := publishFile(t, url, "concord", path, PublisherOptions{})
	if res.Records != 101 || res.Published != 100 || res.Duplicates != 1 {
		t.Fatalf("result %+v", res)
	}
}

func TestOversizedRecordIsRejected(t *testing.T) {
	url := runServer(t, func(o *server.Options) { o.MaxPayload = 4096 })
	path := writeEVE(t, 10, map[int]string{
		4: `{"timestamp":"2026-03-12T00:00:04.000000+0000","event_type":"flow","src_ip":"10.0.0.1","src_port":1,"dest_ip":"1.1.1.1","dest_port":443,"proto":"TCP","flow":{"note":"` + strings.Repeat("x", 5000) + `"}}`,
	})
	res := publishFile(t, url, "concord", path, PublisherOptions{})
	if res.Records != 10 || res.Published != 9 || res.Rejected != 1 ||
		res.Rejections[0].Line != 5 || !strings.Contains(res.Rejections[0].Reason, "more than the 4096 bytes") {
		t.Fatalf("result %+v", res)
	}
	st := openStore(t)
	w := startWorker(t, url, "concord", "workers", st, fastWorker)
	drain(t, url, "concord")
	w.wait()
	if s := w.w.Stats(); s.Stored != 9 || s.Rejected != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestPublishWithOneEventInFlight(t *testing.T) {
	url := runServer(t)
	path := writeEVE(t, 300, badLines(300))
	res := publishFile(t, url, "concord", path, PublisherOptions{MaxInFlight: 1})
	if res.Published != 297 || res.Rejected != 3 {
		t.Fatalf("result %+v", res)
	}
}

func TestPublishErrors(t *testing.T) {
	url := runServer(t)
	ctx := context.Background()
	pub, err := NewPublisher(ctx, url, "concord", PublisherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()

	// An unreadable input is the file's fault: the next one may be fine.
	for _, tc := range []struct{ name, data, format string }{
		{"binary.bin", "\x00\x01\x02", ""},
		{"mystery.txt", "hello\n", ""},
		{"eve.json", "{}\n", "no-such-format"},
	} {
		_, err := Publish(ctx, pub, tc.name, strings.NewReader(tc.data), tc.format, feed.Options{})
		if !errors.Is(err, ingest.ErrUnreadable) {
			t.Errorf("%s: %v, want ErrUnreadable", tc.name, err)
		}
	}
	if _, err := PublishFile(ctx, pub, filepath.Join(t.TempDir(), "missing.json"), "", feed.Options{}); !errors.Is(err, ingest.ErrUnreadable) {
		t.Errorf("missing file: %v", err)
	}
	if res, err := Publish(ctx, pub, "empty.json", strings.NewReader(""), "", feed.Options{}); err != nil || res.Format != "empty" {
		t.Errorf("empty input: %+v, %v", res, err)
	}

	// A cancelled publish says so.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := PublishFile(cctx, pub, writeEVE(t, 100, nil), "", feed.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestPublishFailsWhenTheStreamIsFull checks the discard policy: a full
// stream refuses new events, and the publisher reports it instead of the
// server dropping events no worker has stored.
func TestPublishFailsWhenTheStreamIsFull(t *testing.T) {
	url := runServer(t)
	path := writeEVE(t, 2000, nil)
	ctx := context.Background()
	pub, err := NewPublisher(ctx, url, "concord", PublisherOptions{Stream: StreamOptions{MaxBytes: 64 << 10}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := PublishFile(ctx, pub, path, "", feed.Options{})
	if err == nil || errors.Is(err, ingest.ErrUnreadable) || !strings.Contains(err.Error(), "maximum bytes") {
		t.Fatalf("publish into a full stream: %+v, %v", res, err)
	}
	if cerr := pub.Close(); cerr == nil {
		t.Fatal("Close forgot the failure")
	}
	if res.Published == 0 || res.Published >= 2000 {
		t.Fatalf("published %d", res.Published)
	}
}
