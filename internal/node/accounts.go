package node

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// Accounts is what managing staff accounts needs of a store: the accounts
// themselves, the agencies they belong to, and audited changes. Both
// backends' stores provide it, and so does the web server's.
type Accounts interface {
	store.Accounts
	Agency(ctx context.Context, id string) (store.Agency, error)
	Change(ctx context.Context, actor string, fn func(tx store.CaseTx) error) error
}

// ErrLastAdmin is returned when a change would leave the node without an
// enabled administrator: nobody could then manage accounts except by hand
// in the database.
var ErrLastAdmin = errors.New("this is the last enabled administrator: give another account the admin role first")

// InvalidError is a value an operator typed that cannot be used, naming
// the field so that a form can show the message beside it.
type InvalidError struct {
	Field   string // name, agency, roles, clearance, user, expires
	Message string
}

func (e *InvalidError) Error() string { return e.Field + ": " + e.Message }

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// accountsMu serialises account changes within this process, so that two
// administrators demoting each other at once cannot both pass the
// last-admin check.
var accountsMu sync.Mutex

// CheckUserName refuses a login name that could not be typed or read
// unambiguously: 1 to 64 letters, digits, '.', '-', '_' or '@', starting
// with a letter or digit.
func CheckUserName(name string) error {
	if name == "" || len(name) > 64 {
		return invalid("name", "give a login name of 1 to 64 characters")
	}
	for i, r := range name {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune(".-_@", r)) {
			return invalid("name", "%q: use letters, digits, '.', '-', '_' and '@', starting with a letter or digit", name)
		}
	}
	return nil
}

// ParseRoles reads role names (each may itself be a comma-separated list,
// as --role admin,analyst), refusing unknown ones; the result is in the
// order of auth.Roles, without repeats, and holds at least one role.
func ParseRoles(names ...string) ([]string, error) {
	seen := map[auth.Role]bool{}
	for _, n := range names {
		for _, r := range strings.Split(n, ",") {
			r = strings.ToLower(strings.TrimSpace(r))
			if r == "" {
				continue
			}
			if !slices.Contains(auth.Roles, auth.Role(r)) {
				return nil, invalid("roles", "%q is not a role (use %s)", r, roleNames())
			}
			seen[auth.Role(r)] = true
		}
	}
	var out []string
	for _, r := range auth.Roles {
		if seen[r] {
			out = append(out, string(r))
		}
	}
	if len(out) == 0 {
		return nil, invalid("roles", "give at least one role (%s)", roleNames())
	}
	return out, nil
}

