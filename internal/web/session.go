package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// cookieName is the session cookie. With Secure set it takes the __Host-
// prefix, which browsers only accept from a secure origin, for the whole
// host and without a Domain attribute.
func (s *Server) cookieName() string {
	if s.Cfg.Secure {
		return "__Host-concord_session"
	}
	return "concord_session"
}

// authenticate finds the caller: an API token in the Authorization header,
// else a session cookie. A presented credential that is wrong, expired,
// revoked or belongs to a disabled account is an error (401), not a
// silent fall-back to anonymous.
func (s *Server) authenticate(c *Ctx) error {
	ctx := c.R.Context()
	now := s.Cfg.Now()
	if h := c.R.Header.Get("Authorization"); h != "" {
		plain, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return Errorf(http.StatusUnauthorized, "the Authorization header must be 'Bearer <API token>'")
		}
		id, hash, err := auth.ParseToken(strings.TrimSpace(plain))
		if err != nil {
			return Errorf(http.StatusUnauthorized, "the API token is malformed")
		}
		t, err := s.Store.Token(ctx, id)
		if err != nil || t.Revoked || (!t.Expires.IsZero() && now.After(t.Expires)) || !auth.TokenMatches(t.Hash, hash) {
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return Errorf(http.StatusUnauthorized, "the API token is unknown, revoked or expired")
		}
		if err := c.login(t.User); err != nil {
			return err
		}
		c.viaToken = true
		return nil
	}
	ck, err := c.R.Cookie(s.cookieName())
	if err != nil || ck.Value == "" {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(raw) != 32 {
		s.clearCookie(c.W)
		return nil
	}
	sum := sha256.Sum256(raw)
	sess, err := s.Store.Session(ctx, sum[:], now)
	if errors.Is(err, store.ErrNotFound) {
		// Expired or logged out elsewhere: the visitor is anonymous again.
		s.clearCookie(c.W)
		return nil
	}
	if err != nil {
		return err
	}
	if err := c.login(sess.User); err != nil {
		s.clearCookie(c.W)
		if e := (*Error)(nil); errors.As(err, &e) {
			return nil
		}
		return err
	}
	c.CSRF = sess.CSRF
	return nil
}

// login makes the named account the caller.
func (c *Ctx) login(name string) error {
	u, err := c.S.Store.User(c.R.Context(), name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled) {
		return Errorf(http.StatusUnauthorized, "the account is unknown or disabled")
	}
	if err != nil {
		return err
	}
	c.User = &u
	c.P = PrincipalOf(u)
	return nil
}

// PrincipalOf returns the principal an account acts as.
func PrincipalOf(u store.User) auth.Principal {
	p := auth.Principal{User: u.Name, Agency: u.Agency, Clearance: u.Clearance}
	for _, r := range u.Roles {
		p.Roles = append(p.Roles, auth.Role(r))
	}
	return p
}

// checkCSRF refuses an unsafe request made with the session cookie unless
// it carries the session's token and, when the browser names one, comes
// from this server's origin.
func (c *Ctx) checkCSRF() error {
	if o := c.R.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || !strings.EqualFold(u.Host, c.R.Host) {
			return Errorf(http.StatusForbidden, "cross-origin request refused")
		}
	}
	got := c.R.Header.Get("X-CSRF-Token")
	if got == "" {
		got = formValue(c.R, "csrf")
	}
	if c.CSRF == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.CSRF)) != 1 {
		return Errorf(http.StatusForbidden, "the form expired or did not come from this site; reload the page and try again")
	}
	return nil
}

// formValue reads a form field without consuming a multipart body that a
// handler streams: for multipart forms the csrf field travels in the URL
// query or the header instead (the upload pages put it in the action URL).
func formValue(r *http.Request, name string) string {
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/") {
		return r.URL.Query().Get(name)
	}
	return r.PostFormValue(name)
}

