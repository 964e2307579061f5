package stix

import "testing"

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
