package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	err = t.tx.QueryRow(t.ctx, `SELECT password_hash, created FROM users WHERE name = $1`, u.Name).Scan(&oldHash, &created)
	isNew := errors.Is(err, pgx.ErrNoRows)
	if err != nil && !isNew {
		return fmt.Errorf("store: read user %s: %w", u.Name, err)
	}
	now := time.Now().UTC()
	if isNew {
		created = orNow(u.Created, now).UnixMicro()
	}
	if _, err := t.exec("user "+u.Name, `INSERT INTO users (name, full_name, agency, roles, clearance, password_hash, must_change, disabled, created, updated)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (name) DO UPDATE SET full_name = excluded.full_name, agency = excluded.agency, roles = excluded.roles,
		clearance = excluded.clearance, password_hash = excluded.password_hash, must_change = excluded.must_change,
		disabled = excluded.disabled, updated = excluded.updated`,
		u.Name, u.FullName, u.Agency, roles, int16(u.Clearance), u.PasswordHash, u.MustChange, u.Disabled,
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

// AddToken implements store.AccountTx. A taken id is found with ON
// CONFLICT rather than a failed statement, which would abort the change.
func (t *caseTx) AddToken(tok store.APIToken) error {
	if err := store.CheckToken(&tok); err != nil {
		return err
	}
	tag, err := t.exec("token "+tok.ID, `INSERT INTO api_tokens (id, user_name, name, hash, created, expires, revoked)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
		tok.ID, tok.User, tok.Name, tok.Hash, orNow(tok.Created, time.Now().UTC()).UnixMicro(), micro(tok.Expires), tok.Revoked)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: token %s", store.ErrExists, tok.ID)
	}
	return t.Record("token.add", "token/"+tok.ID, store.TokenAuditDetail(&tok))
}

// RevokeToken implements store.AccountTx.
func (t *caseTx) RevokeToken(id string) error {
	var user string
	err := t.tx.QueryRow(t.ctx, `UPDATE api_tokens SET revoked = true WHERE id = $1 RETURNING user_name`, id).Scan(&user)
	if errors.Is(err, pgx.ErrNoRows) {
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
	us, err := s.users(ctx, `WHERE name = $1`, name)
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
	rows, _ := s.pool.Query(ctx, userQuery+" "+where, args...)
	out, err := collect(rows, func(row pgx.CollectableRow) (store.User, error) {
		var u store.User
		var roles string
		var clearance int16
		var created, updated int64
		err := row.Scan(&u.Name, &u.FullName, &u.Agency, &roles, &clearance, &u.PasswordHash, &u.MustChange, &u.Disabled, &created, &updated)
		u.Roles, u.Clearance = store.SplitRoles(roles), event.TLP(clearance)
		u.Created, u.Updated = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read users: %w", err)
	}
	return out, nil
}

const tokenQuery = `SELECT id, user_name, name, hash, created, expires, revoked FROM api_tokens`

// Token implements store.Accounts.
func (s *Store) Token(ctx context.Context, id string) (store.APIToken, error) {
	ts, err := s.tokens(ctx, `WHERE id = $1`, id)
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
	return s.tokens(ctx, `WHERE user_name = $1 ORDER BY id`, user)
}

func (s *Store) tokens(ctx context.Context, where string, args ...any) ([]store.APIToken, error) {
	rows, _ := s.pool.Query(ctx, tokenQuery+" "+where, args...)
	out, err := collect(rows, func(row pgx.CollectableRow) (store.APIToken, error) {
		var t store.APIToken
		var created int64
		var expires *int64
		err := row.Scan(&t.ID, &t.User, &t.Name, &t.Hash, &created, &expires, &t.Revoked)
		t.Created, t.Expires = time.UnixMicro(created).UTC(), fromMicro(expires)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read tokens: %w", err)
	}
	return out, nil
}

// CreateSession implements store.Accounts.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO sessions (id_hash, user_name, csrf, created, expires) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id_hash) DO NOTHING`, sess.IDHash, sess.User, sess.CSRF, sess.Created.UnixMicro(), sess.Expires.UnixMicro())
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: session", store.ErrExists)
	}
	return nil
}

// Session implements store.Accounts.
func (s *Store) Session(ctx context.Context, idHash []byte, now time.Time) (store.Session, error) {
	sess := store.Session{IDHash: bytes.Clone(idHash)}
	var created, expires int64
	err := s.pool.QueryRow(ctx, `SELECT user_name, csrf, created, expires FROM sessions WHERE id_hash = $1 AND expires > $2`,
		idHash, now.UnixMicro()).Scan(&sess.User, &sess.CSRF, &created, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
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
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions implements store.Accounts.
func (s *Store) DeleteUserSessions(ctx context.Context, user string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE user_name = $1`, user); err != nil {
		return fmt.Errorf("store: delete the sessions of %s: %w", user, err)
	}
	return nil
}

// DeleteExpiredSessions implements store.Accounts.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires <= $1`, now.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}
