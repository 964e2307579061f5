package coop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// DecodeFields reads a request's fields: one JSON object.
func DecodeFields(data []byte) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("the fields must be one JSON object: %w", err)
	}
	if m == nil {
		return nil, errors.New("the fields must be one JSON object")
	}
	return m, nil
}

// NewRequest is a request for assistance to draft.
type NewRequest struct {
	CaseID int64
	Type   casework.RequestType
	// To is the requested agency's id.
	To     string
	Fields map[string]any
	// TLP is the request's marking, never less strict than the case's;
	// "" gives it the case's.
	TLP string
}

// CreateRequest drafts an outgoing request for assistance in a case. Its
// fields must be complete for its type (an *IncompleteError otherwise);
// its due date is the one it would have if sent now.
func (n *Node) CreateRequest(ctx context.Context, nr NewRequest) (store.Request, error) {
	if err := CheckFields(nr.Type, nr.Fields); err != nil {
		return store.Request{}, err
	}
	self, err := n.St.SelfAgency(ctx)
	if err != nil {
		return store.Request{}, err
	}
	partner, err := n.St.Agency(ctx, nr.To)
	if err != nil {
		return store.Request{}, err
	}
	if partner.ID == self.ID {
		return store.Request{}, problemWith("to", "%s is this node's own agency", partner.ID)
	}
	cs, err := n.Case(ctx, nr.CaseID)
	if err != nil {
		return store.Request{}, err
	}
	tlp := cs.TLP
	if nr.TLP != "" {
		t, err := event.ParseTLP(nr.TLP)
		if err != nil {
			return store.Request{}, problem("tlp", "%v", err)
		}
		tlp = tlp.Stricter(t)
	}
	if err := n.readable(tlp); err != nil {
		return store.Request{}, err
	}
	at := n.now()
	raw, _ := json.Marshal(nr.Fields)
	r := store.Request{CaseID: cs.ID, Direction: store.Outgoing, Type: string(nr.Type), From: self.ID, To: partner.ID, Status: string(casework.StatusDraft),
		Fields: raw, TLP: tlp, Created: at, Due: n.Deadlines.Due(nr.Type, at)}
	err = n.Change(ctx, func(tx store.CaseTx) error {
		var err error
		r.ID, err = tx.CreateRequest(r)
		return err
	})
	return r, err
}

// ApplyStatus moves r to status to at time at and keeps its timers: the
// due date runs from submission, preservation from acceptance.
func ApplyStatus(dl casework.Deadlines, r *store.Request, to casework.Status, at time.Time, followUpOpen bool) {
	r.Status = string(to)
	switch to {
	case casework.StatusSubmitted:
		r.Submitted = at
		r.Due = dl.Due(casework.RequestType(r.Type), at)
	case casework.StatusAccepted, casework.StatusPartiallyAccepted:
		r.Accepted = at
	case casework.StatusPreserved:
		if r.Accepted.IsZero() {
			r.Accepted = at
		}
		r.PreservedUntil, _ = dl.PreservedUntil(r.Accepted, r.Extensions, followUpOpen, at)
	case casework.StatusExtended:
		r.Extensions++
		r.PreservedUntil, _ = dl.PreservedUntil(r.Accepted, r.Extensions, followUpOpen, at)
	}
}

// followUpOpen reports whether r's follow-up request is still open, which
// keeps its preservation from lapsing.
func (n *Node) followUpOpen(ctx context.Context, r store.Request) bool {
	if r.FollowUp == 0 {
		return false
	}
	f, err := n.St.Request(ctx, r.FollowUp)
	return err == nil && casework.Status(f.Status).Open()
}

// Move is a status change of a request.
type Move struct {
	ID int64
	To casework.Status
	// Reason is required to refuse, postpone, partially accept or ask
	// for information.
	Reason string
	// Consulted says the requesting side was consulted (required to
	// refuse, postpone or partially accept).
	Consulted bool
	// FollowUp is the request that follows this one (an MLA after a
	// preservation); 0 for none.
	FollowUp int64
	// Version, when set, is the version the mover saw: a request changed
	// since is refused with store.ErrConflict.
	Version int64
}

// MoveRequest changes a request's status if the state machine of its type
// allows it (a *Problem wrapping the casework error otherwise), checking
// that a request about to be submitted is complete, and returns the
// request as stored.
func (n *Node) MoveRequest(ctx context.Context, m Move) (store.Request, error) {
	r, err := n.Request(ctx, m.ID)
	if err != nil {
		return r, err
	}
	if m.Version != 0 && m.Version != r.Version {
		return r, fmt.Errorf("request %d: %w", r.ID, store.ErrConflict)
	}
	typ := casework.RequestType(r.Type)
	from := casework.Status(r.Status)
	if err := casework.CheckTransition(typ, from, m.To, m.Reason, m.Consulted); err != nil {
		return r, &Problem{Msg: fmt.Sprintf("request %d: %v", r.ID, err), err: err}
	}
	if m.To == casework.StatusSubmitted {
		fields, err := DecodeFields(r.Fields)
		if err != nil {
			return r, fmt.Errorf("request %d: %w", r.ID, err)
		}
		if err := CheckFields(typ, fields); err != nil {
			return r, err
		}
	}
	if m.FollowUp != 0 {
		if _, err := n.Request(ctx, m.FollowUp); err != nil {
			return r, err
		}
		r.FollowUp = m.FollowUp
	}
	at := n.now()
	ApplyStatus(n.Deadlines, &r, m.To, at, n.followUpOpen(ctx, r))
	if err := n.Change(ctx, func(tx store.CaseTx) error {
		return tx.UpdateRequest(r, store.RequestChange{Time: at, From: string(from), To: string(m.To), Reason: m.Reason})
	}); err != nil {
		return r, err
	}
	r.Version++
	return r, nil
}
