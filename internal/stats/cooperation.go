package stats

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/store"
)

// CooperationData is what the cooperation section is computed from: every
// request for assistance with its status history (by request id, in
// order), the agencies that sent and received them, and the victim
// reports.
type CooperationData struct {
	Requests      []store.Request
	History       map[int64][]store.RequestChange
	Agencies      []store.Agency
	VictimReports []store.VictimReport
}

const (
	notTrackedNote = "Requests for assistance are not tracked in this database, so this report counts no requests sent or received, partner countries, cases assisted or turnaround."
	trackedNote    = "Figures count requests for assistance, not addresses: a request counts in the period in which it was submitted (drafts never count), with its status as it stood at the period's end."
	assistedRule   = "A case is a request for assistance we received (in this period or before) and answered with help during the period: evidence transmitted (or the request closed after execution), data preserved or the preservation extended, or a takedown carried out (in execution or closed). Refused, withdrawn and pending requests do not count; several requests about one investigation count as several cases. A country is the requesting agency's; an agency with no country recorded adds cases but no country."
	victimCaveat   = "Reports from victims under-count crime: most victims never report, so this counts the reports received, not the offences committed."
)

// notTracked is the section of a report whose database keeps no casework.
func notTracked() Cooperation {
	return Cooperation{Note: notTrackedNote, Victims: VictimCount{Caveat: victimCaveat}}
}

// cooperation computes the section for the period [start, end): requests
// submitted in it, with their statuses at end, and the requests of any
// period that were overdue at end.
func cooperation(d CooperationData, start, end time.Time) Cooperation {
	c := Cooperation{Tracked: true, Note: trackedNote, Victims: VictimCount{Caveat: victimCaveat}}
	country := map[string]string{}
	for _, a := range d.Agencies {
		country[a.ID] = a.Country
	}
	sent, received := newFlowCounter(), newFlowCounter()
	assisted := map[string]int{}
	for _, r := range d.Requests {
		var f *flowCounter
		var partner string
		switch r.Direction {
		case store.Outgoing:
			f, partner = sent, country[r.To]
		case store.Incoming:
			f, partner = received, country[r.From]
		default:
			continue
		}
		if r.Submitted.IsZero() || !r.Submitted.Before(end) {
			continue
		}
		ps := passages(r, d.History[r.ID], end)
		last := ps[len(ps)-1].status
		if casework.Overdue(r.Due, end, last) {
			f.overdue++
		}
		typ := casework.RequestType(r.Type)
		// A case counts in the period in which we gave the help, whenever
		// the request came: a request received in December and answered
		// in January is one of January's cases.
		if at, ok := assistedAt(typ, ps); ok && r.Direction == store.Incoming && !at.Before(start) {
			c.Assisted.Cases++
			assisted[partner]++
		}
		if r.Submitted.Before(start) {
			continue
		}
		f.total++
		f.byType[r.Type]++
		f.byCountry[partner]++
		f.byStatus[string(last)]++
		if f.turnaround[r.Type] == nil {
			f.turnaround[r.Type] = &typeTurnaround{}
		}
		if at, ok := answered(typ, ps); ok {
			f.turnaround[r.Type].times = append(f.turnaround[r.Type].times, max(at.Sub(r.Submitted), 0))
		} else {
			f.turnaround[r.Type].notAnswered++
		}
	}
	c.Sent, c.Received = sent.flow(), received.flow()
	c.Assisted.ByCountry = countryCounts(assisted)
	for cc := range assisted {
		if cc != "" {
			c.Assisted.Countries++
		}
	}
	c.Assisted.Sentence = fmt.Sprintf("From %s to %s we helped %s investigate %s.",
		start.Format(time.DateOnly), end.Add(-time.Second).Format(time.DateOnly),
		plural(c.Assisted.Countries, "country", "countries"), plural(c.Assisted.Cases, "case", "cases"))
	c.Assisted.Rule = assistedRule
	for _, v := range d.VictimReports {
		if !v.Received.Before(start) && v.Received.Before(end) {
			c.Victims.Received++
		}
	}
	return c
}

// passage is a status a request reached; at is zero for the status it was
// created in, whose time the history does not record.
type passage struct {
	status casework.Status
	at     time.Time
}

