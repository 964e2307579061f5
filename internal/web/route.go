package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// Access says who may call a route.
type Access int

const (
	// Staff routes need a logged-in user (session or API token) holding
	// Route.Action.
	Staff Access = iota
	// Public routes answer anyone: the login page, health checks, the
	// victim form and its status page.
	Public
)

// Route is one entry of the routes table.
type Route struct {
	// Method and Path are a net/http pattern: "GET /api/v1/cases/{id}".
	Method, Path string
	Access       Access
	// Action is what a Staff route needs (auth.Principal.Can).
	Action auth.Action
	// Summary is one line for the OpenAPI document and the route list.
	Summary string
	Handler Handler
	// MaxBody bounds the request body (default 1 MiB; uploads set more).
	MaxBody int64
}

// API reports whether the route answers programs rather than people: the
// JSON API, the TAXII server and the metrics. Their errors are JSON or
// text, and a missing login is a 401, never a redirect to the login page.
func (rt Route) API() bool {
	return strings.HasPrefix(rt.Path, "/api/") || strings.HasPrefix(rt.Path, "/taxii2/") || rt.Path == "/metrics"
}

// Handler answers one request. A returned error becomes the response:
// an *Error keeps its status, store.ErrNotFound becomes 404, anything
// else 500 (logged, never shown).
type Handler func(c *Ctx) error

// Ctx is one request as a handler sees it.
type Ctx struct {
	W http.ResponseWriter
	R *http.Request
	// P is the caller; the zero Principal on public routes without a
	// session.
	P auth.Principal
	// User is the caller's account when logged in, nil otherwise.
	User *store.User
	S    *Server
	// CSRF is the session's CSRF token, for forms; empty with API tokens.
	CSRF  string
	route Route
	// viaToken is true when the caller authenticated with an API token.
	viaToken bool
}

// Error is an error with an HTTP status and a message safe to show.
type Error struct {
	Status  int
	Message string
	// RetryAfter, when set, is how long a throttled caller must wait.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with status and a formatted message.
func Errorf(status int, format string, args ...any) error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// NotFound is the answer for a missing item and for an item the caller may
// not receive: both look the same from outside.
func NotFound() error { return Errorf(http.StatusNotFound, "not found") }

// Handle adds a route. It panics on a malformed route, which is a
// programming error found by the first test that builds the server.
func (s *Server) Handle(rt Route) {
	if rt.Handler == nil || rt.Method == "" || !strings.HasPrefix(rt.Path, "/") {
		panic(fmt.Sprintf("web: malformed route %s %s", rt.Method, rt.Path))
	}
	if rt.Access == Staff && !slices.Contains(auth.Actions, rt.Action) {
		panic(fmt.Sprintf("web: staff route %s %s names no known action", rt.Method, rt.Path))
	}
	if rt.MaxBody <= 0 {
		rt.MaxBody = 1 << 20
	}
	s.routes = append(s.routes, rt)
	s.mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
}

// wrap authenticates, authorizes and runs one route.
func (s *Server) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setRoute(r, rt.Method+" "+rt.Path)
		r.Body = http.MaxBytesReader(w, r.Body, rt.MaxBody)
		c := &Ctx{W: w, R: r, S: s, route: rt}
		if err := s.authenticate(c); err != nil {
			c.fail(err)
			return
		}
		if rt.Access == Staff {
			if c.User == nil {
				if rt.API() {
					w.Header().Set("WWW-Authenticate", `Bearer realm="concord"`)
					c.fail(Errorf(http.StatusUnauthorized, "log in or send an API token (Authorization: Bearer cnc_...)"))
					return
				}
				http.Redirect(w, r, "/login?next="+safeNext(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			if c.User.MustChange && !c.viaToken && rt.Path != "/account/password" {
				if rt.API() {
					c.fail(Errorf(http.StatusForbidden, "change your one-time password first, at /account/password"))
					return
				}
				http.Redirect(w, r, "/account/password", http.StatusSeeOther)
				return
			}
			if !c.P.Can(rt.Action) {
				c.fail(Errorf(http.StatusForbidden, "your roles do not allow this (%s)", rt.Action))
				return
			}
		}
		if unsafeMethod(r.Method) && !c.viaToken && (c.User != nil || rt.Access == Staff) {
			if err := c.checkCSRF(); err != nil {
				c.fail(err)
				return
			}
		}
		if err := rt.Handler(c); err != nil {
			c.fail(err)
		}
	})
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// fail answers with err: JSON on API routes, a page otherwise.
func (c *Ctx) fail(err error) {
	var e *Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &e):
	case errors.Is(err, store.ErrNotFound):
		e = &Error{Status: http.StatusNotFound, Message: "not found"}
	case errors.Is(err, store.ErrConflict):
		e = &Error{Status: http.StatusConflict, Message: err.Error()}
	case errors.As(err, &mbe):
		e = &Error{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("the request is larger than the %d bytes this page accepts", mbe.Limit)}
	default:
		c.S.Cfg.Log.Error("request failed", "route", c.route.Method+" "+c.route.Path, "user", c.P.User, "err", err)
		e = &Error{Status: http.StatusInternalServerError, Message: "internal error; the server log has the details"}
	}
	if c.route.API() || wantsJSON(c.R) {
		c.JSON(e.Status, map[string]string{"error": e.Message})
		return
	}
	if err := c.PageStatus(e.Status, "error", http.StatusText(e.Status), e); err != nil {
		c.S.Cfg.Log.Error("error page failed", "err", err)
	}
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json") && !strings.Contains(r.Header.Get("Accept"), "text/html")
}

