package store

import (
	"fmt"
	"sync"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/lz"
)

// A stored event's document is its event.AppendBinary encoding behind a
// one-byte codec tag:
//
//	0  the encoding as is
//	1  the encoding compressed with package lz and dictionary docDictV1
//
// Documents are most of what a store holds, and the database engine's
// cost grows with the bytes it writes, so compressing them on the ingest
// side (where there is CPU to spare) is what keeps ingest fast; it also
// halves the size of the database. A codec, once used, can never change:
// new dictionaries get new tags.
const (
	docPlain byte = 0
	docLZv1  byte = 1
)

var docCodecV1 = sync.OnceValue(func() *lz.Codec {
	c, err := lz.New([]byte(docDictV1))
	if err != nil {
		panic(err) // a fixed dictionary of fixed size
	}
	return c
})

// DocEncoder builds documents; it keeps buffers between calls and is not
// safe for concurrent use.
type DocEncoder struct {
	bin []byte
	enc *lz.Encoder
}

// AppendDoc appends the document of e to dst.
func (d *DocEncoder) AppendDoc(dst []byte, e *event.Event) []byte {
	if d.enc == nil {
		d.enc = docCodecV1().NewEncoder()
	}
	d.bin = e.AppendBinary(d.bin[:0])
	dst = append(dst, docLZv1)
	return d.enc.Append(dst, d.bin)
}

// DecodeDoc decodes a document into e. The event's byte slices are freshly
// allocated, not aliases of doc.
func DecodeDoc(doc []byte, e *event.Event) error {
	if len(doc) == 0 {
		return fmt.Errorf("store: empty event document")
	}
	var bin []byte
	switch doc[0] {
	case docPlain:
		bin = append([]byte(nil), doc[1:]...)
	case docLZv1:
		var err error
		if bin, err = docCodecV1().Decode(nil, doc[1:]); err != nil {
			return fmt.Errorf("store: event document: %w", err)
		}
	default:
		return fmt.Errorf("store: event document has unknown codec %d (written by a newer concord?)", doc[0])
	}
	return e.UnmarshalBinary(bin)
}
