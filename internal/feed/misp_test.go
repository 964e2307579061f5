package feed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/golden"
)

func TestMISPGolden(t *testing.T) {
	for _, f := range []string{"testdata/misp/event.json", "testdata/misp/quirks.json"} {
		t.Run(filepath.Base(f), func(t *testing.T) {
			rec := decodeFile(t, "misp", Options{TLP: tlpOf(event.TLPAmber)}, f)
			golden.Check(t, strings.TrimSuffix(f, ".json")+".golden", rec.golden())
			for i := range rec.events {
				if err := rec.events[i].Validate(); err != nil {
					t.Errorf("event %d: %v", i, err)
				}
			}
		})
	}
}

// mispEventSummary is what a test asserts about one decoded event.
type mispEventSummary struct {
	line             int64
	src, dst         string // address[:port] or host name
	srcRole, dstRole event.Role
	class            string
	tlp              event.TLP
	malware          string
}

func summarize(e *event.Event) mispEventSummary {
	side := func(ep *event.Endpoint) string {
		s := ep.FQDN
		if ep.IP.IsValid() {
			s = ep.IP.String()
			if ep.FQDN != "" {
				s = ep.FQDN + "/" + s
			}
		}
		if s == "" {
			s = ep.URL
		}
		if ep.Port != 0 {
			s += ":" + strconv.Itoa(int(ep.Port))
		}
		return s
	}
	return mispEventSummary{e.Line, side(&e.Source), side(&e.Destination), e.Source.Role, e.Destination.Role, e.Class.String(), e.TLP, e.Malware}
}

