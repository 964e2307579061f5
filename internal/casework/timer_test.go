package casework

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDueUsesTheDefaultResponseTimes(t *testing.T) {
	submitted := at("2026-03-02T09:30:00Z")
	d := DefaultDeadlines()
	for _, tc := range []struct {
		typ  RequestType
		want string
	}{
		{Preservation, "2026-03-05T09:30:00Z"},      // 3 days, house default
		{TrafficDisclosure, "2026-04-16T09:30:00Z"}, // 45 days, Protocol art. 8
		{StoredData, "2026-04-16T09:30:00Z"},        // 45 days, house default
		{SubscriberInfo, "2026-03-22T09:30:00Z"},    // 20 days, Protocol art. 8
		{Emergency, "2026-03-02T17:30:00Z"},         // 8 hours
		{MLA, "2026-05-31T09:30:00Z"},               // 90 days, house default
		{Takedown, "2026-03-04T09:30:00Z"},          // 2 days, house default
	} {
		if got := d.Due(tc.typ, submitted); !got.Equal(at(tc.want)) {
			t.Errorf("Due(%s) = %v, want %s", tc.typ, got, tc.want)
		}
	}
}

func TestDueUsesConfiguredTimesAndFallsBackToDefaults(t *testing.T) {
	d := Deadlines{Response: map[RequestType]time.Duration{MLA: 30 * Day, Takedown: -time.Hour}}
	submitted := at("2026-01-01T00:00:00Z")
	for _, tc := range []struct {
		typ  RequestType
		want time.Time
	}{
		{MLA, at("2026-01-31T00:00:00Z")},
		{SubscriberInfo, at("2026-01-21T00:00:00Z")}, // missing: default
		{Takedown, at("2026-01-03T00:00:00Z")},       // not positive: default
		{"interception", time.Time{}},
	} {
		if got := d.Due(tc.typ, submitted); !got.Equal(tc.want) {
			t.Errorf("Due(%s) = %v, want %v", tc.typ, got, tc.want)
		}
	}
	if !d.Due(MLA, time.Time{}).IsZero() {
		t.Error("a request never submitted has a due date")
	}
}

func TestDefaultDeadlinesAreValidAndCoverEveryType(t *testing.T) {
	d := DefaultDeadlines()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, typ := range RequestTypes() {
		if d.Response[typ] <= 0 {
			t.Errorf("no default response time for %s", typ)
		}
	}
	if d.PreservationPeriod != 60*Day || d.PreservationExtension != 60*Day {
		t.Errorf("preservation %v + %v, want 60 days + 60 days", d.PreservationPeriod, d.PreservationExtension)
	}
	// DefaultDeadlines returns a fresh map each time.
	d.Response[MLA] = time.Hour
	if DefaultDeadlines().Response[MLA] != 90*Day {
		t.Error("changing a returned Deadlines changed the defaults")
	}
}

