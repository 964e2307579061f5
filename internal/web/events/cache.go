package events

import (
	"context"
	"html/template"
	"net/url"
	"sync"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/stats"
	"github.com/concord-cert/concord/internal/store"
)

// period is what a report covers: UTC days From..To inclusive, the home
// country and the trend granularity ("" chooses by length).
type period struct {
	From, To time.Time
	Home     string
	Bucket   string
}

// key is the period's cache key.
func (p period) key() reportKey {
	return reportKey{from: store.DayOf(p.From), to: store.DayOf(p.To), home: p.Home, bucket: p.Bucket}
}

// query is the period as URL parameters, for links to its charts and
// downloads.
// query is the period as URL query parameters. It is typed as a URL so that
// templates put it into links as it is; escaped as a query value, its '='
// and '&' would be sent as part of one parameter.
func (p period) query() template.URL {
	v := url.Values{"from": {p.From.Format(time.DateOnly)}, "to": {p.To.Format(time.DateOnly)}, "home": {p.Home}}
	if p.Bucket != "" {
		v.Set("bucket", p.Bucket)
	}
	return template.URL(v.Encode())
}

// Days is the period's length in days.
func (p period) Days() int { return int(store.DayOf(p.To)-store.DayOf(p.From)) + 1 }

type reportKey struct {
	from, to     int32
	home, bucket string
}

func (k reportKey) period() period {
	return period{From: store.DayTime(k.from), To: store.DayTime(k.to), Home: k.home, Bucket: k.bucket}
}

// reportEntry is one computed report with the marking it inherits from
// the events of its days. done is closed once report or err is set.
type reportEntry struct {
	done    chan struct{}
	report  *stats.Report
	marking event.TLP
	err     error
	made    time.Time
	gen     uint64

	chartsOnce sync.Once
	charts     []chart
	chartErr   error
}

// reportCache keeps computed reports: computing one over a month of ten
// million events takes about a third of a second, too slow for every
// visit of the dashboard. An entry is served until ttl has passed or
// invalidate is called; concurrent requests for one period wait for one
// computation, and refresh computes a period again in the background
// while the current entry is still served. A failed computation is not
// kept.
type reportCache struct {
	st  store.Store
	now func() time.Time
	ttl time.Duration

	mu  sync.Mutex
	gen uint64
	m   map[reportKey]*reportSlot
}

// reportSlot is one period's current report and the one being computed.
type reportSlot struct {
	cur, next *reportEntry
	used      time.Time
}

// maxReports bounds the cache; reports are a few hundred kilobytes each.
const maxReports = 64

func newReportCache(st store.Store, now func() time.Time, ttl time.Duration) *reportCache {
	return &reportCache{st: st, now: now, ttl: ttl, m: map[reportKey]*reportSlot{}}
}

// get returns the report of k, computing it when no fresh one is cached.
// The computation does not stop when ctx does (others may wait for it);
// get then returns ctx's error.
func (c *reportCache) get(ctx context.Context, k reportKey) (*reportEntry, error) {
	c.mu.Lock()
	sl := c.slotLocked(k)
	e := sl.cur
	if !c.freshLocked(e, c.ttl) {
		e = c.startLocked(k, sl)
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// refresh starts computing k again unless its report is younger than
// maxAge or already being computed, and returns without waiting.
func (c *reportCache) refresh(k reportKey, maxAge time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sl := c.slotLocked(k)
	if !c.freshLocked(sl.cur, maxAge) {
		c.startLocked(k, sl)
	}
}

// invalidate makes every cached report stale.
func (c *reportCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
}

func (c *reportCache) slotLocked(k reportKey) *reportSlot {
	sl := c.m[k]
	if sl == nil {
		c.evictLocked()
		sl = &reportSlot{}
		c.m[k] = sl
	}
	sl.used = c.now()
	return sl
}

// freshLocked reports whether e is computed, without error, from the
// current generation and younger than maxAge.
func (c *reportCache) freshLocked(e *reportEntry, maxAge time.Duration) bool {
	return e != nil && isDone(e) && e.err == nil && e.gen == c.gen && c.now().Sub(e.made) < maxAge
}

// startLocked returns the computation of k under way, starting one if
// none is.
func (c *reportCache) startLocked(k reportKey, sl *reportSlot) *reportEntry {
	if sl.next != nil && sl.next.gen == c.gen {
		return sl.next
	}
	e := &reportEntry{done: make(chan struct{}), gen: c.gen}
	sl.next = e
	go c.compute(k, sl, e)
	return e
}

func (c *reportCache) compute(k reportKey, sl *reportSlot, e *reportEntry) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p := k.period()
	e.marking, e.err = node.ReportMarking(ctx, c.st, p.From, p.To)
	if e.err == nil {
		e.report, e.err = node.Report(ctx, c.st, stats.Options{From: p.From, To: p.To, Home: p.Home, Bucket: p.Bucket, Generated: c.now()})
	}
	e.made = c.now()
	close(e.done)
	c.mu.Lock()
	if sl.next == e {
		sl.next = nil
	}
	if e.err == nil && (sl.cur == nil || sl.cur.gen <= e.gen) {
		sl.cur = e
	}
	c.mu.Unlock()
}

// evictLocked drops the least recently used period when the cache is
// full.
func (c *reportCache) evictLocked() {
	if len(c.m) < maxReports {
		return
	}
	var oldest reportKey
	var at time.Time
	for k, sl := range c.m {
		if sl.next != nil {
			continue
		}
		if at.IsZero() || sl.used.Before(at) {
			oldest, at = k, sl.used
		}
	}
	if !at.IsZero() {
		delete(c.m, oldest)
	}
}

func isDone(e *reportEntry) bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}
