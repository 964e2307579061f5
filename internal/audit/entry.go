package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// domain starts every encoded entry; see the package documentation.
const domain = "concord-audit-v1"

// Entry is one record of the audit log: who did what to which object, and
// when, chained to the entry before it.
type Entry struct {
	// Seq numbers entries from 1, without gaps.
	Seq int64
	// Time is when the change was made, in UTC with microsecond precision,
	// which SQLite and PostgreSQL both keep exactly.
	Time time.Time
	// Actor is who made the change: a user or agency id.
	Actor string
	// Action names the change, such as "case.open" or "request.move".
	Action string
	// Object names what changed, such as "case/12".
	Object string
	// Detail is JSON text describing the change; it may be empty.
	Detail string
	// Prev is the Hash of the previous entry, all zeros for entry 1.
	Prev [32]byte
	// Hash is the SHA-256 of the entry's encoding, Prev included.
	Hash [32]byte
}

// Seal chains e to the entry whose hash is prev (all zeros for entry 1): it
// sets e.Prev, rounds e.Time down to the microsecond in UTC (what the hash
// covers and what the store keeps), and sets e.Hash. Seq and the other
// fields must be final before Seal; changing any of them afterwards is
// exactly what Verify detects.
func (e *Entry) Seal(prev [32]byte) {
	e.Prev = prev
	e.Time = time.UnixMicro(e.Time.UnixMicro()).UTC()
	var buf [256]byte // enough for most entries without allocating
	e.Hash = sha256.Sum256(e.appendEncoding(buf[:0]))
}

// Head returns the head a log has once e is its last entry.
func (e *Entry) Head() Head {
	return Head{Seq: e.Seq, Hash: e.Hash}
}

// appendEncoding appends the encoding the hash covers (see the package
// documentation) to b.
func (e *Entry) appendEncoding(b []byte) []byte {
	b = append(b, domain...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixMicro()))
	for _, s := range [...]string{e.Actor, e.Action, e.Object, e.Detail} {
		b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
		b = append(b, s...)
	}
	return append(b, e.Prev[:]...)
}

// Head identifies the last entry of a log: its Seq and Hash. Recorded away
// from the log, it lets VerifyAgainst notice entries removed from the end
// or a chain rewritten and sealed again. The zero Head is that of an empty
// log.
type Head struct {
	Seq  int64
	Hash [32]byte
}
