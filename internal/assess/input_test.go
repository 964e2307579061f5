package assess

import (
	"context"
	"os"
	"strings"
	"testing"
)

func TestParseInputReportsEveryProblemWithItsPlace(t *testing.T) {
	_, err := ParseInput("case.json", []byte(`{
	 "observations": [{"id":"o1","ip":"203.0.113.999","port":70000,"time":"2024-03-12 10:00","role":"hacker","country":"Russia"}],
	 "evidence": [{"id":"o1","class":"astrology","summary":"","reliability":"Z","credibility":9,"relevance":"huge",
	               "spoofability":"low","level":"responsible-party","events":["xyz"]}],
	 "hypotheses": [{"id":"h 1","statement":"","kind":"actor"}],
	 "ratings": {"o1": {"h1":"maybe"}}}`))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"case.json", "observations[0].ip", "observations[0].port", "observations[0].time", "observations[0].role", "observations[0].country",
		`evidence[0]: id "o1" is already used by observations[0]`, "evidence[0].class", "evidence[0].reliability", "evidence[0].credibility",
		"evidence[0].relevance", "evidence[0].events[0]", "evidence[0].summary", `hypotheses[0]: id "h 1"`, "hypotheses[0].statement",
		"kind and country go together", "ratings.o1.h1",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not mention %q:\n%v", want, err)
		}
	}
}

func TestParseInputRejectsUnknownFieldsWithTheLine(t *testing.T) {
	_, err := ParseInput("typo.json", []byte("{\n\"observations\": [{\"ip\": \"198.51.100.7\"}],\n\"evidnce\": []}"))
	if err == nil || !strings.Contains(err.Error(), "evidnce") {
		t.Errorf("error %v should name the unknown field", err)
	}
	_, err = ParseInput("type.json", []byte("{\n\"observations\": [{\"ip\": \"198.51.100.7\",\n \"port\": \"443\"}]}"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("error %v should give line 3", err)
	}
}

func TestParseInputNeedsObservationsOrEvidence(t *testing.T) {
	if _, err := ParseInput("empty.json", []byte(`{"title":"nothing"}`)); err == nil || !strings.Contains(err.Error(), "give observations") {
		t.Errorf("error %v", err)
	}
}

func TestParseInputBoundsTheNumberOfItems(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"observations":[`)
	for i := range MaxItems + 1 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"ip":"198.51.100.7"}`)
	}
	b.WriteString(`]}`)
	if _, err := ParseInput("big.json", []byte(b.String())); err == nil || !strings.Contains(err.Error(), "split the case") {
		t.Errorf("error %v", err)
	}
}

func TestSpoofabilityChangeNeedsAReason(t *testing.T) {
	const f = `{"evidence":[{"id":"e1","class":"build-artefacts","summary":"s","reliability":"B","credibility":2,"spoofability":"low"%s}]}`
	if _, err := ParseInput("x.json", []byte(strings.Replace(f, "%s", "", 1))); err == nil || !strings.Contains(err.Error(), "spoofability_reason") {
		t.Errorf("error %v", err)
	}
	in, err := ParseInput("x.json", []byte(strings.Replace(f, "%s", `,"spoofability_reason":"checked against the linker"`, 1)))
	if err != nil || in.Evidence[0].Spoof != SpoofLow {
		t.Errorf("%v %+v", err, in)
	}
}

func TestYAMLAndJSONGiveTheSameAssessment(t *testing.T) {
	y, err := os.ReadFile("testdata/scenarios/rich-corroborated.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j, err := os.ReadFile("testdata/rich-corroborated.json")
	if err != nil {
		t.Fatal(err)
	}
	var outs []string
	for name, data := range map[string][]byte{"a.yaml": y, "a.json": j} {
		r := assessBytes(t, name, data)
		var b strings.Builder
		if err := r.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b.String())
	}
	if outs[0] != outs[1] {
		t.Error("the YAML and JSON forms of one assessment differ")
	}
}

func TestObservationDefaults(t *testing.T) {
	in, err := ParseInput("x.json", []byte(`{"observations":[{"ip":"::ffff:198.51.100.7"},{"ip":"2001:db8::1","port":443,"time":"2024-03-12T12:00:00+02:00"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	o1, o2 := in.Observations[0], in.Observations[1]
	if o1.ID != "o1" || o2.ID != "o2" || o1.Role != "attack-source" || o1.IP.String() != "198.51.100.7" || o1.Reliability != 'B' || o1.Credibility != 2 {
		t.Errorf("defaults: %+v", o1)
	}
	if o2.Time.Hour() != 10 || o2.Time.Location().String() != "UTC" {
		t.Errorf("time %v should be kept in UTC", o2.Time)
	}
}

func FuzzParseInput(f *testing.F) {
	for _, name := range []string{"ip-only.json", "tor-exit.json", "rich-corroborated.yaml", "forged-build-artefact.json", "conflicting-sources.json"} {
		b, err := os.ReadFile("testdata/scenarios/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(name, b)
	}
	f.Add("x.yaml", []byte("observations:\n  - ip: 198.51.100.7\n    time: 2024-03-12T10:00:00Z\n"))
	f.Add("x.json", []byte(`{"ratings":{"o1":{"h":{"rating":"C"}}}}`))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		in, err := ParseInput(name, data)
		if err != nil {
			if in != nil {
				t.Fatal("an error and an input")
			}
			return
		}
		r, err := Assess(context.Background(), in, testBackground())
		if err != nil {
			return // unknown ids in ratings, or fewer than two hypotheses
		}
		for _, h := range r.Hypotheses {
			p := h.Likelihood.Probability
			if p < MinProbability || p > MaxProbability || Words(p) != h.Likelihood.Words {
				t.Fatalf("%s: %v %q", h.ID, p, h.Likelihood.Words)
			}
			if h.Kind == "actor" && p > ipCap && h.Rule == "" {
				// Above the cap only with non-IP support.
				nonIP := false
				for _, e := range r.Evidence {
					nonIP = nonIP || e.Class != "network-source"
				}
				if !nonIP {
					t.Fatalf("%s at %v on addresses alone", h.ID, p)
				}
			}
		}
		var b strings.Builder
		if err := r.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		b.Reset()
		if err := r.WriteHTML(&b); err != nil {
			t.Fatal(err)
		}
	})
}
