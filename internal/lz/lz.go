// Package lz compresses small records — one stored event each — fast
// enough to sit on the ingest path. It is an LZ77 codec in the spirit of
// LZ4: greedy matching through one hash table, byte-aligned tokens, no
// entropy coding. What makes it pay off on records of a few hundred bytes
// is a preset dictionary: matches may reach back into a fixed text of the
// keys and values feeds repeat on every line, so even the first occurrence
// of `"event_type":"flow","src_ip":"` in a record costs three bytes.
//
// Stream format:
//
//	uvarint  decoded length
//	tokens   token byte: high nibble literal count, low nibble match
//	         length - 4 (15 in either means "more follows as uvarint");
//	         the literals; then, unless the stream ends after the literals,
//	         a 2-byte little-endian offset back into dictionary + output.
//
// The dictionary is part of the format: data compressed with one can only
// be decoded with the same bytes, so a Codec is identified by its
// dictionary, and changing one means a new codec id in the caller's format.
package lz

import (
	"encoding/binary"
	"errors"
	"fmt"
)

const (
	minMatch  = 4
	maxOffset = 1<<16 - 1
	hashBits  = 13
	hashSize  = 1 << hashBits
	// MaxDict is the largest dictionary: offsets are 16 bits, and records
	// must be able to reach the whole of it.
	MaxDict = 32 << 10
)

// Codec compresses and decompresses with one dictionary. A Codec is safe
// for concurrent use; Encoder is not.
type Codec struct {
	dict  []byte
	table [hashSize]int32 // dictionary positions by hash, -1 when empty
}

// New returns a codec with the given dictionary (at most MaxDict bytes).
func New(dict []byte) (*Codec, error) {
	if len(dict) > MaxDict {
		return nil, fmt.Errorf("lz: dictionary of %d bytes exceeds %d", len(dict), MaxDict)
	}
	c := &Codec{dict: append([]byte(nil), dict...)}
	for i := range c.table {
		c.table[i] = -1
	}
	// Later positions win, so the dictionary's end (the most common text,
	// by convention) is nearest and cheapest to reach.
	for i := 0; i+minMatch <= len(dict); i++ {
		c.table[hash4(load32(dict, i))] = int32(i)
	}
	return c, nil
}

// Encoder holds the per-record state of compression. Reusing one across
// records makes compression allocation-free.
type Encoder struct {
	c *Codec
	// table holds, by hash, gen<<32 | position in the current record;
	// entries from earlier records carry an older gen and are ignored,
	// which saves clearing the table for every record.
	table [hashSize]uint64
	gen   uint64
}

// NewEncoder returns an Encoder for c.
func (c *Codec) NewEncoder() *Encoder { return &Encoder{c: c} }

func load32(b []byte, i int) uint32 { return binary.LittleEndian.Uint32(b[i:]) }

func hash4(v uint32) uint32 { return (v * 2654435761) >> (32 - hashBits) }

// Append compresses src and appends the stream to dst.
func (e *Encoder) Append(dst, src []byte) []byte {
	e.gen++
	if e.gen >= 1<<32 {
		// The generation counter wrapped: forget every tag.
		e.table = [hashSize]uint64{}
		e.gen = 1
	}
	dict := e.c.dict
	nd := len(dict)
	dst = binary.AppendUvarint(dst, uint64(len(src)))
	anchor := 0 // start of pending literals
	i := 0
	last := len(src) - minMatch
	misses := 0
	for i <= last {
		v := load32(src, i)
		h := hash4(v)
		// Candidate in this record, else in the dictionary.
		cand, inDict := -1, false
		if t := e.table[h]; t>>32 == e.gen {
			cand = int(uint32(t))
		}
		e.table[h] = e.gen<<32 | uint64(i)
		if cand < 0 || load32(src, cand) != v || i-cand > maxOffset {
			cand = -1
			if d := int(e.c.table[h]); d >= 0 && nd-d+i <= maxOffset && load32(dict, d) == v {
				cand, inDict = d, true
			}
		}
		if cand < 0 {
			// Skip faster through text that does not compress (addresses,
			// hashes, counters), as LZ4 does.
			misses++
			i += 1 + misses>>4
			continue
		}
		misses = 0
		// Extend the match forward.
		n := minMatch
		if inDict {
			for i+n < len(src) && cand+n < nd && src[i+n] == dict[cand+n] {
				n++
			}
			// A dictionary match may run on into the record's start, which
			// follows the dictionary in the decoder's window.
			if cand+n == nd {
				for j := 0; i+n < len(src) && j < i && src[i+n] == src[j]; j++ {
					n++
				}
			}
		} else {
			for i+n < len(src) && src[i+n] == src[cand+n] {
				n++
			}
		}
		off := i - cand
		if inDict {
			off = nd - cand + i
		}
		dst = appendSeq(dst, src[anchor:i], n, off)
		i += n
		anchor = i
	}
	// Final literals.
	lits := src[anchor:]
	if len(lits) > 0 || anchor == 0 {
		dst = appendToken(dst, len(lits), 0)
		dst = append(dst, lits...)
	}
	return dst
}

