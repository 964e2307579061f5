package federation

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/concord-cert/concord/internal/event"
)

// Format is the value of Package.Format in every Concord package.
const Format = "concord-package"

// Version is the version of the package layout this build writes and reads.
const Version = 1

// The kinds of package.
const (
	// KindRequest carries a formal request for assistance.
	KindRequest = "request"
	// KindStatus carries a status update on a request received earlier.
	KindStatus = "status"
)

// MaxClockSkew is how far in the future a package may be dated before Open
// refuses it: enough for clocks that are not synchronised to the second, too
// little for a clock that is simply wrong.
const MaxClockSkew = 10 * time.Minute

// Package is one request or status update travelling between two agencies.
// Everything in it, including the TLP label and the attachments' hashes, is
// covered by the signature Seal makes.
type Package struct {
	// Format is always "concord-package" (the Format constant).
	Format string `json:"format"`
	// Version is the layout version, 1 (the Version constant).
	Version int `json:"version"`
	// ID is 32 lower-case hex digits, 128 random bits that Seal draws from
	// crypto/rand if the field is empty; the receiver imports each ID once.
	ID string `json:"id"`
	// Created is when the package was sealed, in UTC.
	Created time.Time `json:"created"`
	// From is the sending agency; Seal sets its Fingerprint.
	From Party `json:"from"`
	// To is the agency the package is addressed to.
	To Party `json:"to"`
	// Kind is KindRequest or KindStatus.
	Kind string `json:"kind"`
	// TLP is the handling label in its canonical TLP 2.0 form: "TLP:RED",
	// "TLP:AMBER+STRICT", "TLP:AMBER", "TLP:GREEN" or "TLP:CLEAR".
	TLP string `json:"tlp"`
	// Payload is the request or status update itself, any JSON value except
	// null. This package does not interpret it.
	Payload json.RawMessage `json:"payload"`
	// Attachments lists evidence files by hash, with or without their bytes.
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Party identifies an agency at one end of an exchange.
type Party struct {
	// Agency is the agency's name as its partners registered it; Open looks
	// the sender's key up by this name and compares the addressee's with its
	// own.
	Agency string `json:"agency"`
	// Country is the agency's ISO 3166-1 alpha-2 country code, e.g. "DE".
	Country string `json:"country"`
	// Fingerprint is the Fingerprint of the agency's signing key. Seal sets
	// it for the sender; for the addressee it is optional and informational.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// Attachment describes one evidence file. A package can carry the bytes
// themselves or only their hash and size, when the file travels separately
// and is checked against the hash on arrival.
type Attachment struct {
	// Name is a plain file name, without directories.
	Name string `json:"name"`
	// SHA256 is the lower-case hex SHA-256 of the file.
	SHA256 string `json:"sha256"`
	// Size is the file's length in bytes.
	Size int64 `json:"size"`
	// Data is the file's content, or nil when the package carries only the
	// hash; an empty file's content always reads back as nil.
	Data []byte `json:"data,omitempty"`
}

// NewAttachment returns an attachment for the file content data, with its
// hash and size filled in; withData says whether the package carries the
// bytes too or only the hash and size.
func NewAttachment(name string, data []byte, withData bool) Attachment {
	sum := sha256.Sum256(data)
	a := Attachment{Name: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
	if withData && len(data) > 0 {
		a.Data = data
	}
	return a
}

// NewPackage returns a package of the given kind from one agency to another,
// with payload marshalled to JSON and Format and Version set. ID, Created and
// the sender's fingerprint are left for Seal to fill in; everything else is
// checked now so that mistakes show where they are made.
func NewPackage(kind string, from, to Party, tlp string, payload any) (*Package, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("federation: unable to encode payload: %w", err)
	}
	p := &Package{
		Format:  Format,
		Version: Version,
		From:    from,
		To:      to,
		Kind:    kind,
		TLP:     tlp,
		Payload: raw,
	}
	for _, check := range []func() error{p.checkKind, p.checkTLP, p.checkParties, p.checkPayload} {
		if err := check(); err != nil {
			return nil, fmt.Errorf("federation: %w: %w", ErrMalformed, err)
		}
	}
	return p, nil
}

// DecodePayload decodes the payload into v strictly: a field v does not
// have, two fields that differ only in case, or data after the value is an
// error, so that sender and receiver cannot read the payload differently.
func (p *Package) DecodePayload(v any) error {
	if err := checkJSON(p.Payload, nil); err != nil {
		return fmt.Errorf("federation: payload: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(p.Payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("federation: unable to decode payload: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("federation: payload: data after the JSON value")
	}
	return nil
}

// newID returns 128 random bits as 32 hex digits.
func newID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails since Go 1.24: the runtime aborts instead
	return hex.EncodeToString(b[:])
}

// check validates a package that is complete: one Seal is about to sign or
// Open has just verified. Mismatched attachments wrap ErrAttachment, every
// other problem ErrMalformed.
func (p *Package) check() error {
	for _, check := range []func() error{p.checkHeader, p.checkKind, p.checkTLP, p.checkParties, p.checkPayload} {
		if err := check(); err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	}
	if err := p.checkSigner(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return p.checkAttachments()
}

func (p *Package) checkHeader() error {
	if p.Format != Format {
		return fmt.Errorf("format is %q, expected %q", p.Format, Format)
	}
	if p.Version != Version {
		return fmt.Errorf("version is %d, expected %d", p.Version, Version)
	}
	if !isID(p.ID) {
		return fmt.Errorf("id %q is not 32 lower-case hex digits", abbreviate(p.ID))
	}
	if p.Created.IsZero() {
		return fmt.Errorf("creation time missing")
	}
	if _, offset := p.Created.Zone(); offset != 0 {
		return fmt.Errorf("creation time %s is not in UTC", p.Created.Format(time.RFC3339))
	}
	return nil
}

func (p *Package) checkKind() error {
	if p.Kind != KindRequest && p.Kind != KindStatus {
		return fmt.Errorf("kind is %q, expected %q or %q", abbreviate(p.Kind), KindRequest, KindStatus)
	}
	return nil
}

// checkTLP accepts only the canonical labels: the lenient spellings ParseTLP
// reads from operators ("amber", "TLP:WHITE") have no place in a signed
// exchange format, where both sides must read the same label.
func (p *Package) checkTLP() error {
	t, err := event.ParseTLP(p.TLP)
	if err != nil || t.String() != p.TLP {
		return fmt.Errorf("TLP label %q is not one of TLP:RED, TLP:AMBER+STRICT, TLP:AMBER, TLP:GREEN, TLP:CLEAR", abbreviate(p.TLP))
	}
	return nil
}

func (p *Package) checkParties() error {
	if err := p.From.check(); err != nil {
		return fmt.Errorf("sender: %w", err)
	}
	if err := p.To.check(); err != nil {
		return fmt.Errorf("addressee: %w", err)
	}
	if p.To.Fingerprint != "" && !isFingerprint(p.To.Fingerprint) {
		return fmt.Errorf("addressee: fingerprint %q is not eight groups of four hex digits", abbreviate(p.To.Fingerprint))
	}
	return nil
}

func (p *Package) checkSigner() error {
	if !isFingerprint(p.From.Fingerprint) {
		return fmt.Errorf("sender: fingerprint %q is not eight groups of four hex digits", abbreviate(p.From.Fingerprint))
	}
	return nil
}

func (p *Package) checkPayload() error {
	v := bytes.TrimSpace(p.Payload)
	if len(v) == 0 || string(v) == "null" {
		return fmt.Errorf("payload missing")
	}
	if !json.Valid(v) {
		return fmt.Errorf("payload is not valid JSON")
	}
	return nil
}

func (p *Package) checkAttachments() error {
	names := make(map[string]bool, len(p.Attachments))
	for i, a := range p.Attachments {
		if err := checkFileName(a.Name); err != nil {
			return fmt.Errorf("%w: attachment %d: %w", ErrMalformed, i+1, err)
		}
		if names[a.Name] {
			return fmt.Errorf("%w: two attachments named %q", ErrMalformed, a.Name)
		}
		names[a.Name] = true
		if !isHex(a.SHA256, sha256.Size) {
			return fmt.Errorf("%w: attachment %q: sha256 %q is not 64 lower-case hex digits", ErrMalformed, a.Name, abbreviate(a.SHA256))
		}
		if a.Size < 0 {
			return fmt.Errorf("%w: attachment %q: negative size %d", ErrMalformed, a.Name, a.Size)
		}
		if a.Data == nil {
			continue
		}
		if int64(len(a.Data)) != a.Size {
			return fmt.Errorf("%w: %q has %d bytes, %d recorded; do not use it, ask the sender to send it again", ErrAttachment, a.Name, len(a.Data), a.Size)
		}
		if sum := sha256.Sum256(a.Data); hex.EncodeToString(sum[:]) != a.SHA256 {
			return fmt.Errorf("%w: %q has SHA-256 %x, %s recorded; do not use it, ask the sender to send it again", ErrAttachment, a.Name, sum, a.SHA256)
		}
	}
	return nil
}

func (q Party) check() error {
	switch {
	case q.Agency == "":
		return fmt.Errorf("agency missing")
	case len(q.Agency) > 200:
		return fmt.Errorf("agency name longer than 200 bytes")
	case strings.TrimSpace(q.Agency) != q.Agency:
		return fmt.Errorf("agency %q has leading or trailing space", q.Agency)
	case strings.IndexFunc(q.Agency, unicode.IsControl) >= 0 || !utf8.ValidString(q.Agency):
		return fmt.Errorf("agency %q contains control characters or invalid UTF-8", q.Agency)
	}
	if len(q.Country) != 2 || !isUpper(q.Country[0]) || !isUpper(q.Country[1]) {
		return fmt.Errorf("agency %q: country %q is not an ISO 3166-1 alpha-2 code such as \"DE\"", q.Agency, abbreviate(q.Country))
	}
	return nil
}

// checkFileName accepts a plain file name, so that a receiver saving an
// attachment under its name cannot be steered into another directory.
func checkFileName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("name missing")
	case len(name) > 255:
		return fmt.Errorf("name longer than 255 bytes")
	case name == "." || name == "..", strings.ContainsAny(name, `/\`):
		return fmt.Errorf("name %q is not a plain file name", abbreviate(name))
	case strings.IndexFunc(name, unicode.IsControl) >= 0 || !utf8.ValidString(name):
		return fmt.Errorf("name %q contains control characters or invalid UTF-8", abbreviate(name))
	}
	return nil
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

// isHex reports whether s is n bytes in lower-case hex.
func isHex(s string, n int) bool {
	if len(s) != 2*n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func isID(s string) bool { return isHex(s, 16) }

// isFingerprint reports whether s has the shape Fingerprint returns.
func isFingerprint(s string) bool {
	if len(s) != 39 {
		return false
	}
	return isHex(strings.ReplaceAll(s, " ", ""), 16) && strings.Count(s, " ") == 7 &&
		s[4] == ' ' && s[9] == ' ' && s[14] == ' ' && s[19] == ' ' && s[24] == ' ' && s[29] == ' ' && s[34] == ' '
}
