package stix

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/assess"
)

// sampleResult is an assessment result with two competing hypotheses and
// one observation.
func sampleResult() *assess.Result {
	return &assess.Result{
		Title: "DDoS on the tax portal", TLP: "TLP:AMBER", Leading: "H1", Leaders: []string{"H1"}, Confidence: "moderate",
		ConfidenceReasons: []string{"Two classes of evidence tell the hypotheses apart."},
		Hypotheses: []assess.HypothesisResult{
			{ID: "H1", Statement: "Operators in XX ran the attack.", Level: "operator", ClaimedLevel: "operator", Kind: "actor", Country: "XX",
				Likelihood: assess.Likelihood{Words: "likely", Probability: 0.7}, STIXConfidence: 70, Status: "standing"},
			{ID: "H2", Statement: "Compromised hosts in YY relayed it.", Level: "machine", ClaimedLevel: "machine", Kind: "compromised-infrastructure", Country: "YY",
				Likelihood: assess.Likelihood{Words: "unlikely", Probability: 0.3}, STIXConfidence: 30, Status: "standing"},
		},
		Observations: []assess.ObservationResult{{ID: "O1", IP: "203.0.113.5", Port: 443, Time: "2024-03-01T10:00:00Z", Role: "attack-source", ASN: 64500, ASName: "EXAMPLE", Flags: []string{"hosting"}}},
	}
}

func TestExportAssessment(t *testing.T) {
	var buf bytes.Buffer
	assessed := time.Date(2024, 3, 2, 12, 0, 0, 0, time.UTC)
	sum, err := ExportAssessment(&buf, sampleResult(), testAgency, assessed)
	if err != nil {
		t.Fatal(err)
	}
	var b struct{ Objects []map[string]any }
	if err := json.Unmarshal(buf.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	confidence := map[string]float64{}
	for _, o := range b.Objects {
		if o["relationship_type"] == "attributed-to" {
			confidence[o["description"].(string)[:2]] = o["confidence"].(float64)
		}
	}
	if confidence["H1"] != 70 || confidence["H2"] != 30 {
		t.Fatalf("attributed-to confidence: %v", confidence)
	}
	for _, typ := range []string{"threat-actor", "intrusion-set", "note", "observed-data", "network-traffic", "ipv4-addr", "autonomous-system"} {
		if sum.Types[typ] == 0 {
			t.Errorf("no %s in %v", typ, sum.Types)
		}
	}
	if sum.Strictest != "TLP:AMBER" {
		t.Errorf("strictest marking %s", sum.Strictest)
	}
	var again bytes.Buffer
	if _, err := ExportAssessment(&again, sampleResult(), testAgency, assessed); err != nil || !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Fatal("exporting the same assessment twice gives different bundles")
	}
	if !strings.Contains(buf.String(), "Competing hypothesis H2") {
		t.Fatal("no note for the competing hypothesis")
	}
}
