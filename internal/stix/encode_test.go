package stix

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestAppendJSONMatchesEncodingJSON checks the hand-written encoders
// against encoding/json, the other path objects take into a bundle.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	conf := 70
	odd := "quote \" back \\ nl \n tab \t ctl \x01 html <&> bad \xff sep \u2028 ünï"
	objs := []appender{
		&Indicator{Common: Common{Type: "indicator", SpecVersion: "2.1", ID: "indicator--x", Created: "c", Modified: "m", ObjectMarkingRefs: []string{"marking-definition--y"}},
			Pattern: "[ipv4-addr:value = '1.2.3.4']", PatternType: "stix", ValidFrom: "v"},
		&Indicator{Common: Common{Type: "indicator", SpecVersion: "2.1", ID: "indicator--x", CreatedByRef: "identity--z", Created: "c", Modified: "m",
			Labels: []string{"attack-source", odd}, Confidence: &conf}, Name: odd, Description: odd, IndicatorTypes: []string{"a", "b"},
			Pattern: odd, PatternType: "stix", ValidFrom: "v", Class: "k", Role: "r", Flags: []string{"tor-exit"}},
		&Relationship{Common: Common{Type: "relationship", SpecVersion: "2.1", ID: "relationship--x", Created: "c", Modified: "m", ObjectMarkingRefs: []string{"m1"}},
			RelationshipType: "indicates", Description: odd, SourceRef: "s", TargetRef: "t"},
	}
	for i, o := range objs {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(o); err != nil {
			t.Fatal(err)
		}
		got := append(o.appendJSON(nil), '\n')
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("object %d:\n got %s\nwant %s", i, got, want.Bytes())
		}
	}
}
