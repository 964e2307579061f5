package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// TokenPrefix starts every API token, so that secret scanners and people
// can recognise a leaked Concord token.
const TokenPrefix = "cnc_"

const (
	tokenIDBytes     = 8
	tokenSecretBytes = 32
)

const base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// ErrMalformedToken is returned by ParseToken for anything that is not a
// well-formed Concord API token.
var ErrMalformedToken = errors.New("auth: malformed API token")

// NewToken returns a fresh API token. plain is shown to the user once and
// never stored: "cnc_" + id + "_" + 32 random bytes in unpadded base64url.
// id (16 lowercase hex digits) is stored in clear to find the token's row;
// hash, the SHA-256 of the whole plain token, is the only secret-derived
// value stored.
func NewToken() (plain string, id string, hash []byte) {
	var idb [tokenIDBytes]byte
	var secret [tokenSecretBytes]byte
	// crypto/rand.Read never returns an error since Go 1.24; it crashes
	// the program rather than hand out predictable bytes.
	rand.Read(idb[:])
	rand.Read(secret[:])
	id = hex.EncodeToString(idb[:])
	plain = TokenPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
	sum := sha256.Sum256([]byte(plain))
	return plain, id, sum[:]
}

// ParseToken checks that plain has the shape NewToken produces and returns
// its id and the SHA-256 hash to compare, with TokenMatches, against the
// hash stored under that id.
func ParseToken(plain string) (id string, hash []byte, err error) {
	rest, ok := strings.CutPrefix(plain, TokenPrefix)
	if !ok {
		return "", nil, ErrMalformedToken
	}
	// The id is hex, so the first underscore ends it; the secret may itself
	// contain underscores (base64url).
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 2*tokenIDBytes || strings.Trim(id, "0123456789abcdef") != "" {
		return "", nil, ErrMalformedToken
	}
	// The decoder skips '\r' and '\n', so check length and alphabet first:
	// a token has exactly one spelling.
	if len(secret) != base64.RawURLEncoding.EncodedLen(tokenSecretBytes) ||
		strings.Trim(secret, base64url) != "" {
		return "", nil, ErrMalformedToken
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(secret)
	if err != nil || len(raw) != tokenSecretBytes {
		return "", nil, ErrMalformedToken
	}
	sum := sha256.Sum256([]byte(plain))
	return id, sum[:], nil
}

// TokenMatches reports, in constant time, whether the hash of a presented
// token equals the stored one. Empty hashes never match.
func TokenMatches(stored, presented []byte) bool {
	return len(stored) == sha256.Size && subtle.ConstantTimeCompare(stored, presented) == 1
}
