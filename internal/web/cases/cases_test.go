package cases_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/web/webtest"
)

func TestCaseOpenLinkAndShow(t *testing.T) {
	f := newFixture(t)
	analyst := f.env.Login("analyst")

	status, body := analyst.PostForm("/cases", url.Values{"title": {"Invoice fraud at a hospital"}, "tlp": {"TLP:AMBER"}, "pap": {"PAP:GREEN"}})
	if status != http.StatusOK || !strings.Contains(body, "Invoice fraud at a hospital") || !strings.Contains(body, "PAP:GREEN") {
		t.Fatalf("open case: %d\n%s", status, body)
	}
	code, opened := postJSON(t, analyst, "/api/v1/cases", map[string]any{"title": "Phishing wave", "tlp": "TLP:GREEN"})
	if code != http.StatusCreated || opened["tlp"] != "TLP:GREEN" || opened["pap"] != "PAP:AMBER" {
		t.Fatalf("open case by API: %d %v", code, opened)
	}
	caseID := id(opened["id"])
	key := f.ingestEvent("85.214.132.117", mustTime("2024-03-12T10:00:00Z"), event.TLPGreen)

	status, body = analyst.PostForm(fmt.Sprintf("/cases/%d/items", caseID), url.Values{"events": {key}, "note": {"the bank froze the second transfer"}, "task": {"ask the bank for the login logs"}})
	if status != http.StatusOK || !strings.Contains(body, "the bank froze the second transfer") || !strings.Contains(body, key) {
		t.Fatalf("link: %d\n%s", status, body)
	}
	code, linked := postJSON(t, analyst, fmt.Sprintf("/api/v1/cases/%d/items", caseID), map[string]any{"notes": []string{"second note"}})
	if code != http.StatusOK || linked["linked"].(float64) != 1 {
		t.Fatalf("link by API: %d %v", code, linked)
	}
	if code, m := postJSON(t, analyst, fmt.Sprintf("/api/v1/cases/%d/items", caseID), map[string]any{"events": []string{"not-a-key"}}); code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(m["error"]), "not an event key") {
		t.Errorf("a bad key: %d %v", code, m)
	}
	if code, _ := postJSON(t, analyst, fmt.Sprintf("/api/v1/cases/%d/items", caseID), map[string]any{"events": []string{strings.Repeat("ab", 16)}}); code != http.StatusNotFound {
		t.Errorf("an unknown event: %d", code)
	}

	var detail struct {
		ID       int64 `json:"id"`
		Items    []struct{ Kind, Ref string }
		Notes    []struct{ Kind, Text string }
		Timeline []struct{ Kind, What string }
	}
	if err := analyst.GetJSON(fmt.Sprintf("/api/v1/cases/%d", caseID), &detail); err != nil {
		t.Fatal(err)
	}
	if len(detail.Items) != 4 || len(detail.Notes) != 3 || len(detail.Timeline) != 4 {
		t.Errorf("case detail %+v", detail)
	}
	var list struct {
		Cases []struct {
			ID    int64
			Title string
		}
	}
	if err := analyst.GetJSON("/api/v1/cases", &list); err != nil || len(list.Cases) != 2 {
		t.Errorf("cases %+v %v", list, err)
	}
	if status, body := analyst.Get("/cases"); status != http.StatusOK || !strings.Contains(body, "Phishing wave") || !strings.Contains(body, "Open a case") {
		t.Errorf("cases page: %d", status)
	}
	// A form without a title is answered with the form and what to fix.
	if status, body := analyst.PostForm("/cases", url.Values{"title": {" "}}); status != http.StatusBadRequest || !strings.Contains(body, "title") {
		t.Errorf("no title: %d", status)
	}
	// A case the analyst could not read back is refused.
	if code, m := postJSON(t, analyst, "/api/v1/cases", map[string]any{"title": "x", "tlp": "TLP:RED"}); code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(m["error"]), "may receive") {
		t.Errorf("a RED case: %d %v", code, m)
	}
}

