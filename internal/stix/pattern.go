package stix

import (
	"fmt"
	"net/netip"
	"strings"
)

// Observable types a simple pattern can compare.
const (
	TypeIPv4   = "ipv4-addr"
	TypeIPv6   = "ipv6-addr"
	TypeDomain = "domain-name"
	TypeURL    = "url"
)

// AddressPattern returns the STIX pattern matching exactly ip.
func AddressPattern(ip netip.Addr) string {
	typ := TypeIPv4
	if ip.Is6() {
		typ = TypeIPv6
	}
	return EqualityPattern(typ, ip.String())
}

// AddressType returns the SCO type of ip.
func AddressType(ip netip.Addr) string {
	if ip.Is4() {
		return TypeIPv4
	}
	return TypeIPv6
}

// EqualityPattern returns "[typ:value = 'v']" with v quoted as STIX
// patterning string literals are: backslash and quote escaped.
func EqualityPattern(typ, v string) string {
	v = strings.ReplaceAll(v, `\`, `\\`)
	v = strings.ReplaceAll(v, `'`, `\'`)
	return "[" + typ + ":value = '" + v + "']"
}

// ParseEquality reads a pattern that compares one observable's value for
// equality — "[ipv4-addr:value = '198.51.100.1']", the form almost every
// address indicator takes — and returns the observable type and value. It
// refuses anything else (several comparisons, other operators or
// properties, qualifiers) with a reason, since Concord cannot turn a
// pattern it does not fully understand into an event without guessing.
func ParseEquality(p string) (typ, value string, err error) {
	s := strings.TrimSpace(p)
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return "", "", fmt.Errorf("pattern %q is not one bracketed comparison", short(p))
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	path, rest, ok := strings.Cut(s, "=")
	if !ok || strings.HasSuffix(path, "!") || strings.HasSuffix(path, "<") || strings.HasSuffix(path, ">") {
		return "", "", fmt.Errorf("pattern %q is not an equality comparison", short(p))
	}
	path = strings.TrimSpace(path)
	typ, prop, ok := strings.Cut(path, ":")
	if !ok || prop != "value" {
		return "", "", fmt.Errorf("pattern %q does not compare an observable's value", short(p))
	}
	switch typ {
	case TypeIPv4, TypeIPv6, TypeDomain, TypeURL:
	default:
		return "", "", fmt.Errorf("pattern %q compares a %s, not an address, domain or URL", short(p), typ)
	}
	lit := strings.TrimSpace(rest)
	if len(lit) < 2 || lit[0] != '\'' {
		return "", "", fmt.Errorf("pattern %q does not compare with a string", short(p))
	}
	var b strings.Builder
	i := 1
	for ; i < len(lit); i++ {
		c := lit[i]
		if c == '\\' && i+1 < len(lit) {
			i++
			b.WriteByte(lit[i])
			continue
		}
		if c == '\'' {
			break
		}
		b.WriteByte(c)
	}
	if i >= len(lit) {
		return "", "", fmt.Errorf("pattern %q has an unterminated string", short(p))
	}
	if strings.TrimSpace(lit[i+1:]) != "" {
		return "", "", fmt.Errorf("pattern %q is more than one equality comparison", short(p))
	}
	return typ, b.String(), nil
}

func short(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