func roleNames() string {
	names := make([]string, len(auth.Roles))
	for i, r := range auth.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// enabledAdmin reports whether u can administer the node.
func enabledAdmin(u store.User) bool {
	return !u.Disabled && slices.Contains(u.Roles, string(auth.RoleAdmin))
}

// checkUser validates what an administrator may set on an account.
func checkUser(ctx context.Context, st Accounts, u store.User) error {
	if err := CheckUserName(u.Name); err != nil {
		return err
	}
	if _, err := ParseRoles(u.Roles...); err != nil {
		return err
	}
	if u.Agency == "" {
		return invalid("agency", "choose the agency the person works for")
	}
	if _, err := st.Agency(ctx, u.Agency); errors.Is(err, store.ErrNotFound) {
		return invalid("agency", "no agency %q is registered; add it first", u.Agency)
	} else if err != nil {
		return err
	}
	if u.Clearance > event.TLPRed {
		return invalid("clearance", "choose a TLP label")
	}
	if len(u.FullName) > 200 {
		return invalid("full_name", "use at most 200 characters")
	}
	return nil
}

// putUser stores u on behalf of actor after refusing a change that leaves
// no enabled administrator. The caller holds accountsMu.
func putUser(ctx context.Context, st Accounts, actor string, u store.User) error {
	old, err := st.User(ctx, u.Name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err == nil && enabledAdmin(old) && !enabledAdmin(u) {
		users, err := st.Users(ctx)
		if err != nil {
			return err
		}
		admins := 0
		for _, x := range users {
			if enabledAdmin(x) {
				admins++
			}
		}
		if admins <= 1 {
			return ErrLastAdmin
		}
	}
	return st.Change(ctx, actor, func(tx store.CaseTx) error { return tx.(store.AccountTx).PutUser(u) })
}

// CreateUser adds the account u (name, full name, agency, roles,
// clearance) with password as a one-time password that must be changed at
// the first login. It refuses a name that is taken with store.ErrExists.
func CreateUser(ctx context.Context, st Accounts, actor string, u store.User, password string, now time.Time) error {
	if err := checkUser(ctx, st, u); err != nil {
		return err
	}
	h, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	u.Roles, _ = ParseRoles(u.Roles...)
	u.PasswordHash, u.MustChange, u.Disabled, u.Created, u.Updated = h, true, false, now, now
	accountsMu.Lock()
	defer accountsMu.Unlock()
	if _, err := st.User(ctx, u.Name); err == nil {
		return fmt.Errorf("%w: an account named %q", store.ErrExists, u.Name)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return putUser(ctx, st, actor, u)
}

// UpdateUser changes what an administrator may change of an existing
// account: full name, agency, roles, clearance and whether it is disabled.
// The password is kept. Disabling an account ends its sessions.
func UpdateUser(ctx context.Context, st Accounts, actor string, change store.User, now time.Time) (store.User, error) {
	if err := checkUser(ctx, st, change); err != nil {
		return store.User{}, err
	}
	accountsMu.Lock()
	defer accountsMu.Unlock()
	u, err := st.User(ctx, change.Name)
	if err != nil {
		return store.User{}, err
	}
	u.Roles, _ = ParseRoles(change.Roles...)
	u.FullName, u.Agency, u.Clearance, u.Disabled, u.Updated = change.FullName, change.Agency, change.Clearance, change.Disabled, now
	if err := putUser(ctx, st, actor, u); err != nil {
		return store.User{}, err
	}
	if u.Disabled {
		return u, st.DeleteUserSessions(ctx, u.Name)
	}
	return u, nil
}

// SetDisabled disables or enables an account; disabling ends its sessions
// (its API tokens stop working too: the server refuses a disabled
// account's credentials).
func SetDisabled(ctx context.Context, st Accounts, actor, name string, disabled bool, now time.Time) error {
	accountsMu.Lock()
	defer accountsMu.Unlock()
	u, err := st.User(ctx, name)
	if err != nil {
		return err
	}
	u.Disabled, u.Updated = disabled, now
	if err := putUser(ctx, st, actor, u); err != nil {
		return err
	}
	if disabled {
		return st.DeleteUserSessions(ctx, name)
	}
	return nil
}

// ResetPassword gives an account password as a one-time password, to be
// changed at the next login, and ends its sessions.
func ResetPassword(ctx context.Context, st Accounts, actor, name, password string, now time.Time) error {
	h, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	accountsMu.Lock()
	defer accountsMu.Unlock()
	u, err := st.User(ctx, name)
	if err != nil {
		return err
	}
	u.PasswordHash, u.MustChange, u.Updated = h, true, now
	if err := putUser(ctx, st, actor, u); err != nil {
		return err
	}
	return st.DeleteUserSessions(ctx, name)
}

// CreateToken makes an API token for user, named for what it is for,
// valid until expires (zero: until revoked), and returns the plain token,
// to be shown once, and the stored record.
func CreateToken(ctx context.Context, st Accounts, actor, user, name string, expires, now time.Time) (string, store.APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", store.APIToken{}, invalid("name", "say in 1 to 100 characters what the token is for (e.g. nightly feed import)")
	}
	if !expires.IsZero() && !expires.After(now) {
		return "", store.APIToken{}, invalid("expires", "the expiry is in the past")
	}
	u, err := st.User(ctx, user)
	if errors.Is(err, store.ErrNotFound) {
		return "", store.APIToken{}, invalid("user", "no account named %q", user)
	} else if err != nil {
		return "", store.APIToken{}, err
	}
	if u.Disabled {
		return "", store.APIToken{}, invalid("user", "the account %q is disabled", user)
	}
	plain, id, hash := auth.NewToken()
	t := store.APIToken{ID: id, User: user, Name: name, Hash: hash, Created: now, Expires: expires}
	if err := st.Change(ctx, actor, func(tx store.CaseTx) error { return tx.(store.AccountTx).AddToken(t) }); err != nil {
		return "", store.APIToken{}, err
	}
	return plain, t, nil
}

// RevokeToken revokes the token id; when owner is not empty, only a token
// of that account (a user managing their own tokens), and any other token
// is reported as not found.
func RevokeToken(ctx context.Context, st Accounts, actor, id, owner string) error {
	t, err := st.Token(ctx, id)
	if err != nil {
		return err
	}
	if owner != "" && t.User != owner {
		return fmt.Errorf("%w: token %s", store.ErrNotFound, id)
	}
	return st.Change(ctx, actor, func(tx store.CaseTx) error { return tx.(store.AccountTx).RevokeToken(id) })
}

// ParseExpiry reads when a token expires: empty or "never" for never, a
// duration in days ("90d"), hours ("12h") or weeks ("4w") from now, or a
// date (the end of that day, UTC).
func ParseExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "never" {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.Add(24*time.Hour - time.Second), nil
	}
	unit := map[byte]time.Duration{'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	n, err := strconv.Atoi(s[:len(s)-1])
	if unit == 0 || err != nil || n <= 0 || time.Duration(n)*unit > 10*366*24*time.Hour {
		return time.Time{}, invalid("expires", "%q: write a number of days such as 90d, hours (12h), weeks (4w) or a date (2026-12-31)", s)
	}
	return now.Add(time.Duration(n) * unit), nil
}

// UserView is an account as the API and `concord user list --json` show
// it: never its password hash.
type UserView struct {
	Name       string    `json:"name"`
	FullName   string    `json:"full_name"`
	Agency     string    `json:"agency"`
	Roles      []string  `json:"roles"`
	Clearance  string    `json:"clearance"`
	Disabled   bool      `json:"disabled"`
	MustChange bool      `json:"must_change_password"`
	Created    time.Time `json:"created"`
	Updated    time.Time `json:"updated"`
}

// ViewUser returns what may be shown of u.
func ViewUser(u store.User) UserView {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return UserView{Name: u.Name, FullName: u.FullName, Agency: u.Agency, Roles: roles, Clearance: u.Clearance.String(),
		Disabled: u.Disabled, MustChange: u.MustChange, Created: u.Created, Updated: u.Updated}
}

// TokenView is an API token as pages, the API and `concord token list`
// show it: never the secret, which is shown once when the token is made,
// nor its hash.
type TokenView struct {
	ID      string     `json:"id"`
	User    string     `json:"user"`
	Name    string     `json:"name"`
	Created time.Time  `json:"created"`
	Expires *time.Time `json:"expires"`
	// State is active, expired or revoked.
	State string `json:"state"`
}

// ViewToken returns what may be shown of t at time at.
func ViewToken(t store.APIToken, at time.Time) TokenView {
	v := TokenView{ID: t.ID, User: t.User, Name: t.Name, Created: t.Created, State: "active"}
	if !t.Expires.IsZero() {
		e := t.Expires
		v.Expires = &e
	}
	switch {
	case t.Revoked:
		v.State = "revoked"
	case !t.Expires.IsZero() && at.After(t.Expires):
		v.State = "expired"
	}
	return v
}
