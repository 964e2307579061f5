package stix

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

// Head is what names one version of a STIX object, and how it is marked.
type Head struct {
	ID, Type, SpecVersion string
	// Version is the object's modified time, else its created time, to
	// the microsecond; zero when it has neither, as cyber-observables
	// need not.
	Version time.Time
	// MarkingRefs are the object's object_marking_refs; CreatedBy its
	// created_by_ref.
	MarkingRefs []string
	CreatedBy   string
}

// idType returns the type an identifier names — a STIX identifier is the
// object's type (2 to 250 characters of a-z, 0-9 and hyphens, starting
// and ending with a letter or digit), two dashes and a UUID — and false
// when id is not one. Written out rather than as a regular expression,
// which took half the time of reading an object's head.
func idType(id string) (string, bool) {
	const uuidLen = 36
	if len(id) < 2+2+uuidLen {
		return "", false
	}
	typ, sep, u := id[:len(id)-uuidLen-2], id[len(id)-uuidLen-2:len(id)-uuidLen], id[len(id)-uuidLen:]
	if sep != "--" || len(typ) > 250 {
		return "", false
	}
	for i := 0; i < len(typ); i++ {
		c := typ[i]
		ok := 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' && i > 0 && i < len(typ)-1
		if !ok {
			return "", false
		}
	}
	for i := 0; i < uuidLen; i++ {
		c := u[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return "", false
			}
			continue
		}
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return "", false
		}
	}
	return typ, true
}

// RawHead is the head of an object as its JSON gives it, before Check.
// A reader that decodes more of an object embeds it, and reads it once.
type RawHead struct {
	Type        string   `json:"type"`
	ID          string   `json:"id"`
	SpecVersion string   `json:"spec_version"`
	Created     string   `json:"created"`
	Modified    string   `json:"modified"`
	CreatedBy   string   `json:"created_by_ref"`
	MarkingRefs []string `json:"object_marking_refs"`
}

// ReadHead reads the head of raw, one STIX object, and checks it (Check).
func ReadHead(raw []byte) (Head, error) {
	var o RawHead
	if err := json.Unmarshal(raw, &o); err != nil {
		return Head{}, fmt.Errorf("not a STIX object: %v", err)
	}
	return o.Check()
}

// Check checks that the head has a type, an identifier of that type, and
// RFC 3339 timestamps, and returns it read. A missing spec_version reads
// as 2.1: STIX 2.1 lets cyber-observables leave it out, and STIX 2.0 has
// no observables at the top level.
func (o *RawHead) Check() (Head, error) {
	h := Head{ID: o.ID, Type: o.Type, SpecVersion: o.SpecVersion, MarkingRefs: o.MarkingRefs, CreatedBy: o.CreatedBy}
	typ, ok := idType(o.ID)
	switch {
	case o.Type == "":
		return h, fmt.Errorf("the object has no type")
	case !ok:
		return h, fmt.Errorf("the id %q is not a STIX identifier (type--UUID)", o.ID)
	case typ != o.Type:
		return h, fmt.Errorf("the id %q does not start with the object's type %q", o.ID, o.Type)
	}
	if h.SpecVersion == "" {
		h.SpecVersion = SpecVersion
	}
	for _, ts := range []string{o.Modified, o.Created} {
		if ts == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return h, fmt.Errorf("the timestamp %q is not RFC 3339", ts)
		}
		h.Version = t.UTC().Truncate(time.Microsecond)
		break
	}
	return h, nil
}

// MarkedTLP returns the strictest TLP among the head's marking
// references that are TLP definitions OASIS publishes (1.0 and 2.0), and
// false when none is.
func (h *Head) MarkedTLP() (event.TLP, bool) {
	var t event.TLP
	known := false
	for _, ref := range h.MarkingRefs {
		if m, ok := TLPOfMarking(ref); ok {
			t, known = t.Stricter(m), true
		}
	}
	return t, known
}
