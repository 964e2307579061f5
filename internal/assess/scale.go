package assess

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Reliability is the Admiralty source-reliability grade, 'A' (completely
// reliable) to 'F' (cannot be judged).
type Reliability byte

var reliabilityMeaning = map[Reliability]string{
	'A': "completely reliable", 'B': "usually reliable", 'C': "fairly reliable",
	'D': "not usually reliable", 'E': "unreliable", 'F': "reliability cannot be judged",
}

// reliabilityFactor scales an item's weight in the likelihood model. A source
// that cannot be judged (F) counts like a fairly-to-not-usually reliable one:
// unknown is not the same as bad.
var reliabilityFactor = map[Reliability]float64{'A': 1, 'B': 0.85, 'C': 0.7, 'D': 0.5, 'E': 0.3, 'F': 0.6}

// ParseReliability reads "A".."F" (any case).
func ParseReliability(s string) (Reliability, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) == 1 {
		if _, ok := reliabilityMeaning[Reliability(s[0])]; ok {
			return Reliability(s[0]), nil
		}
	}
	return 0, fmt.Errorf("reliability %q: use an Admiralty grade A to F", s)
}

// String returns the letter.
func (r Reliability) String() string { return string(rune(r)) }

// Meaning returns the grade in words, e.g. "usually reliable".
func (r Reliability) Meaning() string { return reliabilityMeaning[r] }

// Factor returns the weight factor the likelihood model gives the grade.
func (r Reliability) Factor() float64 { return reliabilityFactor[r] }

// Credibility is the Admiralty information-credibility grade, 1 (confirmed
// by other independent sources) to 6 (cannot be judged).
type Credibility uint8

var credibilityMeaning = [...]string{"", "confirmed by other independent sources", "probably true", "possibly true", "doubtful", "improbable", "truth cannot be judged"}

// ParseCredibility reads 1..6.
func ParseCredibility(n int) (Credibility, error) {
	if n < 1 || n > 6 {
		return 0, fmt.Errorf("credibility %d: use an Admiralty grade 1 to 6", n)
	}
	return Credibility(n), nil
}

// Meaning returns the grade in words, e.g. "probably true".
func (c Credibility) Meaning() string {
	if c < 1 || c > 6 {
		return ""
	}
	return credibilityMeaning[c]
}

// ACH weights: PARC ACH 1.1 weighs credibility and relevance each as
// Low 1/√2, Medium 1, High √2.
const (
	weightLow    = 1 / math.Sqrt2
	weightMedium = 1.0
	weightHigh   = math.Sqrt2
)

// ACHWeight maps the Admiralty credibility onto ACH's three credibility
// levels: 1 and 2 are High, 3 is Medium, 4 to 6 are Low.
func (c Credibility) ACHWeight() float64 {
	switch {
	case c == 1 || c == 2:
		return weightHigh
	case c == 3:
		return weightMedium
	default:
		return weightLow
	}
}

// ACHLevel names the ACH credibility level c maps to.
func (c Credibility) ACHLevel() string {
	switch c.ACHWeight() {
	case weightHigh:
		return "high"
	case weightMedium:
		return "medium"
	}
	return "low"
}

// STIX returns the STIX 2.1 confidence for an Admiralty credibility
// (1..5 → 90, 70, 50, 30, 10); for 6 the property is omitted (ok false).
func (c Credibility) STIX() (value int, ok bool) {
	if c < 1 || c > 5 {
		return 0, false
	}
	return 90 - 20*int(c-1), true
}

// Admiralty writes a reliability and credibility as one code, e.g. "B2".
func Admiralty(r Reliability, c Credibility) string { return r.String() + strconv.Itoa(int(c)) }

// Relevance is how much an item bears on the question: low, medium, high.
type Relevance uint8

// The relevance levels.
const (
	RelevanceLow Relevance = iota + 1
	RelevanceMedium
	RelevanceHigh
)

var relevanceNames = [...]string{"", "low", "medium", "high"}

