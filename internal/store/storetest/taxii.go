package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// TAXIIStore is a store that keeps TAXII collections.
type TAXIIStore interface {
	store.TAXII
	Close() error
}

// RunTAXII runs the conformance tests of the TAXII object store against
// stores made by open.
func RunTAXII(t *testing.T, open func(t *testing.T) TAXIIStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s TAXIIStore)
	}{
		{"VersionsAreStoredOnceInTheOrderAdded", testTAXIIAdd},
		{"PagesNeitherSkipNorRepeat", testTAXIIPaging},
		{"FiltersSelectWhatTheySay", testTAXIIFilters},
		{"DeletingAVersionMovesFirstAndLast", testTAXIIDelete},
		{"StatusesRoundTrip", testTAXIIStatus},
		{"LatestVersionsAreReadByObject", testTAXIILatest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

var taxiiBase = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// taxiiObj returns version v (minutes after taxiiBase) of object n.
func taxiiObj(coll string, n, v int, typ string, tlp event.TLP) store.TAXIIObject {
	id := fmt.Sprintf("%s--00000000-0000-4000-8000-%012d", typ, n)
	ver := taxiiBase.Add(time.Duration(v) * time.Minute)
	return store.TAXIIObject{Collection: coll, ID: id, Version: ver, Type: typ, SpecVersion: "2.1", TLP: tlp,
		JSON: fmt.Appendf(nil, `{"type":%q,"id":%q,"modified":%q}`, typ, id, ver.Format(time.RFC3339Nano))}
}

var taxiiTLPs = []event.TLP{event.TLPClear, event.TLPGreen, event.TLPAmber, event.TLPAmberStrict, event.TLPRed}

func taxiiAll(t *testing.T, s store.TAXII, q store.TAXIIQuery) []store.TAXIIObject {
	t.Helper()
	var out []store.TAXIIObject
	for {
		p, err := s.TAXIIObjects(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Objects...)
		if !p.More {
			return out
		}
		q.After = p.Next
	}
}

func testTAXIIAdd(t *testing.T, s TAXIIStore) {
	ctx := context.Background()
	now := time.Now().UTC()
	objs := []store.TAXIIObject{
		taxiiObj("c", 1, 0, "indicator", event.TLPGreen),
		taxiiObj("c", 1, 1, "indicator", event.TLPGreen),
		taxiiObj("c", 1, 0, "indicator", event.TLPGreen), // the same version again
		taxiiObj("d", 1, 0, "indicator", event.TLPGreen), // another collection
	}
	added, err := s.AddTAXIIObjects(ctx, objs, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, true, false, true}; !reflect.DeepEqual(added, want) {
		t.Fatalf("added %v, want %v", added, want)
	}
	// A clock that went backwards still gives later times.
	added, err = s.AddTAXIIObjects(ctx, []store.TAXIIObject{taxiiObj("c", 2, 0, "malware", event.TLPClear), taxiiObj("c", 1, 1, "indicator", event.TLPGreen)}, now.Add(-time.Hour))
	if err != nil || !reflect.DeepEqual(added, []bool{true, false}) {
		t.Fatalf("second add: %v %v", added, err)
	}
	got := taxiiAll(t, s, store.TAXIIQuery{Collection: "c", TLPs: taxiiTLPs})
	if len(got) != 3 {
		t.Fatalf("%d versions in c, want 3", len(got))
	}
	for i := 1; i < len(got); i++ {
		if !got[i].Added.After(got[i-1].Added) {
			t.Errorf("version %d added at %v, not after %v", i, got[i].Added, got[i-1].Added)
		}
	}
	if got[0].Added.Before(now.Truncate(time.Microsecond)) {
		t.Errorf("added at %v, before %v", got[0].Added, now)
	}
	if string(got[2].JSON) != string(taxiiObj("c", 2, 0, "malware", event.TLPClear).JSON) {
		t.Errorf("object came back as %s", got[2].JSON)
	}
	if got[1].Version != taxiiBase.Add(time.Minute) || got[1].TLP != event.TLPGreen || got[1].Type != "indicator" || got[1].SpecVersion != "2.1" {
		t.Errorf("version came back as %+v", got[1])
	}
}

func testTAXIIPaging(t *testing.T, s TAXIIStore) {
	ctx := context.Background()
	const n = 2500
	for b := 0; b < n; b += 500 {
		var objs []store.TAXIIObject
		for i := b; i < b+500; i++ {
			objs = append(objs, taxiiObj("c", i, 0, "indicator", event.TLP(i%2)))
		}
		if _, err := s.AddTAXIIObjects(ctx, objs, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	q := store.TAXIIQuery{Collection: "c", TLPs: taxiiTLPs, Limit: 333}
	seen := map[string]bool{}
	pages := 0
	for {
		p, err := s.TAXIIObjects(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range p.Objects {
			if seen[o.ID] {
				t.Fatalf("%s twice", o.ID)
			}
			seen[o.ID] = true
		}
		if !p.More {
			break
		}
		if len(p.Objects) != 333 {
			t.Fatalf("a page of %d before the last", len(p.Objects))
		}
		q.After = p.Next
	}
	if len(seen) != n || pages != (n+332)/333 {
		t.Fatalf("%d objects in %d pages, want %d in %d", len(seen), pages, n, (n+332)/333)
	}
	q = store.TAXIIQuery{Collection: "c", TLPs: []event.TLP{event.TLPClear}, NoJSON: true}
	if got := taxiiAll(t, s, q); len(got) != n/2 || got[0].JSON != nil {
		t.Fatalf("%d TLP:CLEAR objects (JSON %q), want %d without JSON", len(got), got[0].JSON, n/2)
	}
}

func testTAXIIFilters(t *testing.T, s TAXIIStore) {
	ctx := context.Background()
	objs := []store.TAXIIObject{
		taxiiObj("c", 1, 0, "indicator", event.TLPGreen),
		taxiiObj("c", 1, 5, "indicator", event.TLPGreen),
		taxiiObj("c", 1, 9, "indicator", event.TLPAmber),
		taxiiObj("c", 2, 3, "malware", event.TLPClear),
		taxiiObj("c", 3, 3, "indicator", event.TLPAmberStrict),
	}
	objs[3].SpecVersion = "2.0"
	if _, err := s.AddTAXIIObjects(ctx, objs[:3], time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddTAXIIObjects(ctx, objs[3:], time.Now()); err != nil {
		t.Fatal(err)
	}
	first := taxiiAll(t, s, store.TAXIIQuery{Collection: "c", TLPs: taxiiTLPs})
	key := func(o store.TAXIIObject) string {
		return fmt.Sprintf("%s@%d", o.ID[len(o.ID)-1:], o.Version.Sub(taxiiBase)/time.Minute)
	}
	tests := []struct {
		name string
		q    store.TAXIIQuery
		want []string
	}{
		{"everything", store.TAXIIQuery{}, []string{"1@0", "1@5", "1@9", "2@3", "3@3"}},
		{"labels", store.TAXIIQuery{TLPs: []event.TLP{event.TLPClear, event.TLPGreen}}, []string{"1@0", "1@5", "2@3"}},
		{"no labels", store.TAXIIQuery{TLPs: []event.TLP{}}, nil},
		{"type", store.TAXIIQuery{Types: []string{"malware"}}, []string{"2@3"}},
		{"ids", store.TAXIIQuery{IDs: []string{objs[3].ID, objs[4].ID}}, []string{"2@3", "3@3"}},
		{"spec version", store.TAXIIQuery{SpecVersions: []string{"2.1"}}, []string{"1@0", "1@5", "1@9", "3@3"}},
		{"last", store.TAXIIQuery{Last: true}, []string{"1@9", "2@3", "3@3"}},
		{"first", store.TAXIIQuery{First: true}, []string{"1@0", "2@3", "3@3"}},
		{"first or a version", store.TAXIIQuery{First: true, Versions: []time.Time{taxiiBase.Add(5 * time.Minute)}}, []string{"1@0", "1@5", "2@3", "3@3"}},
		{"last of green", store.TAXIIQuery{Last: true, TLPs: []event.TLP{event.TLPGreen}}, nil},
		{"added after", store.TAXIIQuery{AddedAfter: first[2].Added}, []string{"2@3", "3@3"}},
		{"after a cursor", store.TAXIIQuery{After: store.TAXIICursor{Added: first[1].Added, Seq: first[1].Seq}}, []string{"1@9", "2@3", "3@3"}},
		{"other collection", store.TAXIIQuery{Collection: "d"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			if q.Collection == "" {
				q.Collection = "c"
			}
			if q.TLPs == nil {
				q.TLPs = taxiiTLPs
			}
			var got []string
			for _, o := range taxiiAll(t, s, q) {
				got = append(got, key(o))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func testTAXIIDelete(t *testing.T, s TAXIIStore) {
	ctx := context.Background()
	objs := []store.TAXIIObject{
		taxiiObj("c", 1, 0, "indicator", event.TLPGreen),
		taxiiObj("c", 1, 5, "indicator", event.TLPGreen),
		taxiiObj("c", 1, 9, "indicator", event.TLPGreen),
		taxiiObj("c", 2, 3, "malware", event.TLPGreen),
	}
	if _, err := s.AddTAXIIObjects(ctx, objs, time.Now()); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteTAXIIObjects(ctx, store.TAXIIQuery{Collection: "c", TLPs: taxiiTLPs, IDs: []string{objs[0].ID}, Versions: []time.Time{objs[0].Version, objs[2].Version}})
	if err != nil || n != 2 {
		t.Fatalf("deleted %d, %v; want 2", n, err)
	}
	for _, q := range []store.TAXIIQuery{{First: true}, {Last: true}} {
		q.Collection, q.TLPs, q.IDs = "c", taxiiTLPs, []string{objs[0].ID}
		got := taxiiAll(t, s, q)
		if len(got) != 1 || got[0].Version != objs[1].Version {
			t.Errorf("first %v last %v: %v, want the remaining version", q.First, q.Last, got)
		}
	}
	if n, err := s.DeleteTAXIIObjects(ctx, store.TAXIIQuery{Collection: "c", TLPs: []event.TLP{event.TLPClear}, IDs: []string{objs[3].ID}}); err != nil || n != 0 {
		t.Errorf("deleted %d, %v under a label filter that excludes it", n, err)
	}
	if n, err := s.DeleteTAXIIObjects(ctx, store.TAXIIQuery{Collection: "c", TLPs: taxiiTLPs, IDs: []string{objs[0].ID, objs[3].ID}}); err != nil || n != 2 {
		t.Errorf("deleted %d, %v; want 2", n, err)
	}
	if got := taxiiAll(t, s, store.TAXIIQuery{Collection: "c", TLPs: taxiiTLPs}); len(got) != 0 {
		t.Errorf("%d versions left", len(got))
	}
	if _, err := s.DeleteTAXIIObjects(ctx, store.TAXIIQuery{Collection: "c", TLPs: taxiiTLPs}); err == nil {
		t.Error("a delete naming no object went through")
	}
}

func testTAXIIStatus(t *testing.T, s TAXIIStore) {
	ctx := context.Background()
	st := store.TAXIIStatus{ID: "2d086da7-4bdc-4f91-900e-d77486753710", Collection: "c", User: "analyst",
		Requested: taxiiBase, Status: "complete",
		Successes: []store.TAXIIStatusDetail{{ID: "indicator--1", Version: "2026-03-01T12:00:00Z"}},
		Failures:  []store.TAXIIStatusDetail{{ID: "indicator--2", Version: "2026-03-01T12:00:00Z", Message: "no"}}}
	if err := s.PutTAXIIStatus(ctx, st); err != nil {
		t.Fatal(err)
	}
	got, err := s.TAXIIStatus(ctx, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, st) {
		t.Errorf("got %+v, want %+v", got, st)
	}
	if _, err := s.TAXIIStatus(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a missing status: %v", err)
	}
}

func testTAXIILatest(t *testing.T, s TAXIIStore) {
	ctx := context.Background()
	objs := []store.TAXIIObject{
		taxiiObj("c", 1, 2, "indicator", event.TLPRed),
		taxiiObj("c", 1, 5, "indicator", event.TLPRed),
		taxiiObj("c", 1, 3, "indicator", event.TLPRed),
		taxiiObj("c", 2, 0, "malware", event.TLPClear),
		taxiiObj("d", 3, 9, "indicator", event.TLPGreen), // another collection
	}
	if _, err := s.AddTAXIIObjects(ctx, objs, time.Now()); err != nil {
		t.Fatal(err)
	}
	// More ids than SQLite binds in one statement, most of them unknown.
	ids := []string{objs[0].ID, objs[3].ID, objs[4].ID}
	for n := range 2500 {
		ids = append(ids, taxiiObj("c", 100+n, 0, "indicator", event.TLPRed).ID)
	}
	for _, withJSON := range []bool{false, true} {
		got, err := s.LatestTAXIIVersions(ctx, "c", ids, withJSON)
		if err != nil {
			t.Fatal(err)
		}
		sort.Slice(got, func(i, j int) bool { return got[i].ID < got[j].ID })
		if len(got) != 2 || got[0].ID != objs[0].ID || !got[0].Version.Equal(objs[1].Version) || got[0].TLP != event.TLPRed ||
			got[1].ID != objs[3].ID || !got[1].Version.Equal(objs[3].Version) || got[1].Type != "malware" {
			t.Fatalf("withJSON %v: %+v", withJSON, got)
		}
		if withJSON != (string(got[0].JSON) == string(objs[1].JSON)) || !withJSON && got[0].JSON != nil {
			t.Errorf("withJSON %v: JSON %q", withJSON, got[0].JSON)
		}
	}
	if got, err := s.LatestTAXIIVersions(ctx, "c", nil, true); err != nil || len(got) != 0 {
		t.Errorf("no ids: %v %v", got, err)
	}
}
