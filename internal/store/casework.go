package store

import (
	"context"
	"errors"
	"time"

	"github.com/concord-cert/concord/internal/audit"
	"github.com/concord-cert/concord/internal/event"
)

// Errors of the casework store.
var (
	// ErrConflict is returned when a record changed since it was read: two
	// people moved one request at once, and the second must look again.
	ErrConflict = errors.New("store: the record was changed by someone else since it was read; read it again and retry")
	// ErrReplay is returned when a package with the same id was imported
	// before.
	ErrReplay = errors.New("store: this package was imported before")
	// ErrExists is returned when a record with the same identity exists.
	ErrExists = errors.New("store: already exists")
)

// Agency is this node's own agency (Self) or a partner: a CERT, a police
// unit, a 24/7 point of contact.
type Agency struct {
	ID      string
	Name    string
	Country string // ISO 3166-1 alpha-2
	Self    bool
	// Contact is the 24/7 contact (phone, e-mail); Channels the channels it
	// takes requests by (e-mail, SIENA, I-24/7), comma-separated.
	Contact  string
	Channels string
	// PublicKey is the agency's Ed25519 signing key, "ed25519:<base64>".
	PublicKey string
	Created   time.Time
}

// VictimReport is a victim's report as received: its reference, the
// status the victim can look up, and the intake record as JSON.
type VictimReport struct {
	Reference     string
	Received      time.Time
	Status        string
	StatusChanged time.Time
	TLP           event.TLP
	Body          []byte // the intake record, JSON
}

// Case is an investigation: linked reports, events, evidence, assessments,
// requests, notes and tasks under one marking.
type Case struct {
	ID      int64
	Title   string
	TLP     event.TLP
	PAP     string // RED, AMBER, GREEN or CLEAR
	Status  string // open, closed
	Opened  time.Time
	Closed  time.Time // zero while open
	Version int64
}

// CaseItem links something to a case: a victim report, a stored event, an
// evidence record, an assessment, a request, a note or a task.
type CaseItem struct {
	CaseID int64
	Kind   string // report, event, evidence, assessment, request, note, task
	Ref    string // the item's id in its own table, or the note's text key
	Added  time.Time
	TLP    event.TLP
	Note   string
}

// EvidenceRecord is one piece of evidence in a case: a file kept in the
// vault under its SHA-256.
type EvidenceRecord struct {
	ID          int64
	CaseID      int64
	SHA256      string
	Size        int64
	Name        string
	Description string
	TLP         event.TLP
	Acquired    time.Time
	AcquiredBy  string
	LegalHold   bool
}

// CustodyEntry is one link of an evidence record's chain of custody.
type CustodyEntry struct {
	EvidenceID int64
	Seq        int64
	Time       time.Time
	// Action is acquired, accessed, exported, transferred, verified,
	// hold-set or hold-released.
	Action  string
	Actor   string
	Purpose string
}

// Request is a request for assistance, sent (outgoing) or received
// (incoming).
type Request struct {
	ID        int64
	CaseID    int64 // 0 when not linked to a case
	Direction string
	Type      string
	From, To  string // agency ids
	Status    string
	Fields    []byte // JSON object
	TLP       event.TLP
	Created   time.Time
	Submitted time.Time
	Accepted  time.Time
	Due       time.Time
	// PreservedUntil is when data preserved for the request may be
	// released; Extensions counts the extensions granted.
	PreservedUntil time.Time
	Extensions     int
	// FollowUp is the request that followed this one (an MLA after a
	// preservation), 0 when none.
	FollowUp int64
	// RemoteID is "AGENCY:ID" of the same request at the partner.
	RemoteID string
	Version  int64
	Updated  time.Time
}

// Directions of a request.
const (
	Outgoing = "outgoing"
	Incoming = "incoming"
)

// RequestChange is one status change of a request.
type RequestChange struct {
	RequestID int64
	Seq       int64
	Time      time.Time
	From, To  string
	Reason    string
	Actor     string
}

// Casework keeps agencies, victim reports, cases, evidence records with
// their chain of custody, requests for assistance and the audit log.
type Casework interface {
	// Change runs fn in one transaction on behalf of actor. Every change fn
	// makes is appended to the hash-chained audit log in the same
	// transaction: either the change and its audit entries are stored or
	// neither is. Changes are serialised, so the chain stays linear under
	// concurrent writers. An error from fn rolls everything back.
	Change(ctx context.Context, actor string, fn func(tx CaseTx) error) error

	Agency(ctx context.Context, id string) (Agency, error)
	Agencies(ctx context.Context) ([]Agency, error)
	// SelfAgency returns this node's agency, or ErrNotFound.
	SelfAgency(ctx context.Context) (Agency, error)
	VictimReport(ctx context.Context, ref string) (VictimReport, error)
	VictimReports(ctx context.Context) ([]VictimReport, error)
	Case(ctx context.Context, id int64) (Case, error)
	Cases(ctx context.Context) ([]Case, error)
	CaseItems(ctx context.Context, caseID int64) ([]CaseItem, error)
	Evidence(ctx context.Context, id int64) (EvidenceRecord, error)
	// EvidenceList returns the evidence of one case, or of all cases when
	// caseID is 0, by id.
	EvidenceList(ctx context.Context, caseID int64) ([]EvidenceRecord, error)
	Custody(ctx context.Context, evidenceID int64) ([]CustodyEntry, error)
	Request(ctx context.Context, id int64) (Request, error)
	// RequestByRemote finds the request that mirrors a partner's, by its
	// RemoteID.
	RequestByRemote(ctx context.Context, remote string) (Request, error)
	Requests(ctx context.Context) ([]Request, error)
	RequestHistory(ctx context.Context, id int64) ([]RequestChange, error)
	// EachAudit calls fn with every audit entry in order.
	EachAudit(ctx context.Context, fn func(audit.Entry) error) error
	// AuditHead returns the last entry's sequence number and hash as
	// recorded beside the log.
	AuditHead(ctx context.Context) (audit.Head, error)
}

// CaseTx is what a Change may do. Each method appends its own audit entry.
type CaseTx interface {
	AccountTx
	// PutAgency adds an agency or updates one with the same id. Only one
	// agency may be Self.
	PutAgency(a Agency) error
	AddVictimReport(r VictimReport) error
	SetVictimReportStatus(ref, status string, at time.Time) error
	OpenCase(c Case) (int64, error)
	// AddCaseItem links an item; linking it again changes nothing.
	AddCaseItem(it CaseItem) error
	// AddEvidence records evidence and its "acquired" custody entry. The
	// same file added to the same case again returns the existing record
	// and false.
	AddEvidence(e EvidenceRecord, purpose string) (EvidenceRecord, bool, error)
	AddCustody(c CustodyEntry) error
	SetLegalHold(evidenceID int64, hold bool, reason string, at time.Time) error
	CreateRequest(r Request) (int64, error)
	// UpdateRequest stores r if its Version is still the stored one
	// (ErrConflict otherwise), increments the version and, when change.To
	// is set, appends change to the request's history.
	UpdateRequest(r Request, change RequestChange) error
	// MarkPackageSeen records an imported package's id, or returns
	// ErrReplay.
	MarkPackageSeen(id, from, kind string, at time.Time) error
	// Record appends an audit entry for something that changes no table:
	// an export, a verification.
	Record(action, object string, detail any) error
}

// CaseStore is a store that keeps casework, accounts and a search of its
// events too: what `concord serve` needs.
type CaseStore interface {
	Store
	Casework
	Accounts
	Searcher
	Markings
}
