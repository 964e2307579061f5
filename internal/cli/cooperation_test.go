package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/store/sqlite"
)

// runJSON runs a command with --json and decodes its one JSON object.
func runJSON(t *testing.T, want int, args ...string) map[string]any {
	t.Helper()
	out, errOut, code := run(t, append(args, "--json")...)
	if code != want {
		t.Fatalf("%v: exit %d, want %d\nstdout %s\nstderr %s", args, code, want, out, errOut)
	}
	var m map[string]any
	if out != "" {
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	return m
}

// twoAgencies sets up CERT Polska and BKA in two databases that know each
// other's public keys, and returns their database paths.
func twoAgencies(t *testing.T, dir string) (pl, de string) {
	t.Helper()
	pl, de = filepath.Join(dir, "pl.db"), filepath.Join(dir, "de.db")
	plKey := runJSON(t, 0, "agency", "add", "--db", pl, "--id", "pl-cert", "--name", "CERT Polska", "--country", "PL", "--self")
	deKey := runJSON(t, 0, "agency", "add", "--db", de, "--id", "de-bka", "--name", "BKA 24/7", "--country", "DE", "--self")
	if plKey["key_created"] != true || !strings.HasPrefix(plKey["public_key"].(string), "ed25519:") {
		t.Fatalf("self agency %v", plKey)
	}
	runJSON(t, 0, "agency", "add", "--db", pl, "--id", "de-bka", "--name", "BKA 24/7", "--country", "DE", "--key", deKey["public_key"].(string))
	runJSON(t, 0, "agency", "add", "--db", de, "--id", "pl-cert", "--name", "CERT Polska", "--country", "PL", "--key", plKey["public_key"].(string))
	if st, err := os.Stat(filepath.Join(dir, "pl-data", "keys", "pl-cert.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("signing key: %v %v", st, err)
	}
	return pl, de
}

// TestTwoAgencyWalkThrough is the walk-through of docs/cooperation.md: a
// victim reports to CERT Polska, a case is opened, evidence kept, a
// preservation request goes to BKA as a signed package and its status comes
// back the same way.
func TestTwoAgencyWalkThrough(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CONCORD_ACTOR", "anna.kowalska")
	pl, de := twoAgencies(t, dir)

	v := runJSON(t, 0, "victim", "submit", "--db", pl, "../casework/testdata/victim/complete.json")
	ref := v["reference"].(string)
	if st := runJSON(t, 0, "victim", "status", "--db", pl, strings.ToLower(ref)); st["status"] != "received" {
		t.Fatalf("status %v", st)
	}
	cs := runJSON(t, 0, "case", "open", "--db", pl, "--title", "Invoice fraud at a hospital", "--report", ref)
	caseID := jsonID(cs)
	if st := runJSON(t, 0, "victim", "status", "--db", pl, ref); st["status"] != "case-opened" {
		t.Errorf("after the case opened the victim sees %v", st)
	}
	runJSON(t, 0, "case", "link", "--db", pl, "--id", caseID, "--note", "the victim's bank froze the second transfer", "--task", "ask the bank for the login logs")
	// The report names an address in Germany; the partner there is BKA.
	report := `{"reporter":{"name":"A. Nowak","email":"a.nowak@example.pl"},"description":"Logins to my bank from an unknown address.",
	  "subject":{"ips":[{"ip":"85.214.132.117","port":40112,"time":"2024-03-12T10:00:00Z"}]},"consent_to_share_abroad":true}`
	ref2 := runJSON(t, 0, "victim", "submit", "--db", pl, writeFile(t, dir, "report2.json", report))["reference"].(string)
	runJSON(t, 0, "case", "link", "--db", pl, "--id", caseID, "--report", ref2)
	route := runJSON(t, 0, "case", "route", "--db", pl, "--id", caseID)
	routes := route["routes"].([]any)
	if len(routes) != 1 || routes[0].(map[string]any)["country"] != "DE" || len(routes[0].(map[string]any)["partners"].([]any)) != 1 {
		t.Errorf("routes %v", route)
	}
	mail := writeFile(t, dir, "mail.eml", "From: billing@example.net\nSubject: invoice\n\npay here\n")
	ev := runJSON(t, 0, "evidence", "add", "--db", pl, "--case", caseID, mail, "--description", "the phishing e-mail")
	if ev["new"] != true || len(ev["sha256"].(string)) != 64 {
		t.Fatalf("evidence %v", ev)
	}
	fields, err := os.ReadFile("../casework/testdata/requests/preservation.json")
	if err != nil {
		t.Fatal(err)
	}
	req := runJSON(t, 0, "request", "create", "--db", pl, "--case", caseID, "--type", "preservation", "--to", "de-bka", writeFile(t, dir, "fields.json", string(fields)))
	if req["status"] != "draft" || req["due"] == "" {
		t.Fatalf("created %v", req)
	}
	pkg := filepath.Join(dir, "request.concord")
	exp := runJSON(t, 0, "request", "export", "--db", pl, "--id", jsonID(req), "--out", pkg, "--with-files")
	if exp["status"] != "submitted" || exp["attachments"].(float64) != 1 {
		t.Fatalf("export %v", exp)
	}

	t.Setenv("CONCORD_ACTOR", "hans.meier")
	in := runJSON(t, 0, "request", "import", "--db", de, pkg)
	if in["status"] != "submitted" || in["from"] != "pl-cert" {
		t.Fatalf("import %v", in)
	}
	inID := jsonID(in)
	for _, step := range []string{"acknowledged", "under-review", "accepted", "preserved"} {
		runJSON(t, 0, "request", "move", "--db", de, "--id", inID, "--to", step)
	}
	// The file came with the package and is in BKA's vault, verified.
	if vr := runJSON(t, 0, "evidence", "verify", "--db", de); vr["checked"].(float64) != 1 || len(vr["failed"].([]any)) != 0 {
		t.Errorf("BKA's vault %v", vr)
	}
	back := filepath.Join(dir, "status.concord")
	runJSON(t, 0, "request", "export", "--db", de, "--id", inID, "--out", back)

	t.Setenv("CONCORD_ACTOR", "anna.kowalska")
	st := runJSON(t, 0, "request", "import", "--db", pl, back)
	if st["status"] != "preserved" {
		t.Fatalf("status back %v", st)
	}
	show := runJSON(t, 0, "request", "show", "--db", pl, "--id", jsonID(req))
	if show["status"] != "preserved" || show["preserved_until"] == "" || len(show["history"].([]any)) != 2 {
		t.Errorf("PL's request after the status came back: %v", show)
	}
	for _, db := range []string{pl, de} {
		if a := runJSON(t, 0, "audit", "verify", "--db", db); a["intact"] != true || a["entries"].(float64) < 10 {
			t.Errorf("audit of %s: %v", db, a)
		}
	}
	custody := runJSON(t, 0, "evidence", "custody", "--db", pl, "--id", "1")
	var actions []string
	for _, c := range custody["custody"].([]any) {
		actions = append(actions, c.(map[string]any)["action"].(string))
	}
	if strings.Join(actions, ",") != "acquired,transferred" {
		t.Errorf("custody %v", actions)
	}
}

func jsonID(m map[string]any) string {
	for _, k := range []string{"id", "request"} {
		if v, ok := m[k].(float64); ok {
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return ""
}

func TestRequestRulesAreEnforced(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CONCORD_ACTOR", "anna.kowalska")
	pl, _ := twoAgencies(t, dir)
	caseID := jsonID(runJSON(t, 0, "case", "open", "--db", pl, "--title", "t"))
	bad := writeFile(t, dir, "bad.json", `{"requesting_authority":"x","offence":"fraud","facts":"f","data":"d","custodian":"c","mla_intent":false,"confidentialty":true}`)
	m := runJSON(t, exitUsage, "request", "create", "--db", pl, "--case", caseID, "--type", "preservation", "--to", "de-bka", bad)
	if strings.Join(toStrings(m["missing"]), ",") != "necessity" || len(toStrings(m["problems"])) != 2 {
		t.Errorf("missing and problems %v", m)
	}
	fields, _ := os.ReadFile("../casework/testdata/requests/mla.json")
	id := jsonID(runJSON(t, 0, "request", "create", "--db", pl, "--case", caseID, "--type", "mla", "--to", "de-bka", writeFile(t, dir, "mla.json", string(fields))))
	if _, errOut, code := run(t, "request", "move", "--db", pl, "--id", id, "--to", "accepted"); code != exitUsage || !strings.Contains(errOut, "submitted") {
		t.Errorf("draft → accepted: exit %d %s", code, errOut)
	}
	runJSON(t, 0, "request", "move", "--db", pl, "--id", id, "--to", "submitted")
	runJSON(t, 0, "request", "move", "--db", pl, "--id", id, "--to", "acknowledged")
	runJSON(t, 0, "request", "move", "--db", pl, "--id", id, "--to", "under-review")
	if _, errOut, code := run(t, "request", "move", "--db", pl, "--id", id, "--to", "postponed"); code != exitUsage || !strings.Contains(errOut, "reason") {
		t.Errorf("postpone without reason: exit %d %s", code, errOut)
	}
	runJSON(t, 0, "request", "move", "--db", pl, "--id", id, "--to", "postponed", "--reason", "it would hinder our own investigation", "--consulted")
	// A due date in the past makes it overdue once it waits on the other
	// side again.
	runJSON(t, 0, "request", "move", "--db", pl, "--id", id, "--to", "under-review")
	setDue(t, pl, id, "2020-01-01")
	list := runJSON(t, 0, "request", "list", "--db", pl, "--overdue")
	if rs := list["requests"].([]any); len(rs) != 1 || rs[0].(map[string]any)["overdue"] != true {
		t.Errorf("overdue list %v", list)
	}
	if _, _, code := run(t, "request", "move", "--db", pl, "--id", "999", "--to", "withdrawn"); code != exitUsage {
		t.Errorf("unknown request: exit %d", code)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func setDue(t *testing.T, db, id, day string) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.DB().Exec(`UPDATE requests SET due = unixepoch(?) * 1000000 WHERE id = ?`, day, id); err != nil {
		t.Fatal(err)
	}
}

// TestTamperingIsDetected changes what an attacker or an accident could:
// a byte of an evidence file, a row of the audit log, a byte of a package,
// a package replayed or signed by an unregistered key.
func TestTamperingIsDetected(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CONCORD_ACTOR", "anna.kowalska")
	pl, de := twoAgencies(t, dir)
	caseID := jsonID(runJSON(t, 0, "case", "open", "--db", pl, "--title", "t"))
	ev := runJSON(t, 0, "evidence", "add", "--db", pl, "--case", caseID, writeFile(t, dir, "log.txt", "sshd: accepted password for root from 198.51.100.7 port 51544\n"))
	fields, _ := os.ReadFile("../casework/testdata/requests/preservation.json")
	req := jsonID(runJSON(t, 0, "request", "create", "--db", pl, "--case", caseID, "--type", "preservation", "--to", "de-bka", writeFile(t, dir, "f.json", string(fields))))
	pkg := filepath.Join(dir, "r.concord")
	runJSON(t, 0, "request", "export", "--db", pl, "--id", req, "--out", pkg, "--with-files")

	t.Run("vault file", func(t *testing.T) {
		sha := ev["sha256"].(string)
		path := filepath.Join(dir, "pl-data", "vault", "objects", sha[:2], sha)
		os.Chmod(path, 0o600)
		b, _ := os.ReadFile(path)
		b[3] ^= 1
		if err := os.WriteFile(path, b, 0o400); err != nil {
			t.Fatal(err)
		}
		m := runJSON(t, exitFailure, "evidence", "verify", "--db", pl, "--case", caseID)
		if f := m["failed"].([]any); len(f) != 1 || !strings.Contains(f[0].(map[string]any)["error"].(string), "corrupt") {
			t.Errorf("verify %v", m)
		}
		if _, _, code := run(t, "evidence", "export", "--db", pl, "--id", "1", "--out", filepath.Join(dir, "x"), "--purpose", "court"); code != exitFailure {
			t.Errorf("exporting a damaged file: exit %d", code)
		}
	})
	t.Run("audit row", func(t *testing.T) {
		if a := runJSON(t, 0, "audit", "verify", "--db", pl); a["intact"] != true {
			t.Fatalf("before: %v", a)
		}
		db, err := sql.Open("sqlite", pl)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`UPDATE audit SET actor = 'nobody' WHERE seq = 4`); err != nil {
			t.Fatal(err)
		}
		db.Close()
		a := runJSON(t, exitFailure, "audit", "verify", "--db", pl)
		if a["intact"] != false || a["first_bad_entry"].(float64) != 4 {
			t.Errorf("after editing entry 4: %v", a)
		}
	})
	t.Run("package byte", func(t *testing.T) {
		b, _ := os.ReadFile(pkg)
		i := strings.Index(string(b), `"signed"`) + 40
		b[i] ^= 0x02
		if _, errOut, code := run(t, "request", "import", "--db", de, writeFile(t, dir, "altered.concord", string(b))); code != exitUsage {
			t.Errorf("an altered package: exit %d %s", code, errOut)
		}
	})
	t.Run("replay", func(t *testing.T) {
		runJSON(t, 0, "request", "import", "--db", de, pkg)
		if _, errOut, code := run(t, "request", "import", "--db", de, pkg); code != exitUsage || !strings.Contains(errOut, "imported before") {
			t.Errorf("a replayed package: exit %d %s", code, errOut)
		}
	})
	t.Run("request sent again", func(t *testing.T) {
		again := filepath.Join(dir, "again.concord")
		runJSON(t, 0, "request", "export", "--db", pl, "--id", req, "--out", again)
		if _, errOut, code := run(t, "request", "import", "--db", de, again); code != exitUsage || !strings.Contains(errOut, "already here as request") {
			t.Errorf("a request sent twice: exit %d %s", code, errOut)
		}
	})
	t.Run("unregistered signer", func(t *testing.T) {
		// A third agency that BKA never registered signs a package.
		xx := filepath.Join(dir, "xx.db")
		runJSON(t, 0, "agency", "add", "--db", xx, "--id", "xx-cert", "--name", "Unknown", "--country", "XX", "--self")
		runJSON(t, 0, "agency", "add", "--db", xx, "--id", "de-bka", "--name", "BKA", "--country", "DE")
		c := jsonID(runJSON(t, 0, "case", "open", "--db", xx, "--title", "t"))
		r := jsonID(runJSON(t, 0, "request", "create", "--db", xx, "--case", c, "--type", "preservation", "--to", "de-bka", writeFile(t, dir, "f2.json", string(fields))))
		p := filepath.Join(dir, "xx.concord")
		runJSON(t, 0, "request", "export", "--db", xx, "--id", r, "--out", p)
		if _, errOut, code := run(t, "request", "import", "--db", de, p); code != exitUsage || !strings.Contains(errOut, "not a registered partner") {
			t.Errorf("an unregistered signer: exit %d %s", code, errOut)
		}
	})
}
