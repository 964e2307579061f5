package cases_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/federation"
	"github.com/concord-cert/concord/internal/store/sqlite"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// partnerNode starts a second node for agency id in a database of its
// own, acting as that node through package coop (as the command line
// does), and makes it and the test node know each other's keys when
// mutual is set.
func partnerNode(t *testing.T, f *fixture, id, country string, mutual bool) *coop.Node {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, id+".db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	n := &coop.Node{St: st, Data: filepath.Join(dir, "data"), Actor: "hans.meier", Deadlines: casework.DefaultDeadlines()}
	self, err := n.AddAgency(ctx, coop.NewAgency{ID: id, Name: "Partner " + id, Country: country, Self: true})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := f.env.Store.Agency(ctx, webtest.Self)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.AddAgency(ctx, coop.NewAgency{ID: webtest.Self, Name: "CERT Polska", Country: "PL", Key: pl.PublicKey}); err != nil {
		t.Fatal(err)
	}
	if mutual {
		if _, err := f.node.AddAgency(ctx, coop.NewAgency{ID: id, Name: "Partner " + id, Country: country, Key: self.PublicKey, Contact: "+49 611 55-0", Channels: "e-mail, I-24/7"}); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// payload opens a package as its recipient would and decodes its payload.
func payload(t *testing.T, file []byte, signer *coop.Node, recipient string) map[string]any {
	t.Helper()
	self, err := signer.St.SelfAgency(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := federation.ParsePublicKey(self.PublicKey)
	pkg, err := federation.Open(file, func(string) (ed25519.PublicKey, error) { return pub, nil }, recipient)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := pkg.DecodePayload(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRequestFormExportAndImportBetweenTwoNodes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	de := partnerNode(t, f, webtest.Partner, "DE", true)
	cs := f.openCase("Logins from Germany", event.TLPAmber)
	mail := f.addEvidence(cs.ID, "mail.eml", []byte("From: billing@example.net\n\npay here\n"), event.TLPAmber)
	secret := f.addEvidence(cs.ID, "informant.txt", []byte("the name of an informant\n"), event.TLPAmberStrict)
	liaison := f.env.Login("liaison")

	// The form is built from the type's fields, and says what is missing.
	if status, body := liaison.Get("/requests/new"); status != http.StatusOK || !strings.Contains(body, `value="subscriber-info"`) {
		t.Fatalf("type chooser: %d", status)
	}
	status, body := liaison.Get(fmt.Sprintf("/requests/new?type=preservation&case=%d&country=DE", cs.ID))
	if status != http.StatusOK || !strings.Contains(body, `name="f.mla_intent"`) || !strings.Contains(body, "custodian (required)") || !strings.Contains(body, `<option value="cert-de" selected>`) {
		t.Fatalf("preservation form: %d\n%s", status, body)
	}
	form := url.Values{"type": {"preservation"}, "case": {fmt.Sprint(cs.ID)}, "to": {webtest.Partner}, "tlp": {"TLP:AMBER"},
		"f.requesting_authority": {"CERT Polska"}, "f.offence": {"unauthorised access"}, "f.facts": {"logins"}, "f.port": {"x"}}
	status, body = liaison.PostForm("/requests", form)
	if status != http.StatusBadRequest || !strings.Contains(body, `id="err-custodian"`) || !strings.Contains(body, "mla_intent: required") || !strings.Contains(body, `id="err-port"`) {
		t.Fatalf("incomplete form: %d\n%s", status, body)
	}
	code, m := postJSON(t, liaison, "/api/v1/requests", map[string]any{"case": cs.ID, "type": "preservation", "to": webtest.Partner, "fields": map[string]any{"offence": "x"}})
	if code != http.StatusBadRequest || !slices.Contains(m["missing"].([]any), any("custodian")) {
		t.Errorf("incomplete JSON: %d %v", code, m)
	}
	form.Del("f.port")
	for k, v := range preservationFields() {
		if b, ok := v.(bool); ok {
			form.Set("f."+k, fmt.Sprint(b))
			continue
		}
		form.Set("f."+k, v.(string))
	}
	resp, b, err := liaison.Do(http.MethodPost, "/requests", strings.NewReader(form.Encode()+"&csrf="+liaison.CSRF), "application/x-www-form-urlencoded")
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "draft") {
		t.Fatalf("create: %v %d\n%s", err, resp.StatusCode, b)
	}
	reqID := id(strings.TrimPrefix(resp.Request.URL.Path, "/requests/"))

	// Export: the package as the command line writes it; the draft is
	// submitted, the stricter evidence withheld.
	resp, pkg, err := liaison.Do(http.MethodPost, fmt.Sprintf("/requests/%d/export", reqID), strings.NewReader(url.Values{"with_files": {"1"}, "csrf": {liaison.CSRF}}.Encode()), "application/x-www-form-urlencoded")
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %v %d %s", err, resp.StatusCode, pkg)
	}
	p := payload(t, pkg, f.node, webtest.Partner)
	withheld := fmt.Sprint(p["case"].(map[string]any)["withheld"])
	if !strings.Contains(withheld, "informant.txt") || strings.Contains(string(pkg), base64.StdEncoding.EncodeToString([]byte("the name of an informant\n"))) {
		t.Errorf("the AMBER+STRICT file was not withheld: %s", withheld)
	}
	var rv struct{ Status, Due string }
	if err := liaison.GetJSON(fmt.Sprintf("/api/v1/requests/%d", reqID), &rv); err != nil || rv.Status != "submitted" || rv.Due == "" {
		t.Errorf("after export %+v %v", rv, err)
	}
	if acts := f.custodyActions(mail.ID); !slices.Equal(acts, []string{"acquired", "transferred"}) {
		t.Errorf("custody of the file sent %v", acts)
	}
	if acts := f.custodyActions(secret.ID); !slices.Equal(acts, []string{"acquired"}) {
		t.Errorf("custody of the file withheld %v", acts)
	}

	// The partner imports it, works it and sends the status back.
	in, err := de.Import(ctx, pkg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []casework.Status{casework.StatusAcknowledged, casework.StatusUnderReview, casework.StatusAccepted, casework.StatusPreserved} {
		if _, err := de.MoveRequest(ctx, coop.Move{ID: in.Request, To: s}); err != nil {
			t.Fatal(err)
		}
	}
	var back []byte
	if _, err := de.ExportRequest(ctx, in.Request, false, func(b []byte) error { back = b; return nil }); err != nil {
		t.Fatal(err)
	}
	resp, body = upload(t, liaison, "/packages/import", nil, "package", "status.concord", back)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "verified") || !strings.Contains(body, "preserved") {
		t.Fatalf("import status: %d\n%s", resp.StatusCode, body)
	}
	// The same package again is a replay.
	resp, body = upload(t, liaison, "/packages/import", nil, "package", "status.concord", back)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "imported before") {
		t.Errorf("replay: %d\n%s", resp.StatusCode, body)
	}

	// A request the partner sends comes in through the API.
	deCase, err := de.OpenCase(ctx, coop.NewCase{Title: "Botnet C&C in Poland", TLP: event.TLPGreen, PAP: casework.PAPAmber})
	if err != nil {
		t.Fatal(err)
	}
	deReq, err := de.CreateRequest(ctx, coop.NewRequest{CaseID: deCase.ID, Type: casework.Preservation, To: webtest.Self, Fields: preservationFields()})
	if err != nil {
		t.Fatal(err)
	}
	var incoming []byte
	if _, err := de.ExportRequest(ctx, deReq.ID, false, func(b []byte) error { incoming = b; return nil }); err != nil {
		t.Fatal(err)
	}
	token := f.env.WithToken("liaison")
	r2, b2, err := token.Do(http.MethodPost, "/api/v1/packages/import", bytes.NewReader(incoming), "application/json")
	var res map[string]any
	json.Unmarshal(b2, &res)
	if err != nil || r2.StatusCode != http.StatusOK || res["kind"] != "request" || res["status"] != "submitted" || id(res["case"]) == 0 {
		t.Fatalf("import a request: %v %d %s", err, r2.StatusCode, b2)
	}
	inID := id(res["request"])
	if code, m := postJSON(t, liaison, fmt.Sprintf("/api/v1/requests/%d/move", inID), map[string]any{"to": "refused"}); code != http.StatusBadRequest {
		t.Errorf("refusing without a reason: %d %v", code, m)
	}
	status, body = liaison.PostForm(fmt.Sprintf("/requests/%d/move", inID), url.Values{"to": {"acknowledged"}})
	if status != http.StatusOK || !strings.Contains(body, "acknowledged") || !strings.Contains(body, "their reference "+webtest.Partner) {
		t.Errorf("move: %d\n%s", status, body)
	}
	// Its status goes back as a signed status package.
	resp, statusPkg, err := token.Do(http.MethodPost, fmt.Sprintf("/api/v1/requests/%d/export", inID), nil, "")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("status export: %v %d %s", err, resp.StatusCode, statusPkg)
	}
	if got, err := de.Import(ctx, statusPkg); err != nil || got.Status != "acknowledged" {
		t.Errorf("the partner imports the status: %+v %v", got, err)
	}
}

