package postgres

import (
	"github.com/concord-cert/concord/internal/store/postgres/pgtest"

	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/audit"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/store/sqlite"
)

// verifyAudit checks the stored chain against its stored head and returns
// the number of entries.
func verifyAudit(s *Store) (int64, error) {
	ctx := context.Background()
	head, err := s.AuditHead(ctx)
	if err != nil {
		return 0, err
	}
	var entries []audit.Entry
	if err := s.EachAudit(ctx, func(e audit.Entry) error { entries = append(entries, e); return nil }); err != nil {
		return 0, err
	}
	i := 0
	return audit.VerifyAgainst(head, func() (audit.Entry, bool, error) {
		if i == len(entries) {
			return audit.Entry{}, false, nil
		}
		i++
		return entries[i-1], true, nil
	})
}

func openCase(s *Store, actor, title string) error {
	return s.Change(context.Background(), actor, func(tx store.CaseTx) error {
		_, err := tx.OpenCase(store.Case{Title: title, TLP: event.TLPAmber, PAP: "AMBER", Opened: time.Now()})
		return err
	})
}

// TestAuditTamperingIsDetected edits the log directly in the database, as
// someone with access to it could, and expects verification to name the
// first bad entry.
func TestAuditTamperingIsDetected(t *testing.T) {
	tests := []struct {
		name   string
		tamper string
		seq    int64
	}{
		{"edited detail", `UPDATE audit SET detail = '{"title":"innocent"}' WHERE seq = 3`, 3},
		{"respaced detail", `UPDATE audit SET detail = replace(detail, ':', ': ') WHERE seq = 3`, 3},
		{"edited actor", `UPDATE audit SET actor = 'someone else' WHERE seq = 2`, 2},
		{"edited time", `UPDATE audit SET time = time + 1 WHERE seq = 4`, 4},
		{"deleted middle", `DELETE FROM audit WHERE seq = 3`, 3},
		{"deleted last", `DELETE FROM audit WHERE seq = 5`, 5},
		{"reordered", `UPDATE audit SET seq = -2 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = -2`, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			for i := range 5 {
				if err := openCase(s, "tester", string(rune('a'+i))); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := verifyAudit(s); err != nil {
				t.Fatalf("before tampering: %v", err)
			}
			if _, err := s.Pool().Exec(context.Background(), tc.tamper); err != nil {
				t.Fatal(err)
			}
			_, err := verifyAudit(s)
			var broken *audit.BrokenError
			if !errors.As(err, &broken) || broken.Seq != tc.seq {
				t.Errorf("after %s: %v, want entry %d named", tc.name, err, tc.seq)
			}
		})
	}
}

