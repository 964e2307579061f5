package stream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// PublisherOptions configure a Publisher. The zero value is valid.
type PublisherOptions struct {
	// Stream configures the stream when the publisher has to create it.
	Stream StreamOptions
	// MaxInFlight bounds the events published but not yet acknowledged by
	// the server (default 4096). When it is reached, Sink.Event blocks
	// until an acknowledgement arrives: memory stays bounded whatever the
	// input's size, and a slow server slows the decoder down.
	MaxInFlight int
	// AckTimeout is how long the publisher waits for the server to
	// acknowledge one event before it fails (default 30 seconds).
	AckTimeout time.Duration
	// Now is the observation time stamped on a file's events when its Sink
	// is made (default time.Now).
	Now func() time.Time
	// Name is the connection's name in the server's monitoring (default
	// "concord ingest").
	Name string
}

// MaxRejections is how many rejections a Result lists; every rejection is
// published whatever their number.
const MaxRejections = 1000

// Publisher publishes decoded events and rejections into a Concord stream.
// Publishing is asynchronous: Sink.Event returns once the event is handed to
// the connection, and a background goroutine collects the server's
// acknowledgements. Flush waits for them. A Publisher is safe for concurrent
// use by several Sinks.
type Publisher struct {
	nc         *nats.Conn
	js         jetstream.JetStream
	stream     string
	maxPayload int
	opts       PublisherOptions

	slots chan struct{} // one token per unacknowledged message
	queue chan pending  // in publishing order, read by collect
	done  chan struct{} // closed when collect returns

	mu     sync.Mutex
	err    error // the first failure; sticky
	closed atomic.Bool
}

// pending is one message awaiting its acknowledgement, or a flush marker.
type pending struct {
	f      jetstream.PubAckFuture
	sink   *Sink
	kind   msgKind
	marker chan struct{}
}

type msgKind uint8

const (
	kindIncident msgKind = iota
	kindObservation
	kindReject
)

// NewPublisher connects to the server at url (see ParseURL) and makes sure
// the stream exists, creating it with opts.Stream when it does not.
func NewPublisher(ctx context.Context, url, stream string, opts PublisherOptions) (*Publisher, error) {
	if err := checkStreamName(stream); err != nil {
		return nil, err
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 4096
	}
	if opts.AckTimeout <= 0 {
		opts.AckTimeout = 30 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Name == "" {
		opts.Name = "concord ingest"
	}
	nc, err := connect(url, opts.Name)
	if err != nil {
		return nil, err
	}
	// The library's own bound on pending acknowledgements sits above ours,
	// so it never stalls (it would fail after 200 ms, not wait).
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(opts.MaxInFlight+1),
		jetstream.WithPublishAsyncTimeout(opts.AckTimeout))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("stream: %w", err)
	}
	if _, err := ensureStream(ctx, js, stream, opts.Stream); err != nil {
		nc.Close()
		return nil, err
	}
	p := &Publisher{
		nc: nc, js: js, stream: stream, maxPayload: int(nc.MaxPayload()), opts: opts,
		slots: make(chan struct{}, opts.MaxInFlight),
		queue: make(chan pending, opts.MaxInFlight+1),
		done:  make(chan struct{}),
	}
	go p.collect()
	return p, nil
}

// Sink returns the feed.Sink for one input: a decoder writes to it, and it
// publishes each event under its de-duplication key and each rejection with
// its line and reason. source names the input ("-" for standard input) and
// format its format; both travel in the messages' headers. ctx bounds how
// long Event may block for back-pressure. A Sink is used by one decoder at
// a time; its counters are final after Flush.
func (p *Publisher) Sink(ctx context.Context, source, format string) *Sink {
	return &Sink{p: p, ctx: ctx, source: source, format: format, obs: p.opts.Now().UTC().Truncate(time.Microsecond)}
}

// Err returns the first error the publisher met, or nil. Once it has failed
// every Sink call fails with this error: the acknowledgements after a
// failure can no longer be trusted to be complete.
func (p *Publisher) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *Publisher) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
}

