package ipdb

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
	"unicode/utf8"
)

// The compact format ("cipdb") stores a DB's range tables. A file is the
// 8-byte magic "cipdb\x00" followed by the format version as a big-endian
// uint16 (1), then one gzip member (no name, no modification time) holding
// the payload. gzip's CRC-32 guards the payload; nothing may follow the
// member.
//
// The payload is a sequence of unsigned LEB128 varints ("uv"), signed
// zig-zag varints ("sv") and raw bytes, laid out in columns so that similar
// numbers sit together and compress well:
//
//	meta      str name, str version, str description, str attribution,
//	          sv built (Unix seconds; the zero time is -62135596800)
//	          where str is uv length followed by that many UTF-8 bytes
//	countries uv n; n×2 bytes, upper-case letters, strictly increasing
//	asns      uv n; n×uv gaps (each ASN minus the previous, the first
//	          minus 0; all > 0); n×uv name lengths; the names' bytes
//	values    uv n; n×uv country (0 none, i+1 the i-th country);
//	          n×uv asn (0 none, i+1 the i-th ASN). Value 0 is implicit
//	          and means "unknown"; the others are numbered from 1 in the
//	          order written, most used first so common indexes are short.
//	ipv4      uv n (≥ 1 ranges; the first starts at 0.0.0.0);
//	          (n-1)×uv start gaps; n×uv value index
//	ipv6      uv n (≥ 1 ranges; the first starts at ::);
//	          (n-1)×uv gaps of the upper 64 bits; (n-1)×uv lower 64 bits,
//	          as a gap when the upper bits are unchanged, else absolute;
//	          n×uv value index
//
// Every range runs up to the next range's start - 1, the last to the end of
// its address space, so a table with gaps has ranges of value 0.
// IPv6 starts keep all 128 bits: in ip-location-db 2.3.2026061719, 8,414 of
// the source IPv6 ranges (183 ASN, 8,231 country) start or end inside a /64,
// so storing only the upper 64 bits would change answers.
const (
	fileMagic     = "cipdb\x00"
	formatVersion = 1
	// maxPayload bounds the decompressed payload so a small hostile file
	// cannot make Decode allocate without end; the default DB needs ~13 MB.
	maxPayload = 128 << 20
)

// zeroUnix is time.Time{}.Unix(), stored for an unknown build time.
var zeroUnix = time.Time{}.Unix()

