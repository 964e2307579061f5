package store

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

// Page sizes and scan budgets of SearchEvents.
const (
	DefaultSearchLimit = 50
	MaxSearchLimit     = 1000
	DefaultScanLimit   = 200_000
)

// firstChunk is how many keys the first step of a search examines; each
// further step examines four times as many as the one before, so a common
// filter answers after one short step and a rare one reaches its budget
// in a handful of queries.
const firstChunk = 1024

// EventScanner is what SearchEvents needs of a backend: range queries on
// the events table's key index, which every backend keeps, and the facts
// of one address. Ranges are the keys lo <= key < hi.
type EventScanner interface {
	// ScanChunk looks at the n highest keys of the range and returns the
	// lowest of them and how many there are: fewer than n when the range
	// holds fewer, 0 when it is empty. It reads the key index only.
	ScanChunk(ctx context.Context, lo, hi Key, n int) (low Key, count int, err error)
	// FirstKey returns the lowest key of the range; false when it is empty.
	FirstKey(ctx context.Context, lo, hi Key) (Key, bool, error)
	// MatchKeys returns the keys of the range whose rows f's SQL
	// conditions (SearchFilter.Where) select, in any order. The range is
	// one step of a search, so they are few enough to hold; backends read
	// them in the order that is cheapest.
	MatchKeys(ctx context.Context, lo, hi Key, f *SearchFilter) ([]Key, error)
	// EventsByKey returns the stored events with the given keys, decoded,
	// in any order.
	EventsByKey(ctx context.Context, keys []Key) ([]StoredEvent, error)
	// FactsOfIP is Reader.FactsOfIP.
	FactsOfIP(ctx context.Context, ip netip.Addr, from, to int32) ([]Fact, error)
}

// SearchFilter is an EventQuery's filters as the events table holds them.
// Backends turn it into SQL with Where; Keep checks on the decoded event
// what no column holds.
type SearchFilter struct {
	// Class is "taxonomy/type", or "taxonomy/" when ClassPrefix is set.
	Class       string
	ClassPrefix bool
	CC          string
	ASN         uint32
	// IPLo and IPHi bound the source or destination address, 16 bytes
	// each as AddrBytes stores them; nil without a prefix.
	IPLo, IPHi []byte
	Feed       string
	// Malware is lower case; it matches the column with its ASCII letters
	// folded.
	Malware string
	Flags   event.Flags
	TLPs    []event.TLP
	// From and To bound the event time column, in Unix microseconds, when
	// HasFrom and HasTo are set.
	From, To       int64
	HasFrom, HasTo bool
	// Role selects incidents in which an address (in IPLo..IPHi, when set)
	// plays it; checked by Keep.
	Role event.Role
}

// SQLDialect spells what the backends' SQL writes differently.
type SQLDialect struct {
	// Placeholder returns the n-th (1-based) parameter: "?" or "$n".
	Placeholder func(n int) string
	// LowerASCII returns an expression folding the ASCII letters of the
	// text expression expr to lower case, and only those.
	LowerASCII func(expr string) string
}