func TestMISPAddressesRolesAndMarkings(t *testing.T) {
	rec := decodeFile(t, "misp", Options{TLP: tlpOf(event.TLPAmber)}, "testdata/misp/event.json")
	want := []mispEventSummary{
		// The event's rsit tag (c2-server) and tlp:green apply.
		{1, "", "192.0.2.10", event.RoleNone, event.RoleC2, "malicious-code/c2-server", event.TLPGreen, ""},
		// The attribute's own class and the stricter of tlp:amber and green.
		{2, "198.51.100.7:22", "", event.RoleAttacker, event.RoleNone, "intrusion-attempts/brute-force", event.TLPAmber, ""},
		// tlp:white on the attribute is laxer than the event's green.
		{4, "", "2001:db8::c2:8443", event.RoleNone, event.RoleC2, "malicious-code/c2-server", event.TLPGreen, ""},
		{5, "", "update.bad.example/192.0.2.11", event.RoleNone, event.RoleC2, "malicious-code/c2-server", event.TLPGreen, ""},
		{6, "", "cdn.bad.example:443", event.RoleNone, event.RoleC2, "malicious-code/c2-server", event.TLPRed, ""},
		// Objects.
		{9, "", "203.0.113.5:8080", event.RoleNone, event.RoleC2, "malicious-code/c2-server", event.TLPGreen, ""},
		{10, "", "login-bank.example/192.0.2.80", event.RoleNone, event.RoleMalicious, "fraud/phishing", event.TLPGreen, ""},
		{11, "192.0.2.50", "", event.RoleC2, event.RoleNone, "malicious-code/c2-server", event.TLPGreen, "qakbot"},
		{11, "192.0.2.51:2222", "", event.RoleC2, event.RoleNone, "malicious-code/c2-server", event.TLPGreen, "qakbot"},
		// A connection under a C&C class: the client is infected.
		{12, "10.1.2.3", "192.0.2.10:443", event.RoleInfected, event.RoleC2, "malicious-code/c2-server", event.TLPGreen, ""},
	}
	var got []mispEventSummary
	for i := range rec.events {
		got = append(got, summarize(&rec.events[i]))
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	wantRejects := []rejection{
		{3, "skipped: sha256 attributes carry no address"},
		{7, "ip-src: 203.0.113.0/24 is a network range, not an address"},
		{8, "skipped: text attributes carry no address"},
		{13, "skipped: the file object carries no address"},
	}
	if len(rec.rejects) != len(wantRejects) {
		t.Fatalf("rejects %+v", rec.rejects)
	}
	for i, r := range wantRejects {
		if rec.rejects[i] != r {
			t.Errorf("reject %d = %+v, want %+v", i, rec.rejects[i], r)
		}
	}
	// The admiralty rating of the attribute overrides the event's for the
	// same predicate, and the rest stays.
	var x struct {
		Admiralty []string `json:"admiralty_scale"`
		UUID      string   `json:"misp_uuid"`
	}
	if err := json.Unmarshal(rec.events[1].Extra, &x); err != nil {
		t.Fatal(err)
	}
	if strings.Join(x.Admiralty, ",") != "information-credibility=2,source-reliability=a" || x.UUID != "5c1f6c1e-1111-4000-8000-000000000002" {
		t.Errorf("extra: %s", rec.events[1].Extra)
	}
	// Times: first_seen, else the attribute's timestamp, else the object's
	// last-seen.
	if got := rec.events[0].TimeSource.Format("2006-01-02T15:04"); got != "2024-03-07T10:00" {
		t.Errorf("time of attribute 1 = %s", got)
	}
	if got := rec.events[5].TimeSource.Format("2006-01-02T15:04"); got != "2024-03-06T07:00" {
		t.Errorf("time of the ip-port object = %s", got)
	}
}

func TestMISPQuirks(t *testing.T) {
	rec := decodeFile(t, "misp", Options{TLP: tlpOf(event.TLPAmber)}, "testdata/misp/quirks.json")
	if len(rec.events) != 2 {
		t.Fatalf("events: %+v", rec.events)
	}
	// A tag written as a string, numbers for strings, "1" for true.
	e := rec.events[0]
	if e.Class.String() != "information-gathering/scanner" || e.Source.Role != event.RoleAttacker || e.TLP != event.TLPClear ||
		e.Source.IP != netip.MustParseAddr("198.51.100.20") || e.Line != 1 {
		t.Errorf("first event: %+v", summarize(&e))
	}
	// No class: an observation under the tag's marking; no Orgc: no provider.
	e = rec.events[1]
	if e.Kind != event.Observation || e.TLP != event.TLPAmberStrict || e.Feed.Provider != "" || e.Destination.FQDN != "bad.example" || e.Line != 5 {
		t.Errorf("second event: %+v %v", summarize(&e), e.Kind)
	}
	if !bytes.Contains(e.Extra, []byte(`"misp_issues":["Event 2 Attribute 4: first_seen: \"yesterday\" is not an ISO 8601 time; ignored","Event 2 Attribute 4 Tag 2: tag has no name; skipped"]`)) {
		t.Errorf("issues not kept in extra: %s", e.Extra)
	}
	if !bytes.Contains(rec.events[0].Extra, []byte(`"misp_issues":["Event 1 Tag 3: tag is not an object; skipped"]`)) {
		t.Errorf("event-level issue not kept: %s", rec.events[0].Extra)
	}
	want := []rejection{
		{2, "skipped: the ip-dst attribute is deleted (revoked in MISP)"},
		{3, "Event 2 Attribute 2: attribute is not a JSON object; skipped"},
		{4, "Event 2 Attribute 3: attribute has no type; skipped"},
		{6, `ip-dst: invalid IP address "192.0.2.300"`},
		{7, `ip-src|port: value "192.0.2.1:80" is not host|port`},
		{8, "Event 3: list element is not a JSON object"},
	}
	if len(rec.rejects) != len(want) {
		t.Fatalf("rejects %+v", rec.rejects)
	}
	for i := range want {
		if rec.rejects[i] != want[i] {
			t.Errorf("reject %d = %+v, want %+v", i, rec.rejects[i], want[i])
		}
	}
}

func TestMISPDefaultMarking(t *testing.T) {
	doc := `{"Event":{"info":"x","Attribute":[{"type":"ip-src","value":"192.0.2.1","Tag":[{"name":"rsit:availability=\"ddos\""}]}]}}`
	rec, err := decodeBytes(t, "misp", Options{TLP: tlpOf(event.TLPRed)}, []byte(doc))
	if err != nil || len(rec.events) != 1 {
		t.Fatalf("%v %+v", err, rec)
	}
	if rec.events[0].TLP != event.TLPRed {
		t.Errorf("untagged record marked %v, want the configured TLP:RED", rec.events[0].TLP)
	}
	rec, _ = decodeBytes(t, "misp", Options{}, []byte(doc))
	if rec.events[0].TLP != event.DefaultTLP {
		t.Errorf("untagged record marked %v, want the default", rec.events[0].TLP)
	}
}

func TestMISPWholeInputErrors(t *testing.T) {
	for _, doc := range []string{`{"Event":`, `{"type":"bundle"}`, `42`} {
		if _, err := decodeBytes(t, "misp", Options{}, []byte(doc)); err == nil {
			t.Errorf("%s: no error", doc)
		}
	}
}

func TestMISPDetection(t *testing.T) {
	for _, c := range []struct {
		head string
		want string
	}{
		{`{"Event":{"info":"x"}}`, "misp"},
		{"  [\n {\"Event\": {}}]", "misp"},
		{`{"response":[{"Event":{}}]}`, "misp"},
		{`{"id":"1","info":"x","threat_level_id":"1","Attribute":[]}`, "misp"},
	} {
		f, err := Detect("x.json", []byte(c.head))
		if err != nil || f.Name != c.want {
			t.Errorf("Detect(%.30q) = %v, %v; want %s", c.head, f.Name, err, c.want)
		}
	}
	for _, head := range []string{`{"timestamp":"2024-03-01T00:00:00Z","event_type":"alert"}`, `[{"ip_address":"192.0.2.1"}]`, `{"type":"bundle","objects":[]}`} {
		if sniffMISP("x.json", []byte(head)) != 0 {
			t.Errorf("sniffMISP claims %s", head)
		}
	}
}

// TestMISPInteropSamples reads every MISP event the interop folder holds
// (JSON files with an "Event" member outside the schemas, object
// definitions and taxonomies) and checks that each record is accounted for.
func TestMISPInteropSamples(t *testing.T) {
	dir := interopPath(t, "misp")
	var samples []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return nil
		}
		head, err := os.ReadFile(p)
		if err == nil && sniffMISP(p, head[:min(len(head), SniffSize)]) > 0 {
			samples = append(samples, p)
		}
		return nil
	})
	if len(samples) == 0 {
		t.Skipf("%s holds no MISP event samples (only the schemas, object definitions and taxonomies); the decoder is tested on testdata/misp", dir)
	}
	for _, p := range samples {
		t.Run(filepath.Base(p), func(t *testing.T) {
			rec := decodeFile(t, "misp", Options{}, p)
			if rec.records() == 0 {
				t.Errorf("no records read")
			}
			for i := range rec.events {
				if err := rec.events[i].Validate(); err != nil {
					t.Errorf("event %d: %v", i, err)
				}
			}
		})
	}
}

