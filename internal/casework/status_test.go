package casework

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// wantNext is the machine of DOMAIN.md §7, written out by hand so that the
// table in status.go is checked against an independent copy.
var wantNext = map[string]map[Status][]Status{
	"general": {
		StatusDraft:               {StatusSubmitted, StatusWithdrawn},
		StatusSubmitted:           {StatusAcknowledged, StatusWithdrawn},
		StatusAcknowledged:        {StatusUnderReview, StatusWithdrawn},
		StatusUnderReview:         {StatusInfoRequested, StatusAccepted, StatusPartiallyAccepted, StatusPostponed, StatusRefused, StatusWithdrawn},
		StatusInfoRequested:       {StatusInfoProvided, StatusWithdrawn},
		StatusInfoProvided:        {StatusUnderReview, StatusInfoRequested, StatusWithdrawn},
		StatusPostponed:           {StatusUnderReview, StatusWithdrawn},
		StatusAccepted:            {StatusInExecution, StatusWithdrawn},
		StatusPartiallyAccepted:   {StatusInExecution, StatusWithdrawn},
		StatusInExecution:         {StatusEvidenceTransmitted, StatusWithdrawn},
		StatusEvidenceTransmitted: {StatusClosed, StatusWithdrawn},
		StatusClosed:              nil,
		StatusRefused:             nil,
		StatusWithdrawn:           nil,
		StatusPreserved:           nil, // not a state of these types
		StatusExtended:            nil,
		StatusExpired:             nil,
		StatusSuperseded:          nil,
	},
	"preservation": {
		StatusDraft:               {StatusSubmitted, StatusWithdrawn},
		StatusSubmitted:           {StatusAcknowledged, StatusWithdrawn},
		StatusAcknowledged:        {StatusUnderReview, StatusWithdrawn},
		StatusUnderReview:         {StatusInfoRequested, StatusAccepted, StatusPartiallyAccepted, StatusPostponed, StatusRefused, StatusWithdrawn},
		StatusInfoRequested:       {StatusInfoProvided, StatusWithdrawn},
		StatusInfoProvided:        {StatusUnderReview, StatusInfoRequested, StatusWithdrawn},
		StatusPostponed:           {StatusUnderReview, StatusWithdrawn},
		StatusAccepted:            {StatusPreserved, StatusWithdrawn},
		StatusPartiallyAccepted:   {StatusPreserved, StatusWithdrawn},
		StatusPreserved:           {StatusExtended, StatusExpired, StatusSuperseded, StatusWithdrawn},
		StatusExtended:            {StatusExtended, StatusExpired, StatusSuperseded, StatusWithdrawn},
		StatusInExecution:         nil, // preserved data are not handed over
		StatusEvidenceTransmitted: nil,
		StatusClosed:              nil,
		StatusRefused:             nil,
		StatusWithdrawn:           nil,
		StatusExpired:             nil,
		StatusSuperseded:          nil,
	},
}

func table(typ RequestType) map[Status][]Status {
	if typ == Preservation {
		return wantNext["preservation"]
	}
	return wantNext["general"]
}

// reason satisfies every rule that needs one.
const reason = "the requested side's own investigation would be hindered"

func TestNextStatesFollowsTheMachine(t *testing.T) {
	for _, typ := range RequestTypes() {
		for _, from := range Statuses() {
			want, ok := table(typ)[from]
			if !ok {
				t.Fatalf("test table lacks %s", from)
			}
			if got := NextStates(typ, from); !slices.Equal(got, want) {
				t.Errorf("NextStates(%s, %s) = %v, want %v", typ, from, got, want)
			}
		}
	}
	if NextStates("x", StatusDraft) != nil || NextStates(MLA, "x") != nil {
		t.Error("next states for an unknown type or status")
	}
}

func TestCheckTransitionAllowsEveryLegalStep(t *testing.T) {
	for _, typ := range RequestTypes() {
		for from, next := range table(typ) {
			for _, to := range next {
				if err := CheckTransition(typ, from, to, reason, true); err != nil {
					t.Errorf("%s: %s → %s: %v", typ, from, to, err)
				}
			}
		}
	}
}

func TestCheckTransitionRejectsEveryOtherStepNamingTheLegalOnes(t *testing.T) {
	for _, typ := range RequestTypes() {
		for _, from := range Statuses() {
			next := NextStates(typ, from)
			for _, to := range Statuses() {
				if slices.Contains(next, to) {
					continue
				}
				err := CheckTransition(typ, from, to, reason, true)
				if !errors.Is(err, ErrIllegalTransition) {
					t.Errorf("%s: %s → %s: error %v, want ErrIllegalTransition", typ, from, to, err)
					continue
				}
				if !strings.HasPrefix(err.Error(), "casework: illegal transition: ") {
					t.Errorf("%s: %s → %s: error %q lacks the package prefix", typ, from, to, err)
				}
				if len(next) > 0 && !strings.Contains(err.Error(), "next can be "+joinStatuses(next)) {
					t.Errorf("%s: %s → %s: error %q does not name the legal next states", typ, from, to, err)
				}
			}
		}
	}
}

