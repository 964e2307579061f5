package assess

import (
	"bytes"
	"html"
	"os"
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/golden"
)

// overrideInput has analyst evidence next to an observation of a Tor exit,
// and an analyst rating that replaces one of Concord's.
const overrideInput = `{
  "title": "Ransomware staged through a Tor exit in Germany",
  "tlp": "amber",
  "observations": [
    {"id": "o1", "ip": "203.0.113.5", "port": 443, "time": "2024-03-12T10:00:00Z", "role": "c2-server"}
  ],
  "evidence": [
    {"id": "e1", "class": "malware-code-similarity", "summary": "The loader shares its string decryption routine with samples a partner CERT attributes to a German-speaking group.",
     "reliability": "B", "credibility": 2, "relevance": "high", "source": "partner CERT", "tlp": "red",
     "events": ["9f2c01aa5e7d4b3c8a1f0e6d2b4c7a91"]}
  ],
  "ratings": {
    "e1": {"actor-in-DE": "I", "relay-in-DE": "C"},
    "o1": {"actor-in-DE": {"rating": "C", "reason": "the exit relay is run by a suspect's associate"}}
  }
}`

// manyCountriesInput puts four addresses in four countries, so the matrix
// has sixteen hypothesis columns.
const manyCountriesInput = `{
  "title": "Intrusion at a hospital: four source addresses",
  "observations": [
    {"id": "o1", "ip": "198.51.100.7", "port": 51544, "time": "2024-03-12T10:00:00Z", "role": "attack-source"},
    {"id": "o2", "ip": "203.0.113.5", "port": 9001, "time": "2024-03-12T10:05:00Z", "role": "attack-source"},
    {"id": "o3", "ip": "203.0.113.80", "time": "2024-03-12T11:00:00Z", "role": "exfiltration"},
    {"id": "o4", "ip": "192.0.2.44", "port": 8443, "role": "c2-server"}
  ],
  "evidence": [
    {"id": "e1", "class": "build-artefacts", "summary": "Compile times cluster in 09:00–17:00 UTC+9 working hours.", "reliability": "C", "credibility": 3, "relevance": "medium"},
    {"id": "e2", "class": "infrastructure-reuse", "summary": "The C2 certificate was reused from an earlier campaign.", "reliability": "B", "credibility": 2, "relevance": "high", "source": "vendor report"}
  ],
  "ratings": {
    "e1": {"actor-in-KP": "C", "actor-in-RU": "I", "actor-in-DE": "I", "actor-in-BR": "I", "false-flag-KP": "C"},
    "e2": {"actor-in-KP": "CC", "actor-in-RU": "II", "relay-in-DE": "NA", "false-flag-KP": "N"}
  }
}`

func assessHTML(t *testing.T, name string, data []byte) (*Result, string) {
	t.Helper()
	r := assessBytes(t, name, data)
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	return r, b.String()
}

type htmlCase struct {
	name string
	data []byte
}

func htmlCases(t *testing.T) []htmlCase {
	ipOnly, err := os.ReadFile("testdata/scenarios/ip-only.json")
	if err != nil {
		t.Fatal(err)
	}
	return []htmlCase{
		{"ip-only", ipOnly},
		{"analyst-override", []byte(overrideInput)},
		{"many-countries", []byte(manyCountriesInput)},
	}
}

func TestWriteHTMLMatchesGolden(t *testing.T) {
	for _, c := range htmlCases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, got := assessHTML(t, c.name+".json", c.data)
			golden.Check(t, "testdata/golden/"+c.name+".html", []byte(got))
		})
	}
}

func TestWriteHTMLIsSelfContained(t *testing.T) {
	for _, c := range htmlCases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, got := assessHTML(t, c.name+".json", c.data)
			lower := strings.ToLower(got)
			for _, banned := range []string{"<script", "javascript:", " on", "<link", "<img", "<iframe", "src=", "href=", "@import", "url("} {
				if banned == " on" {
					// Event-handler attributes: " onload=", " onclick=" …
					for _, attr := range []string{" onload=", " onclick=", " onerror=", " onmouseover="} {
						if strings.Contains(lower, attr) {
							t.Errorf("page has an event handler %q", attr)
						}
					}
					continue
				}
				if strings.Contains(lower, banned) {
					t.Errorf("page contains %q", banned)
				}
			}
		})
	}
}

