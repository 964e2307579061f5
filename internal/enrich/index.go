package enrich

import (
	"encoding/binary"
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
	v4 []table4 // sorted by prefix length, longest first
	v6 []table6
	n  int
}

// Tables are keyed by the masked address as integers: hashing a uint32 is
// several times cheaper than hashing a netip.Addr.
type table4 struct {
	mask    uint32
	entries map[uint32][]period
}

type table6 struct {
	bits    int
	entries map[[2]uint64][]period
}

type period struct {
	kind     event.Flags
	from, to int64 // unix seconds, inclusive; store.SinceEver/UntilEver when unbounded
}

// NewIndex builds an index over entries.
func NewIndex(entries []store.ListEntry) *Index {
	var b IndexBuilder
	for _, e := range entries {
		r := store.ListRange{Kind: e.Kind, Lo: e.Range.Lo, Hi: e.Range.Hi, From: store.SinceEver, To: store.UntilEver}
		if !e.From.IsZero() {
			r.From = e.From.Unix()
		}
		if !e.To.IsZero() {
			r.To = e.To.Unix()
		}
		b.Add(r)
	}
	return b.Index()
}

// IndexBuilder builds an Index from list ranges one at a time, so that a
// large list never exists twice in memory. The zero IndexBuilder is ready.
type IndexBuilder struct {
	by4 map[int]map[uint32][]period
	by6 map[int]map[[2]uint64][]period
	n   int
}

// Add indexes one range.
func (b *IndexBuilder) Add(r store.ListRange) {
	if b.by4 == nil {
		b.by4 = map[int]map[uint32][]period{}
		b.by6 = map[int]map[[2]uint64][]period{}
	}
	p := period{kind: r.Kind, from: r.From, to: r.To}
	if r.Lo.Is4() && r.Hi.Is4() {
		// IPv4 ranges split with integer arithmetic: no allocation per
		// block, which matters for lists of tens of thousands of ranges.
		lo, hi := uint64(key4(r.Lo)), uint64(key4(r.Hi))
		for lo <= hi {
			bits := 32
			for bits > 0 {
				size := uint64(1) << (32 - bits + 1)
				if lo%size != 0 || lo+size-1 > hi {
					break
				}
				bits--
			}
			m := b.by4[bits]
			if m == nil {
				m = map[uint32][]period{}
				b.by4[bits] = m
			}
			m[uint32(lo)] = append(m[uint32(lo)], p)
			b.n++
			lo += uint64(1) << (32 - bits)
		}
		return
	}
	for _, pfx := range rangePrefixes(r.Lo, r.Hi) {
		m := b.by6[pfx.Bits()]
		if m == nil {
			m = map[[2]uint64][]period{}
			b.by6[pfx.Bits()] = m
		}
		k := key6(pfx.Addr())
		m[k] = append(m[k], p)
		b.n++
	}
}

// Index returns the index built so far; the builder must not be used after.
func (b *IndexBuilder) Index() *Index {
	ix := &Index{n: b.n}
	for bits, m := range b.by4 {
		ix.v4 = append(ix.v4, table4{mask: mask4(bits), entries: m})
	}
	for bits, m := range b.by6 {
		ix.v6 = append(ix.v6, table6{bits: bits, entries: m})
	}
	sort.Slice(ix.v4, func(i, j int) bool { return ix.v4[i].mask > ix.v4[j].mask })
	sort.Slice(ix.v6, func(i, j int) bool { return ix.v6[i].bits > ix.v6[j].bits })
	return ix
}

func key4(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func key6(a netip.Addr) [2]uint64 {
	b := a.As16()
	return [2]uint64{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func mask4(bits int) uint32 {
	if bits == 0 {
		return 0
	}
	return ^uint32(0) << (32 - bits)
}

// Len returns the number of CIDR blocks indexed.
func (ix *Index) Len() int { return ix.n }

// Flags returns the kinds of every list that held a at time t.
func (ix *Index) Flags(a netip.Addr, t time.Time) event.Flags {
	if ix == nil || !a.IsValid() {
		return 0
	}
	ts := t.Unix()
	var f event.Flags
	if a.Is4() || a.Is4In6() {
		v := key4(a.Unmap())
		for _, tb := range ix.v4 {
			f |= within(tb.entries[v&tb.mask], ts)
		}
		return f
	}
	k := key6(a)
	for _, tb := range ix.v6 {
		m := k
		switch {
		case tb.bits <= 64:
			m[0] &= mask64(tb.bits)
			m[1] = 0
		default:
			m[1] &= mask64(tb.bits - 64)
		}
		f |= within(tb.entries[m], ts)
	}
	return f
}

func mask64(bits int) uint64 {
	if bits == 0 {
		return 0
	}
	return ^uint64(0) << (64 - bits)
}

// within returns the kinds of the periods that contain ts.
func within(ps []period, ts int64) event.Flags {
	var f event.Flags
	for _, p := range ps {
		if p.from <= ts && ts <= p.to {
			f |= p.kind
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
