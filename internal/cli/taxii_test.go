package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/stix"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/store/postgres"
	"github.com/concord-cert/concord/internal/store/postgres/pgtest"
	"github.com/concord-cert/concord/internal/web/taxii"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// eveDays are Suricata alerts on three days: a C&C server and a scanner
// on 2024-03-12, the same C&C server and another scanner on 2024-03-13,
// and a third scanner on 2024-03-14. Each day is ingested with its own
// marking.
var eveDays = map[string]string{
	"2024-03-12": `{"timestamp":"2024-03-12T10:00:00.000000+0000","event_type":"alert","src_ip":"10.1.1.1","src_port":50000,"dest_ip":"8.8.8.8","dest_port":443,"proto":"TCP","alert":{"signature_id":2404301,"signature":"ET CNC Feodo Tracker Reported CnC Server group 1","category":"A Network Trojan was detected"}}
{"timestamp":"2024-03-12T10:00:01.000000+0000","event_type":"alert","src_ip":"1.1.1.1","src_port":40000,"dest_ip":"10.1.1.2","dest_port":22,"proto":"TCP","alert":{"signature_id":2001219,"signature":"ET SCAN Potential SSH Scan","category":"Attempted Information Leak"}}
`,
	"2024-03-13": `{"timestamp":"2024-03-13T10:00:00.000000+0000","event_type":"alert","src_ip":"10.1.1.1","src_port":50000,"dest_ip":"8.8.8.8","dest_port":443,"proto":"TCP","alert":{"signature_id":2404301,"signature":"ET CNC Feodo Tracker Reported CnC Server group 1","category":"A Network Trojan was detected"}}
{"timestamp":"2024-03-13T10:00:01.000000+0000","event_type":"alert","src_ip":"2.2.2.2","src_port":40000,"dest_ip":"10.1.1.2","dest_port":22,"proto":"TCP","alert":{"signature_id":2001219,"signature":"ET SCAN Potential SSH Scan","category":"Attempted Information Leak"}}
`,
	"2024-03-14": `{"timestamp":"2024-03-14T10:00:01.000000+0000","event_type":"alert","src_ip":"3.3.3.3","src_port":40000,"dest_ip":"10.1.1.2","dest_port":22,"proto":"TCP","alert":{"signature_id":2001219,"signature":"ET SCAN Potential SSH Scan","category":"Attempted Information Leak"}}
`,
}

// taxiiNode is a test node serving TAXII, with eveDays ingested: the
// 12th marked GREEN, the 13th AMBER, the 14th RED.
func taxiiNode(t *testing.T) (*webtest.Env, string) {
	t.Helper()
	env := webtest.New(t, taxii.Register)
	db := filepath.Join(env.Dir, "concord.db")
	for day, tlp := range map[string]string{"2024-03-12": "TLP:GREEN", "2024-03-13": "TLP:AMBER", "2024-03-14": "TLP:RED"} {
		f := writeFile(t, env.Dir, day+".json", eveDays[day])
		if _, errOut, code := run(t, "ingest", "--db", db, "--tlp", tlp, f); code != exitOK {
			t.Fatalf("ingest %s: exit %d: %s", day, code, errOut)
		}
	}
	return env, db
}

// publishJSON runs `concord taxii publish --json` and decodes its summary.
func publishJSON(t *testing.T, args ...string) publishSummary {
	t.Helper()
	out, errOut, code := run(t, append([]string{"taxii", "publish", "--json"}, args...)...)
	if code != exitOK {
		t.Fatalf("publish %v: exit %d: %s", args, code, errOut)
	}
	var sum publishSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	return sum
}

