package assess

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/concord-cert/concord/internal/stats"
)

//go:embed assessment.html.tmpl
var assessmentTemplate string

var assessmentTmpl = template.Must(template.New("assessment").Funcs(template.FuncMap{
	"pct":      htmlPercent,
	"num":      htmlNumber,
	"country":  htmlCountry,
	"join":     strings.Join,
	"endpoint": htmlEndpoint,
}).Parse(assessmentTemplate))

// htmlTLPStyles are the TLP 2.0 label colours (shown on black) and what each
// label allows, from FIRST's TLP 2.0 definitions.
var htmlTLPStyles = map[string]struct{ class, meaning string }{
	"TLP:RED":          {"tlp-red", "For the eyes and ears of individual recipients only, no further disclosure."},
	"TLP:AMBER+STRICT": {"tlp-amber", "Limited disclosure: recipients may share it only within their own organisation, on a need-to-know basis."},
	"TLP:AMBER":        {"tlp-amber", "Limited disclosure: recipients may share it only within their organisation and its clients, on a need-to-know basis."},
	"TLP:GREEN":        {"tlp-green", "Limited disclosure: recipients may share it within their community, not publicly."},
	"TLP:CLEAR":        {"tlp-clear", "Recipients may share it with the world; there is no limit on disclosure."},
}

// htmlRatingClasses are the matrix cells' CSS classes by rating symbol.
var htmlRatingClasses = map[string]string{"CC": "r-cc", "C": "r-c", "N": "r-n", "NA": "r-na", "I": "r-i", "II": "r-ii"}

// htmlView is what the template renders: the result, and the matrix and
// evidence laid out so the template needs no lookups.
type htmlView struct {
	*Result
	TLPLabel, TLPClass, TLPMeaning string
	Columns                        []htmlColumn
	Rows                           []htmlRow
	Overrides                      []htmlOverride
	Items                          []htmlItem
	// LinchpinItems and NonDiagItems are the ids of Result.Linchpins and
	// Result.NonDiagnostic with their items' summaries.
	LinchpinItems, NonDiagItems []htmlRef
}

type htmlColumn struct {
	ID, Statement, Status string
	WIS                   float64
	Rank                  int
	Likelihood            Likelihood
}

type htmlRow struct {
	EvidenceResult
	Cells []htmlCell
}

type htmlCell struct {
	Rating, Class, Title string
	Override             bool
}

type htmlOverride struct {
	Evidence, Hypothesis, Rating, Automatic, Reason string
}

type htmlRef struct{ ID, Summary string }

// htmlItem is an evidence item with its grades in words and its ratings
// grouped, so a printed page shows what the matrix cells' titles hold.
type htmlItem struct {
	EvidenceResult
	ClassName, ReliabilityMeaning, CredibilityMeaning string
	Groups                                            []htmlRatingGroup
}

type htmlRatingGroup struct {
	Rating, Words, Hypotheses, Why, Automatic, Reason string
}

// WriteHTML renders the assessment as one self-contained page for an
// investigator or analyst to read and print: the TLP marking, the
// judgement, the confidence (kept apart from the likelihood words, as ICD
// 203 requires), what the conclusion hangs on, the next steps with their
// request drafts, the ACH matrix, the evidence, the observations and how
// the numbers were reached. The page has no scripts and loads nothing.
func (r *Result) WriteHTML(w io.Writer) error {
	if err := assessmentTmpl.Execute(w, r.htmlView()); err != nil {
		return fmt.Errorf("assess: write HTML: %w", err)
	}
	return nil
}

