package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/store"
)

//go:embed pages/*.tmpl
var corePageFS embed.FS

//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI 3 document served at /api/openapi.json.
func OpenAPI() []byte { return bytes.Clone(openAPI) }

func (s *Server) coreRoutes() {
	s.Handle(Route{Method: "GET", Path: "/login", Access: Public, Summary: "Login form", Handler: s.loginPage})
	s.Handle(Route{Method: "POST", Path: "/login", Access: Public, Summary: "Log in with user name and password", Handler: s.loginSubmit, MaxBody: 16 << 10})
	s.Handle(Route{Method: "POST", Path: "/logout", Access: Public, Summary: "Log out", Handler: s.logout, MaxBody: 16 << 10})
	s.Handle(Route{Method: "GET", Path: "/account/password", Action: auth.ReadReports, Summary: "Password change form", Handler: s.passwordPage})
	s.Handle(Route{Method: "POST", Path: "/account/password", Action: auth.ReadReports, Summary: "Change one's own password", Handler: s.passwordSubmit, MaxBody: 16 << 10})
	s.Handle(Route{Method: "GET", Path: "/healthz", Access: Public, Summary: "Liveness: the process answers", Handler: s.healthz})
	s.Handle(Route{Method: "GET", Path: "/readyz", Access: Public, Summary: "Readiness: the database answers", Handler: s.readyz})
	s.Handle(Route{Method: "GET", Path: "/metrics", Action: auth.ReadMetrics, Summary: "Prometheus metrics", Handler: s.metricsPage})
	s.Handle(Route{Method: "GET", Path: "/api/openapi.json", Access: Public, Summary: "This API's OpenAPI 3 document", Handler: s.openAPIDoc})
	s.Handle(Route{Method: "GET", Path: "/api/v1/me", Action: auth.ReadReports, Summary: "Who the caller is: user, agency, roles, clearance", Handler: s.me})
	sub, _ := fs.Sub(assets, "assets")
	static := http.StripPrefix("/assets/", http.FileServerFS(sub))
	s.Handle(Route{Method: "GET", Path: "/assets/", Access: Public, Summary: "Stylesheet and script", Handler: func(c *Ctx) error {
		c.W.Header().Set("Cache-Control", "public, max-age=3600")
		static.ServeHTTP(c.W, c.R)
		return nil
	}})
}

func (s *Server) healthz(c *Ctx) error {
	c.W.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := c.W.Write([]byte("ok\n"))
	return err
}

// readyz answers 200 when the database answers within two seconds.
func (s *Server) readyz(c *Ctx) error {
	ctx, cancel := context.WithTimeout(c.R.Context(), 2*time.Second)
	defer cancel()
	c.W.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if _, err := s.Store.SelfAgency(ctx); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.Cfg.Log.Warn("readiness check failed", "err", err)
		c.W.WriteHeader(http.StatusServiceUnavailable)
		_, err := c.W.Write([]byte("database unreachable\n"))
		return err
	}
	_, err := c.W.Write([]byte("ready\n"))
	return err
}

func (s *Server) metricsPage(c *Ctx) error {
	var buf bytes.Buffer
	if err := s.metrics.write(c.R.Context(), &buf, s.Store, s.Cfg.Now()); err != nil {
		return err
	}
	c.W.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, err := c.W.Write(buf.Bytes())
	return err
}

func (s *Server) openAPIDoc(c *Ctx) error {
	c.W.Header().Set("Content-Type", "application/json")
	_, err := c.W.Write(openAPI)
	return err
}

func (s *Server) me(c *Ctx) error {
	// The CSRF token is readable by this site's own scripts only (the
	// same-origin policy keeps other sites from reading this answer); a
	// token caller has none and needs none.
	return c.JSON(http.StatusOK, map[string]any{
		"user": c.P.User, "agency": c.P.Agency, "roles": c.P.Roles,
		"clearance": c.P.Clearance.String(), "must_change_password": c.User.MustChange,
		"csrf": c.CSRF,
	})
}

// rateLimiter allows n requests per window per key: a fixed window, which
// is enough to keep one address from flooding the public form.
type rateLimiter struct {
	n      int
	window time.Duration
	mu     sync.Mutex
	seen   map[string]*rateWindow
}

type rateWindow struct {
	start time.Time
	n     int
}

func newRateLimiter(n int, window time.Duration) *rateLimiter {
	return &rateLimiter{n: n, window: window, seen: map[string]*rateWindow{}}
}

// allow counts one request of key at now and reports whether it is within
// the limit.
func (l *rateLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.seen[key]
	if w == nil || now.Sub(w.start) >= l.window {
		if len(l.seen) > 100_000 {
			for k, v := range l.seen {
				if now.Sub(v.start) >= l.window {
					delete(l.seen, k)
				}
			}
		}
		w = &rateWindow{start: now}
		l.seen[key] = w
	}
	w.n++
	return w.n <= l.n
}

// PublicLimit refuses, with 429, a public-page request beyond the per
// address limit (20 a minute).
func (c *Ctx) PublicLimit() error {
	if !c.S.victimLimit.allow(clientAddr(c.R).String(), c.S.Cfg.Now()) {
		c.W.Header().Set("Retry-After", "60")
		return Errorf(http.StatusTooManyRequests, "too many requests from your address; wait a minute and try again")
	}
	return nil
}
