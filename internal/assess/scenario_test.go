package assess

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/golden"
)

// scenarios are the realistic cases of testdata/scenarios: an address
// alone, a Tor exit, a botnet zombie, rich corroborated evidence, a forged
// build artefact in the manner of Olympic Destroyer, conflicting sources,
// and an analyst who over-reads an address.
func scenarios(t *testing.T) map[string]*Result {
	t.Helper()
	files, err := filepath.Glob("testdata/scenarios/*")
	if err != nil || len(files) < 7 {
		t.Fatalf("scenarios: %v %v", files, err)
	}
	out := map[string]*Result{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))] = assessBytes(t, f, data)
	}
	return out
}

func TestScenariosMatchGolden(t *testing.T) {
	for name, r := range scenarios(t) {
		t.Run(name, func(t *testing.T) {
			js, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, "testdata/golden/"+name+".json", append(js, '\n'))
			var txt bytes.Buffer
			if err := r.WriteText(&txt); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, "testdata/golden/"+name+".txt", txt.Bytes())
		})
	}
}

// TestScenarioJudgements pins what each scenario is for, so a change to the
// model that keeps the goldens consistent but turns a judgement around is
// seen for what it is.
func TestScenarioJudgements(t *testing.T) {
	rs := scenarios(t)
	check := func(name, id, words, status string) {
		t.Helper()
		h := hyp(t, rs[name], id)
		if h.Likelihood.Words != words || h.Status != status {
			t.Errorf("%s: %s is %q (%s), want %q (%s)", name, id, h.Likelihood.Words, h.Status, words, status)
		}
	}
	check("ip-only", "actor-in-RU", "unlikely", "standing")
	check("ip-only-override", "actor-in-RU", "roughly even chance", "standing")
	check("tor-exit", "relay-in-DE", "very likely", "standing")
	check("tor-exit", "actor-in-DE", "almost no chance", "refuted")
	check("botnet-zombie", "compromised-infra-in-BR", "likely", "standing")
	check("botnet-zombie", "actor-in-BR", "almost no chance", "refuted")
	check("rich-corroborated", "actor-in-CN", "almost certain", "standing")
	check("rich-corroborated", "relay-in-CN", "almost no chance", "refuted")
	check("forged-build-artefact", "false-flag-KP", "very unlikely", "standing")
	for name, want := range map[string]string{"ip-only": "low", "ip-only-override": "low", "tor-exit": "low", "botnet-zombie": "low",
		"rich-corroborated": "high", "forged-build-artefact": "low", "conflicting-sources": "low"} {
		if got := rs[name].Confidence; got != want {
			t.Errorf("%s: confidence %s, want %s: %v", name, got, want, rs[name].ConfidenceReasons)
		}
	}
	if l := rs["conflicting-sources"].Linchpins; len(l) == 0 {
		t.Error("conflicting-sources: the disagreeing sources should be linchpins")
	}
}

var (
	sentenceEnd = regexp.MustCompile(`[.;:!?](\s|$)`)
	icdWords    = regexp.MustCompile(`almost no chance|very unlikely|unlikely|roughly even chance|likely|almost certain`)
)

// ICD 203: likelihood and confidence never share a sentence.
func TestTextKeepsLikelihoodAndConfidenceApart(t *testing.T) {
	for name, r := range scenarios(t) {
		var b bytes.Buffer
		if err := r.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		// Unfold wrapped lines into paragraphs, then split sentences.
		for _, para := range strings.Split(b.String(), "\n") {
			for _, s := range sentenceEnd.Split(para, -1) {
				if strings.Contains(strings.ToLower(s), "confidence") && icdWords.MatchString(s) {
					t.Errorf("%s: likelihood and confidence in one sentence: %q", name, s)
				}
			}
		}
		for _, s := range r.ConfidenceReasons {
			if icdWords.MatchString(s) {
				t.Errorf("%s: a confidence reason uses likelihood words: %q", name, s)
			}
		}
	}
}
