package storetest

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// RunAccounts runs the conformance tests of users, API tokens and
// sessions against stores made by open.
func RunAccounts(t *testing.T, open func(t *testing.T) store.CaseStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.CaseStore)
	}{
		{"UsersArePutReplacedAndAuditedWithoutHashes", testUsers},
		{"TokensAreAddedRevokedAndListed", testTokens},
		{"SessionsExpireAndEnd", testSessions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

// PHC strings as auth.HashPassword makes them.
const (
	phcAlice  = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$YWxpY2UtaGFzaC1hbGljZS1oYXNoLWFsaWNlLWhh"
	phcAlice2 = "$argon2id$v=19$m=65536,t=3,p=4$b3RoZXJzYWx0MTIz$bmV3LWhhc2gtbmV3LWhhc2gtbmV3LWhhc2gtbmV3"
	phcBob    = "$argon2id$v=19$m=65536,t=3,p=4$Ym9ic2FsdGJvYnNh$Ym9iLWhhc2gtYm9iLWhhc2gtYm9iLWhhc2gtYm9i"
)

func putUsers(t *testing.T, s store.CaseStore, users ...store.User) {
	t.Helper()
	change(t, s, func(tx store.CaseTx) error {
		for _, u := range users {
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	})
}

// auditHolds fails t when an audit entry's detail contains any of the
// secrets.
func auditHolds(t *testing.T, s store.CaseStore, secrets ...string) {
	t.Helper()
	for _, e := range auditEntries(t, s) {
		for _, sec := range secrets {
			if strings.Contains(e.Detail, sec) {
				t.Errorf("audit entry %d (%s) holds a secret: %s", e.Seq, e.Action, e.Detail)
			}
		}
		if strings.Contains(e.Detail, "argon2") || strings.Contains(e.Detail, "hash\"") {
			t.Errorf("audit entry %d (%s) holds a hash: %s", e.Seq, e.Action, e.Detail)
		}
	}
}

func testUsers(t *testing.T, s store.CaseStore) {
	ctx := context.Background()
	if _, err := s.User(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a user of an empty store: %v", err)
	}
	alice := store.User{Name: "alice", FullName: "Alice Analyst", Agency: "pl-cert", Roles: []string{"analyst", "admin"}, Clearance: event.TLPAmber,
		PasswordHash: phcAlice, MustChange: true, Created: t0, Updated: t0}
	bob := store.User{Name: "bob", Agency: "pl-cert", Roles: []string{"viewer"}, Clearance: event.TLPGreen, PasswordHash: phcBob, Created: t0, Updated: t0}
	putUsers(t, s, bob, alice)
	got, err := s.User(ctx, "alice")
	if err != nil || !reflect.DeepEqual(got, alice) {
		t.Fatalf("alice reads back as %+v, %v; want %+v", got, err, alice)
	}
	// Replacing keeps the creation time; a user without roles has none.
	alice2 := alice
	alice2.Roles, alice2.PasswordHash, alice2.MustChange, alice2.Disabled = nil, phcAlice2, false, true
	alice2.Created, alice2.Updated = t0.Add(time.Hour), t0.Add(2*time.Hour)
	putUsers(t, s, alice2)
	got, err = s.User(ctx, "alice")
	alice2.Created = t0
	if err != nil || !reflect.DeepEqual(got, alice2) {
		t.Fatalf("replaced alice reads back as %+v, %v; want %+v", got, err, alice2)
	}
	putUsers(t, s, alice2) // the same password again
	all, err := s.Users(ctx)
	if err != nil || len(all) != 2 || all[0].Name != "alice" || all[1].Name != "bob" || !reflect.DeepEqual(all[1], bob) {
		t.Fatalf("users %+v, %v", all, err)
	}
	if err := s.Change(ctx, "tester", func(tx store.CaseTx) error { return tx.PutUser(store.User{Name: "x", Roles: []string{"a,b"}}) }); err == nil {
		t.Error("a role with a comma was stored")
	}

	var details []map[string]any
	for _, e := range auditEntries(t, s) {
		if e.Action != "user.put" {
			continue
		}
		var d map[string]any
		if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
			t.Fatal(err)
		}
		if e.Object != "user/"+d["name"].(string) {
			t.Errorf("entry %d is about %s but names %v", e.Seq, e.Object, d["name"])
		}
		details = append(details, d)
	}
	if len(details) != 4 {
		t.Fatalf("%d user.put entries, want 4", len(details))
	}
	for i, want := range []struct {
		name             string
		created, changed bool
	}{{"bob", true, true}, {"alice", true, true}, {"alice", false, true}, {"alice", false, false}} {
		d := details[i]
		if d["name"] != want.name || d["created"] != want.created || d["password_changed"] != want.changed {
			t.Errorf("entry %d: %v, want %+v", i, d, want)
		}
	}
	if d := details[1]; d["clearance"] != "TLP:AMBER" || d["agency"] != "pl-cert" || !reflect.DeepEqual(d["roles"], []any{"analyst", "admin"}) || d["disabled"] != false {
		t.Errorf("alice's entry: %v", d)
	}
	auditHolds(t, s, phcAlice, phcAlice2, phcBob, "YWxpY2UtaGFzaC")
	verifyChain(t, s)
}

func testTokens(t *testing.T, s store.CaseStore) {
	ctx := context.Background()
	putUsers(t, s, store.User{Name: "alice", Clearance: event.TLPAmber, PasswordHash: phcAlice}, store.User{Name: "bob", Clearance: event.TLPGreen})
	hash := func(b byte) []byte {
		h := make([]byte, 32)
		for i := range h {
			h[i] = b + byte(i)
		}
		return h
	}
	t1 := store.APIToken{ID: "k7f3a9", User: "alice", Name: "misp sync", Hash: hash(0x10), Created: t0}
	t2 := store.APIToken{ID: "b2c4d6", User: "bob", Name: "report cron", Hash: hash(0x40), Created: t0, Expires: t0.AddDate(0, 3, 0)}
	t3 := store.APIToken{ID: "z9y8x7", User: "alice", Name: "", Hash: hash(0x70), Created: t0.Add(time.Minute)}
	change(t, s, func(tx store.CaseTx) error {
		for _, tok := range []store.APIToken{t1, t2} {
			if err := tx.AddToken(tok); err != nil {
				return err
			}
		}
		// A taken id is refused, and the change may go on.
		if err := tx.AddToken(store.APIToken{ID: t1.ID, User: "bob", Hash: hash(0x99), Created: t0}); !errors.Is(err, store.ErrExists) {
			t.Errorf("a taken token id: %v", err)
		}
		return tx.AddToken(t3)
	})
	got, err := s.Token(ctx, t2.ID)
	if err != nil || !reflect.DeepEqual(got, t2) {
		t.Fatalf("token reads back as %+v, %v; want %+v", got, err, t2)
	}
	if _, err := s.Token(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown token: %v", err)
	}
	mine, err := s.Tokens(ctx, "alice")
	if err != nil || !reflect.DeepEqual(mine, []store.APIToken{t1, t3}) {
		t.Fatalf("alice's tokens %+v, %v", mine, err)
	}
	if none, err := s.Tokens(ctx, "carol"); err != nil || len(none) != 0 {
		t.Fatalf("carol's tokens %+v, %v", none, err)
	}
	change(t, s, func(tx store.CaseTx) error { return tx.RevokeToken(t1.ID) })
	if err := s.Change(ctx, "tester", func(tx store.CaseTx) error { return tx.RevokeToken("nope") }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoking an unknown token: %v", err)
	}
	all, err := s.Tokens(ctx, "")
	if err != nil || len(all) != 3 || all[0].ID != t2.ID || all[1].ID != t1.ID || !all[1].Revoked || all[0].Revoked || all[2].Revoked {
		t.Fatalf("every token %+v, %v", all, err)
	}
	var actions []string
	for _, e := range auditEntries(t, s) {
		actions = append(actions, e.Action+" "+e.Object)
	}
	want := []string{"user.put user/alice", "user.put user/bob", "token.add token/k7f3a9", "token.add token/b2c4d6", "token.add token/z9y8x7", "token.revoke token/k7f3a9"}
	if !reflect.DeepEqual(actions, want) {
		t.Errorf("audit entries %q, want %q", actions, want)
	}
	var secrets []string
	for _, tok := range []store.APIToken{t1, t2, t3} {
		secrets = append(secrets, hex.EncodeToString(tok.Hash), base64.StdEncoding.EncodeToString(tok.Hash), base64.RawURLEncoding.EncodeToString(tok.Hash))
	}
	auditHolds(t, s, append(secrets, phcAlice)...)
	verifyChain(t, s)
}

func testSessions(t *testing.T, s store.CaseStore) {
	ctx := context.Background()
	putUsers(t, s, store.User{Name: "alice"}, store.User{Name: "bob"})
	now := t0.Add(24 * time.Hour)
	id := func(b byte) []byte {
		return []byte{b, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}
	}
	live := store.Session{IDHash: id(1), User: "alice", CSRF: "csrf-1", Created: now.Add(-time.Hour), Expires: now.Add(time.Hour)}
	old := store.Session{IDHash: id(2), User: "alice", CSRF: "csrf-2", Created: now.Add(-9 * time.Hour), Expires: now.Add(-time.Minute)}
	other := store.Session{IDHash: id(3), User: "bob", CSRF: "csrf-3", Created: now, Expires: now.Add(8 * time.Hour)}
	for _, sess := range []store.Session{live, old, other} {
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateSession(ctx, live); !errors.Is(err, store.ErrExists) {
		t.Errorf("the same session twice: %v", err)
	}
	got, err := s.Session(ctx, live.IDHash, now)
	if err != nil || !reflect.DeepEqual(got, live) {
		t.Fatalf("session reads back as %+v, %v; want %+v", got, err, live)
	}
	if _, err := s.Session(ctx, old.IDHash, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an expired session: %v", err)
	}
	if _, err := s.Session(ctx, live.IDHash, live.Expires); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a session at the instant it expires: %v", err)
	}
	if _, err := s.Session(ctx, id(9), now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown session: %v", err)
	}
	if n, err := s.DeleteExpiredSessions(ctx, now); err != nil || n != 1 {
		t.Errorf("deleted %d expired sessions, %v; want 1", n, err)
	}
	if _, err := s.Session(ctx, old.IDHash, old.Created); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an expired session was kept: %v", err)
	}
	if err := s.DeleteSession(ctx, live.IDHash); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSession(ctx, live.IDHash); err != nil {
		t.Errorf("ending a session twice: %v", err)
	}
	if _, err := s.Session(ctx, live.IDHash, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a session after logout: %v", err)
	}
	second := store.Session{IDHash: id(4), User: "bob", CSRF: "csrf-4", Created: now, Expires: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, second); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUserSessions(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	for _, sess := range []store.Session{other, second} {
		if _, err := s.Session(ctx, sess.IDHash, now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bob's session %x after his sessions ended: %v", sess.IDHash[:1], err)
		}
	}
	// Sessions are not audited: only the two accounts are.
	if n := len(auditEntries(t, s)); n != 2 {
		t.Errorf("%d audit entries, want 2", n)
	}
}
