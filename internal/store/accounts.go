package store

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

// User is a staff account of the node: a person of an agency with roles
// and a clearance. Passwords are kept only as argon2id PHC strings
// (auth.HashPassword).
type User struct {
	Name      string // login name, unique
	FullName  string
	Agency    string   // agency id (Agency.ID)
	Roles     []string // auth.Role names
	Clearance event.TLP
	// PasswordHash is the PHC string; it never enters the audit log.
	PasswordHash string
	// MustChange forces a password change at the next login (a one-time
	// password handed out by an admin or by `concord serve`).
	MustChange bool
	Disabled   bool
	Created    time.Time
	Updated    time.Time
}

// APIToken is a script's credential. Only the SHA-256 of the secret is
// kept (auth.NewToken).
type APIToken struct {
	ID      string // the public part of the token, "cnc_<id>_..."
	User    string
	Name    string // what the token is for, as its owner named it
	Hash    []byte
	Created time.Time
	Expires time.Time // zero: never
	Revoked bool
}

// Session is a logged-in browser. The cookie holds a random secret; the
// store keeps its SHA-256 only, with the CSRF token forms must echo.
type Session struct {
	IDHash  []byte
	User    string
	CSRF    string
	Created time.Time
	Expires time.Time
}

// Accounts keeps users, API tokens and browser sessions. Changes to users
// and tokens go through Casework.Change (CaseTx.PutUser, AddToken,
// RevokeToken) so that they are audited; sessions are not audited, they
// are many and short-lived.
type Accounts interface {
	// User returns one account, or ErrNotFound.
	User(ctx context.Context, name string) (User, error)
	// Users returns every account by name.
	Users(ctx context.Context) ([]User, error)
	// Token returns one API token by id, or ErrNotFound.
	Token(ctx context.Context, id string) (APIToken, error)
	// Tokens returns the tokens of one user, or of every user when user
	// is empty, by id.
	Tokens(ctx context.Context, user string) ([]APIToken, error)

	// CreateSession stores a new session.
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with the given id hash, or ErrNotFound
	// when it does not exist or has expired at now.
	Session(ctx context.Context, idHash []byte, now time.Time) (Session, error)
	// DeleteSession ends one session (logout); a missing one is not an
	// error.
	DeleteSession(ctx context.Context, idHash []byte) error
	// DeleteUserSessions ends every session of a user (password change,
	// account disabled).
	DeleteUserSessions(ctx context.Context, user string) error
	// DeleteExpiredSessions removes sessions expired at now and returns
	// how many.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)
}

// AccountTx is what a Change may do to accounts; each method appends its
// own audit entry, without the password hash or token hash.
type AccountTx interface {
	// PutUser adds an account or replaces the one with the same name.
	PutUser(u User) error
	// AddToken stores a new token (ErrExists when the id is taken).
	AddToken(t APIToken) error
	// RevokeToken marks a token revoked; ErrNotFound when it does not
	// exist.
	RevokeToken(id string) error
}

// StoredEvent is an event with its store key, as search returns it.
type StoredEvent struct {
	Key   Key
	Event event.Event
}

// EventQuery selects stored events for the search pages and the API.
// Every set field must match; zero fields match anything.
type EventQuery struct {
	// From and To bound the events' source time: From inclusive, To
	// exclusive. Zero: unbounded.
	From, To time.Time
	// Class matches "taxonomy/type" exactly, or a taxonomy alone.
	Class string
	// CC and ASN match the source or the destination.
	CC  string
	ASN uint32
	// Prefix matches when the source or destination address is in it; a
	// single address is a /32 or /128 prefix.
	Prefix netip.Prefix
	Feed   string
	// Malware matches the family name, case-insensitively.
	Malware string
	// Flags: every flag set here must be set on the source or the
	// destination.
	Flags event.Flags
	// Role, when set, selects only incidents in which an address plays
	// this role — the address in Prefix, when Prefix is set. Targets and
	// context addresses are not facts, so only with a Role can a search
	// for one address read the days the facts name instead of every
	// event: the role is what makes that shortcut exact (see
	// SearchEvents).
	Role event.Role
	// TLPs are the markings the reader may receive; an event marked with
	// any other label is never returned. Empty returns nothing: callers
	// must say what the reader may see.
	TLPs []event.TLP
	// Before continues a search: only events whose key sorts before it.
	// Results come newest first (descending key).
	Before Key
	// Limit is the page size (default 50, at most 1000).
	Limit int
	// ScanLimit bounds the rows examined for one page, so that a rare
	// filter over millions of events answers in bounded time with a
	// cursor to continue from (default 200,000).
	ScanLimit int
}

// EventPage is one page of a search.
type EventPage struct {
	Events []StoredEvent
	// Next continues the search (EventQuery.Before) when More is true.
	Next Key
	// More is true when older events may still match: the page filled up
	// or the scan budget ran out first (Partial).
	More bool
	// Partial is true when the scan budget ran out before the page filled.
	Partial bool
	// Scanned is how many stored events were examined.
	Scanned int64
}

// Searcher finds stored events and lists ingest runs for the web pages and
// the HTTP API.
type Searcher interface {
	// SearchEvents returns one page of the events q selects, newest first.
	SearchEvents(ctx context.Context, q EventQuery) (EventPage, error)
	// IngestRuns returns the most recent runs, newest first, at most limit.
	IngestRuns(ctx context.Context, limit int) ([]IngestRun, error)
}

// UserRoles checks a user before a backend stores it and returns its
// roles as backends store them: their names joined by commas. A role name
// that is empty or holds a comma could not be read back, and is refused.
func UserRoles(u *User) (string, error) {
	if strings.TrimSpace(u.Name) == "" {
		return "", errors.New("store: a user needs a name")
	}
	for _, r := range u.Roles {
		if r == "" || strings.ContainsAny(r, ", ") {
			return "", fmt.Errorf("store: role name %q: a role is one word without commas or spaces", r)
		}
	}
	return strings.Join(u.Roles, ","), nil
}

// CheckToken checks a token before a backend stores it.
func CheckToken(t *APIToken) error {
	if t.ID == "" || t.User == "" || len(t.Hash) == 0 {
		return errors.New("store: a token needs an id, a user and a hash")
	}
	return nil
}

// SplitRoles reads roles stored as UserRoles returns them; none is nil.
func SplitRoles(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// UserAuditDetail is what the audit log records of a PutUser: the account
// as others see it and whether the password changed, never the hash.
func UserAuditDetail(u *User, created, passwordChanged bool) map[string]any {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return map[string]any{
		"name": u.Name, "full_name": u.FullName, "agency": u.Agency, "roles": roles, "clearance": u.Clearance.String(),
		"must_change": u.MustChange, "disabled": u.Disabled, "created": created, "password_changed": passwordChanged,
	}
}

// TokenAuditDetail is what the audit log records of an AddToken: whose
// token it is, what for and until when, never its hash.
func TokenAuditDetail(t *APIToken) map[string]any {
	d := map[string]any{"user": t.User, "name": t.Name, "expires": nil}
	if !t.Expires.IsZero() {
		d["expires"] = t.Expires.UTC().Format(time.RFC3339)
	}
	return d
}
