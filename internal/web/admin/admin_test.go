package admin_test

import (
	"context"
	"encoding/json"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/web"
	"github.com/concord-cert/concord/internal/web/admin"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// home stands in for the dashboard, where a login lands.
func home(s *web.Server) error {
	s.Handle(web.Route{Method: "GET", Path: "/{$}", Access: web.Public, Summary: "test home", Handler: func(c *web.Ctx) error {
		_, err := c.W.Write([]byte("home"))
		return err
	}})
	return nil
}

func newEnv(t *testing.T) *webtest.Env {
	env := webtest.New(t, admin.Register, home)
	// Server errors go to the test's log.
	env.Server.Cfg.Log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	return env
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

var secretShown = regexp.MustCompile(`id="secret">([^<]+)<`)

// secretOf returns the password or token a page shows once.
func secretOf(t *testing.T, page string) string {
	t.Helper()
	m := secretShown.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no secret shown in\n%s", page)
	}
	return html.UnescapeString(m[1])
}

// loginWith logs in through the form with a password and returns the
// client and the page it lands on.
func loginWith(t *testing.T, env *webtest.Env, user, password string) (*webtest.Client, int, string) {
	t.Helper()
	c := env.Anonymous()
	code, page := c.PostForm("/login", url.Values{"user": {user}, "password": {password}})
	return c, code, page
}

func TestAdminPagesAreRefusedToOtherRoles(t *testing.T) {
	env := newEnv(t)
	adminOnly := []string{"/admin", "/admin/users", "/admin/users/analyst", "/admin/tokens", "/admin/agencies", "/admin/data", "/admin/audit",
		"/api/v1/admin", "/api/v1/admin/users", "/api/v1/admin/tokens", "/api/v1/admin/agencies", "/api/v1/admin/data"}
	for _, user := range []string{"analyst", "viewer", "liaison", "partner", "green"} {
		c := env.Login(user)
		for _, p := range adminOnly {
			if code, _ := c.Get(p); code != http.StatusForbidden {
				t.Errorf("%s GET %s: %d, want 403", user, p, code)
			}
		}
		for _, p := range []string{"/admin/users", "/admin/tokens", "/admin/audit/verify", "/api/v1/admin/audit/verify", "/admin/users/admin/disable", "/admin/users/admin/password"} {
			if code, _ := c.PostForm(p, url.Values{"name": {"x"}}); code != http.StatusForbidden {
				t.Errorf("%s POST %s: %d, want 403", user, p, code)
			}
		}
		// Their own tokens are theirs to manage.
		if code, _ := c.Get("/account/tokens"); code != http.StatusOK {
			t.Errorf("%s /account/tokens: %d", user, code)
		}
	}
	anon := env.Anonymous()
	if code, _ := anon.Get("/api/v1/admin/users"); code != http.StatusUnauthorized {
		t.Errorf("anonymous API: %d", code)
	}
	a := env.Login("admin")
	for _, p := range adminOnly {
		if code, body := a.Get(p); code != http.StatusOK {
			t.Errorf("admin GET %s: %d\n%s", p, code, body)
		}
	}
}

func TestAddUserResetPasswordAndForcedChange(t *testing.T) {
	env := newEnv(t)
	a := env.Login("admin")
	code, page := a.PostForm("/admin/users", url.Values{"name": {"anna.kowalska"}, "full_name": {"Anna Kowalska"},
		"agency": {webtest.Self}, "roles": {"analyst", "liaison"}, "clearance": {"TLP:AMBER"}})
	if code != http.StatusCreated {
		t.Fatalf("add: %d\n%s", code, page)
	}
	pw := secretOf(t, page)
	u, err := env.Store.User(context.Background(), "anna.kowalska")
	if err != nil || !u.MustChange || strings.Join(u.Roles, ",") != "analyst,liaison" || u.Clearance.String() != "TLP:AMBER" || strings.Contains(u.PasswordHash, pw) {
		t.Fatalf("stored %+v %v", u, err)
	}
	// The one-time password works once, for the password change only.
	anna, code, page := loginWith(t, env, "anna.kowalska", pw)
	if code != http.StatusOK || !strings.Contains(page, "You logged in with a one-time password") {
		t.Fatalf("first login: %d\n%s", code, page)
	}
	if code, page := anna.Get("/account/tokens"); !strings.Contains(page, "Change your password") {
		t.Errorf("the account was usable before the change: %d", code)
	}
	// The secret is in no audit entry.
	assertNotAudited(t, env, pw)

	// A reset ends the user's sessions and forces a change again.
	analyst := env.Login("analyst")
	code, page = a.PostForm("/admin/users/analyst/password", nil)
	if code != http.StatusOK {
		t.Fatalf("reset: %d\n%s", code, page)
	}
	pw2 := secretOf(t, page)
	var me map[string]any
	if err := analyst.GetJSON("/api/v1/me", &me); err == nil {
		t.Errorf("the analyst's session survived the reset: %v", me)
	}
	if _, code, page := loginWith(t, env, "analyst", webtest.Password); code != http.StatusUnauthorized {
		t.Errorf("old password after reset: %d\n%s", code, page)
	}
	c, code, page := loginWith(t, env, "analyst", pw2)
	if code != http.StatusOK || !strings.Contains(page, "Change your password") {
		t.Fatalf("login after reset: %d\n%s", code, page)
	}
	if code, page := c.Get("/account/tokens"); !strings.Contains(page, "Change your password") {
		t.Errorf("not forced to change: %d", code)
	}
	assertNotAudited(t, env, pw2)

	// Refusals keep what was typed.
	code, page = a.PostForm("/admin/users", url.Values{"name": {"anna.kowalska"}, "full_name": {"Another Anna"}, "agency": {webtest.Self}, "roles": {"viewer"}, "clearance": {"TLP:GREEN"}})
	if code != http.StatusConflict || !strings.Contains(page, "Another Anna") {
		t.Errorf("taken name: %d\n%s", code, page)
	}
	for _, bad := range []url.Values{
		{"name": {"x y"}, "agency": {webtest.Self}, "roles": {"viewer"}, "clearance": {"TLP:GREEN"}},
		{"name": {"bob"}, "agency": {"nowhere"}, "roles": {"viewer"}, "clearance": {"TLP:GREEN"}},
		{"name": {"bob"}, "agency": {webtest.Self}, "clearance": {"TLP:GREEN"}},
		{"name": {"bob"}, "agency": {webtest.Self}, "roles": {"root"}, "clearance": {"TLP:GREEN"}},
		{"name": {"bob"}, "agency": {webtest.Self}, "roles": {"viewer"}, "clearance": {"TOP SECRET"}},
	} {
		if code, page := a.PostForm("/admin/users", bad); code != http.StatusBadRequest || !strings.Contains(page, `aria-invalid="true"`) && !strings.Contains(page, "class=\"error\"") {
			t.Errorf("%v: %d", bad, code)
		}
	}
}

func assertNotAudited(t *testing.T, env *webtest.Env, secret string) {
	t.Helper()
	var n int
	if err := env.Store.DB().QueryRow(`SELECT count(*) FROM audit WHERE detail LIKE ? OR object LIKE ?`, "%"+secret+"%", "%"+secret+"%").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("a secret is in %d audit entries", n)
	}
}

