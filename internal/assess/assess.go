package assess

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/stats"
)

// The likelihood model's constants (docs/assessment.md).
const (
	// unit is the log-odds one full-weight "consistent" rating adds: it
	// doubles a hypothesis's odds against a hypothesis the item is neutral
	// to.
	unit = math.Ln2
	// ipCap is the most that address observations alone may make "the actor
	// operates from X": the top of nothing stronger than roughly even chance.
	ipCap = 0.50
	// falseFlagFloor is the least a false-flag hypothesis keeps while only
	// forgeable artefacts count against it: it stays standing.
	falseFlagFloor = 0.20
	// refutedBelow: a hypothesis is refuted when the evidence has at least
	// halved its probability and left it below this.
	refutedBelow = 0.20
	eps          = 1e-9
)

// cell is one rating of the matrix with where it came from.
type cell struct {
	rating Rating
	auto   Rating // the automatic rating, Unrated for analyst items
	reason string // the analyst's reason for an override
	why    string // why the automatic rating is what it is
}

// analysis is one assessment being computed.
type analysis struct {
	in       *Input
	sources  Sources
	obs      []*observed
	hyps     []Hypothesis
	items    []Evidence
	cells    [][]cell // [item][hypothesis]
	warnings []string
	// overridesWithoutReason lists "e:h" cells that replaced an automatic
	// rating without saying why.
	overridesWithoutReason []string
}

// Assess judges the hypotheses against the evidence. It asks bg about each
// observed address, generates the mandatory hypotheses for every country an
// address is in (unless the input already has one with the same id), rates
// the derived items automatically, applies the analyst's ratings over them,
// and scores everything.
func Assess(ctx context.Context, in *Input, bg Background) (*Result, error) {
	a := &analysis{in: in, sources: bg.Consulted()}
	var ders []derived
	for i := range in.Observations {
		ob, err := observe(ctx, bg, &in.Observations[i])
		if err != nil {
			return nil, err
		}
		a.obs = append(a.obs, ob)
		a.warnings = append(a.warnings, ob.warnings...)
		ders = append(ders, ob.derive()...)
	}
	a.hyps = append(a.hyps, in.Hypotheses...)
	have := map[string]bool{}
	for _, h := range a.hyps {
		have[h.ID] = true
	}
	for _, ob := range a.obs {
		if ob.cc == "" {
			continue
		}
		for _, h := range generate(ob.cc, stats.CountryName(ob.cc)) {
			if !have[h.ID] {
				a.hyps = append(a.hyps, h)
				have[h.ID] = true
			}
		}
	}
	if len(a.hyps) < 2 {
		return nil, fmt.Errorf("assess: %d hypothesis to compare; give at least two, or observations of addresses with a known country so Concord can generate them", len(a.hyps))
	}
	ids := map[string]bool{}
	for i := range ders {
		ders[i].rate(a.hyps)
		if ids[ders[i].item.ID] {
			return nil, fmt.Errorf("assess: evidence id %q is used twice: rename the analyst's item", ders[i].item.ID)
		}
		ids[ders[i].item.ID] = true
		a.items = append(a.items, ders[i].item)
	}
	for _, e := range in.Evidence {
		if ids[e.ID] {
			return nil, fmt.Errorf("assess: evidence id %q is also the id of an automatic item; rename it", e.ID)
		}
		ids[e.ID] = true
		if err := a.linkEvents(ctx, bg, &e); err != nil {
			return nil, err
		}
		a.items = append(a.items, e)
	}
	if err := a.fill(); err != nil {
		return nil, err
	}
	return a.result(), nil
}

// linkEvents checks that the stored events an item cites exist, and gives
// the item the strictest marking among them and its own: what is derived
// from an event may never be shared more widely than the event.
func (a *analysis) linkEvents(ctx context.Context, bg Background, e *Evidence) error {
	unchecked := false
	for _, k := range e.Events {
		tlp, found, checked, err := bg.EventTLP(ctx, k)
		switch {
		case err != nil:
			return fmt.Errorf("assess: %s: event %s: %w", e.ID, k, err)
		case !checked:
			unchecked = true
		case !found:
			a.warnings = append(a.warnings, fmt.Sprintf("%s cites event %s, which the database does not hold", e.ID, k))
		case tlp.Stricter(e.TLP) != e.TLP:
			a.warnings = append(a.warnings, fmt.Sprintf("%s is marked %s but cites event %s marked %s; it takes the stricter marking", e.ID, e.TLP, k, tlp))
			e.TLP = tlp
		}
	}
	if unchecked {
		a.warnings = append(a.warnings, fmt.Sprintf("%s cites stored events, but no database was consulted to check them or their markings", e.ID))
	}
	return nil
}

