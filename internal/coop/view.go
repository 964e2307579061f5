package coop

import (
	"encoding/json"
	"time"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/federation"
	"github.com/concord-cert/concord/internal/store"
)

// The views are the JSON shapes of `concord ... --json` and of the web
// API: one shape for one thing, wherever it is read.

// CaseView is a case.
type CaseView struct {
	ID       int64               `json:"id"`
	Title    string              `json:"title"`
	TLP      string              `json:"tlp"`
	PAP      string              `json:"pap"`
	Status   string              `json:"status"`
	Opened   string              `json:"opened"`
	Items    []CaseItemView      `json:"items,omitempty"`
	Evidence []EvidenceView      `json:"evidence,omitempty"`
	Requests []RequestView       `json:"requests,omitempty"`
	Reports  []map[string]string `json:"reports,omitempty"`
}

// CaseItemView is one item linked to a case.
type CaseItemView struct {
	Kind  string `json:"kind"`
	Ref   string `json:"ref"`
	Added string `json:"added"`
	TLP   string `json:"tlp"`
}

// ViewCase returns the view of c without its items.
func ViewCase(c store.Case) CaseView {
	return CaseView{ID: c.ID, Title: c.Title, TLP: c.TLP.String(), PAP: c.PAP, Status: c.Status, Opened: c.Opened.Format("2006-01-02T15:04:05Z")}
}

// ViewCaseItem returns the view of a case item.
func ViewCaseItem(it store.CaseItem) CaseItemView {
	return CaseItemView{Kind: it.Kind, Ref: it.Ref, Added: it.Added.Format("2006-01-02T15:04:05Z"), TLP: it.TLP.String()}
}

// EvidenceView is an evidence record.
type EvidenceView struct {
	ID          int64  `json:"id"`
	Case        int64  `json:"case"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	TLP         string `json:"tlp"`
	Acquired    string `json:"acquired"`
	AcquiredBy  string `json:"acquired_by"`
	LegalHold   bool   `json:"legal_hold"`
}

// ViewEvidence returns the view of an evidence record.
func ViewEvidence(ev store.EvidenceRecord) EvidenceView {
	return EvidenceView{ID: ev.ID, Case: ev.CaseID, SHA256: ev.SHA256, Size: ev.Size, Name: ev.Name, Description: ev.Description,
		TLP: ev.TLP.String(), Acquired: ev.Acquired.Format("2006-01-02T15:04:05Z"), AcquiredBy: ev.AcquiredBy, LegalHold: ev.LegalHold}
}

// CustodyView is one link of a chain of custody.
type CustodyView struct {
	Seq     int64  `json:"seq"`
	Time    string `json:"time"`
	Action  string `json:"action"`
	Actor   string `json:"actor"`
	Purpose string `json:"purpose,omitempty"`
}

// ViewCustody returns the views of a chain of custody.
func ViewCustody(entries []store.CustodyEntry) []CustodyView {
	list := make([]CustodyView, len(entries))
	for i, x := range entries {
		list[i] = CustodyView{x.Seq, x.Time.Format("2006-01-02T15:04:05Z"), x.Action, x.Actor, x.Purpose}
	}
	return list
}

// RequestView is a request for assistance.
type RequestView struct {
	ID             int64           `json:"id"`
	Case           int64           `json:"case,omitempty"`
	Direction      string          `json:"direction"`
	Type           string          `json:"type"`
	From           string          `json:"from"`
	To             string          `json:"to"`
	Status         string          `json:"status"`
	TLP            string          `json:"tlp"`
	Created        string          `json:"created"`
	Submitted      string          `json:"submitted,omitempty"`
	Due            string          `json:"due,omitempty"`
	Overdue        bool            `json:"overdue"`
	PreservedUntil string          `json:"preserved_until,omitempty"`
	Expiring       bool            `json:"expiring,omitempty"`
	RemoteID       string          `json:"remote_id,omitempty"`
	Version        int64           `json:"version"`
	Fields         json.RawMessage `json:"fields,omitempty"`
	History        []ChangeView    `json:"history,omitempty"`
}

// ChangeView is one status change of a request.
type ChangeView struct {
	Time   string `json:"time"`
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason,omitempty"`
	Actor  string `json:"actor"`
}

// ViewChanges returns the views of a request's status history.
func ViewChanges(h []store.RequestChange) []ChangeView {
	out := make([]ChangeView, 0, len(h))
	for _, x := range h {
		out = append(out, ChangeView{Stamp(x.Time), x.From, x.To, x.Reason, x.Actor})
	}
	return out
}

// Stamp writes t as RFC 3339 in UTC, "" for the zero time.
func Stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// ExpiringDays is how far ahead a preservation about to lapse is flagged.
const ExpiringDays = 14

// ViewRequest returns the view of r at time at, with its timers, without
// its fields and history.
func ViewRequest(r store.Request, at time.Time) RequestView {
	v := RequestView{ID: r.ID, Case: r.CaseID, Direction: r.Direction, Type: r.Type, From: r.From, To: r.To, Status: r.Status, TLP: r.TLP.String(),
		Created: Stamp(r.Created), Submitted: Stamp(r.Submitted), Due: Stamp(r.Due), PreservedUntil: Stamp(r.PreservedUntil), RemoteID: r.RemoteID, Version: r.Version}
	v.Overdue = casework.Overdue(r.Due, at, casework.Status(r.Status))
	if !r.PreservedUntil.IsZero() && (r.Status == string(casework.StatusPreserved) || r.Status == string(casework.StatusExtended)) {
		v.Expiring = casework.ExpiringWithin(r.PreservedUntil, r.FollowUp != 0, at, ExpiringDays)
	}
	return v
}

// AgencyView is an agency.
type AgencyView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Country     string `json:"country"`
	Self        bool   `json:"self"`
	Contact     string `json:"contact,omitempty"`
	Channels    string `json:"channels,omitempty"`
	PublicKey   string `json:"public_key,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	KeyCreated  bool   `json:"key_created,omitempty"`
}

// ViewAgency returns the view of an agency with its key's fingerprint.
func ViewAgency(a store.Agency) AgencyView {
	v := AgencyView{ID: a.ID, Name: a.Name, Country: a.Country, Self: a.Self, Contact: a.Contact, Channels: a.Channels, PublicKey: a.PublicKey}
	if pub, err := federation.ParsePublicKey(a.PublicKey); err == nil {
		v.Fingerprint = federation.Fingerprint(pub)
	}
	return v
}
