package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// KeptStore is a store whose ingest runs keep objects as received
// (store.Batch.Objects): it holds events and TAXII collections.
type KeptStore interface {
	store.Store
	store.TAXII
}

// RunKept runs the conformance tests of the objects WriteBatch keeps
// against stores made by open, which must return a new empty store for
// each call; the suite closes it.
func RunKept(t *testing.T, open func(t *testing.T) KeptStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s KeptStore)
	}{
		{"KeptObjectsAreStoredOnceAndCounted", testKeptCounts},
		{"KeptVersionsMoveFirstAndLast", testKeptVersions},
		{"KeptObjectsAreReadByLabel", testKeptRead},
		{"AFailedBatchKeepsNoObject", testKeptFailure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

// kept returns version v (minutes after taxiiBase) of object n of the
// imported collection; record says whether keeping it is all that became
// of its record.
func kept(n, v int, typ string, tlp event.TLP, record bool) store.KeptObject {
	return store.KeptObject{TAXIIObject: taxiiObj(store.ImportedCollection, n, v, typ, tlp), Record: record}
}

// versionsOf returns the minutes after taxiiBase of the versions of object
// n of type typ that q selects in the imported collection, in the order
// they were added.
func versionsOf(t *testing.T, s store.TAXII, typ string, n int, q store.TAXIIQuery) []int {
	t.Helper()
	q.Collection, q.TLPs, q.IDs = store.ImportedCollection, taxiiTLPs, []string{fmt.Sprintf("%s--00000000-0000-4000-8000-%012d", typ, n)}
	var out []int
	for _, o := range taxiiAll(t, s, q) {
		out = append(out, int(o.Version.Sub(taxiiBase)/time.Minute))
	}
	return out
}

func testKeptCounts(t *testing.T, s KeptStore) {
	ctx := context.Background()
	id, err := s.BeginIngest(ctx, store.IngestRun{Path: "/data/bundle.json", Format: "stix", Feed: "partner", Started: t0})
	if err != nil {
		t.Fatal(err)
	}
	b := batchOf(c2Event(1))
	b.IngestID = id
	b.Objects = []store.KeptObject{
		kept(1, 0, "threat-actor", event.TLPGreen, true),
		kept(2, 0, "relationship", event.TLPGreen, true),
		kept(3, 0, "indicator", event.TLPGreen, false),   // also an event: counted through it
		kept(1, 0, "threat-actor", event.TLPGreen, true), // the same version again
	}
	res, err := s.WriteBatch(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, true, true, false}; !reflect.DeepEqual(res.Kept, want) {
		t.Fatalf("first batch kept %v, want %v", res.Kept, want)
	}
	if want := (store.Counts{Records: 4, Accepted: 1, Duplicates: 1, Kept: 2}); res.Counts != want {
		t.Fatalf("first batch counts %+v, want %+v", res.Counts, want)
	}
	run, err := s.Ingest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Counts != res.Counts {
		t.Fatalf("interrupted run counts %+v, want %+v", run.Counts, res.Counts)
	}

	b = batchOf(c2Event(1)) // a duplicate event
	b.IngestID = id
	b.Objects = []store.KeptObject{
		kept(1, 0, "threat-actor", event.TLPGreen, true), // held
		kept(4, 0, "threat-actor", event.TLPGreen, true),
		kept(3, 0, "indicator", event.TLPGreen, false),   // held
		kept(1, 1, "threat-actor", event.TLPGreen, true), // a new version
	}
	res, err = s.WriteBatch(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, true, false, true}; !reflect.DeepEqual(res.Kept, want) {
		t.Fatalf("second batch kept %v, want %v", res.Kept, want)
	}
	if want := (store.Counts{Records: 4, Duplicates: 2, Kept: 2}); res.Counts != want {
		t.Fatalf("second batch counts %+v, want %+v", res.Counts, want)
	}
	if err := s.FinishIngest(ctx, id, "done"); err != nil {
		t.Fatal(err)
	}
	run, err = s.Ingest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.Counts{Records: 8, Accepted: 1, Duplicates: 3, Kept: 4}); run.Counts != want {
		t.Fatalf("finished run counts %+v, want %+v", run.Counts, want)
	}
	if got := taxiiAll(t, s, store.TAXIIQuery{Collection: store.ImportedCollection, TLPs: taxiiTLPs}); len(got) != 5 {
		t.Fatalf("%d versions kept, want 5", len(got))
	}
}

func testKeptVersions(t *testing.T, s KeptStore) {
	ctx := context.Background()
	batches := [][]store.KeptObject{
		// Several versions of one object in one batch, not in order, and
		// one of another object twice.
		{kept(1, 5, "indicator", event.TLPGreen, true), kept(1, 1, "indicator", event.TLPGreen, true), kept(1, 9, "indicator", event.TLPGreen, true),
			kept(2, 3, "malware", event.TLPGreen, true), kept(2, 3, "malware", event.TLPGreen, true), kept(2, 2, "malware", event.TLPGreen, true),
			kept(3, 2, "report", event.TLPGreen, true)},
		// Versions before and after those held, one held, and a later
		// version of another object.
		{kept(1, 12, "indicator", event.TLPGreen, true), kept(1, 0, "indicator", event.TLPGreen, true), kept(1, 5, "indicator", event.TLPGreen, true),
			kept(3, 4, "report", event.TLPGreen, true)},
		// A version between those held, and an earlier one of another
		// object.
		{kept(1, 7, "indicator", event.TLPGreen, true), kept(3, 1, "report", event.TLPGreen, true)},
	}
	wantKept := [][]bool{{true, true, true, true, false, true, true}, {true, true, false, true}, {true, true}}
	for i, objs := range batches {
		b := batchOf()
		b.Objects = objs
		res, err := s.WriteBatch(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res.Kept, wantKept[i]) {
			t.Fatalf("batch %d kept %v, want %v", i, res.Kept, wantKept[i])
		}
	}
	tests := []struct {
		name string
		n    int
		typ  string
		q    store.TAXIIQuery
		want []int
	}{
		{"every version in the order added", 1, "indicator", store.TAXIIQuery{}, []int{5, 1, 9, 12, 0, 7}},
		{"first", 1, "indicator", store.TAXIIQuery{First: true}, []int{0}},
		{"last", 1, "indicator", store.TAXIIQuery{Last: true}, []int{12}},
		{"first of one batch", 2, "malware", store.TAXIIQuery{First: true}, []int{2}},
		{"last of one batch", 2, "malware", store.TAXIIQuery{Last: true}, []int{3}},
		{"first across batches", 3, "report", store.TAXIIQuery{First: true}, []int{1}},
		{"last across batches", 3, "report", store.TAXIIQuery{Last: true}, []int{4}},
		{"first or last", 3, "report", store.TAXIIQuery{First: true, Last: true}, []int{4, 1}},
	}
	for _, tc := range tests {
		if got := versionsOf(t, s, tc.typ, tc.n, tc.q); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	all := taxiiAll(t, s, store.TAXIIQuery{Collection: store.ImportedCollection, TLPs: taxiiTLPs})
	for i := 1; i < len(all); i++ {
		if !all[i].Added.After(all[i-1].Added) {
			t.Errorf("version %d added at %v, not after %v", i, all[i].Added, all[i-1].Added)
		}
	}
}

func testKeptRead(t *testing.T, s KeptStore) {
	ctx := context.Background()
	b := batchOf(c2Event(1))
	b.Objects = []store.KeptObject{
		kept(1, 0, "threat-actor", event.TLPClear, true),
		kept(2, 0, "threat-actor", event.TLPAmber, true),
		kept(3, 0, "relationship", event.TLPGreen, true),
		kept(4, 0, "report", event.TLPRed, true),
	}
	if _, err := s.WriteBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	got := taxiiAll(t, s, store.TAXIIQuery{Collection: store.ImportedCollection, TLPs: []event.TLP{event.TLPClear, event.TLPGreen}})
	if len(got) != 2 {
		t.Fatalf("%d objects for CLEAR and GREEN, want 2", len(got))
	}
	for i, want := range []store.TAXIIObject{b.Objects[0].TAXIIObject, b.Objects[2].TAXIIObject} {
		o := got[i]
		if o.ID != want.ID || o.Collection != store.ImportedCollection || !o.Version.Equal(want.Version) || o.Type != want.Type ||
			o.SpecVersion != want.SpecVersion || o.TLP != want.TLP || string(o.JSON) != string(want.JSON) {
			t.Errorf("object %d reads back as %+v, want %+v", i, o, want)
		}
	}
	if got := taxiiAll(t, s, store.TAXIIQuery{Collection: "c", TLPs: taxiiTLPs}); len(got) != 0 {
		t.Errorf("%d objects in another collection", len(got))
	}
}

func testKeptFailure(t *testing.T, s KeptStore) {
	ctx := context.Background()
	objs := []store.KeptObject{kept(1, 0, "threat-actor", event.TLPGreen, true), kept(1, 1, "threat-actor", event.TLPGreen, true)}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	// A rejection of a run that does not exist fails on its foreign key,
	// inside the transaction, after the events and objects were written.
	orphan := batchOf(c2Event(1))
	orphan.IngestID = 4242
	orphan.Rejects = []store.Rejection{{Line: 1, Reason: "truncated"}}
	orphan.Objects = objs
	withObjects := batchOf(c2Event(1))
	withObjects.Objects = objs
	for _, tc := range []struct {
		name string
		ctx  context.Context
		b    *store.Batch
	}{
		{"a cancelled context", cancelled, withObjects},
		{"a rejection of no run", ctx, orphan},
	} {
		res, err := s.WriteBatch(tc.ctx, tc.b)
		if err == nil {
			t.Fatalf("%s: the batch went through", tc.name)
		}
		if want := []bool{false, false}; !reflect.DeepEqual(res.Kept, want) || !reflect.DeepEqual(res.New, []bool{false}) || res.Counts != (store.Counts{}) {
			t.Errorf("%s: failed batch says kept %v, new %v, counts %+v", tc.name, res.Kept, res.New, res.Counts)
		}
		if got := taxiiAll(t, s, store.TAXIIQuery{Collection: store.ImportedCollection, TLPs: taxiiTLPs}); len(got) != 0 {
			t.Fatalf("%s: %d objects stored by a failed batch", tc.name, len(got))
		}
		if _, err := s.EventByKey(ctx, tc.b.Keys[0]); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s: the failed batch's event: %v", tc.name, err)
		}
	}
	res, err := s.WriteBatch(ctx, withObjects)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, true}; !reflect.DeepEqual(res.Kept, want) {
		t.Fatalf("after the failures, kept %v, want %v", res.Kept, want)
	}
	if got := versionsOf(t, s, "threat-actor", 1, store.TAXIIQuery{Last: true}); !reflect.DeepEqual(got, []int{1}) {
		t.Fatalf("last version %v, want [1]", got)
	}
}
