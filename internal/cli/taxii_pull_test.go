package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/web/taxii"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// Collections of the Concord TAXII server.
const (
	taxiiCommunity = "/taxii2/api/collections/4bd2e8e5-1f6c-4d1a-9d1e-3f0b6a7c2e11/"
	taxiiAgency    = "/taxii2/api/collections/9a6f0c3d-7b2e-4e85-a1c4-5d8e2f7b9c60/"
)

// taxiiPartner is another Concord node serving TAXII, and a file with an
// analyst's API token for it.
type taxiiPartner struct {
	env       *webtest.Env
	tokenFile string
}

func newTAXIIPartner(t *testing.T) *taxiiPartner {
	env := webtest.New(t, taxii.Register)
	tok := env.WithToken("analyst").Token
	return &taxiiPartner{env: env, tokenFile: writeFile(t, t.TempDir(), "token", tok+"\n")}
}

// add posts indicators of 198.51.100.from..to-1 to coll, marked tlp, or
// unmarked when tlp is negative.
func (p *taxiiPartner) add(t *testing.T, coll string, from, to, tlp int) {
	t.Helper()
	var objs []any
	for i := from; i < to; i++ {
		o := map[string]any{
			"type": "indicator", "spec_version": "2.1",
			"id":      fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", i),
			"created": "2026-05-01T08:00:00.000Z", "modified": "2026-05-01T08:00:00.000Z",
			"pattern": fmt.Sprintf("[ipv4-addr:value = '198.51.100.%d']", i), "pattern_type": "stix",
			"valid_from": "2026-05-01T08:00:00Z", "indicator_types": []string{"malicious-activity"},
		}
		if tlp >= 0 {
			o["object_marking_refs"] = []string{taxii.TLPMarking(event.TLP(tlp))}
		}
		objs = append(objs, o)
	}
	b, _ := json.Marshal(map[string]any{"objects": objs})
	resp, body, err := p.env.WithToken("analyst").Do("POST", coll+"objects/", bytes.NewReader(b), taxii.MediaType)
	if err != nil || resp.StatusCode != http.StatusAccepted || strings.Contains(string(body), `"failure_count":1`) {
		t.Fatalf("post: %v %v %s", err, resp, body)
	}
}

// pullJSON is the part of `concord taxii pull --json` the tests read.
type pullJSON struct {
	URL        string
	AddedAfter string `json:"added_after"`
	AddedLast  string `json:"added_last"`
	Pages      int
	Objects    int64
	Files      []struct{ Path, Format string }
	Totals     struct{ Records, Accepted, Duplicates, Rejected int64 }
}

