package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
	"github.com/concord-cert/concord/internal/web/app"
)

func runServe(ctx context.Context, e *env, args []string) int {
	fs := e.newFlags("serve", "[--db PATH] [--addr HOST:PORT] [--data DIR] [--tls-cert FILE --tls-key FILE]")
	db := fs.String("db", e.cfg.DB, "database `path` or postgres:// URL")
	addr := fs.String("addr", "127.0.0.1:8080", "`address` to listen on")
	home := fs.String("home", e.cfg.Home, "reporting `country`, ISO 3166-1 alpha-2, for the dashboard and reports (or CONCORD_HOME)")
	data := fs.String("data", "", "data `directory` for the evidence vault and signing keys (default: beside the SQLite file; required with PostgreSQL)")
	certFile := fs.String("tls-cert", "", "TLS certificate `file` (PEM); with --tls-key, serve HTTPS")
	keyFile := fs.String("tls-key", "", "TLS private key `file` (PEM)")
	proxied := fs.Bool("behind-tls-proxy", false, "plain HTTP beyond loopback is allowed because a TLS-terminating proxy is in front; cookies are marked Secure")
	verbose := fs.Bool("v", false, "log every request (method, route, status, time; never a query string or a header)")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	opts := serveOptions{db: *db, addr: *addr, data: *data, home: strings.ToUpper(*home), certFile: *certFile, keyFile: *keyFile, proxied: *proxied, verbose: *verbose}
	return e.serve(ctx, opts, []auth.Role{auth.RoleAdmin}, false)
}

// serveOptions are serve's settings; the demo passes its own.
type serveOptions struct {
	db, addr, data    string
	home              string
	certFile, keyFile string
	proxied, verbose  bool
	// ready, when set, is told the address once the server listens.
	ready func(url string)
}

// serve runs the web server until ctx ends (SIGINT or SIGTERM), then lets
// requests in flight finish. On a database without accounts it creates
// "admin" with roles and prints its one-time password.
func (e *env) serve(ctx context.Context, o serveOptions, bootstrapRoles []auth.Role, resetAdmin bool) int {
	tlsOn := o.certFile != "" || o.keyFile != ""
	if tlsOn && (o.certFile == "" || o.keyFile == "") {
		return e.fail(exitUsage, "give both --tls-cert and --tls-key")
	}
	if !tlsOn && !o.proxied && !web.IsLoopback(o.addr) {
		return e.fail(exitUsage, "refusing to serve plain HTTP on %s, beyond this machine: passwords and marked data would cross the network in clear. Use --tls-cert and --tls-key, or --behind-tls-proxy when a TLS proxy is in front", o.addr)
	}
	data := dataDir(o.db, o.data)
	if data == "" {
		return e.fail(exitUsage, "with a PostgreSQL database, name the data directory for the evidence vault and keys with --data (or CONCORD_DATA)")
	}
	st, err := node.OpenStore(ctx, o.db)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer st.Close()
	ws, ok := st.(web.Store)
	if !ok {
		return e.fail(exitFailure, "this database backend cannot serve the web interface")
	}
	self, err := ws.SelfAgency(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return e.fail(exitUsage, "register this node's agency first: concord agency add --db %s --self --id ID --name NAME --country CC", o.db)
	}
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	srv, err := app.New(ws, web.Config{
		Data: data, Home: o.home, Deadlines: e.cfg.deadlines(),
		Secure: tlsOn || o.proxied, Log: logger,
	})
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	pw, err := web.Bootstrap(ctx, ws, self.ID, bootstrapRoles, resetAdmin, time.Now().UTC())
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	scheme := "http"
	if tlsOn {
		cert, err := tls.LoadX509KeyPair(o.certFile, o.keyFile)
		if err != nil {
			ln.Close()
			return e.fail(exitUsage, "TLS: %v", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	url := scheme + "://" + displayAddr(ln.Addr().String())
	fmt.Fprintf(e.stdout, "\nConcord is serving %s (%s) at %s\n", self.Name, self.ID, url)
	if pw != "" {
		printBootstrap(e.stdout, url, pw, bootstrapRoles)
	}
	fmt.Fprintln(e.stdout, "Press Ctrl-C to stop.")
	if o.ready != nil {
		o.ready(url)
	}
	if err := srv.Serve(ctx, ln, 30*time.Second); err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	fmt.Fprintln(e.stderr, "concord serve: stopped")
	return exitOK
}

// printBootstrap shows the one-time administrator login.
func printBootstrap(w io.Writer, url, pw string, roles []auth.Role) {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	fmt.Fprintf(w, "One-time login (shown once; you choose your own password at first login):\n")
	fmt.Fprintf(w, "  %s/login   user: admin   password: %s   roles: %s\n", url, pw, strings.Join(names, ", "))
}

// displayAddr makes a listener's address clickable: an unspecified host
// (":8080", "0.0.0.0:8080") is shown as 127.0.0.1.
func displayAddr(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return a
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
