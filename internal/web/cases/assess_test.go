package cases_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/web"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// observation is the address the assessment tests observe: in Germany
// (the embedded IP database), with a source port and a UTC time.
const (
	observedIP   = "85.214.132.117"
	observedTime = "2024-03-12T10:00:00Z"
)

func TestAssessFromACaseAndKeepIt(t *testing.T) {
	f := newFixture(t)
	partnerNode(t, f, webtest.Partner, "DE", true)
	cs := f.openCase("Logins from Germany", event.TLPAmber)
	key := f.ingestEvent(observedIP, mustTime(observedTime), event.TLPAmber)
	if _, err := f.node.Link(context.Background(), cs.ID, coop.Links{Events: []string{key}}); err != nil {
		t.Fatal(err)
	}
	// An investigator may both assess and write requests.
	f.addUser("investigator", auth.RoleAnalyst, auth.RoleLiaison)
	c := f.env.Login("investigator")

	status, body := c.Get(fmt.Sprintf("/assess?case=%d", cs.ID))
	if status != http.StatusOK || !strings.Contains(body, `value="`+observedIP+`"`) || !strings.Contains(body, `value="40112"`) || !strings.Contains(body, `value="`+observedTime+`"`) {
		t.Fatalf("the form is not filled from the case's event: %d\n%s", status, body)
	}
	form := url.Values{"case": {fmt.Sprint(cs.ID)}, "keep": {"1"}, "title": {"Who logged in?"}, "tlp": {"TLP:GREEN"},
		"o.0.ip": {observedIP}, "o.0.port": {"40112"}, "o.0.time": {observedTime}, "o.0.role": {"attack-source"}, "o.0.event": {key},
		"e.0.class": {"self-claim"}, "e.0.summary": {"a ransom note signed by a known group"}, "e.0.reliability": {"C"}, "e.0.credibility": {"3"}, "e.0.relevance": {"medium"}}
	resp, b, err := c.Do(http.MethodPost, "/assess", strings.NewReader(form.Encode()+"&csrf="+c.CSRF), "application/x-www-form-urlencoded")
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.Path, "/assessments/") {
		t.Fatalf("assess: %v %d %s\n%s", err, resp.StatusCode, resp.Request.URL, b)
	}
	body = string(b)
	for _, want := range []string{"ACH matrix", "Confidence: ", "roughly even chance", "Next steps", `class="matrix"`, "tlp-amber"} {
		if !strings.Contains(body, want) {
			t.Errorf("the result page lacks %q", want)
		}
	}
	// The input said GREEN, but it observed an AMBER event: the result is
	// AMBER, and kept as AMBER evidence of the case.
	evID := id(strings.TrimPrefix(resp.Request.URL.Path, "/assessments/"))
	rec, err := f.env.Store.Evidence(context.Background(), evID)
	if err != nil || rec.TLP != event.TLPAmber || rec.CaseID != cs.ID || !strings.HasPrefix(rec.Description, "assessment: ") {
		t.Errorf("kept as %+v %v", rec, err)
	}
	if acts := f.custodyActions(evID); !slices.Equal(acts, []string{"acquired", "accessed"}) {
		t.Errorf("custody of the assessment %v", acts)
	}
	if s, page := c.Get(fmt.Sprintf("/cases/%d", cs.ID)); s != http.StatusOK || !strings.Contains(page, fmt.Sprintf(`href="/assessments/%d"`, evID)) {
		t.Errorf("the case does not list the assessment: %d", s)
	}
	// Its standalone page has its own styles and may run nothing.
	resp, doc, err := c.Do(http.MethodGet, fmt.Sprintf("/assessments/%d/document", evID), nil, "")
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") != web.DocumentCSP || !strings.Contains(string(doc), "ACH matrix") {
		t.Errorf("document: %v %d %q", err, resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}

	// A next step opens the request form filled from its draft.
	m := regexp.MustCompile(`href="(/requests/new\?[^"]+)">Turn into a request`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no next step turns into a request:\n%s", body)
	}
	s, reqForm := c.Get(html.UnescapeString(m[1]))
	if s != http.StatusOK || !strings.Contains(reqForm, `value="`+observedIP+`"`) || !strings.Contains(reqForm, `<option value="cert-de" selected>`) || !strings.Contains(reqForm, fmt.Sprintf(`<option value="%d" selected>`, cs.ID)) {
		t.Errorf("the request form is not filled from the draft: %d %s\n%s", s, m[1], reqForm)
	}
}

