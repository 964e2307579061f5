package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// BatchWriter is what a Worker needs of the store; store.Store provides it.
type BatchWriter interface {
	// WriteBatch stores a batch in one transaction (see store.Events). The
	// worker acknowledges a batch's messages only after it returns nil.
	WriteBatch(ctx context.Context, b *store.Batch) (store.BatchResult, error)
	// BeginIngest and FinishIngest record the worker's run: every batch it
	// writes belongs to it, and its rejections are stored with it.
	BeginIngest(ctx context.Context, run store.IngestRun) (int64, error)
	FinishIngest(ctx context.Context, id int64, status string) error
}

// WorkerOptions configure a Worker. The zero value is valid.
type WorkerOptions struct {
	// BatchSize is the most messages stored per transaction (default
	// 8192), and the most one pull request asks the server for.
	BatchSize int
	// BatchBytes bounds the message bytes of one batch (default 8 MiB, at
	// least twice the server's largest message), so that a batch of large
	// records is written sooner and memory stays flat.
	BatchBytes int
	// FlushAfter is how long after its first message a batch that is not
	// full is written (default one second), so that a slow stream is stored
	// as it arrives. A batch is also written as soon as no message has
	// arrived for 50 ms: the end of a burst does not wait.
	FlushAfter time.Duration
	// AckWait is how long the server waits for a message's acknowledgement
	// before it delivers the message again, to this or another worker
	// (default one minute). It must cover a batch's wait in the pipeline
	// and its write; when it does not, the batch is stored twice over, which
	// the store's keys make harmless but which wastes work.
	AckWait time.Duration
	// MaxAckPending bounds the messages delivered and not yet acknowledged
	// across every worker of the consumer (default 65536). One worker holds
	// at most four batches' worth: three batches (filling, waiting, being
	// written) and what its open pull request received beyond them.
	MaxAckPending int
	// RetryDelay is how long after a failed write the batch's messages are
	// delivered again, and how long the worker waits before it fetches
	// again (default five seconds).
	RetryDelay time.Duration
	// IPDB is the store id of the IP database enrich uses (see
	// store.IPDBs), recorded with every batch.
	IPDB int64
	// Now is the observation time given to events that carry none (default
	// time.Now).
	Now func() time.Time
	// Logger receives a line per failed write and per poison message
	// (default slog.Default()).
	Logger *slog.Logger
}

