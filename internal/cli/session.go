package cli

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

// session is an open database with the IP database and lists that
// enrichment needs.
type session struct {
	st     store.Store
	geo    *ipdb.DB
	geoID  int64
	lists  *enrich.Index
	nLists int
	// listKinds counts the loaded entries by kind name ("tor-exit", ...).
	listKinds map[string]int
	c2        *enrich.C2Index
}

// openStore opens the database named by --db: a PostgreSQL server for a
// postgres:// URL, else a SQLite file at that path.
func openStore(ctx context.Context, db string) (store.CaseStore, error) {
	if isPostgres(db) {
		return postgres.Open(ctx, db)
	}
	return sqlite.Open(ctx, db)
}

// isPostgres reports whether --db names a PostgreSQL server.
func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// openSession opens the database and loads the active IP database; the
// relay lists are loaded by loadLists, for the commands that use them.
func openSession(ctx context.Context, path string) (*session, error) {
	st, err := openStore(ctx, path)
	if err != nil {
		return nil, err
	}
	s := &session{st: st}
	if err := s.loadGeo(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// loadLists indexes the relay-list entries valid at some time between from
// and to (zero times: all of them) and counts them by kind.
func (s *session) loadLists(ctx context.Context, from, to time.Time) error {
	var b enrich.IndexBuilder
	kinds := map[string]int{}
	n := 0
	if err := s.st.EachListRange(ctx, from, to, func(r store.ListRange) {
		b.Add(r)
		n++
		for _, name := range r.Kind.Names() {
			kinds[name]++
		}
	}); err != nil {
		return err
	}
	s.lists, s.nLists, s.listKinds = b.Index(), n, kinds
	return nil
}

// loadGeo picks the operator's database when one was loaded, the embedded
// snapshot otherwise, and makes sure the store knows its name.
func (s *session) loadGeo(ctx context.Context) error {
	rec, err := s.st.ActiveIPDB(ctx)
	switch {
	case err == nil && rec.Data != nil:
		db, err := ipdb.Decode(rec.Data)
		if err != nil {
			return fmt.Errorf("the IP database %s stored in the database is damaged (%v); load it again with `concord ipdb load`", rec.Name, err)
		}
		s.geo, s.geoID = db, rec.ID
		return nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	}
	db, err := ipdb.Default()
	if err != nil {
		return err
	}
	id, err := s.st.RegisterIPDB(ctx, db.ID(), nil, false)
	if err != nil {
		return err
	}
	s.geo, s.geoID = db, id
	return nil
}

// enricher returns an Enricher for one ingest. The C&C index it links flows
// with is loaded on first use (only ingests need it) and learns the servers
// each ingest sees, for the next files of the run.
func (s *session) enricher(ctx context.Context) (*enrich.Enricher, error) {
	if s.c2 == nil {
		x := enrich.NewC2Index()
		if err := s.st.EachC2(ctx, x.Add); err != nil {
			return nil, err
		}
		s.c2 = x
	}
	return enrich.New(s.geo, s.lists).WithC2(s.c2), nil
}

func (s *session) close() error { return s.st.Close() }
