package taxii

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
)

// basicKey is the request context key of a user logged in with HTTP
// Basic.
type basicKey struct{}

// basicUser returns the user Basic logged in for r.
func basicUser(r *http.Request) (*store.User, bool) {
	u, ok := r.Context().Value(basicKey{}).(*store.User)
	return u, ok
}

// isBasic reports whether r was authenticated with HTTP Basic.
func isBasic(r *http.Request) bool {
	_, ok := basicUser(r)
	return ok
}

// basicCacheTTL is how long a checked password is trusted without
// hashing it again: a TAXII client pages through a collection with one
// request per page, and Argon2id costs tens of milliseconds each.
const basicCacheTTL = 5 * time.Minute

// Basic returns middleware that lets TAXII clients authenticate with HTTP
// Basic on the /taxii2/ paths: it checks the user name and password the
// way the login form does (throttled per name and per client address,
// unknown names costing the same time as known ones), then passes the
// request on without its Authorization header and with the user in its
// context, where the TAXII routes find it. A wrong or throttled password
// is answered here with a TAXII error message (401 or 429). Other paths
// and other credentials pass through untouched.
func Basic(s *web.Server) func(http.Handler) http.Handler {
	b := &basic{s: s, cache: map[[32]byte]basicEntry{}}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			name, pw, ok := r.BasicAuth()
			if !ok || !strings.HasPrefix(r.URL.Path, Discovery) {
				next.ServeHTTP(w, r)
				return
			}
			u, status, msg := b.check(r, name, pw)
			if u == nil {
				if status == http.StatusUnauthorized {
					w.Header().Set("WWW-Authenticate", `Basic realm="concord TAXII", charset="UTF-8"`)
				}
				w.Header().Set("Content-Type", MediaType)
				w.WriteHeader(status)
				json.NewEncoder(w).Encode(map[string]string{"title": http.StatusText(status), "description": msg, "http_status": strconv.Itoa(status)})
				return
			}
			r = r.Clone(context.WithValue(r.Context(), basicKey{}, u))
			r.Header.Del("Authorization")
			next.ServeHTTP(w, r)
		})
	}
}

type basic struct {
	s     *web.Server
	mu    sync.Mutex
	cache map[[32]byte]basicEntry
}

// basicEntry is a password checked recently: valid while the account's
// hash is still the one it was checked against.
type basicEntry struct {
	hash    string
	expires time.Time
}

// check returns the account name and pw log in to, or nil with the status
// and message to answer. A password checked recently against the
// account's current hash is not hashed again (a client paging through a
// collection sends it with every page); otherwise the server's own check
// applies, with the login form's throttling.
func (b *basic) check(r *http.Request, name, pw string) (*store.User, int, string) {
	now := b.s.Cfg.Now()
	key := sha256.Sum256([]byte(name + "\x00" + pw))
	b.mu.Lock()
	e, hit := b.cache[key]
	b.mu.Unlock()
	if hit && now.Before(e.expires) {
		u, err := b.s.Store.User(r.Context(), name)
		if err == nil && !u.Disabled && u.PasswordHash == e.hash {
			return &u, 0, ""
		}
	}
	u, err := b.s.CheckPassword(r, name, pw)
	var we *web.Error
	if errors.As(err, &we) {
		return nil, we.Status, we.Message
	}
	if err != nil {
		b.s.Cfg.Log.Error("TAXII login failed", "err", err)
		return nil, http.StatusInternalServerError, "the server log has the details"
	}
	b.mu.Lock()
	if len(b.cache) > 10_000 {
		for k, e := range b.cache {
			if !now.Before(e.expires) {
				delete(b.cache, k)
			}
		}
	}
	b.cache[key] = basicEntry{hash: u.PasswordHash, expires: now.Add(basicCacheTTL)}
	b.mu.Unlock()
	return &u, 0, ""
}
