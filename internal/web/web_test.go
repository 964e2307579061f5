package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
	"github.com/concord-cert/concord/internal/web/webtest"
)

func TestLoginSessionAndLogout(t *testing.T) {
	env := webtest.New(t, home)
	c := env.Login("analyst")
	var me struct {
		User, Agency, Clearance string
		Roles                   []string
	}
	if err := c.GetJSON("/api/v1/me", &me); err != nil {
		t.Fatal(err)
	}
	if me.User != "analyst" || me.Agency != webtest.Self || me.Clearance != "TLP:AMBER+STRICT" || len(me.Roles) != 1 {
		t.Errorf("me = %+v", me)
	}
	// The cookie is HttpOnly and SameSite=Strict, and the store keeps only
	// its hash.
	u, _ := url.Parse(env.HTTP.URL)
	cookies := c.HC.Jar.Cookies(u)
	if len(cookies) != 1 || cookies[0].Name != "concord_session" {
		t.Fatalf("cookies = %v", cookies)
	}
	resp, _, _ := env.Anonymous().Do("POST", "/login", strings.NewReader(url.Values{"user": {"viewer"}, "password": {webtest.Password}}.Encode()), "application/x-www-form-urlencoded")
	var setCookie string
	for _, v := range resp.Request.Response.Header.Values("Set-Cookie") {
		setCookie += v
	}
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(setCookie, want) {
			t.Errorf("Set-Cookie %q lacks %s", setCookie, want)
		}
	}
	// Logging out ends the session on the server, not just in the browser.
	old := cookies[0].Value
	if status, _ := c.PostForm("/logout", nil); status != http.StatusOK {
		t.Fatalf("logout: %d", status)
	}
	replay := env.Anonymous()
	replay.HC.Jar.SetCookies(u, []*http.Cookie{{Name: "concord_session", Value: old}})
	if status, _ := replay.Get("/api/v1/me"); status != http.StatusUnauthorized {
		t.Errorf("a logged-out session still works: %d", status)
	}
}

func TestWrongPasswordsAreThrottled(t *testing.T) {
	env := webtest.New(t, home)
	c := env.Anonymous()
	statuses := map[int]int{}
	for range 7 {
		status, body := c.PostForm("/login", url.Values{"user": {"analyst"}, "password": {"wrong password here"}})
		statuses[status]++
		if strings.Contains(body, "wrong password here") {
			t.Error("the page echoes the password")
		}
	}
	if statuses[http.StatusUnauthorized] != 5 || statuses[http.StatusTooManyRequests] != 2 {
		t.Errorf("statuses = %v, want five 401 then 429", statuses)
	}
	// Throttled, even the right password is not checked.
	if status, _ := c.PostForm("/login", url.Values{"user": {"analyst"}, "password": {webtest.Password}}); status != http.StatusTooManyRequests {
		t.Errorf("right password while throttled: %d", status)
	}
}

func TestCSRFIsRequiredWithCookies(t *testing.T) {
	env := webtest.New(t, home)
	c := env.Login("analyst")
	token := c.CSRF
	c.CSRF = ""
	if status, _ := c.PostForm("/logout", url.Values{}); status != http.StatusForbidden {
		t.Errorf("logout without CSRF token: %d, want 403", status)
	}
	if status, _ := c.PostForm("/logout", url.Values{"csrf": {"forged"}}); status != http.StatusForbidden {
		t.Errorf("logout with a wrong token: %d, want 403", status)
	}
	// A right token from another origin is refused too.
	req, _ := http.NewRequest("POST", env.HTTP.URL+"/logout", strings.NewReader("csrf="+token))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := c.HC.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin logout: %d, want 403", resp.StatusCode)
	}
	if status, _ := c.PostForm("/logout", url.Values{"csrf": {token}}); status != http.StatusOK {
		t.Errorf("logout with the token: %d", status)
	}
}

func TestAPITokens(t *testing.T) {
	env := webtest.New(t, home)
	c := env.WithToken("viewer")
	var me struct{ User string }
	if err := c.GetJSON("/api/v1/me", &me); err != nil || me.User != "viewer" {
		t.Fatalf("me with a token: %+v %v", me, err)
	}
	// Unsafe requests with a token need no CSRF token: it is no ambient
	// credential a browser would send by itself.
	for _, bad := range []string{"Bearer cnc_nonsense", "Basic dmlld2VyOng=", "Bearer " + strings.Replace(c.Token, "_", "_x", 1)} {
		req, _ := http.NewRequest("GET", env.HTTP.URL+"/api/v1/me", nil)
		req.Header.Set("Authorization", bad)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d, want 401", bad[:12], resp.StatusCode)
		}
	}
	id, _, _ := auth.ParseToken(c.Token)
	if err := env.Store.Change(context.Background(), "test", func(tx store.CaseTx) error { return tx.RevokeToken(id) }); err != nil {
		t.Fatal(err)
	}
	if status, _ := c.Get("/api/v1/me"); status != http.StatusUnauthorized {
		t.Errorf("a revoked token: %d, want 401", status)
	}
}