// TestChangesFromTwoProcessesKeepTheChainLinear writes changes from two
// stores with their own pools, as two concord processes sharing the
// database would, several at a time from each.
func TestChangesFromTwoProcessesKeepTheChainLinear(t *testing.T) {
	dsn := pgtest.Database(t)
	ctx := context.Background()
	var stores [2]*Store
	for i := range stores {
		s, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	const workers, changes = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*changes)
	for w := range workers {
		s := stores[w%2]
		wg.Go(func() {
			for i := range changes {
				errs <- s.Change(ctx, fmt.Sprintf("process-%d/worker-%d", w%2, w), func(tx store.CaseTx) error {
					id, err := tx.OpenCase(store.Case{Title: fmt.Sprintf("%d-%d", w, i), TLP: event.TLPAmber, PAP: "AMBER", Opened: time.Now()})
					if err != nil {
						return err
					}
					return tx.AddCaseItem(store.CaseItem{CaseID: id, Kind: "note", Ref: "n1", Added: time.Now(), TLP: event.TLPAmber, Note: "first look"})
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n, err := verifyAudit(stores[1])
	if err != nil {
		t.Fatalf("the chain does not verify: %v", err)
	}
	if n != 2*workers*changes {
		t.Errorf("%d entries, want %d", n, 2*workers*changes)
	}
	cases, err := stores[0].Cases(ctx)
	if err != nil || len(cases) != workers*changes || cases[len(cases)-1].ID != workers*changes {
		t.Fatalf("%d cases, the last numbered %d (%v); want ids 1 to %d", len(cases), cases[len(cases)-1].ID, err, workers*changes)
	}
}

// TestDuplicatesDoNotAbortTheChange: with SQLite a duplicate fails one
// statement, and the change may go on; PostgreSQL would abort the whole
// transaction, so the store must find the duplicates without an error.
func TestDuplicatesDoNotAbortTheChange(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	r := store.VictimReport{Reference: "VR-1", Received: time.Now(), Status: "received", TLP: event.TLPAmber, Body: []byte(`{}`)}
	if err := s.Change(ctx, "tester", func(tx store.CaseTx) error {
		if err := tx.AddVictimReport(r); err != nil {
			return err
		}
		return tx.MarkPackageSeen("p1", "de-bka", "request", time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	err := s.Change(ctx, "tester", func(tx store.CaseTx) error {
		if err := tx.AddVictimReport(r); !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("the same report again: %v", err)
		}
		if err := tx.MarkPackageSeen("p1", "de-bka", "request", time.Now()); !errors.Is(err, store.ErrReplay) {
			return fmt.Errorf("the same package again: %v", err)
		}
		for range 2 {
			if _, err := tx.CreateRequest(store.Request{Direction: store.Incoming, Type: "mla", From: "de-bka", To: "pl-cert", Status: "submitted",
				Fields: []byte(`{}`), Created: time.Now(), RemoteID: "de-bka:7"}); err != nil && !errors.Is(err, store.ErrExists) {
				return err
			}
		}
		_, err := tx.OpenCase(store.Case{Title: "goes on", TLP: event.TLPGreen, PAP: "GREEN", Opened: time.Now()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if cs, err := s.Cases(ctx); err != nil || len(cs) != 1 {
		t.Fatalf("cases %+v %v", cs, err)
	}
	if n, err := verifyAudit(s); err != nil || n != 4 {
		t.Fatalf("chain of %d entries: %v; want 4", n, err)
	}
}

// TestCaseworkReadsAsSQLite runs the same changes on both backends and
// compares everything read back (but the times the stores take from the
// clock), so that nil and empty results, orders and error kinds agree.
func TestCaseworkReadsAsSQLite(t *testing.T) {
	pg := openTest(t)
	lite, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "concord.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	ctx := context.Background()
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	script := func(s store.CaseStore) []any {
		var out []any
		read := func(v ...any) { out = append(out, v...) }
		read(s.Agencies(ctx))
		read(s.Cases(ctx))
		read(s.CaseItems(ctx, 1))
		read(s.EvidenceList(ctx, 0))
		read(s.Requests(ctx))
		read(s.RequestHistory(ctx, 1))
		read(s.VictimReports(ctx))
		read(s.Custody(ctx, 1))
		var reqID int64
		var ev store.EvidenceRecord
		errs := []error{
			s.Change(ctx, "tester", func(tx store.CaseTx) error {
				for _, a := range []store.Agency{
					{ID: "pl-cert", Name: "CERT Polska", Country: "PL", Self: true, Created: t0},
					{ID: "DE-bka", Name: "BKA", Country: "DE", Created: t0},
					{ID: "at-bk", Name: "BK", Country: "AT", Created: t0},
				} {
					if err := tx.PutAgency(a); err != nil {
						return err
					}
				}
				for _, ref := range []string{"VR-b", "VR-a", "VR-B"} {
					if err := tx.AddVictimReport(store.VictimReport{Reference: ref, Received: t0, Status: "received", TLP: event.TLPAmber, Body: []byte(`{"x":1}`)}); err != nil {
						return err
					}
				}
				id, err := tx.OpenCase(store.Case{Title: "c", TLP: event.TLPAmber, PAP: "AMBER", Opened: t0})
				if err != nil {
					return err
				}
				for _, ref := range []string{"b", "a", "B", "ä"} {
					if err := tx.AddCaseItem(store.CaseItem{CaseID: id, Kind: "note", Ref: ref, Added: t0, TLP: event.TLPGreen}); err != nil {
						return err
					}
				}
				ev, _, err = tx.AddEvidence(store.EvidenceRecord{CaseID: id, SHA256: "ab", Size: 1, Name: "n", TLP: event.TLPRed, Acquired: t0, AcquiredBy: "me"}, "why")
				if err != nil {
					return err
				}
				reqID, err = tx.CreateRequest(store.Request{CaseID: id, Direction: store.Outgoing, Type: "mla", From: "pl-cert", To: "DE-bka", Status: "draft", Fields: []byte(`{}`), TLP: event.TLPAmber, Created: t0, Due: t0.Add(time.Hour)})
				return err
			}),
			s.Change(ctx, "tester", func(tx store.CaseTx) error {
				return tx.UpdateRequest(store.Request{ID: reqID, Version: 7, Status: "x", Fields: []byte(`{}`)}, store.RequestChange{})
			}),
			s.Change(ctx, "tester", func(tx store.CaseTx) error {
				return tx.UpdateRequest(store.Request{ID: 99, Version: 1, Status: "x", Fields: []byte(`{}`)}, store.RequestChange{})
			}),
			s.Change(ctx, "tester", func(tx store.CaseTx) error { return tx.SetLegalHold(99, true, "", t0) }),
		}
		for _, err := range errs {
			out = append(out, errKind(err))
		}
		read(s.Agencies(ctx))
		read(s.SelfAgency(ctx))
		read(s.VictimReports(ctx))
		read(s.Cases(ctx))
		read(s.CaseItems(ctx, 1))
		read(s.EvidenceList(ctx, 1))
		read(s.Custody(ctx, ev.ID))
		read(s.RequestHistory(ctx, reqID))
		reqs, err := s.Requests(ctx)
		for i := range reqs {
			reqs[i].Updated = time.Time{}
		}
		read(reqs, err)
		var entries []audit.Entry
		s.EachAudit(ctx, func(e audit.Entry) error {
			e.Time, e.Prev, e.Hash = time.Time{}, [32]byte{}, [32]byte{}
			entries = append(entries, e)
			return nil
		})
		read(entries)
		return out
	}
	got, want := script(pg), script(lite)
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("read %d:\nPostgreSQL %#v\n    SQLite %#v", i, got[i], want[i])
		}
	}
}

// errKind reduces an error to the store error it wraps.
func errKind(err error) error {
	for _, k := range []error{store.ErrNotFound, store.ErrExists, store.ErrConflict, store.ErrReplay} {
		if errors.Is(err, k) {
			return k
		}
	}
	return err
}