func TestWriteHTMLIsBalanced(t *testing.T) {
	for _, c := range htmlCases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, got := assessHTML(t, c.name+".json", c.data)
			for _, tag := range []string{"section", "table", "thead", "tbody", "tfoot", "tr", "ul", "ol", "dl", "article", "div", "p", "li"} {
				open := strings.Count(got, "<"+tag+">") + strings.Count(got, "<"+tag+" ")
				if shut := strings.Count(got, "</"+tag+">"); open != shut {
					t.Errorf("<%s> opened %d times, closed %d times", tag, open, shut)
				}
			}
			if !strings.HasPrefix(got, "<!DOCTYPE html>") || !strings.HasSuffix(got, "</html>\n") {
				t.Error("page is not one complete HTML document")
			}
		})
	}
}

func TestWriteHTMLHasAColumnPerHypothesis(t *testing.T) {
	for _, c := range htmlCases(t) {
		t.Run(c.name, func(t *testing.T) {
			r, got := assessHTML(t, c.name+".json", c.data)
			for _, h := range r.Hypotheses {
				if !strings.Contains(got, "<span>"+h.ID+"</span></th>") {
					t.Errorf("no matrix column for %s", h.ID)
				}
			}
			if c.name == "many-countries" && len(r.Hypotheses) != 16 {
				t.Errorf("%d hypotheses, want 16", len(r.Hypotheses))
			}
		})
	}
}

// ICD 203: likelihood words and confidence never share a sentence, a row or
// a heading, so each has its own section.
func TestWriteHTMLKeepsLikelihoodApartFromConfidence(t *testing.T) {
	for _, c := range htmlCases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, got := assessHTML(t, c.name+".json", c.data)
			confidence := section(t, got, "confidence")
			for _, b := range bands {
				if strings.Contains(confidence, b.words) {
					t.Errorf("the confidence section uses the likelihood words %q", b.words)
				}
			}
			for _, id := range []string{"judgement", "matrix"} {
				if s := section(t, got, id); strings.Contains(strings.ToLower(s), "confidence") {
					t.Errorf("the %s section mentions confidence", id)
				}
			}
		})
	}
}

// section returns the <section> whose heading has the given id.
func section(t *testing.T, page, id string) string {
	t.Helper()
	start := strings.Index(page, `<section aria-labelledby="`+id+`">`)
	if start < 0 {
		t.Fatalf("no section %q", id)
	}
	end := strings.Index(page[start:], "</section>")
	return page[start : start+end]
}

func TestWriteHTMLEscapesText(t *testing.T) {
	in := strings.Replace(overrideInput, "Ransomware staged through a Tor exit in Germany", `<b>& \"x\"`, 1)
	_, got := assessHTML(t, "escape.json", []byte(in))
	if strings.Contains(got, "<b>&") {
		t.Error("the title is not escaped")
	}
	if !strings.Contains(got, "<h1>&lt;b&gt;&amp; &#34;x&#34;</h1>") {
		t.Error("the escaped title is missing from the heading")
	}
}

func TestWriteHTMLMarksTLP(t *testing.T) {
	for _, c := range []struct {
		tlp, label, class string
	}{
		{"clear", "TLP:CLEAR", "tlp-clear"},
		{"green", "TLP:GREEN", "tlp-green"},
		{"amber", "TLP:AMBER", "tlp-amber"},
		{"amber+strict", "TLP:AMBER+STRICT", "tlp-amber"},
		{"red", "TLP:RED", "tlp-red"},
	} {
		t.Run(c.tlp, func(t *testing.T) {
			in := `{"title":"t","tlp":"` + c.tlp + `","observations":[{"id":"o1","ip":"198.51.100.7","port":1,"time":"2024-03-12T10:00:00Z"}]}`
			_, got := assessHTML(t, "tlp.json", []byte(in))
			if n := strings.Count(got, `<p class="tlp `+c.class+`">`); n != 2 {
				t.Errorf("%d %s markings, want one at the top and one at the bottom", n, c.class)
			}
			// html/template writes "+" as "&#43;"; the reader sees the label.
			if n := strings.Count(html.UnescapeString(got), "<strong>"+c.label+"</strong>"); n != 2 {
				t.Errorf("%d %s labels, want 2", n, c.label)
			}
		})
	}
}

func TestWriteHTMLMarksOverrides(t *testing.T) {
	_, got := assessHTML(t, "override.json", []byte(overrideInput))
	for _, want := range []string{
		`<td class="m r-c ov" title="o1 × actor-in-DE: C (consistent). The analyst replaced Concord&#39;s rating N (neutral): the exit relay is run by a suspect&#39;s associate. Concord&#39;s reason: `,
		`<span class="id">o1 × actor-in-DE</span>: C instead of Concord's N; reason: the exit relay is run by a suspect&#39;s associate`,
		`<td class="m r-i" title="e1 × actor-in-DE: I (inconsistent)">I</td>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}
