package feed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/golden"
)

func TestSTIXGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/stix/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			rec := decodeFile(t, "stix", Options{TLP: tlpOf(event.TLPAmber)}, f)
			golden.Check(t, f+".golden", rec.golden())
			for i := range rec.events {
				if err := rec.events[i].Validate(); err != nil {
					t.Errorf("event %d: %v", i, err)
				}
			}
		})
	}
}

func TestSTIXMapsAndMarks(t *testing.T) {
	rec := decodeFile(t, "stix", Options{TLP: tlpOf(event.TLPAmber)}, "testdata/stix/mixed.json")
	byID := map[string]event.Event{}
	for _, e := range rec.events {
		byID[e.Identifier] = e
	}
	c2 := byID["indicator--c49901fe-712d-50da-82bc-c1d94b120492"]
	if c2.Class != event.ClassC2 || c2.Source.Role != event.RoleC2 || c2.Malware != "emotet" || c2.TLP != event.TLPGreen {
		t.Errorf("C&C indicator: %+v", c2)
	}
	if e := byID["indicator--1f1e3a2c-6a8e-4d6e-9b1b-6f1d2b7c8e01"]; e.Class.String() != "information-gathering/scanner" || e.TLP != event.TLPRed {
		t.Errorf("scanner marked by the bundle's own TLP:RED definition: %s %s", e.Class, e.TLP)
	}
	if e := byID["observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"]; e.Kind != event.Observation || e.Source.IP.String() != "192.0.2.10" ||
		e.Destination.IP.String() != "198.51.100.1" || e.Destination.Port != 443 || e.Transport != "tcp" || e.TLP != event.TLPGreen {
		t.Errorf("observed connection: %+v", e)
	}
	if e := byID["sighting--ee20065d-2555-424f-ad9e-0f8428623c75"]; e.Source.IP.String() != "198.51.100.1" || e.TLP != event.TLPRed {
		t.Errorf("sighting: %+v", e)
	}
	if rec.records() != 25 {
		t.Errorf("%d objects accounted for, want 25", rec.records())
	}
	for _, r := range rec.rejects {
		if r.Reason == "" || r.Line < 1 || r.Line > 25 {
			t.Errorf("rejection %+v", r)
		}
	}
}

func TestSTIXDetection(t *testing.T) {
	for _, tt := range []struct {
		head string
		want string
	}{
		{`{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": []}`, "stix"},
		{"{\n  \"id\": \"bundle--x\",\n  \"objects\": [],\n  \"type\"  :  \"bundle\"\n}", "stix"},
	} {
		f, err := Detect("x.json", []byte(tt.head))
		if err != nil || f.Name != tt.want {
			t.Errorf("%q: detected %q, %v", tt.head, f.Name, err)
		}
	}
	if sniffSTIX("x.json", []byte(`{"type":"indicator"}`)) != 0 {
		t.Error("an object that is not a bundle was taken for one")
	}
}

func TestSTIXReadsATAXIIEnvelope(t *testing.T) {
	rec, err := decodeBytes(t, "stix", Options{}, []byte(`{"more":false,"objects":[{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix","valid_from":"2024-03-01T00:00:00Z"}]}`))
	if err != nil || len(rec.events) != 1 || rec.events[0].Source.IP.String() != "192.0.2.1" {
		t.Fatalf("envelope: %v, %+v", err, rec)
	}
}

func TestSTIXRefusesWhatIsNotABundle(t *testing.T) {
	for _, in := range []string{`{"type":"indicator"}`, `[1,2]`, `{"type":"bundle","objects":`, `{"more":false}`} {
		if _, err := decodeBytes(t, "stix", Options{}, []byte(in)); err == nil {
			t.Errorf("%q decoded without an error", in)
		}
	}
}

