package store

import (
	"net/netip"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

func TestKeyOfOrdersByTime(t *testing.T) {
	var h1, h2 [event.HashSize]byte
	h1[0], h2[0] = 0xff, 0x00
	early := KeyOf(h1, time.Unix(1700000000, 0))
	late := KeyOf(h2, time.Unix(1700000001, 0))
	if string(early[:]) >= string(late[:]) {
		t.Fatal("a later event's key does not sort after an earlier one's")
	}
	if KeyOf(h1, time.Time{}) != KeyOf(h1, time.Unix(-5, 0)) {
		t.Fatal("times before 1970 and absent times must share the zero prefix")
	}
	if KeyOf(h1, time.Unix(1, 0)) == KeyOf(h2, time.Unix(1, 0)) {
		t.Fatal("different hashes at the same second give the same key")
	}
}

func TestAppendFactsSinkholeAndTargets(t *testing.T) {
	e := event.Event{
		TimeSource:  time.Date(2024, 3, 12, 23, 59, 59, 0, time.UTC),
		Feed:        event.Feed{Name: "shadowserver"},
		Source:      event.Endpoint{IP: netip.MustParseAddr("192.0.2.9"), CC: "PL"},
		Destination: event.Endpoint{IP: netip.MustParseAddr("198.51.100.1"), Flags: event.FlagSinkhole},
		Malware:     "andromeda",
	}
	e.SetClass(event.ClassInfected)
	facts := AppendFacts(nil, &e)
	if len(facts) != 1 || facts[0].Role != event.RoleInfected || facts[0].Peer.IsValid() {
		t.Fatalf("sinkhole event facts = %+v; want only the infected host, with no C&C peer", facts)
	}
	if facts[0].Day != DayOf(e.TimeSource) || DayTime(facts[0].Day) != time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("day %d", facts[0].Day)
	}
	scan := event.Event{Feed: event.Feed{Name: "zeek"}, Source: event.Endpoint{IP: netip.MustParseAddr("203.0.113.9")}, Destination: event.Endpoint{IP: netip.MustParseAddr("192.0.2.1")}}
	scan.SetClass(event.ClassScanner)
	if facts := AppendFacts(nil, &scan); len(facts) != 1 || facts[0].Role != event.RoleAttacker {
		t.Fatalf("scan facts = %+v; want the scanner only, not its target", facts)
	}
	obs := event.Event{Kind: event.Observation, Source: event.Endpoint{IP: netip.MustParseAddr("192.0.2.1"), Role: event.RoleInfected}}
	if facts := AppendFacts(nil, &obs); len(facts) != 0 {
		t.Fatalf("observation yielded facts %+v", facts)
	}
}

func TestMergeFacts(t *testing.T) {
	a := Fact{Day: 1, Role: event.RoleC2, IP: netip.MustParseAddr("192.0.2.1"), Events: 1, Flags: event.FlagTor}
	b := a
	b.Flags = event.FlagProxy
	c := a
	c.Feed = "other"
	got := MergeFacts([]Fact{a, b, c})
	if len(got) != 2 || got[0].Events != 2 || got[0].Flags != event.FlagTor|event.FlagProxy || got[1].Feed != "other" {
		t.Fatalf("merged %+v", got)
	}
}