// fill builds the matrix from the automatic ratings and the analyst's.
func (a *analysis) fill() error {
	hix := map[string]int{}
	for j, h := range a.hyps {
		hix[h.ID] = j
	}
	eix := map[string]int{}
	a.cells = make([][]cell, len(a.items))
	for i := range a.items {
		e := &a.items[i]
		eix[e.ID] = i
		a.cells[i] = make([]cell, len(a.hyps))
		for j, h := range a.hyps {
			if r, ok := e.Auto[h.ID]; ok {
				a.cells[i][j] = cell{rating: r, auto: r, why: e.Why[h.ID]}
			}
		}
	}
	var p problems
	for _, eid := range slices.Sorted(maps.Keys(a.in.Ratings)) {
		i, ok := eix[eid]
		if !ok {
			p.add("ratings."+eid, "no evidence has this id (evidence: %s)", idList(a.items))
			continue
		}
		for _, hid := range slices.Sorted(maps.Keys(a.in.Ratings[eid])) {
			j, ok := hix[hid]
			if !ok {
				p.add("ratings."+eid+"."+hid, "no hypothesis has this id (hypotheses: %s)", hypIDs(a.hyps))
				continue
			}
			o := a.in.Ratings[eid][hid]
			c := &a.cells[i][j]
			if c.auto != Unrated && o.Rating != c.auto && o.Reason == "" {
				a.overridesWithoutReason = append(a.overridesWithoutReason, eid+" × "+hid)
			}
			c.rating, c.reason = o.Rating, o.Reason
		}
	}
	if err := p.err(); err != nil {
		return fmt.Errorf("assess: %w", err)
	}
	return nil
}

func idList(items []Evidence) string {
	s := ""
	for i, e := range items {
		if i > 0 {
			s += ", "
		}
		s += e.ID
	}
	return s
}

func hypIDs(hs []Hypothesis) string {
	s := ""
	for i, h := range hs {
		if i > 0 {
			s += ", "
		}
		s += h.ID
	}
	return s
}

// wis returns PARC ACH's weighted inconsistency score of each hypothesis,
// leaving out item skip (−1: none).
func (a *analysis) wis(skip int) []float64 {
	out := make([]float64, len(a.hyps))
	for i := range a.items {
		if i == skip {
			continue
		}
		w := a.items[i].ACHWeight()
		for j := range a.hyps {
			if r := a.cells[i][j].rating; r.Counted() {
				out[j] += w * r.Inconsistency()
			}
		}
	}
	return out
}

// scores returns each hypothesis's log-odds score from the items keep
// accepts: Σ weight × support × unit.
func (a *analysis) scores(keep func(i int) bool) []float64 {
	out := make([]float64, len(a.hyps))
	for i := range a.items {
		if !keep(i) {
			continue
		}
		w := a.items[i].Weight()
		for j := range a.hyps {
			if r := a.cells[i][j].rating; r.Counted() {
				out[j] += w * r.Support() * unit
			}
		}
	}
	return out
}