// TestSTIXOASISExamples imports the OASIS documentation examples: every
// object is either an event or a rejection with a reason.
func TestSTIXOASISExamples(t *testing.T) {
	dir := interopPath(t, "stix", "cti-documentation-examples")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Fatal("no OASIS examples")
	}
	var objects, events, rejects int
	for _, f := range files {
		_, b := readBundle(t, f)
		rec := decodeFile(t, "stix", Options{}, f)
		if rec.records() != len(b.Objects) {
			t.Errorf("%s: %d objects, %d events and %d rejections", filepath.Base(f), len(b.Objects), len(rec.events), len(rec.rejects))
		}
		for _, r := range rec.rejects {
			if !strings.HasPrefix(r.Reason, "skipped: ") {
				t.Errorf("%s object %d: rejected as broken: %s", filepath.Base(f), r.Line, r.Reason)
			}
		}
		for i := range rec.events {
			if err := rec.events[i].Validate(); err != nil {
				t.Errorf("%s: event %d: %v", filepath.Base(f), i, err)
			}
		}
		objects, events, rejects = objects+len(b.Objects), events+len(rec.events), rejects+len(rec.rejects)
		t.Logf("%s: %d objects, %d events, %d skipped", filepath.Base(f), len(b.Objects), len(rec.events), len(rec.rejects))
	}
	t.Logf("OASIS examples: %d bundles, %d objects: %d events, %d skipped with a reason", len(files), objects, events, rejects)
}

// readBundle reads the bundle at path, whole and split into its objects.
func readBundle(t *testing.T, path string) ([]byte, struct{ Objects []json.RawMessage }) {
	t.Helper()
	var b struct{ Objects []json.RawMessage }
	data, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(data, &b)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data, b
}

// keeper is a recorder that also keeps objects, as ingest does.
type keeper struct {
	recorder
	kept []Object
	// pending is the line of a kept object whose event must come next.
	pending int64
	err     error
}

func (k *keeper) Object(o *Object) error {
	c := *o
	c.JSON = bytes.Clone(o.JSON)
	k.kept = append(k.kept, c)
	if k.pending != 0 && k.err == nil {
		k.err = fmt.Errorf("object %d was kept for an event that never came", k.pending)
	}
	k.pending = 0
	if o.Event {
		k.pending = o.Line
	}
	return nil
}

func (k *keeper) Event(e *event.Event) error {
	if k.pending != 0 && k.pending != e.Line && k.err == nil {
		k.err = fmt.Errorf("object %d was kept for an event, and the event came from object %d", k.pending, e.Line)
	}
	k.pending = 0
	return k.recorder.Event(e)
}

// records is the number of objects the decoder accounted for: events,
// rejections, and objects kept without an event.
func (k *keeper) records() int {
	n := k.recorder.records()
	for _, o := range k.kept {
		if !o.Event {
			n++
		}
	}
	return n
}

// TestSTIXKeepsEveryObject imports the OASIS documentation examples into
// a sink that keeps objects: every object is kept as received (compacted,
// with its id, type and version), those that name an address are events
// too, and nothing is rejected.
func TestSTIXKeepsEveryObject(t *testing.T) {
	dir := interopPath(t, "stix", "cti-documentation-examples")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) == 0 {
		t.Fatal("no OASIS examples")
	}
	format, _ := Lookup("stix")
	var objects, events int
	for _, f := range files {
		data, b := readBundle(t, f)
		dec, _ := format.New(Options{})
		k := &keeper{}
		if err := dec.Decode(t.Context(), bytes.NewReader(data), k); err != nil {
			t.Fatal(err)
		}
		if k.err != nil {
			t.Errorf("%s: %v", filepath.Base(f), k.err)
		}
		if len(k.rejects) != 0 || len(k.kept) != len(b.Objects) || k.records() != len(b.Objects) {
			t.Errorf("%s: %d objects: %d kept, %d events, %d rejected %v", filepath.Base(f), len(b.Objects), len(k.kept), len(k.events), len(k.rejects), k.rejects)
			continue
		}
		for i, o := range k.kept {
			var want, got any
			json.Unmarshal(b.Objects[i], &want)
			json.Unmarshal(o.JSON, &got)
			var head struct{ ID, Type string }
			json.Unmarshal(b.Objects[i], &head)
			if !reflect.DeepEqual(got, want) || o.ID != head.ID || o.Type != head.Type || o.Line != int64(i+1) {
				t.Errorf("%s object %d kept as %s %s line %d:\n%s", filepath.Base(f), i+1, o.Type, o.ID, o.Line, o.JSON)
			}
			var dates struct{ Created, Modified string }
			json.Unmarshal(b.Objects[i], &dates)
			if o.Version.IsZero() != (dates.Created == "" && dates.Modified == "") {
				t.Errorf("%s: %s kept as version %v (created %q, modified %q)", filepath.Base(f), o.ID, o.Version, dates.Created, dates.Modified)
			}
		}
		objects, events = objects+len(b.Objects), events+len(k.events)
	}
	t.Logf("OASIS examples: %d bundles, %d objects kept, %d of them events too", len(files), objects, events)
}

