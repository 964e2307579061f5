package auth

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
)

func TestTokenRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for range 200 { // enough draws to hit secrets containing '_' and '-'
		plain, id, hash := NewToken()
		if !strings.HasPrefix(plain, "cnc_"+id+"_") || len(id) != 16 || len(plain) != 4+16+1+43 {
			t.Fatalf("token %q (id %q) has the wrong shape", plain, id)
		}
		if seen[id] {
			t.Fatalf("id %q drawn twice", id)
		}
		seen[id] = true
		gotID, gotHash, err := ParseToken(plain)
		if err != nil || gotID != id || !TokenMatches(hash, gotHash) {
			t.Fatalf("ParseToken(%q) = %q, %x, %v; want %q, %x", plain, gotID, gotHash, err, id, hash)
		}
		if sum := sha256.Sum256([]byte(plain)); !bytes.Equal(sum[:], hash) {
			t.Fatal("stored hash is not the SHA-256 of the plain token")
		}
	}
}

func TestTokenTampering(t *testing.T) {
	plain, id, hash := NewToken()
	secret := strings.TrimPrefix(plain, "cnc_"+id+"_")
	otherChar := func(c byte) string {
		if c == 'A' {
			return "B"
		}
		return "A"
	}
	// Well-formed but altered: parses, does not match.
	for name, p := range map[string]string{
		"secret changed": "cnc_" + id + "_" + otherChar(secret[0]) + secret[1:],
		"id changed":     "cnc_" + otherHex(id) + "_" + secret,
	} {
		_, got, err := ParseToken(p)
		if err != nil {
			t.Fatalf("%s: ParseToken: %v", name, err)
		}
		if TokenMatches(hash, got) {
			t.Errorf("%s: tampered token matches", name)
		}
	}
	// Malformed: refused before any lookup.
	for name, p := range map[string]string{
		"empty":            "",
		"no prefix":        id + "_" + secret,
		"other prefix":     "ghp_" + id + "_" + secret,
		"upper-case id":    "cnc_" + strings.ToUpper(id) + "X_" + secret,
		"short id":         "cnc_" + id[:15] + "_" + secret,
		"non-hex id":       "cnc_" + "zz" + id[2:] + "_" + secret,
		"no secret":        "cnc_" + id + "_",
		"short secret":     "cnc_" + id + "_" + secret[:42],
		"long secret":      "cnc_" + id + "_" + secret + "AAAA",
		"padded secret":    "cnc_" + id + "_" + secret + "=",
		"std base64":       "cnc_" + id + "_" + strings.Repeat("+", 43),
		"trailing newline": plain + "\n",
	} {
		if _, _, err := ParseToken(p); !errors.Is(err, ErrMalformedToken) {
			t.Errorf("%s: ParseToken(%q) err = %v, want ErrMalformedToken", name, p, err)
		}
	}
	if TokenMatches(nil, nil) || TokenMatches([]byte{}, []byte{}) {
		t.Error("empty hashes match")
	}
}

func otherHex(id string) string {
	if id[0] == '0' {
		return "1" + id[1:]
	}
	return "0" + id[1:]
}
