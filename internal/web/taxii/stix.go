package taxii

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

// DefaultTLP is the label of an object whose markings name no TLP this
// node knows: the node's default for unlabelled material.
const DefaultTLP = event.TLPAmber

// tlpMarkings are the STIX marking-definition ids of TLP 2.0 and of the
// TLP 1.0 definitions STIX 2.1 itself publishes (WHITE reads as CLEAR).
var tlpMarkings = map[string]event.TLP{
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": event.TLPClear,
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": event.TLPGreen,
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": event.TLPAmber,
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": event.TLPAmberStrict,
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": event.TLPRed,
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": event.TLPClear,
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": event.TLPGreen,
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": event.TLPAmber,
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": event.TLPRed,
}

// TLPMarking returns the TLP 2.0 marking-definition id of t.
func TLPMarking(t event.TLP) string {
	switch t {
	case event.TLPClear:
		return "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	case event.TLPGreen:
		return "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	case event.TLPAmber:
		return "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	case event.TLPAmberStrict:
		return "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	}
	return "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
}

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
	if _, ok := tlpMarkings[o.ID]; ok && o.Type == "marking-definition" {
		// The TLP definitions are public: clients send them along with
		// the objects that refer to them.
		p.TLP = event.TLPClear
	}
	known := false
	for _, ref := range o.Markings {
		if t, ok := tlpMarkings[ref]; ok {
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
