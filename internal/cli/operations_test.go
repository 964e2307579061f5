package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/demo"
	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/store/postgres"
	"github.com/concord-cert/concord/internal/store/postgres/pgtest"
)

func pgDigest(t *testing.T, db string) string {
	t.Helper()
	st, err := postgres.Open(context.Background(), db)
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

func demoInputs(t *testing.T, dir string, eve int) []string {
	t.Helper()
	geo, err := ipdb.Default()
	if err != nil {
		t.Fatal(err)
	}
	files, err := demo.Generate(geo, demo.Options{Dir: dir, EVE: eve})
	if err != nil {
		t.Fatal(err)
	}
	return files.All()
}

// TestTwoIngestProcessesOnOnePostgresDatabase runs two concord processes
// ingesting overlapping files into one PostgreSQL database at once: the
// result must be what one process ingesting each file once makes.
func TestTwoIngestProcessesOnOnePostgresDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	shared := pgtest.Database(t)
	dir := t.TempDir()
	inputs := demoInputs(t, dir, 30000)
	clean := pgtest.Database(t)
	if _, errOut, code := run(t, append([]string{"ingest", "--db", clean}, inputs...)...); code != exitOK {
		t.Fatalf("clean ingest: %s", errOut)
	}
	want := pgDigest(t, clean)
	// Both processes read every file, in opposite orders, so they race on
	// the same events.
	reversed := append([]string(nil), inputs...)
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	var cmds []*exec.Cmd
	for _, files := range [][]string{inputs, reversed} {
		cmd := exec.Command(os.Args[0], append([]string{"ingest", "--db", shared}, files...)...)
		cmd.Env = append(os.Environ(), "CONCORD_TEST_AS_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("an ingest process failed: %v", err)
		}
	}
	if got := pgDigest(t, shared); got != want {
		t.Errorf("two processes made digest %s, one process %s: something was stored or counted twice", got, want)
	}
}

