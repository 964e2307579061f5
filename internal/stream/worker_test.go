package stream

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

func TestOneWorkerStoresEveryEventOnce(t *testing.T) {
	url := runServer(t)
	const n = 3000
	path := writeEVE(t, n, badLines(n))
	wantDigest, want := reference(t, path)

	res := publishFile(t, url, "concord", path, PublisherOptions{})
	if res.Records != n || res.Published != n-3 || res.Duplicates != 0 || res.Rejected != 3 || res.Format != "eve" {
		t.Fatalf("publish result %+v", res)
	}
	if res.Observations != n-3-n/10 {
		t.Fatalf("published %d observations, want %d", res.Observations, n-3-n/10)
	}

	st := openStore(t)
	w := startWorker(t, url, "concord", "workers", st, fastWorker)
	drain(t, url, "concord")
	if err := w.wait(); err != nil {
		t.Fatal(err)
	}
	gotDigest, got := digest(t, st)
	if gotDigest != wantDigest || got.Events != want.Events || got.Facts != want.Facts || got.Incidents != want.Incidents {
		t.Fatalf("stored %+v, want %+v (digest equal: %v)", got, want, gotDigest == wantDigest)
	}
	s := w.w.Stats()
	if s.Received != n || s.Stored != n-3 || s.Duplicates != 0 || s.Rejected != 3 || s.Poison != 0 || s.Redelivered != 0 {
		t.Fatalf("worker stats %+v", s)
	}

	// The rejections are stored with the worker's run, naming their file.
	ctx := context.Background()
	run, err := st.Ingest(ctx, w.w.RunID())
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != "done" || run.Format != "stream" || run.Counts.Accepted != n-3 || run.Counts.Rejected != 3 || run.Counts.Records != n {
		t.Fatalf("run %+v", run)
	}
	if strings.Contains(run.Path, "@") || !strings.HasSuffix(run.Path, "/concord#workers") {
		t.Fatalf("run path %q", run.Path)
	}
	rej, err := st.Rejections(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rej) != 3 || rej[0].Line != n-2 || rej[2].Line != n || !strings.HasPrefix(rej[0].Reason, path+": ") {
		t.Fatalf("rejections %+v", rej)
	}
}

func TestTwoWorkersShareTheWork(t *testing.T) {
	url := runServer(t)
	const n = 20000
	path := writeEVE(t, n, badLines(n))
	wantDigest, want := reference(t, path)
	publishFile(t, url, "concord", path, PublisherOptions{})

	st := openStore(t)
	w1 := startWorker(t, url, "concord", "workers", st, fastWorker)
	w2 := startWorker(t, url, "concord", "workers", st, fastWorker)
	drain(t, url, "concord")
	for _, w := range []*running{w1, w2} {
		if err := w.wait(); err != nil {
			t.Fatal(err)
		}
	}
	s1, s2 := w1.w.Stats(), w2.w.Stats()
	if s1.Stored == 0 || s2.Stored == 0 {
		t.Fatalf("one worker did everything: %+v, %+v", s1, s2)
	}
	if s1.Stored+s2.Stored != n-3 || s1.Duplicates+s2.Duplicates != 0 || s1.Rejected+s2.Rejected != 3 {
		t.Fatalf("stats %+v + %+v", s1, s2)
	}
	gotDigest, got := digest(t, st)
	if gotDigest != wantDigest || got.Events != want.Events || got.Facts != want.Facts || got.Rejections != 3 {
		t.Fatalf("stored %+v, want %+v (digest equal: %v)", got, want, gotDigest == wantDigest)
	}
	t.Logf("worker 1 stored %d events in %d batches, worker 2 %d in %d", s1.Stored, s1.Batches, s2.Stored, s2.Batches)
}

