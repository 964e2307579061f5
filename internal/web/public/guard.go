package public

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/web"
)

// guardTTL is how long a form stays valid after it was first shown: a
// report takes minutes, a slow one under an hour.
const guardTTL = 2 * time.Hour

// guard issues and checks the double-submit tokens of the public forms.
// The cookie holds 16 random bytes and the time it was issued; the form
// holds the HMAC of that value under key. A page of another site can make
// a browser send the cookie but cannot read it, so it cannot compute the
// field.
type guard struct {
	key    [32]byte
	secure bool
	now    func() time.Time
}

func newGuard(secure bool, now func() time.Time) *guard {
	g := &guard{secure: secure, now: now}
	rand.Read(g.key[:])
	return g
}

func (g *guard) cookieName() string {
	if g.secure {
		return "__Host-concord_form"
	}
	return "concord_form"
}

// issue returns the token for the form's hidden field, reusing the
// browser's cookie while it has more than half its life left (so that a
// second tab does not void the first) and setting a fresh one otherwise.
func (g *guard) issue(w http.ResponseWriter, r *http.Request) string {
	now := g.now()
	if raw, issued, ok := g.cookie(r); ok && now.Sub(issued) < guardTTL/2 {
		return g.mac(raw)
	}
	raw := make([]byte, 24)
	rand.Read(raw[:16])
	binary.BigEndian.PutUint64(raw[16:], uint64(now.Unix()))
	http.SetCookie(w, &http.Cookie{
		Name: g.cookieName(), Value: base64.RawURLEncoding.EncodeToString(raw), Path: "/",
		MaxAge: int(guardTTL / time.Second), HttpOnly: true, Secure: g.secure, SameSite: http.SameSiteStrictMode,
	})
	return g.mac(raw)
}

// clear removes the cookie once a report is filed, so that sending the
// same page again files nothing.
func (g *guard) clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: g.cookieName(), Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: g.secure, SameSite: http.SameSiteStrictMode})
}

// valid reports whether the request carries an unexpired cookie whose HMAC
// is token.
func (g *guard) valid(r *http.Request, token string) bool {
	raw, issued, ok := g.cookie(r)
	if !ok || g.now().Sub(issued) > guardTTL {
		return false
	}
	return hmac.Equal([]byte(g.mac(raw)), []byte(token))
}

func (g *guard) cookie(r *http.Request) (raw []byte, issued time.Time, ok bool) {
	ck, err := r.Cookie(g.cookieName())
	if err != nil {
		return nil, time.Time{}, false
	}
	raw, err = base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(raw) != 24 {
		return nil, time.Time{}, false
	}
	return raw, time.Unix(int64(binary.BigEndian.Uint64(raw[16:])), 0), true
}

func (g *guard) mac(raw []byte) string {
	m := hmac.New(sha256.New, g.key[:])
	m.Write(raw)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sameOrigin refuses a request that a browser says comes from another
// site: an Origin naming another host, or Sec-Fetch-Site cross-site.
// Clients that send neither (scripts, old browsers) pass; the form token
// still guards the HTML form.
func sameOrigin(r *http.Request) error {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return web.Errorf(http.StatusForbidden, "cross-origin request refused")
		}
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return web.Errorf(http.StatusForbidden, "cross-origin request refused")
	}
	return nil
}