// Encode writes the DB in the compact format that Decode reads. The output
// depends only on the DB's contents, so equal DBs encode to equal bytes.
func (db *DB) Encode(w io.Writer) error {
	var p payloadWriter

	p.str(db.info.Name)
	p.str(db.info.Version)
	p.str(db.info.Description)
	p.str(db.info.Attribution)
	built := zeroUnix
	if !db.info.Built.IsZero() {
		built = db.info.Built.Unix()
	}
	p.svarint(built)

	// Count how often each value is used; unused values are not written.
	freq := make([]int, len(db.values))
	for _, x := range db.v4.packed {
		freq[uint32(x)]++
	}
	for _, e := range db.v6.ents {
		freq[e.val]++
	}
	var ccs []string
	var asns []uint32
	names := make(map[uint32]string)
	order := make([]uint32, 0, len(db.values))
	for id := 1; id < len(db.values); id++ {
		if freq[id] == 0 {
			continue
		}
		order = append(order, uint32(id))
		r := db.values[id]
		if r.CC != "" {
			ccs = append(ccs, r.CC)
		}
		if r.ASN != 0 {
			asns = append(asns, r.ASN)
			if r.ASName != "" {
				names[r.ASN] = r.ASName
			}
		}
	}
	slices.Sort(ccs)
	ccs = slices.Compact(ccs)
	slices.Sort(asns)
	asns = slices.Compact(asns)
	slices.SortFunc(order, func(a, b uint32) int {
		if c := cmp.Compare(freq[b], freq[a]); c != 0 {
			return c
		}
		ra, rb := db.values[a], db.values[b]
		if c := cmp.Compare(ra.CC, rb.CC); c != 0 {
			return c
		}
		return cmp.Compare(ra.ASN, rb.ASN)
	})
	newID := make([]uint32, len(db.values))
	for i, id := range order {
		newID[id] = uint32(i + 1)
	}

	p.uvarint(uint64(len(ccs)))
	for _, cc := range ccs {
		p.buf = append(p.buf, cc...)
	}
	p.uvarint(uint64(len(asns)))
	prev := uint32(0)
	for _, a := range asns {
		p.uvarint(uint64(a - prev))
		prev = a
	}
	for _, a := range asns {
		p.uvarint(uint64(len(names[a])))
	}
	for _, a := range asns {
		p.buf = append(p.buf, names[a]...)
	}

	p.uvarint(uint64(len(order)))
	for _, id := range order {
		i, _ := slices.BinarySearch(ccs, db.values[id].CC)
		if db.values[id].CC != "" {
			i++
		} else {
			i = 0
		}
		p.uvarint(uint64(i))
	}
	for _, id := range order {
		a := db.values[id].ASN
		i := 0
		if a != 0 {
			i, _ = slices.BinarySearch(asns, a)
			i++
		}
		p.uvarint(uint64(i))
	}

	p.uvarint(uint64(len(db.v4.packed)))
	for i := 1; i < len(db.v4.packed); i++ {
		p.uvarint(db.v4.packed[i]>>32 - db.v4.packed[i-1]>>32)
	}
	for _, x := range db.v4.packed {
		p.uvarint(uint64(newID[uint32(x)]))
	}

	e := db.v6.ents
	p.uvarint(uint64(len(e)))
	for i := 1; i < len(e); i++ {
		p.uvarint(e[i].hi - e[i-1].hi)
	}
	for i := 1; i < len(e); i++ {
		if e[i].hi == e[i-1].hi {
			p.uvarint(e[i].lo - e[i-1].lo)
		} else {
			p.uvarint(e[i].lo)
		}
	}
	for _, x := range e {
		p.uvarint(uint64(newID[x.val]))
	}

	bw := bufio.NewWriter(w)
	var head [8]byte
	copy(head[:], fileMagic)
	binary.BigEndian.PutUint16(head[6:], formatVersion)
	bw.Write(head[:])
	zw, err := gzip.NewWriterLevel(bw, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("ipdb: encode: %w", err)
	}
	if _, err := zw.Write(p.buf); err != nil {
		return fmt.Errorf("ipdb: encode: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("ipdb: encode: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("ipdb: encode: %w", err)
	}
	return nil
}

type payloadWriter struct{ buf []byte }

func (p *payloadWriter) uvarint(x uint64) { p.buf = binary.AppendUvarint(p.buf, x) }
func (p *payloadWriter) svarint(x int64)  { p.buf = binary.AppendVarint(p.buf, x) }
func (p *payloadWriter) str(s string) {
	p.uvarint(uint64(len(s)))
	p.buf = append(p.buf, s...)
}

// Decode reads a DB in the compact format written by Encode. The input is
// treated as untrusted: any malformed, truncated or inconsistent input gives
// an error, never a panic, and the decompressed size is bounded.
func Decode(b []byte) (*DB, error) {
	if len(b) < len(fileMagic)+2 || string(b[:len(fileMagic)]) != fileMagic {
		return nil, errors.New("ipdb: decode: not a cipdb file (bad magic)")
	}
	if v := binary.BigEndian.Uint16(b[len(fileMagic):]); v != formatVersion {
		return nil, fmt.Errorf("ipdb: decode: unsupported format version %d (want %d)", v, formatVersion)
	}
	br := bytes.NewReader(b[len(fileMagic)+2:])
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("ipdb: decode: %w", err)
	}
	zr.Multistream(false)
	// The gzip trailer's size field sizes the buffer; it is only a hint.
	hint := 0
	if len(b) >= 4 {
		hint = int(min(binary.LittleEndian.Uint32(b[len(b)-4:]), maxPayload))
	}
	buf := bytes.NewBuffer(make([]byte, 0, hint+bytes.MinRead))
	n, err := buf.ReadFrom(io.LimitReader(zr, maxPayload+1))
	if err != nil {
		return nil, fmt.Errorf("ipdb: decode: %w", err)
	}
	if n > maxPayload {
		return nil, fmt.Errorf("ipdb: decode: payload larger than %d bytes", maxPayload)
	}
	if br.Len() != 0 {
		return nil, fmt.Errorf("ipdb: decode: %d unexpected bytes after the data", br.Len())
	}
	db, err := decodePayload(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("ipdb: decode: %w", err)
	}
	return db, nil
}

// payloadReader reads varints from the payload; the first error sticks and
// later reads return zeros, so decodePayload checks it only where a bad
// number could do harm.
type payloadReader struct {
	b   []byte
	off int
	err error
}

func (r *payloadReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("at payload offset %d: %s", r.off, fmt.Sprintf(format, args...))
	}
}

func (r *payloadReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	// Fast path: one-byte varints are the common case.
	if r.off < len(r.b) && r.b[r.off] < 0x80 {
		x := r.b[r.off]
		r.off++
		return uint64(x)
	}
	x, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad or truncated varint")
		return 0
	}
	r.off += n
	return x
}

func (r *payloadReader) svarint() int64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad or truncated varint")
		return 0
	}
	r.off += n
	return x
}

// count reads a number of items that take at least minBytes*n - slack
// bytes together, and checks that they can fit in the rest of the payload,
// so that no count makes Decode allocate more than the data justifies.
func (r *payloadReader) count(what string, minBytes, slack int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)-r.off+slack)/uint64(minBytes) {
		r.fail("%s count %d exceeds the remaining data", what, n)
		return 0
	}
	return int(n)
}

func (r *payloadReader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail("length %d exceeds the remaining data", n)
		return nil
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}

func (r *payloadReader) str(what string) string {
	s := r.bytes(r.uvarint())
	if r.err == nil && !utf8.Valid(s) {
		r.fail("%s is not valid UTF-8", what)
	}
	return string(s)
}