func TestChangeAndDisableUsers(t *testing.T) {
	env := newEnv(t)
	a := env.Login("admin")
	code, page := a.PostForm("/admin/users/viewer", url.Values{"full_name": {"Vera Viewer"}, "agency": {webtest.Partner}, "roles": {"viewer", "analyst"}, "clearance": {"TLP:GREEN"}})
	if code != http.StatusOK || !strings.Contains(page, "Vera Viewer") {
		t.Fatalf("change: %d\n%s", code, page)
	}
	u, _ := env.Store.User(context.Background(), "viewer")
	if u.Agency != webtest.Partner || strings.Join(u.Roles, ",") != "analyst,viewer" || u.Clearance.String() != "TLP:GREEN" || u.PasswordHash == "" {
		t.Errorf("changed %+v", u)
	}
	viewer := env.Login("viewer")
	tok := env.WithToken("viewer")
	if code, _ := a.PostForm("/admin/users/viewer/disable", nil); code != http.StatusOK {
		t.Fatalf("disable: %d", code)
	}
	if err := viewer.GetJSON("/api/v1/me", new(map[string]any)); err == nil {
		t.Error("a disabled user's session still works")
	}
	if code, _ := tok.Get("/api/v1/me"); code != http.StatusUnauthorized {
		t.Errorf("a disabled user's token: %d", code)
	}
	if _, code, _ := loginWith(t, env, "viewer", webtest.Password); code != http.StatusUnauthorized {
		t.Errorf("a disabled user logs in: %d", code)
	}
	if code, _ := a.PostForm("/admin/users/viewer/enable", nil); code != http.StatusOK {
		t.Fatalf("enable: %d", code)
	}
	if _, code, _ := loginWith(t, env, "viewer", webtest.Password); code != http.StatusOK {
		t.Errorf("an enabled user cannot log in: %d", code)
	}
	if code, _ := a.Get("/admin/users/nobody"); code != http.StatusNotFound {
		t.Errorf("unknown user: %d", code)
	}
}