func pullOnce(t *testing.T, args ...string) pullJSON {
	t.Helper()
	out, errOut, code := run(t, append([]string{"taxii", "pull", "--json"}, args...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep pullJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	return rep
}

// storedTLPs returns the TLP of each event in db, by source address.
func storedTLPs(t *testing.T, db string) map[string]event.TLP {
	t.Helper()
	sdb, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	rows, err := sdb.Query(`SELECT key, tlp FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]event.TLP{}
	for rows.Next() {
		var key []byte
		var tlp event.TLP
		if err := rows.Scan(&key, &tlp); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("%x", key)] = tlp
	}
	return out
}

func TestTAXIIPullStoresOnlyWhatIsNew(t *testing.T) {
	p := newTAXIIPartner(t)
	p.add(t, taxiiCommunity, 1, 6, int(event.TLPGreen))
	db := filepath.Join(t.TempDir(), "c.db")
	url := p.env.HTTP.URL + taxiiCommunity
	pull := func() pullJSON {
		return pullOnce(t, "--db", db, "--url", url, "--token-file", p.tokenFile, "--limit", "2")
	}

	first := pull()
	if first.Objects != 5 || first.Pages != 3 || first.Totals.Accepted != 5 || first.AddedAfter != "" || first.AddedLast == "" {
		t.Fatalf("first pull %+v: want 5 objects in 3 pages, all accepted", first)
	}
	if len(first.Files) != 1 || first.Files[0].Path != url || first.Files[0].Format != "stix" {
		t.Fatalf("want one ingest run of the URL in format stix: %+v", first.Files)
	}
	if n := len(storedTLPs(t, db)); n != 5 {
		t.Fatalf("%d events stored, want 5", n)
	}

	again := pull()
	if again.Objects != 0 || len(again.Files) != 0 || again.AddedAfter != first.AddedLast || again.AddedLast != first.AddedLast {
		t.Fatalf("second pull %+v: want nothing new, starting after %s", again, first.AddedLast)
	}

	p.add(t, taxiiCommunity, 6, 9, int(event.TLPGreen))
	third := pull()
	if third.Objects != 3 || third.Totals.Accepted != 3 || third.Totals.Duplicates != 0 || third.AddedLast <= first.AddedLast {
		t.Fatalf("third pull %+v: want the 3 new objects only", third)
	}
	if n := len(storedTLPs(t, db)); n != 8 {
		t.Fatalf("%d events stored, want 8", n)
	}

	// A pull whose state was lost (a crash before it was saved) reads
	// everything again, and stores nothing twice.
	if err := os.RemoveAll(filepath.Join(dataDir(db, ""), "taxii-pull")); err != nil {
		t.Fatal(err)
	}
	redo := pull()
	if redo.Objects != 8 || redo.Totals.Accepted != 0 || redo.Totals.Duplicates != 8 {
		t.Fatalf("pull after a lost state %+v: want 8 duplicates", redo)
	}
	if n := len(storedTLPs(t, db)); n != 8 {
		t.Fatalf("%d events stored, want 8", n)
	}
}

func TestTAXIIPullSplitsALargeBacklogIntoRuns(t *testing.T) {
	defer func(n int64) { pullRunObjects = n }(pullRunObjects)
	pullRunObjects = 3
	p := newTAXIIPartner(t)
	p.add(t, taxiiCommunity, 1, 8, int(event.TLPGreen))
	db := filepath.Join(t.TempDir(), "c.db")
	url := p.env.HTTP.URL + taxiiCommunity
	rep := pullOnce(t, "--db", db, "--url", url, "--token-file", p.tokenFile, "--limit", "2")
	if len(rep.Files) != 3 || rep.Objects != 7 || rep.Totals.Accepted != 7 || rep.Pages != 4 {
		t.Fatalf("%+v: want 7 objects of 4 pages in 3 runs of at most 3", rep)
	}
	if again := pullOnce(t, "--db", db, "--url", url, "--token-file", p.tokenFile); again.Objects != 0 {
		t.Fatalf("after the runs: %+v", again)
	}
}

func TestTAXIIPullFailingMidwayStoresNothingAndKeepsItsPlace(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", taxii.MediaType)
		if r.URL.Query().Get("next") != "" {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"title":"Internal error"}`)
			return
		}
		w.Header().Set("X-TAXII-Date-Added-Last", "2026-05-01T08:00:00.000000Z")
		io.WriteString(w, `{"more":true,"next":"2","objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000001",`+
			`"created":"2026-05-01T08:00:00.000Z","modified":"2026-05-01T08:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2026-05-01T08:00:00Z"}]}`)
	}))
	defer hs.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	_, errOut, code := run(t, "taxii", "pull", "--db", db, "--url", hs.URL+"/c/", "--token-file", writeFile(t, dir, "token", "t"))
	if code != exitFailure || !strings.Contains(errOut, "500") {
		t.Fatalf("exit %d, stderr %s; want 1 naming the server's 500", code, errOut)
	}
	if n := len(storedTLPs(t, db)); n != 0 {
		t.Fatalf("%d events stored from a pull that failed", n)
	}
	if _, err := os.Stat(filepath.Join(dataDir(db, ""), "taxii-pull")); !os.IsNotExist(err) {
		t.Fatalf("the pull's state was saved: %v", err)
	}
}