func decodePayload(b []byte) (*DB, error) {
	r := &payloadReader{b: b}
	var info Info
	info.Name = r.str("name")
	info.Version = r.str("version")
	info.Description = r.str("description")
	info.Attribution = r.str("attribution")
	if sec := r.svarint(); sec != zeroUnix {
		info.Built = time.Unix(sec, 0).UTC()
	}

	nCC := r.count("country", 2, 0)
	ccs := make([]string, nCC)
	if raw := r.bytes(uint64(2 * nCC)); r.err == nil {
		all := string(raw) // one allocation shared by every code
		for i := range ccs {
			c := all[2*i : 2*i+2]
			if !isUpper(c[0]) || !isUpper(c[1]) || i > 0 && c <= ccs[i-1] {
				r.fail("country code %q is not upper-case letters in order", c)
				break
			}
			ccs[i] = c
		}
	}

	nASN := r.count("ASN", 2, 0)
	asns := make([]uint32, nASN)
	var prev uint64
	for i := range asns {
		d := r.uvarint()
		if r.err != nil {
			break
		}
		if d == 0 || prev+d > math.MaxUint32 {
			r.fail("ASN list is not strictly increasing 32-bit numbers")
			break
		}
		prev += d
		asns[i] = uint32(prev)
	}
	lens := make([]uint64, nASN)
	total := uint64(0)
	for i := range lens {
		lens[i] = r.uvarint()
		if lens[i] > uint64(len(b)) {
			r.fail("AS name length %d exceeds the data", lens[i])
			break
		}
		total += lens[i]
	}
	names := make([]string, nASN)
	if raw := r.bytes(total); r.err == nil {
		if !utf8.Valid(raw) {
			r.fail("AS names are not valid UTF-8")
		}
		all := string(raw)
		off := 0
		for i, n := range lens {
			names[i] = all[off : off+int(n)]
			off += int(n)
		}
	}
	if r.err != nil {
		return nil, r.err
	}

	nVal := r.count("value", 2, 0)
	values := make([]Result, nVal+1)
	for i := 1; i <= nVal; i++ {
		c := r.uvarint()
		if c > uint64(nCC) {
			r.fail("value %d: country index %d out of range", i, c)
			break
		}
		if c > 0 {
			values[i].CC = ccs[c-1]
		}
	}
	asnIdx := make([]uint32, nVal+1)
	for i := 1; i <= nVal && r.err == nil; i++ {
		a := r.uvarint()
		if a > uint64(nASN) {
			r.fail("value %d: ASN index %d out of range", i, a)
			break
		}
		asnIdx[i] = uint32(a)
		if a > 0 {
			values[i].ASN = asns[a-1]
			values[i].ASName = names[a-1]
		}
	}
	if r.err != nil {
		return nil, r.err
	}

	db := &DB{values: values}
	n4 := r.count("IPv4 range", 2, 1)
	if r.err == nil && n4 == 0 {
		r.fail("empty IPv4 table")
	}
	db.v4.packed = make([]uint64, n4)
	start := uint64(0)
	for i := 1; i < n4; i++ {
		d := r.uvarint()
		if d == 0 || start+d > math.MaxUint32 {
			r.fail("IPv4 range %d: starts not increasing within the address space", i)
			break
		}
		start += d
		db.v4.packed[i] = start << 32
	}
	for i := 0; i < n4 && r.err == nil; i++ {
		v := r.uvarint()
		if v > uint64(nVal) {
			r.fail("IPv4 range %d: value index %d out of range", i, v)
			break
		}
		db.v4.packed[i] |= v
	}
	if r.err != nil {
		return nil, r.err
	}

	n6 := r.count("IPv6 range", 3, 2)
	if r.err == nil && n6 == 0 {
		r.fail("empty IPv6 table")
	}
	e := make([]entry6, n6)
	for i := 1; i < n6; i++ {
		d := r.uvarint()
		if e[i-1].hi+d < e[i-1].hi {
			r.fail("IPv6 range %d: start beyond the address space", i)
			break
		}
		e[i].hi = e[i-1].hi + d
	}
	for i := 1; i < n6 && r.err == nil; i++ {
		lo := r.uvarint()
		if e[i].hi == e[i-1].hi {
			if lo == 0 || e[i-1].lo+lo < e[i-1].lo {
				r.fail("IPv6 range %d: starts not increasing within the address space", i)
				break
			}
			lo += e[i-1].lo
		}
		e[i].lo = lo
	}
	for i := 0; i < n6 && r.err == nil; i++ {
		v := r.uvarint()
		if v > uint64(nVal) {
			r.fail("IPv6 range %d: value index %d out of range", i, v)
			break
		}
		e[i].val = uint32(v)
	}
	if r.err != nil {
		return nil, r.err
	}
	if r.off != len(b) {
		return nil, fmt.Errorf("%d unexpected bytes after the IPv6 table", len(b)-r.off)
	}
	db.v6.ents = e
	db.finish(info, asnIdx, nASN)
	return db, nil
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
