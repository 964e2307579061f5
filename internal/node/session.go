// Package node opens what every part of a Concord node works with: the
// database (SQLite file or PostgreSQL server), the active IP database, the
// relay lists and the C&C index that enrichment needs. The command line
// and the web server both use it, so a page and a command see the same
// node the same way.
package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/enrich"
	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/store/postgres"
	"github.com/concord-cert/concord/internal/store/sqlite"
)

// Session is an open database with the IP database and lists that
// enrichment needs.
type Session struct {
	St     store.Store
	Geo    *ipdb.DB
	GeoID  int64
	Lists  *enrich.Index
	NLists int
	// ListKinds counts the loaded entries by kind name ("tor-exit", ...).
	ListKinds map[string]int
	c2        *enrich.C2Index
}

// OpenStore opens the database named by --db: a PostgreSQL server for a
// postgres:// URL, else a SQLite file at that path.
func OpenStore(ctx context.Context, db string) (store.CaseStore, error) {
	if IsPostgres(db) {
		return postgres.Open(ctx, db)
	}
	return sqlite.Open(ctx, db)
}

// IsPostgres reports whether --db names a PostgreSQL server.
func IsPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// Open opens the database and loads the active IP database; the
// relay lists are loaded by LoadLists, for the commands that use them.
func Open(ctx context.Context, path string) (*Session, error) {
	st, err := OpenStore(ctx, path)
	if err != nil {
		return nil, err
	}
	s := &Session{St: st}
	if err := s.LoadGeo(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// LoadLists indexes the relay-list entries valid at some time between from
// and to (zero times: all of them) and counts them by kind.
func (s *Session) LoadLists(ctx context.Context, from, to time.Time) error {
	var b enrich.IndexBuilder
	kinds := map[string]int{}
	n := 0
	if err := s.St.EachListRange(ctx, from, to, func(r store.ListRange) {
		b.Add(r)
		n++
		for _, name := range r.Kind.Names() {
			kinds[name]++
		}
	}); err != nil {
		return err
	}
	s.Lists, s.NLists, s.ListKinds = b.Index(), n, kinds
	return nil
}

// LoadGeo picks the operator's database when one was loaded, the embedded
// snapshot otherwise, and makes sure the store knows its name.
func (s *Session) LoadGeo(ctx context.Context) error {
	rec, err := s.St.ActiveIPDB(ctx)
	switch {
	case err == nil && rec.Data != nil:
		db, err := ipdb.Decode(rec.Data)
		if err != nil {
			return fmt.Errorf("the IP database %s stored in the database is damaged (%v); load it again with `concord ipdb load`", rec.Name, err)
		}
		s.Geo, s.GeoID = db, rec.ID
		return nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	}
	db, err := ipdb.Default()
	if err != nil {
		return err
	}
	id, err := s.St.RegisterIPDB(ctx, db.ID(), nil, false)
	if err != nil {
		return err
	}
	s.Geo, s.GeoID = db, id
	return nil
}

// Enricher returns an Enricher for one ingest. The C&C index it links flows
// with is loaded on first use (only ingests need it) and learns the servers
// each ingest sees, for the next files of the run.
func (s *Session) Enricher(ctx context.Context) (*enrich.Enricher, error) {
	if s.c2 == nil {
		x := enrich.NewC2Index()
		if err := s.St.EachC2(ctx, x.Add); err != nil {
			return nil, err
		}
		s.c2 = x
	}
	return enrich.New(s.Geo, s.Lists).WithC2(s.c2), nil
}

// Close closes the database.
func (s *Session) Close() error { return s.St.Close() }
