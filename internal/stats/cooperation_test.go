package stats

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/store"
)

func at(m time.Month, d, h, mi int) time.Time { return time.Date(2026, m, d, h, mi, 0, 0, time.UTC) }

// step is one status change of a hand-built request.
type step struct {
	to casework.Status
	at time.Time
}

// coopData collects hand-built requests and their histories.
type coopData struct{ CooperationData }

// sent adds an outgoing request from cert-pl to partner: a draft, moved by
// steps (the first of which submits it, at submitted).
func (d *coopData) sent(id int64, typ casework.RequestType, partner string, submitted time.Time, steps ...step) {
	d.add(store.Request{ID: id, Direction: store.Outgoing, Type: string(typ), From: "cert-pl", To: partner, Status: string(casework.StatusDraft), Submitted: submitted}, steps)
}

// received adds an incoming request from partner to cert-pl: it arrives
// submitted at submitted (the partner's package time), with no history
// entry for that, and moves by steps.
func (d *coopData) received(id int64, typ casework.RequestType, partner string, submitted time.Time, steps ...step) {
	d.add(store.Request{ID: id, Direction: store.Incoming, Type: string(typ), From: partner, To: "cert-pl", Status: string(casework.StatusSubmitted), Submitted: submitted}, steps)
}

func (d *coopData) add(r store.Request, steps []step) {
	r.Created = r.Submitted
	r.Due = casework.DefaultDeadlines().Due(casework.RequestType(r.Type), r.Submitted)
	for i, s := range steps {
		d.History[r.ID] = append(d.History[r.ID], store.RequestChange{RequestID: r.ID, Seq: int64(i + 1), Time: s.at, From: r.Status, To: string(s.to)})
		r.Status = string(s.to)
	}
	d.Requests = append(d.Requests, r)
}

const (
	sSubmitted    = casework.StatusSubmitted
	sAcknowledged = casework.StatusAcknowledged
	sUnderReview  = casework.StatusUnderReview
	sInfoReq      = casework.StatusInfoRequested
	sAccepted     = casework.StatusAccepted
	sRefused      = casework.StatusRefused
	sInExecution  = casework.StatusInExecution
	sTransmitted  = casework.StatusEvidenceTransmitted
	sClosed       = casework.StatusClosed
	sWithdrawn    = casework.StatusWithdrawn
	sPreserved    = casework.StatusPreserved
	sExtended     = casework.StatusExtended
)

