package stix

import (
	"encoding/json"
	"fmt"
	"regexp"
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

// idPattern is a STIX identifier: the object's type, two dashes, a UUID.
var idPattern = regexp.MustCompile(`^([a-z0-9][a-z0-9-]{0,248}[a-z0-9])--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ReadHead reads the head of raw, one STIX object, and checks that it has
// a type, an identifier of that type, and RFC 3339 timestamps. A missing
// spec_version reads as 2.1: STIX 2.1 lets cyber-observables leave it
// out, and STIX 2.0 has no observables at the top level.
func ReadHead(raw []byte) (Head, error) {
	var o struct {
		Type        string   `json:"type"`
		ID          string   `json:"id"`
		SpecVersion string   `json:"spec_version"`
		Created     string   `json:"created"`
		Modified    string   `json:"modified"`
		CreatedBy   string   `json:"created_by_ref"`
		Markings    []string `json:"object_marking_refs"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return Head{}, fmt.Errorf("not a STIX object: %v", err)
	}
	h := Head{ID: o.ID, Type: o.Type, SpecVersion: o.SpecVersion, MarkingRefs: o.Markings, CreatedBy: o.CreatedBy}
	m := idPattern.FindStringSubmatch(o.ID)
	switch {
	case o.Type == "":
		return h, fmt.Errorf("the object has no type")
	case m == nil:
		return h, fmt.Errorf("the id %q is not a STIX identifier (type--UUID)", o.ID)
	case m[1] != o.Type:
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