// startSession logs name in: a new session row, the cookie, and any
// earlier session of this browser ended.
func (s *Server) startSession(c *Ctx, name string) error {
	var secret [32]byte
	rand.Read(secret[:])
	sum := sha256.Sum256(secret[:])
	now := s.Cfg.Now()
	sess := store.Session{IDHash: sum[:], User: name, CSRF: randomToken(), Created: now, Expires: now.Add(s.Cfg.SessionTTL)}
	if err := s.Store.CreateSession(c.R.Context(), sess); err != nil {
		return err
	}
	http.SetCookie(c.W, &http.Cookie{
		Name: s.cookieName(), Value: base64.RawURLEncoding.EncodeToString(secret[:]),
		Path: "/", HttpOnly: true, Secure: s.Cfg.Secure, SameSite: http.SameSiteStrictMode,
		Expires: sess.Expires,
	})
	c.CSRF = sess.CSRF
	return nil
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.Cfg.Secure, SameSite: http.SameSiteStrictMode})
}

// randomToken returns 32 random bytes in base64url, for CSRF tokens and
// one-time passwords.
func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// OneTimePassword returns a fresh random password for an account that must
// change it at first login.
func OneTimePassword() string { return randomToken()[:20] }

// clientAddr is the caller's address for throttling: the TCP peer.
// Forwarded headers are not trusted; behind a proxy every client shares
// the proxy's budget, which fails safe.
func clientAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// safeNext keeps a post-login redirect on this site: a path, never a
// scheme, host or protocol-relative URL.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// loginPage shows the login form.
func (s *Server) loginPage(c *Ctx) error {
	if c.User != nil {
		http.Redirect(c.W, c.R, "/", http.StatusSeeOther)
		return nil
	}
	return c.Page("login", "Log in", map[string]any{"Next": safeNext(c.R.URL.Query().Get("next"))})
}

// CheckPassword checks a user name and password the way every login does:
// throttled per user name and per client address (a throttled attempt is
// refused without checking the password), unknown names costing the same
// time as wrong passwords, and failures logged without the name unless the
// account exists (people type passwords into the name field). It returns
// the account, or an *Error: 429 while throttled, 401 for a wrong name or
// password or a disabled account.
func (s *Server) CheckPassword(r *http.Request, name, pw string) (store.User, error) {
	now := s.Cfg.Now()
	keys := []string{auth.UserKey(name), auth.AddrKey(clientAddr(r))}
	for _, k := range keys {
		if ok, wait := s.throttle.Allow(k, now); !ok {
			s.metrics.loginFailures.Add(1)
			return store.User{}, &Error{Status: http.StatusTooManyRequests,
				Message:    "Too many failed attempts. Wait " + wait.Round(time.Second).String() + " and try again.",
				RetryAfter: wait}
		}
	}
	u, err := s.Store.User(r.Context(), name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.User{}, err
	}
	known, ok := err == nil, false
	if known && !u.Disabled {
		ok, _, err = auth.CheckPassword(u.PasswordHash, pw)
		if err != nil {
			s.Cfg.Log.Warn("stored password hash unusable", "user", u.Name, "err", err)
			ok = false
		}
	} else {
		// Spend the same time on unknown names, so timing does not tell
		// which accounts exist.
		auth.CheckPassword(dummyHash, pw)
	}
	if !ok {
		for _, k := range keys {
			s.throttle.Fail(k, now)
		}
		s.metrics.loginFailures.Add(1)
		logged := "(unknown)"
		if known {
			logged = u.Name
		}
		s.Cfg.Log.Info("login failed", "user", logged, "addr", clientAddr(r).String())
		return store.User{}, &Error{Status: http.StatusUnauthorized, Message: "The user name or password is wrong."}
	}
	for _, k := range keys {
		s.throttle.Succeed(k)
	}
	return u, nil
}

// loginSubmit checks a user name and password (CheckPassword) and starts
// a session.
func (s *Server) loginSubmit(c *Ctx) error {
	name := strings.TrimSpace(c.R.PostFormValue("user"))
	pw := c.R.PostFormValue("password")
	next := safeNext(c.R.PostFormValue("next"))
	u, err := s.CheckPassword(c.R, name, pw)
	var e *Error
	if errors.As(err, &e) {
		if e.RetryAfter > 0 {
			c.W.Header().Set("Retry-After", itoa(int64(e.RetryAfter/time.Second)+1))
		}
		return c.PageStatus(e.Status, "login", "Log in", map[string]any{"Next": next, "User": name, "Error": e.Message})
	}
	if err != nil {
		return err
	}
	if err := s.startSession(c, u.Name); err != nil {
		return err
	}
	s.Cfg.Log.Info("login", "user", u.Name)
	if u.MustChange {
		next = "/account/password"
	}
	http.Redirect(c.W, c.R, next, http.StatusSeeOther)
	return nil
}

