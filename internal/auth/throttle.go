package auth

import (
	"container/list"
	"net/netip"
	"sync"
	"time"
)

// ThrottleConfig sets how Throttle counts failures and backs off. Zero
// fields take the defaults of DefaultThrottleConfig.
type ThrottleConfig struct {
	// MaxFailures is how many failures within Window a key may have before
	// it is blocked.
	MaxFailures int
	// Window is the span in which the first MaxFailures failures count.
	Window time.Duration
	// BaseBackoff is the block after the MaxFailures-th failure; each
	// further failure doubles it.
	BaseBackoff time.Duration
	// MaxBackoff caps the block.
	MaxBackoff time.Duration
	// Forget is how long a blocked key must stay quiet (no failure) before
	// its history is dropped and backoff starts again from BaseBackoff.
	Forget time.Duration
	// MaxKeys bounds memory: beyond it, the least recently failed keys are
	// evicted.
	MaxKeys int
}

// DefaultThrottleConfig returns the defaults: 5 failures in 15 minutes,
// then a 30 s block doubling per further failure up to 1 h, history dropped
// after 24 h of quiet, at most 100 000 keys (a few tens of MiB).
func DefaultThrottleConfig() ThrottleConfig {
	return ThrottleConfig{
		MaxFailures: 5,
		Window:      15 * time.Minute,
		BaseBackoff: 30 * time.Second,
		MaxBackoff:  time.Hour,
		Forget:      24 * time.Hour,
		MaxKeys:     100_000,
	}
}

// Throttle limits login attempts per key, where a key is a user name
// (UserKey) or a client address (AddrKey); the login handler checks both.
// It lives in memory, so a restart forgets it. Safe for concurrent use.
//
// Protocol: call Allow before checking a password; if it refuses, answer
// with retryAfter and do not check the password (and do not call Fail).
// Otherwise call Fail after a wrong password and Succeed after a right one.
//
// Eviction is least-recently-failed first, so an attacker who floods the
// table with fresh keys can push out an older block; MaxKeys should be well
// above the number of keys a single attacker can fail from within Forget.
type Throttle struct {
	cfg   ThrottleConfig
	mu    sync.Mutex
	keys  map[string]*list.Element
	order *list.List // of *throttleEntry, most recently failed first
}

type throttleEntry struct {
	key      string
	failures int
	first    time.Time // first failure of the current window
	last     time.Time // most recent failure
	until    time.Time // blocked until
}

// NewThrottle returns a Throttle with cfg, zero fields replaced by the
// defaults.
func NewThrottle(cfg ThrottleConfig) *Throttle {
	d := DefaultThrottleConfig()
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = d.MaxFailures
	}
	if cfg.Window <= 0 {
		cfg.Window = d.Window
	}
	if cfg.BaseBackoff <= 0 {
		cfg.BaseBackoff = d.BaseBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = d.MaxBackoff
	}
	if cfg.MaxBackoff < cfg.BaseBackoff {
		cfg.MaxBackoff = cfg.BaseBackoff
	}
	if cfg.Forget <= 0 {
		cfg.Forget = d.Forget
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = d.MaxKeys
	}
	return &Throttle{cfg: cfg, keys: make(map[string]*list.Element), order: list.New()}
}

// Allow reports whether an attempt for key may proceed at now; if not,
// retryAfter says how long until it may. Allow records nothing.
func (t *Throttle) Allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	el, found := t.keys[key]
	if !found {
		return true, 0
	}
	e := el.Value.(*throttleEntry)
	if now.Before(e.until) {
		return false, e.until.Sub(now)
	}
	return true, 0
}

// Fail records a failed attempt for key at now, blocking the key once it
// has MaxFailures failures within Window, for BaseBackoff doubled for each
// failure beyond that, up to MaxBackoff.
func (t *Throttle) Fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var e *throttleEntry
	if el, found := t.keys[key]; found {
		e = el.Value.(*throttleEntry)
		t.order.MoveToFront(el)
		blocking := e.failures >= t.cfg.MaxFailures
		if (!blocking && now.Sub(e.first) > t.cfg.Window) || (blocking && now.Sub(e.last) > t.cfg.Forget) {
			e.failures, e.first, e.until = 0, now, time.Time{}
		}
	} else {
		e = &throttleEntry{key: key, first: now}
		t.keys[key] = t.order.PushFront(e)
		for t.order.Len() > t.cfg.MaxKeys {
			old := t.order.Back()
			t.order.Remove(old)
			delete(t.keys, old.Value.(*throttleEntry).key)
		}
	}
	e.failures++
	e.last = now
	if over := e.failures - t.cfg.MaxFailures; over >= 0 {
		b := t.cfg.BaseBackoff
		for i := 0; i < over && b < t.cfg.MaxBackoff; i++ {
			b *= 2
		}
		e.until = now.Add(min(b, t.cfg.MaxBackoff))
	}
}

// Succeed forgets key's failures after a successful attempt.
func (t *Throttle) Succeed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, found := t.keys[key]; found {
		t.order.Remove(el)
		delete(t.keys, key)
	}
}

// Len returns the number of keys held, for metrics and tests.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.keys)
}

// UserKey returns the throttle key for a login name.
func UserKey(user string) string { return "user:" + user }

// AddrKey returns the throttle key for a client address. IPv6 addresses are
// reduced to their /64, since one host usually holds a whole /64 and could
// otherwise rotate through it.
func AddrKey(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return "addr:" + p.String()
	}
	return "addr:" + a.String()
}
