package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "concord.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestReopenKeepsSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "concord.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(migrations) {
		t.Fatalf("migrations recorded %d, %v; want %d", n, err, len(migrations))
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "concord.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.DB().Exec(`INSERT INTO schema_migrations(version, applied) VALUES (999, 0)`)
	s.Close()
	if _, err := Open(ctx, path); err == nil {
		t.Fatal("opened a database from a newer concord")
	}
}

// A database from before feed_days existed gets it filled from its events.
func TestMigrationBackfillsFeedDays(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`,
		migrations[0],
		`INSERT INTO schema_migrations VALUES (1, 0)`,
		`INSERT INTO ipdbs(id, name, loaded) VALUES (7, 'old-db@1', 0)`,
		`INSERT INTO ingests(id, ipdb_id, path, format, feed, started, status) VALUES (1, 7, 'x', 'eve', '', 0, 'done')`,
		`INSERT INTO events(key, class, time, feed, tlp, ingest_id, doc) VALUES
			(x'01', 'malicious-code/c2-server', 86400000000 * 19794 + 5, 'feodo-tracker', 2, 1, x'00'),
			(x'02', NULL, 86400000000 * 19794 + 6, 'feodo-tracker', 2, 1, x'00'),
			(x'03', NULL, 86400000000 * 19795, 'suricata', 2, NULL, x'00')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.FeedDays(ctx, 19794, 19795)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.FeedCount{
		{Feed: "feodo-tracker", IPDB: "old-db@1", Incidents: 1, Observations: 1},
		{Feed: "suricata", Observations: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("feed days %+v, want %+v", got, want)
	}
}