func TestAssessFormErrorsAndStandaloneResult(t *testing.T) {
	f := newFixture(t)
	c := f.env.Login("analyst")
	form := url.Values{"title": {"t"}, "tlp": {"TLP:GREEN"}, "o.0.ip": {"85.214.132"}, "o.0.time": {observedTime}, "o.0.role": {"attack-source"},
		"o.1.ip": {observedIP}, "o.1.time": {"yesterday"}, "o.1.role": {"attack-source"}}
	status, body := c.PostForm("/assess", form)
	if status != http.StatusBadRequest || !strings.Contains(body, `<span class="error">&#34;85.214.132&#34; is not an IP address</span>`) || !strings.Contains(body, "is not an RFC 3339 time") {
		t.Errorf("a bad address and time: %d\n%s", status, body)
	}
	form.Set("o.0.ip", observedIP)
	form.Set("o.0.port", "40112")
	form.Del("o.1.ip")
	// An analyst's item with its grade and ratings against the generated
	// hypotheses; a rating that does not parse is shown on its row.
	for k, v := range map[string]string{"e.0.class": "ttps", "e.0.summary": "working hours of Central Europe", "e.0.reliability": "B", "e.0.credibility": "2", "e.0.relevance": "high", "e.0.ratings": "actor-in-DE C"} {
		form.Set(k, v)
	}
	if status, body := c.PostForm("/assess", form); status != http.StatusBadRequest || !strings.Contains(body, "write hypothesis=rating") {
		t.Errorf("a bad rating: %d", status)
	}
	form.Set("e.0.ratings", "actor-in-DE=C, relay-in-DE=I, nobody=C")
	if status, body := c.PostForm("/assess", form); status != http.StatusBadRequest || !strings.Contains(body, "nobody") {
		t.Errorf("a rating of an unknown hypothesis: %d", status)
	}
	form.Set("e.0.ratings", "actor-in-DE=C, relay-in-DE=I")
	status, body = c.PostForm("/assess", form)
	if strings.Contains(body, "e1 is not rated") {
		t.Errorf("the rated item counts for nothing:\n%s", body)
	}
	if status != http.StatusOK || !strings.Contains(body, "ACH matrix") || !strings.Contains(body, "Open as a standalone page") || strings.Contains(body, "Turn into a request") {
		t.Fatalf("an assessment not kept: %d\n%s", status, body)
	}
	// Its input comes back to open it as a standalone page.
	in := regexp.MustCompile(`name="file" value="([^"]+)"`).FindStringSubmatch(body)
	if in == nil {
		t.Fatal("no input to reopen")
	}
	resp, doc, err := c.Do(http.MethodPost, "/assess", strings.NewReader(url.Values{"file": {html.UnescapeString(in[1])}, "format": {"html"}, "csrf": {c.CSRF}}.Encode()), "application/x-www-form-urlencoded")
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") != web.DocumentCSP || !strings.HasPrefix(string(doc), "<!DOCTYPE html>") {
		t.Errorf("standalone: %v %d", err, resp.StatusCode)
	}
}

func TestAssessAPI(t *testing.T) {
	f := newFixture(t)
	cs := f.openCase("API", event.TLPAmber)
	api := f.env.WithToken("analyst")
	in := map[string]any{"title": "Who scanned us?", "tlp": "TLP:GREEN",
		"observations": []map[string]any{{"ip": observedIP, "port": 40112, "time": observedTime}}}
	code, r := postJSON(t, api, "/api/v1/assessments", in)
	if code != http.StatusOK || r["tlp"] != "TLP:GREEN" || len(r["hypotheses"].([]any)) < 2 || r["confidence"] == "" {
		t.Fatalf("assess: %d %v", code, r)
	}
	b, _ := json.Marshal(in)
	resp, body, err := api.Do(http.MethodPost, fmt.Sprintf("/api/v1/assessments?case=%d", cs.ID), strings.NewReader(string(b)), "application/json")
	if err != nil || resp.StatusCode != http.StatusCreated || !strings.HasPrefix(resp.Header.Get("Location"), "/api/v1/assessments/") {
		t.Fatalf("keep: %v %d %s", err, resp.StatusCode, body)
	}
	var kept struct {
		Evidence   struct{ Case int64 }
		Assessment struct{ Title string }
	}
	if err := api.GetJSON(resp.Header.Get("Location"), &kept); err != nil || kept.Evidence.Case != cs.ID || kept.Assessment.Title != "Who scanned us?" {
		t.Errorf("kept %+v %v", kept, err)
	}
	if code, r := postJSON(t, api, "/api/v1/assessments", map[string]any{"observations": []map[string]any{{"ip": "x"}}}); code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(r["error"]), "observations[0].ip") {
		t.Errorf("bad input: %d %v", code, r)
	}
	if code, _ := postJSON(t, api, "/api/v1/assessments", map[string]any{"tlp": "TLP:RED", "observations": []map[string]any{{"ip": observedIP}}}); code != http.StatusBadRequest {
		t.Errorf("a result the caller may not receive: %d", code)
	}
}

// TestAssessmentHistoryFollowsMarkings: the stored feeds' history of an
// address is consulted for a user who may receive every event of its
// days, and the result inherits their marking; for a user who may not, it
// is left out and the result says so.
func TestAssessmentHistoryFollowsMarkings(t *testing.T) {
	f := newFixture(t)
	f.ingestEvent(observedIP, mustTime(observedTime), event.TLPAmber)
	in := map[string]any{"tlp": "TLP:GREEN", "observations": []map[string]any{{"ip": observedIP, "port": 40112, "time": observedTime}}}
	code, r := postJSON(t, f.env.WithToken("analyst"), "/api/v1/assessments", in)
	if code != http.StatusOK || r["tlp"] != "TLP:AMBER" {
		t.Errorf("analyst: %d %v", code, r["tlp"])
	}
	code, r = postJSON(t, f.env.WithToken("green"), "/api/v1/assessments", in)
	if code != http.StatusOK || r["tlp"] != "TLP:GREEN" || !strings.Contains(fmt.Sprint(r["warnings"]), "not consulted") {
		t.Errorf("green: %d %v %v", code, r["tlp"], r["warnings"])
	}
}
