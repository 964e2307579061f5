package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/audit"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// RunCasework runs the casework conformance tests against stores made by
// open.
func RunCasework(t *testing.T, open func(t *testing.T) store.CaseStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.CaseStore)
	}{
		{"AgenciesHaveOneSelf", testAgencies},
		{"VictimReportsByReference", testVictimReports},
		{"CasesItemsEvidenceAndCustody", testCases},
		{"RequestsUseOptimisticLocking", testRequests},
		{"PackagesCannotBeReplayed", testPackagesSeen},
		{"EveryChangeIsAuditedInItsTransaction", testAuditChain},
		{"ConcurrentChangesKeepTheChainLinear", testAuditConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

func change(t *testing.T, s store.CaseStore, fn func(tx store.CaseTx) error) {
	t.Helper()
	if err := s.Change(context.Background(), "tester", fn); err != nil {
		t.Fatal(err)
	}
}

func testAgencies(t *testing.T, s store.CaseStore) {
	ctx := context.Background()
	if _, err := s.SelfAgency(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("self agency of an empty store: %v", err)
	}
	change(t, s, func(tx store.CaseTx) error {
		if err := tx.PutAgency(store.Agency{ID: "pl-cert", Name: "CERT Polska", Country: "PL", Self: true, PublicKey: "ed25519:AAAA"}); err != nil {
			return err
		}
		return tx.PutAgency(store.Agency{ID: "de-bka", Name: "BKA 24/7", Country: "DE", Contact: "+49 611 55 0"})
	})
	self, err := s.SelfAgency(ctx)
	if err != nil || self.ID != "pl-cert" || self.PublicKey != "ed25519:AAAA" {
		t.Fatalf("self %+v %v", self, err)
	}
	// Another self replaces the first; an update without a key keeps it.
	change(t, s, func(tx store.CaseTx) error {
		if err := tx.PutAgency(store.Agency{ID: "de-bka", Name: "BKA", Country: "DE", Self: true}); err != nil {
			return err
		}
		return tx.PutAgency(store.Agency{ID: "pl-cert", Name: "CERT Polska", Country: "PL"})
	})
	all, err := s.Agencies(ctx)
	if err != nil || len(all) != 2 || all[0].ID != "de-bka" || !all[0].Self || all[1].Self || all[1].PublicKey != "ed25519:AAAA" {
		t.Fatalf("agencies %+v %v", all, err)
	}
	if _, err := s.Agency(ctx, "xx"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown agency: %v", err)
	}
}

func testVictimReports(t *testing.T, s store.CaseStore) {
	ctx := context.Background()
	r := store.VictimReport{Reference: "VR-2026-7K4M-Q9XD", Received: t0, Status: "received", TLP: event.TLPAmber, Body: []byte(`{"description":"x"}`)}
	change(t, s, func(tx store.CaseTx) error { return tx.AddVictimReport(r) })
	err := s.Change(ctx, "tester", func(tx store.CaseTx) error { return tx.AddVictimReport(r) })
	if !errors.Is(err, store.ErrExists) {
		t.Errorf("the same reference twice: %v", err)
	}
	change(t, s, func(tx store.CaseTx) error {
		return tx.SetVictimReportStatus(r.Reference, "case-opened", t0.Add(time.Hour))
	})
	got, err := s.VictimReport(ctx, r.Reference)
	if err != nil || got.Status != "case-opened" || !got.StatusChanged.Equal(t0.Add(time.Hour)) || string(got.Body) != string(r.Body) {
		t.Fatalf("%+v %v", got, err)
	}
	if err := s.Change(ctx, "tester", func(tx store.CaseTx) error { return tx.SetVictimReportStatus("VR-0000", "closed", t0) }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("status of an unknown report: %v", err)
	}
}

func testCases(t *testing.T, s store.CaseStore) {
	ctx := context.Background()
	var id int64
	var ev store.EvidenceRecord
	change(t, s, func(tx store.CaseTx) error {
		var err error
		if id, err = tx.OpenCase(store.Case{Title: "Ransomware at a hospital", TLP: event.TLPAmber, PAP: "AMBER", Opened: t0}); err != nil {
			return err
		}
		if err := tx.AddCaseItem(store.CaseItem{CaseID: id, Kind: "report", Ref: "VR-2026-7K4M-Q9XD", Added: t0, TLP: event.TLPAmber}); err != nil {
			return err
		}
		ev, _, err = tx.AddEvidence(store.EvidenceRecord{CaseID: id, SHA256: "ab" + fmt.Sprintf("%062d", 1), Size: 10, Name: "mail.eml", TLP: event.TLPRed, Acquired: t0, AcquiredBy: "investigator"}, "the victim's e-mail")
		return err
	})
	var again store.EvidenceRecord
	var isNew bool
	change(t, s, func(tx store.CaseTx) error {
		var err error
		again, isNew, err = tx.AddEvidence(store.EvidenceRecord{CaseID: id, SHA256: ev.SHA256, Size: 10, Name: "copy.eml", Acquired: t0, AcquiredBy: "x"}, "")
		if err != nil {
			return err
		}
		if err := tx.AddCustody(store.CustodyEntry{EvidenceID: ev.ID, Time: t0.Add(time.Minute), Action: "accessed", Actor: "analyst", Purpose: "review"}); err != nil {
			return err
		}
		return tx.SetLegalHold(ev.ID, true, "court order 12/24", t0.Add(2*time.Minute))
	})
	if isNew || again.ID != ev.ID || again.Name != "mail.eml" {
		t.Errorf("the same file twice: %+v new=%v", again, isNew)
	}
	c, err := s.Case(ctx, id)
	if err != nil || c.Title != "Ransomware at a hospital" || c.Status != "open" || c.PAP != "AMBER" || c.Version != 1 {
		t.Fatalf("case %+v %v", c, err)
	}
	items, err := s.CaseItems(ctx, id)
	if err != nil || len(items) != 2 {
		t.Fatalf("items %+v %v", items, err)
	}
	custody, err := s.Custody(ctx, ev.ID)
	if err != nil || len(custody) != 3 || custody[0].Action != "acquired" || custody[1].Action != "accessed" || custody[2].Action != "hold-set" || custody[2].Seq != 3 {
		t.Fatalf("custody %+v %v", custody, err)
	}
	got, err := s.Evidence(ctx, ev.ID)
	if err != nil || !got.LegalHold || got.TLP != event.TLPRed {
		t.Fatalf("evidence %+v %v", got, err)
	}
	if all, err := s.EvidenceList(ctx, 0); err != nil || len(all) != 1 {
		t.Fatalf("all evidence %+v %v", all, err)
	}
}

func testRequests(t *testing.T, s store.CaseStore) {
	ctx := context.Background()
	fields, _ := json.Marshal(map[string]any{"offence": "fraud"})
	var id int64
	change(t, s, func(tx store.CaseTx) error {
		var err error
		id, err = tx.CreateRequest(store.Request{Direction: store.Outgoing, Type: "preservation", From: "pl-cert", To: "de-bka", Status: "draft", Fields: fields, TLP: event.TLPAmber, Created: t0})
		return err
	})
	r, err := s.Request(ctx, id)
	if err != nil || r.Version != 1 || r.Status != "draft" || string(r.Fields) != string(fields) || !r.Due.IsZero() {
		t.Fatalf("%+v %v", r, err)
	}
	stale := r
	r.Status, r.Submitted, r.Due = "submitted", t0.Add(time.Hour), t0.Add(73*time.Hour)
	change(t, s, func(tx store.CaseTx) error {
		return tx.UpdateRequest(r, store.RequestChange{Time: t0.Add(time.Hour), From: "draft", To: "submitted"})
	})
	// A second writer that read the old version must not overwrite.
	stale.Status = "withdrawn"
	err = s.Change(ctx, "other", func(tx store.CaseTx) error {
		return tx.UpdateRequest(stale, store.RequestChange{Time: t0, From: "draft", To: "withdrawn"})
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a stale update: %v", err)
	}
	r, _ = s.Request(ctx, id)
	if r.Status != "submitted" || r.Version != 2 || !r.Due.Equal(t0.Add(73*time.Hour)) {
		t.Fatalf("after a conflict: %+v", r)
	}
	h, err := s.RequestHistory(ctx, id)
	if err != nil || len(h) != 1 || h[0].To != "submitted" || h[0].Actor != "tester" {
		t.Fatalf("history %+v %v", h, err)
	}
	change(t, s, func(tx store.CaseTx) error {
		_, err := tx.CreateRequest(store.Request{Direction: store.Incoming, Type: "mla", From: "de-bka", To: "pl-cert", Status: "submitted", Fields: fields, Created: t0, RemoteID: "de-bka:7"})
		return err
	})
	if in, err := s.RequestByRemote(ctx, "de-bka:7"); err != nil || in.Direction != store.Incoming {
		t.Fatalf("by remote %+v %v", in, err)
	}
	err = s.Change(ctx, "tester", func(tx store.CaseTx) error {
		_, err := tx.CreateRequest(store.Request{Direction: store.Incoming, Type: "mla", From: "de-bka", To: "pl-cert", Status: "submitted", Fields: fields, Created: t0, RemoteID: "de-bka:7"})
		return err
	})
	if !errors.Is(err, store.ErrExists) {
		t.Errorf("the same remote request twice: %v", err)
	}
}

func testPackagesSeen(t *testing.T, s store.CaseStore) {
	ctx := context.Background()
	change(t, s, func(tx store.CaseTx) error { return tx.MarkPackageSeen("0123abcd", "de-bka", "request", t0) })
	err := s.Change(ctx, "tester", func(tx store.CaseTx) error { return tx.MarkPackageSeen("0123abcd", "de-bka", "request", t0) })
	if !errors.Is(err, store.ErrReplay) {
		t.Fatalf("replay: %v", err)
	}
}

func auditEntries(t *testing.T, s store.CaseStore) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	if err := s.EachAudit(context.Background(), func(e audit.Entry) error { out = append(out, e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func verifyChain(t *testing.T, s store.CaseStore) int64 {
	t.Helper()
	entries := auditEntries(t, s)
	head, err := s.AuditHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	n, err := audit.VerifyAgainst(head, func() (audit.Entry, bool, error) {
		if i == len(entries) {
			return audit.Entry{}, false, nil
		}
		i++
		return entries[i-1], true, nil
	})
	if err != nil {
		t.Fatalf("the chain does not verify: %v", err)
	}
	return n
}

func testAuditChain(t *testing.T, s store.CaseStore) {
	ctx := context.Background()
	change(t, s, func(tx store.CaseTx) error {
		if err := tx.PutAgency(store.Agency{ID: "pl-cert", Name: "CERT Polska", Country: "PL", Self: true}); err != nil {
			return err
		}
		_, err := tx.OpenCase(store.Case{Title: "t", TLP: event.TLPGreen, PAP: "GREEN", Opened: t0})
		return err
	})
	entries := auditEntries(t, s)
	if len(entries) != 2 || entries[0].Action != "agency.put" || entries[1].Action != "case.open" || entries[1].Object != "case/1" || entries[0].Actor != "tester" {
		t.Fatalf("entries %+v", entries)
	}
	// A change that fails leaves neither its rows nor its audit entries.
	boom := errors.New("boom")
	err := s.Change(ctx, "tester", func(tx store.CaseTx) error {
		if _, err := tx.OpenCase(store.Case{Title: "never", TLP: event.TLPGreen, PAP: "GREEN", Opened: t0}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if cs, _ := s.Cases(ctx); len(cs) != 1 {
		t.Errorf("a rolled-back case was kept: %+v", cs)
	}
	change(t, s, func(tx store.CaseTx) error {
		return tx.Record("evidence.verify", "vault", map[string]int{"checked": 3})
	})
	if n := verifyChain(t, s); n != 3 {
		t.Errorf("%d entries, want 3", n)
	}
	if err := s.Change(ctx, " ", func(store.CaseTx) error { return nil }); err == nil {
		t.Error("a change without an actor was accepted")
	}
}

func testAuditConcurrent(t *testing.T, s store.CaseStore) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				errs <- s.Change(ctx, fmt.Sprintf("worker-%d", w), func(tx store.CaseTx) error {
					_, err := tx.OpenCase(store.Case{Title: fmt.Sprintf("%d-%d", w, i), TLP: event.TLPAmber, PAP: "AMBER", Opened: t0})
					return err
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := verifyChain(t, s); n != 40 {
		t.Errorf("%d entries, want 40", n)
	}
}
