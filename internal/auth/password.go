package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// The argon2id parameters for new hashes. They are OWASP's first
// recommended configuration (Password Storage Cheat Sheet: m=19 MiB, t=2,
// p=1). We prefer it over the 64 MiB profile of RFC 9106 because memory is
// paid per concurrent login: 50 simultaneous attempts cost about 1 GiB here
// instead of 3 GiB, which a single-binary node on a modest server can take,
// while the hash still costs an attacker ~19 MiB and tens of milliseconds
// per guess. One lane (p=1) because the login handler already runs
// concurrently; more lanes would only make each login use more cores.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Caps on the parameters CheckPassword accepts. A stored hash is trusted
// data, but a tampered or imported one must not make a single login
// allocate gigabytes or run for minutes.
const (
	maxArgonMemory  = 256 * 1024 // KiB
	maxArgonTime    = 10
	maxArgonThreads = 8
	minArgonSaltLen = 8
	maxArgonSaltLen = 64
	minArgonKeyLen  = 16
	maxArgonKeyLen  = 64
)

// MinPasswordLen is the least number of characters ValidatePassword accepts.
const MinPasswordLen = 12

// MaxPasswordLen is the most bytes ValidatePassword accepts; longer input
// would only make hashing slower without making the password stronger.
const MaxPasswordLen = 1024

// ErrMalformedHash is returned by CheckPassword when the stored encoding is
// not an argon2id PHC string it can verify.
var ErrMalformedHash = errors.New("auth: stored password hash is malformed")

// ErrWeakPassword is wrapped by the errors ValidatePassword returns.
var ErrWeakPassword = errors.New("auth: password too weak")

// ValidatePassword reports, as an error wrapping ErrWeakPassword, why pw may
// not be used as a password, or nil if it may. Length is counted in
// characters, not bytes.
func ValidatePassword(pw string) error {
	if len(pw) > MaxPasswordLen {
		return fmt.Errorf("%w: use at most %d bytes", ErrWeakPassword, MaxPasswordLen)
	}
	if !utf8.ValidString(pw) {
		return fmt.Errorf("%w: it is not valid UTF-8 text", ErrWeakPassword)
	}
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return fmt.Errorf("%w: use at least %d characters", ErrWeakPassword, MinPasswordLen)
	}
	first, _ := utf8.DecodeRuneInString(pw)
	if strings.Trim(pw, string(first)) == "" {
		return fmt.Errorf("%w: do not repeat a single character", ErrWeakPassword)
	}
	return nil
}

// HashPassword returns pw hashed with argon2id under the current parameters
// and a fresh 16-byte random salt, encoded as a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>. It does not judge the
// password's strength; call ValidatePassword first.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: unable to draw a salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return encodePHC(phc{m: argonMemory, t: argonTime, p: argonThreads, salt: salt, key: key}), nil
}

// CheckPassword reports whether pw matches the PHC-encoded argon2id hash,
// comparing in constant time. needsRehash is true when the password matched
// but the hash was made with other parameters than HashPassword uses now,
// so the caller should store a fresh HashPassword(pw). A malformed encoding,
// or one whose parameters exceed the package's caps, yields ErrMalformedHash
// and is never evaluated.
func CheckPassword(encoded, pw string) (ok bool, needsRehash bool, err error) {
	h, err := decodePHC(encoded)
	if err != nil {
		return false, false, err
	}
	key := argon2.IDKey([]byte(pw), h.salt, h.t, h.m, h.p, uint32(len(h.key)))
	if subtle.ConstantTimeCompare(key, h.key) != 1 {
		return false, false, nil
	}
	stale := h.m != argonMemory || h.t != argonTime || h.p != argonThreads ||
		len(h.key) != argonKeyLen || len(h.salt) < argonSaltLen
	return true, stale, nil
}

type phc struct {
	m, t      uint32
	p         uint8
	salt, key []byte
}

var b64 = base64.RawStdEncoding

func encodePHC(h phc) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.m, h.t, h.p, b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

func decodePHC(s string) (phc, error) {
	var h phc
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	// The base64 decoder skips '\r' and '\n'; refuse them so that one hash
	// has one spelling.
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || strings.ContainsAny(s, "\r\n") {
		return h, ErrMalformedHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return h, fmt.Errorf("%w: unsupported version %q", ErrMalformedHash, parts[2])
	}
	params := strings.Split(parts[3], ",")
	if len(params) != 3 {
		return h, ErrMalformedHash
	}
	m, err1 := param(params[0], "m=", 1, maxArgonMemory)
	t, err2 := param(params[1], "t=", 1, maxArgonTime)
	p, err3 := param(params[2], "p=", 1, maxArgonThreads)
	if err := errors.Join(err1, err2, err3); err != nil {
		return h, err
	}
	// argon2 needs at least 8 KiB per lane.
	if m < 8*p {
		return h, fmt.Errorf("%w: memory below 8 KiB per lane", ErrMalformedHash)
	}
	salt, err := b64.Strict().DecodeString(parts[4])
	if err != nil || len(salt) < minArgonSaltLen || len(salt) > maxArgonSaltLen {
		return h, fmt.Errorf("%w: bad salt", ErrMalformedHash)
	}
	key, err := b64.Strict().DecodeString(parts[5])
	if err != nil || len(key) < minArgonKeyLen || len(key) > maxArgonKeyLen {
		return h, fmt.Errorf("%w: bad hash", ErrMalformedHash)
	}
	return phc{m: m, t: t, p: uint8(p), salt: salt, key: key}, nil
}

// param parses "name=N" with lo <= N <= hi, accepting only canonical
// decimal digits so that one hash has exactly one encoding.
func param(s, name string, lo, hi uint32) (uint32, error) {
	v, ok := strings.CutPrefix(s, name)
	if !ok || v == "" || (len(v) > 1 && v[0] == '0') || strings.TrimLeft(v, "0123456789") != "" {
		return 0, fmt.Errorf("%w: bad parameter %q", ErrMalformedHash, s)
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || uint32(n) < lo || uint32(n) > hi {
		return 0, fmt.Errorf("%w: parameter %q outside %d..%d", ErrMalformedHash, s, lo, hi)
	}
	return uint32(n), nil
}
