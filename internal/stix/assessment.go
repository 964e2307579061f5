package stix

import (
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/assess"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// ExportAssessment writes one assessment as a bundle: the activity assessed
// as an intrusion-set, each competing hypothesis as a threat-actor (an
// operator or responsible party) or an intrusion-set (infrastructure),
// an attributed-to relationship from the activity to each with the
// hypothesis' likelihood as its confidence on the DNI scale, a note per
// hypothesis with its statement, likelihood and status, a note with the
// confidence in the judgement and its reasons, and the observations as
// observed-data. Everything carries the assessment's marking, the
// strictest of its inputs. assessed names when the assessment was made:
// with the title it makes the ids, so exporting it again gives the same
// ones.
func ExportAssessment(out io.Writer, res *assess.Result, agency store.Agency, assessed time.Time) (Summary, error) {
	name := "concord:assessment:" + agency.ID + ":" + Timestamp(assessed) + ":" + res.Title
	sum := Summary{Bundle: ID("bundle", name)}
	w, err := NewWriter(out, sum.Bundle)
	if err != nil {
		return sum, err
	}
	if err := WriteAssessment(w, res, agency, assessed); err != nil {
		return sum, err
	}
	if err := w.Close(); err != nil {
		return sum, err
	}
	sum.Objects, sum.Types, sum.Strictest = w.Objects(), w.Counts(), w.Strictest.String()
	return sum, nil
}

// WriteAssessment writes the objects of ExportAssessment, and the agency's
// identity, to a bundle (or, for TAXII, an envelope) being written.
func WriteAssessment(w *Writer, res *assess.Result, agency store.Agency, assessed time.Time) error {
	tlp, err := event.ParseTLP(res.TLP)
	if err != nil {
		tlp = event.TLPRed // an unreadable marking fails closed
	}
	if _, err := w.Mark(event.TLPClear); err != nil {
		return err
	}
	ident := IdentityOf(agency)
	if err := w.Write("identity", ident); err != nil {
		return err
	}
	mark, err := w.Mark(tlp)
	if err != nil {
		return err
	}
	base := "concord:assessment:" + agency.ID + ":" + Timestamp(assessed) + ":" + res.Title + ":"
	obj := func(typ, name string) Common { return common(typ, base+name, assessed, ident.ID, mark) }

	activity := &IntrusionSet{Common: obj("intrusion-set", "activity"), Name: res.Title,
		Description: "The activity under assessment. Who is behind it is the subject of the attributed-to relationships, one per competing hypothesis."}
	if activity.Name == "" {
		activity.Name = "Assessed activity"
	}
	if err := w.Write("intrusion-set", activity); err != nil {
		return err
	}
	all := []string{activity.ID}
	for _, h := range res.Hypotheses {
		desc := h.Statement
		var target string
		if actorLevel(h) {
			ta := &ThreatActor{Common: obj("threat-actor", "hypothesis:"+h.ID), Name: h.ID, Description: desc}
			if h.Country != "" {
				ta.Labels = []string{"country:" + h.Country}
			}
			if err := w.Write("threat-actor", ta); err != nil {
				return err
			}
			target = ta.ID
		} else {
			is := &IntrusionSet{Common: obj("intrusion-set", "hypothesis:"+h.ID), Name: h.ID, Description: desc}
			if h.Country != "" {
				is.Labels = []string{"country:" + h.Country}
			}
			if err := w.Write("intrusion-set", is); err != nil {
				return err
			}
			target = is.ID
		}
		conf := h.STIXConfidence
		rel := &Relationship{Common: obj("relationship", "attributed-to:"+h.ID), RelationshipType: "attributed-to",
			SourceRef: activity.ID, TargetRef: target,
			Description: fmt.Sprintf("%s: %s (%.0f%%), %s.", h.ID, h.Likelihood.Words, h.Likelihood.Probability*100, h.Status)}
		rel.Confidence = &conf
		if err := w.Write("relationship", rel); err != nil {
			return err
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Hypothesis %s: %s\nLikelihood: %s (%.0f%%), on the DNI scale %d.\nStatus: %s. Attribution level reached: %s (claimed: %s).",
			h.ID, h.Statement, h.Likelihood.Words, h.Likelihood.Probability*100, h.STIXConfidence, h.Status, h.Level, h.ClaimedLevel)
		if h.Kind != "" {
			fmt.Fprintf(&b, "\nKind: %s.", h.Kind)
		}
		if h.Rule != "" {
			fmt.Fprintf(&b, "\nBounded by: %s", h.Rule)
		}
		note := &Note{Common: obj("note", "note:"+h.ID), Abstract: "Competing hypothesis " + h.ID,
			Content: b.String(), Authors: []string{ident.Name}, ObjectRefs: []string{target, rel.ID}}
		if err := w.Write("note", note); err != nil {
			return err
		}
		all = append(all, target, rel.ID)
	}
	for _, o := range res.Observations {
		ids, err := writeObservation(w, o, base, assessed, ident.ID, mark)
		if err != nil {
			return err
		}
		all = append(all, ids...)
	}
	var b strings.Builder
	lead := res.Leading
	if lead == "" {
		lead = "none (" + strings.Join(res.Leaders, ", ") + " share the highest likelihood)"
	}
	fmt.Fprintf(&b, "Leading hypothesis: %s.\nConfidence in the judgement: %s.\n", lead, res.Confidence)
	for _, r := range res.ConfidenceReasons {
		b.WriteString("- " + r + "\n")
	}
	if len(res.Linchpins) > 0 {
		fmt.Fprintf(&b, "Linchpins: %s.\n", strings.Join(res.Linchpins, ", "))
	}
	judgement := &Note{Common: obj("note", "judgement"), Abstract: "Judgement and confidence (ICD 203)",
		Content: strings.TrimSuffix(b.String(), "\n"), Authors: []string{ident.Name}, ObjectRefs: all}
	return w.Write("note", judgement)
}

// actorLevel reports whether a hypothesis names who acted (an operator or
// the party responsible) rather than only infrastructure.
func actorLevel(h assess.HypothesisResult) bool {
	switch h.Kind {
	case "actor", "false-flag":
		return true
	case "compromised-infrastructure", "relay":
		return false
	}
	return h.ClaimedLevel == "operator" || h.ClaimedLevel == "responsible-party"
}

// writeObservation writes an observation's address, its AS and the
// connection as SCOs and an observed-data referring to them, and returns
// the ids a note may refer to.
func writeObservation(w *Writer, o assess.ObservationResult, base string, assessed time.Time, creator, mark string) ([]string, error) {
	ip, err := netip.ParseAddr(o.IP)
	if err != nil {
		return nil, nil // not an address: nothing to observe
	}
	ip = ip.Unmap()
	addr := &Address{SCO: SCO{Type: AddressType(ip), SpecVersion: SpecVersion,
		ID: SCOID(AddressType(ip), map[string]any{"value": ip.String()}), ObjectMarkingRefs: []string{mark}}, Value: ip.String()}
	refs := []string{addr.ID}
	if o.ASN != 0 {
		as := &AutonomousSystem{SCO: SCO{Type: "autonomous-system", SpecVersion: SpecVersion,
			ID: SCOID("autonomous-system", map[string]any{"number": o.ASN}), ObjectMarkingRefs: []string{mark}}, Number: o.ASN, Name: o.ASName}
		if err := w.Write("autonomous-system", as); err != nil {
			return nil, err
		}
		addr.BelongsToRefs = []string{as.ID}
		refs = append(refs, as.ID)
	}
	if err := w.Write(addr.Type, addr); err != nil {
		return nil, err
	}
	first, last := observedTimes(o, assessed)
	if o.Port > 0 {
		port := uint16(o.Port)
		proto := "ipv4"
		if ip.Is6() {
			proto = "ipv6"
		}
		nt := &NetworkTraffic{SCO: SCO{Type: "network-traffic", SpecVersion: SpecVersion, ObjectMarkingRefs: []string{mark}},
			Start: first, DstRef: addr.ID, DstPort: &port, Protocols: []string{proto}}
		nt.ID = SCOID("network-traffic", map[string]any{"start": first, "dst_ref": addr.ID, "dst_port": port, "protocols": nt.Protocols})
		if err := w.Write("network-traffic", nt); err != nil {
			return nil, err
		}
		refs = append(refs, nt.ID)
	}
	od := &ObservedData{Common: common("observed-data", base+"observation:"+o.ID, assessed, creator, mark),
		FirstObserved: first, LastObserved: last, NumberObserved: 1, ObjectRefs: refs, Flags: o.Flags}
	if o.Role != "" {
		od.Labels = []string{o.Role}
	}
	if err := w.Write("observed-data", od); err != nil {
		return nil, err
	}
	return []string{od.ID}, nil
}

// observedTimes returns the first and last time an observation was made,
// from the most precise of its times, or the assessment's time.
func observedTimes(o assess.ObservationResult, assessed time.Time) (first, last string) {
	parse := func(s string) (time.Time, bool) {
		for _, layout := range []string{time.RFC3339Nano, time.DateTime, time.DateOnly} {
			if t, err := time.Parse(layout, s); err == nil {
				return t, true
			}
		}
		return time.Time{}, false
	}
	f, okF := parse(o.FirstSeen)
	l, okL := parse(o.LastSeen)
	if t, ok := parse(o.Time); ok && !okF {
		f, okF = t, true
	}
	if !okF {
		f = assessed
	}
	if !okL || l.Before(f) {
		l = f
	}
	return Timestamp(f), Timestamp(l)
}
