package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/feed"
	"github.com/concord-cert/concord/internal/misp"
	"github.com/concord-cert/concord/internal/store/postgres/pgtest"
)

// mispRoundTrip is a MISP event from a partner: C&C servers and attack
// sources on three days under three markings.
const mispRoundTrip = `{"Event":{"uuid":"5c1f6c1e-5e1c-4b3a-9d34-0f0c0a0000aa","info":"partner indicators","date":"2024-03-01",
"threat_level_id":"2","analysis":"2","distribution":"1","published":true,"timestamp":"1709500000",
"Orgc":{"uuid":"5c1f6c1e-0000-4000-8000-00000000c0c0","name":"CERT-Example"},
"Attribute":[
 {"type":"ip-dst","category":"Network activity","to_ids":true,"value":"192.0.2.10","timestamp":"1709251300",
  "Tag":[{"name":"tlp:green"},{"name":"rsit:malicious-code=\"c2-server\""}]},
 {"type":"ip-src","category":"Network activity","to_ids":true,"value":"198.51.100.7","timestamp":"1709251400",
  "Tag":[{"name":"tlp:green"},{"name":"rsit:intrusion-attempts=\"brute-force\""}]},
 {"type":"ip-dst|port","category":"Network activity","to_ids":true,"value":"2001:db8::c2|443","timestamp":"1709337700",
  "Tag":[{"name":"tlp:amber"},{"name":"rsit:malicious-code=\"c2-server\""}]},
 {"type":"ip-src","category":"Network activity","to_ids":true,"value":"198.51.100.8","timestamp":"1709337800",
  "Tag":[{"name":"tlp:amber"},{"name":"rsit:information-gathering=\"scanner\""}]},
 {"type":"ip-dst","category":"Network activity","to_ids":true,"value":"192.0.2.99","timestamp":"1709424100",
  "Tag":[{"name":"tlp:red"},{"name":"rsit:malicious-code=\"c2-server\""}]},
 {"type":"ip-src","category":"Network activity","to_ids":false,"value":"10.20.30.40","timestamp":"1709251500",
  "Tag":[{"name":"tlp:green"},{"name":"rsit:malicious-code=\"infected-system\""}]},
 {"type":"ip-dst","category":"Network activity","to_ids":false,"value":"203.0.113.80","timestamp":"1709251600",
  "Tag":[{"name":"tlp:green"},{"name":"rsit:vulnerable=\"vulnerable-system\""}]},
 {"type":"ip-dst","category":"Network activity","to_ids":true,"value":"203.0.113.90","timestamp":"1709251700",
  "Tag":[{"name":"tlp:green"},{"name":"rsit:fraud=\"phishing\""}]}
]}}`

// indicator is what must survive a round trip.
type indicator struct {
	ip   string
	role event.Role
	tlp  event.TLP
	day  string
}

// readIndicators decodes a MISP file with the feed decoder.
func readIndicators(t *testing.T, path string) []indicator {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := feed.Lookup("misp")
	if err != nil {
		t.Fatal(err)
	}
	dec, _ := f.New(feed.Options{})
	var sink indicatorSink
	if err := dec.Decode(context.Background(), bytes.NewReader(data), &sink); err != nil {
		t.Fatal(err)
	}
	if len(sink.rejects) > 0 {
		t.Fatalf("%s: rejections %v", path, sink.rejects)
	}
	sort.Slice(sink.got, func(i, j int) bool { return sink.got[i].ip < sink.got[j].ip })
	return sink.got
}

type indicatorSink struct {
	got     []indicator
	rejects []string
}

func (s *indicatorSink) Event(e *event.Event) error {
	for _, ep := range []*event.Endpoint{&e.Source, &e.Destination} {
		if ep.IP.IsValid() {
			s.got = append(s.got, indicator{ep.IP.String(), ep.Role, e.TLP, e.Time().Format(time.DateOnly)})
		}
	}
	return nil
}

func (s *indicatorSink) Reject(line int64, reason string) { s.rejects = append(s.rejects, reason) }

func TestExportMISPRoundTrip(t *testing.T) {
	dir := t.TempDir()
	exportMISPRoundTrip(t, dir, filepath.Join(dir, "c.db"), filepath.Join(dir, "partner.db"))
}

// TestExportMISPRoundTripPostgres runs the round trip with both nodes on
// PostgreSQL, whose fact scans and markings are its own code.
func TestExportMISPRoundTripPostgres(t *testing.T) {
	exportMISPRoundTrip(t, t.TempDir(), pgtest.Database(t), pgtest.Database(t))
}

