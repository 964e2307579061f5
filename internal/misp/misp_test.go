package misp

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeReadsTheSpecShapedEvent(t *testing.T) {
	data := readFile(t, "testdata/event.json")
	doc, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Issues) != 0 {
		t.Errorf("issues on a well-formed event: %v", doc.Issues)
	}
	if len(doc.Events) != 1 {
		t.Fatalf("events = %d, want 1", len(doc.Events))
	}
	e := doc.Events[0]
	if e.UUID != "5c1f6c1e-5e1c-4b3a-9d34-0f0c0a000001" || e.Date != "2024-03-08" || e.ThreatLevelID != "2" ||
		e.Timestamp != 1709900000 || !e.Published || e.Orgc == nil || e.Orgc.Name != "CERT-Example" {
		t.Errorf("event header: %+v", e)
	}
	if len(e.Tags) != 2 || e.Tags[0].Name != "tlp:green" {
		t.Errorf("event tags: %+v", e.Tags)
	}
	if len(e.Attributes) != 3 || len(e.Objects) != 1 || len(e.Objects[0].Attributes) != 2 {
		t.Fatalf("attributes %d, objects %d", len(e.Attributes), len(e.Objects))
	}
	a := e.Attributes[0]
	if a.Type != "ip-dst" || a.Value != "192.0.2.10" || !a.ToIDs || a.Timestamp != 1709856000 ||
		!a.FirstSeen.Equal(time.Date(2024, 3, 7, 10, 0, 0, 0, time.UTC)) || !a.LastSeen.IsZero() || len(a.Tags) != 1 {
		t.Errorf("attribute 1: %+v", a)
	}
	if !bytes.HasPrefix(a.Raw, []byte(`{"id": "1"`)) {
		t.Errorf("attribute raw does not hold its JSON: %.40s", a.Raw)
	}
	o := e.Objects[0]
	if o.Name != "ip-port" || o.MetaCategory != "network" || o.TemplateUUID != "9f8cea74-16fe-4968-a2b4-026676949ac6" ||
		o.Attributes[1].ObjectRelation != "dst-port" || o.Attributes[1].Value != "8080" {
		t.Errorf("object: %+v", o)
	}
	// The same event passes the strict reading.
	if _, err := DecodeStrict(data); err != nil {
		t.Errorf("strict: %v", err)
	}
}

