package casework

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Status is where a request for assistance stands. Its value is the id the
// CLI and the store use.
type Status string

// The statuses of a request, in the order a request usually passes them.
const (
	// StatusDraft is a request being written; nothing has been sent.
	StatusDraft Status = "draft"
	// StatusSubmitted is a request sent through a channel and not yet
	// acknowledged.
	StatusSubmitted Status = "submitted"
	// StatusAcknowledged is a request the requested side confirmed it
	// received.
	StatusAcknowledged Status = "acknowledged"
	// StatusUnderReview is a request the requested side is examining.
	StatusUnderReview Status = "under-review"
	// StatusInfoRequested is a request on which the requested side asked for
	// more information; the requesting side must answer.
	StatusInfoRequested Status = "info-requested"
	// StatusInfoProvided is a request whose requested information was sent.
	StatusInfoProvided Status = "info-provided"
	// StatusAccepted is a request the requested side will execute in full.
	StatusAccepted Status = "accepted"
	// StatusPartiallyAccepted is a request the requested side will execute
	// in part, having refused the rest with reasons.
	StatusPartiallyAccepted Status = "partially-accepted"
	// StatusPostponed is a request whose execution the requested side put
	// off, e.g. because it would hinder its own investigation.
	StatusPostponed Status = "postponed"
	// StatusRefused is a request the requested side refused, with reasons,
	// after consulting the requesting side.
	StatusRefused Status = "refused"
	// StatusInExecution is a request being executed.
	StatusInExecution Status = "in-execution"
	// StatusEvidenceTransmitted is a request whose results were sent to the
	// requesting side.
	StatusEvidenceTransmitted Status = "evidence-transmitted"
	// StatusClosed is a request whose results were received and checked.
	StatusClosed Status = "closed"
	// StatusWithdrawn is a request the requesting side took back.
	StatusWithdrawn Status = "withdrawn"
	// StatusPreserved is a preservation request whose data are preserved.
	StatusPreserved Status = "preserved"
	// StatusExtended is a preservation whose period was extended; it may be
	// extended again.
	StatusExtended Status = "extended"
	// StatusExpired is a preservation whose period ended with no follow-up
	// request pending: the data may have been deleted.
	StatusExpired Status = "expired"
	// StatusSuperseded is a preservation overtaken by its follow-up request,
	// which now keeps the data.
	StatusSuperseded Status = "superseded"
)

var statuses = []Status{
	StatusDraft, StatusSubmitted, StatusAcknowledged, StatusUnderReview,
	StatusInfoRequested, StatusInfoProvided, StatusAccepted, StatusPartiallyAccepted,
	StatusPostponed, StatusRefused, StatusInExecution, StatusEvidenceTransmitted,
	StatusClosed, StatusWithdrawn, StatusPreserved, StatusExtended, StatusExpired, StatusSuperseded,
}

// Statuses returns every status, in a stable order.
func Statuses() []Status { return slices.Clone(statuses) }

// ParseStatus accepts a status id in any case, with underscores or spaces in
// place of hyphens.
func ParseStatus(s string) (Status, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.NewReplacer("_", "-", " ", "-").Replace(v)
	if slices.Contains(statuses, Status(v)) {
		return Status(v), nil
	}
	return "", fmt.Errorf("casework: %q is not a request status (use %s)", s, joinStatuses(statuses))
}

// String returns the status id.
func (s Status) String() string { return string(s) }

// Terminal reports whether nothing can follow s: closed, refused,
// withdrawn, expired and superseded.
func (s Status) Terminal() bool {
	switch s {
	case StatusClosed, StatusRefused, StatusWithdrawn, StatusExpired, StatusSuperseded:
		return true
	}
	return false
}

// Open reports whether s is a known status that is not terminal. An open
// request can still be withdrawn.
func (s Status) Open() bool { return slices.Contains(statuses, s) && !s.Terminal() }

// AwaitsRequestedSide reports whether, in status s, the next move is the
// requested side's: the request is sent and neither answered in full nor
// paused by agreement. Only such requests can be overdue. A draft, a request
// waiting for information from the requesting side, a postponed request,
// transmitted evidence and preserved data are not waiting on the other side.
func (s Status) AwaitsRequestedSide() bool {
	switch s {
	case StatusSubmitted, StatusAcknowledged, StatusUnderReview, StatusInfoProvided,
		StatusAccepted, StatusPartiallyAccepted, StatusInExecution:
		return true
	}
	return false
}

// The errors CheckTransition wraps, so callers can tell them apart with
// errors.Is.
var (
	// ErrIllegalTransition means the status change is not in the machine:
	// unknown type or status, a terminal status, or a step that skips or
	// reverses the process.
	ErrIllegalTransition = errors.New("illegal transition")
	// ErrReasonRequired means the change must say why: a refusal, a partial
	// acceptance, a postponement or a request for information.
	ErrReasonRequired = errors.New("reason required")
	// ErrConsultationRequired means the requested side must consult the
	// requesting side first: before refusing, accepting only in part or
	// postponing (UNTOC art. 18(26)).
	ErrConsultationRequired = errors.New("consultation required")
)

