package ipdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
)

// This file reads MaxMind DB files (format version 2.x): a binary search
// tree over address bits, a 16-byte zero separator, a data section of typed
// values, and at the end a metadata map after the marker
// "\xAB\xCD\xEFMaxMind.com". Files come from operators and may be damaged or
// hostile, so every offset is bounds-checked, containers nest at most
// mmMaxDepth deep, at most one pointer is followed per value, and tree
// walking and value decoding run on a work budget proportional to the file.

const (
	mmMarker      = "\xab\xcd\xefMaxMind.com"
	mmMaxMetaSize = 128 << 10
	mmMaxDepth    = 32
)

// Data section field types.
const (
	mmExtended = 0
	mmPointer  = 1
	mmString   = 2
	mmDouble   = 3
	mmBytes    = 4
	mmUint16   = 5
	mmUint32   = 6
	mmMap      = 7
	mmInt32    = 8
	mmUint64   = 9
	mmUint128  = 10
	mmArray    = 11
	mmCache    = 12 // data cache container: never valid in a file
	mmEnd      = 13 // end marker: never valid in a file
	mmBool     = 14
	mmFloat    = 15
)

var errMMTruncated = errors.New("value runs past the end of its section")

// mmDecoder reads values from one section (the data section or the
// metadata); pointers are offsets from the section's start.
type mmDecoder struct {
	b     []byte
	steps int // work left; each value header read costs one
}

// header reads the control byte(s) at off. For a pointer it returns the
// target offset as size; for other types the payload size (map: pairs,
// array: elements, bool: the value). p is where the payload starts, or for
// a pointer the offset just after it.
func (d *mmDecoder) header(off int) (typ, size, p int, err error) {
	if d.steps--; d.steps < 0 {
		return 0, 0, 0, errors.New("too much work decoding values (looping or bloated data)")
	}
	if off < 0 || off >= len(d.b) {
		return 0, 0, 0, errMMTruncated
	}
	c := d.b[off]
	off++
	typ = int(c >> 5)
	if typ == mmPointer {
		n := int(c>>3&3) + 1
		if off+n > len(d.b) {
			return 0, 0, 0, errMMTruncated
		}
		v, x := int(c&7), d.b[off:off+n]
		switch n {
		case 1:
			size = v<<8 | int(x[0])
		case 2:
			size = (v<<16 | int(x[0])<<8 | int(x[1])) + 2048
		case 3:
			size = (v<<24 | int(x[0])<<16 | int(x[1])<<8 | int(x[2])) + 526336
		default:
			u := binary.BigEndian.Uint32(x)
			if uint64(u) >= uint64(len(d.b)) {
				return 0, 0, 0, fmt.Errorf("pointer to %d outside its section", u)
			}
			size = int(u)
		}
		if size >= len(d.b) {
			return 0, 0, 0, fmt.Errorf("pointer to %d outside its section", size)
		}
		return typ, size, off + n, nil
	}
	if typ == mmExtended {
		if off >= len(d.b) {
			return 0, 0, 0, errMMTruncated
		}
		typ = 7 + int(d.b[off])
		off++
		if typ < mmInt32 || typ > mmFloat {
			return 0, 0, 0, fmt.Errorf("invalid extended type %d", typ)
		}
	}
	size = int(c & 0x1f)
	if size >= 29 {
		n := size - 28
		if off+n > len(d.b) {
			return 0, 0, 0, errMMTruncated
		}
		x := d.b[off : off+n]
		off += n
		switch n {
		case 1:
			size = 29 + int(x[0])
		case 2:
			size = 285 + (int(x[0])<<8 | int(x[1]))
		default:
			size = 65821 + (int(x[0])<<16 | int(x[1])<<8 | int(x[2]))
		}
	}
	switch typ {
	case mmCache, mmEnd:
		return 0, 0, 0, fmt.Errorf("type %d is not allowed in a database", typ)
	case mmDouble:
		if size != 8 {
			return 0, 0, 0, fmt.Errorf("double of size %d", size)
		}
	case mmFloat:
		if size != 4 {
			return 0, 0, 0, fmt.Errorf("float of size %d", size)
		}
	case mmUint16:
		if size > 2 {
			return 0, 0, 0, fmt.Errorf("uint16 of size %d", size)
		}
	case mmUint32, mmInt32:
		if size > 4 {
			return 0, 0, 0, fmt.Errorf("32-bit integer of size %d", size)
		}
	case mmUint64:
		if size > 8 {
			return 0, 0, 0, fmt.Errorf("uint64 of size %d", size)
		}
	case mmUint128:
		if size > 16 {
			return 0, 0, 0, fmt.Errorf("uint128 of size %d", size)
		}
	case mmBool:
		if size > 1 {
			return 0, 0, 0, fmt.Errorf("boolean of value %d", size)
		}
	}
	return typ, size, off, nil
}

