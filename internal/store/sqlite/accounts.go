package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// PutUser implements store.AccountTx. Replacing an account keeps the time
// it was created.
func (t *caseTx) PutUser(u store.User) error {
	roles, err := store.UserRoles(&u)
	if err != nil {
		return err
	}
	var oldHash string
	var created int64
	err = t.tx.QueryRowContext(t.ctx, `SELECT password_hash, created FROM users WHERE name = ?`, u.Name).Scan(&oldHash, &created)
	isNew := errors.Is(err, sql.ErrNoRows)
	if err != nil && !isNew {
		return fmt.Errorf("store: read user %s: %w", u.Name, err)
	}
	now := time.Now().UTC()
	if isNew {
		created = orNow(u.Created, now).UnixMicro()
	}
	if _, err := t.exec("user "+u.Name, `INSERT INTO users (name, full_name, agency, roles, clearance, password_hash, must_change, disabled, created, updated)
		VALUES (?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (name) DO UPDATE SET full_name = excluded.full_name, agency = excluded.agency, roles = excluded.roles,
		clearance = excluded.clearance, password_hash = excluded.password_hash, must_change = excluded.must_change,
		disabled = excluded.disabled, updated = excluded.updated`,
		u.Name, u.FullName, u.Agency, roles, int64(u.Clearance), u.PasswordHash, boolInt(u.MustChange), boolInt(u.Disabled),
		created, orNow(u.Updated, now).UnixMicro()); err != nil {
		return err
	}
	return t.Record("user.put", "user/"+u.Name, store.UserAuditDetail(&u, isNew, u.PasswordHash != oldHash))
}

// orNow returns t, or now when t is zero.
func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

// AddToken implements store.AccountTx.
func (t *caseTx) AddToken(tok store.APIToken) error {
	if err := store.CheckToken(&tok); err != nil {
		return err
	}
	if _, err := t.exec("token "+tok.ID, `INSERT INTO api_tokens (id, user_name, name, hash, created, expires, revoked) VALUES (?,?,?,?,?,?,?)`,
		tok.ID, tok.User, tok.Name, tok.Hash, orNow(tok.Created, time.Now().UTC()).UnixMicro(), micro(tok.Expires), boolInt(tok.Revoked)); err != nil {
		return err
	}
	return t.Record("token.add", "token/"+tok.ID, store.TokenAuditDetail(&tok))
}

// RevokeToken implements store.AccountTx.
func (t *caseTx) RevokeToken(id string) error {
	var user string
	err := t.tx.QueryRowContext(t.ctx, `UPDATE api_tokens SET revoked = 1 WHERE id = ? RETURNING user_name`, id).Scan(&user)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: token %s", store.ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("store: revoke token %s: %w", id, err)
	}
	return t.Record("token.revoke", "token/"+id, map[string]any{"user": user})
}

const userQuery = `SELECT name, full_name, agency, roles, clearance, password_hash, must_change, disabled, created, updated FROM users`

// User implements store.Accounts.
func (s *Store) User(ctx context.Context, name string) (store.User, error) {
	us, err := s.users(ctx, `WHERE name = ?`, name)
	if err != nil {
		return store.User{}, err
	}
	if len(us) == 0 {
		return store.User{}, fmt.Errorf("%w: user %q", store.ErrNotFound, name)
	}
	return us[0], nil
}

// Users implements store.Accounts.
func (s *Store) Users(ctx context.Context) ([]store.User, error) {
	return s.users(ctx, `ORDER BY name`)
}

func (s *Store) users(ctx context.Context, where string, args ...any) ([]store.User, error) {
	rows, err := s.db.QueryContext(ctx, userQuery+" "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		var u store.User
		var roles string
		var clearance, mustChange, disabled, created, updated int64
		if err := rows.Scan(&u.Name, &u.FullName, &u.Agency, &roles, &clearance, &u.PasswordHash, &mustChange, &disabled, &created, &updated); err != nil {
			return nil, fmt.Errorf("store: read users: %w", err)
		}
		u.Roles, u.Clearance, u.MustChange, u.Disabled = store.SplitRoles(roles), event.TLP(clearance), mustChange == 1, disabled == 1
		u.Created, u.Updated = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
		out = append(out, u)
	}
	return out, rows.Err()
}

const tokenQuery = `SELECT id, user_name, name, hash, created, expires, revoked FROM api_tokens`

// Token implements store.Accounts.
func (s *Store) Token(ctx context.Context, id string) (store.APIToken, error) {
	ts, err := s.tokens(ctx, `WHERE id = ?`, id)
	if err != nil {
		return store.APIToken{}, err
	}
	if len(ts) == 0 {
		return store.APIToken{}, fmt.Errorf("%w: token %s", store.ErrNotFound, id)
	}
	return ts[0], nil
}

// Tokens implements store.Accounts.
func (s *Store) Tokens(ctx context.Context, user string) ([]store.APIToken, error) {
	if user == "" {
		return s.tokens(ctx, `ORDER BY id`)
	}
	return s.tokens(ctx, `WHERE user_name = ? ORDER BY id`, user)
}

func (s *Store) tokens(ctx context.Context, where string, args ...any) ([]store.APIToken, error) {
	rows, err := s.db.QueryContext(ctx, tokenQuery+" "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read tokens: %w", err)
	}
	defer rows.Close()
	var out []store.APIToken
	for rows.Next() {
		var t store.APIToken
		var created, revoked int64
		var expires sql.NullInt64
		if err := rows.Scan(&t.ID, &t.User, &t.Name, &t.Hash, &created, &expires, &revoked); err != nil {
			return nil, fmt.Errorf("store: read tokens: %w", err)
		}
		t.Created, t.Expires, t.Revoked = time.UnixMicro(created).UTC(), fromMicro(expires), revoked == 1
		out = append(out, t)
	}
	return out, rows.Err()
}

// CreateSession implements store.Accounts.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_name, csrf, created, expires) VALUES (?,?,?,?,?)`,
		sess.IDHash, sess.User, sess.CSRF, sess.Created.UnixMicro(), sess.Expires.UnixMicro())
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("%w: session", store.ErrExists)
		}
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// Session implements store.Accounts.
func (s *Store) Session(ctx context.Context, idHash []byte, now time.Time) (store.Session, error) {
	sess := store.Session{IDHash: bytes.Clone(idHash)}
	var created, expires int64
	err := s.db.QueryRowContext(ctx, `SELECT user_name, csrf, created, expires FROM sessions WHERE id_hash = ? AND expires > ?`,
		idHash, now.UnixMicro()).Scan(&sess.User, &sess.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Session{}, fmt.Errorf("%w: session", store.ErrNotFound)
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("store: read session: %w", err)
	}
	sess.Created, sess.Expires = time.UnixMicro(created).UTC(), time.UnixMicro(expires).UTC()
	return sess, nil
}

// DeleteSession implements store.Accounts.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions implements store.Accounts.
func (s *Store) DeleteUserSessions(ctx context.Context, user string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE user_name = ?`, user); err != nil {
		return fmt.Errorf("store: delete the sessions of %s: %w", user, err)
	}
	return nil
}

// DeleteExpiredSessions implements store.Accounts.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	r, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires <= ?`, now.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	return r.RowsAffected()
}