func TestAnonymousIsRefusedOrSentToLogin(t *testing.T) {
	env := webtest.New(t, home)
	a := env.Anonymous()
	if status, _ := a.Get("/api/v1/me"); status != http.StatusUnauthorized {
		t.Errorf("API without credentials: %d, want 401", status)
	}
	a.HC.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, _, err := a.Do("GET", "/account/password", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=/account/password" {
		t.Errorf("page without login: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestSecurityHeaders(t *testing.T) {
	env := webtest.New(t, home)
	for _, path := range []string{"/login", "/healthz", "/api/openapi.json", "/nowhere"} {
		resp, _, err := env.Anonymous().Do("GET", path, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", path, k, h.Get(k), v)
			}
		}
	}
	// No page carries inline script or inline style.
	_, body := env.Anonymous().Get("/login")
	for _, bad := range []string{"<script>", "onclick=", "style=", "<style"} {
		if strings.Contains(body, bad) {
			t.Errorf("the login page has %q", bad)
		}
	}
}

func TestOneTimePasswordMustBeChanged(t *testing.T) {
	env := webtest.New(t, home)
	ctx := context.Background()
	u, err := env.Store.User(ctx, "viewer")
	if err != nil {
		t.Fatal(err)
	}
	u.MustChange = true
	if err := env.Store.Change(ctx, "test", func(tx store.CaseTx) error { return tx.PutUser(u) }); err != nil {
		t.Fatal(err)
	}
	c := env.Anonymous()
	status, body := c.PostForm("/login", url.Values{"user": {"viewer"}, "password": {webtest.Password}})
	if status != http.StatusOK || !strings.Contains(body, "one-time password") {
		t.Fatalf("after login: %d\n%s", status, body)
	}
	// Every page leads back to the password form until it is changed.
	if status, _ := c.Get("/api/v1/me"); status != http.StatusForbidden {
		t.Errorf("the API answers %d before the password is changed, want 403", status)
	}
	csrf := between(body, `name="csrf" value="`, `"`)
	newPW := "a much better passphrase"
	status, body = c.PostForm("/account/password", url.Values{"csrf": {csrf}, "current": {webtest.Password}, "password": {newPW}, "again": {newPW}})
	if status != http.StatusOK {
		t.Fatalf("change: %d\n%s", status, body)
	}
	u, _ = env.Store.User(ctx, "viewer")
	if u.MustChange {
		t.Error("MustChange still set")
	}
	if ok, _, _ := auth.CheckPassword(u.PasswordHash, newPW); !ok {
		t.Error("the new password does not check")
	}
}

func TestBootstrapCreatesOneAdminOnce(t *testing.T) {
	env := webtest.New(t, home)
	ctx := context.Background()
	// The test store has users already: nothing happens without reset.
	pw, err := web.Bootstrap(ctx, env.Store, webtest.Self, []auth.Role{auth.RoleAdmin}, false, time.Now())
	if err != nil || pw != "" {
		t.Fatalf("bootstrap on a node with accounts: %q %v", pw, err)
	}
	pw, err = web.Bootstrap(ctx, env.Store, webtest.Self, []auth.Role{auth.RoleAdmin}, true, time.Now())
	if err != nil || len(pw) < 16 {
		t.Fatalf("reset: %q %v", pw, err)
	}
	u, _ := env.Store.User(ctx, "admin")
	if ok, _, _ := auth.CheckPassword(u.PasswordHash, pw); !ok || !u.MustChange {
		t.Errorf("admin after reset: must change %v, password ok %v", u.MustChange, ok)
	}
}

func TestHealthReadyAndMetrics(t *testing.T) {
	env := webtest.New(t, home)
	a := env.Anonymous()
	if status, body := a.Get("/healthz"); status != http.StatusOK || body != "ok\n" {
		t.Errorf("healthz: %d %q", status, body)
	}
	if status, body := a.Get("/readyz"); status != http.StatusOK || body != "ready\n" {
		t.Errorf("readyz: %d %q", status, body)
	}
	if status, _ := a.Get("/metrics"); status != http.StatusUnauthorized {
		t.Errorf("metrics without credentials: %d, want 401", status)
	}
	if status, _ := env.WithToken("analyst").Get("/metrics"); status != http.StatusForbidden {
		t.Errorf("metrics for an analyst: %d, want 403", status)
	}
	status, body := env.WithToken("admin").Get("/metrics")
	if status != http.StatusOK {
		t.Fatalf("metrics: %d", status)
	}
	for _, want := range []string{
		`concord_http_request_duration_seconds_bucket{route="GET /healthz",method="GET",code="200",le="0.005"}`,
		"concord_requests_overdue 0", "concord_ingest_records_total{outcome=\"rejected\"}", "# TYPE concord_login_failures_total counter",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	env.Store.Close()
	if status, _ := a.Get("/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database closed: %d, want 503", status)
	}
}

// home stands in for the dashboard, where logins land.
func home(s *web.Server) error {
	s.Handle(web.Route{Method: "GET", Path: "/{$}", Action: auth.ReadReports, Summary: "start page", Handler: func(c *web.Ctx) error {
		_, err := c.W.Write([]byte("home of " + c.P.User))
		return err
	}})
	return nil
}

func between(s, a, b string) string {
	_, rest, ok := strings.Cut(s, a)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, b)
	return v
}