// transitions is the machine of DOMAIN.md §7 shared by every request type.
// Withdrawal, allowed from every open state, is added by NextStates.
var transitions = map[Status][]Status{
	StatusDraft:               {StatusSubmitted},
	StatusSubmitted:           {StatusAcknowledged},
	StatusAcknowledged:        {StatusUnderReview},
	StatusUnderReview:         {StatusInfoRequested, StatusAccepted, StatusPartiallyAccepted, StatusPostponed, StatusRefused},
	StatusInfoRequested:       {StatusInfoProvided},
	StatusInfoProvided:        {StatusUnderReview, StatusInfoRequested},
	StatusPostponed:           {StatusUnderReview},
	StatusAccepted:            {StatusInExecution},
	StatusPartiallyAccepted:   {StatusInExecution},
	StatusInExecution:         {StatusEvidenceTransmitted},
	StatusEvidenceTransmitted: {StatusClosed},
	StatusClosed:              nil,
	StatusRefused:             nil,
	StatusWithdrawn:           nil,
}

// preservationTransitions replaces execution by preservation: the data are
// kept, not handed over, until they expire or a follow-up request takes
// over.
var preservationTransitions = map[Status][]Status{
	StatusDraft:             {StatusSubmitted},
	StatusSubmitted:         {StatusAcknowledged},
	StatusAcknowledged:      {StatusUnderReview},
	StatusUnderReview:       {StatusInfoRequested, StatusAccepted, StatusPartiallyAccepted, StatusPostponed, StatusRefused},
	StatusInfoRequested:     {StatusInfoProvided},
	StatusInfoProvided:      {StatusUnderReview, StatusInfoRequested},
	StatusPostponed:         {StatusUnderReview},
	StatusAccepted:          {StatusPreserved},
	StatusPartiallyAccepted: {StatusPreserved},
	StatusPreserved:         {StatusExtended, StatusExpired, StatusSuperseded},
	StatusExtended:          {StatusExtended, StatusExpired, StatusSuperseded},
	StatusRefused:           nil,
	StatusWithdrawn:         nil,
	StatusExpired:           nil,
	StatusSuperseded:        nil,
}

func machine(t RequestType) map[Status][]Status {
	switch {
	case t == Preservation:
		return preservationTransitions
	case t.valid():
		return transitions
	}
	return nil
}

// NextStates returns the statuses a request of type t may move to from
// status from, withdrawal last. It returns nil for a terminal status, an
// unknown type, or a status that a request of type t never takes (e.g.
// preserved for an mla request).
func NextStates(t RequestType, from Status) []Status {
	next, ok := machine(t)[from]
	if !ok || from.Terminal() {
		return nil
	}
	return append(slices.Clone(next), StatusWithdrawn)
}

// CheckTransition reports whether a request of type t may move from status
// from to status to, and returns nil if it may. Reason is the recorded
// justification; consulted records that the requested side consulted the
// requesting side. Refusal and partial acceptance need a reason and
// consultation (UNTOC art. 18(23) and (26)); postponement needs a reason and
// consultation (art. 18(25) and (26)); a request for information needs a
// reason saying what is needed. The error wraps ErrIllegalTransition,
// ErrReasonRequired or ErrConsultationRequired and, for an illegal step,
// names the legal next states.
func CheckTransition(t RequestType, from, to Status, reason string, consulted bool) error {
	m := machine(t)
	switch {
	case m == nil:
		return fmt.Errorf("casework: %w: %q is not a request type (use %s)", ErrIllegalTransition, string(t), joinTypes(requestTypes))
	case !slices.Contains(statuses, from):
		return fmt.Errorf("casework: %w: %q is not a request status", ErrIllegalTransition, string(from))
	case !slices.Contains(statuses, to):
		return fmt.Errorf("casework: %w: %q is not a request status (use %s)", ErrIllegalTransition, string(to), joinStatuses(statuses))
	}
	if _, ok := m[from]; !ok {
		return fmt.Errorf("casework: %w: %s request is never %s", ErrIllegalTransition, article(t), from)
	}
	next := NextStates(t, from)
	if len(next) == 0 {
		return fmt.Errorf("casework: %w: %s request that is %s is finished; nothing can follow", ErrIllegalTransition, article(t), from)
	}
	if !slices.Contains(next, to) {
		return fmt.Errorf("casework: %w: %s request cannot go from %s to %s; next can be %s", ErrIllegalTransition, article(t), from, to, joinStatuses(next))
	}
	hasReason := strings.TrimSpace(reason) != ""
	switch to {
	case StatusRefused:
		if !hasReason {
			return fmt.Errorf("casework: %w: a refusal must give its reasons (UNTOC art. 18(23)): non-conformity, sovereignty, security, public order or other essential interests, or domestic law", ErrReasonRequired)
		}
		if !consulted {
			return fmt.Errorf("casework: %w: consult the requesting side before refusing (UNTOC art. 18(26)), record that you did, then refuse", ErrConsultationRequired)
		}
	case StatusPartiallyAccepted:
		if !hasReason {
			return fmt.Errorf("casework: %w: a partial acceptance refuses the rest and must say what is refused and why (UNTOC art. 18(23))", ErrReasonRequired)
		}
		if !consulted {
			return fmt.Errorf("casework: %w: consult the requesting side before refusing part of a request (UNTOC art. 18(26)), record that you did, then accept in part", ErrConsultationRequired)
		}
	case StatusPostponed:
		if !hasReason {
			return fmt.Errorf("casework: %w: a postponement must say why, e.g. that execution would hinder an ongoing investigation (UNTOC art. 18(25))", ErrReasonRequired)
		}
		if !consulted {
			return fmt.Errorf("casework: %w: consult the requesting side before postponing (UNTOC art. 18(26)), record that you did, then postpone", ErrConsultationRequired)
		}
	case StatusInfoRequested:
		if !hasReason {
			return fmt.Errorf("casework: %w: say what information is needed to decide on the request", ErrReasonRequired)
		}
	}
	return nil
}

func joinStatuses(ss []Status) string {
	s := make([]string, len(ss))
	for i, st := range ss {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}
