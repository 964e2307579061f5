package casework

import (
	"fmt"
	"strings"

	"github.com/concord-cert/concord/internal/event"
)

// PAP is a Permissible Actions Protocol marking: what a recipient may do
// with the information, where TLP says who may receive it. Values are
// ordered from least to most restrictive, so the stricter of two markings
// is the larger one.
type PAP uint8

// The PAP labels, least restrictive first (DOMAIN.md §3).
const (
	// PAPClear sets no limit on use.
	PAPClear PAP = iota
	// PAPGreen allows active steps on the network, such as blocking or
	// pinging.
	PAPGreen
	// PAPAmber allows passive cross-checks, including with third-party
	// services, but nothing the subject could see.
	PAPAmber
	// PAPRed allows passive use only, never on the network.
	PAPRed
)

// DefaultPAP is the marking of information whose source gave no PAP. It is
// a house choice that mirrors event.DefaultTLP: amber keeps enrichment
// lookups working without allowing anything the subject could notice.
const DefaultPAP = PAPAmber

var papLabels = [...]string{"PAP:CLEAR", "PAP:GREEN", "PAP:AMBER", "PAP:RED"}

// ParsePAP accepts the PAP labels in any case, with or without the "PAP:"
// prefix, and the older WHITE as CLEAR.
func ParsePAP(s string) (PAP, error) {
	v := strings.ToUpper(strings.TrimSpace(s))
	v = strings.TrimSpace(strings.TrimPrefix(v, "PAP:"))
	switch v {
	case "CLEAR", "WHITE":
		return PAPClear, nil
	case "GREEN":
		return PAPGreen, nil
	case "AMBER":
		return PAPAmber, nil
	case "RED":
		return PAPRed, nil
	}
	return 0, fmt.Errorf("casework: %q is not a PAP label (use PAP:CLEAR, PAP:GREEN, PAP:AMBER or PAP:RED)", s)
}

// String returns the canonical label, e.g. "PAP:AMBER".
func (p PAP) String() string {
	if int(p) < len(papLabels) {
		return papLabels[p]
	}
	return fmt.Sprintf("PAP(%d)", uint8(p))
}

// Description says in one line what a recipient may do under p.
func (p PAP) Description() string {
	switch p {
	case PAPClear:
		return "No limit on use."
	case PAPGreen:
		return "Active steps allowed, such as blocking or pinging."
	case PAPAmber:
		return "Passive cross-checks only, including with third-party services."
	case PAPRed:
		return "Passive use only, never on the network."
	}
	return ""
}

// Stricter returns the more restrictive of p and q: what information
// derived from both must carry.
func (p PAP) Stricter(q PAP) PAP {
	if q > p {
		return q
	}
	return p
}

// AllowsThirdPartyLookups reports whether p lets automated enrichment send
// the information to third-party services (PAP:AMBER and below).
func (p PAP) AllowsThirdPartyLookups() bool { return p <= PAPAmber }

// AllowsActiveSteps reports whether p lets the recipient act on the
// network, e.g. block or probe (PAP:GREEN and below).
func (p PAP) AllowsActiveSteps() bool { return p <= PAPGreen }

// Marking is the pair of labels a case, a request or a derived record
// carries: who may receive it (TLP) and what they may do with it (PAP).
type Marking struct {
	TLP event.TLP
	PAP PAP
}

// String returns both labels, e.g. "TLP:AMBER PAP:GREEN".
func (m Marking) String() string { return m.TLP.String() + " " + m.PAP.String() }

// Stricter returns, label by label, the more restrictive of m and n.
func (m Marking) Stricter(n Marking) Marking {
	return Marking{TLP: m.TLP.Stricter(n.TLP), PAP: m.PAP.Stricter(n.PAP)}
}

// Strictest returns the marking that information derived from all of ms
// inherits: the most restrictive TLP and the most restrictive PAP among
// them. With no markings it returns the defaults for unmarked information
// (event.DefaultTLP and DefaultPAP), never the least restrictive labels, so
// that forgetting the inputs cannot widen sharing.
func Strictest(ms ...Marking) Marking {
	if len(ms) == 0 {
		return Marking{TLP: event.DefaultTLP, PAP: DefaultPAP}
	}
	out := ms[0]
	for _, m := range ms[1:] {
		out = out.Stricter(m)
	}
	return out
}

// StrictestTLP returns the most restrictive of tlps, or event.DefaultTLP
// when there are none.
func StrictestTLP(tlps ...event.TLP) event.TLP {
	if len(tlps) == 0 {
		return event.DefaultTLP
	}
	out := tlps[0]
	for _, t := range tlps[1:] {
		out = out.Stricter(t)
	}
	return out
}

// StrictestPAP returns the most restrictive of paps, or DefaultPAP when
// there are none.
func StrictestPAP(paps ...PAP) PAP {
	if len(paps) == 0 {
		return DefaultPAP
	}
	out := paps[0]
	for _, p := range paps[1:] {
		out = out.Stricter(p)
	}
	return out
}
