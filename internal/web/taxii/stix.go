package taxii

import (
	"encoding/json"
	"fmt"
	"regexp"
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

// stixID is a STIX identifier: the object's type, two dashes, a UUID.
var stixID = regexp.MustCompile(`^([a-z0-9][a-z0-9-]{0,248}[a-z0-9])--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// stixObject is what the server reads of a posted object.
type stixObject struct {
	Type        string   `json:"type"`
	ID          string   `json:"id"`
	SpecVersion string   `json:"spec_version"`
	Created     string   `json:"created"`
	Modified    string   `json:"modified"`
	Markings    []string `json:"object_marking_refs"`
}

// parsed is a posted object ready for the store.
type parsed struct {
	ID, Type, SpecVersion string
	Version               time.Time
	TLP                   event.TLP
}

// parseObject reads raw, one object of an envelope received at now. Its
// version is its modified time, else its created time, else now (TAXII
// 2.1 §3.4: objects without either are versioned by the date added).
func parseObject(raw json.RawMessage, now time.Time) (parsed, error) {
	var o stixObject
	if err := json.Unmarshal(raw, &o); err != nil {
		return parsed{}, fmt.Errorf("not a STIX object: %v", err)
	}
	m := stixID.FindStringSubmatch(o.ID)
	switch {
	case o.Type == "":
		return parsed{ID: o.ID}, fmt.Errorf("the object has no type")
	case m == nil:
		return parsed{ID: o.ID}, fmt.Errorf("the id %q is not a STIX identifier (type--UUID)", o.ID)
	case m[1] != o.Type:
		return parsed{ID: o.ID}, fmt.Errorf("the id %q does not start with the object's type %q", o.ID, o.Type)
	}
	p := parsed{ID: o.ID, Type: o.Type, SpecVersion: o.SpecVersion, Version: now.UTC().Truncate(time.Microsecond)}
	if p.SpecVersion == "" {
		// STIX 2.1 lets cyber-observables leave spec_version out; 2.0
		// objects have none either, but 2.0 has no observables at the
		// top level, so 2.1 is the reading that fits.
		p.SpecVersion = "2.1"
	}
	for _, ts := range []string{o.Modified, o.Created} {
		if ts == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return parsed{ID: o.ID}, fmt.Errorf("the timestamp %q is not RFC 3339", ts)
		}
		p.Version = t.UTC().Truncate(time.Microsecond)
		break
	}
	p.TLP = DefaultTLP
	if _, ok := stix.TLPOfMarking(o.ID); ok && o.Type == "marking-definition" {
		// The TLP definitions are public: clients send them along with
		// the objects that refer to them.
		p.TLP = event.TLPClear
	}
	known := false
	for _, ref := range o.Markings {
		if t, ok := stix.TLPOfMarking(ref); ok {
			if !known {
				p.TLP = t
			}
			p.TLP = p.TLP.Stricter(t)
			known = true
		}
	}
	return p, nil
}

// timestamp writes t as TAXII and STIX do, to the microsecond.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