// dummyHash is checked against for unknown user names.
var dummyHash = func() string {
	h, _ := auth.HashPassword("concord-no-such-user-password")
	return h
}()

// logout ends the session.
func (s *Server) logout(c *Ctx) error {
	if ck, err := c.R.Cookie(s.cookieName()); err == nil {
		if raw, err := base64.RawURLEncoding.DecodeString(ck.Value); err == nil {
			sum := sha256.Sum256(raw)
			if err := s.Store.DeleteSession(c.R.Context(), sum[:]); err != nil {
				return err
			}
		}
	}
	s.clearCookie(c.W)
	http.Redirect(c.W, c.R, "/login", http.StatusSeeOther)
	return nil
}

// passwordPage asks for a new password (forced after a one-time password).
func (s *Server) passwordPage(c *Ctx) error {
	return c.Page("password", "Change your password", map[string]any{"Forced": c.User.MustChange})
}

// passwordSubmit changes the caller's password, ends its other sessions
// and starts a fresh one.
func (s *Server) passwordSubmit(c *Ctx) error {
	u := *c.User
	cur, pw, again := c.R.PostFormValue("current"), c.R.PostFormValue("password"), c.R.PostFormValue("again")
	fail := func(msg string) error {
		return c.PageStatus(http.StatusBadRequest, "password", "Change your password", map[string]any{"Forced": u.MustChange, "Error": msg})
	}
	if ok, _, _ := auth.CheckPassword(u.PasswordHash, cur); !ok {
		return fail("The current password is wrong.")
	}
	if pw != again {
		return fail("The two new passwords differ.")
	}
	if pw == cur {
		return fail("Choose a password different from the current one.")
	}
	if err := auth.ValidatePassword(pw); err != nil {
		return fail(err.Error())
	}
	h, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	u.PasswordHash, u.MustChange, u.Updated = h, false, s.Cfg.Now()
	if err := s.Store.Change(c.R.Context(), u.Name, func(tx store.CaseTx) error {
		return tx.PutUser(u)
	}); err != nil {
		return err
	}
	if err := s.Store.DeleteUserSessions(c.R.Context(), u.Name); err != nil {
		return err
	}
	if err := s.startSession(c, u.Name); err != nil {
		return err
	}
	http.Redirect(c.W, c.R, "/", http.StatusSeeOther)
	return nil
}

// Bootstrap makes sure the node has an administrator: when no account
// exists it creates "admin" of the agency with roles and a one-time
// password that must be changed at first login, and returns that
// password. When accounts exist it returns "", unless reset is set (the
// demo node): then "admin" gets a fresh one-time password.
func Bootstrap(ctx context.Context, st Store, agency string, roles []auth.Role, reset bool, now time.Time) (string, error) {
	users, err := st.Users(ctx)
	if err != nil {
		return "", err
	}
	u := store.User{Name: "admin", FullName: "Node administrator", Agency: agency,
		Clearance: event.TLPAmberStrict, Created: now}
	for _, r := range roles {
		u.Roles = append(u.Roles, string(r))
	}
	if len(users) > 0 {
		if !reset {
			return "", nil
		}
		if old, err := st.User(ctx, "admin"); err == nil {
			u = old
		} else if !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
	}
	pw := OneTimePassword()
	if u.PasswordHash, err = auth.HashPassword(pw); err != nil {
		return "", err
	}
	u.MustChange, u.Disabled, u.Updated = true, false, now
	if err := st.Change(ctx, "concord-serve", func(tx store.CaseTx) error { return tx.PutUser(u) }); err != nil {
		return "", err
	}
	return pw, st.DeleteUserSessions(ctx, u.Name)
}
