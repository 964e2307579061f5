package enrich

import (
	"net/netip"
	"slices"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// C2Window is how many days before or after a C&C server was listed or seen
// a flow to it still links the flow's host to it. C&C lists are daily
// snapshots and servers live for weeks; a week either side links the
// traffic a server's listing is about without reaching into another life of
// a reused address.
const C2Window = 7

// C2Index knows which addresses were C&C servers on which days: those
// stored (facts) and those seen earlier in the current ingest. It is not
// safe for concurrent use.
type C2Index struct {
	days map[netip.Addr][]int32 // sorted
}

// NewC2Index returns an empty index.
func NewC2Index() *C2Index { return &C2Index{days: map[netip.Addr][]int32{}} }

// Add records that ip was a C&C server on day.
func (x *C2Index) Add(ip netip.Addr, day int32) {
	ds := x.days[ip]
	i, found := slices.BinarySearch(ds, day)
	if !found {
		x.days[ip] = slices.Insert(ds, i, day)
	}
}

// Len returns how many addresses the index knows.
func (x *C2Index) Len() int { return len(x.days) }

// Known reports whether ip was a C&C server within C2Window days of day.
func (x *C2Index) Known(ip netip.Addr, day int32) bool {
	ds := x.days[ip]
	if len(ds) == 0 {
		return false
	}
	i, _ := slices.BinarySearch(ds, day-C2Window)
	return i < len(ds) && ds[i] <= day+C2Window
}

// LinkC2 learns from incidents (their C&C endpoints) and, for an
// observation between a host and a known C&C server, marks the host
// infected and the server its C&C, so that statistics can count the host
// as controlled from the server's country. An observation's roles are not
// part of its content hash, so the link changes nothing else.
func (x *C2Index) LinkC2(e *event.Event) {
	day := store.DayOf(e.Time())
	if e.Kind == event.Incident {
		for _, ep := range []*event.Endpoint{&e.Source, &e.Destination} {
			if ep.Role == event.RoleC2 && ep.IP.IsValid() {
				x.Add(ep.IP, day)
			}
		}
		return
	}
	src, dst := &e.Source, &e.Destination
	if !src.IP.IsValid() || !dst.IP.IsValid() || src.Flags&event.FlagSinkhole != 0 || dst.Flags&event.FlagSinkhole != 0 {
		return
	}
	switch {
	case x.Known(dst.IP, day) && !x.Known(src.IP, day):
		src.Role, dst.Role = event.RoleInfected, event.RoleC2
	case x.Known(src.IP, day) && !x.Known(dst.IP, day):
		// A response logged from the server's side.
		src.Role, dst.Role = event.RoleC2, event.RoleInfected
	}
}