// TestBackupAndRestore backs a database up with the tools docs/operations.md
// names — SQLite's online backup, pg_dump and pg_restore — restores it, and
// checks that the restored copy is the same database: same digest, intact
// audit chain, every evidence file verified.
func TestBackupAndRestore(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CONCORD_ACTOR", "anna.kowalska")
	db := filepath.Join(dir, "live.db")
	inputs := demoInputs(t, dir, 2000)
	if _, errOut, code := run(t, append([]string{"ingest", "--db", db}, inputs...)...); code != exitOK {
		t.Fatalf("ingest: %s", errOut)
	}
	caseID := jsonID(runJSON(t, 0, "case", "open", "--db", db, "--title", "t"))
	runJSON(t, 0, "evidence", "add", "--db", db, "--case", caseID, writeFile(t, dir, "log.txt", "evidence\n"))
	want := digest(t, db)

	t.Run("sqlite", func(t *testing.T) {
		if _, err := exec.LookPath("sqlite3"); err != nil {
			t.Skip("sqlite3 not installed")
		}
		backup := filepath.Join(dir, "backup.db")
		if out, err := exec.Command("sqlite3", db, ".backup "+backup).CombinedOutput(); err != nil {
			t.Fatalf("backup: %v %s", err, out)
		}
		restored := filepath.Join(dir, "restored.db")
		if err := os.Rename(backup, restored); err != nil {
			t.Fatal(err)
		}
		data := filepath.Join(dir, "live-data")
		if got := digest(t, restored); got != want {
			t.Errorf("restored digest %s, want %s", got, want)
		}
		if a := runJSON(t, 0, "audit", "verify", "--db", restored, "--data", data); a["intact"] != true {
			t.Errorf("audit of the restored copy: %v", a)
		}
		if v := runJSON(t, 0, "evidence", "verify", "--db", restored, "--data", data); v["checked"].(float64) != 1 {
			t.Errorf("evidence of the restored copy: %v", v)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		for _, tool := range []string{"pg_dump", "pg_restore"} {
			if _, err := exec.LookPath(tool); err != nil {
				t.Skipf("%s not installed", tool)
			}
		}
		live := pgtest.Database(t)
		if m := runJSON(t, 0, "migrate", "--from", db, "--to", live); m["ok"] != true {
			t.Fatalf("migrate: %v", m)
		}
		dump := filepath.Join(dir, "concord.dump")
		if out, err := exec.Command("pg_dump", "-Fc", "-f", dump, "-d", live).CombinedOutput(); err != nil {
			t.Fatalf("pg_dump: %v %s", err, out)
		}
		restored := pgtest.Database(t)
		if out, err := exec.Command("pg_restore", "--no-owner", "-d", restored, dump).CombinedOutput(); err != nil {
			t.Fatalf("pg_restore: %v %s", err, out)
		}
		if got := pgDigest(t, restored); got != want {
			t.Errorf("restored digest %s, want %s", got, want)
		}
		data := filepath.Join(dir, "live-data")
		if a := runJSON(t, 0, "audit", "verify", "--db", restored, "--data", data); a["intact"] != true {
			t.Errorf("audit of the restored database: %v", a)
		}
		if v := runJSON(t, 0, "evidence", "verify", "--db", restored, "--data", data); v["checked"].(float64) != 1 || !strings.Contains(restored, "concord_test_") {
			t.Errorf("evidence of the restored database: %v", v)
		}
		// The restored database keeps working: a new case gets a fresh id.
		if c := runJSON(t, 0, "case", "open", "--db", restored, "--data", data, "--title", "after restore"); jsonID(c) != "2" {
			t.Errorf("a case after the restore: %v", c)
		}
	})
}

// TestCooperationOnPostgres runs the casework commands against PostgreSQL:
// the same commands, the same answers as on SQLite.
func TestCooperationOnPostgres(t *testing.T) {
	db := pgtest.Database(t)
	dir := t.TempDir()
	t.Setenv("CONCORD_DATA", filepath.Join(dir, "data"))
	t.Setenv("CONCORD_ACTOR", "anna.kowalska")
	self := runJSON(t, 0, "agency", "add", "--db", db, "--id", "pl-cert", "--name", "CERT Polska", "--country", "PL", "--self")
	other := runJSON(t, 0, "agency", "add", "--db", filepath.Join(dir, "de.db"), "--data", filepath.Join(dir, "de-data"), "--id", "de-bka", "--name", "BKA", "--country", "DE", "--self")
	runJSON(t, 0, "agency", "add", "--db", db, "--id", "de-bka", "--name", "BKA", "--country", "DE", "--key", other["public_key"].(string))
	runJSON(t, 0, "agency", "add", "--db", filepath.Join(dir, "de.db"), "--data", filepath.Join(dir, "de-data"), "--id", "pl-cert", "--name", "CERT Polska", "--country", "PL", "--key", self["public_key"].(string))
	if self["key_created"] != true {
		t.Fatalf("self %v", self)
	}
	ref := runJSON(t, 0, "victim", "submit", "--db", db, "../casework/testdata/victim/complete.json")["reference"].(string)
	caseID := jsonID(runJSON(t, 0, "case", "open", "--db", db, "--title", "on postgres", "--report", ref))
	runJSON(t, 0, "evidence", "add", "--db", db, "--case", caseID, writeFile(t, dir, "mail.eml", "mail\n"))
	fields, _ := os.ReadFile("../casework/testdata/requests/preservation.json")
	req := jsonID(runJSON(t, 0, "request", "create", "--db", db, "--case", caseID, "--type", "preservation", "--to", "de-bka", writeFile(t, dir, "f.json", string(fields))))
	pkg := filepath.Join(dir, "r.concord")
	if e := runJSON(t, 0, "request", "export", "--db", db, "--id", req, "--out", pkg, "--with-files"); e["status"] != "submitted" {
		t.Fatalf("export %v", e)
	}
	// BKA's node (SQLite) imports what the PostgreSQL node signed.
	if in := runJSON(t, 0, "request", "import", "--db", filepath.Join(dir, "de.db"), "--data", filepath.Join(dir, "de-data"), pkg); in["from"] != "pl-cert" {
		t.Fatalf("import %v", in)
	}
	if _, errOut, code := run(t, "request", "move", "--db", db, "--id", req, "--to", "refused", "--reason", "x"); code != exitUsage || !strings.Contains(errOut, "illegal transition") {
		t.Errorf("an illegal move on postgres: %d %s", code, errOut)
	}
	if a := runJSON(t, 0, "audit", "verify", "--db", db); a["intact"] != true {
		t.Errorf("audit %v", a)
	}
	if v := runJSON(t, 0, "evidence", "verify", "--db", db); v["checked"].(float64) != 1 {
		t.Errorf("evidence %v", v)
	}
	if _, errOut, code := run(t, "case", "list", "--db", db, "--data", ""); code != exitOK {
		t.Errorf("case list: %s", errOut)
	}
}
