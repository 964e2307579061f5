package auth

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testConfig() ThrottleConfig {
	return ThrottleConfig{
		MaxFailures: 3,
		Window:      10 * time.Minute,
		BaseBackoff: time.Minute,
		MaxBackoff:  8 * time.Minute,
		Forget:      time.Hour,
		MaxKeys:     100,
	}
}

// step is one call in a throttle sequence, at t0 + at.
type step struct {
	op    string // "allow", "fail", "ok" (Succeed)
	at    time.Duration
	allow bool          // for "allow": expected answer
	retry time.Duration // for "allow": expected retryAfter
}

func TestThrottleSequences(t *testing.T) {
	m := time.Minute
	tests := []struct {
		name  string
		steps []step
	}{
		{"fresh key allowed", []step{{op: "allow", allow: true}}},
		{"below threshold stays open", []step{
			{op: "fail", at: 0}, {op: "fail", at: m},
			{op: "allow", at: m, allow: true},
		}},
		{"threshold blocks for base backoff", []step{
			{op: "fail", at: 0}, {op: "fail", at: m}, {op: "fail", at: 2 * m},
			{op: "allow", at: 2 * m, allow: false, retry: m},
			{op: "allow", at: 2*m + 30*time.Second, allow: false, retry: 30 * time.Second},
			{op: "allow", at: 3 * m, allow: true},
		}},
		{"backoff doubles then caps", []step{
			{op: "fail", at: 0}, {op: "fail", at: 0}, {op: "fail", at: 0},
			{op: "allow", at: 0, allow: false, retry: m},
			{op: "fail", at: m}, // 2 min
			{op: "allow", at: m, allow: false, retry: 2 * m},
			{op: "fail", at: 3 * m}, // 4 min
			{op: "allow", at: 3 * m, allow: false, retry: 4 * m},
			{op: "fail", at: 7 * m}, // 8 min, the cap
			{op: "allow", at: 7 * m, allow: false, retry: 8 * m},
			{op: "fail", at: 15 * m}, // still 8
			{op: "allow", at: 15 * m, allow: false, retry: 8 * m},
			{op: "allow", at: 23 * m, allow: true},
		}},
		{"failures outside window do not add up", []step{
			{op: "fail", at: 0}, {op: "fail", at: m},
			{op: "fail", at: 11 * m}, // window restarted: 1 failure
			{op: "fail", at: 12 * m},
			{op: "allow", at: 12 * m, allow: true},
			{op: "fail", at: 13 * m},
			{op: "allow", at: 13 * m, allow: false, retry: m},
		}},
		{"success resets", []step{
			{op: "fail", at: 0}, {op: "fail", at: 0},
			{op: "ok", at: 0},
			{op: "fail", at: m}, {op: "fail", at: m},
			{op: "allow", at: m, allow: true},
		}},
		{"success resets backoff level", []step{
			{op: "fail", at: 0}, {op: "fail", at: 0}, {op: "fail", at: 0}, {op: "fail", at: m},
			{op: "ok", at: 5 * m},
			{op: "fail", at: 6 * m}, {op: "fail", at: 6 * m}, {op: "fail", at: 6 * m},
			{op: "allow", at: 6 * m, allow: false, retry: m},
		}},
		{"quiet past Forget starts over", []step{
			{op: "fail", at: 0}, {op: "fail", at: 0}, {op: "fail", at: 0}, {op: "fail", at: m},
			{op: "fail", at: 2 * time.Hour}, // history forgotten: 1 failure
			{op: "allow", at: 2 * time.Hour, allow: true},
		}},
		{"blocked key within Forget keeps escalating", []step{
			{op: "fail", at: 0}, {op: "fail", at: 0}, {op: "fail", at: 0},
			{op: "fail", at: 30 * m}, // past Window, within Forget: 2 min
			{op: "allow", at: 30 * m, allow: false, retry: 2 * m},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := NewThrottle(testConfig())
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				switch s.op {
				case "fail":
					th.Fail("user:alice", now)
				case "ok":
					th.Succeed("user:alice")
				case "allow":
					ok, retry := th.Allow("user:alice", now)
					if ok != s.allow || retry != s.retry {
						t.Fatalf("step %d at +%v: Allow = %v, %v; want %v, %v", i, s.at, ok, retry, s.allow, s.retry)
					}
				}
			}
		})
	}
}

