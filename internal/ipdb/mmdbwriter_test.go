package ipdb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"slices"
)

// This file is a small MaxMind DB writer for tests, written from the format
// specification, so that LoadMMDB can be checked against files whose every
// byte the tests control.

// mmU128 is a uint128 value for the writer.
type mmU128 struct{ hi, lo uint64 }

// mmNet is one network and its data record.
type mmNet struct {
	prefix string
	data   map[string]any
}

// mmOptions shape the file.
type mmOptions struct {
	ipVersion   int // 4 or 6
	recordSize  int // 24, 28 or 32
	dbType      string
	description string
	buildEpoch  uint64
	// aliases makes ::ffff:0:0/96 and 2002::/16 point at the IPv4
	// subtree, as MaxMind's IPv6 databases do.
	aliases bool
}

type mmRecKind int

const (
	recEmpty mmRecKind = iota
	recNode
	recData
	recAlias
)

type mmTNode struct {
	kind [2]mmRecKind
	node [2]*mmTNode
	data [2]int // offset in the data section
	num  int
}

// mmEncoder writes data section values, reusing earlier strings and
// records through pointers as real writers do.
type mmEncoder struct {
	buf     bytes.Buffer
	strings map[string]int
	records map[string]int
}

func (e *mmEncoder) ctrl(typ, size int) {
	var first byte
	var ext []byte
	if typ <= 7 {
		first = byte(typ << 5)
	} else {
		ext = []byte{byte(typ - 7)}
	}
	var extra []byte
	switch {
	case size < 29:
		first |= byte(size)
	case size < 285:
		first |= 29
		extra = []byte{byte(size - 29)}
	case size < 65821:
		first |= 30
		s := size - 285
		extra = []byte{byte(s >> 8), byte(s)}
	default:
		first |= 31
		s := size - 65821
		extra = []byte{byte(s >> 16), byte(s >> 8), byte(s)}
	}
	e.buf.WriteByte(first)
	e.buf.Write(ext)
	e.buf.Write(extra)
}

// mmPointerBytes encodes a pointer to p in the smallest form.
func mmPointerBytes(p int) []byte {
	switch {
	case p < 2048:
		return []byte{0x20 | byte(p>>8)&7, byte(p)}
	case p < 526336:
		q := p - 2048
		return []byte{0x28 | byte(q>>16)&7, byte(q >> 8), byte(q)}
	case p < 134744064:
		q := p - 526336
		return []byte{0x30 | byte(q>>24)&7, byte(q >> 16), byte(q >> 8), byte(q)}
	}
	return []byte{0x38, byte(p >> 24), byte(p >> 16), byte(p >> 8), byte(p)}
}

func (e *mmEncoder) uint(typ int, x uint64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], x)
	n := 8
	for n > 0 && b[8-n] == 0 {
		n--
	}
	e.ctrl(typ, n)
	e.buf.Write(b[8-n:])
}