func exportMISPRoundTrip(t *testing.T, dir, db, db2 string) {
	in := writeFile(t, dir, "partner.json", mispRoundTrip)
	ing := runJSON(t, 0, "ingest", "--db", db, in)
	if f := ing["files"].([]any)[0].(map[string]any); f["format"] != "misp" || f["accepted"].(float64) != 8 {
		t.Fatalf("ingest: %v", ing)
	}
	out := filepath.Join(dir, "export.json")
	args := []string{"export", "misp", "--db", db, "--from", "2024-03-01", "--to", "2024-03-31", "--out", out}
	if _, errOut, code := run(t, args...); code != exitFailure || !strings.Contains(errOut, "agency add --self") {
		t.Fatalf("without an agency: exit %d, %s", code, errOut)
	}
	// A PostgreSQL node keeps its keys in a data directory.
	data := func(name string) []string { return []string{"--data", filepath.Join(dir, name)} }
	runJSON(t, 0, append([]string{"agency", "add", "--db", db, "--id", "pl-cert", "--name", "CERT Polska", "--country", "PL", "--self"}, data("pl")...)...)
	sum := runJSON(t, 0, append(args, "--tlp-max", "RED")...)
	if sum["attributes"].(float64) != 5 || sum["strictest_tlp"] != "TLP:RED" {
		t.Fatalf("summary: %v", sum)
	}
	want := []indicator{
		{"192.0.2.10", event.RoleC2, event.TLPGreen, "2024-03-01"},
		{"192.0.2.99", event.RoleC2, event.TLPRed, "2024-03-03"},
		{"198.51.100.7", event.RoleAttacker, event.TLPGreen, "2024-03-01"},
		{"198.51.100.8", event.RoleAttacker, event.TLPAmber, "2024-03-02"},
		{"2001:db8::c2", event.RoleC2, event.TLPAmber, "2024-03-02"},
	}
	// What was imported comes back with the same addresses, roles,
	// markings and days.
	if got := readIndicators(t, out); !equalIndicators(got, want) {
		t.Errorf("round trip:\n got %v\nwant %v", got, want)
	}
	// And a partner node that imports the export exports it the same way.
	runJSON(t, 0, "ingest", "--db", db2, out)
	runJSON(t, 0, append([]string{"agency", "add", "--db", db2, "--id", "de-cert", "--name", "CERT-Bund", "--country", "DE", "--self"}, data("de")...)...)
	out2 := filepath.Join(dir, "export2.json")
	runJSON(t, 0, "export", "misp", "--db", db2, "--from", "2024-03-01", "--to", "2024-03-31", "--tlp-max", "RED", "--out", out2)
	if got := readIndicators(t, out2); !equalIndicators(got, want) {
		t.Errorf("second round trip:\n got %v\nwant %v", got, want)
	}

	// Every role a fact is kept for survives too.
	all := append(args, "--tlp-max", "RED", "--roles", "c2-server,attack-source,infected-host,vulnerable-host,malicious-host")
	if sum := runJSON(t, 0, all...); sum["attributes"].(float64) != 8 {
		t.Fatalf("all roles: %v", sum)
	}
	wantAll := append([]indicator{
		{"10.20.30.40", event.RoleInfected, event.TLPGreen, "2024-03-01"},
		{"203.0.113.80", event.RoleVulnerable, event.TLPGreen, "2024-03-01"},
		{"203.0.113.90", event.RoleMalicious, event.TLPGreen, "2024-03-01"},
	}, want...)
	sort.Slice(wantAll, func(i, j int) bool { return wantAll[i].ip < wantAll[j].ip })
	if got := readIndicators(t, out); !equalIndicators(got, wantAll) {
		t.Errorf("all roles:\n got %v\nwant %v", got, wantAll)
	}

	// The default ceiling, AMBER, withholds the RED day; the file is
	// replaced whole and no temporary file is left.
	sum = runJSON(t, 0, args...)
	if sum["attributes"].(float64) != 4 || sum["facts_withheld"].(float64) != 1 {
		t.Fatalf("--tlp-max AMBER: %v", sum)
	}
	if got := readIndicators(t, out); len(got) != 4 {
		t.Errorf("after withholding: %v", got)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".export.json.tmp*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	// A re-export gives the same bytes when the time is fixed.
	fixed := append(args, "--generated", "2024-04-01T00:00:00Z")
	runJSON(t, 0, fixed...)
	a, _ := os.ReadFile(out)
	runJSON(t, 0, fixed...)
	b, _ := os.ReadFile(out)
	if !bytes.Equal(a, b) {
		t.Error("re-export differs")
	}
	if _, err := misp.DecodeStrict(a); err != nil {
		t.Errorf("export is not strict MISP: %v", err)
	}
	// Usage errors.
	for _, bad := range [][]string{
		{"export", "misp", "--db", db, "--tlp-max", "PINK", "--out", out},
		{"export", "misp", "--db", db, "--roles", "target", "--out", out},
		{"export", "misp", "--db", db},
		{"export", "misp", "--db", db, "--from", "2024-03-02", "--to", "2024-03-01", "--out", out},
	} {
		if _, _, code := run(t, bad...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", bad, code, exitUsage)
		}
	}
}

func equalIndicators(a, b []indicator) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
