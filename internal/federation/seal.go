package federation

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// envelopeVersion is the value of "concord_package" in a sealed file.
const envelopeVersion = 1

// signingContext is prefixed to the signed bytes, so that a signature over a
// package can never be passed off as a signature over anything else the
// same key signs, nor over a later version of the format.
const signingContext = "concord-package-v1\n"

// resend is the advice given with a file that cannot be read.
const resend = "; ask the sender to send the file again, as an attachment rather than pasted text"

// envelope is a sealed file, as read by Open; sign writes the same fields in
// this order, the short ones first so that a reader of the file sees them.
type envelope struct {
	ConcordPackage int    `json:"concord_package"`
	Signer         string `json:"signer"`
	Signature      string `json:"signature"`
	Signed         string `json:"signed"`
}

// Seen is implemented by the store of imported packages. SeenPackage
// reports whether a package with the given ID was imported before; an error
// means the store could not tell, and the import must stop. The store
// records an ID in the same transaction that imports its package and keeps
// IDs unique, so that of two imports of one file racing each other only one
// can commit: OpenOnce's check gives the clear error, the uniqueness the
// guarantee.
type Seen interface {
	SeenPackage(id string) (bool, error)
}

// Seal completes p and returns it as a signed file. It sets p.ID if empty,
// p.Created to the current time, to the second, if zero (converting it to
// UTC in any case), and p.From.Fingerprint to the fingerprint of key; then
// it checks p: format, version, kind, both parties, the TLP label, the
// payload, and for every attachment carrying Data that the data matches its
// SHA256 and Size.
//
// The package is marshalled to JSON once and the signature made over exactly
// those bytes, which the file carries base64-encoded. The receiver checks the
// signature over the bytes it received, never over a re-encoding of what it
// parsed, so there is no canonical JSON form that sender and receiver must
// agree on and no canonicalisation to get wrong.
func Seal(p *Package, key ed25519.PrivateKey) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("federation: cannot seal package: signing key has %d bytes, an Ed25519 private key has %d", len(key), ed25519.PrivateKeySize)
	}
	if p.ID == "" {
		p.ID = newID()
	}
	if p.Created.IsZero() {
		p.Created = time.Now().Truncate(time.Second)
	}
	p.Created = p.Created.UTC()
	p.From.Fingerprint = Fingerprint(publicOf(key))
	if err := p.check(); err != nil {
		return nil, fmt.Errorf("federation: cannot seal package: %w", err)
	}
	signed, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("federation: cannot seal package: %w", err)
	}
	return sign(signed, key), nil
}

// sign wraps the package bytes signed in a sealed file.
func sign(signed []byte, key ed25519.PrivateKey) []byte {
	msg := make([]byte, 0, len(signingContext)+len(signed))
	msg = append(append(msg, signingContext...), signed...)
	sig := ed25519.Sign(key, msg)
	// Every value is digits, hex and spaces, or base64, none of which JSON
	// escapes, so the file is written directly rather than through
	// json.MarshalIndent, which would scan the whole file a second time.
	enc := base64.StdEncoding
	file := make([]byte, 0, 128+enc.EncodedLen(len(sig))+enc.EncodedLen(len(signed)))
	file = fmt.Appendf(file, "{\n  \"concord_package\": %d,\n  \"signer\": \"%s\",\n  \"signature\": \"", envelopeVersion, Fingerprint(publicOf(key)))
	file = enc.AppendEncode(file, sig)
	file = append(file, "\",\n  \"signed\": \""...)
	file = enc.AppendEncode(file, signed)
	file = append(file, "\"\n}\n"...)
	return file
}

