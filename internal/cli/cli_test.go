package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/demo"
	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/store/sqlite"
)

// TestMain lets the test binary stand in for the concord binary when a
// test runs it as a child process (the kill test needs a real process).
func TestMain(m *testing.M) {
	if os.Getenv("CONCORD_TEST_AS_MAIN") == "1" {
		os.Exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// run executes a concord command line in-process.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const eveGood = `{"timestamp":"2024-03-12T10:00:00.000000+0000","event_type":"alert","src_ip":"10.1.1.1","src_port":50000,"dest_ip":"8.8.8.8","dest_port":443,"proto":"TCP","alert":{"signature_id":2404301,"signature":"ET CNC Feodo Tracker Reported CnC Server group 1","category":"A Network Trojan was detected"}}
{"timestamp":"2024-03-12T10:00:01.000000+0000","event_type":"alert","src_ip":"1.1.1.1","src_port":40000,"dest_ip":"10.1.1.2","dest_port":22,"proto":"TCP","alert":{"signature_id":2001219,"signature":"ET SCAN Potential SSH Scan","category":"Attempted Information Leak"}}
{"timestamp":"2024-03-12T10:00:02.000000+0000","event_type":"flow","src_ip":"10.1.1.1","src_port":50001,"dest_ip":"1.1.1.1","dest_port":443,"proto":"TCP"}
{"timestamp":"2024-03-12T10:00:03.000000+0000","event_type":"flow","src_ip":"148.81.111.11.12","src_port":50001,"dest_ip":"1.1.1.1","dest_port":443,"proto":"TCP"}
{"timestamp":"2024-03-12T10:00:04
`

func TestIngestJSONContract(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	eve := writeFile(t, dir, "eve.json", eveGood)
	empty := writeFile(t, dir, "empty.json", "")
	out, errOut, code := run(t, "ingest", "--db", db, "--json", eve, empty, filepath.Join(dir, "missing.json"))
	if code != exitFailure {
		t.Fatalf("exit %d, want 1 because one file cannot be read; stderr %s", code, errOut)
	}
	var rep struct {
		Files []struct {
			Path, Format                                          string
			Records, Accepted, Duplicates, Rejected, Observations int64
			ByClassification                                      map[string]int64 `json:"by_classification"`
			Rejections                                            []struct {
				Line   int64
				Reason string
			}
			Error string
		}
		Totals struct {
			Records, Accepted, Duplicates, Rejected, Observations int64
			ByClassification                                      map[string]int64 `json:"by_classification"`
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	if len(rep.Files) != 3 {
		t.Fatalf("files %d", len(rep.Files))
	}
	f := rep.Files[0]
	if f.Format != "eve" || f.Records != 5 || f.Accepted != 3 || f.Rejected != 2 || f.Observations != 1 {
		t.Fatalf("eve file %+v", f)
	}
	var sum int64
	for _, n := range f.ByClassification {
		sum += n
	}
	if f.Records != f.Accepted+f.Duplicates+f.Rejected || f.Accepted != sum+f.Observations {
		t.Fatalf("counters do not add up: %+v", f)
	}
	if f.ByClassification["information-gathering/scanner"] != 1 || len(f.Rejections) != 2 || f.Rejections[0].Line != 4 {
		t.Fatalf("classes %v rejections %+v", f.ByClassification, f.Rejections)
	}
	if rep.Files[1].Records != 0 || rep.Files[1].Error != "" || rep.Files[2].Error == "" {
		t.Fatalf("empty %+v / missing %+v", rep.Files[1], rep.Files[2])
	}
	if rep.Totals.Records != 5 || rep.Totals.Accepted != 3 {
		t.Fatalf("totals %+v", rep.Totals)
	}

	// Again, strictly: everything is a duplicate, rejections make it exit 2.
	out, _, code = run(t, "ingest", "--db", db, "--json", "--strict", eve)
	if code != exitRejected {
		t.Fatalf("--strict exit %d, want 2", code)
	}
	json.Unmarshal([]byte(out), &rep)
	if rep.Totals.Duplicates != 3 || rep.Totals.Accepted != 0 {
		t.Fatalf("second run totals %+v", rep.Totals)
	}
}

func TestIngestHumanSummaryAndUsage(t *testing.T) {
	dir := t.TempDir()
	eve := writeFile(t, dir, "eve.json", eveGood)
	out, _, code := run(t, "ingest", eve, "--db", filepath.Join(dir, "c.db"))
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"eve.json", "malicious-code/infected-system", "line 4: src_ip: invalid IP address", "line 5: invalid JSON"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if _, _, code := run(t, "ingest", "--db", filepath.Join(dir, "c.db")); code != exitUsage {
		t.Errorf("no files: exit %d", code)
	}
	if _, errOut, code := run(t, "ingest", "--format", "nosuch", eve); code != exitUsage || !strings.Contains(errOut, "unknown format") {
		t.Errorf("bad format: exit %d %s", code, errOut)
	}
	if _, _, code := run(t, "frobnicate"); code != exitUsage {
		t.Errorf("unknown command: exit %d", code)
	}
}

func TestLookupWithLists(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	exits := writeFile(t, dir, "exit-addresses", "ExitNode AAAA\nPublished 2024-03-11 10:00:00\nLastStatus 2024-03-12 10:00:00\nExitAddress 1.1.1.1 2024-03-12 09:00:00\n")
	out, _, code := run(t, "lists", "import", "tor", exits, "--db", db)
	if code != exitOK || !strings.Contains(out, "1 entries read, 1 new") {
		t.Fatalf("import: %d %s", code, out)
	}
	for _, c := range []struct {
		at    string
		flags []string
	}{{"2024-03-12T12:00:00Z", []string{"tor-exit"}}, {"2021-01-01", []string{}}} {
		out, _, code = run(t, "lookup", "--db", db, "--json", "--at", c.at, "1.1.1.1", "10.0.0.1")
		if code != exitOK {
			t.Fatalf("lookup exit %d", code)
		}
		var res []struct {
			IP, Country, ASName, DB string
			ASN                     uint32
			Flags                   []string
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 2 {
			t.Fatalf("%v %s", err, out)
		}
		if res[0].ASN != 13335 || res[0].DB == "" || strings.Join(res[0].Flags, ",") != strings.Join(c.flags, ",") {
			t.Errorf("at %s: %+v", c.at, res[0])
		}
		if res[1].Country != "" || res[1].ASN != 0 || len(res[1].Flags) != 0 {
			t.Errorf("private address %+v", res[1])
		}
	}
	if _, _, code := run(t, "lookup", "not-an-ip"); code != exitUsage {
		t.Errorf("bad IP exit %d", code)
	}
}

func TestIPDBInfo(t *testing.T) {
	out, _, code := run(t, "ipdb", "info", "--json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var info ipdbInfoJSON
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	if info.Name != "ip-location-db" || info.Version != "2.3.2026061719" || !strings.Contains(info.Attribution, "DB-IP") || !info.Country || !info.ASN {
		t.Fatalf("%+v", info)
	}
}

func TestIPDBLoadCSVOverlaysCountry(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	csv := writeFile(t, dir, "national.csv", "1.1.1.0,1.1.1.255,PL\n")
	out, errOut, code := run(t, "ipdb", "load", csv, "--db", db, "--version", "2026-11-01")
	if code != exitOK {
		t.Fatalf("load: %d %s %s", code, out, errOut)
	}
	out, _, _ = run(t, "lookup", "--db", db, "--json", "1.1.1.1")
	var res []lookupResult
	json.Unmarshal([]byte(out), &res)
	// The operator's country wins; the AS still comes from the snapshot.
	if len(res) != 1 || res[0].Country != "PL" || res[0].ASN != 13335 || !strings.Contains(res[0].DB, "national@2026-11-01") {
		t.Fatalf("%+v", res)
	}
}

// TestKilledIngestResumes kills `concord ingest` with SIGKILL at several
// moments, then lets it finish, and checks the store equals that of one
// clean run: no half-written batch, no duplicate, nothing lost.
func TestKilledIngestResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	geo, err := ipdb.Default()
	if err != nil {
		t.Fatal(err)
	}
	files, err := demo.Generate(geo, demo.Options{Dir: dir, EVE: 60000})
	if err != nil {
		t.Fatal(err)
	}
	inputs := files.All()
	clean := filepath.Join(dir, "clean.db")
	if _, errOut, code := run(t, append([]string{"ingest", "--db", clean}, inputs...)...); code != exitOK {
		t.Fatalf("clean run: %d %s", code, errOut)
	}
	want := digest(t, clean)

	killed := filepath.Join(dir, "killed.db")
	midRun := 0
	for i, delay := range []time.Duration{150 * time.Millisecond, 400 * time.Millisecond, 700 * time.Millisecond, 1100 * time.Millisecond} {
		cmd := exec.Command(os.Args[0], append([]string{"ingest", "--db", killed}, inputs...)...)
		cmd.Env = append(os.Environ(), "CONCORD_TEST_AS_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		t.Logf("kill %d after %s: %v", i, delay, err)
		if err != nil {
			midRun++
		}
	}
	if midRun < 2 {
		t.Fatalf("only %d of the kills hit a running ingest; the test proves nothing on a machine this fast (use a larger input)", midRun)
	}
	out, errOut, code := run(t, append([]string{"ingest", "--db", killed, "--json"}, inputs...)...)
	if code != exitOK {
		t.Fatalf("final run: %d %s", code, errOut)
	}
	if got := digest(t, killed); got != want {
		t.Fatalf("store after kills and a final run differs from one clean run\nfinal run: %s", out)
	}
}

func digest(t *testing.T, path string) string {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := st.Digest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDemoRuns(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := run(t, "demo", "--dir", dir, "--eve", "3000", "--serve=false")
	if code != exitOK {
		t.Fatalf("demo: %d %s", code, errOut)
	}
	for _, want := range []string{"eve.json", "ipblocklist.csv", "event4_sinkhole_http", "malicious-code/c2-server", "C&C servers", "Tor exits", "line 122: ip: invalid IP address \"148.81.111.11.12\"",
		"$ concord assess", "Analytic confidence: low."} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// The case file it writes is one `concord assess` reads.
	if _, errOut, code := run(t, "assess", "--db", filepath.Join(dir, "concord.db"), filepath.Join(dir, "case.json")); code != exitOK {
		t.Errorf("assess of the demo's case: %d %s", code, errOut)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "assessment.html")); err != nil || !bytes.Contains(b, []byte("ACH matrix")) {
		t.Errorf("assessment.html: %v", err)
	}
	// A second run finds everything already stored.
	out, _, _ = run(t, "demo", "--dir", dir, "--eve", "3000", "--serve=false")
	if !strings.Contains(out, "adds nothing") {
		t.Errorf("second demo run:\n%s", out)
	}
}

func TestAssessConsultsListsAndFeeds(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	exits := writeFile(t, dir, "exit-addresses", "ExitNode AAAA\nPublished 2024-03-11 10:00:00\nLastStatus 2024-03-12 10:00:00\nExitAddress 1.1.1.1 2024-03-12 09:00:00\n")
	if _, _, code := run(t, "lists", "import", "tor", exits, "--db", db); code != exitOK {
		t.Fatal("import failed")
	}
	if _, errOut, code := run(t, "ingest", "--db", db, writeFile(t, dir, "eve.json", eveGood)); code != exitOK {
		t.Fatalf("ingest: %s", errOut)
	}
	in := writeFile(t, dir, "case.json", `{"title":"t","observations":[
	  {"ip":"1.1.1.1","port":40000,"time":"2024-03-12T10:00:01Z"},
	  {"ip":"8.8.8.8","port":443,"time":"2024-03-12T10:00:00Z","role":"c2-server"}]}`)
	out, errOut, code := run(t, "assess", "--db", db, "--json", in)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct {
		Hypotheses []struct {
			ID         string
			Generated  bool
			Likelihood struct{ Words string }
		}
		Confidence string
		Evidence   []struct{ ID, Summary string }
		Consulted  []string
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	items := map[string]string{}
	for _, e := range r.Evidence {
		items[e.ID] = e.Summary
	}
	if _, ok := items["o1-tor-exit"]; !ok {
		t.Errorf("no Tor exit item for 1.1.1.1 at the list's time: %v", items)
	}
	// The EVE sample has 8.8.8.8 as a Feodo C&C server on that day.
	if s, ok := items["o2-c2"]; !ok || !strings.Contains(s, "suricata") {
		t.Errorf("no C&C item from the stored feed for 8.8.8.8: %v", items)
	}
	if len(r.Hypotheses) < 8 || r.Confidence != "low" || !strings.Contains(strings.Join(r.Consulted, "\n"), "tor-exit 1") {
		t.Errorf("%+v", r)
	}
	html, _, code := run(t, "assess", "--db", db, "--html", in)
	if code != exitOK || !strings.HasPrefix(html, "<!DOCTYPE html>") || strings.Contains(html, "<script") {
		t.Errorf("--html: exit %d, %.80q", code, html)
	}
}

func TestAssessWithoutADatabase(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CONCORD_DB", filepath.Join(dir, "none.db"))
	in := writeFile(t, dir, "case.yaml", "observations:\n  - ip: 1.1.1.1\n    time: 2024-03-12T10:00:00Z\n")
	out, errOut, code := run(t, "assess", in)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"JUDGEMENT", "CONFIDENCE", "relay lists: none loaded", "stored feeds: none consulted", "source port"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); err == nil {
		t.Error("assess created the configured database")
	}
	if _, errOut, code := run(t, "assess", "--db", filepath.Join(dir, "missing.db"), in); code != exitFailure || !strings.Contains(errOut, "no such database") {
		t.Errorf("a missing --db: exit %d, %s", code, errOut)
	}
	bad := writeFile(t, dir, "bad.json", `{"observations":[{"ip":"1.1.1","port":0}]}`)
	if _, errOut, code := run(t, "assess", bad); code != exitUsage || !strings.Contains(errOut, "observations[0].ip") {
		t.Errorf("a bad file: exit %d, %s", code, errOut)
	}
}
