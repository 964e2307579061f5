package taxii

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
)

// Media types of TAXII 2.1 and of the STIX 2.1 objects it carries.
const (
	MediaType = "application/taxii+json;version=2.1"
	STIXType  = "application/stix+json;version=2.1"
)

// Limits of the API root, advertised in its information resource.
const (
	// MaxContentLength bounds a POSTed envelope.
	MaxContentLength = 16 << 20
	// MaxObjectSize bounds one object of an envelope.
	MaxObjectSize = 1 << 20
	// DefaultPage is the page size when the client names no limit.
	DefaultPage = 1000
)

// Paths of the server.
const (
	Discovery = "/taxii2/"
	APIRoot   = "/taxii2/api/"
)

// Register adds the TAXII routes to s. Its store must keep TAXII objects.
func Register(s *web.Server) error {
	ts, ok := s.Store.(store.TAXII)
	if !ok {
		return errors.New("taxii: the store keeps no TAXII objects")
	}
	a := &api{s: s, st: ts}
	s.Use(Basic(s))
	for _, rt := range []struct {
		method, path string
		action       auth.Action
		summary      string
		fn           func(*call) error
		max          int64
	}{
		{"GET", "/taxii2/{$}", auth.ReadEvents, "TAXII discovery: the server and its API root", a.discovery, 0},
		{"GET", "/taxii2/api/{$}", auth.ReadEvents, "TAXII API root information", a.apiRoot, 0},
		{"GET", "/taxii2/api/collections/{$}", auth.ReadEvents, "TAXII collections the caller may read or write", a.collections, 0},
		{"GET", "/taxii2/api/collections/{id}/{$}", auth.ReadEvents, "One TAXII collection", a.collection, 0},
		{"GET", "/taxii2/api/collections/{id}/manifest/{$}", auth.ReadEvents, "Manifest of a TAXII collection's objects (added_after, limit, next, match[id|type|version|spec_version])", a.manifest, 0},
		{"GET", "/taxii2/api/collections/{id}/objects/{$}", auth.ReadEvents, "Objects of a TAXII collection (added_after, limit, next, match[id|type|version|spec_version])", a.objects, 0},
		{"POST", "/taxii2/api/collections/{id}/objects/{$}", auth.Ingest, "Add a TAXII envelope of STIX objects to a collection; answers a status resource", a.add, MaxContentLength},
		{"GET", "/taxii2/api/collections/{id}/objects/{ref}/{$}", auth.ReadEvents, "One object of a TAXII collection (added_after, limit, next, match[version|spec_version])", a.object, 0},
		{"DELETE", "/taxii2/api/collections/{id}/objects/{ref}/{$}", auth.Ingest, "Delete an object's versions from a TAXII collection (match[version|spec_version])", a.delete, 0},
		{"GET", "/taxii2/api/collections/{id}/objects/{ref}/versions/{$}", auth.ReadEvents, "Versions of one object of a TAXII collection (added_after, limit, next, match[spec_version])", a.versions, 0},
		{"GET", "/taxii2/api/status/{id}/{$}", auth.ReadEvents, "Status of an envelope POSTed to a TAXII collection", a.status, 0},
	} {
		s.Handle(web.Route{Method: rt.method, Path: rt.path, Access: web.Public, Action: rt.action,
			Summary: rt.summary, Handler: a.handle(rt.action, rt.fn), MaxBody: rt.max})
	}
	return nil
}

// api serves the TAXII routes.
type api struct {
	s  *web.Server
	st store.TAXII
}

// call is one TAXII request.
type call struct {
	*web.Ctx
	a *api
	// self is this node's agency, the owner of every object served.
	self string
}

// taxiiError is a TAXII error message resource with its HTTP status.
type taxiiError struct {
	Status      int
	Title       string
	Description string
}

func (e *taxiiError) Error() string { return e.Title + ": " + e.Description }

func fail(status int, title, format string, args ...any) error {
	return &taxiiError{Status: status, Title: title, Description: fmt.Sprintf(format, args...)}
}

// handle wraps fn: content negotiation, the caller's credentials and
// action, and every error answered as a TAXII error message.
func (a *api) handle(action auth.Action, fn func(*call) error) web.Handler {
	return func(c *web.Ctx) error {
		cl := &call{Ctx: c, a: a}
		err := cl.check(action)
		if err == nil {
			err = fn(cl)
		}
		if err != nil {
			cl.fail(err)
		}
		return nil
	}
}

// check admits the call: an acceptable Accept header, a caller, and the
// action.
func (c *call) check(action auth.Action) error {
	if !acceptable(c.R.Header.Values("Accept")) {
		return fail(http.StatusNotAcceptable, "Not acceptable", "this server answers %s only; send it in the Accept header", MediaType)
	}
	if u, ok := basicUser(c.R); ok && c.User == nil {
		c.User = u
		c.P = web.PrincipalOf(*u)
	}
	if c.User == nil {
		c.W.Header().Add("WWW-Authenticate", `Basic realm="concord TAXII", charset="UTF-8"`)
		c.W.Header().Add("WWW-Authenticate", `Bearer realm="concord"`)
		return fail(http.StatusUnauthorized, "Authentication required", "send a user name and password (HTTP Basic) or an API token (Authorization: Bearer cnc_...)")
	}
	// A session always has a CSRF token; an API token has none and is
	// issued by an administrator, so a one-time password does not stop it.
	if c.User.MustChange && (c.CSRF != "" || isBasic(c.R)) {
		return fail(http.StatusForbidden, "Password change required", "change your one-time password first, at /account/password")
	}
	if !c.P.Can(action) {
		return fail(http.StatusForbidden, "Forbidden", "your roles do not allow this (%s)", action)
	}
	c.self = c.Self()
	return nil
}