// ParseRelevance reads "low", "medium" or "high" ("" is medium).
func ParseRelevance(s string) (Relevance, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "low", "l":
		return RelevanceLow, nil
	case "", "medium", "med", "m":
		return RelevanceMedium, nil
	case "high", "h":
		return RelevanceHigh, nil
	}
	return 0, fmt.Errorf("relevance %q: use low, medium or high", s)
}

// String returns the level's name.
func (r Relevance) String() string { return relevanceNames[r] }

// Weight returns the ACH weight of the level.
func (r Relevance) Weight() float64 {
	switch r {
	case RelevanceLow:
		return weightLow
	case RelevanceHigh:
		return weightHigh
	}
	return weightMedium
}

// Spoofability is how easily an adversary fakes evidence of a kind.
type Spoofability uint8

// The spoofability levels of DOMAIN.md §5. Analytic marks judgements such as
// cui bono, which nobody needs to fake but which are weak alone.
const (
	SpoofLow Spoofability = iota + 1
	SpoofMedium
	SpoofMediumHigh
	SpoofHigh
	SpoofAnalytic
)

var spoofNames = [...]string{"", "low", "medium", "medium-high", "high", "analytic"}

// spoofFactor discounts easily faked evidence in the likelihood model.
var spoofFactor = [...]float64{0, 1, 0.75, 0.6, 0.5, 0.5}

// ParseSpoofability reads a level name.
func ParseSpoofability(s string) (Spoofability, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer("–", "-", "_", "-", " ", "-").Replace(s)
	for i, n := range spoofNames {
		if i > 0 && n == s {
			return Spoofability(i), nil
		}
	}
	return 0, fmt.Errorf("spoofability %q: use low, medium, medium-high, high or analytic", s)
}

// String returns the level's name.
func (s Spoofability) String() string { return spoofNames[s] }

// Factor returns the likelihood model's discount for the level.
func (s Spoofability) Factor() float64 { return spoofFactor[s] }

// Forgeable reports whether an adversary can plant such evidence cheaply
// (medium-high and high): evidence of that kind alone can never rule out a
// false flag.
func (s Spoofability) Forgeable() bool { return s == SpoofMediumHigh || s == SpoofHigh }

// Level is how far an attribution reaches (Lin; Rid and Buchanan): the
// machine that sent the traffic, the operator who used it, or the party
// responsible for the operation. LevelPersona is below all three: a claimed
// identity that names nobody real.
type Level uint8

// The attribution levels, in increasing reach.
const (
	LevelPersona Level = iota + 1
	LevelMachine
	LevelOperator
	LevelResponsible
)

var levelNames = [...]string{"", "persona", "machine", "operator", "responsible-party"}

// ParseLevel reads a level name; "group" reads as operator, "subscriber" as
// machine and "sponsor" as responsible-party.
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "persona":
		return LevelPersona, nil
	case "machine", "subscriber":
		return LevelMachine, nil
	case "operator", "group":
		return LevelOperator, nil
	case "responsible-party", "responsible party", "responsible", "sponsor":
		return LevelResponsible, nil
	}
	return 0, fmt.Errorf("level %q: use machine, operator or responsible-party", s)
}

// String returns the level's name.
func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return ""
}

// Rating is one ACH matrix cell: how consistent an item is with a hypothesis.
type Rating uint8

// The ACH ratings. Unrated is the empty cell.
const (
	Unrated Rating = iota
	RatingCC
	RatingC
	RatingN
	RatingNA
	RatingI
	RatingII
)

var ratingNames = [...]string{"", "CC", "C", "N", "NA", "I", "II"}

var ratingWords = [...]string{"unrated", "very consistent", "consistent", "neutral", "not applicable", "inconsistent", "very inconsistent"}

// ParseRating reads CC, C, N, NA, I or II (any case).
func ParseRating(s string) (Rating, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	for i, n := range ratingNames {
		if i > 0 && n == s {
			return Rating(i), nil
		}
	}
	return 0, fmt.Errorf("rating %q: use CC, C, N, NA, I or II", s)
}

// String returns the rating's symbol ("" when unrated).
func (r Rating) String() string { return ratingNames[r] }

// Words returns the rating in words.
func (r Rating) Words() string { return ratingWords[r] }

