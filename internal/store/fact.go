package store

import (
	"bytes"
	"net/netip"
	"sort"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

// Fact is one row of the distinct-address fact table: an address seen in a
// role on a day. Statistics count distinct addresses per period from facts,
// never by scanning raw events. The key is (Day, Role, IP, Class, Malware,
// Peer, Feed); CC, ASN and Flags describe the address on that day and Events
// counts how many stored events produced the fact.
type Fact struct {
	Day     int32 // days since 1970-01-01, UTC
	Role    event.Role
	IP      netip.Addr
	Class   string // "taxonomy/type"
	Malware string
	// Peer is the C&C server an infected host talked to, when the record
	// names it; statistics use it for "controlled from country X".
	Peer   netip.Addr
	PeerCC string
	Feed   string
	CC     string
	ASN    uint32
	ASName string
	Flags  event.Flags
	Events int64
}

// FactKey identifies a fact; facts with equal keys are merged.
type FactKey struct {
	Day     int32
	Role    event.Role
	IP      netip.Addr
	Class   string
	Malware string
	Peer    netip.Addr
	Feed    string
}

// Key returns f's key.
func (f *Fact) Key() FactKey {
	return FactKey{f.Day, f.Role, f.IP, f.Class, f.Malware, f.Peer, f.Feed}
}

// DayOf returns the fact day of t.
func DayOf(t time.Time) int32 {
	return int32(t.Unix() / 86400)
}

// DayTime returns the start of a fact day.
func DayTime(day int32) time.Time {
	return time.Unix(int64(day)*86400, 0).UTC()
}

// AppendFacts appends the facts an event yields. Only incidents yield facts;
// each endpoint with a role and an address yields one. A C&C connection thus
// yields two facts, the client as an infected host (with the server as its
// peer) and the server as a C&C server, each under the class that describes
// it, whatever the record's own class. Targets of attacks are not facts:
// statistics count sources, C&C servers and the hosts they control.
//
// An observation yields a fact only when enrichment linked it to a known
// C&C server (a flow from a host to one): the host, as an infected host with
// the server as its peer.
func AppendFacts(dst []Fact, e *event.Event) []Fact {
	if e.Kind == event.Observation {
		return appendLinkFact(dst, e)
	}
	if e.Kind != event.Incident {
		return dst
	}
	day := DayOf(e.Time())
	for i, ep := range [2]*event.Endpoint{&e.Source, &e.Destination} {
		if ep.Role == event.RoleNone || ep.Role == event.RoleTarget || !ep.IP.IsValid() {
			continue
		}
		other := &e.Destination
		if i == 1 {
			other = &e.Source
		}
		f := Fact{
			Day: day, Role: ep.Role, IP: ep.IP, Class: factClass(ep.Role, e.Class),
			Malware: e.Malware, Feed: e.Feed.Name, CC: ep.CC, ASN: ep.ASN, ASName: ep.ASName, Flags: ep.Flags, Events: 1,
		}
		if ep.Role == event.RoleInfected && other.Role == event.RoleC2 && other.IP.IsValid() {
			f.Peer, f.PeerCC = other.IP, other.CC
		}
		dst = append(dst, f)
	}
	return dst
}

func appendLinkFact(dst []Fact, e *event.Event) []Fact {
	host, c2 := &e.Source, &e.Destination
	if host.Role != event.RoleInfected {
		host, c2 = c2, host
	}
	if host.Role != event.RoleInfected || c2.Role != event.RoleC2 || !host.IP.IsValid() || !c2.IP.IsValid() {
		return dst
	}
	return append(dst, Fact{
		Day: DayOf(e.Time()), Role: event.RoleInfected, IP: host.IP, Class: event.ClassInfected.String(),
		Malware: e.Malware, Feed: e.Feed.Name, CC: host.CC, ASN: host.ASN, ASName: host.ASName, Flags: host.Flags,
		Peer: c2.IP, PeerCC: c2.CC, Events: 1,
	})
}

// factClass is the class under which an address in role r is counted.
func factClass(r event.Role, c event.Class) string {
	switch r {
	case event.RoleC2:
		return event.ClassC2.String()
	case event.RoleInfected:
		return event.ClassInfected.String()
	}
	return c.String()
}

// MergeFacts folds facts with equal keys together, summing Events and
// joining Flags, so a backend writes each fact once per batch.
func MergeFacts(facts []Fact) []Fact {
	if len(facts) < 2 {
		return facts
	}
	idx := make(map[FactKey]int, len(facts))
	out := facts[:0]
	for _, f := range facts {
		k := f.Key()
		if i, ok := idx[k]; ok {
			out[i].Events += f.Events
			out[i].Flags |= f.Flags
			continue
		}
		idx[k] = len(out)
		out = append(out, f)
	}
	return out
}

// SortFacts orders facts by their key as the fact table's primary key
// orders them (day, role, address, class, malware, peer, feed), so that a
// backend writes them in the order its index stores them.
func SortFacts(facts []Fact) {
	sort.Slice(facts, func(i, j int) bool {
		a, b := &facts[i], &facts[j]
		if a.Day != b.Day {
			return a.Day < b.Day
		}
		if a.Role != b.Role {
			return a.Role < b.Role
		}
		if c := compareAddr(a.IP, b.IP); c != 0 {
			return c < 0
		}
		if a.Class != b.Class {
			return a.Class < b.Class
		}
		if a.Malware != b.Malware {
			return a.Malware < b.Malware
		}
		if c := compareAddr(a.Peer, b.Peer); c != 0 {
			return c < 0
		}
		return a.Feed < b.Feed
	})
}

// compareAddr orders addresses as their 16-byte stored form does, the zero
// Addr (stored empty) first.
func compareAddr(a, b netip.Addr) int {
	switch {
	case !a.IsValid() && !b.IsValid():
		return 0
	case !a.IsValid():
		return -1
	case !b.IsValid():
		return 1
	}
	x, y := a.As16(), b.As16()
	return bytes.Compare(x[:], y[:])
}
