package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"time"

	cooperation "github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/store"
)

// coop is what the cooperation commands work with: the database, the data
// directory that holds the evidence vault and this agency's signing key,
// who is acting, and the cooperation workflow over them.
type coop struct {
	st    store.CaseStore
	data  string
	actor string
	n     *cooperation.Node
}

// coopFlags are the flags every cooperation command takes.
type coopFlags struct {
	db, data *string
	asJSON   *bool
}

func (e *env) coopFlags(fs *flag.FlagSet) coopFlags {
	return coopFlags{
		db:     fs.String("db", e.cfg.DB, "database `path`"),
		data:   fs.String("data", "", "data `directory` for the evidence vault and signing keys (default: CONCORD_DATA, else the SQLite path without .db, plus -data; required with PostgreSQL)"),
		asJSON: fs.Bool("json", false, "print one JSON object"),
	}
}

// dataDir is the data directory of a database: concord.db keeps its vault
// and keys in concord-data/ beside it, so two databases in one directory
// never share them.
func dataDir(db, flag string) string {
	if flag != "" {
		return flag
	}
	if v := os.Getenv("CONCORD_DATA"); v != "" {
		return v
	}
	if node.IsPostgres(db) {
		// A server has no "beside": the vault must be named.
		return ""
	}
	return strings.TrimSuffix(db, filepath.Ext(db)) + "-data"
}

func (e *env) openCoop(ctx context.Context, f coopFlags) (*coop, error) {
	data := dataDir(*f.db, *f.data)
	if data == "" {
		return nil, errors.New("with a PostgreSQL database, name the data directory for the evidence vault and keys with --data (or CONCORD_DATA)")
	}
	st, err := node.OpenStore(ctx, *f.db)
	if err != nil {
		return nil, err
	}
	c := &coop{st: st, data: data, actor: actor()}
	c.n = &cooperation.Node{St: st, Data: data, Actor: c.actor, Deadlines: e.cfg.deadlines()}
	return c, nil
}

func (c *coop) close() error { return c.st.Close() }

// actor names who runs the command, for the audit log and the chain of
// custody: CONCORD_ACTOR, else the operating-system user.
func actor() string {
	if a := strings.TrimSpace(os.Getenv("CONCORD_ACTOR")); a != "" {
		return a
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// now is the time of a change, in UTC with the precision the store keeps.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// result prints a command's answer: v as JSON with --json, else text.
func (e *env) result(asJSON bool, v any, text func()) int {
	if asJSON {
		if err := e.printJSON(v); err != nil {
			return exitFailure
		}
		return exitOK
	}
	text()
	return exitOK
}

// storeError turns a store error into the exit code and message a user
// needs: a missing record or a conflict is the user's action, anything else
// a failure.
func (e *env) storeError(err error) int {
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExists), errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrReplay):
		return e.fail(exitUsage, "%v", err)
	}
	return e.fail(exitFailure, "%v", err)
}

// coopError turns an error of the cooperation workflow into the exit code
// and message a user needs: a problem with the command line or the action
// is a usage error naming the flag, incomplete request fields are listed,
// the rest is a store error.
func (e *env) coopError(asJSON bool, err error) int {
	var p *cooperation.Problem
	var inc *cooperation.IncompleteError
	switch {
	case errors.As(err, &inc):
		return e.fieldsProblem(asJSON, inc)
	case errors.As(err, &p):
		return e.fail(exitUsage, "%s", p.Flag())
	}
	return e.storeError(err)
}

// need fails with a usage error naming a missing flag.
func (e *env) need(fs *flag.FlagSet, names ...string) bool {
	for _, n := range names {
		if f := fs.Lookup(n); f != nil && f.Value.String() == "" {
			fmt.Fprintf(e.stderr, "concord %s: --%s is required\n", fs.Name(), n)
			fs.Usage()
			return false
		}
	}
	return true
}

// subcommand dispatches "concord GROUP SUB ...".
func (e *env) subcommand(ctx context.Context, group string, args []string, subs map[string]func(context.Context, []string) int) int {
	if len(args) == 0 || subs[args[0]] == nil {
		names := slices.Sorted(maps.Keys(subs))
		fmt.Fprintf(e.stderr, "Usage: concord %s %s [flags]\n", group, strings.Join(names, "|"))
		return exitUsage
	}
	return subs[args[0]](ctx, args[1:])
}

// withCoop opens the database for a cooperation command, runs fn with it
// and closes it; fn's result is the command's exit code.
func (e *env) withCoop(ctx context.Context, f coopFlags, fn func(c *coop) int) int {
	c, err := e.openCoop(ctx, f)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer c.close()
	return fn(c)
}