func TestDecodeAcceptsWhatMISPInstancesEmit(t *testing.T) {
	doc, err := Decode(readFile(t, "testdata/quirks.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Events) != 2 {
		t.Fatalf("events = %d, want 2", len(doc.Events))
	}
	e := doc.Events[0]
	if e.ThreatLevelID != "3" || e.Analysis != "0" || e.Distribution != "0" || e.Published || e.Timestamp != 1709950000 {
		t.Errorf("numbers and booleans: %+v", e)
	}
	if len(e.Tags) != 2 || e.Tags[0].Name != "TLP:WHITE" || e.Tags[1].Name != `rsit:information-gathering="scanner"` {
		t.Errorf("tags: %+v", e.Tags)
	}
	if len(e.Attributes) != 1 || !e.Attributes[0].ToIDs || e.Attributes[0].Deleted || e.Attributes[0].Value != "198.51.100.20" {
		t.Errorf("single attribute object: %+v", e.Attributes)
	}
	e2 := doc.Events[1]
	if e2.Orgc != nil {
		t.Errorf("Orgc = %+v, want none", e2.Orgc)
	}
	if len(e2.Attributes) != 2 || !e2.Attributes[0].Deleted || e2.Attributes[1].Type != "domain|ip" || len(e2.Attributes[1].Tags) != 1 {
		t.Errorf("second event's attributes: %+v", e2.Attributes)
	}
	var got []string
	for _, is := range doc.Issues {
		got = append(got, is.String())
	}
	want := []string{
		"Event 1 Tag 3: tag is not an object; skipped",
		"Event 2 Attribute 2: attribute is not a JSON object; skipped",
		"Event 2 Attribute 3: attribute has no type; skipped",
		`Event 2 Attribute 4: first_seen: "yesterday" is not an ISO 8601 time; ignored`,
		"Event 2 Attribute 4 Tag 2: tag has no name; skipped",
		"Event 3: list element is not a JSON object",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("issues:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Records are numbered across the document, skipped ones included.
	type loc struct {
		record  int64
		event   int
		skipped bool
	}
	wantLoc := []loc{{0, 1, false}, {3, 2, true}, {4, 2, true}, {5, 2, false}, {5, 2, false}, {6, 0, true}}
	for i, is := range doc.Issues {
		if i < len(wantLoc) && (loc{is.Record, is.Event, is.Skipped}) != wantLoc[i] {
			t.Errorf("issue %d (%s) at %+v, want %+v", i, is, loc{is.Record, is.Event, is.Skipped}, wantLoc[i])
		}
	}
	if e.Attributes[0].Record != 1 || e2.Attributes[0].Record != 2 || e2.Attributes[1].Record != 5 {
		t.Errorf("records: %d, %d, %d", e.Attributes[0].Record, e2.Attributes[0].Record, e2.Attributes[1].Record)
	}
}

func TestDecodeShapes(t *testing.T) {
	for _, c := range []struct {
		name, doc string
		events    int
		err       string
	}{
		{"wrapped", `{"Event":{"info":"x","Attribute":[]}}`, 1, ""},
		{"bare", `{"info":"x","Attribute":[{"type":"ip-src","value":"192.0.2.1"}]}`, 1, ""},
		{"list of wrapped", `[{"Event":{"info":"a"}},{"Event":{"info":"b"}}]`, 2, ""},
		{"REST response", `{"response":[{"Event":{"info":"a"}}]}`, 1, ""},
		{"empty list", `[]`, 0, ""},
		{"not JSON", `{"Event":`, 0, "not valid JSON"},
		{"other object", `{"type":"bundle","objects":[]}`, 0, "no \"Event\" member"},
		{"a string", `"Event"`, 0, "not a JSON object or list"},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc, err := Decode([]byte(c.doc))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(doc.Events) != c.events {
				t.Errorf("events = %d, want %d", len(doc.Events), c.events)
			}
		})
	}
}

func TestDecodeStrictRefusesDeviations(t *testing.T) {
	good := `{"Event":{"uuid":"u","info":"i","date":"2024-03-01","threat_level_id":"4","analysis":"2","distribution":"0","timestamp":"1","published":false,"Orgc":{"uuid":"o","name":"n"},"Attribute":[{"uuid":"a","type":"ip-src","category":"Network activity","value":"192.0.2.1","to_ids":true,"timestamp":"1"}]}}`
	if _, err := DecodeStrict([]byte(good)); err != nil {
		t.Fatalf("strict refused a conforming event: %v", err)
	}
	for _, c := range []struct{ name, from, to, err string }{
		{"number as number", `"threat_level_id":"4"`, `"threat_level_id":4`, "threat_level_id is 4, not a string"},
		{"boolean as string", `"to_ids":true`, `"to_ids":"1"`, "to_ids is \"1\", not a JSON boolean"},
		{"missing Orgc", `,"Orgc":{"uuid":"o","name":"n"}`, ``, `required member "Orgc"`},
		{"unknown member", `"info":"i"`, `"info":"i","colour":"x"`, `member "colour" is not in the MISP format`},
		{"no wrapper", `{"Event":`, `{"x":0,"Event":`, `member "x"`},
		{"attribute without value", `"value":"192.0.2.1",`, ``, `required member "value"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := strings.Replace(good, c.from, c.to, 1)
			if doc == good {
				t.Fatal("replacement did not apply")
			}
			_, err := DecodeStrict([]byte(doc))
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("err = %v, want %q", err, c.err)
			}
		})
	}
}

func TestUUID5MatchesRFC9562(t *testing.T) {
	// RFC 9562 appendix A.4: the DNS namespace and "www.example.com".
	dns := [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	if got := UUID5(dns, "www.example.com"); got != "2ed6657d-e927-568b-95e1-2665a8aea6a2" {
		t.Errorf("UUID5 = %s", got)
	}
	if UUID5(Namespace, "a") == UUID5(Namespace, "b") {
		t.Error("different names gave one UUID")
	}
}

func TestTags(t *testing.T) {
	for _, c := range []struct {
		tag string
		tlp event.TLP
		ok  bool
	}{
		{"tlp:white", event.TLPClear, true},
		{"tlp:clear", event.TLPClear, true},
		{"TLP:GREEN", event.TLPGreen, true},
		{"tlp:amber", event.TLPAmber, true},
		{"tlp:amber+strict", event.TLPAmberStrict, true},
		{"tlp:red", event.TLPRed, true},
		{"tlp:ex:chr", 0, false},
		{"tlp:unclear", 0, false},
		{"pap:red", 0, false},
		{"red", 0, false},
	} {
		got, ok := TagTLP(c.tag)
		if ok != c.ok || got != c.tlp {
			t.Errorf("TagTLP(%q) = %v, %v; want %v, %v", c.tag, got, ok, c.tlp, c.ok)
		}
	}
	for _, c := range []struct {
		tag, class string
	}{
		{`rsit:malicious-code="c2-server"`, "malicious-code/c2-server"},
		{`rsit:information-content-security="unauthorised-information-access"`, "information-content-security/unauthorised-information-access"},
		{`ecsirt:malicious-code="c2server"`, "malicious-code/c2-server"},
		{`ecsirt:information-gathering="scanner"`, "information-gathering/scanner"},
		{`rsit:malicious-code`, ""},
		{`rsit:malicious-code="nonsense"`, ""},
		{`admiralty-scale:source-reliability="b"`, ""},
	} {
		got, _ := TagClass(c.tag)
		if got.String() != c.class {
			t.Errorf("TagClass(%q) = %q, want %q", c.tag, got, c.class)
		}
	}
	for tl := event.TLPClear; tl <= event.TLPRed; tl++ {
		back, ok := TagTLP(TLPTag(tl))
		if !ok || back != tl {
			t.Errorf("TLPTag(%v) = %q does not read back", tl, TLPTag(tl))
		}
	}
	if got := ClassTag(event.ClassC2); got != `rsit:malicious-code="c2-server"` {
		t.Errorf("ClassTag = %s", got)
	}
}

func TestWriterOutputIsStrictMISP(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, Header{
		UUID: UUID5(Namespace, "event"), Info: `period "March" \ node`,
		Date:      time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
		Timestamp: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC),
		Orgc:      Org{UUID: UUID5(Namespace, "org"), Name: "CERT-PL"},
	})
	for i, v := range []string{"192.0.2.1", "2001:db8::1"} {
		if err := w.WriteAttribute(&Attribute{
			UUID: UUID5(Namespace, v), Type: "ip-dst", Category: "Network activity", Value: v, ToIDs: i == 0,
			Timestamp: 1709251200, Comment: "c2\n", Tags: []Tag{{Name: "tlp:amber"}, {Name: `concord:relay="tor-exit"`}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close([]Tag{{Name: "tlp:amber"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteAttribute(&Attribute{}); err != ErrClosed {
		t.Errorf("write after close: %v", err)
	}
	e, err := DecodeStrict(buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.Bytes())
	}
	if e.Info != `period "March" \ node` || e.Date != "2024-03-01" || e.Timestamp != 1711929600 || e.Orgc.Name != "CERT-PL" ||
		len(e.Attributes) != 2 || e.Attributes[1].Value != "2001:db8::1" || e.Attributes[0].Comment != "c2\n" ||
		!e.Attributes[0].ToIDs || e.Attributes[1].ToIDs || len(e.Attributes[1].Tags) != 2 || len(e.Tags) != 1 {
		t.Errorf("read back: %+v", e)
	}
}

// FuzzDecode checks that no input makes Decode panic, and that the
// in-place member scanner agrees with encoding/json on valid objects.
func FuzzDecode(f *testing.F) {
	for _, p := range []string{"testdata/event.json", "testdata/quirks.json"} {
		f.Add(readFileF(f, p))
	}
	f.Add([]byte(`{"Event":{"a\"b":"\u00e9","x":[1,{"y":"]"}],"z":-1.5e3}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		Decode(data)
		DecodeStrict(data)
		if !json.Valid(data) {
			return
		}
		var want map[string]json.RawMessage
		if json.Unmarshal(data, &want) != nil {
			return
		}
		got, ok := objectOf(data)
		names := map[string]bool{}
		for _, mb := range got {
			names[string(mb.key)] = true
		}
		if !ok || len(names) != len(want) {
			t.Fatalf("objectOf: %v %d members, encoding/json %d", ok, len(names), len(want))
		}
		for k, v := range want {
			if g := got.get(k); !bytes.Equal(bytes.TrimSpace(g), bytes.TrimSpace(v)) {
				t.Fatalf("member %q: %s, encoding/json %s", k, g, v)
			}
		}
	})
}

func readFileF(f *testing.F, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// TestWalkAgreesWithDecode checks that walking a document record by
// record yields what Decode builds, issues included, in record order.
func TestWalkAgreesWithDecode(t *testing.T) {
	for _, p := range []string{"testdata/event.json", "testdata/quirks.json"} {
		data := readFile(t, p)
		doc, err := Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		var attrs, objs []string
		var issues []Issue
		last := int64(0)
		err = Walk(data, func(r *Record) error {
			issues = append(issues, r.EventIssues...)
			issues = append(issues, r.Issues...)
			switch {
			case r.Attribute != nil:
				attrs = append(attrs, r.Event.UUID+" "+r.Attribute.Value)
				if r.Attribute.Record <= last {
					t.Errorf("record %d after %d", r.Attribute.Record, last)
				}
				last = r.Attribute.Record
			case r.Object != nil:
				objs = append(objs, r.Event.UUID+" "+r.Object.Name)
				last = r.Object.Record
			case len(r.Issues) == 0 || !r.Issues[len(r.Issues)-1].Skipped:
				t.Errorf("a record with neither attribute, object nor skip: %+v", r)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var wantAttrs, wantObjs []string
		for _, e := range doc.Events {
			for _, a := range e.Attributes {
				wantAttrs = append(wantAttrs, e.UUID+" "+a.Value)
			}
			for _, o := range e.Objects {
				wantObjs = append(wantObjs, e.UUID+" "+o.Name)
			}
		}
		if strings.Join(attrs, ",") != strings.Join(wantAttrs, ",") || strings.Join(objs, ",") != strings.Join(wantObjs, ",") {
			t.Errorf("%s: walk %v %v, decode %v %v", p, attrs, objs, wantAttrs, wantObjs)
		}
		// Event-level issues are repeated with each record of their event;
		// once each, they are Decode's.
		seen := map[string]bool{}
		var uniq []string
		for _, is := range issues {
			if k := is.String(); !seen[k] {
				seen[k] = true
				uniq = append(uniq, k)
			}
		}
		var want []string
		for _, is := range doc.Issues {
			want = append(want, is.String())
		}
		sortStrings(uniq)
		sortStrings(want)
		if strings.Join(uniq, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: walk issues\n%s\ndecode issues\n%s", p, strings.Join(uniq, "\n"), strings.Join(want, "\n"))
		}
	}
}

func sortStrings(s []string) { slices.Sort(s) }
