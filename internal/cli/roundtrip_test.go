package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/stix"
)

// TestSTIXRoundTripOASISExamples imports each OASIS documentation example
// into a node and exports it again: every object comes back, relationships
// included, with the same id, version and properties. The one change
// allowed is a TLP marking added to an object that named none, so that
// the marking the node gave it travels with it. Importing the bundle
// again adds nothing, and the exported bundle imported into a second
// node exports the same objects.
func TestSTIXRoundTripOASISExamples(t *testing.T) {
	root := os.Getenv("CONCORD_INTEROP_DIR")
	if root == "" {
		t.Skip("CONCORD_INTEROP_DIR is not set; skipping the OASIS round trip (CI sets it to ../shared/interop)")
	}
	files, _ := filepath.Glob(filepath.Join(root, "stix", "cti-documentation-examples", "*.json"))
	if len(files) == 0 {
		t.Fatal("no OASIS examples under " + root)
	}
	var objects, relationships int
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			orig := bundleObjects(t, f)
			dir := t.TempDir()
			out := roundTrip(t, dir, "a", f, len(orig))
			got := bundleObjects(t, out)
			sameKeptObjects(t, orig, got)
			// The exported bundle, imported into another node, comes out
			// the same: nothing is lost on a second trip either.
			again := bundleObjects(t, roundTrip(t, dir, "b", out, len(got)))
			sameKeptObjects(t, orig, again)
			objects += len(orig)
			for _, o := range orig {
				if o["type"] == "relationship" {
					relationships++
				}
			}
		})
	}
	t.Logf("%d bundles: %d objects, %d of them relationships, exported again unchanged", len(files), objects, relationships)
}

// roundTrip ingests bundle into a new node named name (twice: the second
// run must add nothing) and exports everything it kept.
func roundTrip(t *testing.T, dir, name, bundle string, objects int) string {
	t.Helper()
	db := filepath.Join(dir, name+".db")
	runJSON(t, 0, "agency", "add", "--db", db, "--id", "cert-"+name, "--name", "Node "+name, "--country", "PL", "--self")
	first := ingestedFile(t, runJSON(t, 0, "ingest", "--db", db, bundle))
	if first["rejected"].(float64) != 0 || first["records"].(float64) != float64(objects) ||
		first["accepted"].(float64)+first["kept"].(float64)+first["duplicates"].(float64) != float64(objects) {
		t.Fatalf("ingest of %s: %v", bundle, first)
	}
	second := ingestedFile(t, runJSON(t, 0, "ingest", "--db", db, bundle))
	if second["accepted"].(float64) != 0 || second["kept"].(float64) != 0 || second["duplicates"].(float64) != float64(objects) {
		t.Fatalf("ingesting %s again added something: %v", bundle, second)
	}
	out := filepath.Join(dir, name+"-export.json")
	sum := runJSON(t, 0, "export", "stix", "--db", db, "--imported", "all", "--tlp-max", "RED", "--out", out)
	if sum["imported_objects"].(float64) == 0 {
		t.Fatalf("export of %s: %v", bundle, sum)
	}
	return out
}

func ingestedFile(t *testing.T, rep map[string]any) map[string]any {
	t.Helper()
	files := rep["files"].([]any)
	if len(files) != 1 {
		t.Fatalf("ingest report: %v", rep)
	}
	return files[0].(map[string]any)
}

func bundleObjects(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Type    string           `json:"type"`
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(data, &b); err != nil || b.Type != "bundle" {
		t.Fatalf("%s: not a bundle: %v", path, err)
	}
	return b.Objects
}