// resolve reads the value header at off, following a pointer. after is the
// offset just past the pointer, or -1 when off held no pointer.
func (d *mmDecoder) resolve(off int) (typ, size, p, after int, err error) {
	typ, size, p, err = d.header(off)
	if err != nil || typ != mmPointer {
		return typ, size, p, -1, err
	}
	after = p
	typ, size, p, err = d.header(size)
	if err == nil && typ == mmPointer {
		err = errors.New("pointer to a pointer")
	}
	return typ, size, p, after, err
}

// skip returns the offset just past the value at off, without following
// pointers.
func (d *mmDecoder) skip(off, depth int) (int, error) {
	if depth > mmMaxDepth {
		return 0, errors.New("values nested too deeply")
	}
	typ, size, p, err := d.header(off)
	if err != nil {
		return 0, err
	}
	switch typ {
	case mmPointer, mmBool:
		return p, nil
	case mmMap, mmArray:
		n := size
		if typ == mmMap {
			n *= 2
		}
		for range n {
			if p, err = d.skip(p, depth+1); err != nil {
				return 0, err
			}
		}
		return p, nil
	}
	if p+size > len(d.b) {
		return 0, errMMTruncated
	}
	return p + size, nil
}

// str reads a string at off (following a pointer). ok is false, and the
// value skipped, when it is of another type. next is the offset after the
// value in the enclosing stream.
func (d *mmDecoder) str(off int) (s string, ok bool, next int, err error) {
	typ, size, p, after, err := d.resolve(off)
	if err != nil {
		return "", false, 0, err
	}
	if typ != mmString {
		next, err = d.skip(off, 0)
		return "", false, next, err
	}
	if p+size > len(d.b) {
		return "", false, 0, errMMTruncated
	}
	next = p + size
	if after >= 0 {
		next = after
	}
	return string(d.b[p : p+size]), true, next, nil
}

// uint reads an unsigned integer (uint16, uint32, uint64, a uint128 below
// 2^64, or a non-negative int32) at off. ok is false when the value is of
// another type or does not fit.
func (d *mmDecoder) uint(off int) (x uint64, ok bool, next int, err error) {
	typ, size, p, after, err := d.resolve(off)
	if err != nil {
		return 0, false, 0, err
	}
	switch typ {
	case mmUint16, mmUint32, mmUint64, mmUint128, mmInt32:
	default:
		next, err = d.skip(off, 0)
		return 0, false, next, err
	}
	if p+size > len(d.b) {
		return 0, false, 0, errMMTruncated
	}
	next = p + size
	if after >= 0 {
		next = after
	}
	ok = true
	for i, c := range d.b[p : p+size] {
		if x>>56 != 0 {
			ok = false
		}
		x = x<<8 | uint64(c)
		if typ == mmInt32 && size == 4 && i == 0 && c&0x80 != 0 {
			ok = false // negative
		}
	}
	return x, ok, next, nil
}

// mapEach calls fn for each key of the map at off (following a pointer);
// fn gets the offset of the key's value and returns the offset after it.
// ok is false, and the value skipped, when it is not a map.
func (d *mmDecoder) mapEach(off int, fn func(key string, v int) (int, error)) (ok bool, next int, err error) {
	typ, size, p, after, err := d.resolve(off)
	if err != nil {
		return false, 0, err
	}
	if typ != mmMap {
		next, err = d.skip(off, 0)
		return false, next, err
	}
	for range size {
		key, isStr, n, err := d.str(p)
		if err != nil {
			return false, 0, err
		}
		if !isStr {
			return false, 0, errors.New("map key is not a string")
		}
		if p, err = fn(key, n); err != nil {
			return false, 0, err
		}
	}
	if after >= 0 {
		p = after
	}
	return true, p, nil
}

