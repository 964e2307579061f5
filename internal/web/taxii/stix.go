package taxii

import (
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/stix"
)

// DefaultTLP is the label of an object whose markings name no TLP this
// node knows: the node's default for unlabelled material.
const DefaultTLP = event.TLPAmber

// TLPMarking returns the TLP 2.0 marking-definition id of t (package
// stix keeps the ids OASIS publishes).
func TLPMarking(t event.TLP) string { return stix.MarkingID(t) }

// parsed is a posted object ready for the store.
type parsed struct {
	ID, Type, SpecVersion string
	Version               time.Time
	TLP                   event.TLP
}

// parsedOf reads an object of an envelope received at now from its head
// h (err when it could not be read). Its version is its modified time,
// else its created time, else now (TAXII 2.1 §3.4: objects without
// either are versioned by the date added).
func parsedOf(h stix.Head, err error, now time.Time) (parsed, error) {
	if err != nil {
		return parsed{ID: h.ID}, err
	}
	p := parsed{ID: h.ID, Type: h.Type, SpecVersion: h.SpecVersion, Version: h.Version, TLP: DefaultTLP}
	if p.Version.IsZero() {
		p.Version = now.UTC().Truncate(time.Microsecond)
	}
	if _, ok := stix.TLPOfMarking(h.ID); ok && h.Type == "marking-definition" {
		// The TLP definitions are public: clients send them along with
		// the objects that refer to them.
		p.TLP = event.TLPClear
	}
	if t, ok := h.MarkedTLP(); ok {
		p.TLP = t
	}
	return p, nil
}

// timestamp writes t as TAXII and STIX do, to the microsecond.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
