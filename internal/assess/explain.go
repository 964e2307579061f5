package assess

import (
	"fmt"
	"math"
	"strings"
)

// explain writes down how every number was reached, in the order an
// analyst would check them.
func (a *analysis) explain(wis, scores []float64, post posterior, prob []float64) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	gen := 0
	for _, h := range a.hyps {
		if h.Generated {
			gen++
		}
	}
	n := len(a.hyps)
	add("%d hypotheses: %d from the analyst, %d generated for the countries the addresses are in. They are read as competing explanations, of which one is true, and each starts at 1/%d = %.1f %%.",
		n, n-gen, gen, n, 100/float64(n))
	add("ACH (PARC 1.1): WIS(h) = Σ credibility weight × relevance weight × value, with I = −1, II = −2 and every other rating 0; NA and unrated cells are left out. Weights are low 0.7071, medium 1, high 1.4142; Admiralty credibility 1–2 counts as high, 3 as medium, 4–6 as low. The hypothesis closest to 0 is the least refuted.")
	for j, h := range a.hyps {
		var terms []string
		for i, e := range a.items {
			r := a.cells[i][j].rating
			if !r.Counted() || r.Inconsistency() == 0 {
				continue
			}
			terms = append(terms, fmt.Sprintf("%s %s (%g × %.4f × %.4f)", e.ID, r, r.Inconsistency(), e.Credibility.ACHWeight(), e.Relevance.Weight()))
		}
		if len(terms) > 0 {
			add("WIS(%s) = %s = %.4f.", h.ID, strings.Join(terms, " + "), wis[j])
		}
	}
	add("Likelihood: an item's weight is its ACH credibility and relevance weights × its source's reliability factor (A 1, B 0.85, C 0.7, D 0.5, E 0.3, F 0.6) × its spoofability factor (low 1, medium 0.75, medium-high 0.6, high 0.5, analytic 0.5). Each rating adds weight × value × ln 2 to the hypothesis's score (CC +2, C +1, N 0, I −1, II −2), so a full-weight C doubles the odds against a hypothesis the item is neutral to. A hypothesis's probability is its share of Σ exp(score).")
	for i, e := range a.items {
		groups := map[Rating][]string{}
		var order []Rating
		for j, h := range a.hyps {
			r := a.cells[i][j].rating
			if !r.Counted() {
				continue
			}
			if groups[r] == nil {
				order = append(order, r)
			}
			groups[r] = append(groups[r], h.ID)
		}
		if len(order) == 0 {
			add("%s is not rated against any hypothesis and counts for nothing.", e.ID)
			continue
		}
		var parts []string
		for _, r := range order {
			parts = append(parts, fmt.Sprintf("%s for %s", r, strings.Join(groups[r], ", ")))
		}
		add("%s (%s, %s relevance, %s spoofability): weight %.4f × %.4f × %.2f × %.2f = %.4f; %s.",
			e.ID, e.Grade(), e.Relevance, e.Spoof, e.Credibility.ACHWeight(), e.Relevance.Weight(), e.Reliability.Factor(), e.Spoof.Factor(), e.Weight(), strings.Join(parts, "; "))
	}
	for j, h := range a.hyps {
		add("score(%s) = %+.4f → %.1f %% before the rules.", h.ID, scores[j], post.raw[j]*100)
	}
	bounded := false
	for j, h := range a.hyps {
		if post.bound[j] == 0 {
			continue
		}
		bounded = true
		add("%s: %.1f %% before the rules, %.1f %% after, because %s.", h.ID, post.raw[j]*100, post.p[j]*100, post.limits[j].why)
	}
	if bounded {
		add("What the rules took from or gave to a hypothesis was shared among the others in proportion to their probabilities.")
	}
	var diffs []string
	for j, h := range a.hyps {
		if math.Abs(post.p[j]-prob[j]) >= 0.005 {
			diffs = append(diffs, h.ID)
		}
	}
	add("Probabilities are rounded to whole percent and kept between 1 %% and 99 %%; the words are the ICD 203 band of the rounded number (almost no chance below 5 %%, very unlikely below 20 %%, unlikely below 45 %%, roughly even chance below 55 %%, likely below 80 %%, very likely below 95 %%, almost certain from 95 %%).")
	if len(diffs) > 0 {
		add("The 1–99 %% range moved %s.", strings.Join(diffs, ", "))
	}
	add("A hypothesis is refuted when the evidence has at least halved its starting probability and left it below %.0f %%; the others stand.", refutedBelow*100)
	return out
}