// Flush waits until the server has acknowledged (or refused) every message
// published so far, and returns the first error the publisher met. It
// returns ctx.Err() if ctx ends first; the acknowledgements are still
// collected.
func (p *Publisher) Flush(ctx context.Context) error {
	if p.closed.Load() {
		return p.closedErr()
	}
	m := make(chan struct{})
	select {
	case p.queue <- pending{marker: m}:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-m:
	case <-ctx.Done():
		return ctx.Err()
	}
	return p.Err()
}

// Close waits for every acknowledgement, closes the connection and returns
// the first error the publisher met. No Sink may be used after or during
// Close. Closing twice returns the first result again.
func (p *Publisher) Close() error {
	if p.closed.Swap(true) {
		<-p.done
		return p.Err()
	}
	close(p.queue)
	<-p.done
	p.nc.Close()
	return p.Err()
}

func (p *Publisher) closedErr() error {
	if err := p.Err(); err != nil {
		return err
	}
	return errors.New("stream: publisher is closed")
}

// collect waits for each message's acknowledgement in publishing order
// (the server acknowledges in that order too) and counts it on its Sink.
// Every future resolves: the library fails it after AckTimeout.
func (p *Publisher) collect() {
	defer close(p.done)
	for it := range p.queue {
		if it.marker != nil {
			close(it.marker)
			continue
		}
		select {
		case ack := <-it.f.Ok():
			it.sink.acked(it.kind, ack.Duplicate)
		case err := <-it.f.Err():
			what := "event"
			if it.kind == kindReject {
				what = "rejection"
			}
			m := it.f.Msg()
			p.fail(fmt.Errorf("stream: publish %s from %s line %s: %w", what, m.Header.Get(HeaderSource), m.Header.Get(HeaderLine), err))
		}
		<-p.slots
	}
}

