package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/concord-cert/concord/internal/enrich"
	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/store"
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
	c2     *enrich.C2Index
}

// openStore opens the database at path.
func openStore(ctx context.Context, path string) (store.Store, error) {
	return sqlite.Open(ctx, path)
}

// openSession opens the database and loads the active IP database and the
// relay lists.
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
	entries, err := st.ListEntries(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	s.lists, s.nLists = enrich.NewIndex(entries), len(entries)
	s.c2 = enrich.NewC2Index()
	if err := st.EachC2(ctx, s.c2.Add); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
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

// enricher returns an Enricher for one ingest; the C&C index it shares
// learns the servers each ingest sees, for the next files of the run.
func (s *session) enricher() *enrich.Enricher { return enrich.New(s.geo, s.lists).WithC2(s.c2) }

func (s *session) close() error { return s.st.Close() }
