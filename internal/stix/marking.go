package stix

import (
	"strings"

	"github.com/concord-cert/concord/internal/event"
)

// TLP2Extension is the OASIS extension definition that TLP 2.0 marking
// definitions use in place of STIX 2.1's built-in (TLP 1.0) definition.
const TLP2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// tlp2IDs are the fixed ids OASIS publishes for the TLP 2.0 marking
// definitions (cti-stix-common-objects, extension-definition-specifications
// /tlp-2.0), indexed by event.TLP.
var tlp2IDs = [...]string{
	event.TLPClear:       "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	event.TLPGreen:       "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	event.TLPAmber:       "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	event.TLPAmberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	event.TLPRed:         "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

// tlp1IDs are STIX 2.1's own TLP 1.0 marking definitions (§7.2.1.4), which
// partners still send; WHITE reads as CLEAR.
var tlp1IDs = map[string]event.TLP{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": event.TLPClear,
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": event.TLPGreen,
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": event.TLPAmber,
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": event.TLPRed,
}

// MarkingID returns the id of t's TLP 2.0 marking definition.
func MarkingID(t event.TLP) string {
	if int(t) < len(tlp2IDs) {
		return tlp2IDs[t]
	}
	return tlp2IDs[event.TLPRed]
}

// TLPOfMarking returns the TLP a marking-definition id stands for, knowing
// the TLP 2.0 and the TLP 1.0 definitions, and false for any other id.
func TLPOfMarking(id string) (event.TLP, bool) {
	for t, m := range tlp2IDs {
		if m == id {
			return event.TLP(t), true
		}
	}
	t, ok := tlp1IDs[id]
	return t, ok
}

// MarkingDefinition is a STIX 2.1 marking-definition object.
type MarkingDefinition struct {
	Type        string                    `json:"type"`
	SpecVersion string                    `json:"spec_version"`
	ID          string                    `json:"id"`
	Created     string                    `json:"created"`
	Name        string                    `json:"name"`
	Extensions  map[string]TLP2Properties `json:"extensions"`
}

// TLP2Properties is the TLP 2.0 property extension of a marking definition.
type TLP2Properties struct {
	ExtensionType string `json:"extension_type"`
	TLP           string `json:"tlp_2_0"`
}

// Marking returns the marking-definition object of t exactly as OASIS
// publishes it.
func Marking(t event.TLP) *MarkingDefinition {
	label := t.String()
	return &MarkingDefinition{
		Type: "marking-definition", SpecVersion: "2.1", ID: MarkingID(t),
		Created: "2022-10-01T00:00:00.000Z", Name: label,
		Extensions: map[string]TLP2Properties{TLP2Extension: {
			ExtensionType: "property-extension",
			TLP:           strings.ToLower(strings.TrimPrefix(label, "TLP:")),
		}},
	}
}
