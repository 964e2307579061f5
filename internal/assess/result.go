package assess

import (
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/store"
)

// Result is a finished assessment. Its JSON form is the interface of
// `concord assess --json` (docs/assessment.md).
type Result struct {
	Title string `json:"title"`
	// TLP is the strictest marking of the input and every item used.
	TLP string `json:"tlp"`
	// Leading is the id of the hypothesis with the highest probability, ""
	// when several share it; Leaders lists them all.
	Leading string   `json:"leading"`
	Leaders []string `json:"leaders"`
	// Hypotheses are ordered by probability, then ACH rank.
	Hypotheses        []HypothesisResult `json:"hypotheses"`
	Confidence        string             `json:"confidence"`
	ConfidenceReasons []string           `json:"confidence_reasons"`
	// Linchpins are the items whose removal changes the leading
	// hypothesis, by ACH or by likelihood.
	Linchpins []string `json:"linchpins"`
	// NonDiagnostic are the items rated alike for every hypothesis.
	NonDiagnostic []string            `json:"non_diagnostic"`
	NextSteps     []NextStep          `json:"next_steps"`
	Explanation   []string            `json:"explanation"`
	Evidence      []EvidenceResult    `json:"evidence"`
	Observations  []ObservationResult `json:"observations"`
	Warnings      []string            `json:"warnings"`
	// Consulted says which IP database, lists and store were asked.
	Consulted []string `json:"consulted"`
}

// Likelihood is a probability with its ICD 203 words.
type Likelihood struct {
	Words       string  `json:"words"`
	Probability float64 `json:"probability"`
}

// HypothesisResult is one hypothesis as judged.
type HypothesisResult struct {
	ID        string `json:"id"`
	Statement string `json:"statement"`
	// Level is the attribution level the evidence reaches for it, never
	// above ClaimedLevel, the level the hypothesis states.
	Level        string  `json:"level"`
	ClaimedLevel string  `json:"claimed_level"`
	Kind         string  `json:"kind,omitempty"`
	Country      string  `json:"country,omitempty"`
	Generated    bool    `json:"generated"`
	WIS          float64 `json:"wis"`
	Rank         int     `json:"rank"`
	// Score is the log-odds sum of the likelihood model; Unbounded the
	// probability before the rules' caps and floors.
	Score      float64    `json:"score"`
	Unbounded  float64    `json:"probability_before_rules"`
	Likelihood Likelihood `json:"likelihood"`
	// STIXConfidence encodes the words on the DNI scale, for export only.
	STIXConfidence int `json:"stix_confidence"`
	// Status is "refuted" or "standing".
	Status string `json:"status"`
	// Rule says which rule bounded the probability, if one did.
	Rule string `json:"rule,omitempty"`
}

// EvidenceResult is one item with its grades, weights and ratings.
type EvidenceResult struct {
	ID                 string                  `json:"id"`
	Class              string                  `json:"class"`
	Summary            string                  `json:"summary"`
	Admiralty          string                  `json:"admiralty"`
	Reliability        string                  `json:"reliability"`
	Credibility        int                     `json:"credibility"`
	Relevance          string                  `json:"relevance"`
	Spoofability       string                  `json:"spoofability"`
	SpoofabilityReason string                  `json:"spoofability_reason,omitempty"`
	Level              string                  `json:"level"`
	Source             string                  `json:"source,omitempty"`
	Events             []string                `json:"events,omitempty"`
	TLP                string                  `json:"tlp"`
	Observation        string                  `json:"observation,omitempty"`
	Automatic          bool                    `json:"automatic"`
	Diagnostic         bool                    `json:"diagnostic"`
	Linchpin           bool                    `json:"linchpin"`
	ACHWeight          float64                 `json:"ach_weight"`
	Weight             float64                 `json:"weight"`
	Ratings            map[string]RatingResult `json:"ratings"`
}

