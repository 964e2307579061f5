package assess

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/concord-cert/concord/internal/event"
)

// direction says whether item i favours hypothesis x over y (> 0), y over x
// (< 0), or neither, in the likelihood model's terms.
func (a *analysis) direction(i, x, y int) float64 {
	value := func(j int) float64 {
		if r := a.cells[i][j].rating; r.Counted() {
			return r.Support()
		}
		return 0
	}
	return value(x) - value(y)
}

// corroborated reports whether linchpin i is backed by an independent
// source: it is graded credibility 1, or, against every hypothesis that
// would lead without it, another diagnostic item of another class and
// another source favours the leader as it does.
func (a *analysis) corroborated(i, lead, second int, sens sensitivity) bool {
	if a.items[i].Credibility == 1 {
		return true
	}
	rivals := sens.rivals[i]
	if len(rivals) == 0 {
		rivals = []int{second}
	}
	for _, r := range rivals {
		d := a.direction(i, lead, r)
		if d == 0 {
			return false
		}
		backed := false
		for f := range a.items {
			if f == i || !sens.diagnostic[f] || a.items[f].Class.ID == a.items[i].Class.ID || a.items[f].sourceKey() == a.items[i].sourceKey() {
				continue
			}
			backed = backed || a.direction(f, lead, r)*d > 0
		}
		if !backed {
			return false
		}
	}
	return true
}

// confidence judges how much the leading judgement can be trusted, from the
// quality and corroboration of the evidence, the assumptions it needs and
// the strength of the inference (ICD 203). It starts at high and each
// weakness lowers it; every weakness is a reason. The reasons never use
// likelihood words: ICD 203 keeps likelihood and confidence apart.
func (a *analysis) confidence(order []int, post posterior, sens sensitivity) (Confidence, []string) {
	lead, second := order[0], order[1]
	c := ConfidenceHigh
	var reasons []string
	lower := func(to Confidence, format string, args ...any) {
		c = min(c, to)
		reasons = append(reasons, fmt.Sprintf(format, args...))
	}
	var diag []int
	classes, srcs := map[string]bool{}, map[string]bool{}
	ipOnly := true
	for i := range a.items {
		if !sens.diagnostic[i] {
			continue
		}
		diag = append(diag, i)
		classes[a.items[i].Class.ID] = true
		srcs[a.items[i].sourceKey()] = true
		ipOnly = ipOnly && a.items[i].IPOnly()
	}
	reasons = append(reasons, fmt.Sprintf("%d of %d items tell the hypotheses apart, from %d %s of evidence and %d independent %s.",
		len(diag), len(a.items), len(classes), plural(len(classes), "class", "classes"), len(srcs), plural(len(srcs), "source", "sources")))
	switch {
	case len(diag) == 0:
		lower(ConfidenceLow, "No item tells the hypotheses apart: each fits them all alike.")
	case ipOnly:
		lower(ConfidenceLow, "Only address observations and address lists tell the hypotheses apart; an address names a machine, not the people who used it.")
	case len(classes) == 1:
		lower(ConfidenceLow, "All the evidence that tells the hypotheses apart is of one class (%s).", strings.Join(slices.Sorted(maps.Keys(classes)), ""))
	case len(classes) == 2:
		lower(ConfidenceModerate, "The evidence that tells the hypotheses apart comes from two classes (%s); high confidence needs three independent ones.", strings.Join(slices.Sorted(maps.Keys(classes)), ", "))
	}
	if len(diag) > 0 && len(srcs) < 2 {
		lower(ConfidenceLow, "Everything that tells the hypotheses apart comes from one source.")
	}
	for i := range a.items {
		if sens.linchpin[i] && !a.corroborated(i, lead, second, sens) {
			lower(ConfidenceLow, "The judgement hangs on %s (%s), and no independent source corroborates it.", a.items[i].ID, a.items[i].Class.ID)
		}
	}
	for _, i := range diag {
		e := &a.items[i]
		if e.Reliability == 'D' || e.Reliability == 'E' || e.Credibility == 4 || e.Credibility == 5 {
			lower(ConfidenceModerate, "%s is graded %s (%s; %s).", e.ID, e.Grade(), e.Reliability.Meaning(), e.Credibility.Meaning())
		}
	}
	var forgeable []string
	hard := false
	for _, i := range diag {
		if a.direction(i, lead, second) <= 0 {
			continue
		}
		if a.items[i].Spoof.Forgeable() {
			forgeable = append(forgeable, a.items[i].ID)
		} else {
			hard = true
		}
	}
	if len(forgeable) > 0 && !hard {
		lower(ConfidenceModerate, "Everything that favours %s over %s is easy to forge (%s).", a.hyps[lead].ID, a.hyps[second].ID, strings.Join(forgeable, ", "))
	}
	for j, h := range a.hyps {
		if h.Kind != KindFalseFlag || j == lead || a.refuted(j, post) {
			continue
		}
		var apart []string
		hardApart := false
		for _, i := range diag {
			if a.direction(i, lead, j) > 0 {
				apart = append(apart, a.items[i].ID)
				hardApart = hardApart || !a.items[i].Spoof.Forgeable()
			}
		}
		if len(apart) > 0 && !hardApart {
			lower(ConfidenceLow, "Only easily forged items (%s) set %s above %s, and forged artefacts are what a false flag is made of.", strings.Join(apart, ", "), a.hyps[lead].ID, h.ID)
		}
	}
	switch gap := post.p[lead] - post.p[second]; {
	case gap <= eps:
		lower(ConfidenceModerate, "The inference is weak: no hypothesis leads; %s and %s are tied.", a.hyps[lead].ID, a.hyps[second].ID)
	case gap < 0.2:
		lower(ConfidenceModerate, "The inference is weak: %s leads %s by %.0f percentage points only.", a.hyps[lead].ID, a.hyps[second].ID, gap*100)
	}
	assumptions := a.assumptions()
	for _, s := range assumptions {
		reasons = append(reasons, "Assumption: "+s)
	}
	switch {
	case len(assumptions) >= 3:
		lower(ConfidenceLow, "The judgement rests on %d assumptions.", len(assumptions))
	case len(assumptions) >= 1:
		lower(ConfidenceModerate, "The judgement rests on %d %s.", len(assumptions), plural(len(assumptions), "assumption", "assumptions"))
	}
	if c == ConfidenceHigh {
		reasons = append(reasons, fmt.Sprintf("Independent classes of evidence agree, hard-to-forge items favour %s, and no uncorroborated item decides the outcome.", a.hyps[lead].ID))
	}
	return c, reasons
}

