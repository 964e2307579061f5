package app_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/web"
	"github.com/concord-cert/concord/internal/web/app"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// documented reports whether a route belongs in the OpenAPI document: the
// JSON API and the machine endpoints, not the HTML pages, nor the TAXII
// server, whose interface the TAXII 2.1 specification defines.
func documented(rt web.Route) bool {
	if strings.HasPrefix(rt.Path, "/taxii2/") {
		return false
	}
	return rt.API() || slices.Contains([]string{"/healthz", "/readyz", "/metrics"}, rt.Path)
}

// TestOpenAPIMatchesRoutes checks the served OpenAPI document against the
// routes the server really has, both ways: every API route is documented
// with its method and security, and every documented operation exists.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	env := webtest.New(t, app.Areas...)
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			Summary   string                 `json:"summary"`
			Security  *[]map[string][]string `json:"security"`
			Responses map[string]any         `json:"responses"`
		} `json:"paths"`
		Components struct {
			SecuritySchemes map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	status, body := env.Anonymous().Get("/api/openapi.json")
	if status != http.StatusOK {
		t.Fatalf("GET /api/openapi.json: %d", status)
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("the OpenAPI document is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	for _, name := range []string{"bearer", "session"} {
		if doc.Components.SecuritySchemes[name] == nil {
			t.Errorf("security scheme %q is not defined", name)
		}
	}
	routes := map[string]web.Route{}
	for _, rt := range env.Server.Routes() {
		if !documented(rt) {
			continue
		}
		key := strings.ToLower(rt.Method) + " " + rt.Path
		routes[key] = rt
		op, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("route %s %s (%s) is not in the OpenAPI document", rt.Method, rt.Path, rt.Summary)
			continue
		}
		if op.Summary == "" || len(op.Responses) == 0 {
			t.Errorf("%s %s: the document gives no summary or no responses", rt.Method, rt.Path)
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public != (rt.Access == web.Public) {
			t.Errorf("%s %s: documented as public=%v, the route is public=%v", rt.Method, rt.Path, public, rt.Access == web.Public)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if _, ok := routes[method+" "+path]; !ok {
				t.Errorf("the OpenAPI document has %s %s, which the server does not serve", strings.ToUpper(method), path)
			}
		}
	}
}