// TestMISPObjectRelationsExist checks that the object relations the
// decoder reads exist in the MISP object definitions, so a rename upstream
// shows here.
func TestMISPObjectRelationsExist(t *testing.T) {
	dir := interopPath(t, "misp", "misp-objects")
	for obj, rels := range map[string][]string{
		"ip-port":            {"ip", "ip-src", "ip-dst", "src-port", "dst-port", "domain", "hostname", "first-seen", "last-seen"},
		"domain-ip":          {"ip", "domain", "hostname", "port", "first-seen", "last-seen"},
		"c2-list":            {"c2-ip", "c2-ipport", "threat"},
		"network-connection": {"ip-src", "ip-dst", "src-port", "dst-port", "first-packet-seen", "last-packet-seen"},
	} {
		data, err := os.ReadFile(filepath.Join(dir, obj+".definition.json"))
		if err != nil {
			t.Fatal(err)
		}
		var def struct {
			Attributes map[string]struct {
				Type string `json:"misp-attribute"`
			} `json:"attributes"`
		}
		if err := json.Unmarshal(data, &def); err != nil {
			t.Fatal(err)
		}
		for _, r := range rels {
			if _, ok := def.Attributes[r]; !ok {
				t.Errorf("%s has no relation %q", obj, r)
			}
		}
	}
}

