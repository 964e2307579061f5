package assess

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"testing"
)

func benchAssess(b *testing.B, in *Input, bg Background) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Assess(context.Background(), in, bg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAssessScenario is a realistic case: one observation, four
// analyst items, four hypotheses.
func BenchmarkAssessScenario(b *testing.B) {
	data, err := os.ReadFile("testdata/scenarios/rich-corroborated.yaml")
	if err != nil {
		b.Fatal(err)
	}
	in, err := ParseInput("rich-corroborated.yaml", data)
	if err != nil {
		b.Fatal(err)
	}
	benchAssess(b, in, testBackground())
}

// BenchmarkAssessLarge is a campaign: 40 observations in 10 countries (40
// generated hypotheses) and 40 analyst items, every cell rated. The
// sensitivity analysis reassesses once per diagnostic item.
func BenchmarkAssessLarge(b *testing.B) {
	bg := &fixedBackground{places: map[netip.Addr]Place{}}
	countries := []string{"RU", "CN", "US", "DE", "NL", "BR", "IN", "IR", "KP", "FR"}
	in := &Input{TLP: 2}
	for i := range 40 {
		ip := netip.AddrFrom4([4]byte{198, 51, 100, byte(i + 1)})
		bg.places[ip] = Place{CC: countries[i%len(countries)], ASN: uint32(64500 + i)}
		in.Observations = append(in.Observations, Observation{ID: fmt.Sprintf("o%d", i+1), IP: ip, Port: uint16(40000 + i), Role: "attack-source", Reliability: 'B', Credibility: 2})
	}
	classes := []string{"malware-code-similarity", "ttps", "infrastructure-reuse", "build-artefacts", "provider-records"}
	in.Ratings = map[string]map[string]Override{}
	ratings := []Rating{RatingCC, RatingC, RatingN, RatingI, RatingII}
	for i := range 40 {
		c, _ := ClassByID(classes[i%len(classes)])
		id := fmt.Sprintf("e%d", i+1)
		in.Evidence = append(in.Evidence, Evidence{ID: id, Class: c, Summary: "s", Reliability: 'B', Credibility: Credibility(1 + i%5), Relevance: Relevance(1 + i%3), Spoof: c.Spoof, Level: c.MaxLevel})
		row := map[string]Override{}
		for j, cc := range countries {
			for k := KindActor; k <= KindFalseFlag; k++ {
				row[generatedID(k, cc)] = Override{Rating: ratings[(i+j+int(k))%len(ratings)]}
			}
		}
		in.Ratings[id] = row
	}
	benchAssess(b, in, bg)
}
