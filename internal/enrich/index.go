package enrich

import (
	"net/netip"
	"sort"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// Index answers which lists held an address at a given time. It is built
// once from the stored list entries and is read-only afterwards, so it is
// safe for concurrent use.
//
// Entries are split into CIDR blocks and grouped by prefix length; a lookup
// probes one map per prefix length in use. Real lists use few lengths
// (single addresses, a handful of network sizes), so that is a few map
// probes per address, whatever the lists' size.
type Index struct {
	v4, v6 []lengthTable // sorted by prefix length, longest first
	n      int
}

type lengthTable struct {
	bits    int
	entries map[netip.Addr][]period
}

type period struct {
	kind     event.Flags
	from, to int64 // unix seconds, inclusive; math extremes when unbounded
}

const (
	minTime = -1 << 62
	maxTime = 1 << 62
)

// NewIndex builds an index over entries.
func NewIndex(entries []store.ListEntry) *Index {
	byLen := map[[2]int]map[netip.Addr][]period{} // (family, bits) → table
	ix := &Index{}
	for _, e := range entries {
		p := period{kind: e.Kind, from: minTime, to: maxTime}
		if !e.From.IsZero() {
			p.from = e.From.Unix()
		}
		if !e.To.IsZero() {
			p.to = e.To.Unix()
		}
		for _, pfx := range rangePrefixes(e.Range.Lo, e.Range.Hi) {
			fam := 4
			if !pfx.Addr().Is4() {
				fam = 6
			}
			k := [2]int{fam, pfx.Bits()}
			if byLen[k] == nil {
				byLen[k] = map[netip.Addr][]period{}
			}
			byLen[k][pfx.Addr()] = append(byLen[k][pfx.Addr()], p)
			ix.n++
		}
	}
	for k, m := range byLen {
		t := lengthTable{bits: k[1], entries: m}
		if k[0] == 4 {
			ix.v4 = append(ix.v4, t)
		} else {
			ix.v6 = append(ix.v6, t)
		}
	}
	for _, ts := range [][]lengthTable{ix.v4, ix.v6} {
		sort.Slice(ts, func(i, j int) bool { return ts[i].bits > ts[j].bits })
	}
	return ix
}

// Len returns the number of CIDR blocks indexed.
func (ix *Index) Len() int { return ix.n }

// Flags returns the kinds of every list that held a at time t.
func (ix *Index) Flags(a netip.Addr, t time.Time) event.Flags {
	if ix == nil || !a.IsValid() {
		return 0
	}
	a = a.Unmap().WithZone("")
	tables := ix.v6
	if a.Is4() {
		tables = ix.v4
	}
	ts := t.Unix()
	var f event.Flags
	for _, tb := range tables {
		p, err := a.Prefix(tb.bits)
		if err != nil {
			continue
		}
		for _, per := range tb.entries[p.Addr()] {
			if per.from <= ts && ts <= per.to {
				f |= per.kind
			}
		}
	}
	return f
}

// rangePrefixes splits [lo, hi] into the fewest CIDR prefixes covering it.
func rangePrefixes(lo, hi netip.Addr) []netip.Prefix {
	var out []netip.Prefix
	bitLen := lo.BitLen()
	for lo.IsValid() && !hi.Less(lo) {
		// The largest block that starts at lo and ends at or before hi.
		bits := bitLen
		for bits > 0 {
			p, _ := lo.Prefix(bits - 1)
			if p.Addr() != lo || lastAddr(p).Compare(hi) > 0 {
				break
			}
			bits--
		}
		p := netip.PrefixFrom(lo, bits)
		out = append(out, p)
		last := lastAddr(p)
		if last == hi {
			break
		}
		lo = last.Next()
	}
	return out
}

// lastAddr returns the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