// taxiiObjects pages through a collection's objects (the last version of
// each) as user, with HTTP Basic, and returns them by id, compacted.
func taxiiObjects(t *testing.T, env *webtest.Env, user, collection string) map[string]string {
	t.Helper()
	objs := map[string]string{}
	next := ""
	for range 100 {
		q := url.Values{"limit": {"2"}}
		if next != "" {
			q.Set("next", next)
		}
		req, _ := http.NewRequest("GET", env.HTTP.URL+"/taxii2/api/collections/"+collection+"/objects/?"+q.Encode(), nil)
		req.Header.Set("Accept", taxii.MediaType)
		req.SetBasicAuth(user, webtest.Password)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s reads %s: %s %s", user, collection, resp.Status, body)
		}
		var p struct {
			More    bool
			Next    string
			Objects []json.RawMessage
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatalf("%v in %s", err, body)
		}
		for _, o := range p.Objects {
			var head struct{ ID string }
			json.Unmarshal(o, &head)
			if _, dup := objs[head.ID]; dup {
				t.Fatalf("%s served twice to %s", head.ID, user)
			}
			objs[head.ID] = compact(t, o)
		}
		if !p.More {
			return objs
		}
		next = p.Next
	}
	t.Fatal("more than 100 pages")
	return nil
}

func compact(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// exported returns what the exporter makes for a collection and period,
// by id.
func exported(t *testing.T, env *webtest.Env, collection, from, to string) map[string]string {
	t.Helper()
	ctx := context.Background()
	self, err := env.Store.SelfAgency(ctx)
	if err != nil {
		t.Fatal(err)
	}
	col, _ := taxii.CollectionNamed(collection)
	f, _ := time.Parse(time.DateOnly, from)
	l, _ := time.Parse(time.DateOnly, to)
	x := &stix.Exporter{Store: env.Store, Markings: env.Store, Agency: self, From: f, To: l, TLPMax: col.MaxTLP}
	objs := map[string]string{}
	_, err = x.Each(ctx, func(_ string, obj []byte) error {
		var head struct{ ID string }
		json.Unmarshal(obj, &head)
		objs[head.ID] = compact(t, obj)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// tlpsOf counts the TLP labels of the objects' markings.
func tlpsOf(t *testing.T, objs map[string]string) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, o := range objs {
		var m struct {
			Markings []string `json:"object_marking_refs"`
		}
		json.Unmarshal([]byte(o), &m)
		for _, ref := range m.Markings {
			tlp, _ := stix.TLPOfMarking(ref)
			n[tlp.String()]++
		}
	}
	return n
}

func sameObjects(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: %s served as\n%s\nexported as\n%s", what, id, got[id], w)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: %s served but not exported", what, id)
		}
	}
}

