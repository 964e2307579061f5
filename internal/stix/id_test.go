package stix

import (
	"regexp"
	"strings"
	"testing"
)

func TestUUIDv5MatchesRFC(t *testing.T) {
	// RFC 9562 appendix A.4: "www.example.com" in the DNS namespace.
	dns := [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	if got, want := UUIDv5(dns, []byte("www.example.com")), "2ed6657d-e927-568b-95e1-2665a8aea6a2"; got != want {
		t.Fatalf("UUIDv5 = %s, want %s", got, want)
	}
}

func TestSCOIDIsDeterministic(t *testing.T) {
	a := SCOID("ipv4-addr", map[string]any{"value": "198.51.100.3"})
	b := SCOID("ipv4-addr", map[string]any{"value": "198.51.100.3"})
	c := SCOID("ipv4-addr", map[string]any{"value": "198.51.100.4"})
	if a != b || a == c {
		t.Fatalf("ids: %s %s %s", a, b, c)
	}
}

// TestIDTypeAgreesWithThePattern checks the hand-written identifier check
// against the specification's pattern, written as a regular expression.
func TestIDTypeAgreesWithThePattern(t *testing.T) {
	re := regexp.MustCompile(`^([a-z0-9][a-z0-9-]{0,248}[a-z0-9])--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	u := "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	for _, id := range []string{
		"indicator--" + u, "x-acme-thing--" + u, "ab--" + u, "a--" + u, "--" + u, "-a--" + u, "a---" + u,
		"Indicator--" + u, "indicator-" + u, "indicator--" + u[:35], "indicator--" + u + "0",
		"indicator--8e2e2d2b_17d4-4cbf-938f-98ee46b3cd3f", "indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F",
		"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3g", strings.Repeat("a", 250) + "--" + u, strings.Repeat("a", 251) + "--" + u,
		"", "indicator", "ind icator--" + u, "indicator--" + u + "\n",
	} {
		m := re.FindStringSubmatch(id)
		typ, ok := idType(id)
		if ok != (m != nil) || ok && typ != m[1] {
			t.Errorf("%q: idType says %q %v, the pattern %v", id, typ, ok, m)
		}
	}
}

func FuzzIDType(f *testing.F) {
	f.Add("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")
	f.Add("a-b--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f")
	re := regexp.MustCompile(`^([a-z0-9][a-z0-9-]{0,248}[a-z0-9])--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	f.Fuzz(func(t *testing.T, id string) {
		m := re.FindStringSubmatch(id)
		typ, ok := idType(id)
		if ok != (m != nil) || ok && typ != m[1] {
			t.Fatalf("%q: idType says %q %v, the pattern %v", id, typ, ok, m)
		}
	})
}
