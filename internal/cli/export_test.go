package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExportSTIXWritesABundleAtomically(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	eve := writeFile(t, dir, "eve.json", eveGood)
	if _, errOut, code := run(t, "ingest", "--db", db, "--tlp", "TLP:GREEN", eve); code != exitOK && code != exitRejected {
		t.Fatalf("ingest: exit %d: %s", code, errOut)
	}
	out := filepath.Join(dir, "bundle.json")
	args := []string{"export", "stix", "--db", db, "--from", "2024-03-12", "--to", "2024-03-12", "--out", out}
	if _, errOut, code := run(t, args...); code != exitFailure || !strings.Contains(errOut, "agency add --self") {
		t.Fatalf("without an agency: exit %d, %s", code, errOut)
	}
	runJSON(t, 0, "agency", "add", "--db", db, "--id", "pl-cert", "--name", "CERT Polska", "--country", "PL", "--self")
	sum := runJSON(t, 0, args...)
	if sum["c2_servers"].(float64) != 1 || sum["attack_sources"].(float64) != 1 || sum["strictest_tlp"] != "TLP:GREEN" {
		t.Fatalf("summary: %v", sum)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Type    string
		Objects []map[string]any
	}
	if err := json.Unmarshal(data, &b); err != nil || b.Type != "bundle" || int(sum["objects"].(float64)) != len(b.Objects) {
		t.Fatalf("bundle: %v, %d objects, summary %v", err, len(b.Objects), sum["objects"])
	}
	// The bundle reads back into another node as the same incidents.
	back := runJSON(t, 0, "ingest", "--db", filepath.Join(dir, "partner.db"), out)
	files := back["files"].([]any)
	got := files[0].(map[string]any)
	if got["format"] != "stix" || got["accepted"].(float64) != 2 || got["records"].(float64) != float64(len(b.Objects)) {
		t.Fatalf("ingest of the exported bundle: %v", got)
	}
	if by, _ := got["by_classification"].(map[string]any); by["malicious-code/c2-server"] != 1.0 || by["information-gathering/scanner"] != 1.0 {
		t.Fatalf("classes after the round trip: %v", got["by_classification"])
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".bundle.json.tmp*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	// GREEN data withheld below --tlp-max CLEAR.
	sum = runJSON(t, 0, append(args, "--tlp-max", "CLEAR")...)
	if sum["c2_servers"].(float64) != 0 || sum["facts_withheld"].(float64) == 0 {
		t.Fatalf("--tlp-max CLEAR: %v", sum)
	}
	if _, _, code := run(t, "export", "stix", "--db", db, "--tlp-max", "PINK", "--out", out); code != exitUsage {
		t.Fatalf("bad --tlp-max: exit %d", code)
	}
}