// sameKeptObjects checks that every object of orig is in got, by id and
// version, with the same properties but for a TLP marking added where
// orig named none.
func sameKeptObjects(t *testing.T, orig, got []map[string]any) {
	t.Helper()
	key := func(o map[string]any) string {
		v, _ := o["modified"].(string)
		if v == "" {
			v, _ = o["created"].(string)
		}
		return o["id"].(string) + "@" + v
	}
	byKey := map[string]map[string]any{}
	for _, o := range got {
		if _, dup := byKey[key(o)]; dup {
			t.Errorf("exported twice: %s", key(o))
		}
		byKey[key(o)] = o
	}
	for _, want := range orig {
		o, ok := byKey[key(want)]
		if !ok {
			t.Errorf("lost %s %s", want["type"], key(want))
			continue
		}
		o = maps.Clone(o)
		if refs, added := addedTLP(want, o); added {
			if refs == nil {
				delete(o, "object_marking_refs")
			} else {
				o["object_marking_refs"] = refs
			}
		}
		if !reflect.DeepEqual(o, want) {
			t.Errorf("%s changed:\n got %v\nwant %v", key(want), o, want)
		}
	}
}

// addedTLP reports whether got's markings are want's plus one TLP 2.0
// marking, where want named no TLP, and returns want's markings.
func addedTLP(want, got map[string]any) ([]any, bool) {
	w, _ := want["object_marking_refs"].([]any)
	g, _ := got["object_marking_refs"].([]any)
	for _, r := range w {
		if _, ok := stix.TLPOfMarking(r.(string)); ok {
			return nil, false
		}
	}
	if len(g) != len(w)+1 || !slices.Equal(g[:len(w)], w) {
		return nil, false
	}
	if _, ok := stix.TLPOfMarking(g[len(w)].(string)); !ok {
		return nil, false
	}
	return w, true
}

// TestIngestKeepsTheFileAsEvidence imports a STIX bundle into a case: the
// file becomes evidence with its hash and custody, its records events and
// kept objects, and a second import finds both held.
func TestIngestKeepsTheFileAsEvidence(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	bundle := filepath.Join("..", "feed", "testdata", "stix", "mixed.json")
	data, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	caseID := jsonID(runJSON(t, 0, "case", "open", "--db", db, "--title", "Bundle from a partner"))
	rep := runJSON(t, exitOK, "ingest", "--db", db, "--case", caseID, bundle)
	f := ingestedFile(t, rep)
	ev, _ := f["evidence"].(map[string]any)
	sum := sha256.Sum256(data)
	if ev == nil || ev["sha256"] != hex.EncodeToString(sum[:]) || ev["new"] != true || ev["size"].(float64) != float64(len(data)) {
		t.Fatalf("evidence: %v", f)
	}
	if f["accepted"].(float64) == 0 || f["kept"].(float64) == 0 {
		t.Fatalf("counts: %v", f)
	}
	custody := runJSON(t, 0, "evidence", "custody", "--db", db, "--id", jsonID(ev))
	entries := custody["custody"].([]any)
	if len(entries) != 1 || entries[0].(map[string]any)["action"] != "acquired" {
		t.Fatalf("custody: %v", custody)
	}
	if vr := runJSON(t, 0, "evidence", "verify", "--db", db, "--case", caseID); vr["checked"].(float64) != 1 {
		t.Fatalf("verify: %v", vr)
	}
	again := ingestedFile(t, runJSON(t, exitOK, "ingest", "--db", db, "--case", caseID, bundle))
	if ev2 := again["evidence"].(map[string]any); ev2["new"] != false || ev2["id"] != ev["id"] ||
		again["accepted"].(float64) != 0 || again["kept"].(float64) != 0 {
		t.Fatalf("second import: %v", again)
	}
	if _, errOut, code := run(t, "ingest", "--db", db, "--case", caseID, "-"); code != exitUsage || !strings.Contains(errOut, "standard input") {
		t.Fatalf("--case with stdin: exit %d: %s", code, errOut)
	}
	missing := ingestedFile(t, runJSON(t, exitFailure, "ingest", "--db", db, "--case", "999", bundle))
	if !strings.Contains(missing["error"].(string), "case 999") || missing["records"].(float64) != 0 {
		t.Fatalf("unknown case: %v", missing)
	}
}
