package public_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/audit"
	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
	"github.com/concord-cert/concord/internal/web/app"
	"github.com/concord-cert/concord/internal/web/public"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// refPattern is the shape of a victim report reference.
var refPattern = regexp.MustCompile(`VR-\d{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{3}[0-9A-HJKMNP-TV-Z*~$=U]`)

var tokenField = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

// formToken loads path and returns the form's token; the cookie half
// stays in the client's jar.
func formToken(t *testing.T, c *webtest.Client, path string) string {
	t.Helper()
	code, body := c.Get(path)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", path, code, body)
	}
	m := tokenField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("GET %s: no form token in\n%s", path, body)
	}
	return html.UnescapeString(m[1])
}

type file struct {
	name string
	data []byte
}

// multipartBody encodes fields and files as the browser sends the form.
func multipartBody(t *testing.T, fields url.Values, files ...file) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	for _, f := range files {
		fw, err := w.CreateFormFile("files", f.name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(f.data)
	}
	w.Close()
	return &buf, w.FormDataContentType()
}

// post sends the victim form and returns status and page.
func post(t *testing.T, c *webtest.Client, fields url.Values, files ...file) (int, string) {
	t.Helper()
	body, ct := multipartBody(t, fields, files...)
	resp, b, err := c.Do(http.MethodPost, "/report", body, ct)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// goodForm is a report a victim could send.
func goodForm(token string) url.Values {
	return url.Values{
		"form_token":  {token},
		"description": {"A caller said he was from my bank and asked me to move my savings to a safe account."},
		"noticed":     {"My bank called back about the transfer."},
		"start":       {"2026-02-03"},
		"name":        {"Jan Kowalski"},
		"email":       {"jan@example.pl"},
		"amount":      {"4 250,50"},
		"currency":    {"pln"},
		"method":      {"bank transfer"},
		"paid_to":     {"PL61109010140000071219812874"},
		"urls":        {"bank-secure-example.com/login\n"},
		"consent":     {"yes"},
		"language":    {"pl"},
	}
}

// png is the start of a PNG file: what content sniffing looks at.
var png = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0}, 64)...)

func TestVictimFilesAReportAndLooksUpOnlyItsStatus(t *testing.T) {
	env := webtest.New(t, public.Register)
	victim := env.Anonymous()

	token := formToken(t, victim, "/report")
	code, page := post(t, victim, goodForm(token),
		file{"screenshot.png", png}, file{"mail.eml", []byte("From: bank@example.net\nSubject: urgent\n\nmove your money\n")})
	if code != http.StatusOK {
		t.Fatalf("submit: %d\n%s", code, page)
	}
	ref := refPattern.FindString(page)
	if ref == "" || !strings.Contains(page, `id="reference">`+ref+`</span>`) {
		t.Fatalf("no reference shown prominently:\n%s", page)
	}
	if !strings.Contains(page, "What happens next") || !strings.Contains(page, "2 files were kept") {
		t.Errorf("the page does not say what happens next:\n%s", page)
	}

	// The report is stored as the intake model, with both files in the
	// vault under their digests.
	rep, err := env.Store.VictimReport(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	var r casework.VictimReport
	if err := json.Unmarshal(rep.Body, &r); err != nil {
		t.Fatal(err)
	}
	if r.Losses.Amount != "4250.50" || r.Losses.Currency != "PLN" || !r.MayShareAbroad() || len(r.Evidence) != 2 ||
		!strings.Contains(r.Description, "How I noticed: My bank called back") || r.Language != "pl" || rep.TLP.String() != "TLP:AMBER" {
		t.Errorf("stored report %+v", r)
	}
	for _, sha := range r.Evidence {
		if _, err := os.Stat(filepath.Join(env.Dir, "data", "vault", "objects", sha[:2], sha)); err != nil {
			t.Errorf("evidence %s not in the vault: %v", sha, err)
		}
	}
	// The files' names and types start their chain of custody.
	var custody string
	env.Store.EachAudit(context.Background(), func(e audit.Entry) error {
		if e.Action == "report.evidence" {
			custody = string(e.Detail)
		}
		return nil
	})
	if !strings.Contains(custody, "screenshot.png") || !strings.Contains(custody, "image/png") || !strings.Contains(custody, "mail.eml") {
		t.Errorf("audit of the files: %s", custody)
	}

	// Sending the same page again files nothing: the form token is spent.
	if code, _ := post(t, victim, goodForm(token)); code != http.StatusForbidden {
		t.Errorf("resubmission: %d, want 403", code)
	}

	// The status page tells the status and its date, and nothing of the
	// report, not even its own text.
	status := formToken(t, victim, "/report/status")
	code, page = victim.PostForm("/report/status", url.Values{"form_token": {status}, "reference": {strings.ToLower(ref)}})
	if code != http.StatusOK || !strings.Contains(page, "Received") || !strings.Contains(page, time.Now().UTC().Format(time.DateOnly)) {
		t.Fatalf("status: %d\n%s", code, page)
	}
	for _, secret := range []string{"safe account", "Jan Kowalski", "jan@example.pl", "4250", "PL61109010140000071219812874", "screenshot.png", "bank-secure-example.com"} {
		if strings.Contains(page, secret) {
			t.Errorf("the status page shows %q", secret)
		}
	}
	var api map[string]any
	if err := victim.GetJSON("/api/v1/victim-reports/"+ref+"/status", &api); err != nil {
		t.Fatal(err)
	}
	if len(api) != 4 || api["status"] != "received" || api["reference"] != ref || api["updated"] == "" || api["description"] == "" {
		t.Errorf("API status %v", api)
	}

	// Staff move the report; the victim sees the new status.
	env.Store.Change(context.Background(), "analyst", func(tx store.CaseTx) error {
		return tx.SetVictimReportStatus(ref, string(casework.VictimUnderReview), time.Now())
	})
	if victim.GetJSON("/api/v1/victim-reports/"+ref+"/status", &api); api["status"] != "under-review" {
		t.Errorf("after review: %v", api)
	}

	if n := metric(t, env, "concord_victim_reports_total"); n != "1" {
		t.Errorf("victim reports counted: %s", n)
	}
}

// metric reads one series from /metrics as the admin.
func metric(t *testing.T, env *webtest.Env, name string) string {
	t.Helper()
	_, body := env.WithToken("admin").Get("/metrics")
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			return v
		}
	}
	return ""
}