func TestTheLastAdminCannotBeLockedOut(t *testing.T) {
	env := newEnv(t)
	a := env.Login("admin")
	if code, page := a.PostForm("/admin/users/admin/disable", nil); code != http.StatusConflict || !strings.Contains(page, "last enabled administrator") {
		t.Errorf("disable the last admin: %d\n%s", code, page)
	}
	if code, page := a.PostForm("/admin/users/admin", url.Values{"agency": {webtest.Self}, "roles": {"analyst"}, "clearance": {"TLP:AMBER"}}); code != http.StatusConflict || !strings.Contains(page, "last enabled administrator") {
		t.Errorf("demote the last admin: %d\n%s", code, page)
	}
	api := env.WithToken("admin")
	resp, body, _ := api.Do(http.MethodPatch, "/api/v1/admin/users/admin", strings.NewReader(`{"disabled":true}`), "application/json")
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("API disable of the last admin: %d %s", resp.StatusCode, body)
	}
	u, _ := env.Store.User(context.Background(), "admin")
	if u.Disabled || !strings.Contains(strings.Join(u.Roles, ","), "admin") {
		t.Fatalf("the last admin was locked out: %+v", u)
	}
	// With a second administrator, the first may step down.
	if code, page := a.PostForm("/admin/users/analyst", url.Values{"agency": {webtest.Self}, "roles": {"admin", "analyst"}, "clearance": {"TLP:AMBER"}}); code != http.StatusOK {
		t.Fatalf("promote: %d\n%s", code, page)
	}
	if code, _ := a.PostForm("/admin/users/admin/disable", nil); code != http.StatusOK {
		t.Errorf("disable with another admin: %d", code)
	}
	// Now the analyst is the last one.
	if resp, body, _ := env.WithToken("analyst").Do(http.MethodPatch, "/api/v1/admin/users/analyst", strings.NewReader(`{"roles":["analyst"]}`), "application/json"); resp.StatusCode != http.StatusConflict {
		t.Errorf("demote the new last admin: %d %s", resp.StatusCode, body)
	}
}

func TestTokensAreShownOnceAndRevoked(t *testing.T) {
	env := newEnv(t)
	a := env.Login("admin")
	code, page := a.PostForm("/admin/tokens", url.Values{"user": {"analyst"}, "name": {"nightly feed import"}, "expires": {"90d"}})
	if code != http.StatusCreated {
		t.Fatalf("create: %d\n%s", code, page)
	}
	plain := secretOf(t, page)
	if !strings.HasPrefix(plain, "cnc_") {
		t.Fatalf("token %q", plain)
	}
	assertNotAudited(t, env, plain)
	script := env.Anonymous()
	script.Token = plain
	var me struct{ User string }
	if err := script.GetJSON("/api/v1/me", &me); err != nil || me.User != "analyst" {
		t.Fatalf("the token does not work: %v %+v", err, me)
	}
	// Listed, never shown again.
	_, list := a.Get("/admin/tokens")
	if !strings.Contains(list, "nightly feed import") || strings.Contains(list, plain) {
		t.Errorf("token list:\n%s", list)
	}
	var tokens struct{ Tokens []map[string]any }
	env.WithToken("admin").GetJSON("/api/v1/admin/tokens", &tokens)
	raw, _ := json.Marshal(tokens)
	if strings.Contains(string(raw), plain[20:]) || strings.Contains(string(raw), "hash") {
		t.Errorf("the API shows a secret: %s", raw)
	}
	id := strings.Split(plain, "_")[1]
	if code, _ := a.PostForm("/admin/tokens/"+id+"/revoke", nil); code != http.StatusOK {
		t.Fatalf("revoke: %d", code)
	}
	if code, _ := script.Get("/api/v1/me"); code != http.StatusUnauthorized {
		t.Errorf("a revoked token: %d", code)
	}
	if code, _ := a.PostForm("/admin/tokens", url.Values{"user": {"analyst"}, "name": {"x"}, "expires": {"yesterday"}}); code != http.StatusBadRequest {
		t.Errorf("bad expiry: %d", code)
	}
}

