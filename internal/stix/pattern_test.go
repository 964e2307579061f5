package stix

import (
	"net/netip"
	"testing"
)

func TestParseEquality(t *testing.T) {
	tests := []struct {
		in, typ, value string
		bad            bool
	}{
		{in: "[ipv4-addr:value = '198.51.100.1']", typ: TypeIPv4, value: "198.51.100.1"},
		{in: " [ ipv6-addr:value='2001:db8::1' ] ", typ: TypeIPv6, value: "2001:db8::1"},
		{in: "[domain-name:value = 'evil.example']", typ: TypeDomain, value: "evil.example"},
		{in: `[url:value = 'http://x.example/a\'b']`, typ: TypeURL, value: "http://x.example/a'b"},
		{in: "[ipv4-addr:value = '1.2.3.4'] OR [ipv4-addr:value = '1.2.3.5']", bad: true},
		{in: "[file:hashes.'SHA-256' = 'aa']", bad: true},
		{in: "[ipv4-addr:value != '1.2.3.4']", bad: true},
		{in: "[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '1.2.3.5']", bad: true},
		{in: "[ipv4-addr:value = '1.2.3.4", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		typ, v, err := ParseEquality(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("%q: accepted as %s %q", tt.in, typ, v)
			}
			continue
		}
		if err != nil || typ != tt.typ || v != tt.value {
			t.Errorf("%q = %s %q, %v; want %s %q", tt.in, typ, v, err, tt.typ, tt.value)
		}
	}
}

func TestPatternRoundTrip(t *testing.T) {
	for _, s := range []string{"192.0.2.1", "2001:db8::53"} {
		ip := netip.MustParseAddr(s)
		typ, v, err := ParseEquality(AddressPattern(ip))
		if err != nil || typ != AddressType(ip) || v != s {
			t.Errorf("%s: %s %q %v", s, typ, v, err)
		}
	}
}
