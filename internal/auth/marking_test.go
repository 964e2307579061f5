package auth

import (
	"slices"
	"testing"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
)

var labels = []event.TLP{event.TLPClear, event.TLPGreen, event.TLPAmber, event.TLPAmberStrict, event.TLPRed}

const (
	owner   = "cert-a"
	partner = "police-b"
)

// recipients of every item in the matrix: one user of each agency.
var named = []string{"alice-named", "bob-named"}

// wantReceive is the full TLP matrix. For each principal kind and item
// label, the string gives the answer for clearances CLEAR, GREEN, AMBER,
// AMBER+STRICT, RED in that order; 'x' means the principal receives it.
var wantReceive = []struct {
	kind string
	p    func(event.TLP) Principal
	want map[event.TLP]string
}{
	{
		kind: "own-agency user",
		p:    func(c event.TLP) Principal { return Principal{User: "carol", Agency: owner, Clearance: c} },
		want: map[event.TLP]string{
			event.TLPClear:       "xxxxx",
			event.TLPGreen:       ".xxxx",
			event.TLPAmber:       "..xxx",
			event.TLPAmberStrict: "...xx",
			event.TLPRed:         ".....",
		},
	},
	{
		kind: "partner-agency user",
		p:    func(c event.TLP) Principal { return Principal{User: "dave", Agency: partner, Clearance: c} },
		want: map[event.TLP]string{
			event.TLPClear:       "xxxxx",
			event.TLPGreen:       ".xxxx",
			event.TLPAmber:       ".....",
			event.TLPAmberStrict: ".....",
			event.TLPRed:         ".....",
		},
	},
	{
		kind: "named recipient, own agency",
		p:    func(c event.TLP) Principal { return Principal{User: "alice-named", Agency: owner, Clearance: c} },
		want: map[event.TLP]string{
			event.TLPClear:       "xxxxx",
			event.TLPGreen:       ".xxxx",
			event.TLPAmber:       "..xxx",
			event.TLPAmberStrict: "...xx",
			event.TLPRed:         "....x",
		},
	},
	{
		kind: "named recipient, partner agency",
		p:    func(c event.TLP) Principal { return Principal{User: "bob-named", Agency: partner, Clearance: c} },
		want: map[event.TLP]string{
			event.TLPClear:       "xxxxx",
			event.TLPGreen:       ".xxxx",
			event.TLPAmber:       "..xxx",
			event.TLPAmberStrict: "...xx",
			event.TLPRed:         "....x",
		},
	},
	{
		kind: "anonymous victim",
		p:    func(c event.TLP) Principal { return Principal{Victim: true, VictimRef: "VR-1", Clearance: c} },
		want: map[event.TLP]string{
			event.TLPClear:       ".....",
			event.TLPGreen:       ".....",
			event.TLPAmber:       ".....",
			event.TLPAmberStrict: ".....",
			event.TLPRed:         ".....",
		},
	},
	{
		kind: "anonymous visitor",
		p:    func(c event.TLP) Principal { return Principal{Clearance: c} },
		want: map[event.TLP]string{
			event.TLPClear:       "xxxxx",
			event.TLPGreen:       ".....",
			event.TLPAmber:       ".....",
			event.TLPAmberStrict: ".....",
			event.TLPRed:         ".....",
		},
	},
}

func TestMayReceiveMatrix(t *testing.T) {
	for _, row := range wantReceive {
		for _, label := range labels {
			want := row.want[label]
			for ci, clearance := range labels {
				p := row.p(clearance)
				// PAP must not matter: try every value.
				for pap := casework.PAPClear; pap <= casework.PAPRed; pap++ {
					m := casework.Marking{TLP: label, PAP: pap}
					if got := p.MayReceive(m, owner, named); got != (want[ci] == 'x') {
						t.Errorf("%s cleared to %s, item %s: MayReceive = %v, want %v",
							row.kind, clearance, m, got, !got)
					}
				}
			}
		}
	}
}