// TestSTIXKeepRejectsUnkeepable checks that an object without a STIX id
// is rejected with the reason it made no event and why it was not kept.
func TestSTIXKeepRejectsUnkeepable(t *testing.T) {
	data := []byte(`{"type":"bundle","id":"bundle--0c6a6c1e-8e2b-4a5e-9d3f-1f2a3b4c5d6e","objects":[
{"type":"threat-actor","id":"threat-actor--not-a-uuid","name":"x"},
{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-02T03:04:05Z","modified":"2026-01-02T03:04:05Z","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2026-01-02T03:04:05Z","indicator_types":["malicious-activity"]},
{"type":"indicator","id":"bad","pattern":"[ipv4-addr:value = '198.51.100.8']","pattern_type":"stix","valid_from":"2026-01-02T03:04:05Z"}]}`)
	format, _ := Lookup("stix")
	dec, _ := format.New(Options{})
	k := &keeper{}
	if err := dec.Decode(t.Context(), bytes.NewReader(data), k); err != nil {
		t.Fatal(err)
	}
	if k.err != nil {
		t.Fatal(k.err)
	}
	if len(k.rejects) != 1 || k.rejects[0].Line != 1 || !strings.Contains(k.rejects[0].Reason, "not kept: the id") {
		t.Errorf("rejections: %v", k.rejects)
	}
	if len(k.kept) != 1 || !k.kept[0].Event || k.kept[0].Version != time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) {
		t.Errorf("kept: %+v", k.kept)
	}
	if len(k.events) != 2 {
		t.Errorf("events: %d, want 2 (an address with an unkeepable id is still an event)", len(k.events))
	}
}

func FuzzSTIXBundle(f *testing.F) {
	files, _ := filepath.Glob("testdata/stix/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"indicator","pattern":"[ipv4-addr:value = '1.2.3.4']"},{"type":"sighting","sighting_of_ref":"x"}]}`))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"observed-data","objects":{"0":{"type":"network-traffic","src_ref":"0"}}}]}`))
	format, _ := Lookup("stix")
	f.Fuzz(func(t *testing.T, data []byte) {
		dec, err := format.New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		err = dec.Decode(t.Context(), bytes.NewReader(data), rec)
		seen := map[int64]bool{}
		for i := range rec.events {
			e := &rec.events[i]
			if err := e.Validate(); err != nil {
				t.Fatalf("emitted invalid event: %v", err)
			}
			if e.Line < 1 || seen[e.Line] {
				t.Fatalf("object %d reported twice or out of range", e.Line)
			}
			seen[e.Line] = true
		}
		for _, r := range rec.rejects {
			if seen[r.Line] || r.Reason == "" {
				t.Fatalf("object %d both decoded and rejected, or rejected without a reason", r.Line)
			}
			seen[r.Line] = true
		}
		if err != nil {
			return
		}
		var b struct{ Objects []json.RawMessage }
		if json.Unmarshal(data, &b) == nil && rec.records() != len(b.Objects) {
			t.Fatalf("%d objects, %d events + %d rejections", len(b.Objects), len(rec.events), len(rec.rejects))
		}
		// Keeping objects changes only what becomes of the records that
		// make no event: the same events, each object accounted for once.
		dec, _ = format.New(Options{})
		k := &keeper{}
		if err := dec.Decode(t.Context(), bytes.NewReader(data), k); err != nil {
			t.Fatalf("with a keeper: %v", err)
		}
		if k.err != nil {
			t.Fatal(k.err)
		}
		if len(k.events) != len(rec.events) || k.records() != len(b.Objects) {
			t.Fatalf("with a keeper: %d events (%d without), %d records of %d objects", len(k.events), len(rec.events), k.records(), len(b.Objects))
		}
		for _, o := range k.kept {
			if o.ID == "" || o.Type == "" || !json.Valid(o.JSON) {
				t.Fatalf("kept %+v", o)
			}
		}
	})
}