func (e *mmEncoder) value(v any) {
	switch v := v.(type) {
	case string:
		if p, ok := e.strings[v]; ok && len(v) >= 3 {
			e.buf.Write(mmPointerBytes(p))
			return
		}
		if e.strings == nil {
			e.strings = make(map[string]int)
		}
		e.strings[v] = e.buf.Len()
		e.ctrl(mmString, len(v))
		e.buf.WriteString(v)
	case float64:
		e.ctrl(mmDouble, 8)
		binary.Write(&e.buf, binary.BigEndian, math.Float64bits(v))
	case float32:
		e.ctrl(mmFloat, 4)
		binary.Write(&e.buf, binary.BigEndian, math.Float32bits(v))
	case []byte:
		e.ctrl(mmBytes, len(v))
		e.buf.Write(v)
	case uint16:
		e.uint(mmUint16, uint64(v))
	case uint32:
		e.uint(mmUint32, uint64(v))
	case uint64:
		e.uint(mmUint64, v)
	case int32:
		e.ctrl(mmInt32, 4)
		binary.Write(&e.buf, binary.BigEndian, v)
	case mmU128:
		e.ctrl(mmUint128, 16)
		binary.Write(&e.buf, binary.BigEndian, v.hi)
		binary.Write(&e.buf, binary.BigEndian, v.lo)
	case bool:
		n := 0
		if v {
			n = 1
		}
		e.ctrl(mmBool, n)
	case []any:
		e.ctrl(mmArray, len(v))
		for _, x := range v {
			e.value(x)
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		e.ctrl(mmMap, len(keys))
		for _, k := range keys {
			e.value(k)
			e.value(v[k])
		}
	default:
		panic(fmt.Sprintf("mmdb writer: unsupported %T", v))
	}
}

// record writes a top-level data record once and returns its offset.
func (e *mmEncoder) record(m map[string]any) int {
	key := fmt.Sprint(m) // fmt sorts map keys
	if off, ok := e.records[key]; ok {
		return off
	}
	if e.records == nil {
		e.records = make(map[string]int)
	}
	off := e.buf.Len()
	e.records[key] = off
	e.value(m)
	return off
}

// writeMMDB builds a MaxMind DB file.
func writeMMDB(opt mmOptions, nets []mmNet) []byte {
	root := &mmTNode{}
	// path returns the node whose record at bit depth-1 of a covers the
	// first depth bits, creating nodes on the way.
	path := func(a netip.Addr, depth int) (*mmTNode, int) {
		b := a.AsSlice()
		n := root
		for i := 0; i < depth-1; i++ {
			bit := int(b[i/8]>>(7-i%8)) & 1
			if n.kind[bit] != recNode {
				if n.kind[bit] != recEmpty {
					panic("mmdb writer: overlapping networks")
				}
				n.kind[bit], n.node[bit] = recNode, &mmTNode{}
			}
			n = n.node[bit]
		}
		i := depth - 1
		return n, int(b[i/8]>>(7-i%8)) & 1
	}
	var enc mmEncoder
	for _, nw := range nets {
		p := netip.MustParsePrefix(nw.prefix)
		a, bits := p.Addr(), p.Bits()
		if opt.ipVersion == 6 && a.Is4() {
			// IPv4 networks live under ::/96, not under ::ffff:0:0/96.
			var b [16]byte
			b4 := a.As4()
			copy(b[12:], b4[:])
			a, bits = netip.AddrFrom16(b), bits+96
		}
		n, bit := path(a, bits)
		n.kind[bit], n.data[bit] = recData, enc.record(nw.data)
	}
	if opt.aliases {
		v4, bit := path(netip.MustParseAddr("::"), 96)
		if v4.kind[bit] != recNode {
			panic("mmdb writer: aliases need IPv4 networks")
		}
		for _, s := range []string{"::ffff:0:0/96", "2002::/16"} {
			p := netip.MustParsePrefix(s)
			n, b := path(p.Addr(), p.Bits())
			n.kind[b], n.node[b] = recAlias, v4.node[bit]
		}
	}

	// Number nodes breadth first.
	var order []*mmTNode
	queue := []*mmTNode{root}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		n.num = len(order)
		order = append(order, n)
		for i := range 2 {
			if n.kind[i] == recNode {
				queue = append(queue, n.node[i])
			}
		}
	}
	nodeCount := len(order)
	var out bytes.Buffer
	for _, n := range order {
		var rec [2]uint32
		for i := range 2 {
			switch n.kind[i] {
			case recEmpty:
				rec[i] = uint32(nodeCount)
			case recNode, recAlias:
				rec[i] = uint32(n.node[i].num)
			case recData:
				rec[i] = uint32(nodeCount + 16 + n.data[i])
			}
		}
		l, r := rec[0], rec[1]
		switch opt.recordSize {
		case 24:
			out.Write([]byte{byte(l >> 16), byte(l >> 8), byte(l), byte(r >> 16), byte(r >> 8), byte(r)})
		case 28:
			out.Write([]byte{byte(l >> 16), byte(l >> 8), byte(l), byte(l>>24)<<4 | byte(r>>24)&0x0f, byte(r >> 16), byte(r >> 8), byte(r)})
		case 32:
			binary.Write(&out, binary.BigEndian, l)
			binary.Write(&out, binary.BigEndian, r)
		default:
			panic("mmdb writer: bad record size")
		}
	}
	out.Write(make([]byte, 16))
	out.Write(enc.buf.Bytes())
	out.WriteString(mmMarker)
	var meta mmEncoder
	meta.value(map[string]any{
		"binary_format_major_version": uint16(2),
		"binary_format_minor_version": uint16(0),
		"build_epoch":                 opt.buildEpoch,
		"database_type":               opt.dbType,
		"description":                 map[string]any{"en": opt.description},
		"ip_version":                  uint16(opt.ipVersion),
		"languages":                   []any{"en"},
		"node_count":                  uint32(nodeCount),
		"record_size":                 uint16(opt.recordSize),
	})
	out.Write(meta.buf.Bytes())
	return out.Bytes()
}
