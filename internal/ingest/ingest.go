// Package ingest runs one input through the collect pipeline: detect its
// format, decode it, enrich every event, and store it in batches, counting
// every record as accepted, duplicate or rejected.
//
// Decoding and enrichment run on the calling goroutine; writing runs on
// another, so the two overlap on a multi-core machine. At most a few
// batches are in flight, so memory stays flat whatever the input's size,
// and a slow store slows the decoder down instead of filling memory.
package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concord-cert/concord/internal/enrich"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/feed"
	"github.com/concord-cert/concord/internal/store"
)

// Options configure a run.
type Options struct {
	// Format forces a format; empty means detect it from the content.
	Format string
	// Decoder options: feed name, report type, mapping, default TLP.
	Feed feed.Options
	// IPDB is the store id of the database the enricher uses.
	IPDB int64
	// BatchSize is the most events per transaction (default 32768).
	BatchSize int
	// BatchBytes bounds the memory one batch holds (default 8 MiB), so
	// that a batch of large records is written sooner.
	BatchBytes int
	// FlushAfter writes a partial batch after this long, so a slow stream
	// on stdin is stored as it arrives (default one second).
	FlushAfter time.Duration
	// MaxRejections bounds how many rejections Result keeps in memory; all
	// of them are stored. Zero means DefaultMaxRejections.
	MaxRejections int
	// Now is the observation time stamped on the run's events (default
	// time.Now).
	Now func() time.Time
}

// DefaultMaxRejections is how many rejections a Result lists.
const DefaultMaxRejections = 1000

// Result is what happened to one input.
type Result struct {
	Path   string
	Format string
	RunID  int64
	store.Counts
	// ByClass counts accepted incidents by "taxonomy/type".
	ByClass map[string]int64
	// Rejections lists the first MaxRejections rejections in input order;
	// RejectionsOmitted says how many more the store holds.
	Rejections        []store.Rejection
	RejectionsOmitted int64
}

// ErrUnreadable wraps errors that stopped an input from being read at all.
var ErrUnreadable = errors.New("ingest: input cannot be read")

// Progress reports how far a run has got; it is safe to call from another
// goroutine while Run works.
type Progress struct {
	bytes   atomic.Int64
	records atomic.Int64
}

// Bytes returns the number of input bytes read so far (before
// decompression).
func (p *Progress) Bytes() int64 { return p.bytes.Load() }

// Records returns the number of records decoded so far.
func (p *Progress) Records() int64 { return p.records.Load() }

// countingReader counts bytes into a Progress.
type countingReader struct {
	r io.Reader
	p *Progress
}

func (c countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.bytes.Add(int64(n))
	return n, err
}