// RatingResult is one matrix cell.
type RatingResult struct {
	Rating string `json:"rating"`
	// Automatic is Concord's rating when the analyst replaced it.
	Automatic string `json:"automatic,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Why       string `json:"why,omitempty"`
}

// ObservationResult is what Concord found out about an observed address.
type ObservationResult struct {
	ID      string   `json:"id"`
	IP      string   `json:"ip"`
	Port    int      `json:"port,omitempty"`
	Time    string   `json:"time,omitempty"`
	Role    string   `json:"role"`
	Country string   `json:"country,omitempty"`
	ASN     uint32   `json:"asn,omitempty"`
	ASName  string   `json:"as_name,omitempty"`
	Flags   []string `json:"flags"`
	// Feeds are the sources that saw the address within a year of the
	// observation; FirstSeen and LastSeen bound those days.
	Feeds     []string `json:"feeds"`
	FirstSeen string   `json:"first_seen,omitempty"`
	LastSeen  string   `json:"last_seen,omitempty"`
}

func round4(x float64) float64 {
	r := math.Round(x*10000) / 10000
	if r == 0 {
		return 0 // no "-0" in the output
	}
	return r
}

func (a *analysis) result() *Result {
	wis := a.wis(-1)
	rk := ranks(wis)
	post := a.posterior(-1)
	scores := a.scores(func(int) bool { return true })

	res := &Result{Title: a.in.Title, TLP: a.tlp().String(), Warnings: append([]string{}, a.warnings...), Consulted: a.sources.lines()}
	prob := make([]float64, len(a.hyps))
	for j, h := range a.hyps {
		prob[j] = round2(post.p[j])
		words := Words(prob[j])
		stix, _ := STIXConfidence(words)
		status := "standing"
		if a.refuted(j, post) {
			status = "refuted"
		}
		hr := HypothesisResult{
			ID: h.ID, Statement: h.Statement, Level: a.supportedLevel(j).String(), ClaimedLevel: h.Level.String(),
			Kind: h.Kind.String(), Country: h.Country, Generated: h.Generated,
			WIS: round4(wis[j]), Rank: rk[j], Score: round4(scores[j]), Unbounded: round4(post.raw[j]),
			Likelihood: Likelihood{Words: words, Probability: prob[j]}, STIXConfidence: stix, Status: status,
		}
		if post.bound[j] != 0 {
			hr.Rule = post.limits[j].why
		}
		res.Hypotheses = append(res.Hypotheses, hr)
	}
	order := make([]int, len(a.hyps))
	for j := range order {
		order[j] = j
	}
	sort.SliceStable(order, func(x, y int) bool {
		jx, jy := order[x], order[y]
		if math.Abs(post.p[jx]-post.p[jy]) > eps {
			return post.p[jx] > post.p[jy]
		}
		return rk[jx] < rk[jy]
	})
	sorted := make([]HypothesisResult, len(order))
	for x, j := range order {
		sorted[x] = res.Hypotheses[j]
	}
	res.Hypotheses = sorted
	for _, j := range argmax(post.p) {
		res.Leaders = append(res.Leaders, a.hyps[j].ID)
	}
	if len(res.Leaders) == 1 {
		res.Leading = res.Leaders[0]
	}

	sens := a.sensitivity(wis, post)
	res.Linchpins, res.NonDiagnostic = []string{}, []string{}
	for i, e := range a.items {
		if sens.linchpin[i] {
			res.Linchpins = append(res.Linchpins, e.ID)
		}
		if !sens.diagnostic[i] {
			res.NonDiagnostic = append(res.NonDiagnostic, e.ID)
		}
		if !a.rated(i) {
			res.Warnings = append(res.Warnings, e.ID+" is not rated against any hypothesis; rate it under \"ratings\" or it cannot count")
		}
	}
	for _, c := range a.overridesWithoutReason {
		res.Warnings = append(res.Warnings, c+": the analyst replaced Concord's rating without giving a reason")
	}
	conf, reasons := a.confidence(order, post, sens)
	res.Confidence, res.ConfidenceReasons = conf.String(), reasons
	res.NextSteps = a.nextSteps(order, post, sens)
	res.Explanation = a.explain(wis, scores, post, prob)
	res.Evidence = a.evidenceResults(sens)
	res.Observations = a.observationResults()
	return res
}

// refuted reports whether the evidence has at least halved hypothesis j's
// starting probability and left it below refutedBelow once rounded.
func (a *analysis) refuted(j int, post posterior) bool {
	return round2(post.p[j]) < refutedBelow && post.p[j] <= 0.5/float64(len(a.hyps))
}

// sensitivity is what happens when each item is left out.
type sensitivity struct {
	diagnostic []bool
	linchpin   []bool
	// changes says, for a linchpin, how the leader changes without it.
	changes []string
	// rivals are, for a linchpin, the hypotheses that would lead (or share
	// the lead) without it.
	rivals [][]int
}

func (a *analysis) sensitivity(wis []float64, post posterior) sensitivity {
	n := len(a.items)
	s := sensitivity{diagnostic: make([]bool, n), linchpin: make([]bool, n), changes: make([]string, n), rivals: make([][]int, n)}
	achLead := argmax(wis)
	pLead := argmax(post.p)
	for i := range a.items {
		s.diagnostic[i] = a.diagnostic(i)
		if !s.diagnostic[i] {
			continue
		}
		var why []string
		var rivals []int
		if l := argmax(a.wis(i)); leaderChanged(achLead, l) {
			why = append(why, "the ACH ranking would lead with "+a.hypList(l)+" instead of "+a.hypList(achLead))
			rivals = append(rivals, l...)
		}
		if l := argmax(a.posterior(i).p); leaderChanged(pLead, l) {
			why = append(why, "the most likely hypothesis would be "+a.hypList(l)+" instead of "+a.hypList(pLead))
			rivals = append(rivals, l...)
		}
		if len(why) > 0 {
			s.linchpin[i] = true
			s.changes[i] = strings.Join(why, "; ")
			for _, j := range rivals {
				if j != pLead[0] && !slices.Contains(s.rivals[i], j) {
					s.rivals[i] = append(s.rivals[i], j)
				}
			}
		}
	}
	return s
}

// hypList names a set of leaders: one id, or the tied ones.
func (a *analysis) hypList(js []int) string {
	ids := make([]string, len(js))
	for x, j := range js {
		ids[x] = a.hyps[j].ID
	}
	if len(ids) == 1 {
		return ids[0]
	}
	if len(ids) == len(a.hyps) {
		return "every hypothesis tied"
	}
	return strings.Join(ids, ", ") + " tied"
}

func (a *analysis) evidenceResults(sens sensitivity) []EvidenceResult {
	out := make([]EvidenceResult, len(a.items))
	for i, e := range a.items {
		er := EvidenceResult{
			ID: e.ID, Class: e.Class.ID, Summary: e.Summary, Admiralty: e.Grade(), Reliability: e.Reliability.String(),
			Credibility: int(e.Credibility), Relevance: e.Relevance.String(), Spoofability: e.Spoof.String(), SpoofabilityReason: e.SpoofReason,
			Level: e.Level.String(), Source: e.Source, Events: e.Events, TLP: e.TLP.String(), Observation: e.Observation,
			Automatic: e.Observation != "", Diagnostic: sens.diagnostic[i], Linchpin: sens.linchpin[i],
			ACHWeight: round4(e.ACHWeight()), Weight: round4(e.Weight()), Ratings: map[string]RatingResult{},
		}
		for j, h := range a.hyps {
			c := a.cells[i][j]
			if c.rating == Unrated {
				continue
			}
			rr := RatingResult{Rating: c.rating.String(), Reason: c.reason, Why: c.why}
			if c.auto != Unrated && c.auto != c.rating {
				rr.Automatic = c.auto.String()
			}
			if c.auto != Unrated && c.auto == c.rating {
				rr.Reason = ""
			}
			er.Ratings[h.ID] = rr
		}
		out[i] = er
	}
	return out
}

func (a *analysis) observationResults() []ObservationResult {
	out := make([]ObservationResult, 0, len(a.obs))
	for _, ob := range a.obs {
		o := ob.obs
		r := ObservationResult{ID: o.ID, IP: o.IP.String(), Port: int(o.Port), Role: o.Role, Country: ob.cc,
			ASN: ob.place.ASN, ASName: ob.place.ASName, Flags: ob.flags.Names(), Feeds: sources(ob.history)}
		if !o.Time.IsZero() {
			r.Time = o.Time.Format(time.RFC3339)
		}
		if len(ob.history) > 0 {
			first, last := ob.history[0].Day, ob.history[0].Day
			for _, f := range ob.history {
				first, last = min(first, f.Day), max(last, f.Day)
			}
			r.FirstSeen = store.DayTime(first).Format(time.DateOnly)
			r.LastSeen = store.DayTime(last).Format(time.DateOnly)
		}
		out = append(out, r)
	}
	return out
}