// coopScenario is the casework whose cooperation figures for October 2026
// (from 1 October 00:00 to 1 November 00:00 UTC) TestCooperationByHand
// works out by hand. cert-pl is this node; bsi is DE, fbi US, ncsc-nl NL,
// anssi FR; "mystery" has no country and "gone" is no known agency.
func coopScenario() CooperationData {
	d := &coopData{CooperationData{History: map[int64][]store.RequestChange{}}}
	d.Agencies = []store.Agency{
		{ID: "cert-pl", Country: "PL", Self: true}, {ID: "anssi", Country: "FR"}, {ID: "bsi", Country: "DE"},
		{ID: "fbi", Country: "US"}, {ID: "mystery"}, {ID: "ncsc-nl", Country: "NL"},
	}
	// Sent.
	// 1: preservation to DE, preserved 2.5 days after submission.
	d.sent(1, casework.Preservation, "bsi", at(10, 2, 12, 0), step{sSubmitted, at(10, 2, 12, 0)}, step{sAcknowledged, at(10, 3, 0, 0)},
		step{sUnderReview, at(10, 3, 6, 0)}, step{sAccepted, at(10, 4, 12, 0)}, step{sPreserved, at(10, 5, 0, 0)})
	// 2: MLA to US, acknowledged only; due in January, not overdue.
	d.sent(2, casework.MLA, "fbi", at(10, 10, 12, 0), step{sSubmitted, at(10, 10, 12, 0)}, step{sAcknowledged, at(10, 12, 0, 0)})
	// 3: submitted in September (not a figure of October), under review
	// at October's end though due on 21 September: overdue. Answered in
	// November, which October's report must not see.
	d.sent(3, casework.SubscriberInfo, "fbi", at(9, 1, 12, 0), step{sSubmitted, at(9, 1, 12, 0)}, step{sAcknowledged, at(9, 2, 0, 0)},
		step{sUnderReview, at(9, 3, 0, 0)}, step{sAccepted, at(11, 2, 0, 0)}, step{sInExecution, at(11, 3, 0, 0)}, step{sTransmitted, at(11, 5, 0, 0)})
	// 4: takedown to NL, in execution 0.5 days after submission, closed.
	d.sent(4, casework.Takedown, "ncsc-nl", at(10, 20, 12, 0), step{sSubmitted, at(10, 20, 12, 0)}, step{sAcknowledged, at(10, 20, 18, 0)},
		step{sUnderReview, at(10, 20, 20, 0)}, step{sAccepted, at(10, 20, 22, 0)}, step{sInExecution, at(10, 21, 0, 0)},
		step{sTransmitted, at(10, 21, 6, 0)}, step{sClosed, at(10, 22, 0, 0)})
	// 5: subscriber information from DE, refused 5.0 days after submission.
	d.sent(5, casework.SubscriberInfo, "bsi", at(10, 25, 12, 0), step{sSubmitted, at(10, 25, 12, 0)}, step{sAcknowledged, at(10, 26, 0, 0)},
		step{sUnderReview, at(10, 27, 0, 0)}, step{sRefused, at(10, 30, 12, 0)})
	// 6: a draft, never submitted: counts nowhere.
	d.sent(6, casework.MLA, "anssi", time.Time{})
	// 7: acknowledged at October's end, answered in November: not answered
	// in October's report, whose status for it is acknowledged.
	d.sent(7, casework.SubscriberInfo, "bsi", at(10, 28, 12, 0), step{sSubmitted, at(10, 28, 12, 0)}, step{sAcknowledged, at(10, 29, 0, 0)},
		step{sUnderReview, at(11, 2, 0, 0)}, step{sAccepted, at(11, 3, 0, 0)}, step{sInExecution, at(11, 4, 0, 0)}, step{sTransmitted, at(11, 10, 0, 0)})
	// 8: emergency to US, due 8 hours after submission, still acknowledged
	// at the end: overdue.
	d.sent(8, casework.Emergency, "fbi", at(10, 30, 0, 0), step{sSubmitted, at(10, 30, 0, 0)}, step{sAcknowledged, at(10, 30, 1, 0)})
	// 9: preservation to NL, preserved 1.5 days after submission, then
	// extended.
	d.sent(9, casework.Preservation, "ncsc-nl", at(10, 6, 0, 0), step{sSubmitted, at(10, 6, 0, 0)}, step{sAcknowledged, at(10, 6, 6, 0)},
		step{sUnderReview, at(10, 6, 12, 0)}, step{sAccepted, at(10, 7, 0, 0)}, step{sPreserved, at(10, 7, 12, 0)}, step{sExtended, at(10, 20, 0, 0)})
	// 10: submitted in November: counts nowhere.
	d.sent(10, casework.MLA, "anssi", at(11, 2, 0, 0), step{sSubmitted, at(11, 2, 0, 0)})

	// Received.
	// 11: preservation from DE, preserved 1.0 day after submission: assisted.
	d.received(11, casework.Preservation, "bsi", at(10, 3, 0, 0), step{sAcknowledged, at(10, 3, 6, 0)}, step{sUnderReview, at(10, 3, 8, 0)},
		step{sAccepted, at(10, 3, 12, 0)}, step{sPreserved, at(10, 4, 0, 0)})
	// 12: MLA from US, evidence transmitted 15.0 days after submission,
	// closed: assisted.
	d.received(12, casework.MLA, "fbi", at(10, 5, 12, 0), step{sAcknowledged, at(10, 6, 0, 0)}, step{sUnderReview, at(10, 7, 0, 0)},
		step{sAccepted, at(10, 10, 0, 0)}, step{sInExecution, at(10, 15, 0, 0)}, step{sTransmitted, at(10, 20, 12, 0)}, step{sClosed, at(10, 25, 0, 0)})
	// 13: subscriber information from US, refused after 1.5 days: answered,
	// not assisted.
	d.received(13, casework.SubscriberInfo, "fbi", at(10, 8, 0, 0), step{sAcknowledged, at(10, 8, 6, 0)}, step{sUnderReview, at(10, 8, 12, 0)},
		step{sRefused, at(10, 9, 12, 0)})
	// 14: takedown from NL, in execution after 7 h 12 min (0.3 days):
	// assisted; still in execution at the end, past its 2-day deadline:
	// overdue.
	d.received(14, casework.Takedown, "ncsc-nl", at(10, 12, 0, 0), step{sAcknowledged, at(10, 12, 1, 0)}, step{sUnderReview, at(10, 12, 2, 0)},
		step{sAccepted, at(10, 12, 3, 0)}, step{sInExecution, at(10, 12, 7, 12)})
	// 15: MLA from an agency with no country, waiting for information from
	// it: neither answered nor overdue.
	d.received(15, casework.MLA, "mystery", at(10, 14, 0, 0), step{sAcknowledged, at(10, 14, 12, 0)}, step{sUnderReview, at(10, 15, 0, 0)},
		step{sInfoReq, at(10, 16, 0, 0)})
	// 16: accepted at the end; in execution exactly at the end (1 November
	// 00:00), which is after it: not answered, not assisted.
	d.received(16, casework.SubscriberInfo, "bsi", at(10, 29, 0, 0), step{sAcknowledged, at(10, 30, 0, 0)}, step{sUnderReview, at(10, 30, 12, 0)},
		step{sAccepted, at(10, 31, 0, 0)}, step{sInExecution, at(11, 1, 0, 0)}, step{sTransmitted, at(11, 4, 0, 0)})
	// 17: received in September, under review at October's end though due
	// on 25 October: overdue, and nothing else.
	d.received(17, casework.StoredData, "anssi", at(9, 10, 12, 0), step{sAcknowledged, at(9, 11, 0, 0)}, step{sUnderReview, at(9, 12, 0, 0)})
	// 18: received in September, answered in October: not in October's
	// request figures (counted by submission), but one of October's cases
	// assisted (counted when the help was given).
	d.received(18, casework.MLA, "anssi", at(9, 12, 0, 0), step{sAcknowledged, at(9, 13, 0, 0)}, step{sUnderReview, at(9, 14, 0, 0)},
		step{sAccepted, at(9, 20, 0, 0)}, step{sInExecution, at(9, 30, 0, 0)}, step{sTransmitted, at(10, 2, 0, 0)})
	// 19: preservation from an unknown agency, withdrawn: not answered.
	d.received(19, casework.Preservation, "gone", at(10, 18, 0, 0), step{sAcknowledged, at(10, 18, 2, 0)}, step{sWithdrawn, at(10, 19, 0, 0)})
	// 20: received and never moved (no history): submitted at the end.
	d.received(20, casework.SubscriberInfo, "fbi", at(10, 22, 0, 0))
	// 21: takedown from NL, in execution after 26 h 24 min (1.1 days),
	// closed: assisted.
	d.received(21, casework.Takedown, "ncsc-nl", at(10, 26, 0, 0), step{sAcknowledged, at(10, 26, 0, 30)}, step{sUnderReview, at(10, 26, 1, 0)},
		step{sAccepted, at(10, 26, 2, 0)}, step{sInExecution, at(10, 27, 2, 24)}, step{sTransmitted, at(10, 27, 12, 0)}, step{sClosed, at(10, 28, 0, 0)})
	// 22: preservation from the agency with no country, preserved after
	// 1.0 day: assisted, but adds no country.
	d.received(22, casework.Preservation, "mystery", at(10, 16, 0, 0), step{sAcknowledged, at(10, 16, 2, 0)}, step{sUnderReview, at(10, 16, 4, 0)},
		step{sAccepted, at(10, 16, 8, 0)}, step{sPreserved, at(10, 17, 0, 0)})

	// Victim reports: three received in October.
	for _, t := range []time.Time{at(9, 30, 23, 59), at(10, 1, 0, 0), at(10, 15, 9, 0), at(10, 31, 23, 59), at(11, 1, 0, 0)} {
		d.VictimReports = append(d.VictimReports, store.VictimReport{Received: t})
	}
	return d.CooperationData
}

