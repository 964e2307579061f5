package enrich

import (
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

func TestC2IndexWindow(t *testing.T) {
	x := NewC2Index()
	ip := mustAddr("198.51.100.7")
	x.Add(ip, 100)
	x.Add(ip, 100)
	x.Add(ip, 130)
	for day, want := range map[int32]bool{92: false, 93: true, 100: true, 107: true, 108: false, 122: false, 123: true, 137: true, 138: false} {
		if got := x.Known(ip, day); got != want {
			t.Errorf("day %d: known %v, want %v", day, got, want)
		}
	}
	if x.Known(mustAddr("198.51.100.8"), 100) || x.Len() != 1 {
		t.Error("unknown address known")
	}
}

func TestLinkC2(t *testing.T) {
	x := NewC2Index()
	when := time.Date(2024, 3, 12, 10, 0, 0, 0, time.UTC)
	listing := event.Event{TimeSource: when.AddDate(0, 0, -3), Source: event.Endpoint{IP: mustAddr("203.0.113.50")}}
	listing.SetClass(event.ClassC2)
	x.LinkC2(&listing) // learns the server
	flow := func(src, dst string) event.Event {
		return event.Event{Kind: event.Observation, TimeSource: when,
			Source: event.Endpoint{IP: mustAddr(src)}, Destination: event.Endpoint{IP: mustAddr(dst)}}
	}
	out := flow("192.0.2.10", "203.0.113.50")
	x.LinkC2(&out)
	if out.Source.Role != event.RoleInfected || out.Destination.Role != event.RoleC2 {
		t.Errorf("flow to the C&C: roles %v/%v", out.Source.Role, out.Destination.Role)
	}
	back := flow("203.0.113.50", "192.0.2.10")
	x.LinkC2(&back)
	if back.Source.Role != event.RoleC2 || back.Destination.Role != event.RoleInfected {
		t.Errorf("response from the C&C: roles %v/%v", back.Source.Role, back.Destination.Role)
	}
	other := flow("192.0.2.10", "203.0.113.51")
	x.LinkC2(&other)
	if other.Source.Role != event.RoleNone || other.Destination.Role != event.RoleNone {
		t.Error("a flow to another address was linked")
	}
	late := flow("192.0.2.10", "203.0.113.50")
	late.TimeSource = when.AddDate(0, 1, 0)
	x.LinkC2(&late)
	if late.Source.Role != event.RoleNone {
		t.Error("a flow a month after the listing was linked")
	}
	// Linking does not change what the flow is.
	var h event.Hasher
	plain := flow("192.0.2.10", "203.0.113.50")
	if h.Sum(&plain) != h.Sum(&out) {
		t.Error("linking changed the flow's content hash")
	}
	if facts := store.AppendFacts(nil, &out); len(facts) != 1 || facts[0].Role != event.RoleInfected || facts[0].Peer != mustAddr("203.0.113.50") {
		t.Errorf("linked flow facts %+v", facts)
	}
}
