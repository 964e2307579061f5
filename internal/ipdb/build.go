package ipdb

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// u128 is an address as a 128-bit number; IPv4 addresses use lo only.
type u128 struct{ hi, lo uint64 }

func (a u128) cmp(b u128) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

func (a u128) inc() u128 {
	if a.lo == ^uint64(0) {
		return u128{a.hi + 1, 0}
	}
	return u128{a.hi, a.lo + 1}
}

func (a u128) dec() u128 {
	if a.lo == 0 {
		return u128{a.hi - 1, ^uint64(0)}
	}
	return u128{a.hi, a.lo - 1}
}

var (
	max4 = u128{0, 0xffffffff}
	max6 = u128{^uint64(0), ^uint64(0)}
)

// addrKey returns a's family (4 or 6) and number; IPv4-mapped addresses
// count as IPv4.
func addrKey(a netip.Addr) (int, u128) {
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		return 4, u128{0, uint64(binary.BigEndian.Uint32(b[:]))}
	}
	b := a.As16()
	return 6, u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

// keyAddr is the inverse of addrKey.
func keyAddr(fam int, k u128) netip.Addr {
	if fam == 4 {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(k.lo))
		return netip.AddrFrom4(b)
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], k.hi)
	binary.BigEndian.PutUint64(b[8:], k.lo)
	return netip.AddrFrom16(b)
}

// val is the data of one range while tables are built: a country code
// ("" or two upper-case letters) and an ASN (0 for none). AS names live in
// a separate map because an ASN has one name.
type val struct {
	cc  string
	asn uint32
}

// seg starts a range: it runs from start to the next seg's start - 1. A
// segment list covers its whole address space, so its first start is 0.
type seg struct {
	start u128
	v     val
}

// span is one input range of a Builder with the value it gives.
type span struct {
	first, last u128
	v           val
}

// Builder collects country ranges and ASN ranges and turns them into a DB.
// Country and ASN ranges are independent: each address gets the country of
// the country range that holds it and the ASN of the ASN range that holds
// it. Ranges of the same kind must not overlap. The zero Builder is ready to
// use; a Builder is not safe for concurrent use.
type Builder struct {
	cc4, cc6, as4, as6 []span
	names              map[uint32]string
}

// AddCountry records that the addresses first through last (inclusive, both
// of the same family; IPv4-mapped addresses count as IPv4) are in country
// cc, two ASCII letters in either case.
func (b *Builder) AddCountry(first, last netip.Addr, cc string) error {
	c, err := normCC(cc)
	if err != nil {
		return err
	}
	fam, f, l, err := rangeKeys(first, last)
	if err != nil {
		return err
	}
	if fam == 4 {
		b.cc4 = append(b.cc4, span{f, l, val{cc: c}})
	} else {
		b.cc6 = append(b.cc6, span{f, l, val{cc: c}})
	}
	return nil
}

// AddASN records that the addresses first through last (inclusive, both of
// the same family) are announced by asn, which must not be 0. A non-empty
// name becomes the AS's name unless an earlier call gave it one; invalid
// UTF-8 in it is replaced.
func (b *Builder) AddASN(first, last netip.Addr, asn uint32, name string) error {
	if asn == 0 {
		return errors.New("ipdb: ASN 0 is reserved and cannot be assigned to a range")
	}
	fam, f, l, err := rangeKeys(first, last)
	if err != nil {
		return err
	}
	if fam == 4 {
		b.as4 = append(b.as4, span{f, l, val{asn: asn}})
	} else {
		b.as6 = append(b.as6, span{f, l, val{asn: asn}})
	}
	if name = cleanName(name); name != "" {
		if b.names == nil {
			b.names = make(map[uint32]string)
		}
		if _, ok := b.names[asn]; !ok {
			b.names[asn] = name
		}
	}
	return nil
}

// Build returns a DB of the ranges added so far. It takes Name, Version,
// Description, Attribution and Built from info and computes the rest. It
// fails when two ranges of the same kind overlap.
func (b *Builder) Build(info Info) (*DB, error) {
	var lists [2][]seg
	for i, fam := range []struct {
		cc, as []span
		max    u128
	}{{b.cc4, b.as4, max4}, {b.cc6, b.as6, max6}} {
		cc, err := spansToSegs(fam.cc, fam.max, "country")
		if err != nil {
			return nil, err
		}
		as, err := spansToSegs(fam.as, fam.max, "ASN")
		if err != nil {
			return nil, err
		}
		lists[i] = mergeSegs(cc, as)
	}
	return newDB(info, lists[0], lists[1], b.names), nil
}

