package assess

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
)

// randomBase is an assessment of the RU and CN hypotheses (listed, so
// adding observations there generates none) with random analyst evidence
// of every class but network-source, randomly graded and rated.
func randomBase(rng *rand.Rand) map[string]any {
	var hyps []any
	for _, cc := range []string{"RU", "CN"} {
		for _, k := range []Kind{KindActor, KindCompromised, KindRelay, KindFalseFlag} {
			hyps = append(hyps, map[string]any{"id": generatedID(k, cc), "statement": "s", "kind": k.String(), "country": cc})
		}
	}
	hyps = append(hyps, map[string]any{"id": "other", "statement": "a criminal group elsewhere"})
	var evidence []any
	ratings := map[string]any{}
	for i := range rng.IntN(5) {
		c := Classes[1+rng.IntN(len(Classes)-1)] // never network-source
		id := fmt.Sprintf("e%d", i+1)
		evidence = append(evidence, randomItem(rng, id, c.ID))
		ratings[id] = randomRatings(rng, hyps)
	}
	return map[string]any{"hypotheses": hyps, "evidence": evidence, "ratings": ratings}
}

func randomItem(rng *rand.Rand, id, class string) map[string]any {
	return map[string]any{"id": id, "class": class, "summary": "s",
		"reliability": string(rune('A' + rng.IntN(6))), "credibility": 1 + rng.IntN(6),
		"relevance": []string{"low", "medium", "high"}[rng.IntN(3)]}
}

var allRatings = []string{"CC", "C", "N", "NA", "I", "II"}

func randomRatings(rng *rand.Rand, hyps []any) map[string]any {
	row := map[string]any{}
	for _, h := range hyps {
		if rng.IntN(4) > 0 {
			row[h.(map[string]any)["id"].(string)] = map[string]any{"rating": allRatings[rng.IntN(len(allRatings))], "reason": "random"}
		}
	}
	return row
}

// addIPOnly adds n random IP-only items: observations of addresses in RU or
// CN (plain, hosting) and analyst network-source items, all with random
// ratings that may override Concord's.
func addIPOnly(rng *rand.Rand, in map[string]any, n int) {
	addrs := []string{"198.51.100.7", "198.51.100.20", "192.0.2.90"}
	hyps := in["hypotheses"].([]any)
	ratings := in["ratings"].(map[string]any)
	var obs []any
	for i := range n {
		if rng.IntN(2) == 0 {
			id := fmt.Sprintf("o%d", i+1)
			obs = append(obs, map[string]any{"id": id, "ip": addrs[rng.IntN(len(addrs))], "port": 1 + rng.IntN(65535), "time": "2024-03-12T10:00:00Z"})
			if rng.IntN(2) == 0 {
				ratings[id] = randomRatings(rng, hyps)
			}
			continue
		}
		id := fmt.Sprintf("n%d", i+1)
		in["evidence"] = append(in["evidence"].([]any), randomItem(rng, id, "network-source"))
		ratings[id] = randomRatings(rng, hyps)
	}
	in["observations"] = obs
}

func assessMap(t *testing.T, in map[string]any) *Result {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseInput("random.json", b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	r, err := Assess(context.Background(), parsed, testBackground())
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return r
}

// TestIPOnlyItemsNeverLiftAnActorAboveTheCap is the rule of DOMAIN.md §5 as
// a property: whatever the other evidence, whatever the ratings, adding
// address observations can raise no "actor operates from X" hypothesis
// above roughly even chance, unless the other evidence already put it
// higher — and then not above where that evidence put it.
func TestIPOnlyItemsNeverLiftAnActorAboveTheCap(t *testing.T) {
	rng := rand.New(rand.NewPCG(20240312, 1))
	for round := range 1500 {
		base := randomBase(rng)
		if len(base["evidence"].([]any)) == 0 {
			// Only observations or evidence is required; give the base one
			// neutral item so it parses.
			base["evidence"] = []any{map[string]any{"id": "e0", "class": "victimology", "summary": "s", "reliability": "F", "credibility": 6}}
		}
		before := assessMap(t, base)
		addIPOnly(rng, base, 1+rng.IntN(4))
		after := assessMap(t, base)
		for _, h := range after.Hypotheses {
			if h.Kind != "actor" {
				continue
			}
			limit := max(ipCap, hyp(t, before, h.ID).Likelihood.Probability)
			if h.Likelihood.Probability > limit {
				b, _ := json.Marshal(base)
				t.Fatalf("round %d: %s rose to %v, above %v, on address evidence alone\n%s", round, h.ID, h.Likelihood.Probability, limit, b)
			}
		}
	}
}

// With nothing but addresses, no actor hypothesis ever passes roughly even
// chance or the machine level, and confidence stays low.
func TestAddressesAloneNeverConvictACountry(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 35))
	for round := range 1000 {
		in := randomBase(rng)
		in["evidence"] = []any{}
		in["ratings"] = map[string]any{}
		addIPOnly(rng, in, 1+rng.IntN(5))
		if len(in["observations"].([]any)) == 0 && len(in["evidence"].([]any)) == 0 {
			continue
		}
		r := assessMap(t, in)
		for _, h := range r.Hypotheses {
			if h.Kind == "actor" && (h.Likelihood.Probability > ipCap || h.Level != "machine") {
				t.Fatalf("round %d: %s at %v, level %s, on addresses alone", round, h.ID, h.Likelihood.Probability, h.Level)
			}
		}
		if r.Confidence != "low" {
			t.Fatalf("round %d: confidence %s on addresses alone: %v", round, r.Confidence, r.ConfidenceReasons)
		}
	}
}