func TestEvidenceUploadDownloadVerifyHold(t *testing.T) {
	f := newFixture(t)
	cs := f.openCase("Ransomware at a school", event.TLPAmber)
	analyst := f.env.Login("analyst")
	mail := []byte("From: billing@example.net\nSubject: invoice\n\npay here\n")
	sum := sha256.Sum256(mail)

	resp, body := upload(t, analyst, fmt.Sprintf("/cases/%d/evidence", cs.ID), map[string]string{"description": "the phishing e-mail", "purpose": "reported by the victim"}, "file", "mail.eml", mail)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, hex.EncodeToString(sum[:])) || !strings.Contains(body, "acquired") {
		t.Fatalf("upload: %d\n%s", resp.StatusCode, body)
	}
	evURL := resp.Request.URL.Path
	evID := id(strings.TrimPrefix(evURL, "/evidence/"))
	if evID == 0 {
		t.Fatalf("redirected to %s", evURL)
	}
	// The API takes the file as the raw body too.
	token := f.env.WithToken("analyst")
	r2, b2, err := token.Do(http.MethodPost, fmt.Sprintf("/api/v1/cases/%d/evidence?name=log.txt&tlp=TLP:GREEN", cs.ID), strings.NewReader("a log line\n"), "application/octet-stream")
	if err != nil || r2.StatusCode != http.StatusCreated || !strings.Contains(string(b2), `"new": true`) {
		t.Fatalf("raw upload: %v %d %s", err, r2.StatusCode, b2)
	}

	// Download: the bytes as stored, as an attachment, recorded.
	dl, got, err := analyst.Do(http.MethodGet, fmt.Sprintf("/evidence/%d/file?purpose=court+copy", evID), nil, "")
	if err != nil || dl.StatusCode != http.StatusOK || string(got) != string(mail) {
		t.Fatalf("download: %v %d %q", err, dl.StatusCode, got)
	}
	if cd := dl.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, "mail.eml") {
		t.Errorf("Content-Disposition %q", cd)
	}
	if acts := f.custodyActions(evID); !slices.Equal(acts, []string{"acquired", "exported"}) {
		t.Errorf("custody after download %v", acts)
	}
	if !slices.Contains(f.auditActions(), "evidence.exported") {
		t.Error("the download is not in the audit log")
	}
	// Verify, then hold and release.
	if status, body := analyst.PostForm(fmt.Sprintf("/evidence/%d/verify", evID), nil); status != http.StatusOK || !strings.Contains(body, "matches its SHA-256") {
		t.Errorf("verify: %d", status)
	}
	if status, body := analyst.PostForm(fmt.Sprintf("/evidence/%d/hold", evID), url.Values{"hold": {"set"}, "reason": {"order 12/2024"}}); status != http.StatusOK || !strings.Contains(body, "on hold") {
		t.Errorf("hold: %d", status)
	}
	code, m := postJSON(t, analyst, fmt.Sprintf("/api/v1/evidence/%d/hold", evID), map[string]any{"hold": false, "reason": "order lifted"})
	if code != http.StatusOK || m["legal_hold"] != false {
		t.Errorf("release: %d %v", code, m)
	}
	var ev struct {
		Evidence struct {
			SHA256    string `json:"sha256"`
			LegalHold bool   `json:"legal_hold"`
		}
		Custody []struct{ Action string }
	}
	if err := analyst.GetJSON(fmt.Sprintf("/api/v1/evidence/%d", evID), &ev); err != nil || ev.Evidence.SHA256 != hex.EncodeToString(sum[:]) || ev.Evidence.LegalHold || len(ev.Custody) != 5 {
		t.Errorf("evidence %+v %v", ev, err)
	}

	// A damaged file is never sent, and the refusal adds no custody entry.
	obj := filepath.Join(f.env.Dir, "data", "vault", "objects", hex.EncodeToString(sum[:1]), hex.EncodeToString(sum[:]))
	if err := os.Chmod(obj, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(obj, []byte("From: someone else\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := len(f.custodyActions(evID))
	dl, got, err = analyst.Do(http.MethodGet, fmt.Sprintf("/api/v1/evidence/%d/file", evID), nil, "")
	if err != nil || dl.StatusCode != http.StatusConflict || strings.Contains(string(got), "someone else") {
		t.Errorf("damaged download: %v %d %s", err, dl.StatusCode, got)
	}
	if after := len(f.custodyActions(evID)); after != before {
		t.Errorf("the refused download added %d custody entries", after-before)
	}
	code, m = postJSON(t, analyst, fmt.Sprintf("/api/v1/evidence/%d/verify", evID), nil)
	if code != http.StatusOK || len(m["failed"].([]any)) != 1 {
		t.Errorf("verify damaged: %d %v", code, m)
	}
}

func TestCaseTimelineIsInTimeOrder(t *testing.T) {
	f := newFixture(t)
	cs := f.openCase("Timeline", event.TLPAmber)
	f.addEvidence(cs.ID, "a.txt", []byte("a"), event.TLPAmber)
	r := f.createRequest(cs.ID, event.TLPAmber)
	if _, err := f.node.Link(context.Background(), cs.ID, coop.Links{Notes: []string{"later note"}}); err != nil {
		t.Fatal(err)
	}
	analyst := f.env.Login("analyst")
	status, body := analyst.Get(fmt.Sprintf("/cases/%d", cs.ID))
	if status != http.StatusOK {
		t.Fatalf("case page %d", status)
	}
	tl := body[strings.Index(body, `id="timeline"`):]
	acquired, drafted, note := strings.Index(tl, "a.txt: acquired"), strings.Index(tl, fmt.Sprintf("request %d (preservation)", r.ID)), strings.Index(tl, "later note")
	if acquired < 0 || drafted < acquired || note < drafted {
		t.Errorf("timeline order: acquired %d, request %d, note %d\n%s", acquired, drafted, note, tl)
	}
	for _, want := range []string{"a.txt", "preservation", "draft", webtest.Partner} {
		if !strings.Contains(body, want) {
			t.Errorf("case page lacks %q", want)
		}
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
