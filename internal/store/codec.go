package store

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"github.com/concord-cert/concord/internal/audit"
	"github.com/concord-cert/concord/internal/event"
)

// AddrBytes is how every backend stores an address: 16 bytes, IPv4 as
// IPv4-mapped IPv6, so that ranges compare bytewise and one column holds
// both families. The zero Addr is an empty, non-nil slice, for NOT NULL
// columns.
func AddrBytes(a netip.Addr) []byte {
	if !a.IsValid() {
		return []byte{}
	}
	b := a.As16()
	return b[:]
}

// AddrFromBytes decodes an address stored by AddrBytes; anything but 16
// bytes is the zero Addr.
func AddrFromBytes(b []byte) netip.Addr {
	if len(b) != 16 {
		return netip.Addr{}
	}
	return netip.AddrFrom16([16]byte(b)).Unmap()
}

// BatchCounts is what a written batch adds to its run's counters, given
// which of its events and objects were new.
func BatchCounts(b *Batch, isNew, kept []bool) Counts {
	c := Counts{Records: int64(len(b.Events) + len(b.Rejects)), Rejected: int64(len(b.Rejects))}
	for i, n := range kept {
		if !b.Objects[i].Record {
			continue
		}
		c.Records++
		if n {
			c.Kept++
		} else {
			c.Duplicates++
		}
	}
	for i, n := range isNew {
		switch {
		case !n:
			c.Duplicates++
		case b.Events[i].Kind == event.Observation:
			c.Accepted++
			c.Observations++
		default:
			c.Accepted++
		}
	}
	return c
}

// NextAuditEntry makes the audit entry that follows head: its detail as
// JSON text (the hash covers these exact bytes, so backends store it as
// text), the time now to the microsecond, sealed onto head's hash.
func NextAuditEntry(head audit.Head, actor, action, object string, detail any) (audit.Entry, error) {
	d := ""
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return audit.Entry{}, fmt.Errorf("store: audit detail: %w", err)
		}
		d = string(b)
	}
	e := audit.Entry{Seq: head.Seq + 1, Time: time.Now().UTC().Truncate(time.Microsecond), Actor: actor, Action: action, Object: object, Detail: d}
	e.Seal(head.Hash)
	return e, nil
}
