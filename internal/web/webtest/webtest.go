// Package webtest starts a real Concord server for tests: a SQLite store
// in a temporary directory, two agencies (this node's, "cert-pl", and a
// partner, "cert-de"), one user per role, and HTTP clients that log in
// through the login form and send the session's CSRF token like a browser
// does. Nothing is mocked: requests cross a real socket (httptest.Server).
package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/store/sqlite"
	"github.com/concord-cert/concord/internal/web"
)

// Agencies of the test node.
const (
	Self    = "cert-pl"
	Partner = "cert-de"
)

// Password is every test user's password.
const Password = "correct horse battery staple"

// Users of the test node: name → roles, agency and clearance.
var Users = []store.User{
	{Name: "admin", Agency: Self, Roles: []string{"admin"}, Clearance: event.TLPAmberStrict},
	{Name: "analyst", Agency: Self, Roles: []string{"analyst"}, Clearance: event.TLPAmberStrict},
	{Name: "liaison", Agency: Self, Roles: []string{"liaison"}, Clearance: event.TLPAmberStrict},
	{Name: "viewer", Agency: Self, Roles: []string{"viewer"}, Clearance: event.TLPAmberStrict},
	// green is an analyst of this agency cleared for TLP:GREEN only.
	{Name: "green", Agency: Self, Roles: []string{"analyst"}, Clearance: event.TLPGreen},
	// partner is an analyst and liaison of the partner agency with an
	// account on this node.
	{Name: "partner", Agency: Partner, Roles: []string{"analyst", "liaison"}, Clearance: event.TLPRed},
}

// Env is a running test server.
type Env struct {
	T      testing.TB
	Store  *sqlite.Store
	Server *web.Server
	HTTP   *httptest.Server
	Dir    string
}

// New starts a server with the core routes and those that register adds.
func New(t testing.TB, register ...func(*web.Server) error) *Env {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "concord.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	Seed(t, st, filepath.Join(dir, "data"))
	srv, err := web.New(st, web.Config{Data: filepath.Join(dir, "data"), Home: "PL"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range register {
		if err := r(srv); err != nil {
			t.Fatal(err)
		}
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &Env{T: t, Store: st, Server: srv, HTTP: hs, Dir: dir}
}

// Seed registers the two agencies and the users in st. This node's agency
// is registered as `concord agency add --self` does, with its signing key
// under data.
func Seed(t testing.TB, st web.Store, data string) {
	t.Helper()
	ctx := context.Background()
	h, err := auth.HashPassword(Password)
	if err != nil {
		t.Fatal(err)
	}
	n := &coop.Node{St: st, Data: data, Actor: "webtest"}
	if _, err := n.AddAgency(ctx, coop.NewAgency{ID: Self, Name: "CERT Polska (test)", Country: "PL", Self: true}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	err = st.Change(ctx, "webtest", func(tx store.CaseTx) error {
		if err := tx.PutAgency(store.Agency{ID: Partner, Name: "CERT-Bund (test)", Country: "DE", Created: now}); err != nil {
			return err
		}
		for _, u := range Users {
			u.PasswordHash, u.Created, u.Updated = h, now, now
			u.FullName = "Test " + u.Name
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Client is a browser-like client: a cookie jar, redirects followed, and
// the session's CSRF token sent on every unsafe request.
type Client struct {
	env  *Env
	HC   *http.Client
	CSRF string
	// Token, when set, is sent as a Bearer API token instead of cookies.
	Token string
}

// Anonymous returns a client with no session.
func (e *Env) Anonymous() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{env: e, HC: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
}

// Login returns a client logged in as user (one of Users) through the
// login form.
func (e *Env) Login(user string) *Client {
	e.T.Helper()
	c := e.Anonymous()
	resp, err := c.HC.PostForm(e.HTTP.URL+"/login", url.Values{"user": {user}, "password": {Password}})
	if err != nil {
		e.T.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.T.Fatalf("login as %s: %s\n%s", user, resp.Status, body)
	}
	var me struct {
		CSRF string `json:"csrf"`
	}
	if err := c.GetJSON("/api/v1/me", &me); err != nil {
		e.T.Fatalf("login as %s: %v", user, err)
	}
	c.CSRF = me.CSRF
	return c
}

// WithToken returns a client that authenticates with a fresh API token of
// user, and the token.
func (e *Env) WithToken(user string) *Client {
	e.T.Helper()
	plain, id, hash := auth.NewToken()
	err := e.Store.Change(context.Background(), "webtest", func(tx store.CaseTx) error {
		return tx.AddToken(store.APIToken{ID: id, User: user, Name: "test", Hash: hash, Created: time.Now().UTC()})
	})
	if err != nil {
		e.T.Fatal(err)
	}
	c := e.Anonymous()
	c.Token = plain
	return c
}

// Do sends a request with body (nil for none) and content type, adding the
// CSRF token or the API token, and returns status, headers and body.
func (c *Client) Do(method, path string, body io.Reader, contentType string) (*http.Response, []byte, error) {
	req, err := http.NewRequest(method, c.env.HTTP.URL+path, body)
	if err != nil {
		return nil, nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	} else if method != http.MethodGet && method != http.MethodHead && c.CSRF != "" {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	resp, err := c.HC.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// Get fetches path and returns status and body.
func (c *Client) Get(path string) (int, string) {
	c.env.T.Helper()
	resp, b, err := c.Do(http.MethodGet, path, nil, "")
	if err != nil {
		c.env.T.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// GetJSON fetches path and decodes a 200 answer into v.
func (c *Client) GetJSON(path string, v any) error {
	resp, b, err := c.Do(http.MethodGet, path, nil, "")
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, b)
	}
	return json.Unmarshal(b, v)
}

// PostForm posts form values (with the CSRF token as the form field too)
// and returns status and body after redirects.
func (c *Client) PostForm(path string, form url.Values) (int, string) {
	c.env.T.Helper()
	if form == nil {
		form = url.Values{}
	}
	if c.CSRF != "" && form.Get("csrf") == "" {
		form.Set("csrf", c.CSRF)
	}
	resp, b, err := c.Do(http.MethodPost, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
	if err != nil {
		c.env.T.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// PostJSON posts v as JSON and decodes the answer into out (when not nil);
// it returns the status.
func (c *Client) PostJSON(path string, v, out any) (int, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	resp, body, err := c.Do(http.MethodPost, path, strings.NewReader(string(b)), "application/json")
	if err != nil {
		return 0, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(body, out); err != nil {
			return resp.StatusCode, fmt.Errorf("POST %s: %v in %s", path, err, body)
		}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("POST %s: %s: %s", path, resp.Status, body)
	}
	return resp.StatusCode, nil
}