func TestDeadlinesValidateReportsEveryProblem(t *testing.T) {
	d := Deadlines{
		Response:              map[RequestType]time.Duration{MLA: 0, "interception": Day, Emergency: -time.Hour},
		PreservationPeriod:    30 * Day,
		PreservationExtension: 0,
	}
	err := d.Validate()
	for _, want := range []string{"deadline for emergency: must be positive", `deadline for "interception": not a request type`,
		"deadline for mla: must be positive", "shorter than the 60 days", "extension must be positive"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	// An EU preservation order's 30-day extension is a valid configuration.
	eu := DefaultDeadlines()
	eu.PreservationExtension = 30 * Day
	if err := eu.Validate(); err != nil {
		t.Error(err)
	}
}

func TestPreservedUntil(t *testing.T) {
	accepted := at("2026-01-10T12:00:00Z")
	for _, tc := range []struct {
		name       string
		d          Deadlines
		extensions int
		pending    bool
		now        string
		until      string
		expired    bool
	}{
		{"within the first 60 days", DefaultDeadlines(), 0, false, "2026-02-01T00:00:00Z", "2026-03-11T12:00:00Z", false},
		{"one second before the end", DefaultDeadlines(), 0, false, "2026-03-11T11:59:59Z", "2026-03-11T12:00:00Z", false},
		{"at the end", DefaultDeadlines(), 0, false, "2026-03-11T12:00:00Z", "2026-03-11T12:00:00Z", true},
		{"after the end", DefaultDeadlines(), 0, false, "2026-04-01T00:00:00Z", "2026-03-11T12:00:00Z", true},
		{"held while the follow-up is pending", DefaultDeadlines(), 0, true, "2026-09-01T00:00:00Z", "2026-03-11T12:00:00Z", false},
		{"one extension adds 60 days", DefaultDeadlines(), 1, false, "2026-04-01T00:00:00Z", "2026-05-10T12:00:00Z", false},
		{"two extensions add 120 days", DefaultDeadlines(), 2, false, "2026-07-01T00:00:00Z", "2026-07-09T12:00:00Z", false},
		{"expired after two extensions", DefaultDeadlines(), 2, false, "2026-07-10T00:00:00Z", "2026-07-09T12:00:00Z", true},
		{"negative extensions count as none", DefaultDeadlines(), -3, false, "2026-02-01T00:00:00Z", "2026-03-11T12:00:00Z", false},
		{"EU order: 60 days and a 30-day extension", Deadlines{PreservationPeriod: 60 * Day, PreservationExtension: 30 * Day}, 1, false, "2026-04-01T00:00:00Z", "2026-04-10T12:00:00Z", false},
		{"a longer configured period", Deadlines{PreservationPeriod: 90 * Day, PreservationExtension: 30 * Day}, 0, false, "2026-04-01T00:00:00Z", "2026-04-10T12:00:00Z", false},
		{"never under 60 days", Deadlines{PreservationPeriod: 10 * Day}, 0, false, "2026-02-01T00:00:00Z", "2026-03-11T12:00:00Z", false},
		{"a missing extension length takes the default", Deadlines{}, 1, false, "2026-02-01T00:00:00Z", "2026-05-10T12:00:00Z", false},
	} {
		until, expired := tc.d.PreservedUntil(accepted, tc.extensions, tc.pending, at(tc.now))
		if !until.Equal(at(tc.until)) || expired != tc.expired {
			t.Errorf("%s: until %v, expired %v; want %s, %v", tc.name, until, expired, tc.until, tc.expired)
		}
	}
}

func TestOverdue(t *testing.T) {
	due := at("2026-03-22T09:30:00Z")
	for _, tc := range []struct {
		now    string
		status Status
		want   bool
	}{
		{"2026-03-22T09:30:01Z", StatusSubmitted, true},
		{"2026-03-22T09:30:01Z", StatusAcknowledged, true},
		{"2026-03-22T09:30:01Z", StatusUnderReview, true},
		{"2026-03-22T09:30:01Z", StatusInfoProvided, true},
		{"2026-03-22T09:30:01Z", StatusAccepted, true},
		{"2026-03-22T09:30:01Z", StatusPartiallyAccepted, true},
		{"2026-03-22T09:30:01Z", StatusInExecution, true},
		{"2026-03-22T09:30:00Z", StatusUnderReview, false}, // due now, not late yet
		{"2026-03-01T00:00:00Z", StatusUnderReview, false},
		{"2026-04-01T00:00:00Z", StatusDraft, false},
		{"2026-04-01T00:00:00Z", StatusInfoRequested, false}, // waiting on us
		{"2026-04-01T00:00:00Z", StatusPostponed, false},
		{"2026-04-01T00:00:00Z", StatusEvidenceTransmitted, false},
		{"2026-04-01T00:00:00Z", StatusPreserved, false},
		{"2026-04-01T00:00:00Z", StatusExtended, false},
		{"2026-04-01T00:00:00Z", StatusClosed, false},
		{"2026-04-01T00:00:00Z", StatusRefused, false},
		{"2026-04-01T00:00:00Z", StatusWithdrawn, false},
		{"2026-04-01T00:00:00Z", StatusExpired, false},
		{"2026-04-01T00:00:00Z", StatusSuperseded, false},
	} {
		if got := Overdue(due, at(tc.now), tc.status); got != tc.want {
			t.Errorf("Overdue at %s in %s = %v", tc.now, tc.status, got)
		}
	}
	if Overdue(time.Time{}, at("2026-04-01T00:00:00Z"), StatusSubmitted) {
		t.Error("no due date, yet overdue")
	}
}

func TestOverdueFollowsEveryStatus(t *testing.T) {
	due, late := at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z")
	for _, s := range Statuses() {
		if Overdue(due, late, s) != s.AwaitsRequestedSide() {
			t.Errorf("%s: overdue %v", s, !s.AwaitsRequestedSide())
		}
	}
}

func TestExpiringWithin(t *testing.T) {
	until := at("2026-03-11T12:00:00Z")
	for _, tc := range []struct {
		now     string
		pending bool
		days    int
		want    bool
	}{
		{"2026-03-01T12:00:00Z", false, 10, true}, // exactly 10 days left
		{"2026-03-01T11:59:59Z", false, 10, false},
		{"2026-03-10T00:00:00Z", false, 7, true},
		{"2026-03-10T00:00:00Z", true, 7, false},  // held by the follow-up
		{"2026-03-11T12:00:00Z", false, 7, false}, // already expired
		{"2026-03-12T00:00:00Z", false, 7, false},
		{"2026-03-11T11:00:00Z", false, 0, false},
		{"2026-03-11T11:00:00Z", false, 1, true},
		{"2026-03-10T00:00:00Z", false, -1, false},
	} {
		if got := ExpiringWithin(until, tc.pending, at(tc.now), tc.days); got != tc.want {
			t.Errorf("ExpiringWithin(now %s, pending %v, %d days) = %v", tc.now, tc.pending, tc.days, got)
		}
	}
}

func TestDeadlinesValidateJoinsErrors(t *testing.T) {
	err := Deadlines{PreservationPeriod: Day}.Validate()
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 2 {
		t.Errorf("error %v should join the period and the extension problems", err)
	}
}