func TestTAXIIPublishFillsTheCollectionsTheServerServes(t *testing.T) {
	// Small batches, so that every publication takes several.
	defer func(n int) { publishBatch = n }(publishBatch)
	publishBatch = 4
	env, db := taxiiNode(t)
	period := []string{"--db", db, "--from", "2024-03-12", "--to", "2024-03-14"}

	// The agency collection: the RED day is left out, the rest is there
	// with its marking definitions, exactly as the exporter made it.
	sum := publishJSON(t, append(period, "--collection", "agency")...)
	want := exported(t, env, "agency", "2024-03-12", "2024-03-14")
	if sum.Objects != int64(len(want)) || sum.Added != sum.Objects || sum.Present != 0 || sum.Withheld != 0 || sum.Rejected != 0 {
		t.Fatalf("first publication: %+v, exporter made %d objects", sum, len(want))
	}
	if sum.FactsWithheld != 1 || sum.Types["marking-definition"] == 0 || sum.Types["indicator"] != 3 {
		t.Fatalf("first publication: %+v", sum)
	}
	analyst := taxiiObjects(t, env, "analyst", "agency")
	sameObjects(t, "agency, analyst", analyst, want)
	if n := tlpsOf(t, analyst); n["TLP:AMBER"] == 0 || n["TLP:RED"] != 0 {
		t.Fatalf("agency markings: %v", n)
	}
	// green, cleared for GREEN, gets no AMBER object from it.
	green := taxiiObjects(t, env, "green", "agency")
	if n := tlpsOf(t, green); n["TLP:AMBER"] != 0 || len(green) == 0 || len(green) >= len(analyst) {
		t.Fatalf("green reads %d of %d objects of agency, markings %v", len(green), len(analyst), n)
	}

	// Publishing the same period again adds nothing.
	again := publishJSON(t, append(period, "--collection", "agency")...)
	if again.Added != 0 || again.Present != sum.Objects {
		t.Fatalf("second publication: %+v", again)
	}
	sameObjects(t, "agency after the second publication", taxiiObjects(t, env, "analyst", "agency"), want)

	// The community collection holds the GREEN day only: the partner and
	// green read it, and find nothing AMBER.
	sum = publishJSON(t, append(period, "--collection", "community")...)
	want = exported(t, env, "community", "2024-03-12", "2024-03-14")
	if sum.Added != int64(len(want)) || sum.FactsWithheld != 3 || sum.Types["indicator"] != 2 || sum.Strictest != "TLP:GREEN" {
		t.Fatalf("community publication: %+v", sum)
	}
	for _, user := range []string{"partner", "green", "analyst"} {
		got := taxiiObjects(t, env, user, "community")
		sameObjects(t, "community, "+user, got, want)
		if n := tlpsOf(t, got); n["TLP:AMBER"] != 0 || n["TLP:GREEN"] == 0 {
			t.Fatalf("community as %s: markings %v", user, n)
		}
	}

	// A later period makes the C&C server's indicator anew, first seen on
	// the 13th: a new version, which the collection serves as the last,
	// with the created time of the version held (STIX keeps created the
	// same across versions).
	c2 := stix.IndicatorID("cert-pl", event.RoleC2, netip.MustParseAddr("8.8.8.8"))
	before := stixDates(t, taxiiObjects(t, env, "analyst", "agency")[c2])
	later := publishJSON(t, "--db", db, "--from", "2024-03-13", "--to", "2024-03-14", "--collection", "agency")
	if later.Added == 0 || later.Present == 0 || later.Superseded != 0 {
		t.Fatalf("later period: %+v", later)
	}
	now := exported(t, env, "agency", "2024-03-13", "2024-03-14")
	got := taxiiObjects(t, env, "analyst", "agency")[c2]
	g, w := stixDates(t, got), stixDates(t, now[c2])
	if g.Created != before.Created || g.Modified != w.Modified || !(g.Modified > before.Modified) || w.Created == before.Created {
		t.Fatalf("last version of %s: created %s modified %s; held before: %+v; the export made %+v", c2, g.Created, g.Modified, before, w)
	}
	var gm, wm map[string]any
	json.Unmarshal([]byte(got), &gm)
	json.Unmarshal([]byte(now[c2]), &wm)
	delete(gm, "created")
	delete(wm, "created")
	if !reflect.DeepEqual(gm, wm) {
		t.Fatalf("last version of %s:\n%s\nwant, but for created,\n%s", c2, got, now[c2])
	}
	req, _ := http.NewRequest("GET", env.HTTP.URL+"/taxii2/api/collections/agency/objects/"+c2+"/versions/", nil)
	req.SetBasicAuth("analyst", webtest.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Versions []string }
	json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	if len(v.Versions) != 2 {
		t.Fatalf("versions of %s: %v", c2, v.Versions)
	}

	// Publishing the earlier period again adds no older version beside
	// the later one.
	earlier := publishJSON(t, append(period, "--collection", "agency")...)
	if earlier.Added != 0 || earlier.Superseded == 0 {
		t.Fatalf("earlier period again: %+v", earlier)
	}
}

type stixStamps struct{ Created, Modified string }

func stixDates(t *testing.T, obj string) stixStamps {
	t.Helper()
	var d stixStamps
	if err := json.Unmarshal([]byte(obj), &d); err != nil || d.Created == "" {
		t.Fatalf("no dates in %q: %v", obj, err)
	}
	return d
}

func TestTAXIIPublishUsage(t *testing.T) {
	_, db := taxiiNode(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"taxii"}, exitUsage, "publish"},
		{[]string{"taxii", "publish", "--db", db, "--collection", "partners"}, exitUsage, "community, agency"},
		{[]string{"taxii", "publish", "--db", db, "--from", "2024-03-12"}, exitUsage, "both --from and --to"},
		{[]string{"taxii", "publish", "--db", db, "--every", "1h", "--from", "2024-03-12", "--to", "2024-03-13"}, exitUsage, "leave out --from"},
		{[]string{"taxii", "publish", "--db", db, "--every", "1ms"}, exitUsage, "too short"},
		{[]string{"taxii", "publish", "--db", filepath.Join(t.TempDir(), "none.db")}, exitFailure, "no database"},
	} {
		_, errOut, code := run(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %s", tc.args, code, errOut)
		}
	}
	out, errOut, code := run(t, "taxii", "publish", "--db", db, "--from", "2024-03-12", "--to", "2024-03-14", "--collection", "community")
	if code != exitOK || out != "" || !strings.Contains(errOut, "added, 0 already present, 0 withheld by marking (and 3 facts left out: their days are marked above TLP:GREEN)") {
		t.Fatalf("human summary: exit %d\n%s", code, errOut)
	}
}

