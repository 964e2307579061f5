package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/audit"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/store/storetest"
)

func TestCaseworkConformance(t *testing.T) {
	storetest.RunCasework(t, func(t *testing.T) store.CaseStore { return openTemp(t) })
}

func TestAccountsConformance(t *testing.T) {
	storetest.RunAccounts(t, func(t *testing.T) store.CaseStore { return openTemp(t) })
}

func TestSearchConformance(t *testing.T) {
	storetest.RunSearch(t, func(t *testing.T) storetest.SearchStore { return openTemp(t) })
}

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "concord.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// verifyAudit checks the stored chain against its stored head.
func verifyAudit(s *Store) error {
	ctx := context.Background()
	head, err := s.AuditHead(ctx)
	if err != nil {
		return err
	}
	var entries []audit.Entry
	if err := s.EachAudit(ctx, func(e audit.Entry) error { entries = append(entries, e); return nil }); err != nil {
		return err
	}
	i := 0
	_, err = audit.VerifyAgainst(head, func() (audit.Entry, bool, error) {
		if i == len(entries) {
			return audit.Entry{}, false, nil
		}
		i++
		return entries[i-1], true, nil
	})
	return err
}

// TestAuditTamperingIsDetected edits the log directly in SQLite, as
// someone with access to the file could, and expects verification to name
// the first bad entry.
func TestAuditTamperingIsDetected(t *testing.T) {
	tests := []struct {
		name   string
		tamper string
		seq    int64
	}{
		{"edited detail", `UPDATE audit SET detail = '{"title":"innocent"}' WHERE seq = 3`, 3},
		{"edited actor", `UPDATE audit SET actor = 'someone else' WHERE seq = 2`, 2},
		{"deleted middle", `DELETE FROM audit WHERE seq = 3`, 3},
		{"deleted last", `DELETE FROM audit WHERE seq = 5`, 5},
		{"reordered", `UPDATE audit SET seq = -2 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = -2`, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTemp(t)
			defer s.Close()
			for i := range 5 {
				if err := s.Change(context.Background(), "tester", func(tx store.CaseTx) error {
					_, err := tx.OpenCase(store.Case{Title: string(rune('a' + i)), TLP: event.TLPAmber, PAP: "AMBER", Opened: time.Now()})
					return err
				}); err != nil {
					t.Fatal(err)
				}
			}
			if err := verifyAudit(s); err != nil {
				t.Fatalf("before tampering: %v", err)
			}
			if _, err := s.DB().Exec(tc.tamper); err != nil {
				t.Fatal(err)
			}
			err := verifyAudit(s)
			var broken *audit.BrokenError
			if !errors.As(err, &broken) || broken.Seq != tc.seq {
				t.Errorf("after %s: %v, want entry %d named", tc.name, err, tc.seq)
			}
		})
	}
}