func TestUnknownAndMalformedReferencesLookTheSame(t *testing.T) {
	env := webtest.New(t, public.Register)
	victim := env.Anonymous()
	valid := casework.NewReference(time.Now(), nil) // well formed, never filed
	for _, ref := range []string{valid, "VR-2026-0000-0001", "hello", ""} {
		token := formToken(t, victim, "/report/status")
		code, page := victim.PostForm("/report/status", url.Values{"form_token": {token}, "reference": {ref}})
		if code != http.StatusNotFound || !strings.Contains(page, "There is no report with that reference") {
			t.Errorf("%q: %d\n%s", ref, code, page)
		}
		resp, body, err := victim.Do(http.MethodGet, "/api/v1/victim-reports/"+url.PathEscape(ref)+"/status", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if ref != "" && (resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "There is no report with that reference")) {
			t.Errorf("API %q: %d %s", ref, resp.StatusCode, body)
		}
	}
}

func TestTheFormKeepsWhatWasTypedAndNamesEachProblem(t *testing.T) {
	env := webtest.New(t, public.Register)
	victim := env.Anonymous()
	form := goodForm(formToken(t, victim, "/report"))
	form.Del("email")
	form.Del("consent")
	form.Set("start", "yesterday")
	form.Set("subject_emails", "crook@example.net\nnot an address")
	code, page := post(t, victim, form, file{"shot.png", png})
	if code != http.StatusBadRequest {
		t.Fatalf("%d\n%s", code, page)
	}
	for _, want := range []string{
		"Give an e-mail address or a telephone number",
		"Enter a date as year-month-day",
		"line 2: not an e-mail address",
		"Please answer yes or no",
		"choose them again",
		`value="Jan Kowalski"`,
		"A caller said he was from my bank",
		`aria-invalid="true"`,
		`href="#f-email"`,
	} {
		if !strings.Contains(html.UnescapeString(page), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	reports, _ := env.Store.VictimReports(context.Background())
	if len(reports) != 0 {
		t.Errorf("an invalid form was stored: %v", reports)
	}
}

func TestUploadsAreCheckedByTheirBytes(t *testing.T) {
	env := webtest.New(t, public.Register)
	victim := env.Anonymous()
	for _, f := range []file{
		{"invoice.pdf.html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>")},
		{"photo.png", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")}, // a Windows program named .png
		{"logs.zip", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00")},
		{"drawing.svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)},
	} {
		code, page := post(t, victim, goodForm(formToken(t, victim, "/report")), f)
		if code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(page), f.name+" is not a file type we accept") {
			t.Errorf("%s: %d\n%s", f.name, code, page)
		}
	}
	// Too many files: the sixth is named.
	var files []file
	for i := range 6 {
		files = append(files, file{fmt.Sprintf("shot%d.png", i), append(bytes.Clone(png), byte(i))})
	}
	code, page := post(t, victim, goodForm(formToken(t, victim, "/report")), files...)
	if code != http.StatusBadRequest || !strings.Contains(page, "shot5.png was not taken: send at most 5 files") {
		t.Errorf("six files: %d\n%s", code, page)
	}
	// One file over 10 MiB, within the body limit: 413 and the form back.
	big := append(bytes.Clone(png), bytes.Repeat([]byte{0}, 10<<20)...)
	code, page = post(t, victim, goodForm(formToken(t, victim, "/report")), file{"huge.png", big})
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(page, "huge.png is larger than 10 MiB") {
		t.Errorf("big file: %d", code)
	}
	reports, _ := env.Store.VictimReports(context.Background())
	if len(reports) != 0 {
		t.Errorf("refused uploads were stored: %d reports", len(reports))
	}
	entries, _ := os.ReadDir(filepath.Join(env.Dir, "data", "incoming"))
	if len(entries) != 0 {
		t.Errorf("staged files left behind: %v", entries)
	}
}

func TestOversizedBodiesAreRefused(t *testing.T) {
	env := webtest.New(t, public.Register)
	victim := env.Anonymous()
	var files []file
	for i := range 6 {
		files = append(files, file{fmt.Sprintf("part%d.txt", i), bytes.Repeat([]byte("a"), 9<<20)})
	}
	code, _ := post(t, victim, goodForm(formToken(t, victim, "/report")), files...)
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("54 MiB form: %d, want 413", code)
	}
	huge := `{"description":"` + strings.Repeat("x", 2<<20) + `"}`
	resp, _, err := victim.Do(http.MethodPost, "/api/v1/victim-reports", strings.NewReader(huge), "application/json")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB JSON: %d, want 413", resp.StatusCode)
	}
}

func TestPublicRequestsAreRateLimited(t *testing.T) {
	env := webtest.New(t, public.Register)
	victim := env.Anonymous()
	const limit = 20 // web.PublicLimit: 20 a minute per address
	for i := range limit {
		resp, _, err := victim.Do(http.MethodGet, "/api/v1/victim-reports/VR-2026-0000-0000/status", nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("request %d: %d", i+1, resp.StatusCode)
		}
	}
	for _, try := range []func() int{
		func() int { code, _ := post(t, victim, goodForm(formToken(t, victim, "/report"))); return code },
		func() int {
			code, _ := victim.PostForm("/report/status", url.Values{"reference": {"VR-2026-0000-0000"}})
			return code
		},
		func() int {
			code, _ := victim.PostJSON("/api/v1/victim-reports", map[string]any{}, nil)
			return code
		},
	} {
		if code := try(); code != http.StatusTooManyRequests {
			t.Errorf("beyond the limit: %d, want 429", code)
		}
	}
}

func TestTheFormNeedsItsTokenAndThisOrigin(t *testing.T) {
	env := webtest.New(t, public.Register)
	victim := env.Anonymous()
	token := formToken(t, victim, "/report")

	// Another browser (no cookie) with a token copied from the page.
	code, page := post(t, env.Anonymous(), goodForm(token))
	if code != http.StatusForbidden || !strings.Contains(page, "the form expired or could not be checked") || !strings.Contains(page, "A caller said he was from my bank") {
		t.Errorf("without the cookie: %d\n%s", code, page)
	}
	// The cookie without the token.
	if code, _ := post(t, victim, goodForm("")); code != http.StatusForbidden {
		t.Errorf("without the token: %d", code)
	}
	// A page of another site.
	body, ct := multipartBody(t, goodForm(token))
	req, _ := http.NewRequest(http.MethodPost, env.HTTP.URL+"/report", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Origin", "https://evil.example")
	resp, err := victim.HC.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin: %d", resp.StatusCode)
	}
	reports, _ := env.Store.VictimReports(context.Background())
	if len(reports) != 0 {
		t.Errorf("%d reports stored", len(reports))
	}
	// The cookie is HttpOnly and SameSite=Strict.
	resp, _, _ = env.Anonymous().Do(http.MethodGet, "/report", nil, "")
	ck := resp.Header.Get("Set-Cookie")
	if !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Strict") {
		t.Errorf("form cookie %q", ck)
	}
}