// fail answers err as a TAXII error message.
func (c *call) fail(err error) {
	var te *taxiiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &te):
	case errors.As(err, &mbe):
		te = &taxiiError{Status: http.StatusRequestEntityTooLarge, Title: "Request too large",
			Description: fmt.Sprintf("the request is larger than the %d bytes this API root accepts (max_content_length)", mbe.Limit)}
	case errors.Is(err, store.ErrNotFound):
		te = &taxiiError{Status: http.StatusNotFound, Title: "Not found", Description: "no such resource"}
	default:
		c.S.Cfg.Log.Error("TAXII request failed", "path", c.R.URL.Path, "user", c.P.User, "err", err)
		te = &taxiiError{Status: http.StatusInternalServerError, Title: "Internal error", Description: "the server log has the details"}
	}
	c.write(te.Status, map[string]string{"title": te.Title, "description": te.Description, "http_status": strconv.Itoa(te.Status)})
}

// write answers v as TAXII JSON with status.
func (c *call) write(status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.W.Header().Set("Content-Type", MediaType)
	c.W.WriteHeader(status)
	_, err = c.W.Write(b)
	return err
}

// acceptable reports whether a client sending accept takes TAXII 2.1
// JSON: no Accept header, a wildcard, application/taxii+json without a
// version or at 2.1, or plain application/json (which TAXII 2.1 JSON is).
func acceptable(accept []string) bool {
	if len(accept) == 0 {
		return true
	}
	for _, h := range accept {
		for _, part := range strings.Split(h, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
					continue
				}
			}
			switch mt {
			case "*/*", "application/*", "application/json":
				return true
			case "application/taxii+json":
				if v, ok := params["version"]; !ok || v == "2.1" {
					return true
				}
			}
		}
	}
	return false
}

// collection returns the collection named in the path, and refuses a
// caller who may neither read it nor, when write is set, write to it.
func (c *call) collection(write bool) (*Collection, error) {
	name := c.R.PathValue("id")
	col, ok := CollectionNamed(name)
	if !ok {
		return nil, fail(http.StatusNotFound, "Collection not found", "no collection %q on this API root", name)
	}
	if write && !c.canWrite(&col) {
		return nil, fail(http.StatusForbidden, "Forbidden", "you may not add to or delete from the collection %s", col.Alias)
	}
	if !write && !c.canRead(&col) {
		return nil, fail(http.StatusForbidden, "Forbidden", "you may not read the collection %s", col.Alias)
	}
	return &col, nil
}

func (c *call) member(col *Collection) bool {
	return !col.Agency || (c.self != "" && c.P.Agency == c.self)
}

func (c *call) canRead(col *Collection) bool { return c.P.Can(auth.ReadEvents) && c.member(col) }

func (c *call) canWrite(col *Collection) bool { return c.P.Can(auth.Ingest) && c.member(col) }

// tlps are the labels of col the caller may receive.
func (c *call) tlps(col *Collection) []event.TLP {
	var out []event.TLP
	for _, t := range c.TLPs(c.self) {
		if t <= col.MaxTLP {
			out = append(out, t)
		}
	}
	return out
}

// root is the absolute URL of path on this server, for discovery.
func (c *call) root(path string) string {
	scheme := "http"
	if c.R.TLS != nil || c.S.Cfg.Secure {
		scheme = "https"
	}
	return scheme + "://" + c.R.Host + path
}

func (a *api) discovery(c *call) error {
	return c.write(http.StatusOK, map[string]any{
		"title":       "Concord TAXII server",
		"description": "STIX 2.1 objects shared by this Concord node, one collection per sharing audience.",
		"default":     c.root(APIRoot),
		"api_roots":   []string{c.root(APIRoot)},
	})
}

func (a *api) apiRoot(c *call) error {
	return c.write(http.StatusOK, map[string]any{
		"title":              "Concord",
		"description":        "The node's collections, filtered by TLP and agency like every other answer of the node.",
		"versions":           []string{MediaType},
		"max_content_length": MaxContentLength,
	})
}

// collectionResource is a collection as the caller sees it.
func (c *call) collectionResource(col *Collection) map[string]any {
	return map[string]any{
		"id": col.ID, "title": col.Title, "description": col.Description, "alias": col.Alias,
		"can_read": c.canRead(col), "can_write": c.canWrite(col), "media_types": []string{STIXType},
	}
}

func (a *api) collections(c *call) error {
	out := []map[string]any{}
	for i := range collections {
		if col := &collections[i]; c.canRead(col) || c.canWrite(col) {
			out = append(out, c.collectionResource(col))
		}
	}
	return c.write(http.StatusOK, map[string]any{"collections": out})
}

func (a *api) collection(c *call) error {
	col, err := c.collection(false)
	if err != nil {
		return err
	}
	return c.write(http.StatusOK, c.collectionResource(col))
}