func TestCheckTransitionExplainsWhyAStepIsIllegal(t *testing.T) {
	for _, tc := range []struct {
		typ      RequestType
		from, to Status
		want     string
	}{
		{MLA, StatusDraft, StatusAccepted, "an mla request cannot go from draft to accepted; next can be submitted, withdrawn"},
		{MLA, StatusClosed, StatusUnderReview, "an mla request that is closed is finished; nothing can follow"},
		{Preservation, StatusExpired, StatusExtended, "a preservation request that is expired is finished"},
		{MLA, StatusPreserved, StatusExpired, "an mla request is never preserved"},
		{Preservation, StatusInExecution, StatusEvidenceTransmitted, "a preservation request is never in-execution"},
		{Preservation, StatusAccepted, StatusInExecution, "next can be preserved, withdrawn"},
		{MLA, StatusDraft, "sent", `"sent" is not a request status (use draft, submitted,`},
		{MLA, "sent", StatusDraft, `"sent" is not a request status`},
		{"interception", StatusDraft, StatusSubmitted, `"interception" is not a request type (use preservation,`},
	} {
		err := CheckTransition(tc.typ, tc.from, tc.to, reason, true)
		if !errors.Is(err, ErrIllegalTransition) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s → %s: error %v, want %q", tc.typ, tc.from, tc.to, err, tc.want)
		}
	}
}

func TestCheckTransitionRequiresReasonsAndConsultation(t *testing.T) {
	for _, tc := range []struct {
		to        Status
		reason    string
		consulted bool
		want      error
	}{
		{StatusRefused, reason, true, nil},
		{StatusRefused, "", true, ErrReasonRequired},
		{StatusRefused, "   ", true, ErrReasonRequired},
		{StatusRefused, reason, false, ErrConsultationRequired},
		{StatusRefused, "", false, ErrReasonRequired},
		{StatusPartiallyAccepted, reason, true, nil},
		{StatusPartiallyAccepted, "", true, ErrReasonRequired},
		{StatusPartiallyAccepted, reason, false, ErrConsultationRequired},
		{StatusPostponed, reason, true, nil},
		{StatusPostponed, "", true, ErrReasonRequired},
		{StatusPostponed, reason, false, ErrConsultationRequired},
		{StatusInfoRequested, "the date of the offence", false, nil},
		{StatusInfoRequested, "", true, ErrReasonRequired},
		{StatusAccepted, "", false, nil},
		{StatusWithdrawn, "", false, nil},
	} {
		for _, typ := range RequestTypes() {
			err := CheckTransition(typ, StatusUnderReview, tc.to, tc.reason, tc.consulted)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("%s under-review → %s (reason %q, consulted %v): %v, want %v", typ, tc.to, tc.reason, tc.consulted, err, tc.want)
			}
		}
	}
}

func TestEveryStateOfAMachineIsReachableAndCanFinish(t *testing.T) {
	for _, typ := range RequestTypes() {
		reached := map[Status]bool{StatusDraft: true}
		queue := []Status{StatusDraft}
		for len(queue) > 0 {
			s := queue[0]
			queue = queue[1:]
			for _, n := range NextStates(typ, s) {
				if !reached[n] {
					reached[n] = true
					queue = append(queue, n)
				}
			}
		}
		for _, s := range Statuses() {
			_, inMachine := machine(typ)[s]
			if inMachine != reached[s] {
				t.Errorf("%s: %s in machine %v, reachable from draft %v", typ, s, inMachine, reached[s])
			}
			if inMachine && s.Open() && !slices.Contains(NextStates(typ, s), StatusWithdrawn) {
				t.Errorf("%s: open state %s cannot be withdrawn", typ, s)
			}
		}
	}
}

func TestTerminalAndOpen(t *testing.T) {
	terminal := []Status{StatusClosed, StatusRefused, StatusWithdrawn, StatusExpired, StatusSuperseded}
	for _, s := range Statuses() {
		want := slices.Contains(terminal, s)
		if s.Terminal() != want || s.Open() == want {
			t.Errorf("%s: Terminal %v, Open %v", s, s.Terminal(), s.Open())
		}
	}
	if Status("x").Open() || Status("x").Terminal() {
		t.Error("an unknown status is open or terminal")
	}
}

func TestAwaitsRequestedSideOnlyWhileTheOtherSideOwesAnAnswer(t *testing.T) {
	awaiting := []Status{StatusSubmitted, StatusAcknowledged, StatusUnderReview, StatusInfoProvided, StatusAccepted, StatusPartiallyAccepted, StatusInExecution}
	for _, s := range Statuses() {
		if got := s.AwaitsRequestedSide(); got != slices.Contains(awaiting, s) {
			t.Errorf("%s.AwaitsRequestedSide() = %v", s, got)
		}
		if s.AwaitsRequestedSide() && !s.Open() {
			t.Errorf("%s awaits an answer but is not open", s)
		}
	}
}

func TestParseStatus(t *testing.T) {
	for in, want := range map[string]Status{
		"draft": StatusDraft, "Under-Review": StatusUnderReview, "info_requested": StatusInfoRequested,
		" evidence transmitted ": StatusEvidenceTransmitted, "superseded": StatusSuperseded,
	} {
		if got, err := ParseStatus(in); err != nil || got != want {
			t.Errorf("ParseStatus(%q) = %q, %v", in, got, err)
		}
	}
	for _, s := range Statuses() {
		if got, err := ParseStatus(s.String()); err != nil || got != s {
			t.Errorf("ParseStatus(%q) = %q, %v", s, got, err)
		}
	}
	if _, err := ParseStatus("sent"); err == nil || !strings.Contains(err.Error(), "draft, submitted") {
		t.Errorf("ParseStatus(sent) error = %v", err)
	}
}