func rangeKeys(first, last netip.Addr) (int, u128, u128, error) {
	if !first.IsValid() || !last.IsValid() {
		return 0, u128{}, u128{}, errors.New("ipdb: range has an invalid address")
	}
	ff, f := addrKey(first)
	fl, l := addrKey(last)
	if ff != fl {
		return 0, u128{}, u128{}, fmt.Errorf("ipdb: range %s-%s mixes IPv4 and IPv6", first, last)
	}
	if l.cmp(f) < 0 {
		return 0, u128{}, u128{}, fmt.Errorf("ipdb: range %s-%s ends before it starts", first, last)
	}
	return ff, f, l, nil
}

// normCC returns cc in upper case if it is two ASCII letters.
func normCC(cc string) (string, error) {
	if len(cc) != 2 || !isLetter(cc[0]) || !isLetter(cc[1]) {
		return "", fmt.Errorf("ipdb: %q is not a two-letter country code", cc)
	}
	return strings.ToUpper(cc), nil
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func cleanName(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strings.TrimSpace(s)
}

// spansToSegs sorts spans and turns them into a segment list covering
// 0..max, with gaps as zero values.
func spansToSegs(sp []span, max u128, kind string) ([]seg, error) {
	sp = slices.Clone(sp)
	slices.SortStableFunc(sp, func(a, b span) int { return a.first.cmp(b.first) })
	out := make([]seg, 0, 2*len(sp)+1)
	out = append(out, seg{})
	for i, s := range sp {
		if i > 0 && s.first.cmp(sp[i-1].last) <= 0 {
			fam := 6
			if max == max4 {
				fam = 4
			}
			p := sp[i-1]
			return nil, fmt.Errorf("ipdb: %s range %s-%s overlaps %s-%s", kind,
				keyAddr(fam, s.first), keyAddr(fam, s.last), keyAddr(fam, p.first), keyAddr(fam, p.last))
		}
		out = appendSeg(out, seg{s.first, s.v})
		if s.last != max {
			out = appendSeg(out, seg{s.last.inc(), val{}})
		}
	}
	return out, nil
}

// appendSeg appends s to a segment list, replacing a last segment with the
// same start and dropping s when it continues the last value.
func appendSeg(l []seg, s seg) []seg {
	if n := len(l); n > 0 {
		if l[n-1].start == s.start {
			l = l[:n-1]
			if n := len(l); n > 0 && l[n-1].v == s.v {
				return l
			}
			return append(l, s)
		}
		if l[n-1].v == s.v {
			return l
		}
	}
	return append(l, s)
}

// mergeSegs combines two segment lists over the same space, both starting
// at 0: each resulting segment takes its country from ccs and its ASN from
// ass.
func mergeSegs(ccs, ass []seg) []seg {
	out := make([]seg, 0, max(len(ccs), len(ass)))
	i, j := 0, 0
	for i < len(ccs) || j < len(ass) {
		var start u128
		switch {
		case j == len(ass) || i < len(ccs) && ccs[i].start.cmp(ass[j].start) < 0:
			start = ccs[i].start
			i++
		case i == len(ccs) || ass[j].start.cmp(ccs[i].start) < 0:
			start = ass[j].start
			j++
		default:
			start = ccs[i].start
			i++
			j++
		}
		// ccs[i-1] and ass[j-1] are now the segments holding start.
		out = appendSeg(out, seg{start, val{cc: ccs[i-1].v.cc, asn: ass[j-1].v.asn}})
	}
	return out
}

// newDB packs segment lists into lookup tables. segs4 and segs6 must each
// start at 0 with strictly increasing starts. Names of ASNs that no range
// refers to are dropped.
func newDB(info Info, segs4, segs6 []seg, names map[uint32]string) *DB {
	db := &DB{values: []Result{{}}}
	ids := map[val]uint32{{}: 0}
	intern := func(v val) uint32 {
		id, ok := ids[v]
		if !ok {
			id = uint32(len(db.values))
			ids[v] = id
			db.values = append(db.values, Result{CC: v.cc, ASN: v.asn, ASName: names[v.asn]})
		}
		return id
	}
	db.v4.packed = make([]uint64, len(segs4))
	for i, s := range segs4 {
		db.v4.packed[i] = s.start.lo<<32 | uint64(intern(s.v))
	}
	db.v6.ents = make([]entry6, len(segs6))
	for i, s := range segs6 {
		db.v6.ents[i] = entry6{s.start.hi, s.start.lo, intern(s.v)}
	}
	db.finish(info, nil, 0)
	return db
}

// finish sets the DB's Info from info's descriptive fields and the tables'
// counts, and builds the indexes. The tables must be valid: non-empty,
// starting at 0, strictly increasing, with value indexes in range. When
// asnIdx is not nil it numbers each value's ASN densely from 1 (0 for none,
// at most nASN), which saves sorting ASNs to count them.
func (db *DB) finish(info Info, asnIdx []uint32, nASN int) {
	for _, s := range []*string{&info.Name, &info.Version, &info.Description, &info.Attribution} {
		*s = strings.ToValidUTF8(*s, "\uFFFD")
	}
	if !info.Built.IsZero() {
		// As the file format keeps it, so that Info survives Encode.
		info.Built = info.Built.Truncate(time.Second).UTC()
	}
	used := make([]bool, len(db.values))
	info.Ranges4, info.Ranges6, info.ASNs = 0, 0, 0
	for _, p := range db.v4.packed {
		if id := uint32(p); id != 0 {
			used[id] = true
			info.Ranges4++
		}
	}
	for _, e := range db.v6.ents {
		if e.val != 0 {
			used[e.val] = true
			info.Ranges6++
		}
	}
	var asns []uint32
	seen := make([]bool, nASN+1)
	info.HasCountry, info.HasASN = false, false
	for id, u := range used {
		if !u {
			continue
		}
		r := db.values[id]
		info.HasCountry = info.HasCountry || r.CC != ""
		if r.ASN == 0 {
			continue
		}
		info.HasASN = true
		if asnIdx == nil {
			asns = append(asns, r.ASN)
		} else if !seen[asnIdx[id]] {
			seen[asnIdx[id]] = true
			info.ASNs++
		}
	}
	if asnIdx == nil {
		slices.Sort(asns)
		info.ASNs = len(slices.Compact(asns))
	}
	db.info = info
	db.buildIndex()
}

// buildIndex fills the first-level indexes from the range tables: index[h]
// is the range holding the first address whose upper 16 bits are h.
func (db *DB) buildIndex() {
	db.v4.index = make([]uint32, 1<<16+1)
	i := 0
	for h := range 1 << 16 {
		for i+1 < len(db.v4.packed) && db.v4.packed[i+1]>>32 <= uint64(h)<<16 {
			i++
		}
		db.v4.index[h] = uint32(i)
	}
	db.v4.index[1<<16] = uint32(len(db.v4.packed) - 1)

	db.v6.index = make([]uint32, 1<<16+1)
	i = 0
	for h := range 1 << 16 {
		for i+1 < len(db.v6.ents) && (db.v6.ents[i+1].hi < uint64(h)<<48 ||
			db.v6.ents[i+1].hi == uint64(h)<<48 && db.v6.ents[i+1].lo == 0) {
			i++
		}
		db.v6.index[h] = uint32(i)
	}
	db.v6.index[1<<16] = uint32(len(db.v6.ents) - 1)
}

// empty reports whether db is the zero DB, which has no tables.
func (db *DB) empty() bool { return len(db.v4.packed) == 0 || len(db.v6.ents) == 0 }

// segs4 and segs6 turn the DB's tables back into segment lists.
func (db *DB) segs4() []seg {
	out := make([]seg, len(db.v4.packed))
	for i, p := range db.v4.packed {
		r := db.values[uint32(p)]
		out[i] = seg{u128{0, p >> 32}, val{r.CC, r.ASN}}
	}
	return out
}

func (db *DB) segs6() []seg {
	out := make([]seg, len(db.v6.ents))
	for i, e := range db.v6.ents {
		r := db.values[e.val]
		out[i] = seg{u128{e.hi, e.lo}, val{r.CC, r.ASN}}
	}
	return out
}

// names returns the AS names the DB knows.
func (db *DB) names() map[uint32]string {
	m := make(map[uint32]string)
	for _, r := range db.values {
		if r.ASName != "" {
			m[r.ASN] = r.ASName
		}
	}
	return m
}