// mmMeta is what LoadMMDB needs from the metadata.
type mmMeta struct {
	nodeCount, recordSize, ipVersion, major uint64
	dbType, description                     string
	buildEpoch                              uint64
}

// LoadMMDB reads a MaxMind DB (.mmdb) file, such as GeoLite2 or GeoIP2
// Country, City or ASN, DB-IP's lite databases, or IPinfo's, and turns it
// into a DB named name (the metadata's database_type when name is "").
// Version is the build date (YYYY-MM-DD, UTC) from the metadata.
//
// A network's country is country.iso_code, else registered_country.iso_code
// (MaxMind, DB-IP), else a top-level country_code or two-letter country
// (IPinfo). Its ASN is autonomous_system_number with
// autonomous_system_organization as the name (MaxMind, DB-IP), or asn
// ("AS13335") with as_name or name (IPinfo). Other fields are ignored.
//
// In IPv6 databases the IPv4 networks are read from ::/96; the subtrees that
// alias it (::ffff:0:0/96, 2002::/16 and the like) are skipped. The file is
// treated as untrusted: a malformed one gives an error, never a panic.
func LoadMMDB(b []byte, name string) (*DB, error) {
	db, err := loadMMDB(b, name)
	if err != nil {
		return nil, fmt.Errorf("ipdb: mmdb: %w", err)
	}
	return db, nil
}

func loadMMDB(b []byte, name string) (*DB, error) {
	from := max(0, len(b)-mmMaxMetaSize)
	i := bytes.LastIndex(b[from:], []byte(mmMarker))
	if i < 0 {
		return nil, errors.New("no metadata marker: not a MaxMind DB file")
	}
	metaStart := from + i + len(mmMarker)
	meta, err := readMMMeta(b[metaStart:])
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if meta.major != 2 {
		return nil, fmt.Errorf("unsupported format version %d", meta.major)
	}
	if meta.recordSize != 24 && meta.recordSize != 28 && meta.recordSize != 32 {
		return nil, fmt.Errorf("unsupported record size %d", meta.recordSize)
	}
	if meta.ipVersion != 4 && meta.ipVersion != 6 {
		return nil, fmt.Errorf("unsupported IP version %d", meta.ipVersion)
	}
	nodeBytes := meta.recordSize / 4
	dataEnd := uint64(from + i)
	if meta.nodeCount == 0 || meta.nodeCount > 1<<32-1 || meta.nodeCount > dataEnd/nodeBytes {
		return nil, fmt.Errorf("node count %d does not fit the file", meta.nodeCount)
	}
	treeSize := meta.nodeCount * nodeBytes
	if treeSize+16 > dataEnd {
		return nil, errors.New("search tree runs past the data section")
	}
	if !bytes.Equal(b[treeSize:treeSize+16], make([]byte, 16)) {
		return nil, errors.New("no 16-byte zero separator after the search tree")
	}
	w := &mmWalker{
		tree:       b[:treeSize],
		nodeCount:  uint32(meta.nodeCount),
		nodeBytes:  int(nodeBytes),
		recordSize: int(meta.recordSize),
		data:       mmDecoder{b: b[treeSize+16 : dataEnd]},
		cache:      make(map[uint32]val),
		names:      make(map[uint32]string),
		seg4:       []seg{{}},
		seg6:       []seg{{}},
	}
	w.data.steps = 16*len(w.data.b) + 1<<16
	if err := w.walk(int(meta.ipVersion)); err != nil {
		return nil, err
	}

	info := Info{Name: name, Description: meta.description}
	if info.Name == "" {
		info.Name = meta.dbType
	}
	if info.Name == "" {
		info.Name = "mmdb"
	}
	if meta.buildEpoch > 0 && meta.buildEpoch < 1<<40 {
		info.Built = time.Unix(int64(meta.buildEpoch), 0).UTC()
		info.Version = info.Built.Format("2006-01-02")
	}
	info.Attribution = mmAttribution(meta.dbType)
	return newDB(info, w.seg4, w.seg6, w.names), nil
}