func FuzzMISPEvent(f *testing.F) {
	for _, p := range []string{"testdata/misp/event.json", "testdata/misp/quirks.json"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"Event":{"Attribute":[{"type":"ip-src|port","value":"|"}],"Object":[{"name":"c2-list","Attribute":[{"type":"port","object_relation":"dst-port","value":"x"}]}]}}`))
	f.Add([]byte(`[{"Event":[]},{"info":1}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := decodeBytes(t, "misp", Options{}, data)
		if err != nil {
			return
		}
		for i := range rec.events {
			e := &rec.events[i]
			if err := e.Validate(); err != nil {
				t.Fatalf("event %d does not validate: %v", i, err)
			}
			if len(e.Extra) > 0 && !json.Valid(e.Extra) {
				t.Fatalf("event %d: extra is not JSON: %s", i, e.Extra)
			}
			if e.Line < 1 {
				t.Fatalf("event %d: line %d", i, e.Line)
			}
		}
		for _, r := range rec.rejects {
			if r.Reason == "" || r.Line < 1 {
				t.Fatalf("rejection %+v", r)
			}
		}
	})
}

// BenchmarkMISPDecode measures reading a MISP event of 20,000 attributes
// as Concord's own export writes them (five tags each).
func BenchmarkMISPDecode(b *testing.B) {
	const n = 20000
	var buf bytes.Buffer
	buf.WriteString(`{"Event":{"uuid":"5c1f6c1e-5e1c-4b3a-9d34-0f0c0a000001","info":"bench","date":"2024-03-01","threat_level_id":"4","analysis":"2","distribution":"0","published":false,"timestamp":"1709251200","Orgc":{"uuid":"5c1f6c1e-0000-4000-8000-00000000c0c0","name":"Bench"},"Attribute":[`)
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		ip := netip.AddrFrom4([4]byte{11, byte(i >> 16), byte(i >> 8), byte(i)})
		buf.WriteString(`{"uuid":"5c1f6c1e-1111-4000-8000-` + strconv.FormatInt(100000000000+int64(i), 10) + `","type":"ip-src","category":"Network activity","value":"` + ip.String() +
			`","to_ids":true,"timestamp":"1709251200","distribution":"5","deleted":false,"comment":"attack-source on 2024-03-01; 3 event(s)","Tag":[{"name":"tlp:amber","exportable":true},{"name":"rsit:information-gathering=\"scanner\"","exportable":true},{"name":"concord:role=\"attack-source\"","exportable":true},{"name":"concord:relay=\"tor-exit\"","exportable":true}]}`)
	}
	buf.WriteString(`],"attribute_count":"20000","Tag":[{"name":"tlp:amber","exportable":true}]}}`)
	benchDecoder(b, "misp", Options{}, buf.Bytes(), n)
}

// stopSink fails on its first event.
type stopSink struct{ recorder }

var errStop = errors.New("sink full")

func (s *stopSink) Event(*event.Event) error { return errStop }

func TestMISPSinkErrorStopsDecoding(t *testing.T) {
	f, _ := Lookup("misp")
	dec, _ := f.New(Options{})
	data, err := os.ReadFile("testdata/misp/event.json")
	if err != nil {
		t.Fatal(err)
	}
	s := &stopSink{}
	if err := dec.Decode(context.Background(), bytes.NewReader(data), s); err != errStop {
		t.Fatalf("Decode = %v, want the sink's error unchanged", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := dec.Decode(ctx, bytes.NewReader(data), &recorder{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