func TestImportRefusesBadPackages(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	de := partnerNode(t, f, webtest.Partner, "DE", true)
	// xx is a node this one never registered; it knows this node.
	xx := partnerNode(t, f, "cert-xx", "XX", false)
	liaison := f.env.Login("liaison")

	sealed := func(n *coop.Node, to string) []byte {
		t.Helper()
		if to != webtest.Self {
			if _, err := n.AddAgency(ctx, coop.NewAgency{ID: to, Name: to, Country: "FR"}); err != nil {
				t.Fatal(err)
			}
		}
		cs, err := n.OpenCase(ctx, coop.NewCase{Title: "t", TLP: event.TLPGreen})
		if err != nil {
			t.Fatal(err)
		}
		r, err := n.CreateRequest(ctx, coop.NewRequest{CaseID: cs.ID, Type: casework.Preservation, To: to, Fields: preservationFields()})
		if err != nil {
			t.Fatal(err)
		}
		var file []byte
		if _, err := n.ExportRequest(ctx, r.ID, false, func(b []byte) error { file = b; return nil }); err != nil {
			t.Fatal(err)
		}
		return file
	}
	good := sealed(de, webtest.Self)
	altered := bytes.Clone(good)
	altered[bytes.Index(altered, []byte(`"signed"`))+40] ^= 0x02
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"unknown signer", sealed(xx, webtest.Self), "not a registered partner"},
		{"altered byte", altered, "signature"},
		{"wrong recipient", sealed(de, "cert-fr"), "cert-fr"},
		{"not a package", []byte("hello"), "package"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := upload(t, liaison, "/packages/import", nil, "package", "p.concord", tc.file)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.want) {
				t.Errorf("%d, want 400 naming %q:\n%s", resp.StatusCode, tc.want, body)
			}
		})
	}
	if resp, body := upload(t, liaison, "/packages/import", nil, "package", "p.concord", good); resp.StatusCode != http.StatusOK {
		t.Fatalf("a good package: %d\n%s", resp.StatusCode, body)
	}
	resp, b, err := f.env.WithToken("liaison").Do(http.MethodPost, "/api/v1/packages/import", bytes.NewReader(good), "application/json")
	if err != nil || resp.StatusCode != http.StatusConflict || !strings.Contains(string(b), "imported before") {
		t.Errorf("replay by API: %v %d %s", err, resp.StatusCode, b)
	}
}