// assumptions lists what the judgement takes for granted without evidence.
func (a *analysis) assumptions() []string {
	var out []string
	for _, ob := range a.obs {
		o := ob.obs
		switch {
		case o.Time.IsZero():
			out = append(out, fmt.Sprintf("%s has no time, so %s is taken to have been used by one party throughout; dynamic and shared addresses change hands.", o.ID, o.IP))
		case o.Port == 0 && o.needsPort() && ob.flags&event.FlagTor == 0:
			out = append(out, fmt.Sprintf("%s has no source port, so %s is taken to be one subscriber's; behind carrier-grade NAT it is many.", o.ID, o.IP))
		}
	}
	if len(a.obs) > 0 && len(a.sources.Lists) == 0 {
		out = append(out, "No relay lists were loaded, so the addresses are taken not to be Tor exits, proxies, VPN or hosting addresses.")
	}
	if len(a.obs) > 0 && a.sources.Store == "" {
		out = append(out, "No stored feeds were consulted, so the addresses are taken not to be known infected hosts or C&C servers.")
	}
	for _, e := range a.items {
		if e.Reliability == 'F' || e.Credibility == 6 {
			out = append(out, fmt.Sprintf("%s is graded %s: its source or its truth cannot be judged, yet it is counted.", e.ID, e.Grade()))
		}
	}
	for _, c := range a.overridesWithoutReason {
		out = append(out, fmt.Sprintf("The rating %s was changed without a reason.", c))
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