// share turns scores into probabilities under a uniform prior: each
// hypothesis's share of Σ exp(score).
func share(s []float64) []float64 {
	max := math.Inf(-1)
	for _, x := range s {
		max = math.Max(max, x)
	}
	p := make([]float64, len(s))
	sum := 0.0
	for i, x := range s {
		p[i] = math.Exp(x - max)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
	return p
}

// limit is a bound the rules put on one hypothesis's probability.
type limit struct {
	lo, hi float64
	why    string
}

// posterior is the likelihood model's answer, leaving out item skip (−1:
// none): the shares, then the rules' bounds, then ICD 203's range.
type posterior struct {
	raw    []float64 // before the rules
	p      []float64 // after the rules, unrounded
	limits []limit
	bound  []int8 // +1 held at the cap, −1 held at the floor
}

func (a *analysis) posterior(skip int) posterior {
	return a.posteriorOf(func(i int) bool { return i != skip })
}

// posteriorOf is posterior over the items keep accepts. The cap on actor
// hypotheses is measured against the posterior of the same items without
// the IP-only ones, rules included, so addresses can never lift an actor
// above what the rest of the evidence shows.
func (a *analysis) posteriorOf(keep func(i int) bool) posterior {
	raw := share(a.scores(keep))
	hasIP := false
	for i := range a.items {
		hasIP = hasIP || (keep(i) && a.items[i].IPOnly())
	}
	var nonIP []float64
	if hasIP {
		nonIP = a.posteriorOf(func(i int) bool { return keep(i) && !a.items[i].IPOnly() }).p
	}
	nonForge := share(a.scores(func(i int) bool { return keep(i) && !a.items[i].Spoof.Forgeable() }))
	protected := 0
	for _, h := range a.hyps {
		if h.Kind == KindFalseFlag {
			protected++
		}
	}
	floor := falseFlagFloor
	if protected > 0 && floor*float64(protected) > 0.5 {
		floor = 0.5 / float64(protected)
	}
	lim := make([]limit, len(a.hyps))
	for j, h := range a.hyps {
		lim[j] = limit{lo: 0, hi: 1}
		switch h.Kind {
		case KindActor:
			if !hasIP {
				break
			}
			hi := math.Max(ipCap, nonIP[j])
			if raw[j] > hi+eps {
				lim[j].hi = hi
				if hi == ipCap {
					lim[j].why = fmt.Sprintf("only address observations support it, and they may not lift it above %.0f %%", ipCap*100)
				} else {
					lim[j].why = fmt.Sprintf("address observations may not lift it above the %.0f %% the other evidence gives it", hi*100)
				}
			}
		case KindFalseFlag:
			// A floor less than half a percentage point above the shares
			// would change nothing that is printed; leave it out.
			lo := math.Min(floor, nonForge[j])
			if raw[j] < lo-0.005 {
				lim[j].lo = lo
				lim[j].why = fmt.Sprintf("only easily forged evidence lowered it, and such evidence cannot rule out a forgery: it keeps %.0f %%", lo*100)
			}
		}
	}
	p, bound := bounded(raw, lim)
	return posterior{raw: raw, p: p, limits: lim, bound: bound}
}

// bounded holds each probability within its limits and shares the mass the
// bounds free or take among the unbounded hypotheses in proportion, until no
// bound is crossed. Each round fixes at least one more hypothesis, so it
// ends within len(p) rounds.
func bounded(raw []float64, lim []limit) ([]float64, []int8) {
	p := append([]float64(nil), raw...)
	fixed := make([]int8, len(p))
	for round := 0; round <= len(p); round++ {
		changed := false
		for j := range p {
			if fixed[j] != 0 {
				continue
			}
			switch {
			case p[j] > lim[j].hi+eps:
				p[j], fixed[j], changed = lim[j].hi, 1, true
			case p[j] < lim[j].lo-eps:
				p[j], fixed[j], changed = lim[j].lo, -1, true
			}
		}
		if !changed {
			break
		}
		mass, free, nFree := 1.0, 0.0, 0
		for j := range p {
			if fixed[j] != 0 {
				mass -= p[j]
			} else {
				free += p[j]
				nFree++
			}
		}
		for j := range p {
			if fixed[j] != 0 {
				continue
			}
			if free > 0 {
				p[j] *= mass / free
			} else {
				p[j] = mass / float64(nFree)
			}
		}
	}
	return p, fixed
}

// round2 keeps a probability within ICD 203's range and rounds it to whole
// percent, the precision it is printed with; words are chosen from the
// rounded value, so a number and its words always agree.
func round2(p float64) float64 {
	p = math.Min(MaxProbability, math.Max(MinProbability, p))
	return math.Round(p*100) / 100
}

// argmax returns the indices holding the largest value.
func argmax(v []float64) []int {
	var out []int
	best := math.Inf(-1)
	for i, x := range v {
		switch {
		case x > best+eps:
			best, out = x, []int{i}
		case math.Abs(x-best) <= eps:
			out = append(out, i)
		}
	}
	return out
}

// leaderChanged reports whether the leading hypotheses went from was to
// now in a way that matters: a sole leader that no longer leads alone, or
// tied leaders of which none leads any more. A tie that only grows or
// shrinks had no leader to lose.
func leaderChanged(was, now []int) bool {
	if len(was) == 1 {
		return !sameSet(was, now)
	}
	for _, x := range was {
		for _, y := range now {
			if x == y {
				return false
			}
		}
	}
	return true
}

func sameSet(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ranks gives competition ranks (1, 1, 3) by WIS, closest to zero first.
func ranks(wis []float64) []int {
	order := make([]int, len(wis))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool { return wis[order[x]] > wis[order[y]]+eps })
	r := make([]int, len(wis))
	for pos, j := range order {
		if pos > 0 && math.Abs(wis[j]-wis[order[pos-1]]) <= eps {
			r[j] = r[order[pos-1]]
		} else {
			r[j] = pos + 1
		}
	}
	return r
}

// diagnostic reports whether item i tells any two hypotheses apart. An
// unrated cell reads as neutral; NA cells are left out.
func (a *analysis) diagnostic(i int) bool {
	first := Unrated
	for j := range a.hyps {
		r := a.cells[i][j].rating
		if r == RatingNA {
			continue
		}
		if r == Unrated {
			r = RatingN
		}
		if first == Unrated {
			first = r
		} else if r != first {
			return true
		}
	}
	return false
}

func (a *analysis) rated(i int) bool {
	for j := range a.hyps {
		if a.cells[i][j].rating.Counted() {
			return true
		}
	}
	return false
}

// supportedLevel is the attribution level the evidence reaches for
// hypothesis j: the highest level among the items consistent with it; when
// none is, among those that bear on it at all; when none does, among all
// the items at hand. It is never above the level the hypothesis claims.
func (a *analysis) supportedLevel(j int) Level {
	var consistent, bearing, all Level
	for i := range a.items {
		l := a.items[i].Level
		all = max(all, l)
		r := a.cells[i][j].rating
		if !r.Counted() {
			continue
		}
		bearing = max(bearing, l)
		if r == RatingC || r == RatingCC {
			consistent = max(consistent, l)
		}
	}
	best := consistent
	if best == 0 {
		best = bearing
	}
	if best == 0 {
		best = all
	}
	return min(best, a.hyps[j].Level)
}

// tlp is the strictest marking among the input and everything it used.
func (a *analysis) tlp() event.TLP {
	t := a.in.TLP
	for _, e := range a.items {
		t = t.Stricter(e.TLP)
	}
	for _, o := range a.in.Observations {
		t = t.Stricter(o.TLP)
	}
	return t
}