func (o WorkerOptions) withDefaults() WorkerOptions {
	if o.BatchSize <= 0 {
		o.BatchSize = 8192
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = 8 << 20
	}
	if o.FlushAfter <= 0 {
		o.FlushAfter = time.Second
	}
	if o.AckWait <= 0 {
		o.AckWait = time.Minute
	}
	if o.MaxAckPending <= 0 {
		o.MaxAckPending = 65536
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// ConsumerConfig returns the configuration of the durable consumer workers
// share: a pull consumer of every subject of the stream, with explicit
// acknowledgement (each worker acknowledges exactly the messages it
// stored; "ack all" would acknowledge other workers' messages too),
// unlimited deliveries (a store that is down for an hour must not make the
// server give up on an event) and a bounded number of unacknowledged
// messages.
func ConsumerConfig(durable string, o WorkerOptions) jetstream.ConsumerConfig {
	o = o.withDefaults()
	return jetstream.ConsumerConfig{
		Durable:       durable,
		Description:   "Concord workers: store the stream's events and rejections",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: o.MaxAckPending,
	}
}

// Stats are a worker's counters since it was made.
type Stats struct {
	// Received counts messages fetched, Redelivered those of them the
	// server had delivered before (to this or another worker).
	Received    int64
	Redelivered int64
	// Stored counts events new to the store, Duplicates events it already
	// had (redeliveries, re-sent files, records seen by several sensors).
	Stored     int64
	Duplicates int64
	// Rejected counts rejections stored: the publishers' and the poison
	// messages'.
	Rejected int64
	// Poison counts messages that could not be decoded; each was stored as
	// a rejection and terminated.
	Poison int64
	// Batches counts committed batches, Failures failed writes.
	Batches  int64
	Failures int64
}

// Worker consumes a Concord stream through a durable consumer and stores
// what it fetches, one transaction per fetched batch. Any number of workers
// may share the consumer; the server gives each message to one of them.
type Worker struct {
	nc       *nats.Conn
	cons     jetstream.Consumer
	stream   string
	durable  string
	location string
	w        BatchWriter
	enrich   func(*event.Event)
	opts     WorkerOptions

	runMu sync.Mutex
	runID int64

	received, redelivered, stored, duplicates, rejected, poison, batches, failures atomic.Int64
}

// NewWorker connects to the server at url (see ParseURL), makes sure the
// stream exists, and creates or updates the durable consumer called durable.
// enrich (nil for none) is applied to every event before it is stored, on
// one goroutine at a time. Workers sharing a consumer should share their
// options too: the last one started sets the consumer's AckWait and
// MaxAckPending for all.
func NewWorker(ctx context.Context, url, stream, durable string, w BatchWriter, enrich func(*event.Event), opts WorkerOptions) (*Worker, error) {
	if err := checkStreamName(stream); err != nil {
		return nil, err
	}
	if err := checkStreamName(durable); err != nil {
		return nil, fmt.Errorf("stream: consumer name: %w", err)
	}
	opts = opts.withDefaults()
	nc, err := connect(url, "concord worker "+durable)
	if err != nil {
		return nil, err
	}
	// A fetch whose byte limit is below one message would never return it.
	opts.BatchBytes = max(opts.BatchBytes, 2*int(nc.MaxPayload()))
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("stream: %w", err)
	}
	if _, err := ensureStream(ctx, js, stream, StreamOptions{}); err != nil {
		nc.Close()
		return nil, err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, stream, ConsumerConfig(durable, opts))
	if err != nil {
		nc.Close()
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeWorkQueueTaken {
			return nil, fmt.Errorf("stream: stream %s already has a consumer under another name; every worker must use the same consumer name (%s is not it): %w", stream, durable, err)
		}
		return nil, fmt.Errorf("stream: consumer %s on stream %s: %w", durable, stream, err)
	}
	return &Worker{
		nc: nc, cons: cons, stream: stream, durable: durable,
		location: redact(url) + "/" + stream + "#" + durable,
		w:        w, enrich: enrich, opts: opts,
	}, nil
}

// errCodeWorkQueueTaken is the server's error code for a second consumer
// over the subjects of a work-queue stream.
const errCodeWorkQueueTaken = 10099

// Stats returns the worker's counters; it is safe to call while Run works.
func (wk *Worker) Stats() Stats {
	return Stats{
		Received: wk.received.Load(), Redelivered: wk.redelivered.Load(),
		Stored: wk.stored.Load(), Duplicates: wk.duplicates.Load(),
		Rejected: wk.rejected.Load(), Poison: wk.poison.Load(),
		Batches: wk.batches.Load(), Failures: wk.failures.Load(),
	}
}

// RunID returns the id of the ingest run the worker records its batches
// under, or 0 before its first batch.
func (wk *Worker) RunID() int64 {
	wk.runMu.Lock()
	defer wk.runMu.Unlock()
	return wk.runID
}

// Close closes the worker's connection; call it after Run has returned.
func (wk *Worker) Close() error {
	wk.nc.Close()
	return nil
}

// wbatch is one fetched batch on its way to the store: the store batch and
// the messages it came from, each with what to do once it commits.
type wbatch struct {
	store.Batch
	msgs   []jetstream.Msg
	poison []bool   // terminate instead of acknowledging
	arena  []byte   // the documents' bytes
	offs   [][2]int // each event's document in arena
}

// Run fetches, enriches and stores until ctx ends, and returns nil then. A
// failed write is retried: its messages are given back to the server with
// a delay (RetryDelay) and the worker pauses, so a store that is down only
// slows the stream down. Run returns an error when it cannot go on: the
// connection was closed, or the stream or consumer was deleted.
//
// Each batch's messages are acknowledged only after its transaction has
// committed. On cancellation the batch being written is finished and
// acknowledged; messages fetched but not yet written are given back to the
// server at once, for other workers to take.
func (wk *Worker) Run(ctx context.Context) error {
	pl := &puller{cons: wk.cons, batch: wk.opts.BatchSize, bytes: wk.opts.BatchBytes}
	full := make(chan *wbatch, 1)
	free := make(chan *wbatch, 3)
	for range 3 {
		free <- &wbatch{}
	}
	written := make(chan struct{})
	go func() { wk.writeLoop(ctx, full, free); close(written) }()

	var hasher event.Hasher
	var docs store.DocEncoder
	var werr error
	for ctx.Err() == nil {
		var b *wbatch
		select {
		case b = <-free:
		case <-ctx.Done():
		}
		if b == nil {
			break
		}
		b.reset()
		err := wk.fill(ctx, pl, b, &hasher, &docs)
		if err != nil && ctx.Err() == nil {
			nakAll(b, 0)
			free <- b
			if fatal(err) {
				werr = fmt.Errorf("stream: consume %s: %w", wk.location, err)
				break
			}
			wk.opts.Logger.Warn("stream: fetch failed; retrying", "stream", wk.stream, "retry_in", wk.opts.RetryDelay, "error", err.Error())
			sleep(ctx, wk.opts.RetryDelay)
			continue
		}
		if ctx.Err() != nil {
			nakAll(b, 0)
			break
		}
		if len(b.msgs) == 0 {
			free <- b
			continue
		}
		full <- b
	}
	close(full)
	// Messages fetched ahead go back to the server now rather than after
	// AckWait.
	pl.giveBack()
	<-written
	// Acknowledgements are fire-and-forget; make sure the last ones have
	// left before the caller closes the connection.
	if ferr := wk.nc.FlushTimeout(5 * time.Second); ferr != nil && werr == nil && !wk.nc.IsClosed() {
		werr = fmt.Errorf("stream: flush acknowledgements: %w", ferr)
	}
	if id := wk.RunID(); id != 0 {
		status := "done"
		if werr != nil {
			status = "failed"
		}
		if err := wk.w.FinishIngest(context.WithoutCancel(ctx), id, status); err != nil && werr == nil {
			werr = err
		}
	}
	return werr
}

// idleGap is how long a batch that has messages waits for the next one
// before it is written: a burst fills batches to BatchSize, and the end of
// a burst is stored at once instead of after FlushAfter.
const idleGap = 50 * time.Millisecond

// fill fills b with the next messages, decoded and enriched: up to
// BatchSize messages or BatchBytes bytes, less when no message arrives for
// idleGap or FlushAfter after the first. It waits for the first message
// until ctx ends.
func (wk *Worker) fill(ctx context.Context, pl *puller, b *wbatch, hasher *event.Hasher, docs *store.DocEncoder) error {
	var deadline, obs time.Time
	size := 0
	for len(b.msgs) < wk.opts.BatchSize && size < wk.opts.BatchBytes {
		var m jetstream.Msg
		var err error
		if len(b.msgs) == 0 {
			m, err = pl.next(ctx, 0)
		} else {
			wait := min(idleGap, time.Until(deadline))
			if wait <= 0 {
				break
			}
			m, err = pl.next(ctx, wait)
		}
		if errors.Is(err, errIdle) {
			break
		}
		if err != nil {
			return err
		}
		if len(b.msgs) == 0 {
			now := wk.opts.Now()
			deadline = now.Add(wk.opts.FlushAfter)
			obs = now.UTC().Truncate(time.Microsecond)
		}
		size += len(m.Data())
		wk.received.Add(1)
		if md, err := m.Metadata(); err == nil && md.NumDelivered > 1 {
			wk.redelivered.Add(1)
		}
		b.msgs = append(b.msgs, m)
		b.poison = append(b.poison, false)
		if err := wk.add(b, m, obs, hasher, docs); err != nil {
			// A message the worker cannot use is stored as a rejection and
			// terminated, so it never blocks the stream.
			b.poison[len(b.poison)-1] = true
			b.Rejects = append(b.Rejects, store.Rejection{Line: lineOf(m), Reason: err.Error(), Key: messageKey(m)})
			wk.opts.Logger.Warn("stream: poison message", "stream", wk.stream, "subject", m.Subject(), "reason", err.Error())
		}
	}
	for _, o := range b.offs {
		b.Docs = append(b.Docs, b.arena[o[0]:o[1]:o[1]])
	}
	return nil
}

// puller hands out a consumer's messages one at a time from a chain of
// pull requests, each for up to a batch: when one completes, the next is
// sent. A request outlives the batch being filled, so the messages that
// arrive after a batch was cut short go into the next batch, and the next
// batch fills while the store writes. (One-shot requests, rather than the
// library's continuous Messages iterator, because the iterator drops the
// server's status messages when its buffer is full, which stalls it until
// a missed heartbeat resets it, for half a minute.)
type puller struct {
	cons  jetstream.Consumer
	batch int
	bytes int
	cur   jetstream.MessageBatch
	msgs  <-chan jetstream.Msg
}

// pullWait is how long one pull request waits on the server for messages.
// It only bounds how long an idle worker's request lives; batches are cut
// by idleGap and FlushAfter.
const pullWait = time.Second

// errIdle is what puller.next returns when no message arrived in time.
var errIdle = errors.New("stream: no message")

// next returns the next message, waiting for it at most wait (0: until ctx
// ends).
func (pl *puller) next(ctx context.Context, wait time.Duration) (jetstream.Msg, error) {
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	for {
		if pl.cur == nil {
			mb, err := pl.cons.Fetch(pl.batch, jetstream.FetchMaxBytes(pl.bytes), jetstream.FetchMaxWait(pullWait))
			if err != nil {
				return nil, err
			}
			pl.cur, pl.msgs = mb, mb.Messages()
		}
		select {
		case m, ok := <-pl.msgs:
			if ok {
				return m, nil
			}
			err := pl.cur.Error()
			pl.cur, pl.msgs = nil, nil
			if err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, jetstream.ErrNoMessages) {
				return nil, err
			}
		case <-timeout:
			return nil, errIdle
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// giveBack gives the messages of the open request back to the server, for
// other workers to take at once. It waits for the request to end, at most
// pullWait and a second, so that no message is left to wait for AckWait.
func (pl *puller) giveBack() {
	if pl.cur == nil {
		return
	}
	for m := range pl.msgs {
		m.Nak()
	}
	pl.cur, pl.msgs = nil, nil
}

// fatal reports whether a consume error means the worker cannot go on:
// the connection was closed, or the stream or consumer no longer exists.
// Other errors (a missed heartbeat, a leader election) pass.
func fatal(err error) bool {
	for _, f := range []error{nats.ErrConnectionClosed, jetstream.ErrConnectionClosed, jetstream.ErrConsumerDeleted,
		jetstream.ErrConsumerNotFound, jetstream.ErrStreamNotFound, jetstream.ErrBadRequest} {
		if errors.Is(err, f) {
			return true
		}
	}
	return false
}

// add puts one message into the batch: an event (decoded, checked,
// enriched, keyed and encoded as a document) or a publisher's rejection.
// An error means the message is poison; its text is the rejection reason.
func (wk *Worker) add(b *wbatch, m jetstream.Msg, obs time.Time, hasher *event.Hasher, docs *store.DocEncoder) (err error) {
	// A message that makes the worker panic would do so again on every
	// delivery, in every worker, and stop the stream: it is poison too.
	n := len(b.Events)
	defer func() {
		if p := recover(); p != nil {
			b.Events, b.Keys, b.offs = b.Events[:n], b.Keys[:n], b.offs[:n]
			err = poisonf(m, "internal error handling the event: %v", p)
			wk.opts.Logger.Error("stream: panic on a message", "stream", wk.stream, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	h := m.Headers()
	source := h.Get(HeaderSource)
	switch kind := subjectKind(wk.stream, m.Subject()); kind {
	case "rejects":
		reason := string(m.Data())
		if source != "" {
			reason = source + ": " + reason
		}
		b.Rejects = append(b.Rejects, store.Rejection{Line: lineOf(m), Reason: reason, Key: messageKey(m)})
		return nil
	case "events":
	default:
		return poisonf(m, "subject %s is neither an event nor a rejection", m.Subject())
	}
	var e event.Event
	if err := e.UnmarshalBinary(m.Data()); err != nil {
		return poisonf(m, "cannot decode the event: %v", err)
	}
	if err := e.Validate(); err != nil {
		return poisonf(m, "invalid event: %v", err)
	}
	if e.TimeObservation.IsZero() {
		e.TimeObservation = obs
	}
	if wk.enrich != nil {
		wk.enrich(&e)
	}
	key := store.KeyOf(hasher.Sum(&e), e.TimeSource)
	off := len(b.arena)
	b.arena = docs.AppendDoc(b.arena, &e)
	b.offs = append(b.offs, [2]int{off, len(b.arena)})
	e.Raw, e.Extra = nil, nil // the document holds them; they alias the message
	b.Events = append(b.Events, e)
	b.Keys = append(b.Keys, key)
	return nil
}

// poisonf makes the rejection reason of a poison message: where it came
// from, as far as its headers say, and what is wrong with it.
func poisonf(m jetstream.Msg, format string, args ...any) error {
	where := "stream message"
	if md, err := m.Metadata(); err == nil {
		where += " " + strconv.FormatUint(md.Sequence.Stream, 10)
	}
	if src := m.Headers().Get(HeaderSource); src != "" {
		where += " (" + src + ")"
	}
	return fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...))
}

// subjectKind returns "events" or "rejects" for the stream's subjects.
func subjectKind(stream, subject string) string {
	rest, ok := strings.CutPrefix(subject, stream+".")
	if !ok {
		return ""
	}
	kind, _, _ := strings.Cut(rest, ".")
	return kind
}

// lineOf returns the message's input line, 0 when it has none.
func lineOf(m jetstream.Msg) int64 {
	n, _ := strconv.ParseInt(m.Headers().Get(HeaderLine), 10, 64)
	return n
}

// writeLoop stores each batch and then acknowledges its messages.
func (wk *Worker) writeLoop(ctx context.Context, full <-chan *wbatch, free chan<- *wbatch) {
	for b := range full {
		if ctx.Err() != nil || wk.nc.IsClosed() {
			// Not written: give it back for another worker to take now.
			nakAll(b, 0)
		} else {
			wk.commit(ctx, b)
		}
		free <- b
	}
}

// commit writes one batch and settles its messages: acknowledged (or, for
// poison, terminated) after the transaction commits; given back with a
// delay when it fails.
func (wk *Worker) commit(ctx context.Context, b *wbatch) {
	// Once begun, a write finishes: abandoning it half-way would gain
	// nothing, since the store rolls back or commits as a whole.
	wctx := context.WithoutCancel(ctx)
	var res store.BatchResult
	id, err := wk.run(wctx)
	if err == nil {
		b.IngestID, b.IPDB = id, wk.opts.IPDB
		res, err = wk.w.WriteBatch(wctx, &b.Batch)
	}
	if err != nil {
		wk.failures.Add(1)
		wk.opts.Logger.Error("stream: store batch failed; its messages will be delivered again",
			"stream", wk.stream, "messages", len(b.msgs), "retry_in", wk.opts.RetryDelay, "error", err.Error())
		nakAll(b, wk.opts.RetryDelay)
		sleep(ctx, wk.opts.RetryDelay)
		return
	}
	wk.batches.Add(1)
	for _, isNew := range res.New {
		if isNew {
			wk.stored.Add(1)
		} else {
			wk.duplicates.Add(1)
		}
	}
	wk.rejected.Add(int64(len(b.Rejects)))
	for i, m := range b.msgs {
		if b.poison[i] {
			wk.poison.Add(1)
			m.TermWithReason("concord: undecodable; stored as a rejection")
		} else {
			m.Ack()
		}
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// run returns the worker's ingest run, recording it on first use.
func (wk *Worker) run(ctx context.Context) (int64, error) {
	wk.runMu.Lock()
	defer wk.runMu.Unlock()
	if wk.runID != 0 {
		return wk.runID, nil
	}
	id, err := wk.w.BeginIngest(ctx, store.IngestRun{
		Path: wk.location, Format: "stream", Feed: "", Started: wk.opts.Now().UTC(),
	})
	if err != nil {
		return 0, fmt.Errorf("stream: record the worker's run: %w", err)
	}
	wk.runID = id
	return id, nil
}

// nakAll gives a batch's messages back to the server, to be delivered
// again after delay. A message whose Nak is lost is delivered again after
// AckWait all the same.
func nakAll(b *wbatch, delay time.Duration) {
	for _, m := range b.msgs {
		if delay > 0 {
			m.NakWithDelay(delay)
		} else {
			m.Nak()
		}
	}
}

func (b *wbatch) reset() {
	b.IngestID = 0
	b.Events = b.Events[:0]
	b.Keys = b.Keys[:0]
	b.Docs = b.Docs[:0]
	b.Rejects = b.Rejects[:0]
	clear(b.msgs) // drop the references to the messages' data
	b.msgs = b.msgs[:0]
	b.poison = b.poison[:0]
	b.arena = b.arena[:0]
	b.offs = b.offs[:0]
}

// messageKey names a rejection by the message it came in: the publisher's
// message id, else the message's place in the stream. A redelivered message
// has the same key, so the store keeps its rejection once.
func messageKey(m jetstream.Msg) []byte {
	if id := m.Headers().Get(jetstream.MsgIDHeader); id != "" {
		return []byte("msg:" + id)
	}
	if md, err := m.Metadata(); err == nil {
		return []byte(fmt.Sprintf("seq:%s:%d", md.Stream, md.Sequence.Stream))
	}
	return nil
}
