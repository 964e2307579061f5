package assess

import (
	"context"
	"math"
	"strings"
	"testing"
)

// run parses an input written in the test and assesses it against the
// test background.
func run(t *testing.T, input string) *Result {
	t.Helper()
	return assessBytes(t, "test.json", []byte(input))
}

// assessBytes parses a file's content and assesses it against the test
// background, failing the test on any error.
func assessBytes(t *testing.T, name string, data []byte) *Result {
	t.Helper()
	in, err := ParseInput(name, data)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Assess(context.Background(), in, testBackground())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

func hyp(t *testing.T, r *Result, id string) HypothesisResult {
	t.Helper()
	for _, h := range r.Hypotheses {
		if h.ID == id {
			return h
		}
	}
	t.Fatalf("no hypothesis %q in %+v", id, r.Hypotheses)
	return HypothesisResult{}
}

func item(t *testing.T, r *Result, id string) EvidenceResult {
	t.Helper()
	for _, e := range r.Evidence {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("no evidence %q", id)
	return EvidenceResult{}
}

func near(a, b float64) bool { return math.Abs(a-b) < 5e-5 }

// The ACH arithmetic against values worked out by hand:
//
//	e1 credibility 2 (high, √2) × relevance high (√2) = 2:     h2 I → −2, h3 II → −4
//	e2 credibility 3 (medium, 1) × relevance low (1/√2):       h1 I → −0.7071 (h2 NA left out)
//	e3 credibility 5 (low, 1/√2) × relevance medium (1):       h1 II → −1.4142 (h3 unrated)
//	e4 rated C for all three: non-diagnostic, and adds nothing.
//
// WIS: h1 −2.1213, h2 −2, h3 −4; ranks h2 1, h1 2, h3 3.
func TestACHWeightedInconsistencyByHand(t *testing.T) {
	r := run(t, `{
	 "hypotheses": [{"id":"h1","statement":"one"},{"id":"h2","statement":"two"},{"id":"h3","statement":"three"}],
	 "evidence": [
	  {"id":"e1","class":"ttps","summary":"s","reliability":"B","credibility":2,"relevance":"high"},
	  {"id":"e2","class":"ttps","summary":"s","reliability":"B","credibility":3,"relevance":"low"},
	  {"id":"e3","class":"ttps","summary":"s","reliability":"B","credibility":5,"relevance":"medium"},
	  {"id":"e4","class":"ttps","summary":"s","reliability":"B","credibility":1,"relevance":"high"}],
	 "ratings": {
	  "e1": {"h1":"C","h2":"I","h3":"II"},
	  "e2": {"h1":"I","h2":"NA","h3":"CC"},
	  "e3": {"h1":"II","h2":"N"},
	  "e4": {"h1":"C","h2":"C","h3":"C"}}}`)
	want := map[string]struct {
		wis  float64
		rank int
	}{"h1": {-(1/math.Sqrt2 + math.Sqrt2), 2}, "h2": {-2, 1}, "h3": {-4, 3}}
	for id, w := range want {
		h := hyp(t, r, id)
		if !near(h.WIS, w.wis) || h.Rank != w.rank {
			t.Errorf("%s: WIS %v rank %d, want %.4f rank %d", id, h.WIS, h.Rank, w.wis, w.rank)
		}
	}
	if strings.Join(r.NonDiagnostic, ",") != "e4" {
		t.Errorf("non-diagnostic %v, want [e4]", r.NonDiagnostic)
	}
	// Without e1, h3 ties h2 at 0: e1 alone puts h2 ahead. Without e2 or
	// e3, h1 would lead instead of h2.
	if strings.Join(r.Linchpins, ",") != "e1,e2,e3" {
		t.Errorf("linchpins %v, want [e1 e2 e3]", r.Linchpins)
	}
}

func TestACHRanksTiesTogether(t *testing.T) {
	if got := ranks([]float64{-1, 0, -1, -3}); got[0] != 2 || got[1] != 1 || got[2] != 2 || got[3] != 4 {
		t.Errorf("ranks %v, want [2 1 2 4]", got)
	}
}

// The likelihood model by hand: e1 is graded A1 (credibility weight √2),
// relevance high (√2), provider records (spoofability low, factor 1):
// weight 2. C for h1 adds 2 ln 2, I for h2 subtracts 2 ln 2, so the odds
// are e^(4 ln 2) = 16 to 1: 16/17 = 94 % and 1/17 = 6 %.
func TestLikelihoodByHand(t *testing.T) {
	r := run(t, `{
	 "hypotheses": [{"id":"h1","statement":"one"},{"id":"h2","statement":"two"}],
	 "evidence": [{"id":"e1","class":"provider-records","summary":"s","reliability":"A","credibility":1,"relevance":"high"}],
	 "ratings": {"e1": {"h1":"C","h2":"I"}}}`)
	h1, h2 := hyp(t, r, "h1"), hyp(t, r, "h2")
	if !near(h1.Unbounded, 16.0/17) || h1.Likelihood.Probability != 0.94 || h1.Likelihood.Words != "very likely" || h1.STIXConfidence != 85 {
		t.Errorf("h1 %+v", h1)
	}
	if h2.Likelihood.Probability != 0.06 || h2.Likelihood.Words != "very unlikely" || h2.Status != "refuted" {
		t.Errorf("h2 %+v", h2)
	}
	if !near(item(t, r, "e1").Weight, 2) || !near(h1.Score, 2*math.Ln2) || !near(h2.Score, -2*math.Ln2) {
		t.Errorf("weight or scores: %+v %+v", item(t, r, "e1"), r.Hypotheses)
	}
	if r.Leading != "h1" {
		t.Errorf("leading %q", r.Leading)
	}
}

func TestProbabilitiesStayWithinOneAndNinetyNinePercent(t *testing.T) {
	r := run(t, `{
	 "hypotheses": [{"id":"h1","statement":"one"},{"id":"h2","statement":"two"}],
	 "evidence": [
	  {"id":"e1","class":"provider-records","summary":"s","reliability":"A","credibility":1,"relevance":"high"},
	  {"id":"e2","class":"all-source","summary":"s","reliability":"A","credibility":1,"relevance":"high"},
	  {"id":"e3","class":"infrastructure-registration","summary":"s","reliability":"A","credibility":1,"relevance":"high"}],
	 "ratings": {"e1": {"h1":"CC","h2":"II"}, "e2": {"h1":"CC","h2":"II"}, "e3": {"h1":"CC","h2":"II"}}}`)
	if p := hyp(t, r, "h1").Likelihood; p.Probability != 0.99 || p.Words != "almost certain" {
		t.Errorf("h1 %+v, want 99 %% almost certain", p)
	}
	if p := hyp(t, r, "h2").Likelihood; p.Probability != 0.01 || p.Words != "almost no chance" {
		t.Errorf("h2 %+v, want 1 %% almost no chance", p)
	}
}

// An analyst who rates an address observation as proof of the actor's
// country still gets no more than roughly even chance, at machine level.
func TestIPOnlyEvidenceIsCappedAtRoughlyEvenChanceAndMachineLevel(t *testing.T) {
	r := run(t, `{
	 "observations": [{"id":"o1","ip":"198.51.100.7","port":51544,"time":"2024-03-12T10:00:00Z"}],
	 "evidence": [{"id":"n1","class":"network-source","summary":"the same address in a second victim's logs","reliability":"A","credibility":1,"relevance":"high"}],
	 "ratings": {
	  "o1": {"actor-in-RU": {"rating":"CC","reason":"sure"}, "relay-in-RU": {"rating":"II","reason":"sure"}, "compromised-infra-in-RU": {"rating":"II","reason":"sure"}, "false-flag-RU": {"rating":"II","reason":"sure"}},
	  "n1": {"actor-in-RU":"CC","relay-in-RU":"II","compromised-infra-in-RU":"II","false-flag-RU":"II"}}}`)
	h := hyp(t, r, "actor-in-RU")
	if h.Likelihood.Probability != 0.5 || h.Likelihood.Words != "roughly even chance" || h.Rule == "" {
		t.Errorf("actor-in-RU %+v: want 50 %%, roughly even chance, held by the rule", h)
	}
	if h.Unbounded < 0.9 {
		t.Errorf("the ratings should have pushed actor-in-RU far above the cap before the rule; got %v", h.Unbounded)
	}
	if h.Level != "machine" || h.ClaimedLevel != "operator" {
		t.Errorf("actor-in-RU level %q (claimed %q), want machine", h.Level, h.ClaimedLevel)
	}
	if r.Confidence != "low" {
		t.Errorf("confidence %q, want low", r.Confidence)
	}
	sum := 0.0
	for _, h := range r.Hypotheses {
		sum += h.Likelihood.Probability
	}
	if math.Abs(sum-1) > 0.03 {
		t.Errorf("probabilities sum to %v", sum)
	}
}

// Evidence of another kind lifts the cap: the rule limits what addresses
// add, not what other evidence shows.
func TestOtherEvidenceCanLiftActorAboveTheCap(t *testing.T) {
	r := run(t, `{
	 "observations": [{"id":"o1","ip":"198.51.100.7","port":51544,"time":"2024-03-12T10:00:00Z"}],
	 "evidence": [{"id":"e1","class":"provider-records","summary":"subscriber record and seized laptop","reliability":"A","credibility":1,"relevance":"high"}],
	 "ratings": {"e1": {"actor-in-RU":"CC","relay-in-RU":"II","compromised-infra-in-RU":"II","false-flag-RU":"II"}}}`)
	h := hyp(t, r, "actor-in-RU")
	if h.Likelihood.Probability <= 0.55 || h.Rule != "" || h.Level != "operator" {
		t.Errorf("actor-in-RU %+v: provider records should carry it above the cap to the operator level", h)
	}
}

func TestRelayFlagMakesTheObservationNeutralBetweenActorAndRelay(t *testing.T) {
	r := run(t, `{"observations": [{"id":"o1","ip":"203.0.113.5","port":41822,"time":"2024-03-12T02:14:09Z"}]}`)
	o1 := item(t, r, "o1")
	if a, b := o1.Ratings["actor-in-DE"].Rating, o1.Ratings["relay-in-DE"].Rating; a != b || a != "N" {
		t.Errorf("o1 rated %q for actor-in-DE and %q for relay-in-DE; a Tor exit makes both neutral", a, b)
	}
	tor := item(t, r, "o1-tor-exit")
	if tor.Ratings["relay-in-DE"].Rating != "CC" || tor.Ratings["actor-in-DE"].Rating != "I" || tor.Admiralty != "A2" {
		t.Errorf("o1-tor-exit %+v", tor)
	}
	if actor, relay := hyp(t, r, "actor-in-DE"), hyp(t, r, "relay-in-DE"); actor.Likelihood.Probability >= relay.Likelihood.Probability || r.Leading != "relay-in-DE" {
		t.Errorf("actor %+v relay %+v leading %q", actor.Likelihood, relay.Likelihood, r.Leading)
	}
	// Without the flag the same address fits every explanation alike.
	plain := run(t, `{"observations": [{"id":"o1","ip":"198.51.100.7","port":51544,"time":"2024-03-12T10:00:00Z"}]}`)
	if o1 := item(t, plain, "o1"); o1.Ratings["actor-in-RU"].Rating != o1.Ratings["relay-in-RU"].Rating || o1.Diagnostic {
		t.Errorf("unflagged o1 %+v should be non-diagnostic", o1)
	}
	if plain.Leading != "" || len(plain.Leaders) != 4 {
		t.Errorf("an address alone should leave all four explanations tied, got leading %q leaders %v", plain.Leading, plain.Leaders)
	}
}

func TestOneForgeableArtefactCannotEliminateTheFalseFlag(t *testing.T) {
	const base = `{
	 "hypotheses": [
	  {"id":"actor-in-KP","statement":"Lazarus did it","kind":"actor","country":"KP"},
	  {"id":"false-flag-KP","statement":"someone framed KP","kind":"false-flag","country":"KP"},
	  {"id":"h3","statement":"a criminal group did it"}],
	 "evidence": [{"id":"e1","class":"build-artefacts","summary":"Rich header of a Lazarus sample","reliability":"A","credibility":1,"relevance":"high"%s}],
	 "ratings": {"e1": {"actor-in-KP":"CC","false-flag-KP":"II","h3":"II"}}}`
	r := run(t, strings.Replace(base, "%s", "", 1))
	ff := hyp(t, r, "false-flag-KP")
	if ff.Status != "standing" || ff.Likelihood.Probability < 0.20 || ff.Rule == "" {
		t.Errorf("false-flag-KP %+v: one forgeable artefact must leave it standing", ff)
	}
	if ff.Unbounded >= 0.2 {
		t.Errorf("the ratings alone should have pushed false-flag-KP down, got %v", ff.Unbounded)
	}
	var check bool
	for _, s := range r.NextSteps {
		check = check || (strings.Contains(s.Text, "checked for forgery") && strings.Join(s.Evidence, ",") == "e1")
	}
	if !check {
		t.Errorf("next steps %+v should ask for e1 to be checked for forgery", r.NextSteps)
	}
	// Once forgery checks make the artefact hard to fake, it may count fully.
	checked := run(t, strings.Replace(base, "%s", `,"spoofability":"low","spoofability_reason":"the Rich header matches the linker that built the code"`, 1))
	if ff := hyp(t, checked, "false-flag-KP"); ff.Status != "refuted" || ff.Rule != "" {
		t.Errorf("false-flag-KP after forgery checks %+v: want refuted, no rule", ff)
	}
}

func TestConfidenceIsLowWhileALinchpinIsUncorroborated(t *testing.T) {
	const strong = `{
	 "observations": [{"id":"o1","ip":"192.0.2.90","port":22,"time":"2024-03-12T03:12:45Z"}],
	 "evidence": [
	  {"id":"e1","class":"provider-records","summary":"s","reliability":"A","credibility":2,"relevance":"high","source":"MLA"},
	  {"id":"e2","class":"infrastructure-registration","summary":"s","reliability":"B","credibility":2,"relevance":"medium","source":"registrar"},
	  {"id":"e3","class":"victimology","summary":"s","reliability":"B","credibility":2,"relevance":"low","source":"CERT"}%s],
	 "ratings": {"e1": {"actor-in-CN":"CC","compromised-infra-in-CN":"II","relay-in-CN":"II","false-flag-CN":"II"},
	             "e2": {"actor-in-CN":"N","compromised-infra-in-CN":"N","relay-in-CN":"C","false-flag-CN":"N"},
	             "e3": {"actor-in-CN":"N","compromised-infra-in-CN":"C","relay-in-CN":"N","false-flag-CN":"N"}%s}}`
	r := run(t, strings.Replace(strings.Replace(strong, "%s", "", 1), "%s", "", 1))
	if strings.Join(r.Linchpins, ",") != "e1" || r.Confidence != "low" {
		t.Fatalf("linchpins %v confidence %q: e1 decides alone, so confidence must be low", r.Linchpins, r.Confidence)
	}
	found := false
	for _, s := range r.ConfidenceReasons {
		found = found || strings.Contains(s, "hangs on e1")
	}
	if !found {
		t.Errorf("reasons %v should name the uncorroborated linchpin", r.ConfidenceReasons)
	}
	// An independent item of another class pointing the same way
	// corroborates it.
	r = run(t, strings.Replace(strings.Replace(strong, "%s",
		`,{"id":"e4","class":"ttps","summary":"s","reliability":"B","credibility":2,"relevance":"high","source":"vendor"}`, 1),
		"%s", `,"e4": {"actor-in-CN":"C","compromised-infra-in-CN":"I","relay-in-CN":"N","false-flag-CN":"N"}`, 1))
	for _, s := range r.ConfidenceReasons {
		if strings.Contains(s, "hangs on e1") {
			t.Errorf("e4 corroborates e1, but the reasons still say %q", s)
		}
	}
	if r.Confidence == "low" {
		t.Errorf("confidence %q with a corroborated linchpin and %v", r.Confidence, r.ConfidenceReasons)
	}
}

func TestGeneratedHypothesesHaveStableIDs(t *testing.T) {
	r := run(t, `{"observations": [
	  {"ip":"198.51.100.7","port":1,"time":"2024-03-12T10:00:00Z"},
	  {"ip":"192.0.2.90","port":2,"time":"2024-03-12T10:00:00Z"},
	  {"ip":"198.51.100.20","port":3,"time":"2024-03-12T10:00:00Z"}],
	 "hypotheses": [{"id":"actor-in-CN","statement":"the analyst's own wording","kind":"actor","country":"CN","level":"responsible-party"}]}`)
	var ids []string
	for _, e := range r.Evidence {
		if e.Observation == e.ID {
			ids = append(ids, e.ID)
		}
	}
	if strings.Join(ids, ",") != "o1,o2,o3" {
		t.Errorf("observation items %v, want o1,o2,o3", ids)
	}
	want := []string{"actor-in-CN", "actor-in-RU", "compromised-infra-in-RU", "relay-in-RU", "false-flag-RU", "compromised-infra-in-CN", "relay-in-CN", "false-flag-CN"}
	for _, id := range want {
		h := hyp(t, r, id)
		if id == "actor-in-CN" {
			if h.Generated || h.Statement != "the analyst's own wording" {
				t.Errorf("the analyst's hypothesis was replaced: %+v", h)
			}
			continue
		}
		if !h.Generated {
			t.Errorf("%s not marked generated", id)
		}
	}
	if len(r.Hypotheses) != len(want) {
		t.Errorf("%d hypotheses, want %d", len(r.Hypotheses), len(want))
	}
}

func TestAssessRejectsUnknownIDsInRatings(t *testing.T) {
	in, err := ParseInput("x.json", []byte(`{"observations":[{"ip":"198.51.100.7","time":"2024-03-12T10:00:00Z"}],"ratings":{"o9":{"actor-in-RU":"C"},"o1":{"actor-in-XX":"C"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Assess(context.Background(), in, testBackground())
	if err == nil || !strings.Contains(err.Error(), "ratings.o9") || !strings.Contains(err.Error(), "ratings.o1.actor-in-XX") {
		t.Errorf("error %v should name both unknown ids", err)
	}
}

func TestAssessNeedsTwoHypotheses(t *testing.T) {
	in, err := ParseInput("x.json", []byte(`{"evidence":[{"id":"e1","class":"ttps","summary":"s","reliability":"B","credibility":2}],"hypotheses":[{"id":"h1","statement":"s"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Assess(context.Background(), in, testBackground()); err == nil || !strings.Contains(err.Error(), "at least two") {
		t.Errorf("error %v", err)
	}
}

func TestItemsTakeTheStrictestMarkingOfTheEventsTheyCite(t *testing.T) {
	r := run(t, `{"tlp":"TLP:GREEN",
	 "hypotheses": [{"id":"h1","statement":"one"},{"id":"h2","statement":"two"}],
	 "evidence": [
	  {"id":"e1","class":"ttps","summary":"s","reliability":"B","credibility":2,"events":["0000662f0f2a0123456789abcdef0123"]},
	  {"id":"e2","class":"ttps","summary":"s","reliability":"B","credibility":2,"events":["0000662f0f2a00000000000000000000","0000662f0f2affffffffffffffffffff"]}],
	 "ratings": {"e1": {"h1":"C","h2":"I"}}}`)
	if e1 := item(t, r, "e1"); e1.TLP != "TLP:RED" {
		t.Errorf("e1 cites a TLP:RED event but is marked %s", e1.TLP)
	}
	if e2 := item(t, r, "e2"); e2.TLP != "TLP:GREEN" {
		t.Errorf("e2 %s", e2.TLP)
	}
	if r.TLP != "TLP:RED" {
		t.Errorf("the assessment is marked %s; it derives from a TLP:RED event", r.TLP)
	}
	w := strings.Join(r.Warnings, "\n")
	if !strings.Contains(w, "e2 cites event 0000662f0f2affffffffffffffffffff, which the database does not hold") || !strings.Contains(w, "takes the stricter marking") {
		t.Errorf("warnings %v", r.Warnings)
	}
}
