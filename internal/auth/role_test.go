package auth

import (
	"testing"

	"github.com/concord-cert/concord/internal/event"
)

// The role table written out: one column per principal kind, in the order
// admin, analyst, liaison, viewer, victim, anonymous; 'x' is allowed.
var wantGrants = map[Action]string{
	ReadEvents:          "xxxx..",
	Ingest:              ".x....",
	ReadReports:         "xxxx..",
	Assess:              ".x....",
	ReadCases:           ".xx...",
	WriteCases:          ".x....",
	ReadEvidence:        ".xx...",
	AddEvidence:         ".x....",
	ExportEvidence:      ".x....",
	ReadRequests:        ".xx...",
	WriteRequests:       "..x...",
	ExportPackages:      "..x...",
	ImportPackages:      "..x...",
	ManageUsers:         "x.....",
	ManageAgencies:      "x.....",
	ManageData:          "x.....",
	VerifyAudit:         "x.....",
	ReadMetrics:         "x.....",
	SubmitVictimReport:  "....x.",
	ReadOwnVictimReport: "....x.",
}

func staffUser(r ...Role) Principal {
	return Principal{User: "u", Agency: "cert-a", Roles: r, Clearance: event.TLPRed}
}

func TestCanEveryRoleEveryAction(t *testing.T) {
	principals := []struct {
		name string
		p    Principal
	}{
		{"admin", staffUser(RoleAdmin)},
		{"analyst", staffUser(RoleAnalyst)},
		{"liaison", staffUser(RoleLiaison)},
		{"viewer", staffUser(RoleViewer)},
		{"victim", Principal{Victim: true, VictimRef: "VR-1"}},
		{"anonymous", Principal{}},
	}
	if len(wantGrants) != len(Actions) {
		t.Fatalf("table covers %d actions, package defines %d", len(wantGrants), len(Actions))
	}
	for _, a := range Actions {
		want, ok := wantGrants[a]
		if !ok {
			t.Fatalf("action %s missing from the expected table", a)
		}
		for i, pc := range principals {
			if got := pc.p.Can(a); got != (want[i] == 'x') {
				t.Errorf("%s.Can(%s) = %v, want %v", pc.name, a, got, !got)
			}
		}
	}
}

func TestCanEdgeCases(t *testing.T) {
	tests := []struct {
		name string
		p    Principal
		a    Action
		want bool
	}{
		{"roles add up", staffUser(RoleAdmin, RoleAnalyst), WriteCases, true},
		{"roles add up, other side", staffUser(RoleAdmin, RoleAnalyst), ManageUsers, true},
		{"no roles", staffUser(), ReadEvents, false},
		{"unknown role", staffUser("root"), ManageUsers, false},
		{"unknown action", staffUser(RoleAdmin), Action("everything"), false},
		{"victim roles ignored", Principal{Victim: true, User: "u", Agency: "cert-a", Roles: []Role{RoleAdmin}}, ManageUsers, false},
		{"victim without report may submit", Principal{Victim: true}, SubmitVictimReport, true},
		{"roles without user", Principal{Agency: "cert-a", Roles: []Role{RoleAdmin}}, ManageUsers, false},
		{"roles without agency", Principal{User: "u", Roles: []Role{RoleAdmin}}, ManageUsers, false},
		{"staff may not use victim form", staffUser(RoleAnalyst, RoleAdmin, RoleLiaison, RoleViewer), SubmitVictimReport, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Can(tt.a); got != tt.want {
				t.Errorf("Can(%s) = %v, want %v", tt.a, got, tt.want)
			}
		})
	}
}

func TestMayReadVictimReport(t *testing.T) {
	tests := []struct {
		name string
		p    Principal
		ref  string
		want bool
	}{
		{"own report", Principal{Victim: true, VictimRef: "VR-1"}, "VR-1", true},
		{"other report", Principal{Victim: true, VictimRef: "VR-1"}, "VR-2", false},
		{"no report yet", Principal{Victim: true}, "", false},
		{"staff use cases instead", Principal{User: "u", Agency: "cert-a", Roles: []Role{RoleAnalyst}, VictimRef: "VR-1"}, "VR-1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.MayReadVictimReport(tt.ref); got != tt.want {
				t.Errorf("MayReadVictimReport(%q) = %v, want %v", tt.ref, got, tt.want)
			}
		})
	}
}