func TestThrottleKeysIndependent(t *testing.T) {
	th := NewThrottle(testConfig())
	for range 3 {
		th.Fail(UserKey("alice"), t0)
	}
	if ok, _ := th.Allow(UserKey("alice"), t0); ok {
		t.Error("alice not blocked")
	}
	if ok, _ := th.Allow(UserKey("bob"), t0); !ok {
		t.Error("bob blocked by alice's failures")
	}
	if th.Len() != 1 {
		t.Errorf("Len = %d; Allow must not create entries", th.Len())
	}
}

func TestThrottleMemoryCap(t *testing.T) {
	cfg := testConfig()
	cfg.MaxKeys = 10
	th := NewThrottle(cfg)
	for i := range 3 {
		th.Fail("victim-key", t0.Add(time.Duration(i)*time.Second))
	}
	for i := range 25 {
		th.Fail(fmt.Sprintf("k%d", i), t0.Add(time.Minute))
		if th.Len() > cfg.MaxKeys {
			t.Fatalf("after %d keys Len = %d > cap %d", i+1, th.Len(), cfg.MaxKeys)
		}
	}
	if th.Len() != cfg.MaxKeys {
		t.Errorf("Len = %d, want %d", th.Len(), cfg.MaxKeys)
	}
	// The oldest key went first; the newest are kept.
	if ok, _ := th.Allow("victim-key", t0.Add(time.Minute)); !ok {
		t.Error("oldest key was not evicted")
	}
	th.Fail("k24", t0.Add(time.Minute))
	th.Fail("k24", t0.Add(time.Minute))
	if ok, _ := th.Allow("k24", t0.Add(time.Minute)); ok {
		t.Error("newest key lost its history")
	}
	// A key that fails again moves to the front and survives.
	th.Fail("k15", t0.Add(2*time.Minute))
	for i := range 9 {
		th.Fail(fmt.Sprintf("n%d", i), t0.Add(3*time.Minute))
	}
	th.Fail("k15", t0.Add(3*time.Minute))
	th.Fail("k15", t0.Add(3*time.Minute))
	if ok, _ := th.Allow("k15", t0.Add(3*time.Minute)); ok {
		t.Error("recently failed key was evicted")
	}
}

func TestThrottleConcurrent(t *testing.T) {
	th := NewThrottle(testConfig())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				k := fmt.Sprintf("k%d", (g*500+i)%150)
				th.Allow(k, t0)
				th.Fail(k, t0)
				if i%7 == 0 {
					th.Succeed(k)
				}
			}
		})
	}
	wg.Wait()
	if th.Len() > testConfig().MaxKeys {
		t.Errorf("Len = %d over cap", th.Len())
	}
}

func TestNewThrottleDefaults(t *testing.T) {
	th := NewThrottle(ThrottleConfig{})
	if th.cfg != DefaultThrottleConfig() {
		t.Errorf("zero config gave %+v", th.cfg)
	}
}

func TestAddrKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.7", "addr:192.0.2.7"},
		{"::ffff:192.0.2.7", "addr:192.0.2.7"},
		{"2001:db8:1:2:aaaa::1", "addr:2001:db8:1:2::/64"},
		{"2001:db8:1:2:bbbb::9", "addr:2001:db8:1:2::/64"},
	}
	for _, tt := range tests {
		if got := AddrKey(netip.MustParseAddr(tt.in)); got != tt.want {
			t.Errorf("AddrKey(%s) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if UserKey("alice") == AddrKey(netip.MustParseAddr("192.0.2.7")) {
		t.Error("user and address keys collide")
	}
}