func TestMayReceiveFailsClosed(t *testing.T) {
	own := Principal{User: "carol", Agency: owner, Clearance: event.TLPRed}
	tests := []struct {
		name       string
		p          Principal
		tlp        event.TLP
		owner      string
		recipients []string
		want       bool
	}{
		{"unknown label", own, event.TLPRed + 1, owner, []string{"carol"}, false},
		{"amber, no owner", own, event.TLPAmber, "", nil, false},
		{"amber, no owner, empty agency", Principal{User: "carol", Clearance: event.TLPRed}, event.TLPAmber, "", nil, false},
		{"amber strict, owner differs by case", own, event.TLPAmberStrict, "CERT-A", nil, false},
		{"red, recipient name differs by case", own, event.TLPRed, owner, []string{"Carol"}, false},
		{"red, empty user not matched by empty recipient", Principal{Agency: owner, Clearance: event.TLPRed}, event.TLPRed, owner, []string{""}, false},
		{"red, victim named", Principal{Victim: true, User: "carol", Agency: owner, Clearance: event.TLPRed}, event.TLPRed, owner, []string{"carol"}, false},
		{"green, user without agency", Principal{User: "carol", Clearance: event.TLPRed}, event.TLPGreen, owner, nil, false},
		{"clear, nil recipients", own, event.TLPClear, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.MayReceive(casework.Marking{TLP: tt.tlp}, tt.owner, tt.recipients); got != tt.want {
				t.Errorf("MayReceive = %v, want %v", got, tt.want)
			}
		})
	}
}

type item struct {
	name       string
	tlp        event.TLP
	owner      string
	recipients []string
}

func TestFilter(t *testing.T) {
	items := []item{
		{"clear", event.TLPClear, owner, nil},
		{"green", event.TLPGreen, owner, nil},
		{"amber-own", event.TLPAmber, owner, nil},
		{"amber-partner", event.TLPAmber, partner, nil},
		{"strict-shared", event.TLPAmberStrict, owner, []string{"dave"}},
		{"red-dave", event.TLPRed, owner, []string{"dave"}},
		{"red-other", event.TLPRed, owner, []string{"erin"}},
	}
	marking := func(i item) casework.Marking { return casework.Marking{TLP: i.tlp} }
	ownerOf := func(i item) string { return i.owner }
	recipientsOf := func(i item) []string { return i.recipients }
	names := func(is []item) []string {
		var out []string
		for _, i := range is {
			out = append(out, i.name)
		}
		return out
	}
	tests := []struct {
		name       string
		p          Principal
		recipients func(item) []string
		want       []string
	}{
		{"own user", Principal{User: "carol", Agency: owner, Clearance: event.TLPRed}, recipientsOf,
			[]string{"clear", "green", "amber-own", "strict-shared"}},
		{"partner user named twice", Principal{User: "dave", Agency: partner, Clearance: event.TLPRed}, recipientsOf,
			[]string{"clear", "green", "amber-partner", "strict-shared", "red-dave"}},
		{"partner user cleared to amber", Principal{User: "dave", Agency: partner, Clearance: event.TLPAmber}, recipientsOf,
			[]string{"clear", "green", "amber-partner"}},
		{"nil recipients accessor", Principal{User: "dave", Agency: partner, Clearance: event.TLPRed}, nil,
			[]string{"clear", "green", "amber-partner"}},
		{"victim", Principal{Victim: true, VictimRef: "VR-1", Clearance: event.TLPRed}, recipientsOf, nil},
		{"anonymous", Principal{}, recipientsOf, []string{"clear"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := slices.Clone(items)
			got := names(Filter(tt.p, items, marking, ownerOf, tt.recipients))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Filter = %v, want %v", got, tt.want)
			}
			if !slices.EqualFunc(before, items, func(a, b item) bool { return a.name == b.name }) {
				t.Error("Filter modified its input")
			}
		})
	}
}
