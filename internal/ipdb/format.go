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
	"strings"
	"time"
	"unicode/utf8"
)

// The compact format ("cipdb") stores a DB's range tables. A file starts
// with the 6-byte magic "cipdb\x00" and the format version as a big-endian
// uint16 (1), followed by one gzip member (no name, no modification time)
// holding the payload. gzip's CRC-32 guards the payload; nothing may
// follow the member.
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
	// cannot make Decode allocate without end; the default DB's is 7.5 MB.
	maxPayload = 64 << 20
)

// zeroUnix is time.Time{}.Unix(), stored for an unknown build time.
var zeroUnix = time.Time{}.Unix()

// Encode writes the DB in the compact format that Decode reads. The output
// depends only on the DB's contents (and the Go release's compress/flate),
// so equal DBs encode to equal bytes. Info.Built is kept to the second.
func (db *DB) Encode(w io.Writer) error {
	if db.empty() {
		return errors.New("ipdb: encode: the zero DB has no tables to write")
	}
	// Most numbers take 1-3 bytes; AS names average ~25.
	p := payloadWriter{buf: make([]byte, 0, 6*(len(db.v4.packed)+len(db.v6.ents))+32*len(db.values))}

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
	// Level 7 is within 0.5% of level 9's size for this data at a
	// seventh of the time.
	zw, err := gzip.NewWriterLevel(bw, 7)
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
//
// The payload is inflated by a second goroutine while this one parses it,
// in chunks, so decoding takes about as long as the slower of the two and
// never holds the whole payload in memory.
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

	// Counts in the payload are checked against the size the gzip trailer
	// claims, capped by what deflate can expand the input to (1032:1): no
	// count can make Decode allocate much more than the input justifies.
	// A wrong claim is caught by gzip's own check at the end.
	size := min(1032*int64(len(b)), maxPayload)
	if len(b) >= 4 {
		size = min(int64(binary.LittleEndian.Uint32(b[len(b)-4:])), size)
	}

	// Buffers sized for the payload: small DBs need no 64 KB chunks.
	bufSize := int(max(min(size+1, 64<<10), 4<<10))
	src := inflate(zr, br, bufSize)
	defer src.stop() // stops the inflater if parsing ends early
	db, err := decodePayload(&payloadReader{src: src, buf: make([]byte, bufSize), size: size})
	if err != nil {
		// A damaged gzip stream (truncated, bad checksum, trailing bytes)
		// explains a parse error better than the parse error does.
		if _, zerr := io.Copy(io.Discard, src); zerr != nil {
			err = zerr
		}
		return nil, fmt.Errorf("ipdb: decode: %w", err)
	}
	return db, nil
}

// chunkReader reads what a goroutine inflates ahead of it. Chunks travel
// over buffered channels, so that the inflater runs on its own while the
// reader parses instead of handing over control on every write as an
// io.Pipe would.
type chunkReader struct {
	full <-chan chunk
	free chan<- []byte
	done chan struct{}
	cur  []byte // the chunk being read, to give back
	rest []byte // its unread part
	err  error
}

type chunk struct {
	b   []byte
	err error // set on the last chunk: io.EOF or what went wrong
}

// chunks is how many chunks the inflater may be ahead of the parser.
const chunks = 4

// inflate starts a goroutine that inflates zr into chunks of chunkSize
// bytes. br is zr's input, checked to be used up at the end.
func inflate(zr *gzip.Reader, br *bytes.Reader, chunkSize int) *chunkReader {
	full := make(chan chunk, chunks+1)
	free := make(chan []byte, chunks)
	for range chunks {
		free <- make([]byte, chunkSize)
	}
	c := &chunkReader{full: full, free: free, done: make(chan struct{})}
	go func() {
		var total int64
		for {
			var buf []byte
			select {
			case buf = <-free:
			case <-c.done:
				return
			}
			n, err := 0, error(nil)
			for n < len(buf) && err == nil {
				var m int
				m, err = zr.Read(buf[n:])
				n += m
			}
			total += int64(n)
			switch {
			case total > maxPayload:
				err = fmt.Errorf("payload larger than %d bytes", maxPayload)
			case err == io.EOF:
				if br.Len() != 0 {
					err = fmt.Errorf("%d unexpected bytes after the data", br.Len())
				}
			}
			if n > 0 && err == nil || err == io.EOF {
				full <- chunk{b: buf[:n]}
			}
			if err != nil {
				full <- chunk{err: err}
				return
			}
		}
	}()
	return c
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.rest) == 0 {
		if c.cur != nil {
			c.free <- c.cur[:cap(c.cur)]
			c.cur = nil
		}
		if c.err != nil {
			return 0, c.err
		}
		ch := <-c.full
		c.cur, c.rest, c.err = ch.b, ch.b, ch.err
	}
	n := copy(p, c.rest)
	c.rest = c.rest[n:]
	return n, nil
}

