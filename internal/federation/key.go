package federation

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// publicKeyPrefix names the algorithm in an encoded public key, so that a key
// of another kind can be added later without ambiguity.
const publicKeyPrefix = "ed25519:"

// maxKeyFile bounds what LoadKey reads; a PEM Ed25519 key is about 120 bytes.
const maxKeyFile = 64 << 10

// pemType is the PEM block type of a PKCS#8 private key, as openssl writes it.
const pemType = "PRIVATE KEY"

// GenerateKey returns a new Ed25519 signing key drawn from crypto/rand.
func GenerateKey() (ed25519.PrivateKey, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("federation: unable to generate key: %w", err)
	}
	return key, nil
}

// SaveKey writes key to path as a PKCS#8 PEM file with mode 0600, creating
// the directory (mode 0700) if needed. The file appears complete or not at
// all: it is written to a temporary file in the same directory and then put
// in place. SaveKey refuses to overwrite an existing file, with an error that
// wraps fs.ErrExist, because replacing an agency's key silently would cut it
// off from every partner that registered the old one.
func SaveKey(path string, key ed25519.PrivateKey) error {
	if len(key) != ed25519.PrivateKeySize {
		return fmt.Errorf("federation: unable to save key: not an Ed25519 private key (%d bytes)", len(key))
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("federation: unable to encode key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der})
	if _, err := os.Lstat(path); err == nil {
		return refuseOverwrite(path)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("federation: unable to create key directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".concord-key-*")
	if err != nil {
		return fmt.Errorf("federation: unable to save key: %w", err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // after a successful link this removes only the temporary name
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return fmt.Errorf("federation: unable to save key: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("federation: unable to save key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("federation: unable to save key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("federation: unable to save key: %w", err)
	}
	// A hard link puts the file in place atomically and, unlike rename, fails
	// if the name already exists, so two processes creating the key at once
	// cannot replace each other's key.
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return refuseOverwrite(path)
		}
		// Some filesystems have no hard links; rename is atomic as well, only
		// not exclusive, so check once more just before it.
		if _, serr := os.Lstat(path); serr == nil {
			return refuseOverwrite(path)
		}
		if err := os.Rename(tmpName, path); err != nil {
			return fmt.Errorf("federation: unable to save key: %w", err)
		}
	}
	syncDir(dir)
	return nil
}

func refuseOverwrite(path string) error {
	return fmt.Errorf("federation: refusing to overwrite key file %s (move it away first if you really mean to replace this agency's key; partners must then register the new one): %w", path, fs.ErrExist)
}

// syncDir makes the new directory entry durable where the platform allows;
// failure only weakens durability after a crash, so it is not reported.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	d.Close()
}

// LoadKey reads the PKCS#8 PEM private key that SaveKey wrote. It refuses a
// file that its group or other users can read (mode & 0o077 != 0), with an
// error wrapping ErrKeyPermissions that gives the chmod command to fix it; a
// missing file gives an error wrapping fs.ErrNotExist.
func LoadKey(path string) (ed25519.PrivateKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("federation: unable to load key: %w", err)
	}
	defer f.Close()
	// Stat the open file rather than the path, so the mode checked is the
	// mode of the bytes read.
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("federation: unable to load key: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("federation: key file %s is not a regular file", path)
	}
	// Windows reports no Unix permission bits; access there is governed by ACLs.
	if perm := info.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("federation: %w: %s has mode %04o; run: chmod 600 %s", ErrKeyPermissions, path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile))
	if err != nil {
		return nil, fmt.Errorf("federation: unable to load key: %w", err)
	}
	key, err := parsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("federation: key file %s: %w", path, err)
	}
	return key, nil
}

func parsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found (expected a PKCS#8 \"PRIVATE KEY\" block)")
	}
	if block.Type != pemType {
		return nil, fmt.Errorf("PEM block is %q, expected %q", block.Type, pemType)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, errors.New("unexpected data after the PEM block")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a PKCS#8 private key: %w", err)
	}
	key, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is %T, expected an Ed25519 key", parsed)
	}
	return key, nil
}

// LoadOrCreateKey loads the key at path, or generates and saves a new one
// when no file exists there; created reports which happened. Any other
// failure to load, such as wrong permissions, is returned rather than
// papered over with a new key.
func LoadOrCreateKey(path string) (key ed25519.PrivateKey, created bool, err error) {
	key, err = LoadKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	key, err = GenerateKey()
	if err != nil {
		return nil, false, err
	}
	if err := SaveKey(path, key); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process created it first; use its key.
			key, err = LoadKey(path)
			return key, false, err
		}
		return nil, false, err
	}
	return key, true, nil
}

// EncodePublicKey returns pub in the text form partners register:
// "ed25519:" followed by the standard, padded base64 of its 32 bytes.
func EncodePublicKey(pub ed25519.PublicKey) string {
	return publicKeyPrefix + base64.StdEncoding.EncodeToString(pub)
}

// ParsePublicKey parses the text form EncodePublicKey writes. Surrounding
// white space, as left by copying from an e-mail, is ignored; anything else
// that is not exactly that form is an error.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	b64, ok := strings.CutPrefix(s, publicKeyPrefix)
	if !ok {
		return nil, fmt.Errorf("federation: public key %q must start with %q (e.g. ed25519:%s)", abbreviate(s), publicKeyPrefix, base64.StdEncoding.EncodeToString(make([]byte, ed25519.PublicKeySize)))
	}
	raw, err := decodeBase64(b64)
	if err != nil {
		return nil, fmt.Errorf("federation: public key is not valid base64: %w", err)
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("federation: public key has %d bytes, an Ed25519 key has %d; ask the partner for the key again", len(raw), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(raw), nil
}

// Fingerprint returns the first 16 bytes of the SHA-256 of pub in lower-case
// hex, in space-separated groups of four digits ("3f9a 1c07 …", eight
// groups), short enough to read over the phone when a key is registered.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	h := hex.EncodeToString(sum[:16])
	var b strings.Builder
	for i := 0; i < len(h); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h[i : i+4])
	}
	return b.String()
}

// publicOf returns the public half of key.
func publicOf(key ed25519.PrivateKey) ed25519.PublicKey {
	return key.Public().(ed25519.PublicKey)
}

// decodeBase64 decodes standard, padded base64 and accepts only the one
// encoding of each byte string, so that no two different texts decode to the
// same bytes: encoding/base64 alone skips line breaks and, unless strict,
// ignores the unused bits of the last character.
func decodeBase64(s string) ([]byte, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, err
	}
	if base64.StdEncoding.EncodedLen(len(raw)) != len(s) {
		return nil, errors.New("line breaks or other characters inside the base64")
	}
	return raw, nil
}

// abbreviate shortens s for quoting in an error message.
func abbreviate(s string) string {
	for i := range s {
		if i >= 40 {
			return s[:i] + "…"
		}
	}
	return s
}