func TestUsersManageOnlyTheirOwnTokens(t *testing.T) {
	env := newEnv(t)
	viewer := env.Login("viewer")
	// The form's user field is ignored: the token is the viewer's.
	code, page := viewer.PostForm("/account/tokens", url.Values{"user": {"admin"}, "name": {"dashboard script"}})
	if code != http.StatusCreated {
		t.Fatalf("%d\n%s", code, page)
	}
	script := env.Anonymous()
	script.Token = secretOf(t, page)
	var me struct{ User string }
	if err := script.GetJSON("/api/v1/me", &me); err != nil || me.User != "viewer" {
		t.Fatalf("%v %+v", err, me)
	}
	// Through the API too.
	var made struct{ ID, User, Token string }
	if _, err := viewer.PostJSON("/api/v1/account/tokens", map[string]string{"user": "admin", "name": "cron"}, &made); err != nil || made.User != "viewer" || made.Token == "" {
		t.Fatalf("%v %+v", err, made)
	}
	// Someone else's token looks missing.
	env.WithToken("analyst")
	ts, _ := env.Store.Tokens(context.Background(), "analyst")
	other := ts[0].ID
	if code, _ := viewer.PostForm("/account/tokens/"+other+"/revoke", nil); code != http.StatusNotFound {
		t.Errorf("revoking another's token: %d", code)
	}
	if t2, _ := env.Store.Token(context.Background(), other); t2.Revoked {
		t.Error("another user's token was revoked")
	}
	_, page = viewer.Get("/account/tokens")
	if strings.Contains(page, other) || !strings.Contains(page, "dashboard script") {
		t.Errorf("own token page:\n%s", page)
	}
	if code, _ := viewer.PostForm("/account/tokens/"+made.ID+"/revoke", nil); code != http.StatusOK {
		t.Errorf("revoke own: %d", code)
	}
}

func TestAuditVerifyDetectsATamperedRow(t *testing.T) {
	env := newEnv(t)
	a := env.Login("admin")
	code, page := a.PostForm("/admin/audit/verify", nil)
	if code != http.StatusOK || !strings.Contains(page, "The audit log is intact") {
		t.Fatalf("intact: %d\n%s", code, page)
	}
	if _, err := env.Store.DB().Exec(`UPDATE audit SET actor = 'someone else' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	code, page = a.PostForm("/admin/audit/verify", nil)
	if code != http.StatusOK || !strings.Contains(page, "BROKEN at entry 2") {
		t.Errorf("tampered: %d\n%s", code, page)
	}
	var res struct {
		Intact   bool
		Entries  int64
		FirstBad int64 `json:"first_bad_entry"`
	}
	if _, err := env.WithToken("admin").PostJSON("/api/v1/admin/audit/verify", nil, &res); err != nil || res.Intact || res.FirstBad != 2 {
		t.Errorf("API: %v %+v", err, res)
	}
}

func TestAgencies(t *testing.T) {
	env := newEnv(t)
	a := env.Login("admin")
	key := "ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
	code, page := a.PostForm("/admin/agencies", url.Values{"id": {"de-bka"}, "name": {"BKA 24/7"}, "country": {"de"},
		"contact": {"+49 611 55-0"}, "channels": {"e-mail, SIENA"}, "public_key": {key}})
	if code != http.StatusOK || !strings.Contains(page, "BKA 24/7") {
		t.Fatalf("add: %d\n%s", code, page)
	}
	ag, err := env.Store.Agency(context.Background(), "de-bka")
	if err != nil || ag.Country != "DE" || ag.PublicKey != key {
		t.Fatalf("%+v %v", ag, err)
	}
	// Changing without a key keeps the key.
	if code, _ := a.PostForm("/admin/agencies/de-bka", url.Values{"name": {"Bundeskriminalamt"}, "country": {"DE"}}); code != http.StatusOK {
		t.Fatalf("change: %d", code)
	}
	if ag, _ := env.Store.Agency(context.Background(), "de-bka"); ag.PublicKey != key || ag.Name != "Bundeskriminalamt" {
		t.Errorf("after change %+v", ag)
	}
	for _, bad := range []url.Values{
		{"id": {"de bka"}, "name": {"x"}, "country": {"DE"}},
		{"id": {"fr-x"}, "name": {"x"}, "country": {"France"}},
		{"id": {"fr-x"}, "name": {"x"}, "country": {"FR"}, "public_key": {"ed25519:nope"}},
		{"id": {"fr-x"}, "country": {"FR"}},
	} {
		if code, page := a.PostForm("/admin/agencies", bad); code != http.StatusBadRequest || !strings.Contains(page, `class="error"`) {
			t.Errorf("%v: %d", bad, code)
		}
	}
	if code, _ := a.PostForm("/admin/agencies", url.Values{"id": {"de-bka"}, "name": {"other"}, "country": {"DE"}}); code != http.StatusConflict {
		t.Errorf("taken id: %d", code)
	}
	api := env.WithToken("admin")
	var v map[string]any
	if _, err := api.PostJSON("/api/v1/admin/agencies", map[string]string{"id": "nl-ncsc", "name": "NCSC-NL", "country": "NL"}, &v); err != nil || v["country"] != "NL" {
		t.Errorf("API add: %v %v", err, v)
	}
	resp, body, _ := api.Do(http.MethodPut, "/api/v1/admin/agencies/nl-ncsc", strings.NewReader(`{"name":"NCSC","country":"NL","public_key":"`+key+`"}`), "application/json")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"fingerprint"`) {
		t.Errorf("API change: %d %s", resp.StatusCode, body)
	}
}