func appendSeq(dst, lits []byte, matchLen, off int) []byte {
	dst = appendToken(dst, len(lits), matchLen-minMatch)
	dst = append(dst, lits...)
	return append(dst, byte(off), byte(off>>8))
}

func appendToken(dst []byte, lits, mlen int) []byte {
	tok := byte(min(lits, 15))<<4 | byte(min(mlen, 15))
	dst = append(dst, tok)
	if lits >= 15 {
		dst = binary.AppendUvarint(dst, uint64(lits-15))
	}
	if mlen >= 15 {
		dst = binary.AppendUvarint(dst, uint64(mlen-15))
	}
	return dst
}

// ErrCorrupt is returned for streams that do not decode.
var ErrCorrupt = errors.New("lz: corrupt stream")

// MaxDecoded bounds the length a stream may declare, so that a corrupt or
// hostile stream cannot make Decode allocate without limit.
const MaxDecoded = 64 << 20

// Decode appends the decompressed stream src to dst.
func (c *Codec) Decode(dst, src []byte) ([]byte, error) {
	n, k := binary.Uvarint(src)
	if k <= 0 || n > MaxDecoded {
		return dst, ErrCorrupt
	}
	src = src[k:]
	base := len(dst)
	want := base + int(n)
	// Reserve what the stream can plausibly produce, not what its header
	// claims: a few hostile bytes must not make Decode allocate megabytes.
	if need := base + min(int(n), 64*len(src)+64); cap(dst) < need {
		grown := make([]byte, base, need)
		copy(grown, dst)
		dst = grown
	}
	nd := len(c.dict)
	for len(src) > 0 {
		tok := src[0]
		src = src[1:]
		lits, mlen := int(tok>>4), int(tok&15)
		if lits == 15 {
			v, k := binary.Uvarint(src)
			if k <= 0 || v > uint64(n) {
				return dst, ErrCorrupt
			}
			lits += int(v)
			src = src[k:]
		}
		if mlen == 15 {
			v, k := binary.Uvarint(src)
			if k <= 0 || v > uint64(n) {
				return dst, ErrCorrupt
			}
			mlen += int(v)
			src = src[k:]
		}
		if lits > len(src) || len(dst)+lits > want {
			return dst, ErrCorrupt
		}
		dst = append(dst, src[:lits]...)
		src = src[lits:]
		if len(src) == 0 {
			break // final literals
		}
		if len(src) < 2 {
			return dst, ErrCorrupt
		}
		off := int(src[0]) | int(src[1])<<8
		src = src[2:]
		mlen += minMatch
		if off == 0 || len(dst)+mlen > want {
			return dst, ErrCorrupt
		}
		pos := len(dst) - base // position in this record
		if off > pos {
			// Reaches into the dictionary, possibly running on into the
			// record.
			d := nd - (off - pos)
			if d < 0 {
				return dst, ErrCorrupt
			}
			take := min(mlen, nd-d)
			dst = append(dst, c.dict[d:d+take]...)
			for j := 0; j < mlen-take; j++ {
				dst = append(dst, dst[base+j])
			}
			continue
		}
		from := len(dst) - off
		// Byte by byte: a match may overlap its own output (a run).
		for j := 0; j < mlen; j++ {
			dst = append(dst, dst[from+j])
		}
	}
	if len(dst) != want {
		return dst, ErrCorrupt
	}
	return dst, nil
}