func days(f float64) *float64 { return &f }

func TestCooperationByHand(t *testing.T) {
	c := cooperation(coopScenario(), at(10, 1, 0, 0), at(11, 1, 0, 0))
	want := Cooperation{
		Tracked: true,
		Note:    trackedNote,
		// Sent in October: 1, 2, 4, 5, 7, 8, 9 (3 was submitted in
		// September, 10 in November, 6 never).
		Sent: RequestFlow{
			Total: 7,
			// preservation 1, 9; subscriber-info 5, 7; one each of the rest.
			ByType: []TypeCount{{"preservation", 2}, {"subscriber-info", 2}, {"emergency", 1}, {"mla", 1}, {"takedown", 1}},
			// DE: 1, 5, 7; NL: 4, 9; US: 2, 8.
			ByCountry: []CountryCount{{"DE", 3}, {"NL", 2}, {"US", 2}},
			// At the end: 2, 7 (answered only in November) and 8
			// acknowledged; 4 closed; 9 extended; 1 preserved; 5 refused.
			ByStatus: []StatusCount{{"acknowledged", 3}, {"closed", 1}, {"extended", 1}, {"preserved", 1}, {"refused", 1}},
			Turnaround: []Turnaround{
				// 1: 2.5 days, 9: 1.5 days; median of two = their mean.
				{Type: "preservation", Answered: 2, MedianDays: days(2.0)},
				// 5 refused after 5.0 days; 7 unanswered by the end.
				{Type: "subscriber-info", Answered: 1, MedianDays: days(5.0), NotAnswered: 1},
				{Type: "emergency", NotAnswered: 1},
				{Type: "mla", NotAnswered: 1},
				// 4: in execution after 0.5 days.
				{Type: "takedown", Answered: 1, MedianDays: days(0.5)},
			},
			// 3 (from September, due 21 September, under review) and 8
			// (due 30 October 08:00, acknowledged).
			OverdueAtEnd: 2,
		},
		// Received in October: 11–16 and 19–22 (17 and 18 came in
		// September).
		Received: RequestFlow{
			Total: 10,
			// preservation 11, 19, 22; subscriber-info 13, 16, 20; mla 12,
			// 15; takedown 14, 21.
			ByType: []TypeCount{{"preservation", 3}, {"subscriber-info", 3}, {"mla", 2}, {"takedown", 2}},
			// No country: 15, 19 (unknown agency), 22; US: 12, 13, 20; DE:
			// 11, 16; NL: 14, 21.
			ByCountry: []CountryCount{{"", 3}, {"US", 3}, {"DE", 2}, {"NL", 2}},
			// closed 12, 21; preserved 11, 22; then one each.
			ByStatus: []StatusCount{{"closed", 2}, {"preserved", 2}, {"accepted", 1}, {"in-execution", 1}, {"info-requested", 1},
				{"refused", 1}, {"submitted", 1}, {"withdrawn", 1}},
			Turnaround: []Turnaround{
				// 11 and 22 after 1.0 day; 19 withdrawn.
				{Type: "preservation", Answered: 2, MedianDays: days(1.0), NotAnswered: 1},
				// 13 refused after 1.5 days; 16 and 20 not answered.
				{Type: "subscriber-info", Answered: 1, MedianDays: days(1.5), NotAnswered: 2},
				// 12 after 15.0 days; 15 waiting for information.
				{Type: "mla", Answered: 1, MedianDays: days(15.0), NotAnswered: 1},
				// 14 after 7.2 h, 21 after 26.4 h: median 16.8 h = 0.7 days.
				{Type: "takedown", Answered: 2, MedianDays: days(0.7)},
			},
			// 14 (takedown due 14 October, in execution) and 17 (from
			// September, due 25 October, under review).
			OverdueAtEnd: 2,
		},
		// 11 (DE), 12 (US), 14 and 21 (NL), 18 (FR, received in September),
		// 22 (no country): six cases, four countries.
		Assisted: CasesAssisted{
			Cases: 6, Countries: 4,
			ByCountry: []CountryCount{{"NL", 2}, {"", 1}, {"DE", 1}, {"FR", 1}, {"US", 1}},
			Sentence:  "From 2026-10-01 to 2026-10-31 we helped 4 countries investigate 6 cases.",
			Rule:      assistedRule,
		},
		Victims: VictimCount{Received: 3, Caveat: victimCaveat},
	}
	if !reflect.DeepEqual(c, want) {
		got, _ := json.MarshalIndent(c, "", "  ")
		exp, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("cooperation\n%s\nwant\n%s", got, exp)
	}
}

