package assess

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the assessment for a reader who is not an analyst:
// what was observed, the judgement, the confidence in it (in its own
// section: ICD 203 forbids putting likelihood and confidence in one
// sentence), what it hangs on, what to do next, then the matrix and how the
// numbers were reached.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	title := r.Title
	if title == "" {
		title = "Attribution assessment"
	}
	fmt.Fprintf(&b, "%s\n%s\n%s\n\n", title, strings.Repeat("=", len([]rune(title))), r.TLP)

	if len(r.Observations) > 0 {
		b.WriteString("WHAT WAS OBSERVED\n")
		for _, o := range r.Observations {
			ep := o.IP
			if o.Port != 0 {
				ep = endpoint(o.IP, o.Port)
			}
			when := o.Time
			if when == "" {
				when = "an unknown time"
			}
			fmt.Fprintf(&b, "  %s  %s at %s (%s)\n", o.ID, ep, when, o.Role)
			place := o.Country
			if place == "" {
				place = "no known country"
			}
			if o.ASN != 0 {
				place += fmt.Sprintf(", AS%d %s", o.ASN, o.ASName)
			}
			fmt.Fprintf(&b, "      where: %s\n", strings.TrimSpace(place))
			if len(o.Flags) > 0 {
				fmt.Fprintf(&b, "      lists: %s\n", strings.Join(o.Flags, ", "))
			}
			if len(o.Feeds) > 0 {
				fmt.Fprintf(&b, "      feeds: %s, %s to %s\n", strings.Join(o.Feeds, ", "), o.FirstSeen, o.LastSeen)
			}
		}
		b.WriteString("\n")
	}

	b.WriteString("JUDGEMENT\n")
	if r.Leading == "" {
		fmt.Fprintf(&b, "  No hypothesis leads: the evidence leaves %s tied.\n", strings.Join(r.Leaders, ", "))
	}
	for _, h := range r.Hypotheses {
		fmt.Fprintf(&b, "  %-28s %s (%.0f %%)%s\n", h.ID, h.Likelihood.Words, h.Likelihood.Probability*100, statusMark(h.Status))
		wrap(&b, h.Statement, "      ")
		if h.Level != h.ClaimedLevel {
			fmt.Fprintf(&b, "      The evidence reaches the %s level, not the %s level it claims.\n", h.Level, h.ClaimedLevel)
		}
		if h.Rule != "" {
			wrap(&b, "Held by a rule: "+h.Rule+".", "      ")
		}
	}
	var refuted, standing []string
	for _, h := range r.Hypotheses {
		if h.Status == "refuted" {
			refuted = append(refuted, h.ID)
		} else {
			standing = append(standing, h.ID)
		}
	}
	fmt.Fprintf(&b, "\n  Still standing: %s.\n", listOrNone(standing))
	fmt.Fprintf(&b, "  Refuted by the evidence: %s.\n\n", listOrNone(refuted))

	b.WriteString("CONFIDENCE\n")
	fmt.Fprintf(&b, "  Analytic confidence: %s.\n", r.Confidence)
	for _, s := range r.ConfidenceReasons {
		wrap(&b, "- "+s, "  ")
	}
	b.WriteString("\n")

	b.WriteString("WHAT THE CONCLUSION HANGS ON\n")
	sum := map[string]string{}
	for _, e := range r.Evidence {
		sum[e.ID] = e.Summary
	}
	if len(r.Linchpins) == 0 {
		b.WriteString("  No single item decides which hypothesis leads.\n")
	}
	for _, id := range r.Linchpins {
		wrap(&b, "Linchpin "+id+": "+sum[id], "  ")
	}
	for _, id := range r.NonDiagnostic {
		wrap(&b, "Not diagnostic "+id+" (fits every hypothesis alike): "+sum[id], "  ")
	}
	b.WriteString("\n")

	if len(r.NextSteps) > 0 {
		b.WriteString("NEXT STEPS\n")
		for i, s := range r.NextSteps {
			wrap(&b, fmt.Sprintf("%d. %s", i+1, s.Text), "  ")
			if q := s.Request; q != nil {
				fmt.Fprintf(&b, "     request: %s to %s", q.Type, q.Addressee)
				if len(q.LegalBasis) > 0 {
					fmt.Fprintf(&b, "; %s", strings.Join(q.LegalBasis, ", "))
				}
				b.WriteString("\n")
			}
		}
		b.WriteString("\n")
	}

	b.WriteString("THE ACH MATRIX\n")
	b.WriteString("  (CC very consistent, C consistent, N neutral, NA not applicable, I inconsistent, II very inconsistent; * the analyst replaced Concord's rating)\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "  item\tgrade\trel.\t")
	for _, h := range r.Hypotheses {
		fmt.Fprintf(tw, "%s\t", h.ID)
	}
	fmt.Fprintln(tw)
	for _, e := range r.Evidence {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t", e.ID, e.Admiralty, e.Relevance)
		for _, h := range r.Hypotheses {
			c := e.Ratings[h.ID]
			mark := c.Rating
			if mark == "" {
				mark = "."
			}
			if c.Automatic != "" {
				mark += "*"
			}
			fmt.Fprintf(tw, "%s\t", mark)
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprint(tw, "  WIS\t\t\t")
	for _, h := range r.Hypotheses {
		fmt.Fprintf(tw, "%.4f\t", h.WIS)
	}
	fmt.Fprintln(tw)
	fmt.Fprint(tw, "  ACH rank\t\t\t")
	for _, h := range r.Hypotheses {
		fmt.Fprintf(tw, "%d\t", h.Rank)
	}
	fmt.Fprintln(tw)
	tw.Flush()
	b.WriteString("\n")

	b.WriteString("EVIDENCE\n")
	for _, e := range r.Evidence {
		wrap(&b, fmt.Sprintf("%s [%s, %s, %s relevance, %s spoofability, up to the %s level]: %s", e.ID, e.Admiralty, e.Class, e.Relevance, e.Spoofability, e.Level, e.Summary), "  ")
		for _, h := range r.Hypotheses {
			if c := e.Ratings[h.ID]; c.Automatic != "" {
				reason := c.Reason
				if reason == "" {
					reason = "no reason given"
				}
				wrap(&b, fmt.Sprintf("%s: the analyst rated %s instead of %s (%s).", h.ID, c.Rating, c.Automatic, reason), "      ")
			}
		}
	}
	b.WriteString("\n")

	b.WriteString("HOW THE NUMBERS WERE REACHED\n")
	for _, s := range r.Explanation {
		wrap(&b, "- "+s, "  ")
	}
	if len(r.Warnings) > 0 {
		b.WriteString("\nWARNINGS\n")
		for _, s := range r.Warnings {
			wrap(&b, "- "+s, "  ")
		}
	}
	b.WriteString("\nCONSULTED\n")
	for _, s := range r.Consulted {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	fmt.Fprintf(&b, "\n%s\n", r.TLP)
	_, err := io.WriteString(w, b.String())
	return err
}

func statusMark(s string) string {
	if s == "refuted" {
		return "  refuted"
	}
	return ""
}

func listOrNone(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

func endpoint(ip string, port int) string {
	if strings.Contains(ip, ":") {
		return fmt.Sprintf("[%s]:%d", ip, port)
	}
	return fmt.Sprintf("%s:%d", ip, port)
}

// wrap writes s folded at 100 columns, each line indented; continuation
// lines are indented two more.
func wrap(b *strings.Builder, s, indent string) {
	const width = 100
	line := indent
	for i, word := range strings.Fields(s) {
		if i > 0 && len([]rune(line))+1+len([]rune(word)) > width {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent + "  "
		} else if i > 0 {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
}