// Where returns f's conditions on the events table, each preceded by
// " AND ", and their arguments; placeholders are numbered from first.
func (f *SearchFilter) Where(d SQLDialect, first int) (string, []any) {
	var b strings.Builder
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return d.Placeholder(first + len(args) - 1)
	}
	switch {
	case f.Class != "" && f.ClassPrefix:
		fmt.Fprintf(&b, " AND substr(class, 1, %d) = %s", len([]rune(f.Class)), arg(f.Class))
	case f.Class != "":
		fmt.Fprintf(&b, " AND class = %s", arg(f.Class))
	case f.Role != event.RoleNone:
		b.WriteString(" AND class IS NOT NULL")
	}
	if f.CC != "" {
		cc := arg(f.CC)
		fmt.Fprintf(&b, " AND (src_cc = %s OR dst_cc = %s)", cc, cc)
	}
	if f.ASN != 0 {
		asn := arg(int64(f.ASN))
		fmt.Fprintf(&b, " AND (src_asn = %s OR dst_asn = %s)", asn, asn)
	}
	if f.IPLo != nil {
		lo, hi := arg(f.IPLo), arg(f.IPHi)
		fmt.Fprintf(&b, " AND (src_ip BETWEEN %[1]s AND %[2]s OR dst_ip BETWEEN %[1]s AND %[2]s)", lo, hi)
	}
	if f.Feed != "" {
		fmt.Fprintf(&b, " AND feed = %s", arg(f.Feed))
	}
	if f.Malware != "" {
		fmt.Fprintf(&b, " AND %s = %s", d.LowerASCII("malware"), arg(f.Malware))
	}
	if f.Flags != 0 {
		fl := arg(int64(f.Flags))
		fmt.Fprintf(&b, " AND ((COALESCE(src_flags, 0) | COALESCE(dst_flags, 0)) & %s) = %s", fl, fl)
	}
	if len(f.TLPs) == 0 {
		b.WriteString(" AND 1 = 0") // no marking may be seen
	} else {
		tlps := make([]string, len(f.TLPs))
		for i, t := range f.TLPs {
			tlps[i] = arg(int64(t))
		}
		fmt.Fprintf(&b, " AND tlp IN (%s)", strings.Join(tlps, ", "))
	}
	if f.HasFrom {
		fmt.Fprintf(&b, " AND time >= %s", arg(f.From))
	}
	if f.HasTo {
		fmt.Fprintf(&b, " AND time < %s", arg(f.To))
	}
	return b.String(), args
}

// Keep reports whether a decoded event that Where selected matches what
// no column holds: the role of its address.
func (f *SearchFilter) Keep(e *event.Event) bool {
	if f.Role == event.RoleNone {
		return true
	}
	for _, ep := range [2]*event.Endpoint{&e.Source, &e.Destination} {
		if ep.Role == f.Role && f.inPrefix(ep.IP) {
			return true
		}
	}
	return false
}

func (f *SearchFilter) inPrefix(a netip.Addr) bool {
	if f.IPLo == nil {
		return true
	}
	if !a.IsValid() {
		return false
	}
	b := AddrBytes(a)
	return bytes.Compare(f.IPLo, b) <= 0 && bytes.Compare(b, f.IPHi) <= 0
}

