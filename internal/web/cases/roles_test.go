package cases_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/web"
	"github.com/concord-cert/concord/internal/web/cases"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// areaRoutes returns the routes this package registers.
func areaRoutes(t *testing.T) []web.Route {
	t.Helper()
	core, err := web.New(nil, web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := startPage(core); err != nil {
		t.Fatal(err)
	}
	ours, err := web.New(nil, web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	startPage(ours)
	if err := cases.Register(ours); err != nil {
		t.Fatal(err)
	}
	return ours.Routes()[len(core.Routes()):]
}

// TestEveryRouteAsEveryRole calls every route of the area as each role:
// a role without the route's action gets 403, one with it gets an answer
// that is neither 401, 403 nor 5xx; without a login a page redirects to
// the login form and the API answers 401; an unsafe request with the
// session cookie but without the CSRF token gets 403.
func TestEveryRouteAsEveryRole(t *testing.T) {
	f := newFixture(t)
	partnerNode(t, f, webtest.Partner, "DE", true)
	cs := f.openCase("routes", event.TLPAmber)
	ev := f.addEvidence(cs.ID, "r.txt", []byte("r"), event.TLPAmber)
	f.createRequest(cs.ID, event.TLPAmber)
	doc := `{"title":"a","tlp":"TLP:AMBER"}`
	if _, err := f.node.Link(context.Background(), cs.ID, coop.Links{Assessments: []coop.File{{Name: "a.json", Read: func() ([]byte, error) { return []byte(doc), nil }}}}); err != nil {
		t.Fatal(err)
	}
	assessment := ev.ID + 1
	path := func(rt web.Route) string {
		p := rt.Path
		switch {
		case strings.HasPrefix(p, "/assessments/"), strings.HasPrefix(p, "/api/v1/assessments/"):
			p = strings.Replace(p, "{id}", fmt.Sprint(assessment), 1)
		default:
			p = strings.Replace(p, "{id}", "1", 1)
		}
		return p
	}
	routes := areaRoutes(t)
	if len(routes) < 40 {
		t.Fatalf("%d routes", len(routes))
	}
	clients := map[string]*webtest.Client{}
	for _, u := range []string{"admin", "analyst", "liaison", "viewer"} {
		clients[u] = f.env.Login(u)
	}
	anonymous := f.env.Anonymous()
	for _, rt := range routes {
		p := path(rt)
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			if rt.Access == web.Public {
				if resp, _, err := anonymous.Do(rt.Method, p, nil, ""); err != nil || resp.StatusCode != http.StatusOK {
					t.Errorf("public route: %v %v", err, resp)
				}
				return
			}
			for user, c := range clients {
				resp, body, err := c.Do(rt.Method, p, nil, "")
				if err != nil {
					t.Fatal(err)
				}
				can := principal(user).Can(rt.Action)
				switch {
				case !can && resp.StatusCode != http.StatusForbidden:
					t.Errorf("%s without %s: %d", user, rt.Action, resp.StatusCode)
				case can && (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized || resp.StatusCode >= 500):
					t.Errorf("%s with %s: %d %s", user, rt.Action, resp.StatusCode, body)
				}
			}
			resp, _, err := anonymous.Do(rt.Method, p, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case rt.API() && resp.StatusCode != http.StatusUnauthorized:
				t.Errorf("anonymous API call: %d", resp.StatusCode)
			case !rt.API() && rt.Method == http.MethodGet && resp.Request.URL.Path != "/login":
				t.Errorf("anonymous page: ended at %s", resp.Request.URL)
			case !rt.API() && rt.Method != http.MethodGet && resp.StatusCode != http.StatusForbidden && resp.Request.URL.Path != "/login":
				t.Errorf("anonymous form: %d at %s", resp.StatusCode, resp.Request.URL)
			}
			if rt.Method == http.MethodPost {
				holder := clients["analyst"]
				if !principal("analyst").Can(rt.Action) {
					holder = clients["liaison"]
				}
				noToken := *holder
				noToken.CSRF = ""
				resp, body, err := noToken.Do(rt.Method, p, strings.NewReader("title=x"), "application/x-www-form-urlencoded")
				if err != nil || resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "did not come from this site") {
					t.Errorf("without the CSRF token: %v %d %s", err, resp.StatusCode, body)
				}
			}
		})
	}
}

// TestViewerAndAdminReadNoCasework: separation of duties — neither the
// viewer nor the administrator reads or changes casework.
func TestViewerAndAdminReadNoCasework(t *testing.T) {
	f := newFixture(t)
	cs := f.openCase("duties", event.TLPClear)
	for _, user := range []string{"viewer", "admin"} {
		c := f.env.Login(user)
		for _, p := range []string{"/cases", fmt.Sprintf("/api/v1/cases/%d", cs.ID), "/requests", "/assess"} {
			if s, _ := c.Get(p); s != http.StatusForbidden {
				t.Errorf("%s GET %s: %d", user, p, s)
			}
		}
		if code, _ := postJSON(t, c, "/api/v1/cases", map[string]any{"title": "x"}); code != http.StatusForbidden {
			t.Errorf("%s opens a case: %d", user, code)
		}
		if code, _ := postJSON(t, f.env.WithToken(user), "/api/v1/cases", map[string]any{"title": "x"}); code != http.StatusForbidden {
			t.Errorf("%s opens a case with a token: %d", user, code)
		}
	}
	if !principal("analyst").Can(auth.WriteCases) || principal("liaison").Can(auth.WriteCases) {
		t.Fatal("the role table changed; revisit this test")
	}
}
