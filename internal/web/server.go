package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/store"
)

// Store is what the server reads and changes: the event store, casework,
// accounts and search. Both backends provide it.
type Store interface {
	store.CaseStore
	store.Accounts
	store.Searcher
}

// Config is how the server runs.
type Config struct {
	// Data is the data directory: the evidence vault and signing keys.
	Data string
	// Home is the reporting country (ISO 3166-1 alpha-2).
	Home string
	// Deadlines are the request timers.
	Deadlines casework.Deadlines
	// Secure marks cookies Secure: set when served over TLS or through a
	// TLS-terminating proxy.
	Secure bool
	// SessionTTL is how long a login lasts (default 12 hours).
	SessionTTL time.Duration
	// MaxUpload bounds an ingest upload (default 1 GiB).
	MaxUpload int64
	// Now returns the current time (default time.Now); tests fix it.
	Now func() time.Time
	// Log receives one line per request, never a secret.
	Log *slog.Logger
}

// Server is a Concord node's HTTP server.
type Server struct {
	Store Store
	Cfg   Config

	mux      *http.ServeMux
	routes   []Route
	layout   *template.Template
	core     Pages
	metrics  *Metrics
	throttle *auth.Throttle
	// victimLimit throttles the public pages per client address.
	victimLimit *rateLimiter

	// middleware wraps the routes, outermost last (Use).
	middleware []func(http.Handler) http.Handler

	mu      sync.Mutex
	onClose []func()
}

// New returns a server over st with the core routes (login, logout,
// health, metrics, assets) registered; subpackages add theirs with Handle.
func New(st Store, cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = 1 << 30
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Deadlines.Response == nil {
		cfg.Deadlines = casework.DefaultDeadlines()
	}
	layout, err := parseLayout()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Store:       st,
		Cfg:         cfg,
		mux:         http.NewServeMux(),
		layout:      layout,
		metrics:     newMetrics(),
		throttle:    auth.NewThrottle(auth.DefaultThrottleConfig()),
		victimLimit: newRateLimiter(20, time.Minute),
	}
	if s.core, err = s.ParsePages(corePageFS, "pages/*.tmpl"); err != nil {
		return nil, err
	}
	s.coreRoutes()
	return s, nil
}

// Routes returns every registered route, for the OpenAPI check and the
// authorization tests.
func (s *Server) Routes() []Route { return slices.Clone(s.routes) }

// Metrics returns the server's metrics, for subpackages that count.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Use adds middleware around the routes, inside the security headers and
// metrics: an area that authenticates in a way of its own (TAXII clients
// with HTTP Basic) registers it here. Call it before Handler.
func (s *Server) Use(mw func(http.Handler) http.Handler) {
	s.middleware = append(s.middleware, mw)
}

// Handler returns the server's root handler: security headers, request
// metrics and logging around the middleware and the routes.
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.mux
	for _, mw := range s.middleware {
		h = mw(h)
	}
	return s.observe(secureHeaders(h))
}

// OnClose registers fn to run when the server shuts down (background
// loops of subpackages).
func (s *Server) OnClose(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onClose = append(s.onClose, fn)
}

// Serve answers on ln until ctx is done, then stops accepting, lets
// requests in flight finish for up to grace, and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.Cfg.Log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	go s.sweepSessions(ctx)
	select {
	case err := <-errc:
		s.close()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(sctx)
	s.close()
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("requests still running after %s were cut off", grace)
	}
	return err
}

func (s *Server) close() {
	s.mu.Lock()
	fns := s.onClose
	s.onClose = nil
	s.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// sweepSessions deletes expired sessions every ten minutes.
func (s *Server) sweepSessions(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.Store.DeleteExpiredSessions(ctx, s.Cfg.Now()); err != nil {
				s.Cfg.Log.Warn("session sweep failed", "err", err)
			}
		}
	}
}

// IsLoopback reports whether addr ("host:port") listens on a loopback
// address only, where plain HTTP does not cross a network.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