// passages returns the statuses a request passed through before end, in
// order: the status it was created in (the first change's From, or its
// status when it never changed), then every change recorded before end.
// The last is its status at end.
func passages(r store.Request, hist []store.RequestChange, end time.Time) []passage {
	initial := r.Status
	if len(hist) > 0 {
		initial = hist[0].From
	}
	ps := []passage{{status: casework.Status(initial)}}
	for _, h := range hist {
		if !h.Time.Before(end) {
			break
		}
		ps = append(ps, passage{status: casework.Status(h.To), at: h.Time})
	}
	return ps
}

// answered returns when a request was first answered, from its recorded
// changes: preserved for a preservation, evidence transmitted for a type
// that yields evidence, in execution for a takedown, refused or closed for
// any type.
func answered(t casework.RequestType, ps []passage) (time.Time, bool) {
	for _, p := range ps {
		if p.at.IsZero() {
			continue
		}
		if isAnswer(t, p.status) {
			return p.at, true
		}
	}
	return time.Time{}, false
}

func isAnswer(t casework.RequestType, s casework.Status) bool {
	switch s {
	case casework.StatusRefused, casework.StatusClosed:
		return true
	case casework.StatusPreserved:
		return t == casework.Preservation
	case casework.StatusEvidenceTransmitted:
		return t.YieldsEvidence()
	case casework.StatusInExecution:
		return t == casework.Takedown
	}
	return false
}

// assistedAt returns when a received request was first answered with
// help: evidence transmitted or closed after execution, data preserved (or
// the preservation extended), a takedown in execution or closed.
func assistedAt(t casework.RequestType, ps []passage) (time.Time, bool) {
	executed := false
	for _, p := range ps {
		switch p.status {
		case casework.StatusPreserved, casework.StatusExtended:
			if t == casework.Preservation {
				return p.at, true
			}
		case casework.StatusInExecution:
			if t == casework.Takedown {
				return p.at, true
			}
			executed = true
		case casework.StatusEvidenceTransmitted:
			return p.at, true
		case casework.StatusClosed:
			if executed || t == casework.Takedown {
				return p.at, true
			}
		}
	}
	return time.Time{}, false
}

// flowCounter collects one direction's figures.
type flowCounter struct {
	total, overdue              int
	byType, byCountry, byStatus map[string]int
	turnaround                  map[string]*typeTurnaround
}

type typeTurnaround struct {
	times       []time.Duration
	notAnswered int
}

func newFlowCounter() *flowCounter {
	return &flowCounter{byType: map[string]int{}, byCountry: map[string]int{}, byStatus: map[string]int{}, turnaround: map[string]*typeTurnaround{}}
}

func (f *flowCounter) flow() RequestFlow {
	out := RequestFlow{Total: f.total, OverdueAtEnd: f.overdue, ByCountry: countryCounts(f.byCountry)}
	for _, kc := range counts(f.byType) {
		out.ByType = append(out.ByType, TypeCount{Type: kc.key, Count: kc.n})
	}
	for _, kc := range counts(f.byStatus) {
		out.ByStatus = append(out.ByStatus, StatusCount{Status: kc.key, Count: kc.n})
	}
	for typ, t := range f.turnaround {
		row := Turnaround{Type: typ, Answered: len(t.times), NotAnswered: t.notAnswered}
		if len(t.times) > 0 {
			days := math.Round(median(t.times).Hours()/24*10) / 10
			row.MedianDays = &days
		}
		out.Turnaround = append(out.Turnaround, row)
	}
	sort.Slice(out.Turnaround, func(i, j int) bool { return typeBefore(out.Turnaround[i].Type, out.Turnaround[j].Type) })
	return out
}

// typeBefore orders request types as casework lists them (the order a case
// usually needs them), unknown types last by name.
func typeBefore(a, b string) bool {
	types := casework.RequestTypes()
	rank := func(s string) int {
		if i := slices.Index(types, casework.RequestType(s)); i >= 0 {
			return i
		}
		return len(types)
	}
	ra, rb := rank(a), rank(b)
	return ra < rb || ra == rb && a < b
}