// mmAttribution returns the attribution the well-known free databases ask
// for, judged by their database_type.
func mmAttribution(dbType string) string {
	t := strings.ToLower(dbType)
	switch {
	case strings.HasPrefix(t, "geolite2"):
		return "This product includes GeoLite2 data created by MaxMind, available from https://www.maxmind.com."
	case strings.Contains(t, "dbip") || strings.Contains(t, "db-ip"):
		return "IP Geolocation by DB-IP (https://db-ip.com), licensed under CC BY 4.0."
	case strings.Contains(t, "ipinfo"):
		return "IP address data powered by IPinfo (https://ipinfo.io)."
	}
	return ""
}

func readMMMeta(b []byte) (mmMeta, error) {
	var m mmMeta
	d := &mmDecoder{b: b, steps: 16*len(b) + 1024}
	ok, _, err := d.mapEach(0, func(key string, v int) (int, error) {
		var next int
		var err error
		switch key {
		case "node_count":
			m.nodeCount, _, next, err = d.uint(v)
		case "record_size":
			m.recordSize, _, next, err = d.uint(v)
		case "ip_version":
			m.ipVersion, _, next, err = d.uint(v)
		case "binary_format_major_version":
			m.major, _, next, err = d.uint(v)
		case "build_epoch":
			m.buildEpoch, _, next, err = d.uint(v)
		case "database_type":
			m.dbType, _, next, err = d.str(v)
		case "description":
			_, next, err = d.mapEach(v, func(lang string, v int) (int, error) {
				s, _, next, err := d.str(v)
				if lang == "en" || m.description == "" {
					m.description = s
				}
				return next, err
			})
		default:
			next, err = d.skip(v, 0)
		}
		return next, err
	})
	if err != nil {
		return m, err
	}
	if !ok {
		return m, errors.New("not a map")
	}
	return m, nil
}

// mmWalker enumerates the networks of a search tree in address order and
// collects their values as segment lists.
type mmWalker struct {
	tree       []byte
	nodeCount  uint32
	nodeBytes  int
	recordSize int
	data       mmDecoder
	cache      map[uint32]val // data record → value
	names      map[uint32]string
	seg4, seg6 []seg
}

func (w *mmWalker) node(n uint32) (left, right uint32) {
	b := w.tree[int(n)*w.nodeBytes:][:w.nodeBytes]
	switch w.recordSize {
	case 24:
		return uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]),
			uint32(b[3])<<16 | uint32(b[4])<<8 | uint32(b[5])
	case 28:
		return uint32(b[3]&0xf0)<<20 | uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]),
			uint32(b[3]&0x0f)<<24 | uint32(b[4])<<16 | uint32(b[5])<<8 | uint32(b[6])
	}
	return binary.BigEndian.Uint32(b[:4]), binary.BigEndian.Uint32(b[4:])
}

func (w *mmWalker) walk(ipVersion int) error {
	bitLen := 128
	if ipVersion == 4 {
		bitLen = 32
	}
	// In an IPv6 tree the IPv4 space is the node 96 zero bits down; other
	// records that point at it are aliases (::ffff:0:0/96, 2002::/16, ...).
	v4root := w.nodeCount // matches no node
	if bitLen == 128 {
		n := uint32(0)
		for range 96 {
			if n, _ = w.node(n); n >= w.nodeCount {
				break
			}
		}
		if n < w.nodeCount {
			v4root = n
		}
	}

	// Depth-first, left before right, so networks come out in address
	// order. An item is a node to expand or a data record to emit.
	type item struct {
		rec   uint32
		depth int
		pfx   u128
	}
	stack := []item{{0, 0, u128{}}}
	budget := 2*int(w.nodeCount) + 1024
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.rec > w.nodeCount {
			if err := w.emit(it.rec, it.depth, bitLen, it.pfx); err != nil {
				return err
			}
			continue
		}
		if it.depth >= bitLen {
			return fmt.Errorf("search tree is deeper than %d bits", bitLen)
		}
		if budget--; budget < 0 {
			return errors.New("search tree revisits nodes (shared or cyclic)")
		}
		l, r := w.node(it.rec)
		depth := it.depth + 1
		right := it.pfx
		if pos := bitLen - depth; pos >= 64 {
			right.hi |= 1 << (pos - 64)
		} else {
			right.lo |= 1 << pos
		}
		for _, c := range [2]item{{r, depth, right}, {l, depth, it.pfx}} {
			if c.rec == w.nodeCount || c.rec == v4root && !(depth == 96 && c.pfx == u128{}) {
				continue
			}
			stack = append(stack, c)
		}
	}
	return nil
}