// Run ingests one input. It returns an error wrapping ErrUnreadable when
// the input cannot be read at all (unknown format, I/O error, not the
// forced format); a Result with rejections is not an error. Everything
// committed before an error or a cancellation stays committed, and
// running the same input again stores only what is missing.
func Run(ctx context.Context, st store.Store, en *enrich.Enricher, path string, r io.Reader, opts Options, prog *Progress) (Result, error) {
	res := Result{Path: path, ByClass: map[string]int64{}}
	if prog == nil {
		prog = &Progress{}
	}
	in, err := feed.Open(countingReader{r, prog})
	if err != nil {
		return res, fmt.Errorf("%w: %s: %v", ErrUnreadable, path, err)
	}
	defer in.Close()
	var f feed.Format
	if opts.Format != "" {
		if f, err = feed.Lookup(opts.Format); err != nil {
			return res, fmt.Errorf("%w: %v", ErrUnreadable, err)
		}
	} else {
		head, err := in.Head()
		if err != nil {
			return res, fmt.Errorf("%w: %s: %v", ErrUnreadable, path, err)
		}
		if len(head) == 0 {
			// An empty input holds no records: nothing to do, nothing lost.
			res.Format = "empty"
			return res, nil
		}
		if f, err = feed.Detect(path, head); err != nil {
			return res, fmt.Errorf("%w: %s: %v", ErrUnreadable, path, err)
		}
	}
	res.Format = f.Name
	fo := opts.Feed
	fo.Path = path
	dec, err := f.New(fo)
	if err != nil {
		return res, fmt.Errorf("%w: %s: %v", ErrUnreadable, path, err)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	started := now().UTC()
	runID, err := st.BeginIngest(ctx, store.IngestRun{Path: path, Format: f.Name, Feed: fo.Feed, Started: started})
	if err != nil {
		return res, err
	}
	res.RunID = runID

	p := newPipeline(ctx, st, en, runID, opts, started.Truncate(time.Microsecond), prog)
	decErr := dec.Decode(ctx, in, p)
	p.close()
	werr := p.wait()

	res.Counts = p.counts
	res.ByClass = p.byClass
	res.Rejections, res.RejectionsOmitted = p.rejections, p.omitted
	sort.SliceStable(res.Rejections, func(i, j int) bool { return res.Rejections[i].Line < res.Rejections[j].Line })
	status := "done"
	if decErr != nil || werr != nil {
		status = "failed"
	}
	// The run's end is recorded even when ctx was cancelled; its batches
	// already are.
	if err := st.FinishIngest(context.WithoutCancel(ctx), runID, status); err != nil && werr == nil {
		werr = err
	}
	switch {
	case werr != nil:
		return res, werr
	case decErr != nil && ctx.Err() != nil:
		return res, ctx.Err()
	case decErr != nil:
		return res, fmt.Errorf("%w: %s: %v", ErrUnreadable, path, decErr)
	}
	return res, nil
}

// pipeline is the decoder's Sink: it enriches and hashes each event, packs
// it into the current batch, and hands full batches to the writer.
type pipeline struct {
	ctx    context.Context
	st     store.Store
	en     *enrich.Enricher
	opts   Options
	obs    time.Time
	prog   *Progress
	hasher event.Hasher
	docs   store.DocEncoder

	mu      sync.Mutex // guards cur against the flush timer
	cur     *batch
	full    chan *batch
	free    chan *batch
	stopped chan struct{}
	done    chan error
	ticker  *time.Ticker

	// written by the writer goroutine, read after wait
	counts     store.Counts
	byClass    map[string]int64
	rejections []store.Rejection
	omitted    int64
	maxRej     int
	werr       error
}

// batch is a store.Batch whose documents live in one arena. While the batch
// fills, the arena grows and may move, so events record offsets that seal
// turns into slices once the batch is complete. The events themselves keep
// no Raw or Extra: their documents carry them, and the store needs only the
// other fields.
type batch struct {
	store.Batch
	docs     []byte
	spans    [][2]int
	objBytes int // the JSON the kept objects hold
	started  time.Time
}

func (b *batch) empty() bool {
	return len(b.Events) == 0 && len(b.Rejects) == 0 && len(b.Objects) == 0
}

func newPipeline(ctx context.Context, st store.Store, en *enrich.Enricher, runID int64, opts Options, obs time.Time, prog *Progress) *pipeline {
	// Large batches matter when keys arrive in random order (a day's list
	// of addresses with date-only times, a country's scan report): each
	// commit rewrites every index page it touched, so the more records a
	// commit carries, the fewer page writes each costs — 77 s became 33 s
	// for a million-line list going from 4,096 to 32,768 per batch. The
	// byte bound keeps memory flat: three batches of at most 8 MiB exist.
	if opts.BatchSize <= 0 {
		opts.BatchSize = 32768
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = 8 << 20
	}
	if opts.FlushAfter <= 0 {
		opts.FlushAfter = time.Second
	}
	p := &pipeline{
		ctx: ctx, st: st, en: en, opts: opts, obs: obs, prog: prog,
		full:    make(chan *batch, 1),
		free:    make(chan *batch, 3),
		stopped: make(chan struct{}),
		done:    make(chan error, 1),
		byClass: map[string]int64{},
		maxRej:  opts.MaxRejections,
	}
	if p.maxRej <= 0 {
		p.maxRej = DefaultMaxRejections
	}
	// One batch filling, one waiting, one being written.
	for range 3 {
		p.free <- &batch{Batch: store.Batch{IngestID: runID, IPDB: opts.IPDB}}
	}
	p.cur = <-p.free
	go p.write()
	p.ticker = time.NewTicker(opts.FlushAfter / 2)
	go p.flushOnTimer()
	return p
}

// Event implements feed.Sink.
func (p *pipeline) Event(e *event.Event) error {
	if p.en != nil {
		p.en.Enrich(e)
	}
	e.TimeObservation = p.obs
	key := store.KeyOf(p.hasher.Sum(e), e.TimeSource)
	p.prog.records.Add(1)

	p.mu.Lock()
	b := p.cur
	off := len(b.docs)
	b.docs = p.docs.AppendDoc(b.docs, e)
	b.spans = append(b.spans, [2]int{off, len(b.docs) - off})
	c := *e
	c.Raw, c.Extra = nil, nil // the decoder's buffers; the document has them
	b.Events = append(b.Events, c)
	b.Keys = append(b.Keys, key)
	if len(b.Events) == 1 && len(b.Rejects) == 0 && len(b.Objects) == 0 {
		b.started = time.Now()
	}
	var send *batch
	if len(b.Events) >= p.opts.BatchSize || len(b.docs) >= 4<<20 {
		send = p.takeLocked()
	}
	p.mu.Unlock()
	if send != nil {
		return p.send(send)
	}
	return nil
}

// Object implements feed.ObjectSink: the object is kept in the store's
// imported collection, in the same transaction as the batch's events.
func (p *pipeline) Object(o *feed.Object) error {
	if !o.Event {
		p.prog.records.Add(1)
	}
	kept := store.KeptObject{Record: !o.Event, TAXIIObject: store.TAXIIObject{
		Collection: store.ImportedCollection, ID: o.ID, Type: o.Type, SpecVersion: o.SpecVersion,
		Version: o.Version, TLP: o.TLP, JSON: bytes.Clone(o.JSON)}}
	p.mu.Lock()
	b := p.cur
	if b.empty() {
		b.started = time.Now()
	}
	b.Objects = append(b.Objects, kept)
	b.objBytes += len(kept.JSON)
	var send *batch
	if len(b.Objects) >= p.opts.BatchSize || b.objBytes >= p.opts.BatchBytes {
		send = p.takeLocked()
	}
	p.mu.Unlock()
	if send != nil {
		return p.send(send)
	}
	return nil
}

// Reject implements feed.Sink.
func (p *pipeline) Reject(line int64, reason string) {
	p.prog.records.Add(1)
	p.mu.Lock()
	if p.cur.empty() {
		p.cur.started = time.Now()
	}
	p.cur.Rejects = append(p.cur.Rejects, store.Rejection{Line: line, Reason: reason})
	var send *batch
	if len(p.cur.Rejects) >= p.opts.BatchSize {
		send = p.takeLocked()
	}
	p.mu.Unlock()
	if send != nil {
		p.send(send)
	}
}

// takeLocked seals the current batch and starts a new one. It may block
// waiting for a free batch, which is the back-pressure on the decoder.
func (p *pipeline) takeLocked() *batch {
	b := p.cur
	b.seal()
	select {
	case p.cur = <-p.free:
	case <-p.stopped:
		p.cur = &batch{Batch: store.Batch{IngestID: b.IngestID, IPDB: b.IPDB}}
	}
	return b
}

func (p *pipeline) send(b *batch) error {
	select {
	case p.full <- b:
		return nil
	case <-p.stopped:
		return p.werr
	}
}

// seal points Docs into the arena, which no longer moves.
func (b *batch) seal() {
	b.Docs = b.Docs[:0]
	for _, sp := range b.spans {
		b.Docs = append(b.Docs, span(b.docs, sp))
	}
}

func span(b []byte, s [2]int) []byte {
	if s[1] == 0 {
		return nil
	}
	return b[s[0] : s[0]+s[1] : s[0]+s[1]]
}

// flushOnTimer writes a partial batch that has waited FlushAfter.
func (p *pipeline) flushOnTimer() {
	for {
		select {
		case <-p.ticker.C:
			p.mu.Lock()
			var send *batch
			if b := p.cur; b == nil {
				p.mu.Unlock()
				return // closed: close sends the last batch
			} else if !b.empty() && time.Since(b.started) >= p.opts.FlushAfter {
				send = p.takeLocked()
			}
			p.mu.Unlock()
			if send != nil {
				p.send(send)
			}
		case <-p.stopped:
			return
		}
	}
}

// close sends the last batch and stops the writer once it has written
// everything.
func (p *pipeline) close() {
	p.ticker.Stop()
	p.mu.Lock()
	b := p.cur
	b.seal()
	p.cur = nil
	p.mu.Unlock()
	if !b.empty() {
		p.send(b)
	}
	close(p.full)
}

func (p *pipeline) wait() error { return <-p.done }

// write is the writer goroutine.
func (p *pipeline) write() {
	var err error
	for b := range p.full {
		if err != nil {
			continue // drain after a failure
		}
		var res store.BatchResult
		res, err = p.st.WriteBatch(p.ctx, &b.Batch)
		if err != nil {
			p.werr = err
			close(p.stopped)
			continue
		}
		p.account(b, res)
		b.reset()
		p.free <- b
	}
	if err == nil {
		close(p.stopped)
	}
	p.done <- err
}

func (p *pipeline) account(b *batch, res store.BatchResult) {
	c := res.Counts
	p.counts.Records += c.Records
	p.counts.Accepted += c.Accepted
	p.counts.Duplicates += c.Duplicates
	p.counts.Rejected += c.Rejected
	p.counts.Observations += c.Observations
	p.counts.Kept += c.Kept
	for i, isNew := range res.New {
		if e := &b.Events[i]; isNew && e.Kind == event.Incident {
			p.byClass[e.Class.String()]++
		}
	}
	for _, r := range b.Rejects {
		if len(p.rejections) < p.maxRej {
			p.rejections = append(p.rejections, r)
		} else {
			p.omitted++
		}
	}
}

func (b *batch) reset() {
	b.Events = b.Events[:0]
	b.Keys = b.Keys[:0]
	b.Docs = b.Docs[:0]
	b.Rejects = b.Rejects[:0]
	clear(b.Objects) // drop the references to the objects' JSON
	b.Objects = b.Objects[:0]
	b.objBytes = 0
	b.spans = b.spans[:0]
	b.docs = b.docs[:0]
}
