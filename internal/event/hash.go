package event

import (
	"crypto/sha256"
	"encoding/binary"
)

// HashSize is the length of an event's content hash in bytes.
const HashSize = 32

// Hasher computes content hashes, reusing one buffer across calls. It is not
// safe for concurrent use; give each goroutine its own.
type Hasher struct{ buf []byte }

// Sum returns the content hash of e: SHA-256 over a canonical encoding of
// everything a feed told us, and nothing Concord added. It leaves out
// time.observation (when we read it), the enrichment fields and IPDB (what
// our databases said about it), TLP (how it may be shared), Line and Raw (how
// it was spelled). So re-reading a file, or reading the same log in another
// serialization (Zeek TSV and JSON), gives the same hashes, and the store
// counts the repeats as duplicates instead of storing them twice.
func (h *Hasher) Sum(e *Event) [HashSize]byte {
	b := h.buf[:0]
	b = append(b, 1, byte(e.Kind)) // encoding version, kind
	b = appendField(b, e.Class.Taxonomy)
	b = appendField(b, e.Class.Type)
	b = appendField(b, e.Identifier)
	if e.TimeSource.IsZero() {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendVarint(b, e.TimeSource.UnixMicro())
	}
	b = appendField(b, e.Feed.Name)
	b = appendField(b, e.Feed.Provider)
	b = appendField(b, e.Feed.Code)
	for _, ep := range [2]*Endpoint{&e.Source, &e.Destination} {
		if ep.IP.IsValid() {
			a := ep.IP.Unmap().As16()
			b = append(b, 16)
			b = append(b, a[:]...)
		} else {
			b = append(b, 0)
		}
		b = binary.AppendUvarint(b, uint64(ep.Port))
		b = appendField(b, ep.FQDN)
		b = appendField(b, ep.URL)
		if e.Kind == Observation {
			// An observation's roles are Concord's inference (a flow to a
			// known C&C server), not the feed's: they must not make the
			// same flow hash differently once the server becomes known.
			b = append(b, 0)
		} else {
			b = append(b, byte(ep.Role))
		}
	}
	b = appendField(b, e.Malware)
	b = appendField(b, e.Transport)
	b = appendField(b, e.Application)
	b = appendField(b, e.Text)
	b = binary.AppendUvarint(b, uint64(len(e.Extra)))
	b = append(b, e.Extra...)
	h.buf = b
	return sha256.Sum256(b)
}

func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
