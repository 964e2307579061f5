package auth

import (
	"slices"

	"github.com/concord-cert/concord/internal/event"
)

// Role is a named set of actions a staff user may hold.
type Role string

// The staff roles. The public victim is not a role but a kind of Principal
// (Principal.Victim).
const (
	// RoleAdmin runs the node: accounts, agencies, retention, audit.
	RoleAdmin Role = "admin"
	// RoleAnalyst ingests, assesses and works cases and evidence.
	RoleAnalyst Role = "analyst"
	// RoleLiaison handles cross-border requests and exchange packages.
	RoleLiaison Role = "liaison"
	// RoleViewer reads events and published reports, nothing else.
	RoleViewer Role = "viewer"
)

// Roles lists every staff role, for forms and exhaustive tests.
var Roles = []Role{RoleAdmin, RoleAnalyst, RoleLiaison, RoleViewer}

// Action is something a principal may be allowed to do.
type Action string

// The actions handlers check with Principal.Can.
const (
	// ReadEvents lets a user list and search ingested events.
	ReadEvents Action = "events.read"
	// Ingest lets a user load feed files and sensor data.
	Ingest Action = "events.ingest"
	// ReadReports lets a user read statistics and reports.
	ReadReports Action = "reports.read"
	// Assess lets a user record attribution assessments.
	Assess Action = "assess"
	// ReadCases lets a user read victim reports and cases.
	ReadCases Action = "cases.read"
	// WriteCases lets a user open, edit and close cases and triage victim
	// reports.
	WriteCases Action = "cases.write"
	// ReadEvidence lets a user read evidence items of cases.
	ReadEvidence Action = "evidence.read"
	// AddEvidence lets a user add evidence to the vault.
	AddEvidence Action = "evidence.add"
	// ExportEvidence lets a user download evidence with its chain of custody.
	ExportEvidence Action = "evidence.export"
	// ReadRequests lets a user read requests for assistance.
	ReadRequests Action = "requests.read"
	// WriteRequests lets a user draft, send and answer requests for
	// assistance.
	WriteRequests Action = "requests.write"
	// ExportPackages lets a user build signed packages for partner nodes.
	ExportPackages Action = "packages.export"
	// ImportPackages lets a user load signed packages from partner nodes.
	ImportPackages Action = "packages.import"
	// ManageUsers lets a user create, change and disable accounts.
	ManageUsers Action = "users.manage"
	// ManageAgencies lets a user register partner agencies and their keys.
	ManageAgencies Action = "agencies.manage"
	// ManageData lets a user run retention, purges and backups.
	ManageData Action = "data.manage"
	// VerifyAudit lets a user run the audit-chain verification.
	VerifyAudit Action = "audit.verify"
	// ReadMetrics lets a user (or a monitoring system's token) scrape the
	// server's metrics.
	ReadMetrics Action = "metrics.read"
	// SubmitVictimReport lets the public victim file a report.
	SubmitVictimReport Action = "victim.submit"
	// ReadOwnVictimReport lets the public victim read its own report's
	// status.
	ReadOwnVictimReport Action = "victim.read_own"
)

// Actions lists every action, for exhaustive tests and admin screens.
var Actions = []Action{
	ReadEvents, Ingest, ReadReports, Assess, ReadCases, WriteCases,
	ReadEvidence, AddEvidence, ExportEvidence, ReadRequests, WriteRequests,
	ExportPackages, ImportPackages, ManageUsers, ManageAgencies, ManageData,
	VerifyAudit, ReadMetrics, SubmitVictimReport, ReadOwnVictimReport,
}

// grants is the role table. Separation of duties: the admin runs the node
// but does not read case content unless also given a casework role; the
// liaison reads cases and evidence to answer partners and moves packages,
// but does not change cases; the viewer reads aggregate material only.
var grants = map[Role][]Action{
	RoleAdmin: {ReadEvents, ReadReports, ManageUsers, ManageAgencies, ManageData, VerifyAudit, ReadMetrics},
	RoleAnalyst: {ReadEvents, Ingest, ReadReports, Assess, ReadCases, WriteCases,
		ReadEvidence, AddEvidence, ExportEvidence, ReadRequests},
	RoleLiaison: {ReadEvents, ReadReports, ReadCases, ReadEvidence,
		ReadRequests, WriteRequests, ExportPackages, ImportPackages},
	RoleViewer: {ReadEvents, ReadReports},
}

// victimGrants is all the public victim principal may do.
var victimGrants = []Action{SubmitVictimReport, ReadOwnVictimReport}

// Principal is whoever makes a request: a staff user of an agency, or the
// anonymous public victim. The zero Principal is an anonymous visitor who
// may do nothing and receive only TLP:CLEAR.
type Principal struct {
	// User is the login name; empty for anonymous visitors and victims.
	User string
	// Agency identifies the user's agency, compared exactly with item
	// owners.
	Agency string
	// Roles are the staff roles held; ignored for a victim.
	Roles []Role
	// Clearance is the most restrictive TLP label the user may ever see.
	Clearance event.TLP
	// Victim marks the public victim principal.
	Victim bool
	// VictimRef is the reference of the victim's own report, once filed.
	VictimRef string
}

// staff reports whether p is a logged-in user of an agency.
func (p Principal) staff() bool { return !p.Victim && p.User != "" && p.Agency != "" }

// Can reports whether p may perform a. A victim may only submit a report
// and read its own; a staff user may do what any of its roles grants;
// anyone else may do nothing. Unknown roles and actions grant nothing.
func (p Principal) Can(a Action) bool {
	if p.Victim {
		return slices.Contains(victimGrants, a)
	}
	if !p.staff() {
		return false
	}
	for _, r := range p.Roles {
		if slices.Contains(grants[r], a) {
			return true
		}
	}
	return false
}

// MayReadVictimReport reports whether p may read the status of the victim
// report with reference ref: only the victim who filed it, through this
// route. Staff read reports as cases, under ReadCases and MayReceive.
func (p Principal) MayReadVictimReport(ref string) bool {
	return p.Victim && ref != "" && p.VictimRef == ref
}