func (c *chunkReader) stop() { close(c.done) }

// payloadReader reads the payload through a window refilled from src. The
// first error sticks and later reads return zeros, so decodePayload checks
// it only where a bad number could do harm.
type payloadReader struct {
	src      io.Reader
	buf      []byte // unread bytes are buf[off:end]
	off, end int
	pos      int64 // payload offset of buf[0]
	size     int64 // payload size claimed by the trailer; bounds counts
	eof      bool
	err      error
}

func (r *payloadReader) offset() int64 { return r.pos + int64(r.off) }

func (r *payloadReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("at payload offset %d: %s", r.offset(), fmt.Sprintf(format, args...))
	}
}

// fill makes at least n (≤ len(buf)) bytes available unless the payload
// ends first.
func (r *payloadReader) fill(n int) {
	if r.end-r.off >= n || r.eof {
		return
	}
	copy(r.buf, r.buf[r.off:r.end])
	r.pos += int64(r.off)
	r.end -= r.off
	r.off = 0
	for r.end < n && !r.eof {
		m, err := r.src.Read(r.buf[r.end:])
		r.end += m
		if err == io.EOF {
			r.eof = true
		} else if err != nil {
			r.eof = true
			r.fail("%v", err)
		}
	}
}

func (r *payloadReader) uvarint() uint64 {
	// Fast path: one-byte varints are the common case.
	if r.off < r.end && r.buf[r.off] < 0x80 && r.err == nil {
		x := r.buf[r.off]
		r.off++
		return uint64(x)
	}
	if r.err != nil {
		return 0
	}
	r.fill(binary.MaxVarintLen64)
	x, n := binary.Uvarint(r.buf[r.off:r.end])
	if n <= 0 {
		r.fail("bad or truncated varint")
		return 0
	}
	r.off += n
	return x
}

func (r *payloadReader) svarint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1) // zig-zag, as binary.Varint
}

// count reads a number of items that take at least minBytes*n - slack
// bytes together, and checks that they can fit in the rest of the payload,
// so that no count makes Decode allocate more than the data justifies.
func (r *payloadReader) count(what string, minBytes, slack int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(max(0, r.size-r.offset()+int64(slack)))/uint64(minBytes) {
		r.fail("%s count %d exceeds the remaining data", what, n)
		return 0
	}
	return int(n)
}

// string reads n bytes as a string in one allocation.
func (r *payloadReader) string(n uint64) string {
	if r.err != nil {
		return ""
	}
	if n > uint64(max(0, r.size-r.offset())) {
		r.fail("length %d exceeds the remaining data", n)
		return ""
	}
	var sb strings.Builder
	sb.Grow(int(n))
	for left := int(n); left > 0; {
		r.fill(1)
		if r.err != nil || r.off == r.end {
			r.fail("truncated data")
			return ""
		}
		k := min(left, r.end-r.off)
		sb.Write(r.buf[r.off : r.off+k])
		r.off += k
		left -= k
	}
	return sb.String()
}

func (r *payloadReader) str(what string) string {
	s := r.string(r.uvarint())
	if r.err == nil && !utf8.ValidString(s) {
		r.fail("%s is not valid UTF-8", what)
	}
	return s
}

// atEnd reports whether the whole payload has been read, which is also
// when gzip has verified its checksum.
func (r *payloadReader) atEnd() bool {
	r.fill(1)
	return r.err == nil && r.off == r.end
}

func decodePayload(r *payloadReader) (*DB, error) {
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
	if all := r.string(uint64(2 * nCC)); r.err == nil {
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
		if lens[i] > maxPayload {
			r.fail("AS name length %d exceeds the data", lens[i])
			break
		}
		total += lens[i]
	}
	names := make([]string, nASN)
	if all := r.string(total); r.err == nil {
		if !utf8.ValidString(all) {
			r.fail("AS names are not valid UTF-8")
		}
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
	if !r.atEnd() {
		if r.err != nil {
			return nil, r.err
		}
		return nil, fmt.Errorf("unexpected bytes after the IPv6 table at payload offset %d", r.offset())
	}
	db.v6.ents = e
	db.finish(info, asnIdx, nASN)
	return db, nil
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
