package cases_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/audit"
	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/enrich"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/feed"
	"github.com/concord-cert/concord/internal/ingest"
	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/vault"
	"github.com/concord-cert/concord/internal/web"
	"github.com/concord-cert/concord/internal/web/cases"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// fixture is a running node with the cases area, this agency's signing
// key, and a Node that acts as the node itself (no receiving rules) to
// set up what the tests then read through the web.
type fixture struct {
	t    testing.TB
	env  *webtest.Env
	node *coop.Node
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	env := webtest.New(t, cases.Register, startPage)
	n := &coop.Node{St: env.Store, Data: filepath.Join(env.Dir, "data"), Actor: "fixture", Deadlines: casework.DefaultDeadlines()}
	if _, err := n.AddAgency(context.Background(), coop.NewAgency{ID: webtest.Self, Name: "CERT Polska (test)", Country: "PL", Self: true}); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, env: env, node: n}
}

// startPage stands in for the dashboard, where a login lands.
func startPage(s *web.Server) error {
	s.Handle(web.Route{Method: "GET", Path: "/{$}", Access: web.Public, Summary: "start", Handler: func(c *web.Ctx) error {
		_, err := c.W.Write([]byte("start"))
		return err
	}})
	return nil
}

// openCase opens a case as the node, marked tlp.
func (f *fixture) openCase(title string, tlp event.TLP) store.Case {
	f.t.Helper()
	cs, err := f.node.OpenCase(context.Background(), coop.NewCase{Title: title, TLP: tlp, PAP: casework.PAPAmber})
	if err != nil {
		f.t.Fatal(err)
	}
	return cs
}

// addEvidence keeps data as evidence of a case, marked tlp.
func (f *fixture) addEvidence(caseID int64, name string, data []byte, tlp event.TLP) store.EvidenceRecord {
	f.t.Helper()
	rec, _, err := f.node.AddEvidence(context.Background(), caseID, coop.NewEvidence{Name: name, TLP: tlp.String(), Purpose: "test"},
		func(v *vault.Vault) (vault.Object, error) { return v.Put(bytes.NewReader(data)) })
	if err != nil {
		f.t.Fatal(err)
	}
	return rec
}

// preservationFields are complete fields of a preservation request.
func preservationFields() map[string]any {
	return map[string]any{
		"requesting_authority": "CERT Polska, duty officer +48 22 000 00 00",
		"offence":              "unauthorised access (art. 267 of the Polish Criminal Code)",
		"facts":                "Logins to a hospital's accounts from 85.214.132.117.",
		"data":                 "Connection logs of 85.214.132.117 on 2024-03-12.",
		"custodian":            "Strato AG",
		"necessity":            "Logs are kept for 7 days.",
		"mla_intent":           true,
	}
}

// createRequest drafts a preservation request to the partner as the node.
func (f *fixture) createRequest(caseID int64, tlp event.TLP) store.Request {
	f.t.Helper()
	r, err := f.node.CreateRequest(context.Background(), coop.NewRequest{CaseID: caseID, Type: casework.Preservation, To: webtest.Partner, Fields: preservationFields(), TLP: tlp.String()})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// ingestEvent stores one Suricata alert from src, marked tlp, and returns
// its key.
func (f *fixture) ingestEvent(src string, at time.Time, tlp event.TLP) string {
	f.t.Helper()
	ctx := context.Background()
	line := fmt.Sprintf(`{"timestamp":"%s","event_type":"alert","src_ip":"%s","src_port":40112,"dest_ip":"10.1.1.2","dest_port":22,"proto":"TCP","alert":{"signature_id":2001219,"signature":"ET SCAN Potential SSH Scan","category":"Attempted Information Leak"}}`+"\n",
		at.UTC().Format("2006-01-02T15:04:05.000000-0700"), src)
	geo, err := ipdb.Default()
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := ingest.Run(ctx, f.env.Store, enrich.New(geo, nil), "eve.json", strings.NewReader(line), ingest.Options{Feed: feed.Options{TLP: &tlp}}, nil); err != nil {
		f.t.Fatal(err)
	}
	page, err := f.env.Store.SearchEvents(ctx, store.EventQuery{Prefix: netip.MustParsePrefix(src + "/32"), TLPs: []event.TLP{tlp}})
	if err != nil || len(page.Events) == 0 {
		f.t.Fatalf("the event from %s was not stored: %v", src, err)
	}
	k := page.Events[0].Key
	return fmt.Sprintf("%x", k[:])
}

// upload posts a multipart form with one file, the CSRF token in the
// query as the pages send it.
func upload(t testing.TB, c *webtest.Client, path string, fields map[string]string, field, name string, data []byte) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	w, _ := mw.CreateFormFile(field, name)
	w.Write(data)
	mw.Close()
	if c.CSRF != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "csrf=" + c.CSRF
	}
	resp, b, err := c.Do(http.MethodPost, path, &body, mw.FormDataContentType())
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// custodyActions returns the actions of an evidence record's chain of
// custody, in order.
func (f *fixture) custodyActions(id int64) []string {
	f.t.Helper()
	entries, err := f.env.Store.Custody(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Action)
	}
	return out
}

// auditActions returns every audit entry's action.
func (f *fixture) auditActions() []string {
	f.t.Helper()
	var out []string
	err := f.env.Store.EachAudit(context.Background(), func(e audit.Entry) error {
		out = append(out, e.Action)
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// addUser adds an account with roles to the node, with the test password.
func (f *fixture) addUser(name string, roles ...auth.Role) {
	f.t.Helper()
	h, err := auth.HashPassword(webtest.Password)
	if err != nil {
		f.t.Fatal(err)
	}
	u := store.User{Name: name, FullName: name, Agency: webtest.Self, Clearance: event.TLPAmberStrict, PasswordHash: h, Created: time.Now().UTC(), Updated: time.Now().UTC()}
	for _, r := range roles {
		u.Roles = append(u.Roles, string(r))
	}
	if err := f.env.Store.Change(context.Background(), "fixture", func(tx store.CaseTx) error { return tx.PutUser(u) }); err != nil {
		f.t.Fatal(err)
	}
}

// postJSON posts v and returns the status and the decoded answer.
func postJSON(t testing.TB, c *webtest.Client, path string, v any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(v)
	resp, body, err := c.Do(http.MethodPost, path, bytes.NewReader(b), "application/json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(body, &m)
	return resp.StatusCode, m
}

func id(v any) int64 {
	switch x := v.(type) {
	case float64:
		return int64(x)
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}