// emit adds the network pfx/depth with data record rec to the segment
// lists.
func (w *mmWalker) emit(rec uint32, depth, bitLen int, pfx u128) error {
	off := rec - w.nodeCount - 16
	if rec-w.nodeCount < 16 || int64(off) >= int64(len(w.data.b)) {
		return fmt.Errorf("record %d points outside the data section", rec)
	}
	v, err := w.value(off)
	if err != nil {
		return fmt.Errorf("data at offset %d: %w", off, err)
	}
	last := pfx
	if host := bitLen - depth; host >= 64 {
		last.lo = ^uint64(0)
		last.hi |= 1<<(host-64) - 1
	} else {
		last.lo |= 1<<host - 1
	}
	switch {
	case bitLen == 32:
		w.seg4 = addRange(w.seg4, pfx, last, max4, v)
	case pfx.hi == 0 && pfx.lo <= 0xffffffff && depth >= 96:
		w.seg4 = addRange(w.seg4, pfx, last, max4, v)
	case pfx == u128{}:
		// A network wider than ::/96 that holds all of IPv4.
		w.seg4 = addRange(w.seg4, u128{}, max4, max4, v)
		w.seg6 = addRange(w.seg6, max4.inc(), last, max6, v)
	default:
		w.seg6 = addRange(w.seg6, pfx, last, max6, v)
	}
	return nil
}

// addRange appends first..last with value v to a segment list whose ranges
// so far all end before first.
func addRange(l []seg, first, last, max u128, v val) []seg {
	l = appendSeg(l, seg{first, v})
	if last != max {
		l = appendSeg(l, seg{last.inc(), val{}})
	}
	return l
}

// value decodes the country and ASN of the data record at off, once.
func (w *mmWalker) value(off uint32) (val, error) {
	if v, ok := w.cache[off]; ok {
		return v, nil
	}
	d := &w.data
	var (
		cc, regCC, ccCode, ccPlain string
		asn                        uint64
		asName, asName2            string
	)
	// countryIn reads the iso_code of a country map, or (IPinfo) takes a
	// plain string.
	countryIn := func(v int, code, plain *string) (int, error) {
		typ, _, _, _, err := d.resolve(v)
		if err != nil {
			return 0, err
		}
		if typ == mmString {
			s, _, next, err := d.str(v)
			*plain = s
			return next, err
		}
		_, next, err := d.mapEach(v, func(key string, v int) (int, error) {
			if key == "iso_code" {
				s, _, next, err := d.str(v)
				*code = s
				return next, err
			}
			return d.skip(v, 1)
		})
		return next, err
	}
	_, _, err := d.mapEach(int(off), func(key string, v int) (int, error) {
		var next int
		var err error
		var unused string
		switch key {
		case "country":
			next, err = countryIn(v, &cc, &ccPlain)
		case "registered_country":
			next, err = countryIn(v, &regCC, &unused)
		case "country_code":
			ccCode, _, next, err = d.str(v)
		case "autonomous_system_number":
			asn, _, next, err = d.uint(v)
		case "autonomous_system_organization", "as_name":
			asName, _, next, err = d.str(v)
		case "name":
			asName2, _, next, err = d.str(v)
		case "asn":
			var s string
			var ok bool
			if s, ok, next, err = d.str(v); ok {
				if a, perr := parseASN(s); perr == nil {
					asn = uint64(a)
				}
			} else if err == nil {
				asn, _, next, err = d.uint(v)
			}
		default:
			next, err = d.skip(v, 0)
		}
		return next, err
	})
	if err != nil {
		return val{}, err
	}
	var out val
	for _, c := range []string{cc, regCC, ccCode, ccPlain} {
		if n, err := normCC(c); err == nil {
			out.cc = n
			break
		}
	}
	if asn > 0 && asn <= 1<<32-1 {
		out.asn = uint32(asn)
		name := asName
		if name == "" {
			name = asName2
		}
		if name = cleanName(name); name != "" {
			if _, ok := w.names[out.asn]; !ok {
				w.names[out.asn] = name
			}
		}
	}
	w.cache[off] = out
	return out, nil
}