// Open verifies a sealed file and returns the package in it. keyOf returns
// the public key registered for an agency, or an error if there is none;
// self is the name under which this agency's partners address it.
//
// Open refuses, with an error wrapping the sentinel named:
//   - a file that is not a well-formed package: malformed JSON, unknown or
//     duplicated fields, bad base64, trailing data, or a package whose format,
//     kind, ID, parties or TLP label break the format (ErrMalformed), or one
//     in a format version this build cannot read (ErrVersion);
//   - a sender for which keyOf returns an error or no key (ErrUnknownSigner);
//   - a file not signed by the sender's registered key, or altered since
//     (ErrBadSignature);
//   - a package addressed to an agency other than self (ErrNotForUs);
//   - an attachment whose carried bytes do not match its SHA-256 or size
//     (ErrAttachment);
//   - a package dated more than MaxClockSkew in the future (ErrClockSkew).
//
// The sender's name is read from the package before the signature is checked,
// because it selects the key; nothing else in the package is acted on until
// the signature holds. Open does not detect replays; use OpenOnce to import.
func Open(file []byte, keyOf func(agency string) (ed25519.PublicKey, error), self string) (*Package, error) {
	env, err := parseEnvelope(file)
	if err != nil {
		return nil, err
	}
	signed, err := decodeBase64(env.Signed)
	if err != nil {
		return nil, fmt.Errorf("federation: %w: \"signed\" is not valid base64 (%v); the file was damaged in transit%s", ErrMalformed, err, resend)
	}
	sig, err := decodeBase64(env.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("federation: %w: \"signature\" is not a base64 Ed25519 signature; the file was damaged in transit%s", ErrMalformed, resend)
	}
	p, err := parsePackage(signed)
	if err != nil {
		return nil, err
	}

	sender := p.From.Agency
	pub, err := keyOf(sender)
	if err == nil && pub == nil {
		err = fmt.Errorf("no key registered")
	}
	if err != nil {
		return nil, fmt.Errorf("federation: %w: package %s claims to come from %q, signed with key %s, and no key of that agency can be used (%w); if the agency is not registered yet, register its key after confirming the fingerprint with them by phone, then import again", ErrUnknownSigner, p.ID, sender, env.Signer, err)
	}
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("federation: %w: the key registered for %q has %d bytes, an Ed25519 key has %d; register the agency's key again", ErrUnknownSigner, sender, len(pub), ed25519.PublicKeySize)
	}
	want := Fingerprint(pub)
	if env.Signer != want {
		return nil, fmt.Errorf("federation: %w: package %s names %q as sender but was signed with key %s, not with its registered key %s; do not act on it; if the agency has changed its key, confirm the new fingerprint with them by phone and register it", ErrBadSignature, p.ID, sender, env.Signer, want)
	}
	msg := make([]byte, 0, len(signingContext)+len(signed))
	msg = append(append(msg, signingContext...), signed...)
	if !ed25519.Verify(pub, msg, sig) {
		return nil, fmt.Errorf("federation: %w: package %s from %q was altered after it was signed, or not signed by that agency; do not act on it, and confirm with the sender over another channel", ErrBadSignature, p.ID, sender)
	}

	if p.From.Fingerprint != want {
		return nil, fmt.Errorf("federation: %w: package %s from %q records sender fingerprint %q inside, but was signed with key %s; the sender's software wrote an invalid package, ask them to seal it again", ErrMalformed, p.ID, sender, abbreviate(p.From.Fingerprint), want)
	}
	if p.To.Agency != self {
		return nil, fmt.Errorf("federation: %w: package %s from %q is addressed to %q, not to %q; do not import it, tell the sender it reached the wrong agency", ErrNotForUs, p.ID, sender, p.To.Agency, self)
	}
	if err := p.check(); err != nil {
		if errors.Is(err, ErrAttachment) {
			return nil, fmt.Errorf("federation: package %s from %q: %w", p.ID, sender, err)
		}
		return nil, fmt.Errorf("federation: package %s from %q: %w; the sender's software wrote an invalid package, ask them to seal it again", p.ID, sender, err)
	}
	if ahead := time.Until(p.Created); ahead > MaxClockSkew {
		return nil, fmt.Errorf("federation: %w: package %s from %q is dated %s, %s ahead of this machine's clock; check this machine's clock and ask the sender to check theirs (both should use NTP), then import again", ErrClockSkew, p.ID, sender, p.Created.Format(time.RFC3339), ahead.Round(time.Second))
	}
	return p, nil
}

// OpenOnce is Open followed by a replay check: a package whose ID seen
// already knows is refused with an error wrapping ErrReplay. The caller
// records the ID in the same transaction that imports the package.
func OpenOnce(file []byte, keyOf func(agency string) (ed25519.PublicKey, error), self string, seen Seen) (*Package, error) {
	p, err := Open(file, keyOf, self)
	if err != nil {
		return nil, err
	}
	dup, err := seen.SeenPackage(p.ID)
	if err != nil {
		return nil, fmt.Errorf("federation: unable to check whether package %s was imported before: %w", p.ID, err)
	}
	if dup {
		return nil, fmt.Errorf("federation: %w: package %s from %q was imported before; this copy is ignored (nothing to do if the sender re-sent it)", ErrReplay, p.ID, p.From.Agency)
	}
	return p, nil
}

func parseEnvelope(file []byte) (*envelope, error) {
	env, err := readEnvelope(file)
	if err != nil {
		return nil, fmt.Errorf("federation: %w: not a Concord package file: %w%s", ErrMalformed, err, resend)
	}
	switch {
	case env.ConcordPackage == 0:
		return nil, fmt.Errorf("federation: %w: not a Concord package file (no \"concord_package\" field)", ErrMalformed)
	case env.ConcordPackage != envelopeVersion:
		return nil, fmt.Errorf("federation: %w: the file is in package format %d, this Concord reads format %d; upgrade Concord to import it", ErrVersion, env.ConcordPackage, envelopeVersion)
	case env.Signer == "" || env.Signature == "" || env.Signed == "":
		return nil, fmt.Errorf("federation: %w: \"signer\", \"signature\" or \"signed\" missing; the file was damaged in transit%s", ErrMalformed, resend)
	case !isFingerprint(env.Signer):
		return nil, fmt.Errorf("federation: %w: \"signer\" %q is not a key fingerprint; the file was damaged in transit%s", ErrMalformed, abbreviate(env.Signer), resend)
	}
	return env, nil
}

func parsePackage(signed []byte) (*Package, error) {
	if err := checkJSON(signed, packageFields); err != nil {
		return nil, fmt.Errorf("federation: %w: signed content: %w%s", ErrMalformed, err, resend)
	}
	var p Package
	if err := strictUnmarshal(signed, &p); err != nil {
		return nil, fmt.Errorf("federation: %w: signed content: %w%s", ErrMalformed, err, resend)
	}
	if p.Format != Format {
		return nil, fmt.Errorf("federation: %w: signed content is not a Concord package (format %q)", ErrMalformed, abbreviate(p.Format))
	}
	if p.Version != Version {
		return nil, fmt.Errorf("federation: %w: the package is version %d, this Concord reads version %d; upgrade Concord to import it", ErrVersion, p.Version, Version)
	}
	// The ID appears in every later error message and the sender's name
	// selects the key, so both are checked before anything else.
	if !isID(p.ID) {
		return nil, fmt.Errorf("federation: %w: package id %q is not 32 lower-case hex digits%s", ErrMalformed, abbreviate(p.ID), resend)
	}
	if err := p.From.check(); err != nil {
		return nil, fmt.Errorf("federation: %w: package %s: sender: %w%s", ErrMalformed, p.ID, err, resend)
	}
	return &p, nil
}

// strictUnmarshal decodes data, which checkJSON has accepted, refusing
// fields v does not have.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
