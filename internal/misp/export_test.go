package misp

import (
	"bytes"
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// fakeFacts serves facts in key order and a marking per day.
type fakeFacts struct {
	facts []store.Fact
	marks map[int32]event.TLP
}

func (f *fakeFacts) EachFactOfRole(_ context.Context, from, to int32, role event.Role, fn func(*store.Fact) error) error {
	sorted := append([]store.Fact(nil), f.facts...)
	store.SortFacts(sorted)
	for i := range sorted {
		if x := &sorted[i]; x.Role == role && x.Day >= from && x.Day <= to {
			if err := fn(x); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *fakeFacts) StrictestTLP(_ context.Context, from, to int32) (event.TLP, bool, error) {
	t, ok := f.marks[from]
	return t, ok, nil
}

var (
	day1 = store.DayOf(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC))
	day2 = day1 + 1
	day3 = day1 + 2
)

func sampleFacts() *fakeFacts {
	ip := netip.MustParseAddr
	return &fakeFacts{
		facts: []store.Fact{
			{Day: day1, Role: event.RoleC2, IP: ip("192.0.2.10"), Class: "malicious-code/c2-server", Malware: "emotet", Feed: "feodo-tracker", Events: 3},
			// The same server seen by a second feed with another family: one attribute.
			{Day: day1, Role: event.RoleC2, IP: ip("192.0.2.10"), Class: "malicious-code/c2-server", Malware: "qakbot", Feed: "suricata", Events: 1},
			{Day: day2, Role: event.RoleC2, IP: ip("2001:db8::c2"), Class: "malicious-code/c2-server", Feed: "misp", Events: 1},
			{Day: day1, Role: event.RoleAttacker, IP: ip("198.51.100.7"), Class: "intrusion-attempts/brute-force", Flags: event.FlagTor, Feed: "eve", Events: 7},
			{Day: day2, Role: event.RoleAttacker, IP: ip("198.51.100.8"), Class: "information-gathering/scanner", Feed: "eve", Events: 1},
			// Day 3 is marked RED: withheld under an AMBER ceiling.
			{Day: day3, Role: event.RoleC2, IP: ip("192.0.2.99"), Class: "malicious-code/c2-server", Feed: "misp", Events: 1},
			// Infected hosts are not exported by default.
			{Day: day1, Role: event.RoleInfected, IP: ip("10.0.0.1"), Class: "malicious-code/infected-system", Feed: "eve", Events: 1},
		},
		marks: map[int32]event.TLP{day1: event.TLPGreen, day2: event.TLPAmber, day3: event.TLPRed},
	}
}

func sampleExporter(f Facts) *Exporter {
	return &Exporter{
		Facts:     f,
		Agency:    store.Agency{ID: "cert-pl", Name: "CERT Polska", Country: "PL", Self: true},
		From:      time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
		To:        time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC),
		TLPMax:    event.TLPAmber,
		Generated: time.Date(2024, 4, 1, 12, 0, 0, 0, time.UTC),
	}
}

func TestExportWritesOneEventOfAttributes(t *testing.T) {
	var buf bytes.Buffer
	sum, err := sampleExporter(sampleFacts()).Export(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Attributes != 4 || sum.Facts != 5 || sum.Withheld != 1 || sum.Roles["c2-server"] != 2 || sum.Roles["attack-source"] != 2 ||
		sum.Strictest != "TLP:AMBER" || sum.WithheldBy != "marked above TLP:AMBER" {
		t.Errorf("summary: %+v", sum)
	}
	// The strict model reads it: the structure is the MISP format's.
	e, err := DecodeStrict(buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.Bytes())
	}
	if e.UUID != sum.Event || e.Orgc.Name != "CERT Polska" || e.Orgc.UUID != OrgUUID(store.Agency{ID: "cert-pl"}) ||
		e.Date != "2024-03-01" || !strings.Contains(e.Info, "2024-03-01 to 2024-03-31") || !strings.Contains(e.Info, "CERT Polska") {
		t.Errorf("event: %+v", e)
	}
	if len(e.Tags) != 0 {
		t.Errorf("mixed markings, yet the event is tagged %v", e.Tags)
	}
	type attr struct {
		typ, value string
		toIDs      bool
		tags       string
	}
	var got []attr
	for _, a := range e.Attributes {
		var names []string
		for _, tg := range a.Tags {
			names = append(names, tg.Name)
		}
		got = append(got, attr{a.Type, a.Value, a.ToIDs, strings.Join(names, " ")})
	}
	want := []attr{
		{"ip-dst", "192.0.2.10", true, `tlp:green rsit:malicious-code="c2-server" concord:role="c2-server" concord:malware="emotet" concord:malware="qakbot"`},
		{"ip-dst", "2001:db8::c2", true, `tlp:amber rsit:malicious-code="c2-server" concord:role="c2-server"`},
		{"ip-src", "198.51.100.7", true, `tlp:green rsit:intrusion-attempts="brute-force" concord:role="attack-source" concord:relay="tor-exit"`},
		{"ip-src", "198.51.100.8", true, `tlp:amber rsit:information-gathering="scanner" concord:role="attack-source"`},
	}
	if len(got) != len(want) {
		t.Fatalf("attributes: %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("attribute %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if c := e.Attributes[2].Comment; c != "attack-source on 2024-03-01; relay: tor-exit (may not be the origin); 7 event(s)" {
		t.Errorf("comment: %q", c)
	}
	if e.Attributes[0].Timestamp != time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Unix() {
		t.Errorf("timestamp: %d", e.Attributes[0].Timestamp)
	}
}

func TestExportIsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if _, err := sampleExporter(sampleFacts()).Export(context.Background(), &a); err != nil {
		t.Fatal(err)
	}
	if _, err := sampleExporter(sampleFacts()).Export(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two exports of the same facts differ")
	}
	// Another generation time changes the timestamp, never the UUIDs.
	x := sampleExporter(sampleFacts())
	x.Generated = x.Generated.Add(time.Hour)
	var c bytes.Buffer
	if _, err := x.Export(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	e1, _ := DecodeStrict(a.Bytes())
	e2, _ := DecodeStrict(c.Bytes())
	if e1.UUID != e2.UUID || e1.Timestamp == e2.Timestamp {
		t.Errorf("event uuid %s vs %s, timestamp %d vs %d", e1.UUID, e2.UUID, e1.Timestamp, e2.Timestamp)
	}
	for i := range e1.Attributes {
		if e1.Attributes[i].UUID != e2.Attributes[i].UUID {
			t.Errorf("attribute %d uuid changed", i)
		}
	}
	// Another period is another event.
	x.To = x.To.AddDate(0, 0, -1)
	if x.EventUUID() == e1.UUID {
		t.Error("another period gave the same event uuid")
	}
}

func TestExportCeilingAndRoles(t *testing.T) {
	x := sampleExporter(sampleFacts())
	x.TLPMax = event.TLPGreen
	x.Roles = []event.Role{event.RoleC2, event.RoleInfected}
	var buf bytes.Buffer
	sum, err := x.Export(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	e, err := DecodeStrict(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Attributes != 2 || len(e.Attributes) != 2 || e.Attributes[1].Value != "10.0.0.1" || e.Attributes[1].ToIDs || e.Attributes[1].Type != "ip-src" {
		t.Errorf("summary %+v, attributes %+v", sum, e.Attributes)
	}
	// One marking throughout: the event carries it too.
	if len(e.Tags) != 1 || e.Tags[0].Name != "tlp:green" {
		t.Errorf("event tags: %v", e.Tags)
	}
	// Nothing to export is still a valid, empty event.
	x.TLPMax = event.TLPClear
	buf.Reset()
	if sum, err = x.Export(context.Background(), &buf); err != nil || sum.Attributes != 0 {
		t.Fatal(sum, err)
	}
	if _, err := DecodeStrict(buf.Bytes()); err != nil {
		t.Error(err)
	}
}

// TestExportPassesTheMISPSchema validates the export against MISP's own
// JSON schemas from the interop folder: format 2.4 and the core format
// draft's (MISP 2.5).
func TestExportPassesTheMISPSchema(t *testing.T) {
	root := os.Getenv("CONCORD_INTEROP_DIR")
	if root == "" {
		t.Skip("CONCORD_INTEROP_DIR is not set; skipping validation against MISP's JSON schemas (the strict model still checks the structure)")
	}
	var buf bytes.Buffer
	if _, err := sampleExporter(sampleFacts()).Export(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, url string }{
		{"MISP-format-2.4-schema.json", "https://github.com/MISP/MISP/blob/2.4/format/2.4/schema.json"},
		{"misp-core-format-draft20.schema.json", "https://github.com/MISP/MISP/blob/2.5/format/2.5/schema.json"},
	} {
		t.Run(c.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(root, "misp", c.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			doc, err := jsonschema.UnmarshalJSON(f)
			if err != nil {
				t.Fatal(err)
			}
			// MISP's schemas put a "required" list among sharing_group's
			// properties (its own "required" beside them says the same),
			// which the draft-04 metaschema refuses; drop the misplaced
			// copy. Exports have no sharing groups anyway.
			if sg, ok := dig(doc, "defs", "sharing_group", "properties").(map[string]any); ok {
				delete(sg, "required")
			}
			c2 := jsonschema.NewCompiler()
			if err := c2.AddResource(c.url, doc); err != nil {
				t.Fatal(err)
			}
			sch, err := c2.Compile(c.url)
			if err != nil {
				t.Fatalf("compile the MISP schema: %v", err)
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("the export does not pass %s: %v", c.file, err)
			}
			// The schema is not vacuous: a boolean written as a string fails it.
			bad := bytes.Replace(buf.Bytes(), []byte(`"to_ids":true`), []byte(`"to_ids":"1"`), 1)
			v, _ = jsonschema.UnmarshalJSON(bytes.NewReader(bad))
			if sch.Validate(v) == nil {
				t.Error("the schema accepted to_ids as a string")
			}
		})
	}
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
