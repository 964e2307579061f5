package coop

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/store/sqlite"
	"github.com/concord-cert/concord/internal/vault"
)

func newNode(t *testing.T) *Node {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Node{St: st, Data: filepath.Join(dir, "data"), Actor: "test", Deadlines: casework.DefaultDeadlines()}
}

func TestProblemNamesTheFlagAsTheCommandLineDid(t *testing.T) {
	for _, tc := range []struct {
		p          *Problem
		flag, text string
	}{
		{problem("tlp", "bad label"), "--tlp: bad label", "tlp: bad label"},
		{problemWith("to", "%s is this node's own agency", "pl"), "--to pl is this node's own agency", "to: pl is this node's own agency"},
		{problem("", "request 1 is closed"), "request 1 is closed", "request 1 is closed"},
	} {
		if got := tc.p.Flag(); got != tc.flag {
			t.Errorf("Flag() = %q, want %q", got, tc.flag)
		}
		if got := tc.p.Error(); got != tc.text {
			t.Errorf("Error() = %q, want %q", got, tc.text)
		}
	}
}

// TestReceiveHidesWhatTheUserMayNotReceive: a Node acting for a user
// answers what the user may not receive as missing, whatever reads it.
func TestReceiveHidesWhatTheUserMayNotReceive(t *testing.T) {
	ctx := context.Background()
	n := newNode(t)
	if _, err := n.AddAgency(ctx, NewAgency{ID: "pl", Name: "PL", Country: "PL", Self: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.AddAgency(ctx, NewAgency{ID: "de", Name: "DE", Country: "DE"}); err != nil {
		t.Fatal(err)
	}
	amber, err := n.OpenCase(ctx, NewCase{Title: "amber", TLP: event.TLPAmber})
	if err != nil {
		t.Fatal(err)
	}
	rec, _, err := n.AddEvidence(ctx, amber.ID, NewEvidence{Name: "f"}, func(v *vault.Vault) (vault.Object, error) { return v.Put(bytes.NewReader([]byte("f"))) })
	if err != nil {
		t.Fatal(err)
	}
	green := *n
	green.Receive = func(m casework.Marking) bool { return m.TLP <= event.TLPGreen }
	for name, err := range map[string]error{
		"case":     second(green.Case(ctx, amber.ID)),
		"evidence": second(green.Evidence(ctx, rec.ID)),
		"link":     second(green.Link(ctx, amber.ID, Links{Notes: []string{"x"}})),
		"export":   second(green.ExportEvidence(ctx, rec.ID, &bytes.Buffer{}, "x")),
		"request": second(green.CreateRequest(ctx, NewRequest{CaseID: amber.ID, Type: casework.Takedown, To: "de",
			Fields: map[string]any{"requesting_authority": "x", "target": "x", "action": "takedown", "evidence_summary": "x"}})),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v, want not found", name, err)
		}
	}
	var p *Problem
	if _, err := green.OpenCase(ctx, NewCase{Title: "x", TLP: event.TLPAmber}); !errors.As(err, &p) || p.Field != "tlp" {
		t.Errorf("a case the user could not read back: %v", err)
	}
	if entries, _ := n.St.Custody(ctx, rec.ID); len(entries) != 1 {
		t.Errorf("a refused export left %d custody entries", len(entries))
	}
}

func second[T any](_ T, err error) error { return err }
