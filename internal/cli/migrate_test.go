package cli

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/store/postgres/pgtest"
)

func fileHash(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// migrateSource makes a demo database with casework in it.
func migrateSource(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("CONCORD_ACTOR", "anna.kowalska")
	if _, errOut, code := run(t, "demo", "--dir", dir, "--eve", "2000", "--serve=false"); code != exitOK {
		t.Fatalf("demo: %d %s", code, errOut)
	}
	db := filepath.Join(dir, "concord.db")
	runJSON(t, 0, "agency", "add", "--db", db, "--id", "pl-cert", "--name", "CERT Polska", "--country", "PL", "--self")
	runJSON(t, 0, "victim", "submit", "--db", db, "../casework/testdata/victim/complete.json")
	caseID := jsonID(runJSON(t, 0, "case", "open", "--db", db, "--title", "Ransomware at a hospital"))
	runJSON(t, 0, "evidence", "add", "--db", db, "--case", caseID, writeFile(t, dir, "log.txt", "sshd: accepted password for root from 198.51.100.7 port 51544\n"))
	return db
}

func TestMigrateMovesAndVerifies(t *testing.T) {
	dst := pgtest.Database(t)
	src := migrateSource(t)
	before := fileHash(t, src)

	m := runJSON(t, exitOK, "migrate", "--from", src, "--to", dst)
	if m["ok"] != true || m["failed_check"] != nil {
		t.Fatalf("summary %v", m)
	}
	checks := m["checks"].([]any)
	var names []string
	for _, c := range checks {
		c := c.(map[string]any)
		names = append(names, c["name"].(string))
		if c["ok"] != true {
			t.Errorf("check %v", c)
		}
	}
	if strings.Join(names, ",") != "digest,row counts,audit chain,id sequences" {
		t.Errorf("checks %v", names)
	}
	rows := map[string]float64{}
	for _, tc := range m["tables"].([]any) {
		tc := tc.(map[string]any)
		rows[tc["table"].(string)] = tc["destination"].(float64)
		if tc["source"] != tc["destination"] || tc["copied"] != tc["source"] {
			t.Errorf("table %v", tc)
		}
	}
	if rows["events"] < 2000 || rows["audit"] < 4 || rows["evidence"] != 1 || rows["victim_reports"] != 1 {
		t.Errorf("rows %v", rows)
	}
	head := m["audit_head"].(map[string]any)
	if head["seq"].(float64) != rows["audit"] || len(head["hash"].(string)) != 64 || len(m["digest"].(string)) != 64 {
		t.Errorf("head %v, digest %v", head, m["digest"])
	}
	if fileHash(t, src) != before {
		t.Error("migrate changed the source file")
	}

	// Both databases give the same report, byte for byte.
	report := func(db string) string {
		out, errOut, code := run(t, "report", "--db", db, "--from", "2026-10-01", "--to", "2026-10-31", "--home", "PL",
			"--format", "json", "--generated", "2026-11-01T08:00:00Z")
		if code != exitOK {
			t.Fatalf("report: %d %s", code, errOut)
		}
		return out
	}
	if a, b := report(src), report(dst); a != b {
		t.Errorf("reports differ:\n%s\n%s", a, b)
	}
	if a := runJSON(t, 0, "audit", "verify", "--db", dst, "--data", t.TempDir()); a["intact"] != true || a["head"] != head["seq"] {
		t.Errorf("audit verify on the destination: %v", a)
	}
	// The destination goes on with fresh ids.
	if id := jsonID(runJSON(t, 0, "case", "open", "--db", dst, "--data", t.TempDir(), "--title", "After the move")); id != "2" {
		t.Errorf("the next case got id %s", id)
	}

	// A second move into the same database is refused.
	out, errOut, code := run(t, "migrate", "--from", src, "--to", dst)
	if code != exitFailure || !strings.Contains(errOut, "not empty") || out != "" {
		t.Errorf("a second move: exit %d\n%s%s", code, out, errOut)
	}
}

func TestMigrateHumanSummary(t *testing.T) {
	dst := pgtest.Database(t)
	src := migrateSource(t)
	out, errOut, code := run(t, "migrate", "--from", src, "--to", dst)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Moved " + src, "events", "audit_head", "digest ", "audit head  entry 6", "next ids    cases 2",
		"check digest        ok", "check row counts    ok", "check audit chain   ok", "check id sequences  ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestMigrateRefusals(t *testing.T) {
	dst := pgtest.Database(t)
	src := migrateSource(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no destination", []string{"--from", src}, exitUsage, "give both"},
		{"a SQLite destination", []string{"--from", src, "--to", filepath.Join(dir, "x.db")}, exitUsage, "PostgreSQL address"},
		{"a missing source", []string{"--from", filepath.Join(dir, "missing.db"), "--to", dst}, exitFailure, "no such file"},
		{"not a database", []string{"--from", writeFile(t, dir, "notes.txt", "hello"), "--to", dst}, exitFailure, "not a Concord database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := run(t, append([]string{"migrate"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, want %d; stderr %s", code, tc.code, errOut)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); err == nil {
		t.Error("migrate created the missing source")
	}

	// A source whose audit log was altered is not moved.
	db, err := sql.Open("sqlite", src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit SET actor = 'mallory' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, _, code := run(t, "migrate", "--from", src, "--to", dst, "--json")
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil || code != exitFailure {
		t.Fatalf("exit %d, %v: %s", code, err, out)
	}
	if m["ok"] != false || m["failed_check"] != "source audit chain" || !strings.Contains(m["error"].(string), "entry 2 was altered") {
		t.Errorf("tampered source: %v", m)
	}
	// Nothing was copied.
	if a := runJSON(t, 0, "audit", "verify", "--db", dst, "--data", t.TempDir()); a["entries"] != float64(0) {
		t.Errorf("the refused move left audit entries: %v", a)
	}
}