func TestDataUpdates(t *testing.T) {
	env := newEnv(t)
	api := env.WithToken("admin")
	resp, body, err := api.Do(http.MethodPost, "/api/v1/admin/ipdb?file=national.csv&version=2026-11-01", strings.NewReader("1.1.1.0,1.1.1.255,PL\n"), "text/csv")
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "national@2026-11-01") {
		t.Fatalf("ipdb: %v %d %s", err, resp.StatusCode, body)
	}
	resp, body, _ = api.Do(http.MethodPost, "/api/v1/admin/lists/tor?file=exits.txt&fetched=2026-11-01", strings.NewReader("185.220.101.1\n185.220.101.0/24\nnot an address\n"), "text/plain")
	var res struct {
		Entries, Added int
		Rejected       []struct{ Line int }
	}
	json.Unmarshal(body, &res)
	if resp.StatusCode != http.StatusOK || res.Entries != 2 || len(res.Rejected) != 1 || res.Rejected[0].Line != 3 {
		t.Fatalf("lists: %d %s", resp.StatusCode, body)
	}
	if resp, body, _ := api.Do(http.MethodPost, "/api/v1/admin/lists/bogus", strings.NewReader("1.2.3.4\n"), "text/plain"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown kind: %d %s", resp.StatusCode, body)
	}
	a := env.Login("admin")
	_, page := a.Get("/admin/data")
	if !strings.Contains(page, "national@2026-11-01") || !strings.Contains(page, "exits.txt") {
		t.Errorf("data page:\n%s", page)
	}
	// Both updates are in the audit log under the admin's name.
	var n int
	env.Store.DB().QueryRow(`SELECT count(*) FROM audit WHERE action IN ('ipdb.load', 'lists.import') AND actor = 'admin'`).Scan(&n)
	if n != 2 {
		t.Errorf("%d audit entries for the updates", n)
	}
}

func TestUserAPI(t *testing.T) {
	env := newEnv(t)
	api := env.WithToken("admin")
	var made struct {
		User            map[string]any
		OneTimePassword string `json:"one_time_password"`
	}
	if code, err := api.PostJSON("/api/v1/admin/users", map[string]any{"name": "piotr", "agency": webtest.Self, "roles": []string{"viewer"}, "clearance": "green"}, &made); err != nil || code != http.StatusCreated {
		t.Fatalf("%d %v", code, err)
	}
	if made.OneTimePassword == "" || made.User["must_change_password"] != true || made.User["clearance"] != "TLP:GREEN" {
		t.Errorf("%+v", made)
	}
	if _, ok := made.User["password_hash"]; ok {
		t.Error("the API shows the hash")
	}
	resp, body, _ := api.Do(http.MethodPatch, "/api/v1/admin/users/piotr", strings.NewReader(`{"roles":["viewer","liaison"],"full_name":"Piotr"}`), "application/json")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"liaison"`) {
		t.Errorf("patch: %d %s", resp.StatusCode, body)
	}
	if code, err := api.PostJSON("/api/v1/admin/users", map[string]any{"name": "piotr", "agency": webtest.Self, "roles": []string{"viewer"}, "clearance": "green"}, nil); code != http.StatusConflict {
		t.Errorf("taken: %d %v", code, err)
	}
	var reset map[string]any
	if _, err := api.PostJSON("/api/v1/admin/users/piotr/password", nil, &reset); err != nil || reset["one_time_password"] == "" {
		t.Errorf("reset: %v %v", err, reset)
	}
	u, _ := env.Store.User(context.Background(), "piotr")
	if !u.MustChange {
		t.Error("reset without a forced change")
	}
}