// median of ds, the mean of the two middle values for an even count.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// countryCounts turns per-country counts into rows, largest first, then by
// code.
func countryCounts(m map[string]int) []CountryCount {
	var out []CountryCount
	for _, kc := range counts(m) {
		out = append(out, CountryCount{Country: kc.key, Count: kc.n})
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return num(n) + " " + many
}

// cooperationRules are the counting rules of the cooperation section, for
// the methodology.
func cooperationRules(home string) []string {
	return []string{
		"Cooperation figures count requests for assistance recorded in Concord, not addresses. A request counts in the period in which it was submitted: when we sent it, or for a request received, the time the partner's package gives; drafts and requests never submitted do not count.",
		"Requests sent are counted under the requested agency's country, requests received under the requesting agency's; an agency with no country recorded counts as unknown, and a domestic agency counts under " + home + ".",
		"Outcomes are each request's status at the period's end, read from its status history, not its status today.",
		"Turnaround runs from submission to the first answer recorded in the history before the period's end: data preserved for a preservation, evidence transmitted for a request that yields evidence, execution begun for a takedown, or a refusal or closure for any type. The median is per direction and type, in days rounded to one decimal (the mean of the two middle values for an even count), and says how many requests it rests on; requests not answered by the period's end are left out and counted separately. For requests sent, the answer time is when the partner's status reached Concord.",
		"Overdue requests are those submitted by the period's end, in it or earlier, whose response was due before its end and that then still awaited the requested side (submitted, acknowledged, under review, information provided, accepted in full or in part, in execution); postponed requests and those waiting for information from the requesting side are never overdue.",
		"Cases assisted (\"we helped N countries investigate M cases\"). " + assistedRule,
		"Victim reports are counted by the time they were received.",
	}
}

// cooperationBiases are what the cooperation figures cannot see.
func cooperationBiases() []string {
	return []string{
		"Requests exchanged outside Concord (by letter, telephone or a channel nobody recorded) are missing from the cooperation figures.",
		"Turnaround is cut off at the period's end: requests submitted late in the period had little time to be answered, so slow answers (mutual legal assistance above all) count as not answered and the medians lean short.",
	}
}

// pairRow is one row of a table that puts requests sent and received side
// by side, as the text and HTML renderings do.
type pairRow struct {
	Key            string
	Sent, Received int
}

func countryKey(c CountryCount) (string, int) { return c.Country, c.Count }
func statusKey(s StatusCount) (string, int)   { return s.Status, s.Count }

// pairRows merges the sent and received rows of one breakdown, largest
// total first, then by key.
func pairRows[T any](sent, received []T, kv func(T) (string, int)) []pairRow {
	m := map[string]*pairRow{}
	row := func(k string) *pairRow {
		if m[k] == nil {
			m[k] = &pairRow{Key: k}
		}
		return m[k]
	}
	for _, x := range sent {
		k, n := kv(x)
		row(k).Sent += n
	}
	for _, x := range received {
		k, n := kv(x)
		row(k).Received += n
	}
	out := make([]pairRow, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i], out[j]
		return x.Sent+x.Received > y.Sent+y.Received || x.Sent+x.Received == y.Sent+y.Received && x.Key < y.Key
	})
	return out
}

// typeRow is one request type's requests sent and received and their
// turnaround (nil when no request of the type went that way).
type typeRow struct {
	Type                               string
	Sent, Received                     int
	SentTurnaround, ReceivedTurnaround *Turnaround
}

// typeRows puts the by-type counts and turnarounds of both directions
// side by side, in casework's order of request types.
func typeRows(c *Cooperation) []typeRow {
	m := map[string]*typeRow{}
	row := func(t string) *typeRow {
		if m[t] == nil {
			m[t] = &typeRow{Type: t}
		}
		return m[t]
	}
	for _, t := range c.Sent.ByType {
		row(t.Type).Sent = t.Count
	}
	for _, t := range c.Received.ByType {
		row(t.Type).Received = t.Count
	}
	for i := range c.Sent.Turnaround {
		row(c.Sent.Turnaround[i].Type).SentTurnaround = &c.Sent.Turnaround[i]
	}
	for i := range c.Received.Turnaround {
		row(c.Received.Turnaround[i].Type).ReceivedTurnaround = &c.Received.Turnaround[i]
	}
	out := make([]typeRow, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return typeBefore(out[i].Type, out[j].Type) })
	return out
}