// Counted reports whether the cell enters the scores: NA and unrated cells
// are left out.
func (r Rating) Counted() bool { return r != Unrated && r != RatingNA }

// Inconsistency returns the cell's ACH value: I −1, II −2, all others 0.
// ACH counts only inconsistency; it does not reward support.
func (r Rating) Inconsistency() float64 {
	switch r {
	case RatingI:
		return -1
	case RatingII:
		return -2
	}
	return 0
}

// Support returns the cell's value in the likelihood model, which unlike ACH
// counts support too: CC +2, C +1, N 0, I −1, II −2.
func (r Rating) Support() float64 {
	switch r {
	case RatingCC:
		return 2
	case RatingC:
		return 1
	case RatingI:
		return -1
	case RatingII:
		return -2
	}
	return 0
}

// Likelihood bands of ICD 203, lower bounds inclusive. There is no 0 % and
// no 100 %: probabilities are kept within [MinProbability, MaxProbability].
var bands = []struct {
	lo    float64
	words string
	stix  int // the STIX 2.1 DNI-scale value, used only at export
}{
	{0.95, "almost certain", 95},
	{0.80, "very likely", 85},
	{0.55, "likely", 70},
	{0.45, "roughly even chance", 50},
	{0.20, "unlikely", 30},
	{0.05, "very unlikely", 15},
	{0, "almost no chance", 5},
}

// The probability range a judgement may take.
const (
	MinProbability = 0.01
	MaxProbability = 0.99
)

// Words returns the ICD 203 expression for probability p.
func Words(p float64) string {
	for _, b := range bands {
		if p >= b.lo {
			return b.words
		}
	}
	return bands[len(bands)-1].words
}

// STIXConfidence returns the STIX 2.1 confidence for ICD 203 words through
// the DNI scale (almost no chance 5 … almost certain 95), and false for
// words that are not an ICD 203 expression.
func STIXConfidence(words string) (int, bool) {
	for _, b := range bands {
		if b.words == words {
			return b.stix, true
		}
	}
	return 0, false
}

// WordsFromSTIX maps a STIX confidence back through the DNI scale's ranges
// (0–9, 10–19, 20–39, 40–59, 60–79, 80–89, 90–100). These ranges differ from
// the ICD 203 bands, which is why conversion happens only at export.
func WordsFromSTIX(v int) (string, error) {
	switch {
	case v < 0 || v > 100:
		return "", fmt.Errorf("STIX confidence %d is outside 0..100", v)
	case v >= 90:
		return "almost certain", nil
	case v >= 80:
		return "very likely", nil
	case v >= 60:
		return "likely", nil
	case v >= 40:
		return "roughly even chance", nil
	case v >= 20:
		return "unlikely", nil
	case v >= 10:
		return "very unlikely", nil
	}
	return "almost no chance", nil
}

// Confidence is the analytic confidence in a judgement.
type Confidence uint8

// The confidence levels.
const (
	ConfidenceLow Confidence = iota + 1
	ConfidenceModerate
	ConfidenceHigh
)

var confidenceNames = [...]string{"", "low", "moderate", "high"}

// String returns the level's name.
func (c Confidence) String() string { return confidenceNames[c] }

// STIX returns the STIX 2.1 confidence of the None/Low/Med/High scale:
// low 15, moderate 50, high 85.
func (c Confidence) STIX() int {
	switch c {
	case ConfidenceHigh:
		return 85
	case ConfidenceModerate:
		return 50
	case ConfidenceLow:
		return 15
	}
	return 0
}

// ConfidenceFromSTIX maps a STIX confidence back on the None/Low/Med/High
// scale: 0 none (ok false), 1–29 low, 30–69 moderate, 70–100 high.
func ConfidenceFromSTIX(v int) (Confidence, bool, error) {
	switch {
	case v < 0 || v > 100:
		return 0, false, fmt.Errorf("STIX confidence %d is outside 0..100", v)
	case v == 0:
		return 0, false, nil
	case v < 30:
		return ConfidenceLow, true, nil
	case v < 70:
		return ConfidenceModerate, true, nil
	}
	return ConfidenceHigh, true, nil
}
