package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/store/sqlite"
)

// TestUserCommands walks an administrator's first steps: an agency, an
// account with a one-time password, a reset, the last-admin guard, a
// disabled account.
func TestUserCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	t.Setenv("CONCORD_ACTOR", "root")
	runJSON(t, 0, "agency", "add", "--db", db, "--id", "pl-cert", "--name", "CERT Polska", "--country", "PL", "--self")

	added := runJSON(t, 0, "user", "add", "--db", db, "--name", "anna", "--full-name", "Anna Kowalska", "--role", "admin,analyst", "--clearance", "amber+strict")
	pw, _ := added["one_time_password"].(string)
	user, _ := added["user"].(map[string]any)
	if pw == "" || user["agency"] != "pl-cert" || user["clearance"] != "TLP:AMBER+STRICT" || user["must_change_password"] != true {
		t.Fatalf("added %v", added)
	}
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.User(context.Background(), "anna")
	st.Close()
	if err != nil || strings.Contains(u.PasswordHash, pw) {
		t.Fatalf("%+v %v", u, err)
	}
	if ok, _, _ := auth.CheckPassword(u.PasswordHash, pw); !ok {
		t.Error("the one-time password does not match its hash")
	}

	// Text output names the password once.
	out, _, code := run(t, "user", "add", "--db", db, "--name", "piotr", "--role", "viewer", "--agency", "pl-cert")
	if code != exitOK || !strings.Contains(out, "one-time password for piotr: ") || !strings.Contains(out, "clearance TLP:AMBER") {
		t.Errorf("%d\n%s", code, out)
	}
	for _, bad := range [][]string{
		{"--name", "piotr", "--role", "viewer"},                        // taken
		{"--name", "x y", "--role", "viewer"},                          // bad name
		{"--name", "bob", "--role", "root"},                            // unknown role
		{"--name", "bob", "--role", "viewer", "--agency", "nowhere"},   // unknown agency
		{"--name", "bob", "--role", "viewer", "--clearance", "SECRET"}, // not a TLP label
		{"--name", "bob"}, // no role
	} {
		if _, errOut, code := run(t, append([]string{"user", "add", "--db", db}, bad...)...); code != exitUsage {
			t.Errorf("%v: exit %d %s", bad, code, errOut)
		}
	}

	list := runJSON(t, 0, "user", "list", "--db", db)
	if users := list["users"].([]any); len(users) != 2 {
		t.Errorf("list %v", list)
	}
	if out, _, _ := run(t, "user", "list", "--db", db); !strings.Contains(out, "anna") || strings.Contains(out, "argon2id") {
		t.Errorf("list:\n%s", out)
	}

	reset := runJSON(t, 0, "user", "reset", "--db", db, "piotr")
	if reset["one_time_password"] == "" || reset["one_time_password"] == pw {
		t.Errorf("reset %v", reset)
	}
	// anna is the only administrator.
	if _, errOut, code := run(t, "user", "disable", "--db", db, "anna"); code != exitUsage || !strings.Contains(errOut, "last enabled administrator") {
		t.Errorf("disable the last admin: %d %s", code, errOut)
	}
	if v := runJSON(t, 0, "user", "disable", "--db", db, "piotr"); v["disabled"] != true {
		t.Errorf("disable %v", v)
	}
	if v := runJSON(t, 0, "user", "enable", "--db", db, "piotr"); v["disabled"] != false {
		t.Errorf("enable %v", v)
	}
	if _, _, code := run(t, "user", "reset", "--db", db, "nobody"); code != exitUsage {
		t.Errorf("reset of an unknown user: %d", code)
	}
	if a := runJSON(t, 0, "audit", "verify", "--db", db); a["intact"] != true {
		t.Errorf("audit %v", a)
	}
}

func TestTokenCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	runJSON(t, 0, "agency", "add", "--db", db, "--id", "pl-cert", "--name", "CERT Polska", "--country", "PL", "--self")
	runJSON(t, 0, "user", "add", "--db", db, "--name", "feeder", "--role", "analyst")

	out, errOut, code := run(t, "token", "create", "--db", db, "--user", "feeder", "--name", "nightly feed import", "--expires", "90d")
	plain := strings.TrimSpace(out)
	if code != exitOK || !strings.HasPrefix(plain, "cnc_") || !strings.Contains(errOut, "not shown again") {
		t.Fatalf("%d %q %s", code, out, errOut)
	}
	id, _, err := auth.ParseToken(plain)
	if err != nil {
		t.Fatal(err)
	}
	list := runJSON(t, 0, "token", "list", "--db", db)
	tokens := list["tokens"].([]any)
	tok := tokens[0].(map[string]any)
	if len(tokens) != 1 || tok["id"] != id || tok["state"] != "active" || tok["expires"] == nil {
		t.Errorf("list %v", list)
	}
	if out, _, _ := run(t, "token", "list", "--db", db); strings.Contains(out, plain) {
		t.Error("token list shows the secret")
	}
	if _, errOut, code := run(t, "token", "create", "--db", db, "--user", "nobody", "--name", "x"); code != exitUsage || !strings.Contains(errOut, "--user") {
		t.Errorf("token for an unknown user: %d %s", code, errOut)
	}
	if _, errOut, code := run(t, "token", "create", "--db", db, "--user", "feeder", "--name", "x", "--expires", "soon"); code != exitUsage || !strings.Contains(errOut, "--expires") {
		t.Errorf("bad expiry: %d %s", code, errOut)
	}
	// The whole token is accepted in place of its id.
	if v := runJSON(t, 0, "token", "revoke", "--db", db, plain); v["id"] != id {
		t.Errorf("revoke %v", v)
	}
	if list := runJSON(t, 0, "token", "list", "--db", db, "--user", "feeder"); list["tokens"].([]any)[0].(map[string]any)["state"] != "revoked" {
		t.Errorf("after revoke %v", list)
	}
	if _, _, code := run(t, "token", "revoke", "--db", db, "0123456789abcdef"); code != exitUsage {
		t.Errorf("revoke an unknown token: %d", code)
	}
}
