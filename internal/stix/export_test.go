package stix

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/store/sqlite"
)

var (
	testAgency = store.Agency{ID: "cert-xx", Name: "CERT Example", Country: "PL", Self: true,
		Created: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	day0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
)

// sample is one incident stored for the export tests.
type sample struct {
	day   int
	ip    string
	class event.Class
	tlp   event.TLP
	flags event.Flags
	mal   string
}

// sqliteOpen opens a SQLite store at path.
func sqliteOpen(ctx context.Context, path string) (*sqlite.Store, error) {
	return sqlite.Open(ctx, path)
}

func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "concord.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func fill(t testing.TB, s store.Store, samples []sample) {
	t.Helper()
	ctx := context.Background()
	run, err := s.BeginIngest(ctx, store.IngestRun{Path: "test", Format: "test", Feed: "test", Started: day0})
	if err != nil {
		t.Fatal(err)
	}
	b := &store.Batch{IngestID: run}
	var h event.Hasher
	for i, x := range samples {
		e := event.Event{
			TimeSource: day0.Add(time.Duration(x.day)*24*time.Hour + time.Duration(i)*time.Second), TimeObservation: day0,
			Feed: event.Feed{Name: "test"}, Source: event.Endpoint{IP: netip.MustParseAddr(x.ip), Flags: x.flags, ASN: 64500, ASName: "EXAMPLE-AS", CC: "PL"},
			Malware: x.mal, TLP: x.tlp, Raw: []byte("x"),
		}
		e.SetClass(x.class)
		b.Events = append(b.Events, e)
		b.Keys = append(b.Keys, store.KeyOf(h.Sum(&e), e.TimeSource))
	}
	if _, err := s.WriteBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishIngest(ctx, run, "done"); err != nil {
		t.Fatal(err)
	}
}

var scanner = event.MustClass("information-gathering/scanner")

var testSamples = []sample{
	{day: 0, ip: "198.51.100.1", class: event.ClassC2, tlp: event.TLPGreen, mal: "emotet"},
	{day: 1, ip: "198.51.100.1", class: event.ClassC2, tlp: event.TLPGreen, mal: "emotet"},
	{day: 0, ip: "203.0.113.9", class: scanner, tlp: event.TLPGreen, flags: event.FlagTor},
	{day: 1, ip: "2001:db8::66", class: scanner, tlp: event.TLPGreen},
	{day: 2, ip: "192.0.2.77", class: event.ClassC2, tlp: event.TLPRed, mal: "qakbot"},
}

// export runs an export of the test samples' period and returns the
// bundle's objects.
func export(t testing.TB, s *sqlite.Store, max event.TLP, sightings bool) (Summary, []map[string]any, []byte) {
	t.Helper()
	x := &Exporter{Store: s, Markings: s, Agency: testAgency, From: day0, To: day0.Add(3 * 24 * time.Hour), TLPMax: max, Sightings: sightings}
	var buf bytes.Buffer
	sum, err := x.Export(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Type    string           `json:"type"`
		ID      string           `json:"id"`
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(buf.Bytes(), &b); err != nil {
		t.Fatalf("bundle is not JSON: %v\n%s", err, buf.Bytes())
	}
	if b.Type != "bundle" || b.ID != sum.Bundle {
		t.Fatalf("bundle header: %s %s", b.Type, b.ID)
	}
	return sum, b.Objects, buf.Bytes()
}

func TestExportIndicatorsPerAddressAndRole(t *testing.T) {
	s := openStore(t)
	fill(t, s, testSamples)
	sum, objs, _ := export(t, s, event.TLPAmber, false)
	if sum.C2 != 1 || sum.Attackers != 2 || sum.Withheld != 1 {
		t.Fatalf("summary: %+v", sum)
	}
	var patterns []string
	for _, o := range objs {
		if o["type"] == "indicator" {
			patterns = append(patterns, o["pattern"].(string))
			if o["pattern"] == "[ipv4-addr:value = '203.0.113.9']" {
				if !strings.Contains(strings.Join(toStrings(o["x_concord_flags"]), ","), "tor-exit") {
					t.Errorf("relay flag missing: %v", o)
				}
				if !strings.Contains(strings.Join(toStrings(o["indicator_types"]), ","), "anonymization") {
					t.Errorf("anonymization type missing: %v", o)
				}
			}
		}
	}
	want := "[ipv4-addr:value = '198.51.100.1'] [ipv4-addr:value = '203.0.113.9'] [ipv6-addr:value = '2001:db8::66']"
	if got := strings.Join(patterns, " "); got != want {
		t.Fatalf("patterns:\n got %s\nwant %s", got, want)
	}
}

func TestExportWithholdsAboveTLPMax(t *testing.T) {
	s := openStore(t)
	fill(t, s, testSamples)
	_, objs, raw := export(t, s, event.TLPAmber, true)
	if bytes.Contains(raw, []byte("192.0.2.77")) || bytes.Contains(raw, []byte("qakbot")) {
		t.Fatal("an address marked TLP:RED was exported with --tlp-max TLP:AMBER")
	}
	for _, o := range objs {
		if o["type"] == "marking-definition" {
			continue
		}
		refs := toStrings(o["object_marking_refs"])
		if len(refs) != 1 {
			t.Fatalf("%s has markings %v", o["id"], refs)
		}
		if tlp, ok := TLPOfMarking(refs[0]); !ok || tlp > event.TLPAmber {
			t.Fatalf("%s is marked %s", o["id"], refs[0])
		}
	}
	_, _, raw = export(t, s, event.TLPRed, true)
	if !bytes.Contains(raw, []byte("192.0.2.77")) {
		t.Fatal("--tlp-max TLP:RED left out the RED address")
	}
}

func TestEachEmitsTheBundlesObjects(t *testing.T) {
	s := openStore(t)
	fill(t, s, testSamples)
	_, objs, _ := export(t, s, event.TLPRed, true)
	x := &Exporter{Store: s, Markings: s, Agency: testAgency, From: day0, To: day0.Add(3 * 24 * time.Hour), TLPMax: event.TLPRed, Sightings: true}
	var got []map[string]any
	sum, err := x.Each(context.Background(), func(typ string, obj []byte) error {
		var m map[string]any
		if err := json.Unmarshal(obj, &m); err != nil || m["type"] != typ {
			t.Fatalf("emitted %s: %v %s", typ, err, obj)
		}
		got = append(got, m)
		return nil
	})
	if err != nil || int(sum.Objects) != len(got) || len(got) != len(objs) {
		t.Fatalf("Each: %v, %d objects emitted, summary %d, bundle %d", err, len(got), sum.Objects, len(objs))
	}
	for i := range got {
		if got[i]["id"] != objs[i]["id"] {
			t.Fatalf("object %d: %v, bundle has %v", i, got[i]["id"], objs[i]["id"])
		}
	}
}

func TestExportIsDeterministic(t *testing.T) {
	s := openStore(t)
	fill(t, s, testSamples)
	_, _, a := export(t, s, event.TLPRed, true)
	_, _, b := export(t, s, event.TLPRed, true)
	if !bytes.Equal(a, b) {
		t.Fatal("two exports of the same data differ")
	}
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
