package coop

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/vault"
)

// Node is what the cooperation workflow works with.
type Node struct {
	St store.CaseStore
	// Data is the data directory: the evidence vault (vault/) and this
	// agency's signing key (keys/).
	Data string
	// Actor names who acts, for the audit log and the chain of custody.
	Actor string
	// Deadlines are the request timers.
	Deadlines casework.Deadlines
	// Now returns the current time (default time.Now).
	Now func() time.Time
	// Receive reports whether the acting user may receive an item with
	// marking m owned by this node; nil lets everything through (the
	// command line acts as the node).
	Receive func(m casework.Marking) bool
}

// now is the time of a change, in UTC with the precision the store keeps.
func (n *Node) now() time.Time {
	f := n.Now
	if f == nil {
		f = time.Now
	}
	return f().UTC().Truncate(time.Microsecond)
}

// may reports whether the acting user may receive an item marked t.
func (n *Node) may(t event.TLP) bool {
	return n.Receive == nil || n.Receive(casework.Marking{TLP: t})
}

// readable refuses a marking the acting user could not receive: what a
// user makes, the user must be able to read back.
func (n *Node) readable(t event.TLP) error {
	if !n.may(t) {
		return problem("tlp", "you could not receive an item marked %s yourself; choose a marking you may receive", t)
	}
	return nil
}

// Vault opens the evidence vault.
func (n *Node) Vault() (*vault.Vault, error) {
	return vault.Open(filepath.Join(n.Data, "vault"))
}

// KeyPath is where an agency's own signing key lives.
func (n *Node) KeyPath(agency string) string {
	return filepath.Join(n.Data, "keys", agency+".key")
}

// Change runs fn as one audited transaction on behalf of the actor.
func (n *Node) Change(ctx context.Context, fn func(tx store.CaseTx) error) error {
	return n.St.Change(ctx, n.Actor, fn)
}

// Case returns a case the acting user may receive, or store.ErrNotFound.
func (n *Node) Case(ctx context.Context, id int64) (store.Case, error) {
	c, err := n.St.Case(ctx, id)
	if err == nil && !n.may(c.TLP) {
		return store.Case{}, fmt.Errorf("case %d: %w", id, store.ErrNotFound)
	}
	return c, err
}

// Request returns a request the acting user may receive, or
// store.ErrNotFound.
func (n *Node) Request(ctx context.Context, id int64) (store.Request, error) {
	r, err := n.St.Request(ctx, id)
	if err == nil && !n.may(r.TLP) {
		return store.Request{}, fmt.Errorf("request %d: %w", id, store.ErrNotFound)
	}
	return r, err
}

// Evidence returns an evidence record the acting user may receive, with
// its case, or store.ErrNotFound: a record is received only with its case,
// whose existence it reveals.
func (n *Node) Evidence(ctx context.Context, id int64) (store.EvidenceRecord, error) {
	rec, err := n.St.Evidence(ctx, id)
	if err != nil || n.Receive == nil {
		return rec, err
	}
	if !n.may(rec.TLP) {
		return store.EvidenceRecord{}, fmt.Errorf("evidence %d: %w", id, store.ErrNotFound)
	}
	if _, err := n.Case(ctx, rec.CaseID); err != nil {
		return store.EvidenceRecord{}, fmt.Errorf("evidence %d: %w", id, err)
	}
	return rec, nil
}

// Problem is a mistake in what the caller asked for, which the caller can
// fix: a value that does not parse, a step the rules forbid.
type Problem struct {
	// Field names the input at fault (the command line's flag, the form's
	// field), "" when the request as a whole is at fault.
	Field string
	// Msg says what is wrong.
	Msg string
	// sep joins the flag and the message on the command line.
	sep string
	err error
}

// problem returns a Problem the command line writes "--field: msg".
func problem(field, format string, args ...any) *Problem {
	return &Problem{Field: field, Msg: fmt.Sprintf(format, args...), sep: ": "}
}

// problemWith returns a Problem the command line writes "--field msg".
func problemWith(field, format string, args ...any) *Problem {
	return &Problem{Field: field, Msg: fmt.Sprintf(format, args...), sep: " "}
}

func (p *Problem) Error() string {
	if p.Field == "" {
		return p.Msg
	}
	return p.Field + ": " + p.Msg
}

// Unwrap returns the rule the problem breaks, when it is one
// (casework.ErrReasonRequired, store.ErrReplay, ...).
func (p *Problem) Unwrap() error { return p.err }

// Flag returns the problem as the command line says it, naming the flag:
// "--tlp: ...".
func (p *Problem) Flag() string {
	if p.Field == "" {
		return p.Msg
	}
	return "--" + p.Field + p.sep + p.Msg
}

// IncompleteError is a request whose fields are missing or wrong.
type IncompleteError struct {
	Type     casework.RequestType
	Missing  []string
	Problems []string
}

func (e *IncompleteError) Error() string {
	msg := fmt.Sprintf("a %s request is not complete", e.Type)
	if len(e.Missing) > 0 {
		msg += "\n  missing: " + strings.Join(e.Missing, ", ")
	}
	for _, p := range e.Problems {
		msg += "\n  " + p
	}
	return msg
}

// CheckFields validates a request's fields against its type: nil, or an
// *IncompleteError.
func CheckFields(t casework.RequestType, fields map[string]any) error {
	if missing, problems := casework.Validate(t, fields); len(missing)+len(problems) > 0 {
		return &IncompleteError{Type: t, Missing: missing, Problems: problems}
	}
	return nil
}
