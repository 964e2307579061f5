package assess

import (
	"math"
	"testing"
)

func TestWordsFollowICD203Bands(t *testing.T) {
	tests := []struct {
		p    float64
		want string
	}{
		{0.01, "almost no chance"}, {0.049, "almost no chance"}, {0.05, "very unlikely"}, {0.19, "very unlikely"},
		{0.20, "unlikely"}, {0.44, "unlikely"}, {0.45, "roughly even chance"}, {0.50, "roughly even chance"},
		{0.549, "roughly even chance"}, {0.55, "likely"}, {0.79, "likely"}, {0.80, "very likely"},
		{0.949, "very likely"}, {0.95, "almost certain"}, {0.99, "almost certain"},
	}
	for _, tc := range tests {
		if got := Words(tc.p); got != tc.want {
			t.Errorf("Words(%v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func TestSTIXConfidenceUsesTheDNIScale(t *testing.T) {
	want := map[string]int{"almost no chance": 5, "very unlikely": 15, "unlikely": 30, "roughly even chance": 50, "likely": 70, "very likely": 85, "almost certain": 95}
	for words, v := range want {
		got, ok := STIXConfidence(words)
		if !ok || got != v {
			t.Errorf("STIXConfidence(%q) = %d, %v; want %d", words, got, ok, v)
		}
		// Each DNI value lies in its own back-range.
		if back, err := WordsFromSTIX(v); err != nil || back != words {
			t.Errorf("WordsFromSTIX(%d) = %q, %v; want %q", v, back, err, words)
		}
	}
	if _, ok := STIXConfidence("probable"); ok {
		t.Error("STIXConfidence accepted words outside ICD 203")
	}
	back := []struct {
		v    int
		want string
	}{{0, "almost no chance"}, {9, "almost no chance"}, {10, "very unlikely"}, {19, "very unlikely"}, {20, "unlikely"}, {39, "unlikely"},
		{40, "roughly even chance"}, {59, "roughly even chance"}, {60, "likely"}, {79, "likely"}, {80, "very likely"}, {89, "very likely"}, {90, "almost certain"}, {100, "almost certain"}}
	for _, tc := range back {
		if got, err := WordsFromSTIX(tc.v); err != nil || got != tc.want {
			t.Errorf("WordsFromSTIX(%d) = %q, %v; want %q", tc.v, got, err, tc.want)
		}
	}
	for _, v := range []int{-1, 101} {
		if _, err := WordsFromSTIX(v); err == nil {
			t.Errorf("WordsFromSTIX(%d) accepted a value outside 0..100", v)
		}
	}
}

func TestConfidenceSTIXScale(t *testing.T) {
	for c, v := range map[Confidence]int{ConfidenceLow: 15, ConfidenceModerate: 50, ConfidenceHigh: 85} {
		if got := c.STIX(); got != v {
			t.Errorf("%s.STIX() = %d, want %d", c, got, v)
		}
	}
	back := []struct {
		v    int
		want Confidence
		ok   bool
	}{{0, 0, false}, {1, ConfidenceLow, true}, {29, ConfidenceLow, true}, {30, ConfidenceModerate, true}, {69, ConfidenceModerate, true}, {70, ConfidenceHigh, true}, {100, ConfidenceHigh, true}}
	for _, tc := range back {
		got, ok, err := ConfidenceFromSTIX(tc.v)
		if err != nil || got != tc.want || ok != tc.ok {
			t.Errorf("ConfidenceFromSTIX(%d) = %v, %v, %v; want %v, %v", tc.v, got, ok, err, tc.want, tc.ok)
		}
	}
}

func TestAdmiraltyCredibilityToSTIX(t *testing.T) {
	for c, want := range map[Credibility]int{1: 90, 2: 70, 3: 50, 4: 30, 5: 10} {
		if got, ok := c.STIX(); !ok || got != want {
			t.Errorf("credibility %d → %d, %v; want %d", c, got, ok, want)
		}
	}
	if _, ok := Credibility(6).STIX(); ok {
		t.Error("credibility 6 (cannot be judged) must omit the STIX property")
	}
}

func TestACHWeights(t *testing.T) {
	tests := []struct {
		c    Credibility
		want float64
	}{{1, math.Sqrt2}, {2, math.Sqrt2}, {3, 1}, {4, 1 / math.Sqrt2}, {5, 1 / math.Sqrt2}, {6, 1 / math.Sqrt2}}
	for _, tc := range tests {
		if got := tc.c.ACHWeight(); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("credibility %d weight %v, want %v", tc.c, got, tc.want)
		}
	}
	for r, want := range map[Relevance]float64{RelevanceLow: 1 / math.Sqrt2, RelevanceMedium: 1, RelevanceHigh: math.Sqrt2} {
		if got := r.Weight(); math.Abs(got-want) > 1e-12 {
			t.Errorf("relevance %s weight %v, want %v", r, got, want)
		}
	}
	for r, want := range map[Rating]float64{RatingCC: 0, RatingC: 0, RatingN: 0, RatingNA: 0, RatingI: -1, RatingII: -2} {
		if got := r.Inconsistency(); got != want {
			t.Errorf("%s inconsistency %v, want %v", r, got, want)
		}
	}
	if RatingNA.Counted() || Unrated.Counted() || !RatingN.Counted() {
		t.Error("NA and unrated cells must be left out; N counts")
	}
}

func TestParseScales(t *testing.T) {
	for _, s := range []string{"A", "b", " F "} {
		if _, err := ParseReliability(s); err != nil {
			t.Errorf("ParseReliability(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "G", "AB", "1"} {
		if _, err := ParseReliability(s); err == nil {
			t.Errorf("ParseReliability(%q) accepted", s)
		}
	}
	for _, n := range []int{0, 7, -1} {
		if _, err := ParseCredibility(n); err == nil {
			t.Errorf("ParseCredibility(%d) accepted", n)
		}
	}
	for s, want := range map[string]Rating{"cc": RatingCC, "C": RatingC, "n": RatingN, "NA": RatingNA, "i": RatingI, "II": RatingII} {
		if got, err := ParseRating(s); err != nil || got != want {
			t.Errorf("ParseRating(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseRating("III"); err == nil {
		t.Error("ParseRating accepted III")
	}
	for s, want := range map[string]Level{"machine": LevelMachine, "group": LevelOperator, "sponsor": LevelResponsible, "subscriber": LevelMachine, "persona": LevelPersona} {
		if got, err := ParseLevel(s); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v", s, got, err)
		}
	}
	if got, err := ParseSpoofability("medium–high"); err != nil || got != SpoofMediumHigh {
		t.Errorf("ParseSpoofability(medium–high) = %v, %v", got, err)
	}
	if Admiralty('B', 2) != "B2" {
		t.Error("Admiralty code")
	}
}

func TestClassesFollowTheDomainTable(t *testing.T) {
	tests := []struct {
		id    string
		level Level
		spoof Spoofability
	}{
		{"network-source", LevelMachine, SpoofHigh},
		{"subscriber-record", LevelMachine, SpoofMedium},
		{"infrastructure-registration", LevelOperator, SpoofMedium},
		{"infrastructure-reuse", LevelOperator, SpoofMedium},
		{"malware-code-similarity", LevelOperator, SpoofMediumHigh},
		{"build-artifacts", LevelOperator, SpoofHigh},
		{"TTPs", LevelOperator, SpoofMedium},
		{"language_artefacts", LevelOperator, SpoofHigh},
		{"victimology", LevelResponsible, SpoofAnalytic},
		{"provider-records", LevelOperator, SpoofLow},
		{"all-source", LevelResponsible, SpoofLow},
		{"self-claim", LevelPersona, SpoofHigh},
	}
	for _, tc := range tests {
		c, ok := ClassByID(tc.id)
		if !ok || c.MaxLevel != tc.level || c.Spoof != tc.spoof {
			t.Errorf("class %q = %+v, %v; want level %s, spoofability %s", tc.id, c, ok, tc.level, tc.spoof)
		}
	}
	if len(Classes) != len(tests) {
		t.Errorf("%d classes, the table has %d", len(Classes), len(tests))
	}
}