// noKey bounds a range with no upper end: no key reaches it, since no
// source time has all six leading bytes set.
var noKey = Key{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// maxKeyTime is the largest source time a key can hold.
const maxKeyTime = 1<<48 - 1

// maxFactDays is the longest span of days a search reads the facts of:
// their cost grows with the days, and a store whose keys span more (a
// feed that dated a record in the year 9999) is scanned instead.
const maxFactDays = 7305

// countedRoles are the roles facts are kept for.
var countedRoles = []event.Role{event.RoleC2, event.RoleInfected, event.RoleAttacker, event.RoleVulnerable, event.RoleMalicious}

// keyRange is the keys lo <= k < hi.
type keyRange struct{ lo, hi Key }

func (r keyRange) empty() bool { return bytes.Compare(r.lo[:], r.hi[:]) >= 0 }

// compileQuery turns q into a filter and the key range its time bounds
// and cursor allow.
func compileQuery(q *EventQuery) (SearchFilter, keyRange) {
	f := SearchFilter{CC: q.CC, ASN: q.ASN, Feed: q.Feed, Flags: q.Flags, Role: q.Role, TLPs: q.TLPs}
	switch c := strings.TrimSpace(q.Class); {
	case c == "":
	case strings.HasSuffix(c, "/"):
		f.Class, f.ClassPrefix = c, true
	case !strings.Contains(c, "/"):
		f.Class, f.ClassPrefix = c+"/", true
	default:
		f.Class = c
	}
	f.Malware = lowerASCII(q.Malware)
	if p := q.Prefix; p.IsValid() {
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		p = p.Masked()
		lo := p.Addr().As16()
		hi := lo
		bits := p.Bits()
		if p.Addr().Is4() {
			bits += 96
		}
		for i := bits; i < 128; i++ {
			hi[i/8] |= 1 << (7 - i%8)
		}
		f.IPLo, f.IPHi = lo[:], hi[:]
	}
	r := keyRange{hi: noKey}
	// Events without a source time have key time 0, below every bound:
	// they match only a search without one.
	if !q.From.IsZero() || !q.To.IsZero() {
		r.lo = keyAt(1)
	}
	if !q.From.IsZero() {
		f.From, f.HasFrom = q.From.UnixMicro(), true
		if s := q.From.Unix(); s > 1 {
			r.lo = keyAt(min(s, maxKeyTime))
		}
	}
	if !q.To.IsZero() {
		f.To, f.HasTo = q.To.UnixMicro(), true
		// The key holds whole seconds: the range ends after the second To
		// falls in, and the time column cuts it exactly.
		s := q.To.Unix()
		if q.To.Nanosecond() != 0 {
			s++
		}
		r.hi = keyAt(min(max(s, 0), maxKeyTime))
	}
	if q.Before != (Key{}) && bytes.Compare(q.Before[:], r.hi[:]) < 0 {
		r.hi = q.Before
	}
	return f, r
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// SearchEvents answers an EventQuery with a backend's range queries, for
// Searcher implementations. A page costs at most q.ScanLimit keys
// examined, however rare the filter:
//
// The range the time bounds and the cursor allow is read from its highest
// key down, in steps. Each step finds, on the key index alone, the lowest
// of the next keys of the step's size (ScanChunk), then asks the backend
// for the keys between it and the step's top that the filters select, in
// SQL (MatchKeys): only rows of the step are examined, and only the
// documents of the page's events are read (EventsByKey). Steps grow
// fourfold from firstChunk, so a common filter answers after one short
// step. When the page fills, Next is its last event's key; when the
// budget runs out first, the page is Partial and Next is the lowest key
// examined, so the next page starts exactly below it: pages never skip or
// repeat an event. More is false only when the scan reached the bottom of
// the range.
//
// A search for one address with a Role reads only the days on which the
// facts have that address in that role, and the events without a source
// time, instead of the whole range: every incident yields a fact for each
// address with a role, on the day of its time, so no match lies on
// another day. Without a Role the search scans: the address may be a
// target or context, which yields no fact, or appear in an observation,
// and a shortcut through the facts would miss those events. A page is
// then bounded by the budget like any other. So is a page of the
// shortcut, whose days may hold many other events, and one of a store
// whose keys span more than maxFactDays, which is scanned.
func SearchEvents(ctx context.Context, sc EventScanner, q EventQuery) (EventPage, error) {
	var page EventPage
	if len(q.TLPs) == 0 {
		return page, nil // the reader may see nothing
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	limit = min(limit, MaxSearchLimit)
	budget := q.ScanLimit
	if budget <= 0 {
		budget = DefaultScanLimit
	}
	f, r := compileQuery(&q)
	if r.empty() {
		return page, nil
	}
	ranges := []keyRange{r}
	if slices.Contains(countedRoles, f.Role) && f.IPLo != nil && bytes.Equal(f.IPLo, f.IPHi) {
		var err error
		if ranges, err = factRanges(ctx, sc, &f, r); err != nil {
			return page, err
		}
	}
	s := search{sc: sc, f: &f, page: &page, limit: limit, budget: budget, chunk: min(max(firstChunk, 4*limit), budget)}
	for _, r := range ranges {
		done, err := s.scan(ctx, r)
		if err != nil || done {
			return page, err
		}
	}
	return page, nil
}

// search is one page's scan across its ranges.
type search struct {
	sc     EventScanner
	f      *SearchFilter
	page   *EventPage
	limit  int
	budget int // keys that may still be examined
	chunk  int // size of the next step
	last   Key // the lowest key examined so far
}

// scan reads r from the top in steps and reports whether the page is
// done: full, or out of budget.
func (s *search) scan(ctx context.Context, r keyRange) (bool, error) {
	hi := r.hi
	for {
		if s.budget <= 0 {
			s.page.More, s.page.Partial, s.page.Next = true, true, s.last
			return true, nil
		}
		n := min(s.chunk, s.budget)
		low, count, err := s.sc.ScanChunk(ctx, r.lo, hi, n)
		if err != nil || count == 0 {
			return false, err
		}
		full, err := s.match(ctx, low, hi)
		if err != nil {
			return false, err
		}
		if full {
			// Only the keys down to the page's last event were examined.
			next := s.page.Events[len(s.page.Events)-1].Key
			_, examined, err := s.sc.ScanChunk(ctx, next, hi, n)
			if err != nil {
				return false, err
			}
			s.page.Scanned += int64(examined)
			s.page.More, s.page.Next = true, next
			return true, nil
		}
		s.page.Scanned += int64(count)
		s.budget -= count
		s.last, hi = low, low
		if count < n {
			return false, nil // the bottom of the range
		}
		s.chunk *= 4
	}
}

// match adds the events of low <= key < hi that the filter selects to the
// page, newest first, until it is full, and reports whether it is. Only
// the documents the page needs are read.
func (s *search) match(ctx context.Context, low, hi Key) (bool, error) {
	keys, err := s.sc.MatchKeys(ctx, low, hi, s.f)
	if err != nil {
		return false, err
	}
	slices.SortFunc(keys, descending)
	for len(keys) > 0 {
		// Keep may drop some: read more documents until the page is full.
		batch := keys[:min(s.limit-len(s.page.Events), len(keys))]
		keys = keys[len(batch):]
		evs, err := s.sc.EventsByKey(ctx, batch)
		if err != nil {
			return false, err
		}
		slices.SortFunc(evs, func(a, b StoredEvent) int { return descending(a.Key, b.Key) })
		for i := range evs {
			if s.f.Keep(&evs[i].Event) {
				s.page.Events = append(s.page.Events, evs[i])
				if len(s.page.Events) == s.limit {
					return true, nil
				}
			}
		}
	}
	return false, nil
}

func descending(a, b Key) int { return bytes.Compare(b[:], a[:]) }

// factRanges returns the key ranges of r, newest first, that can hold an
// incident in which the filter's one address plays its role: the days of
// its facts in that role, then the events without a source time (whose
// facts are dated by when they were read, which the key does not hold).
func factRanges(ctx context.Context, sc EventScanner, f *SearchFilter, r keyRange) ([]keyRange, error) {
	dated, undated := r, keyRange{lo: r.lo, hi: keyAt(1)}
	if bytes.Compare(dated.lo[:], undated.hi[:]) < 0 {
		dated.lo = undated.hi
	}
	if bytes.Compare(r.hi[:], undated.hi[:]) < 0 {
		undated.hi = r.hi
	}
	var out []keyRange
	if !dated.empty() {
		top, n, err := sc.ScanChunk(ctx, dated.lo, dated.hi, 1)
		if err != nil || n == 0 {
			return nil, err
		}
		bottom, _, err := sc.FirstKey(ctx, dated.lo, dated.hi)
		if err != nil {
			return nil, err
		}
		if keyDay(top)-keyDay(bottom) > maxFactDays {
			return []keyRange{r}, nil
		}
		facts, err := sc.FactsOfIP(ctx, AddrFromBytes(f.IPLo), keyDay(bottom), keyDay(top))
		if err != nil {
			return nil, err
		}
		var days []int32
		for _, ft := range facts {
			if ft.Role == f.Role {
				days = append(days, ft.Day)
			}
		}
		slices.Sort(days)
		for _, d := range slices.Backward(slices.Compact(days)) {
			day := keyRange{lo: keyAt(int64(d) * 86400), hi: keyAt(int64(d+1) * 86400)}
			if bytes.Compare(day.lo[:], dated.lo[:]) < 0 {
				day.lo = dated.lo
			}
			if bytes.Compare(day.hi[:], dated.hi[:]) > 0 {
				day.hi = dated.hi
			}
			if !day.empty() {
				out = append(out, day)
			}
		}
	}
	if !undated.empty() {
		out = append(out, undated)
	}
	return out, nil
}

// keyDay is the fact day of a key's source time.
func keyDay(k Key) int32 { return DayOf(time.Unix(KeyTime(k), 0)) }