func TestTheJSONAPIFilesReports(t *testing.T) {
	env := webtest.New(t, public.Register)
	c := env.Anonymous()
	report, err := os.ReadFile("../../casework/testdata/victim/complete.json")
	if err != nil {
		t.Fatal(err)
	}
	// Digests name files the server has not received: refused.
	var bad map[string]any
	resp, body, _ := c.Do(http.MethodPost, "/api/v1/victim-reports", bytes.NewReader(report), "application/json")
	json.Unmarshal(body, &bad)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(fmt.Sprint(bad["problems"]), "evidence: send the files themselves") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	var m map[string]any
	json.Unmarshal(report, &m)
	delete(m, "evidence")
	var out struct {
		Reference string
		Status    string
		Warnings  []string
	}
	if _, err := c.PostJSON("/api/v1/victim-reports", m, &out); err != nil {
		t.Fatal(err)
	}
	if !refPattern.MatchString(out.Reference) || out.Status != "received" {
		t.Errorf("%+v", out)
	}
	// Multipart: the record and its files.
	js, _ := json.Marshal(map[string]any{"description": "ransomware", "reporter": map[string]string{"phone": "+48 22 123 45 67"}, "consent_to_share_abroad": false})
	mp, ct := multipartBody(t, url.Values{"report": {string(js)}}, file{"note.png", png})
	resp, body, _ = c.Do(http.MethodPost, "/api/v1/victim-reports", mp, ct)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("multipart: %d %s", resp.StatusCode, body)
	}
	json.Unmarshal(body, &out)
	rep, _ := env.Store.VictimReport(context.Background(), out.Reference)
	if !strings.Contains(string(rep.Body), `"evidence":["`) {
		t.Errorf("multipart report without its file: %s", rep.Body)
	}
	// Invalid: every problem listed.
	resp, body, _ = c.Do(http.MethodPost, "/api/v1/victim-reports", strings.NewReader(`{"reporter":{"email":"nope"}}`), "application/json")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "description: required") || !strings.Contains(string(body), "consent_to_share_abroad") {
		t.Errorf("invalid: %d %s", resp.StatusCode, body)
	}
}