// TestKilledWorkerLosesAndDuplicatesNothing kills a worker around its first
// store commit and lets a second one finish: the store must end exactly as
// a direct ingest of the file.
func TestKilledWorkerLosesAndDuplicatesNothing(t *testing.T) {
	const n = 3000
	path := writeEVE(t, n, badLines(n))
	wantDigest, want := reference(t, path)

	for _, tc := range []struct {
		name string
		// crash is called with the dying worker on its first write, before
		// or after the commit as commitFirst says.
		crash       func(w *Worker, stop context.CancelFunc) error
		commitFirst bool
		// redelivered: whether the survivor sees the dead worker's batch as
		// duplicates.
		dups int64
	}{
		{"process dies after commit, before acks", die, true, 500},
		{"store write reports failure after commit", func(*Worker, context.CancelFunc) error { return errCrash }, true, 500},
		{"context cancelled after commit", nil, true, 0},
		{"process dies before commit", die, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := runServer(t)
			publishFile(t, url, "concord", path, PublisherOptions{})
			st := openStore(t)
			opts := fastWorker
			opts.AckWait = 3 * time.Second // what a dead worker held comes back after this
			var dying *Worker
			var stopDying context.CancelFunc
			fw := &failingWriter{Store: st}
			hook := func(k int) error {
				if k != 1 {
					return nil
				}
				if tc.crash == nil {
					stopDying() // the batch committed; the worker must still acknowledge it
					return nil
				}
				return tc.crash(dying, stopDying)
			}
			if tc.commitFirst {
				fw.after = hook
			} else {
				fw.before = hook
			}
			ctx, cancel := context.WithCancel(context.Background())
			stopDying = cancel
			var err error
			dying, err = NewWorker(ctx, url, "concord", "workers", fw, enricher(t).Enrich, opts)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- dying.Run(ctx) }()
			if tc.name == "store write reports failure after commit" {
				// This worker lives on and stores the redelivery itself.
				drain(t, url, "concord")
				cancel()
			}
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("dying worker did not stop")
			}
			cancel()
			dying.Close()
			t.Logf("dying worker: %+v, Run: %v", dying.Stats(), err)

			survivor := startWorker(t, url, "concord", "workers", st, opts)
			drain(t, url, "concord")
			if err := survivor.wait(); err != nil {
				t.Fatal(err)
			}
			d, s := dying.Stats(), survivor.w.Stats()
			t.Logf("survivor: %+v", s)
			if got := d.Duplicates + s.Duplicates; got != tc.dups {
				t.Errorf("%d duplicates, want %d", got, tc.dups)
			}
			if tc.dups > 0 && d.Redelivered+s.Redelivered < tc.dups {
				t.Errorf("only %d redelivered", d.Redelivered+s.Redelivered)
			}
			gotDigest, got := digest(t, st)
			if gotDigest != wantDigest || got.Events != want.Events || got.Facts != want.Facts || got.Rejections != 3 {
				t.Fatalf("stored %+v, want %+v (digest equal: %v)", got, want, gotDigest == wantDigest)
			}
		})
	}
}

// die simulates a killed process: its connection is gone, so none of its
// acknowledgements reach the server, and it does nothing more.
func die(w *Worker, stop context.CancelFunc) error {
	w.nc.Close()
	stop()
	return errCrash
}

func TestStoreFailureIsRetriedNeverAcknowledged(t *testing.T) {
	url := runServer(t)
	const n = 2000
	path := writeEVE(t, n, nil)
	wantDigest, _ := reference(t, path)
	publishFile(t, url, "concord", path, PublisherOptions{})

	st := openStore(t)
	fw := &failingWriter{Store: st, before: func(k int) error {
		if k <= 3 {
			return errCrash // the database is locked, the disk is full...
		}
		return nil
	}}
	w := startWorker(t, url, "concord", "workers", fw, fastWorker)
	drain(t, url, "concord")
	if err := w.wait(); err != nil {
		t.Fatal(err)
	}
	s := w.w.Stats()
	if s.Failures != 3 || s.Stored != n || s.Duplicates != 0 || s.Redelivered == 0 {
		t.Fatalf("stats %+v", s)
	}
	if d, _ := digest(t, st); d != wantDigest {
		t.Fatal("store differs from a direct ingest")
	}
}