func TestRequestDeadlinesAndPartners(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	partnerNode(t, f, webtest.Partner, "DE", true)
	cs := f.openCase("Deadlines", event.TLPAmber)
	// One request submitted 5 days ago (a preservation is due in 3), one
	// submitted now.
	past := *f.node
	past.Now = func() time.Time { return time.Now().Add(-5 * casework.Day) }
	late, err := past.CreateRequest(ctx, coop.NewRequest{CaseID: cs.ID, Type: casework.Preservation, To: webtest.Partner, Fields: preservationFields()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := past.MoveRequest(ctx, coop.Move{ID: late.ID, To: casework.StatusSubmitted}); err != nil {
		t.Fatal(err)
	}
	fresh := f.createRequest(cs.ID, event.TLPAmber)
	if _, err := f.node.MoveRequest(ctx, coop.Move{ID: fresh.ID, To: casework.StatusSubmitted}); err != nil {
		t.Fatal(err)
	}
	liaison := f.env.Login("liaison")
	status, body := liaison.Get("/requests")
	if status != http.StatusOK || !strings.Contains(body, `<span class="badge overdue">overdue by 2 days</span>`) || !strings.Contains(body, `<span class="badge due">due in 3 days</span>`) {
		t.Errorf("requests page: %d\n%s", status, body)
	}
	var list struct {
		Requests []struct {
			ID      int64
			Overdue bool
		}
	}
	if err := liaison.GetJSON("/api/v1/requests?overdue=1", &list); err != nil || len(list.Requests) != 1 || list.Requests[0].ID != late.ID || !list.Requests[0].Overdue {
		t.Errorf("overdue requests %+v %v", list, err)
	}
	status, body = liaison.Get("/partners")
	if status != http.StatusOK || !strings.Contains(body, "611 55-0") || !strings.Contains(body, "e-mail, I-24/7") || strings.Count(body, "<code>") != 2 {
		t.Errorf("partners page: %d\n%s", status, body)
	}
	var partners struct {
		Agencies []struct {
			ID          string
			Fingerprint string
		}
	}
	if err := liaison.GetJSON("/api/v1/partners", &partners); err != nil || len(partners.Agencies) != 2 || partners.Agencies[1].Fingerprint == "" {
		t.Errorf("partners %+v %v", partners, err)
	}
}