func TestTAXIIPullMarksUnmarkedObjectsWithTheDefault(t *testing.T) {
	p := newTAXIIPartner(t)
	p.add(t, taxiiAgency, 1, 2, -1)
	p.add(t, taxiiAgency, 2, 3, int(event.TLPGreen))
	db := filepath.Join(t.TempDir(), "c.db")
	rep := pullOnce(t, "--db", db, "--url", p.env.HTTP.URL+taxiiAgency, "--token-file", p.tokenFile, "--tlp", "amber+strict")
	if rep.Totals.Accepted != 2 {
		t.Fatalf("%+v", rep)
	}
	count := map[event.TLP]int{}
	for _, tlp := range storedTLPs(t, db) {
		count[tlp]++
	}
	if count[event.TLPAmberStrict] != 1 || count[event.TLPGreen] != 1 {
		t.Fatalf("TLPs stored %v: want the unmarked object at AMBER+STRICT and the marked one at GREEN", count)
	}
}

func TestTAXIIPullWithHTTPBasic(t *testing.T) {
	p := newTAXIIPartner(t)
	p.add(t, taxiiCommunity, 1, 3, int(event.TLPClear))
	dir := t.TempDir()
	pw := writeFile(t, dir, "password", webtest.Password)
	rep := pullOnce(t, "--db", filepath.Join(dir, "c.db"), "--url", p.env.HTTP.URL+taxiiCommunity, "--user", "viewer", "--password-file", pw)
	if rep.Totals.Accepted != 2 {
		t.Fatalf("%+v", rep)
	}
}

func TestTAXIIPullRefusals(t *testing.T) {
	p := newTAXIIPartner(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	url := p.env.HTTP.URL + taxiiCommunity
	wrong := writeFile(t, dir, "wrong", "cnc_not-a-token-of-this-node")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"wrong token", []string{"--url", url, "--token-file", wrong}, exitFailure, "401: the server did not accept the credentials"},
		{"no such collection", []string{"--url", p.env.HTTP.URL + "/taxii2/api/collections/nope/", "--token-file", p.tokenFile}, exitFailure, "404"},
		{"credentials in the URL", []string{"--url", strings.Replace(url, "http://", "http://u:p@", 1)}, exitUsage, "token or password file"},
		{"token and user", []string{"--url", url, "--token-file", wrong, "--user", "u"}, exitUsage, "not both"},
		{"user without password", []string{"--url", url, "--user", "u"}, exitUsage, "--password-file"},
		{"missing token file", []string{"--url", url, "--token-file", filepath.Join(dir, "none")}, exitUsage, "token file"},
		{"no URL", nil, exitUsage, "Usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := run(t, append([]string{"taxii", "pull", "--db", db}, tc.args...)...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d saying %q", code, errOut, tc.code, tc.want)
			}
			if strings.Contains(errOut, "cnc_not-a-token") {
				t.Fatalf("the token was shown: %s", errOut)
			}
		})
	}
}

func TestTAXIIPullRepeatsUntilStopped(t *testing.T) {
	p := newTAXIIPartner(t)
	p.add(t, taxiiCommunity, 1, 3, int(event.TLPGreen))
	db := filepath.Join(t.TempDir(), "c.db")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb lockedBuffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, cfg: Config{TLP: "amber"}}
	done := make(chan int)
	go func() {
		done <- runTAXIIPull(ctx, e, []string{"--db", db, "--url", p.env.HTTP.URL + taxiiCommunity, "--token-file", p.tokenFile, "--every", "100ms", "--json"})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(out.String(), `"url"`) < 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	dec := json.NewDecoder(strings.NewReader(out.String()))
	var objects []int64
	for dec.More() {
		var rep pullJSON
		if err := dec.Decode(&rep); err != nil {
			t.Fatal(err)
		}
		objects = append(objects, rep.Objects)
	}
	if len(objects) < 3 || objects[0] != 2 || objects[1] != 0 || objects[2] != 0 {
		t.Fatalf("objects per pull %v: want 2, then nothing new", objects)
	}
}

// lockedBuffer is a buffer a command writes while a test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
