package casework

import (
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/event"
)

func TestParsePAPAcceptsLabelsInAnyForm(t *testing.T) {
	for in, want := range map[string]PAP{
		"PAP:CLEAR": PAPClear, "pap:white": PAPClear, "clear": PAPClear,
		"PAP:GREEN": PAPGreen, " green ": PAPGreen,
		"PAP:AMBER": PAPAmber, "Amber": PAPAmber, "PAP: AMBER": PAPAmber,
		"PAP:RED": PAPRed, "red": PAPRed,
	} {
		if got, err := ParsePAP(in); err != nil || got != want {
			t.Errorf("ParsePAP(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "PAP:AMBER+STRICT", "TLP:RED", "blue"} {
		if _, err := ParsePAP(in); err == nil || !strings.Contains(err.Error(), "PAP:CLEAR, PAP:GREEN, PAP:AMBER or PAP:RED") {
			t.Errorf("ParsePAP(%q) error = %v", in, err)
		}
	}
}

func TestPAPOrderLabelsAndPermissions(t *testing.T) {
	for _, tc := range []struct {
		pap           PAP
		label         string
		thirdParty    bool
		active        bool
		inDescription string
	}{
		{PAPClear, "PAP:CLEAR", true, true, "No limit"},
		{PAPGreen, "PAP:GREEN", true, true, "blocking or pinging"},
		{PAPAmber, "PAP:AMBER", true, false, "third-party"},
		{PAPRed, "PAP:RED", false, false, "never on the network"},
	} {
		if tc.pap.String() != tc.label {
			t.Errorf("%d.String() = %s, want %s", tc.pap, tc.pap, tc.label)
		}
		if got, err := ParsePAP(tc.pap.String()); err != nil || got != tc.pap {
			t.Errorf("ParsePAP(%s) = %v, %v", tc.pap, got, err)
		}
		if tc.pap.AllowsThirdPartyLookups() != tc.thirdParty || tc.pap.AllowsActiveSteps() != tc.active {
			t.Errorf("%s: third-party %v, active %v", tc.pap, tc.pap.AllowsThirdPartyLookups(), tc.pap.AllowsActiveSteps())
		}
		if !strings.Contains(tc.pap.Description(), tc.inDescription) {
			t.Errorf("%s: description %q", tc.pap, tc.pap.Description())
		}
	}
	if PAP(9).String() != "PAP(9)" || PAP(9).Description() != "" {
		t.Error("an out-of-range PAP")
	}
}

func TestPAPStricterIsTheMoreRestrictive(t *testing.T) {
	order := []PAP{PAPClear, PAPGreen, PAPAmber, PAPRed}
	for i, a := range order {
		for j, b := range order {
			if got, want := a.Stricter(b), order[max(i, j)]; got != want {
				t.Errorf("%v.Stricter(%v) = %v, want %v", a, b, got, want)
			}
		}
	}
}

func TestStrictestMarkingIsInheritedLabelByLabel(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []Marking
		want Marking
	}{
		{"nothing gets the defaults, not CLEAR", nil, Marking{event.TLPAmber, PAPAmber}},
		{"one", []Marking{{event.TLPGreen, PAPClear}}, Marking{event.TLPGreen, PAPClear}},
		{"labels taken from different inputs",
			[]Marking{{event.TLPRed, PAPClear}, {event.TLPGreen, PAPRed}, {event.TLPAmberStrict, PAPGreen}},
			Marking{event.TLPRed, PAPRed}},
		{"CLEAR inputs stay CLEAR", []Marking{{event.TLPClear, PAPClear}, {event.TLPClear, PAPClear}}, Marking{event.TLPClear, PAPClear}},
		{"AMBER+STRICT beats AMBER", []Marking{{event.TLPAmber, PAPGreen}, {event.TLPAmberStrict, PAPGreen}}, Marking{event.TLPAmberStrict, PAPGreen}},
	} {
		if got := Strictest(tc.in...); got != tc.want {
			t.Errorf("%s: Strictest = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := (Marking{event.TLPRed, PAPGreen}).String(); got != "TLP:RED PAP:GREEN" {
		t.Errorf("String() = %q", got)
	}
}

func TestStrictestTLPAndPAP(t *testing.T) {
	if got := StrictestTLP(); got != event.DefaultTLP {
		t.Errorf("StrictestTLP() = %v, want the default", got)
	}
	if got := StrictestTLP(event.TLPClear, event.TLPRed, event.TLPGreen); got != event.TLPRed {
		t.Errorf("StrictestTLP = %v", got)
	}
	if got := StrictestTLP(event.TLPClear); got != event.TLPClear {
		t.Errorf("StrictestTLP(CLEAR) = %v", got)
	}
	if got := StrictestPAP(); got != DefaultPAP {
		t.Errorf("StrictestPAP() = %v, want the default", got)
	}
	if got := StrictestPAP(PAPGreen, PAPClear, PAPAmber); got != PAPAmber {
		t.Errorf("StrictestPAP = %v", got)
	}
}