// TestTheVictimReadsNothingElse walks every staff route of the node as an
// anonymous visitor who has just filed a report: every one is refused.
func TestTheVictimReadsNothingElse(t *testing.T) {
	env := webtest.New(t, app.Areas...)
	victim := env.Anonymous()
	if code, page := post(t, victim, goodForm(formToken(t, victim, "/report"))); code != http.StatusOK {
		t.Fatalf("%d %s", code, page)
	}
	noRedirect := *victim.HC
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	param := regexp.MustCompile(`\{[^}]*\}`)
	staff := 0
	for _, rt := range env.Server.Routes() {
		if rt.Access == web.Public {
			continue
		}
		staff++
		path := param.ReplaceAllStringFunc(rt.Path, func(p string) string {
			if p == "{$}" {
				return ""
			}
			return "1"
		})
		req, _ := http.NewRequest(rt.Method, env.HTTP.URL+path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		switch {
		case rt.API() && resp.StatusCode == http.StatusUnauthorized:
		case !rt.API() && resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login"):
		default:
			t.Errorf("%s %s as the victim: %d", rt.Method, path, resp.StatusCode)
		}
	}
	for _, p := range []string{"/api/v1/cases", "/events", "/admin", "/api/v1/admin/users"} {
		found := false
		for _, rt := range env.Server.Routes() {
			found = found || rt.Path == p
		}
		if !found {
			t.Errorf("%s is not a route of the node any more: the walk missed it", p)
		}
	}
	if staff < 50 {
		t.Errorf("only %d staff routes walked", staff)
	}
}

// TestStaffFileForAVictim: a logged-in officer takes a report over the
// telephone through the same form; the session's CSRF token travels in
// the form's URL and the audit log names the officer.
func TestStaffFileForAVictim(t *testing.T) {
	env := webtest.New(t, app.Areas...)
	analyst := env.Login("analyst")
	_, page := analyst.Get("/report")
	if !strings.Contains(page, `action="/report?csrf=`) {
		t.Fatalf("the form does not carry the session's token:\n%s", page)
	}
	token := html.UnescapeString(tokenField.FindStringSubmatch(page)[1])
	body, ct := multipartBody(t, goodForm(token))
	resp, b, err := analyst.Do(http.MethodPost, "/report?csrf="+url.QueryEscape(analyst.CSRF), body, ct)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%v %d\n%s", err, resp.StatusCode, b)
	}
	ref := refPattern.FindString(string(b))
	var actor string
	env.Store.EachAudit(context.Background(), func(e audit.Entry) error {
		if e.Object == "report/"+ref {
			actor = e.Actor
		}
		return nil
	})
	if actor != "analyst" {
		t.Errorf("filed by %q", actor)
	}
}
