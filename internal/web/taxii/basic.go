package taxii

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/concord-cert/concord/internal/auth"
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
	b := &basic{s: s, throttle: auth.NewThrottle(auth.DefaultThrottleConfig()), cache: map[[32]byte]basicEntry{}}
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
	s        *web.Server
	throttle *auth.Throttle
	mu       sync.Mutex
	cache    map[[32]byte]basicEntry
}

// basicEntry is a password checked recently: valid while the account's
// hash is still the one it was checked against.
type basicEntry struct {
	hash    string
	expires time.Time
}

// check returns the account name and pw log in to, or nil with the status
// and message to answer.
func (b *basic) check(r *http.Request, name, pw string) (*store.User, int, string) {
	now := b.s.Cfg.Now()
	u, err := b.s.Store.User(r.Context(), name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		b.s.Cfg.Log.Error("TAXII login failed", "err", err)
		return nil, http.StatusInternalServerError, "the server log has the details"
	}
	known := err == nil && !u.Disabled
	key := sha256.Sum256([]byte(name + "\x00" + pw))
	b.mu.Lock()
	e, hit := b.cache[key]
	b.mu.Unlock()
	if hit && known && e.hash == u.PasswordHash && now.Before(e.expires) {
		return &u, 0, ""
	}
	keys := []string{auth.UserKey(name), auth.AddrKey(peer(r))}
	for _, k := range keys {
		if ok, wait := b.throttle.Allow(k, now); !ok {
			return nil, http.StatusTooManyRequests, "too many failed attempts; wait " + wait.Round(time.Second).String() + " and try again"
		}
	}
	ok := false
	if known {
		ok, _, err = auth.CheckPassword(u.PasswordHash, pw)
		if err != nil {
			b.s.Cfg.Log.Warn("stored password hash unusable", "user", name, "err", err)
			ok = false
		}
	} else {
		auth.CheckPassword(dummyHash, pw)
	}
	if !ok {
		for _, k := range keys {
			b.throttle.Fail(k, now)
		}
		logged := "(unknown)"
		if known {
			logged = u.Name
		}
		b.s.Cfg.Log.Info("TAXII login failed", "user", logged, "addr", peer(r).String())
		return nil, http.StatusUnauthorized, "the user name or password is wrong"
	}
	for _, k := range keys {
		b.throttle.Succeed(k)
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

// dummyHash is checked against for unknown user names.
var dummyHash = func() string {
	h, _ := auth.HashPassword("concord-no-such-taxii-user")
	return h
}()

// peer is the TCP peer's address; forwarded headers are not trusted.
func peer(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}