// publish sends m once a slot is free; the slot returns when the server
// acknowledges m.
func (p *Publisher) publish(ctx context.Context, m *nats.Msg, s *Sink, kind msgKind) error {
	if p.closed.Load() {
		return p.closedErr()
	}
	if err := p.Err(); err != nil {
		return err
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	f, err := p.js.PublishMsgAsync(m)
	if err != nil {
		<-p.slots
		err = fmt.Errorf("stream: publish to %s: %w", m.Subject, err)
		p.fail(err)
		return err
	}
	p.queue <- pending{f: f, sink: s, kind: kind}
	return nil
}

// Sink publishes what a decoder makes of one input; it implements
// feed.Sink.
type Sink struct {
	p              *Publisher
	ctx            context.Context
	source, format string
	obs            time.Time
	hasher         event.Hasher
	feed, subject  string // the last feed name and its event subject

	records      atomic.Int64
	published    atomic.Int64
	duplicates   atomic.Int64
	observations atomic.Int64
	rejected     atomic.Int64

	mu         sync.Mutex
	rejections []store.Rejection
	omitted    int64
}

// headerRoom is what the headers of an event message take at most, besides
// the source name; an event whose encoding does not fit the server's
// message size with them is rejected rather than published.
const headerRoom = 256

// Event implements feed.Sink. It stamps the observation time, computes the
// event's de-duplication key (store.KeyOf of its content hash and source
// time) and publishes the event's binary encoding with the key as its
// Nats-Msg-Id, so the stream drops a re-sent event inside its duplicate
// window. It blocks while MaxInFlight events await acknowledgement, and
// fails once the publisher has failed or the Sink's context has ended.
func (s *Sink) Event(e *event.Event) error {
	s.records.Add(1)
	e.TimeObservation = s.obs
	key := store.KeyOf(s.hasher.Sum(e), e.TimeSource)
	data := e.AppendBinary(make([]byte, 0, 192+len(e.Raw)+len(e.Extra)+len(e.Text)))
	if n := len(data) + headerRoom + len(s.source) + len(e.Feed.Name); n > s.p.maxPayload {
		s.records.Add(-1) // Reject counts it
		s.Reject(e.Line, fmt.Sprintf("record is %d bytes encoded, more than the %d bytes the stream server accepts in one message", len(data), s.p.maxPayload))
		return s.p.Err()
	}
	if e.Feed.Name != s.feed || s.subject == "" {
		s.feed, s.subject = e.Feed.Name, eventSubject(s.p.stream, e.Feed.Name)
	}
	m := &nats.Msg{Subject: s.subject, Data: data, Header: s.header(e.Feed.Name, e.Line, hex.EncodeToString(key[:]))}
	kind := kindIncident
	if e.Kind == event.Observation {
		kind = kindObservation
	}
	return s.p.publish(s.ctx, m, s, kind)
}

// Reject implements feed.Sink: it publishes the rejection (its reason is
// the message body) so that a worker stores it with its run. Its message
// id is a hash of the input's name, feed, line and reason, so re-sending
// the same file inside the duplicate window does not repeat it. A failure
// to publish is not lost: it fails the publisher, so the next Event,
// Flush or Close returns it; if the Sink's context has ended instead,
// Publish reports the input as interrupted.
func (s *Sink) Reject(line int64, reason string) {
	s.records.Add(1)
	s.rejected.Add(1)
	s.mu.Lock()
	if len(s.rejections) < MaxRejections {
		s.rejections = append(s.rejections, store.Rejection{Line: line, Reason: reason})
	} else {
		s.omitted++
	}
	s.mu.Unlock()
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s", s.source, s.feed, line, reason)
	id := "r" + hex.EncodeToString(h.Sum(nil)[:16])
	m := &nats.Msg{Subject: rejectSubject(s.p.stream, s.feed), Data: []byte(reason), Header: s.header(s.feed, line, id)}
	s.p.publish(s.ctx, m, s, kindReject)
}

func (s *Sink) header(feed string, line int64, id string) nats.Header {
	h := nats.Header{
		jetstream.MsgIDHeader: {id},
		HeaderSource:          {s.source},
		HeaderLine:            {strconv.FormatInt(line, 10)},
		HeaderFormat:          {s.format},
	}
	if feed != "" {
		h[HeaderFeed] = []string{feed}
	}
	return h
}

// acked counts a message the server acknowledged; it runs on the
// publisher's collecting goroutine.
func (s *Sink) acked(kind msgKind, dup bool) {
	switch {
	case kind == kindReject:
	case dup:
		s.duplicates.Add(1)
	default:
		s.published.Add(1)
		if kind == kindObservation {
			s.observations.Add(1)
		}
	}
}

// Result returns what became of the input so far; after Flush it is final.
func (s *Sink) Result() Result {
	s.mu.Lock()
	rej := append([]store.Rejection(nil), s.rejections...)
	omitted := s.omitted
	s.mu.Unlock()
	return Result{
		Path: s.source, Format: s.format,
		Records: s.records.Load(), Published: s.published.Load(), Duplicates: s.duplicates.Load(),
		Observations: s.observations.Load(), Rejected: s.rejected.Load(),
		Rejections: rej, RejectionsOmitted: omitted,
	}
}

// Result is what became of one input published into the stream.
type Result struct {
	// Path names the input as the caller did ("-" for standard input).
	Path string
	// Format is the format the input was decoded as, "empty" for an input
	// with no records.
	Format string
	// Records is every record the decoder reported: events and rejections.
	Records int64
	// Published counts the events the stream stored, of which Observations
	// are observations; Duplicates the events it dropped because an event
	// with the same de-duplication key was published inside its duplicate
	// window (a re-sent file, or a record repeated in the input). Whether a
	// published event is new to the database is decided by the worker that
	// stores it.
	Published    int64
	Duplicates   int64
	Observations int64
	// Rejected counts the records the decoder rejected; each was published
	// for a worker to store. Rejections lists the first MaxRejections in
	// input order, RejectionsOmitted says how many more there were.
	Rejected          int64
	Rejections        []store.Rejection
	RejectionsOmitted int64
}