// TestTAXIIPublishEveryRepeatsUntilCancelled runs the schedule in-process
// with a context the test cancels, as SIGINT cancels the command's.
func TestTAXIIPublishEveryRepeatsUntilCancelled(t *testing.T) {
	_, db := taxiiNode(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- runTAXIIPublish(ctx, &env{stdout: &out, stderr: &errb}, []string{"--db", db, "--every", "1s", "--json"})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(out.String(), `"collection"`) < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	dec := json.NewDecoder(strings.NewReader(out.String()))
	var runs []publishSummary
	for {
		var s publishSummary
		if err := dec.Decode(&s); err != nil {
			break
		}
		runs = append(runs, s)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	if len(runs) < 2 || runs[0].Added == 0 || runs[1].Added != 0 || runs[1].Present != runs[0].Objects || runs[0].To != today {
		t.Fatalf("runs: %+v", runs)
	}
	if !strings.Contains(errb.String(), "stopped") {
		t.Fatalf("stderr: %s", errb.String())
	}
}

// syncBuffer is a bytes.Buffer a command writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestTAXIIPublishPostgres publishes into a PostgreSQL node's collection
// twice and reads it back from the store: what the exporter made, once.
func TestTAXIIPublishPostgres(t *testing.T) {
	db := pgtest.Database(t)
	dir := t.TempDir()
	for day, tlp := range map[string]string{"2024-03-12": "TLP:GREEN", "2024-03-13": "TLP:AMBER", "2024-03-14": "TLP:RED"} {
		f := writeFile(t, dir, day+".json", eveDays[day])
		if _, errOut, code := run(t, "ingest", "--db", db, "--tlp", tlp, f); code != exitOK {
			t.Fatalf("ingest %s: exit %d: %s", day, code, errOut)
		}
	}
	if _, errOut, code := run(t, "agency", "add", "--db", db, "--data", filepath.Join(dir, "data"), "--id", "pl-cert", "--name", "CERT Polska", "--country", "PL", "--self"); code != exitOK {
		t.Fatalf("agency add: exit %d: %s", code, errOut)
	}
	args := []string{"--db", db, "--from", "2024-03-12", "--to", "2024-03-14", "--collection", "agency"}
	first := publishJSON(t, args...)
	again := publishJSON(t, args...)
	if first.Added != first.Objects || first.FactsWithheld != 1 || again.Added != 0 || again.Present != first.Objects {
		t.Fatalf("publications: %+v, then %+v", first, again)
	}
	ctx := context.Background()
	st, err := postgres.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	self, err := st.SelfAgency(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	x := &stix.Exporter{Store: st, Markings: st, Agency: self, From: time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC),
		To: time.Date(2024, 3, 14, 0, 0, 0, 0, time.UTC), TLPMax: event.TLPAmberStrict}
	if _, err := x.Each(ctx, func(_ string, obj []byte) error {
		var head struct{ ID string }
		json.Unmarshal(obj, &head)
		want[head.ID] = compact(t, obj)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	p, err := st.TAXIIObjects(ctx, store.TAXIIQuery{Collection: "agency", TLPs: []event.TLP{event.TLPClear, event.TLPGreen, event.TLPAmber, event.TLPAmberStrict, event.TLPRed}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range p.Objects {
		if _, dup := got[o.ID]; dup {
			t.Fatalf("%s held twice", o.ID)
		}
		got[o.ID] = compact(t, o.JSON)
	}
	sameObjects(t, "agency on PostgreSQL", got, want)
}