func TestPoisonMessageIsTerminatedAndCounted(t *testing.T) {
	url := runServer(t)
	const n = 1000
	path := writeEVE(t, n, nil)
	wantDigest, _ := reference(t, path)
	publishFile(t, url, "concord", path, PublisherOptions{})

	// Three messages no publisher of ours would write: garbage, an event
	// that is not valid, and a subject the worker does not know.
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	bad := event.Event{Kind: event.Incident, Feed: event.Feed{Name: "x"}} // no classification, no address
	for _, m := range []*nats.Msg{
		{Subject: "concord.events.suricata", Data: []byte("garbage"), Header: nats.Header{HeaderSource: {"sensor-7.json"}, HeaderLine: {"42"}}},
		{Subject: "concord.events.x", Data: bad.AppendBinary(nil), Header: nats.Header{HeaderLine: {"43"}}},
		{Subject: "concord.rejects.x", Data: []byte("unreadable"), Header: nats.Header{HeaderLine: {"44"}}},
	} {
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := nc.Request("concord.other.x", nil, time.Second); err == nil {
		t.Fatal("the stream took a subject outside its own")
	}

	st := openStore(t)
	w := startWorker(t, url, "concord", "workers", st, fastWorker)
	drain(t, url, "concord")
	if err := w.wait(); err != nil {
		t.Fatal(err)
	}
	s := w.w.Stats()
	if s.Poison != 2 || s.Rejected != 3 || s.Stored != n {
		t.Fatalf("stats %+v", s)
	}
	rej, err := st.Rejections(ctx, w.w.RunID())
	if err != nil {
		t.Fatal(err)
	}
	if len(rej) != 3 || rej[0].Line != 42 || !strings.Contains(rej[0].Reason, "(sensor-7.json): cannot decode the event") ||
		rej[1].Line != 43 || !strings.Contains(rej[1].Reason, "invalid event") || rej[2].Reason != "unreadable" {
		t.Fatalf("rejections %+v", rej)
	}
	if d, _ := digest(t, st); d != wantDigest {
		t.Fatal("store differs from a direct ingest")
	}
}

// TestStoppedWorkerAcknowledgesOnlyWhatItCommitted stops workers again and
// again while a large backlog drains: whatever a stop interrupts is either
// committed and acknowledged or given back, never lost or doubled.
func TestStoppedWorkerAcknowledgesOnlyWhatItCommitted(t *testing.T) {
	url := runServer(t)
	const n = 10000
	path := writeEVE(t, n, nil)
	wantDigest, _ := reference(t, path)
	publishFile(t, url, "concord", path, PublisherOptions{})

	st := openStore(t)
	opts := fastWorker // AckWait is long: redelivery must come from the Naks
	var stored, dups int64
	i := 0
	for ; backlog(t, url, "concord") > 0; i++ {
		if i == 500 {
			t.Fatal("backlog does not drain")
		}
		w := startWorker(t, url, "concord", "workers", st, opts)
		time.Sleep(time.Duration(5+i%4*10) * time.Millisecond)
		if err := w.wait(); err != nil {
			t.Fatal(err)
		}
		s := w.w.Stats()
		stored += s.Stored
		dups += s.Duplicates
	}
	t.Logf("%d workers started and stopped", i)
	if stored != n || dups != 0 {
		t.Fatalf("stored %d, %d duplicates; want %d and none", stored, dups, n)
	}
	if d, _ := digest(t, st); d != wantDigest {
		t.Fatal("store differs from a direct ingest")
	}
}

// TestAgainstConfiguredServer runs a file through a real server when
// CONCORD_TEST_NATS names one (e.g. nats://127.0.0.1:4222), on a stream of
// its own that it deletes afterwards.
func TestAgainstConfiguredServer(t *testing.T) {
	url := os.Getenv("CONCORD_TEST_NATS")
	if url == "" {
		t.Skip("CONCORD_TEST_NATS is not set")
	}
	name := fmt.Sprintf("concord_test_%d", time.Now().UnixNano())
	t.Cleanup(func() {
		nc, err := nats.Connect(url)
		if err != nil {
			return
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		js.DeleteStream(context.Background(), name)
	})
	const n = 2000
	path := writeEVE(t, n, badLines(n))
	wantDigest, _ := reference(t, path)
	res := publishFile(t, url, name, path, PublisherOptions{})
	if res.Published != n-3 || res.Rejected != 3 {
		t.Fatalf("publish result %+v", res)
	}
	st := openStore(t)
	w1 := startWorker(t, url, name, "workers", st, fastWorker)
	w2 := startWorker(t, url, name, "workers", st, fastWorker)
	drain(t, url, name)
	w1.wait()
	w2.wait()
	if d, tot := digest(t, st); d != wantDigest || tot.Rejections != 3 {
		t.Fatalf("stored %+v; digest equal: %v", tot, d == wantDigest)
	}
}

// fakeMsg is a message for calling Worker.add without a server.
type fakeMsg struct {
	subject string
	data    []byte
	header  nats.Header
}

func (m *fakeMsg) Metadata() (*jetstream.MsgMetadata, error) {
	return &jetstream.MsgMetadata{Sequence: jetstream.SequencePair{Stream: 7}, NumDelivered: 1}, nil
}
func (m *fakeMsg) Data() []byte                     { return m.data }
func (m *fakeMsg) Headers() nats.Header             { return m.header }
func (m *fakeMsg) Subject() string                  { return m.subject }
func (m *fakeMsg) Reply() string                    { return "" }
func (m *fakeMsg) Ack() error                       { return nil }
func (m *fakeMsg) DoubleAck(context.Context) error  { return nil }
func (m *fakeMsg) Nak() error                       { return nil }
func (m *fakeMsg) NakWithDelay(time.Duration) error { return nil }
func (m *fakeMsg) InProgress() error                { return nil }
func (m *fakeMsg) Term() error                      { return nil }
func (m *fakeMsg) TermWithReason(string) error      { return nil }

// FuzzWorkerMessage feeds arbitrary payloads to the worker: each must be
// taken as a valid event or refused with a reason, never crash the worker
// (which would crash every worker it is delivered to, again and again).
func FuzzWorkerMessage(f *testing.F) {
	e := event.Event{Kind: event.Incident, Feed: event.Feed{Name: "f"}, Raw: []byte("raw"), Line: 3,
		TimeSource: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	e.SetClass(event.Class{Taxonomy: "malicious-code", Type: "c2-server"})
	e.Source.FQDN = "c2.example"
	f.Add(e.AppendBinary(nil))
	f.Add([]byte("garbage"))
	f.Add([]byte{})
	wk := &Worker{stream: "concord", enrich: enricher(f).Enrich, opts: fastWorker.withDefaults()}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b wbatch
		var hasher event.Hasher
		var docs store.DocEncoder
		m := &fakeMsg{subject: "concord.events.f", data: data, header: nats.Header{HeaderLine: {"9"}}}
		err := wk.add(&b, m, time.Now().UTC(), &hasher, &docs)
		switch {
		case err != nil && (len(b.Events) != 0 || err.Error() == ""):
			t.Fatalf("refused with %q but added %d events", err, len(b.Events))
		case err == nil && (len(b.Events) != 1 || len(b.Keys) != 1 || len(b.offs) != 1):
			t.Fatalf("accepted but added %d events", len(b.Events))
		case err == nil:
			if verr := b.Events[0].Validate(); verr != nil {
				t.Fatalf("accepted an invalid event: %v", verr)
			}
			var back event.Event
			o := b.offs[0]
			if derr := store.DecodeDoc(b.arena[o[0]:o[1]], &back); derr != nil {
				t.Fatalf("document does not decode: %v", derr)
			}
		}
	})
}

func TestPanicOnAMessageMakesItPoison(t *testing.T) {
	e := event.Event{Kind: event.Observation, Feed: event.Feed{Name: "f"}}
	wk := &Worker{stream: "concord", opts: fastWorker.withDefaults(), enrich: func(e *event.Event) {
		if e.Line == 13 {
			panic("enrichment bug")
		}
	}}
	var b wbatch
	var hasher event.Hasher
	var docs store.DocEncoder
	for _, line := range []int64{12, 13, 14} {
		e.Line = line
		m := &fakeMsg{subject: "concord.events.f", data: e.AppendBinary(nil), header: nats.Header{}}
		err := wk.add(&b, m, time.Now().UTC(), &hasher, &docs)
		if (err != nil) != (line == 13) {
			t.Fatalf("line %d: %v", line, err)
		}
		if err != nil && !strings.Contains(err.Error(), "stream message 7: internal error handling the event: enrichment bug") {
			t.Fatalf("reason %q", err)
		}
	}
	if len(b.Events) != 2 || len(b.offs) != 2 || b.Events[1].Line != 14 {
		t.Fatalf("batch holds %d events", len(b.Events))
	}
}

func TestMistypedConsumerNameIsRefused(t *testing.T) {
	url := runServer(t)
	ctx := context.Background()
	st := openStore(t)
	w, err := NewWorker(ctx, url, "concord", "workers", st, nil, fastWorker)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := NewWorker(ctx, url, "concord", "wokrers", st, nil, fastWorker); err == nil || !strings.Contains(err.Error(), "every worker must use the same consumer name") {
		t.Fatalf("a second consumer group: %v", err)
	}
	w2, err := NewWorker(ctx, url, "concord", "workers", st, nil, fastWorker)
	if err != nil {
		t.Fatalf("a second worker on the same consumer: %v", err)
	}
	w2.Close()
}
