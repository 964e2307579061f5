package casework

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Day is 24 hours. Deadlines count days as fixed 24-hour spans, so callers
// should pass times in UTC for the results to fall on the expected clock
// time across daylight-saving changes.
const Day = 24 * time.Hour

// Deadlines holds the durations the timers use. Operators may change them
// in configuration; DefaultDeadlines gives the values and their sources.
type Deadlines struct {
	// Response is how long the requested side has, from submission, to
	// deliver: preserve the data for a preservation request, transmit the
	// evidence or act for the others.
	Response map[RequestType]time.Duration
	// PreservationPeriod is how long preserved data are kept from
	// acceptance. Budapest art. 29(7) and UN art. 42 require at least 60
	// days, so Validate rejects less.
	PreservationPeriod time.Duration
	// PreservationExtension is what each extension adds to the period.
	PreservationExtension time.Duration
}

// MinPreservationPeriod is the shortest preservation the Budapest Convention
// (art. 29(7)) and the UN Convention against Cybercrime (art. 42) allow.
const MinPreservationPeriod = 60 * Day

// DefaultDeadlines returns the house defaults:
//
//   - preservation: 3 days to preserve. House default: Budapest art. 29
//     asks for expeditious preservation and sets no period.
//   - traffic-disclosure: 45 days, the period for traffic data in Second
//     Additional Protocol art. 8.
//   - stored-data: 45 days. House default, aligned on the Protocol's 45 days
//     for traffic data; Budapest art. 31 sets no period.
//   - subscriber-info: 20 days, the period for subscriber information in
//     Second Additional Protocol art. 8.
//   - emergency: 8 hours. House default, the EU e-evidence Regulation's
//     period for emergency production orders (DOMAIN.md §7, to be
//     checked); Protocol arts. 9 and 10 say "expedited" only.
//   - mla: 90 days. House default: UNTOC art. 18(24) says "as soon as
//     possible".
//   - takedown: 2 days. House default for CERT-to-CERT requests.
//
// Preservation lasts 60 days from acceptance (Budapest art. 29(7), UN
// art. 42: at least 60 days) and each extension adds 60 days, a house
// choice; an EU preservation order instead allows 60 days and one 30-day
// extension.
func DefaultDeadlines() Deadlines {
	return Deadlines{
		Response: map[RequestType]time.Duration{
			Preservation:      3 * Day,
			TrafficDisclosure: 45 * Day,
			StoredData:        45 * Day,
			SubscriberInfo:    20 * Day,
			Emergency:         8 * time.Hour,
			MLA:               90 * Day,
			Takedown:          2 * Day,
		},
		PreservationPeriod:    MinPreservationPeriod,
		PreservationExtension: 60 * Day,
	}
}

// Validate reports every setting that cannot be used: a response time that
// is not positive or belongs to no request type, a preservation period
// shorter than 60 days, an extension that is not positive. A request type
// without a response time is fine: Due uses the default.
func (d Deadlines) Validate() error {
	var errs []error
	for _, t := range slices.Sorted(maps.Keys(d.Response)) {
		if !t.valid() {
			errs = append(errs, fmt.Errorf("casework: deadline for %q: not a request type (use %s)", string(t), joinTypes(requestTypes)))
		} else if d.Response[t] <= 0 {
			errs = append(errs, fmt.Errorf("casework: deadline for %s: must be positive, not %v", t, d.Response[t]))
		}
	}
	if d.PreservationPeriod < MinPreservationPeriod {
		errs = append(errs, fmt.Errorf("casework: preservation period %v is shorter than the 60 days Budapest art. 29(7) requires", d.PreservationPeriod))
	}
	if d.PreservationExtension <= 0 {
		errs = append(errs, fmt.Errorf("casework: preservation extension must be positive, not %v", d.PreservationExtension))
	}
	return errors.Join(errs...)
}

// Due returns when the answer to a request of type t submitted at submitted
// is due. A type missing from d.Response takes the default. It returns the
// zero time, meaning no due date, for an unknown type or a zero submission
// time (a draft).
func (d Deadlines) Due(t RequestType, submitted time.Time) time.Time {
	if submitted.IsZero() || !t.valid() {
		return time.Time{}
	}
	r, ok := d.Response[t]
	if !ok || r <= 0 {
		r = DefaultDeadlines().Response[t]
	}
	return submitted.Add(r)
}

// PreservedUntil returns the end of a preservation accepted at accepted and
// extended extensions times: the period plus one extension length per
// extension, with the period never under 60 days. Expired is true once now
// has reached until and no follow-up request is pending; while the
// follow-up (the mutual assistance or disclosure request the preservation
// awaits) is pending, the data stay preserved past until (Budapest
// art. 29(7)).
func (d Deadlines) PreservedUntil(accepted time.Time, extensions int, followUpPending bool, now time.Time) (until time.Time, expired bool) {
	period := max(d.PreservationPeriod, MinPreservationPeriod)
	ext := d.PreservationExtension
	if ext <= 0 {
		ext = DefaultDeadlines().PreservationExtension
	}
	until = accepted.Add(period + time.Duration(max(extensions, 0))*ext)
	return until, !followUpPending && !now.Before(until)
}

// Overdue reports whether a request in status status, due at due, is late
// at now: the due time has passed and the request still awaits the
// requested side (see Status.AwaitsRequestedSide). A zero due time is never
// overdue.
func Overdue(due, now time.Time, status Status) bool {
	return !due.IsZero() && status.AwaitsRequestedSide() && now.After(due)
}

// ExpiringWithin reports whether a preservation ending at until (from
// PreservedUntil) will expire within the next days days after now, so that
// an extension or the follow-up request can be sent in time. A
// preservation held by a pending follow-up request or already expired is
// not expiring.
func ExpiringWithin(until time.Time, followUpPending bool, now time.Time, days int) bool {
	if followUpPending || days < 0 || !now.Before(until) {
		return false
	}
	return until.Sub(now) <= time.Duration(days)*Day
}