// JSON writes v as the response body with status.
func (c *Ctx) JSON(status int, v any) error {
	c.W.Header().Set("Content-Type", "application/json; charset=utf-8")
	c.W.WriteHeader(status)
	enc := json.NewEncoder(c.W)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// DecodeJSON reads the request body into v, refusing unknown fields.
func (c *Ctx) DecodeJSON(v any) error {
	dec := json.NewDecoder(c.R.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return Errorf(http.StatusBadRequest, "the request body is not the JSON expected: %v", err)
	}
	return nil
}

// PathInt returns the path value name as a positive integer, or a 404.
func (c *Ctx) PathInt(name string) (int64, error) {
	n, err := strconv.ParseInt(c.R.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, NotFound()
	}
	return n, nil
}

// Self returns this node's agency id, the owner of what the node holds;
// empty when none is registered (then owner-bound items reach no one).
func (c *Ctx) Self() string {
	a, err := c.S.Store.SelfAgency(c.R.Context())
	if err != nil {
		return ""
	}
	return a.ID
}

// MayReceive reports whether the caller may receive an item with marking m
// owned by owner, naming recipients.
func (c *Ctx) MayReceive(m casework.Marking, owner string, recipients []string) bool {
	return c.P.MayReceive(m, owner, recipients)
}

// Receive returns a 404 error unless the caller may receive the item.
func (c *Ctx) Receive(m casework.Marking, owner string, recipients []string) error {
	if !c.P.MayReceive(m, owner, recipients) {
		return NotFound()
	}
	return nil
}

// TLPs returns the labels the caller may receive on items owned by owner
// that name no recipients (events, facts, reports): the EventQuery.TLPs
// of a search.
func (c *Ctx) TLPs(owner string) []event.TLP {
	var out []event.TLP
	for t := event.TLPClear; t <= event.TLPRed; t++ {
		if c.P.MayReceive(casework.Marking{TLP: t}, owner, nil) {
			out = append(out, t)
		}
	}
	return out
}

// Audit records a read or an export in the audit log (custody of evidence
// records it as "accessed").
func (c *Ctx) Audit(action, object string, detail any) error {
	return c.S.Store.Change(c.R.Context(), c.P.User, func(tx store.CaseTx) error {
		return tx.Record(action, object, detail)
	})
}
