package taxii_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/web/taxii"
)

func TestCollectionNamedByIDOrAlias(t *testing.T) {
	for _, tc := range []struct {
		name, alias string
		max         event.TLP
		ok          bool
	}{
		{"community", "community", event.TLPGreen, true},
		{"4bd2e8e5-1f6c-4d1a-9d1e-3f0b6a7c2e11", "community", event.TLPGreen, true},
		{"agency", "agency", event.TLPAmberStrict, true},
		{"9a6f0c3d-7b2e-4e85-a1c4-5d8e2f7b9c60", "agency", event.TLPAmberStrict, true},
		{"partners", "", 0, false},
	} {
		col, ok := taxii.CollectionNamed(tc.name)
		if ok != tc.ok || col.Alias != tc.alias || (ok && col.MaxTLP != tc.max) {
			t.Errorf("CollectionNamed(%q) = %+v, %v", tc.name, col, ok)
		}
	}
	if n := len(taxii.Collections()); n != 2 {
		t.Fatalf("%d collections", n)
	}
}

// TestAddReportsEachObjectsFate drives the add path the command line
// shares with POST: new, held already, withheld by marking, unreadable.
// What Add stored, the server then serves.
func TestAddReportsEachObjectsFate(t *testing.T) {
	s := newServer(t)
	col, _ := taxii.CollectionNamed("community")
	raw := func(v any) json.RawMessage {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	green := indicator(stixID("indicator", 31, 1), t0, int(event.TLPGreen))
	amber := indicator(stixID("indicator", 31, 2), t0, int(event.TLPAmber))
	objs := []json.RawMessage{raw(green), raw(amber), json.RawMessage(`{"type":"indicator","id":"bad"}`)}
	ctx := context.Background()
	out, err := taxii.Add(ctx, s.env.Store, col, objs, t0)
	if err != nil {
		t.Fatal(err)
	}
	if o := out[0]; !o.Stored || !o.New || o.TLP != event.TLPGreen || !o.Version.Equal(t0) {
		t.Errorf("GREEN indicator: %+v", o)
	}
	if o := out[1]; o.Stored || !o.Withheld || o.Message == "" {
		t.Errorf("AMBER indicator in community: %+v", o)
	}
	if o := out[2]; o.Stored || o.Withheld || o.Message == "" {
		t.Errorf("unreadable object: %+v", o)
	}
	out, err = taxii.Add(ctx, s.env.Store, col, objs[:1], t0)
	if err != nil {
		t.Fatal(err)
	}
	if o := out[0]; !o.Stored || o.New {
		t.Errorf("the same version again: %+v", o)
	}
	var p page
	must(t, s.basic("partner").get(community+"objects/"), http.StatusOK).decode(t, &p)
	if len(p.Objects) != 1 || p.Objects[0].ID != green["id"] {
		t.Fatalf("served: %+v", p.Objects)
	}
}