func TestCooperationPassages(t *testing.T) {
	// The status at a time is read from the history, never today's.
	d := coopScenario()
	var r store.Request
	for _, x := range d.Requests {
		if x.ID == 3 {
			r = x
		}
	}
	for _, tc := range []struct {
		end  time.Time
		want casework.Status
	}{
		{at(9, 1, 12, 0), casework.StatusDraft}, // a change at the end is after it
		{at(9, 2, 12, 0), sAcknowledged},
		{at(11, 1, 0, 0), sUnderReview},
		{at(12, 1, 0, 0), sTransmitted},
	} {
		ps := passages(r, d.History[3], tc.end)
		if got := ps[len(ps)-1].status; got != tc.want {
			t.Errorf("status at %s = %s, want %s", tc.end, got, tc.want)
		}
	}
}

func TestCooperationNotTracked(t *testing.T) {
	r, err := Compute(context.Background(), Inputs{Store: scenario(t)}, Options{From: day(1), To: day(31), Home: "PL"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Cooperation.Tracked || r.Cooperation.Note != notTrackedNote {
		t.Errorf("cooperation without a source: %+v", r.Cooperation)
	}
	for _, rule := range r.Methodology.Rules {
		if strings.Contains(rule, "requests for assistance") {
			t.Errorf("untracked cooperation still has a rule: %q", rule)
		}
	}
	var text, html bytes.Buffer
	if err := WriteText(&text, r, 10); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&html, r, 10); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "html": html.String()} {
		if !strings.Contains(out, "not tracked in this database") || strings.Contains(out, "we helped") {
			t.Errorf("%s does not say cooperation is not tracked", name)
		}
	}
	b, err := MarshalJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, list := range []string{"by_type", "by_country", "by_status_at_end", "turnaround"} {
		if bytes.Contains(b, []byte(`"`+list+`": null`)) {
			t.Errorf("untracked cooperation JSON has a null %s:\n%s", list, b)
		}
	}
}

func TestCooperationSourceError(t *testing.T) {
	_, err := Compute(context.Background(), Inputs{Store: scenario(t), Cooperation: func(context.Context) (CooperationData, error) {
		return CooperationData{}, context.Canceled
	}}, Options{From: day(1), To: day(31), Home: "PL"})
	if err == nil || !strings.Contains(err.Error(), "stats: cooperation") {
		t.Errorf("error %v, want the loader's, prefixed", err)
	}
}
