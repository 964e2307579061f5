package auth

import (
	"slices"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
)

// MayReceive reports whether p may receive an item marked item, owned by
// the agency owner and naming recipients (user names) as its individual
// recipients. The rules, stated in the package documentation, follow TLP 2.0:
// CLEAR to anyone; GREEN to logged-in users of any agency; AMBER and
// AMBER+STRICT to users of the owning agency and to named recipients; RED
// to named recipients only; never beyond p's Clearance; nothing at all to a
// victim. PAP does not restrict receipt and is ignored.
func (p Principal) MayReceive(item casework.Marking, owner string, recipients []string) bool {
	if p.Victim || item.TLP > event.TLPRed {
		return false
	}
	if item.TLP == event.TLPClear {
		return true
	}
	if !p.staff() || item.TLP > p.Clearance {
		return false
	}
	named := slices.Contains(recipients, p.User)
	switch item.TLP {
	case event.TLPGreen:
		return true
	case event.TLPAmber, event.TLPAmberStrict:
		return (owner != "" && p.Agency == owner) || named
	case event.TLPRed:
		return named
	}
	return false
}

// Filter returns the items p may receive, in their original order, for
// lists, search results and exports. The accessors read each item's
// marking, owning agency and named recipients; recipients may be nil for
// item kinds that never name individuals. The input slice is not modified.
func Filter[T any](p Principal, items []T, marking func(T) casework.Marking, owner func(T) string, recipients func(T) []string) []T {
	out := make([]T, 0, len(items))
	for _, it := range items {
		var rs []string
		if recipients != nil {
			rs = recipients(it)
		}
		if p.MayReceive(marking(it), owner(it), rs) {
			out = append(out, it)
		}
	}
	return out
}