func (r *Result) htmlView() *htmlView {
	v := &htmlView{Result: r, TLPLabel: r.TLP, TLPClass: "tlp-red"}
	if s, ok := htmlTLPStyles[strings.ToUpper(r.TLP)]; ok {
		v.TLPClass, v.TLPMeaning = s.class, s.meaning
	}
	if v.TLPLabel == "" {
		// Unmarked is not the same as clear: show it in the strictest colour.
		v.TLPLabel = "TLP: not marked"
	}
	for _, h := range r.Hypotheses {
		v.Columns = append(v.Columns, htmlColumn{ID: h.ID, Statement: h.Statement, Status: h.Status, WIS: h.WIS, Rank: h.Rank, Likelihood: h.Likelihood})
	}
	summaries := map[string]string{}
	for _, e := range r.Evidence {
		summaries[e.ID] = e.Summary
		row := htmlRow{EvidenceResult: e}
		for _, h := range r.Hypotheses {
			rr, ok := e.Ratings[h.ID]
			if !ok {
				row.Cells = append(row.Cells, htmlCell{Class: "r-none", Title: e.ID + " × " + h.ID + ": unrated"})
				continue
			}
			row.Cells = append(row.Cells, htmlCell{Rating: rr.Rating, Class: htmlRatingClasses[rr.Rating], Title: htmlCellTitle(e.ID, h.ID, rr), Override: rr.Automatic != ""})
			if rr.Automatic != "" {
				v.Overrides = append(v.Overrides, htmlOverride{Evidence: e.ID, Hypothesis: h.ID, Rating: rr.Rating, Automatic: rr.Automatic, Reason: rr.Reason})
			}
		}
		v.Rows = append(v.Rows, row)
		v.Items = append(v.Items, r.htmlItem(e))
	}
	for _, id := range r.Linchpins {
		v.LinchpinItems = append(v.LinchpinItems, htmlRef{ID: id, Summary: summaries[id]})
	}
	for _, id := range r.NonDiagnostic {
		v.NonDiagItems = append(v.NonDiagItems, htmlRef{ID: id, Summary: summaries[id]})
	}
	return v
}

// htmlCellTitle is the tooltip of a matrix cell: the rating in words, why
// Concord rated it so, and the analyst's change.
func htmlCellTitle(eid, hid string, rr RatingResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s × %s: %s (%s)", eid, hid, rr.Rating, htmlRatingWords(rr.Rating))
	if rr.Automatic != "" {
		fmt.Fprintf(&b, ". The analyst replaced Concord's rating %s (%s)", rr.Automatic, htmlRatingWords(rr.Automatic))
		if rr.Reason != "" {
			b.WriteString(": " + rr.Reason)
		} else {
			b.WriteString(" without giving a reason")
		}
	} else if rr.Reason != "" {
		b.WriteString(". Analyst: " + rr.Reason)
	}
	if rr.Why != "" {
		b.WriteString(". Concord's reason: " + rr.Why)
	}
	return b.String()
}

func htmlRatingWords(symbol string) string {
	r, err := ParseRating(symbol)
	if err != nil {
		return symbol
	}
	return r.Words()
}

func (r *Result) htmlItem(e EvidenceResult) htmlItem {
	it := htmlItem{EvidenceResult: e, ClassName: e.Class}
	if c, ok := ClassByID(e.Class); ok {
		it.ClassName = c.Name
	}
	if rel, err := ParseReliability(e.Reliability); err == nil {
		it.ReliabilityMeaning = rel.Meaning()
	}
	it.CredibilityMeaning = Credibility(e.Credibility).Meaning()
	// Cells that say the same thing for the same reason are written once.
	index := map[htmlRatingGroup]int{}
	var hyps [][]string
	for _, h := range r.Hypotheses {
		rr, ok := e.Ratings[h.ID]
		if !ok {
			continue
		}
		g := htmlRatingGroup{Rating: rr.Rating, Words: htmlRatingWords(rr.Rating), Why: rr.Why, Automatic: rr.Automatic, Reason: rr.Reason}
		n, ok := index[g]
		if !ok {
			n = len(it.Groups)
			index[g] = n
			it.Groups = append(it.Groups, g)
			hyps = append(hyps, nil)
		}
		hyps[n] = append(hyps[n], h.ID)
	}
	for n := range it.Groups {
		it.Groups[n].Hypotheses = strings.Join(hyps[n], ", ")
	}
	return it
}

// htmlPercent writes a probability as whole percent, e.g. "25 %".
func htmlPercent(p float64) string { return fmt.Sprintf("%.0f %%", p*100) }

// htmlNumber writes a weight or score as the JSON form has it, with a true
// minus sign.
func htmlNumber(x float64) string {
	if x < 0 {
		return "−" + strconv.FormatFloat(math.Abs(x), 'f', -1, 64)
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// htmlCountry names a country with its code, e.g. "Russia (RU)".
func htmlCountry(cc string) string {
	if cc == "" {
		return ""
	}
	if name := stats.CountryName(cc); name != "" {
		return name + " (" + cc + ")"
	}
	return cc
}

// htmlEndpoint writes an address with its port, bracketing IPv6.
func htmlEndpoint(ip string, port int) string {
	if port == 0 {
		return ip
	}
	if a, err := netip.ParseAddr(ip); err == nil {
		return netip.AddrPortFrom(a, uint16(port)).String()
	}
	return ip + ":" + strconv.Itoa(port)
}
