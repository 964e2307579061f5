package federation

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/golden"
)

// Test keys, fixed so that sealed files are reproducible. BKA and NCA are
// registered partners; SBU's key is not registered anywhere.
var (
	keyBKA = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, ed25519.SeedSize))
	keyNCA = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, ed25519.SeedSize))
	keySBU = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))

	bka = Party{Agency: "BKA", Country: "DE"}
	nca = Party{Agency: "NCA", Country: "GB"}
	sbu = Party{Agency: "SBU", Country: "UA"}
)

var errNotRegistered = errors.New("not registered")

// partners is the receiving side's key registry.
func partners(agency string) (ed25519.PublicKey, error) {
	switch agency {
	case "BKA":
		return publicOf(keyBKA), nil
	case "NCA":
		return publicOf(keyNCA), nil
	}
	return nil, fmt.Errorf("agency %q: %w", agency, errNotRegistered)
}

// request is a payload of the shape the storage layer might send.
type request struct {
	Type      string `json:"type"`
	Reference string `json:"reference"`
	Summary   string `json:"summary"`
}

// samplePackage returns a small request from BKA to NCA with one attachment
// carried by hash only and one carried with its bytes.
func samplePackage(t testing.TB) *Package {
	t.Helper()
	p, err := NewPackage(KindRequest, bka, nca, "TLP:AMBER", request{
		Type:      "preservation",
		Reference: "BKA-2026-0042",
		Summary:   "Preserve subscriber and traffic data for 203.0.113.7, 2026-02-27T22:14:05Z, port 51234.",
	})
	if err != nil {
		t.Fatal(err)
	}
	p.Attachments = []Attachment{
		NewAttachment("capture.pcap", bytes.Repeat([]byte{0xd4, 0xc3, 0xb2, 0xa1}, 1000), false),
		NewAttachment("headers.txt", []byte("Received: from mail.example.net (198.51.100.4)\n"), true),
	}
	return p
}

func seal(t testing.TB, p *Package, key ed25519.PrivateKey) []byte {
	t.Helper()
	file, err := Seal(p, key)
	if err != nil {
		t.Fatal(err)
	}
	return file
}

// samePackage reports whether a and b carry the same content.
func samePackage(t testing.TB, a, b *Package) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb) && a.Created.Equal(b.Created)
}

// resign replaces the signed bytes of a sealed file by edit(signed) and
// signs them again with key, bypassing Seal's checks: what a sender with a
// faulty or hostile implementation could produce.
func resign(t testing.TB, file []byte, key ed25519.PrivateKey, edit func([]byte) []byte) []byte {
	t.Helper()
	return sign(edit(signedBytes(t, file)), key)
}

// tamper replaces the signed bytes of a sealed file by edit(signed) and keeps
// the old signature: what an attacker without the key can produce.
func tamper(t testing.TB, file []byte, edit func([]byte) []byte) []byte {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(file, &env); err != nil {
		t.Fatal(err)
	}
	env.Signed = base64.StdEncoding.EncodeToString(edit(signedBytes(t, file)))
	out, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func signedBytes(t testing.TB, file []byte) []byte {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(file, &env); err != nil {
		t.Fatal(err)
	}
	signed, err := base64.StdEncoding.DecodeString(env.Signed)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

func replace(old, new string) func([]byte) []byte {
	return func(b []byte) []byte {
		if !bytes.Contains(b, []byte(old)) {
			panic(fmt.Sprintf("%q not in %s", old, b))
		}
		return bytes.Replace(b, []byte(old), []byte(new), 1)
	}
}

func TestSealThenOpenReturnsThePackage(t *testing.T) {
	tests := []struct {
		name string
		make func(t testing.TB) *Package
	}{
		{"request with attachments", samplePackage},
		{"request without attachments", func(t testing.TB) *Package {
			p := samplePackage(t)
			p.Attachments = nil
			return p
		}},
		{"status update", func(t testing.TB) *Package {
			p, err := NewPackage(KindStatus, bka, nca, "TLP:RED", map[string]string{"request": "0123456789abcdef0123456789abcdef", "state": "preserved"})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}},
		{"every TLP label and a non-ASCII agency", func(t testing.TB) *Package {
			p, err := NewPackage(KindRequest, bka, Party{Agency: "Policía Nacional <UCC>", Country: "ES"}, "TLP:AMBER+STRICT", []string{"a", "<b>&"})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}},
		{"empty attachment", func(t testing.TB) *Package {
			p := samplePackage(t)
			p.Attachments = []Attachment{NewAttachment("empty.log", nil, true)}
			return p
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.make(t)
			file := seal(t, p, keyBKA)
			self := p.To.Agency
			got, err := Open(file, func(agency string) (ed25519.PublicKey, error) { return partners(agency) }, self)
			if err != nil {
				t.Fatal(err)
			}
			if !samePackage(t, p, got) {
				t.Errorf("opened package differs:\nsealed %+v\nopened %+v", p, got)
			}
			if !isID(got.ID) || got.From.Fingerprint != Fingerprint(publicOf(keyBKA)) || got.Created.Location() != time.UTC {
				t.Errorf("Seal did not complete the package: id %q, fingerprint %q, created %v", got.ID, got.From.Fingerprint, got.Created)
			}
		})
	}
}

func TestSealKeepsAnIDAndTimeGivenAndConvertsTheTimeToUTC(t *testing.T) {
	p := samplePackage(t)
	p.ID = "0123456789abcdef0123456789abcdef"
	berlin := time.FixedZone("CET", 3600)
	p.Created = time.Date(2026, 3, 1, 10, 30, 0, 0, berlin)
	got, err := Open(seal(t, p, keyBKA), partners, "NCA")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != p.ID || !got.Created.Equal(time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)) || got.Created.Location() != time.UTC {
		t.Errorf("got id %s created %v", got.ID, got.Created)
	}
}

func TestSealedFileMatchesGoldenAndStillOpens(t *testing.T) {
	p := samplePackage(t)
	p.ID = "6f1c0e9a3b2d4c5e8f7a6b5c4d3e2f10"
	p.Created = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	const path = "testdata/request.concord"
	golden.Check(t, path, seal(t, p, keyBKA))

	// The file in testdata was sealed by an earlier build: files in the
	// wild must keep opening.
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Open(file, partners, "NCA")
	if err != nil {
		t.Fatal(err)
	}
	if !samePackage(t, p, got) {
		t.Errorf("opened package differs:\nsealed %+v\nopened %+v", p, got)
	}
}

// TestOpenRefusesEverySingleBitFlip flips each bit of a sealed file in turn:
// every change must be refused, so that no altered file can ever open as a
// package, whether identical to the original or not.
func TestOpenRefusesEverySingleBitFlip(t *testing.T) {
	p := samplePackage(t)
	p.Attachments = p.Attachments[1:] // small, but still carrying data
	file := seal(t, p, keyBKA)
	if _, err := Open(file, partners, "NCA"); err != nil {
		t.Fatal(err)
	}
	mutated := make([]byte, len(file))
	for i := range file {
		for bit := range 8 {
			copy(mutated, file)
			mutated[i] ^= 1 << bit
			got, err := Open(mutated, partners, "NCA")
			if err == nil {
				t.Errorf("byte %d (%q) with bit %d flipped: Open accepted it (package identical: %v)", i, file[i], bit, samePackage(t, p, got))
			}
		}
	}
}

func TestOpenRefusesTruncatedFiles(t *testing.T) {
	file := seal(t, samplePackage(t), keyBKA)
	for n := range len(file) - 1 { // the trailing newline may go
		if _, err := Open(file[:n], partners, "NCA"); err == nil {
			t.Errorf("Open accepted the first %d of %d bytes", n, len(file))
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	good := seal(t, samplePackage(t), keyBKA)
	fromSBU := func() []byte {
		p := samplePackage(t)
		p.From = sbu
		return seal(t, p, keySBU)
	}
	tests := []struct {
		name  string
		file  func() []byte
		keyOf func(string) (ed25519.PublicKey, error)
		self  string
		want  error
	}{
		{
			name: "sender with no registered key",
			file: fromSBU,
			want: ErrUnknownSigner,
		},
		{
			name:  "key lookup failing",
			file:  func() []byte { return good },
			keyOf: func(string) (ed25519.PublicKey, error) { return nil, errors.New("database is locked") },
			want:  ErrUnknownSigner,
		},
		{
			name:  "key lookup returning no key and no error",
			file:  func() []byte { return good },
			keyOf: func(string) (ed25519.PublicKey, error) { return nil, nil },
			want:  ErrUnknownSigner,
		},
		{
			name:  "registered key of the wrong length",
			file:  func() []byte { return good },
			keyOf: func(string) (ed25519.PublicKey, error) { return make(ed25519.PublicKey, 31), nil },
			want:  ErrUnknownSigner,
		},
		{
			name: "agency BKA's name with agency NCA's key",
			file: func() []byte { return seal(t, samplePackage(t), keyNCA) },
			want: ErrBadSignature,
		},
		{
			name: "BKA's name and fingerprint with an unregistered key",
			file: func() []byte {
				file := resign(t, seal(t, samplePackage(t), keySBU), keySBU, replace(Fingerprint(publicOf(keySBU)), Fingerprint(publicOf(keyBKA))))
				return bytes.Replace(file, []byte(Fingerprint(publicOf(keySBU))), []byte(Fingerprint(publicOf(keyBKA))), 1)
			},
			want: ErrBadSignature,
		},
		{
			name: "TLP label lowered in transit",
			file: func() []byte { return tamper(t, good, replace(`"TLP:AMBER"`, `"TLP:CLEAR"`)) },
			want: ErrBadSignature,
		},
		{
			name: "addressee changed in transit",
			file: func() []byte { return tamper(t, good, replace(`"NCA"`, `"FBI"`)) },
			self: "FBI",
			want: ErrBadSignature,
		},
		{
			name: "signature of another package",
			file: func() []byte {
				other := seal(t, samplePackage(t), keyBKA)
				var a, b envelope
				json.Unmarshal(good, &a)
				json.Unmarshal(other, &b)
				a.Signature = b.Signature
				out, _ := json.Marshal(a)
				return out
			},
			want: ErrBadSignature,
		},
		{
			name: "signature over the bytes without the context prefix",
			file: func() []byte {
				signed := signedBytes(t, good)
				var env envelope
				json.Unmarshal(good, &env)
				env.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(keyBKA, signed))
				out, _ := json.Marshal(env)
				return out
			},
			want: ErrBadSignature,
		},
		{
			name: "package addressed to another agency",
			file: func() []byte { return good },
			self: "FBI",
			want: ErrNotForUs,
		},
		{
			name: "sender fingerprint inside differing from the signing key",
			file: func() []byte {
				return resign(t, good, keyBKA, replace(Fingerprint(publicOf(keyBKA)), Fingerprint(publicOf(keyNCA))))
			},
			want: ErrMalformed,
		},
		{
			name: "dated an hour ahead",
			file: func() []byte {
				p := samplePackage(t)
				p.Created = time.Now().Add(time.Hour)
				return seal(t, p, keyBKA)
			},
			want: ErrClockSkew,
		},
		{
			name: "envelope of a later format",
			file: func() []byte {
				return bytes.Replace(good, []byte(`"concord_package": 1`), []byte(`"concord_package": 2`), 1)
			},
			want: ErrVersion,
		},
		{
			name: "package of a later version",
			file: func() []byte { return resign(t, good, keyBKA, replace(`"version":1`, `"version":2`)) },
			want: ErrVersion,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keyOf, self := tt.keyOf, tt.self
			if keyOf == nil {
				keyOf = partners
			}
			if self == "" {
				self = "NCA"
			}
			got, err := Open(tt.file(), keyOf, self)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			t.Log(err)
			if got != nil {
				t.Error("a package was returned with the error")
			}
			if !strings.HasPrefix(err.Error(), "federation: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestOpenKeepsTheKeyLookupError(t *testing.T) {
	p := samplePackage(t)
	p.From = sbu
	_, err := Open(seal(t, p, keySBU), partners, "NCA")
	if !errors.Is(err, ErrUnknownSigner) || !errors.Is(err, errNotRegistered) {
		t.Fatalf("got %v, want ErrUnknownSigner wrapping the lookup error", err)
	}
	for _, want := range []string{`"SBU"`, Fingerprint(publicOf(keySBU)), "register"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestOpenAcceptsSmallClockSkew(t *testing.T) {
	p := samplePackage(t)
	p.Created = time.Now().Add(5 * time.Minute)
	if _, err := Open(seal(t, p, keyBKA), partners, "NCA"); err != nil {
		t.Fatal(err)
	}
}

func TestAttachmentDataMustMatchItsHash(t *testing.T) {
	p := samplePackage(t)
	good := seal(t, p, keyBKA)
	original := base64.StdEncoding.EncodeToString(p.Attachments[1].Data)
	altered := bytes.Clone(p.Attachments[1].Data)
	altered[0] ^= 1
	alteredB64 := base64.StdEncoding.EncodeToString(altered)
	alteredSum := NewAttachment("x", altered, false).SHA256

	t.Run("Seal refuses data that does not match", func(t *testing.T) {
		q := samplePackage(t)
		q.Attachments[1].Data = altered
		if _, err := Seal(q, keyBKA); !errors.Is(err, ErrAttachment) {
			t.Fatalf("got %v, want ErrAttachment", err)
		}
		q.Attachments[1].Data = append(bytes.Clone(p.Attachments[1].Data), '!')
		if _, err := Seal(q, keyBKA); !errors.Is(err, ErrAttachment) {
			t.Fatalf("longer data: got %v, want ErrAttachment", err)
		}
	})

	tests := []struct {
		name string
		file []byte
		want error
	}{
		{
			// A sender whose software skipped the check.
			name: "data altered and signed again, hash left",
			file: resign(t, good, keyBKA, replace(original, alteredB64)),
			want: ErrAttachment,
		},
		{
			name: "size altered and signed again",
			file: resign(t, good, keyBKA, replace(`"size":47`, `"size":46`)),
			want: ErrAttachment,
		},
		{
			name: "data altered in transit",
			file: tamper(t, good, replace(original, alteredB64)),
			want: ErrBadSignature,
		},
		{
			name: "data and hash altered together in transit",
			file: tamper(t, tamper(t, good, replace(original, alteredB64)), replace(p.Attachments[1].SHA256, alteredSum)),
			want: ErrBadSignature,
		},
		{
			name: "hash of an attachment sent separately altered in transit",
			file: tamper(t, good, replace(p.Attachments[0].SHA256, alteredSum)),
			want: ErrBadSignature,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(tt.file, partners, "NCA")
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			t.Log(err)
		})
	}
}

// TestOpenRefusesAmbiguousJSON covers files that encoding/json would read
// without complaint but that another reader could understand differently.
func TestOpenRefusesAmbiguousJSON(t *testing.T) {
	good := seal(t, samplePackage(t), keyBKA)
	envelopeTests := []struct{ name, file string }{
		{"empty", ""},
		{"null", "null"},
		{"array", "[]"},
		{"empty object", "{}"},
		{"trailing data", string(good) + "{}"},
		{"unknown field", strings.Replace(string(good), "{", `{"comment": "x",`, 1)},
		{"field in other case", strings.Replace(string(good), `"signer"`, `"Signer"`, 1)},
		{"field with a Unicode case variant", strings.Replace(string(good), `"signed"`, `"ſigned"`, 1)},
		{"duplicate field", strings.Replace(string(good), "{", `{"concord_package": 1,`, 1)},
		{"version as a string", strings.Replace(string(good), `"concord_package": 1`, `"concord_package": "1"`, 1)},
		{"version as a fraction", strings.Replace(string(good), `"concord_package": 1`, `"concord_package": 1.0`, 1)},
		{"invalid UTF-8", strings.Replace(string(good), `"signer": "`, "\"signer\": \"\xff", 1)},
		{"line break inside the base64", strings.Replace(string(good), `"signed": "ey`, "\"signed\": \"e\ny", 1)},
		{"escaped line break inside the base64", strings.Replace(string(good), `"signed": "ey`, `"signed": "e\ny`, 1)},
	}
	for _, tt := range envelopeTests {
		t.Run("envelope "+tt.name, func(t *testing.T) {
			_, err := Open([]byte(tt.file), partners, "NCA")
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v, want ErrMalformed", err)
			}
			t.Log(err)
		})
	}

	// The rest are signed correctly by a careless or hostile sender.
	packageTests := []struct {
		name string
		edit func([]byte) []byte
	}{
		{"duplicate addressee", replace(`"to":{`, `"to":{"agency":"FBI","country":"US"},"to":{`)},
		{"addressee key in other case", replace(`"to":{`, `"To":{"agency":"FBI","country":"US"},"to":{`)},
		{"agency key in other case", replace(`"to":{"agency"`, `"to":{"Agency"`)},
		{"unknown field", replace(`"kind"`, `"priority":"high","kind"`)},
		{"unknown party field", replace(`"to":{`, `"to":{"email":"x@example.net",`)},
		{"unknown attachment field", replace(`"name":"headers.txt"`, `"path":"/tmp","name":"headers.txt"`)},
		{"duplicate key in payload", replace(`"type":"preservation"`, `"type":"preservation","type":"mla"`)},
		{"case variants in payload", replace(`"type":"preservation"`, `"type":"preservation","Type":"mla"`)},
		{"trailing data", func(b []byte) []byte { return append(b, " {}"...) }},
		{"invalid UTF-8", replace(`"agency":"NCA"`, "\"agency\":\"NCA\xff\"")},
		{"nested too deep", replace(`"type":"preservation"`, `"type":`+strings.Repeat("[", 100)+strings.Repeat("]", 100))},
		{"payload null", func(b []byte) []byte {
			var p Package
			json.Unmarshal(b, &p)
			return bytes.Replace(b, p.Payload, []byte("null"), 1)
		}},
		{"TLP in lower case", replace(`"TLP:AMBER"`, `"tlp:amber"`)},
		{"TLP 1.0 label", replace(`"TLP:AMBER"`, `"TLP:WHITE"`)},
		{"unknown kind", replace(`"kind":"request"`, `"kind":"order"`)},
		{"upper-case id", func(b []byte) []byte {
			var p Package
			json.Unmarshal(b, &p)
			return bytes.Replace(b, []byte(p.ID), []byte(strings.ToUpper(p.ID)), 1)
		}},
		{"country name", replace(`"country":"GB"`, `"country":"United Kingdom"`)},
		{"time not in UTC", func(b []byte) []byte {
			var p Package
			json.Unmarshal(b, &p)
			utc := p.Created.Format(time.RFC3339Nano)
			local := p.Created.In(time.FixedZone("", 3600)).Format(time.RFC3339Nano)
			return bytes.Replace(b, []byte(utc), []byte(local), 1)
		}},
		{"attachment with a path", replace(`"name":"headers.txt"`, `"name":"../../etc/cron.d/x"`)},
		{"two attachments with one name", replace(`"name":"headers.txt"`, `"name":"capture.pcap"`)},
		{"hash in upper case", func(b []byte) []byte {
			var p Package
			json.Unmarshal(b, &p)
			h := p.Attachments[0].SHA256
			return bytes.Replace(b, []byte(h), []byte(strings.ToUpper(h)), 1)
		}},
		{"negative size", replace(`"size":4000`, `"size":-4000`)},
	}
	for _, tt := range packageTests {
		t.Run("package "+tt.name, func(t *testing.T) {
			_, err := Open(resign(t, good, keyBKA, tt.edit), partners, "NCA")
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v, want ErrMalformed", err)
			}
			t.Log(err)
		})
	}
}

// mapSeen is a Seen backed by a map, as a test double for the store.
type mapSeen map[string]bool

func (m mapSeen) SeenPackage(id string) (bool, error) { return m[id], nil }

type failingSeen struct{}

func (failingSeen) SeenPackage(string) (bool, error) { return false, errors.New("disk I/O error") }

func TestOpenOnceRefusesAReplay(t *testing.T) {
	file := seal(t, samplePackage(t), keyBKA)
	seen := mapSeen{}
	p, err := OpenOnce(file, partners, "NCA", seen)
	if err != nil {
		t.Fatal(err)
	}
	seen[p.ID] = true // what the store does in the import's transaction
	if _, err := OpenOnce(file, partners, "NCA", seen); !errors.Is(err, ErrReplay) {
		t.Fatalf("second import: got %v, want ErrReplay", err)
	}
	if _, err := OpenOnce(seal(t, samplePackage(t), keyBKA), partners, "NCA", seen); err != nil {
		t.Fatalf("another package: %v", err)
	}
	if _, err := OpenOnce(file, partners, "NCA", failingSeen{}); err == nil || errors.Is(err, ErrReplay) {
		t.Fatalf("failing store: got %v, want a non-replay error", err)
	}
}

func TestOpenOnceVerifiesBeforeConsultingTheStore(t *testing.T) {
	p := samplePackage(t)
	p.From = sbu
	called := false
	seen := seenFunc(func(string) (bool, error) { called = true; return false, nil })
	if _, err := OpenOnce(seal(t, p, keySBU), partners, "NCA", seen); !errors.Is(err, ErrUnknownSigner) {
		t.Fatalf("got %v, want ErrUnknownSigner", err)
	}
	if called {
		t.Error("the store was asked about an unverified package")
	}
}

type seenFunc func(string) (bool, error)

func (f seenFunc) SeenPackage(id string) (bool, error) { return f(id) }

func TestSealRefusesIncompletePackages(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Package)
	}{
		{"no format", func(p *Package) { p.Format = "" }},
		{"other version", func(p *Package) { p.Version = 2 }},
		{"bad id", func(p *Package) { p.ID = "42" }},
		{"no kind", func(p *Package) { p.Kind = "" }},
		{"TLP without prefix", func(p *Package) { p.TLP = "AMBER" }},
		{"no sender", func(p *Package) { p.From.Agency = "" }},
		{"no addressee", func(p *Package) { p.To = Party{} }},
		{"lower-case country", func(p *Package) { p.To.Country = "gb" }},
		{"no payload", func(p *Package) { p.Payload = nil }},
		{"payload not JSON", func(p *Package) { p.Payload = json.RawMessage("{") }},
		{"attachment without hash", func(p *Package) { p.Attachments[0].SHA256 = "" }},
		{"attachment without name", func(p *Package) { p.Attachments[0].Name = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := samplePackage(t)
			tt.edit(p)
			if _, err := Seal(p, keyBKA); !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v, want ErrMalformed", err)
			}
		})
	}
	if _, err := Seal(samplePackage(t), keyBKA[:32]); err == nil {
		t.Error("Seal accepted a truncated key")
	}
}

func FuzzOpen(f *testing.F) {
	p := samplePackage(f)
	good := seal(f, p, keyBKA)
	f.Add(good)
	q := samplePackage(f)
	q.Attachments = nil
	f.Add(seal(f, q, keyBKA))
	f.Add(seal(f, samplePackage(f), keyNCA))
	f.Add(resign(f, good, keyBKA, replace(`"to":{`, `"To":{"agency":"FBI","country":"US"},"to":{`)))
	f.Add([]byte(`{"concord_package":1,"signer":"","signature":"","signed":""}`))
	f.Add([]byte(`{"concord_package":1,"signer":"6668 7aad f862 bd77 6c8f c18b 8e9f 8e20","signature":"AAAA","signed":"e30="}`))
	f.Add([]byte("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["))
	keys := map[string]ed25519.PrivateKey{"BKA": keyBKA, "NCA": keyNCA}
	f.Fuzz(func(t *testing.T, file []byte) {
		got, err := Open(file, partners, "NCA")
		if err != nil {
			if got != nil {
				t.Fatal("a package was returned with the error")
			}
			return
		}
		// Whatever opens must be a valid package that opens again the same
		// and survives being sealed again.
		if err := got.check(); err != nil {
			t.Fatalf("accepted an invalid package: %v", err)
		}
		again, err := Open(file, partners, "NCA")
		if err != nil || !samePackage(t, got, again) {
			t.Fatalf("second Open differs: %v", err)
		}
		resealed := *got
		file2, err := Seal(&resealed, keys[got.From.Agency])
		if err != nil {
			t.Fatalf("accepted package cannot be sealed again: %v", err)
		}
		back, err := Open(file2, partners, "NCA")
		if err != nil || !samePackage(t, got, back) {
			t.Fatalf("re-sealed package does not open the same: %v", err)
		}
	})
}

// FuzzOpenSigned fuzzes the package inside the signature, where a careless
// or hostile partner, who holds a registered key, controls every byte: the
// package must be refused or be valid and read the same after sealing again.
func FuzzOpenSigned(f *testing.F) {
	good := seal(f, samplePackage(f), keyBKA)
	f.Add(signedBytes(f, good))
	f.Add(signedBytes(f, resign(f, good, keyBKA, replace(`"to":{`, `"To":{"agency":"FBI","country":"US"},"to":{`))))
	status, err := NewPackage(KindStatus, bka, nca, "TLP:CLEAR", map[string]any{"state": "preserved", "until": "2026-05-01"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signedBytes(f, seal(f, status, keyBKA)))
	f.Fuzz(func(t *testing.T, signed []byte) {
		got, err := Open(sign(signed, keyBKA), partners, "NCA")
		if err != nil {
			if got != nil {
				t.Fatal("a package was returned with the error")
			}
			return
		}
		if got.From.Agency != "BKA" || got.To.Agency != "NCA" {
			t.Fatalf("accepted a package from %q to %q", got.From.Agency, got.To.Agency)
		}
		if err := got.check(); err != nil {
			t.Fatalf("accepted an invalid package: %v", err)
		}
		resealed := *got
		file, err := Seal(&resealed, keyBKA)
		if err != nil {
			t.Fatalf("accepted package cannot be sealed again: %v", err)
		}
		back, err := Open(file, partners, "NCA")
		if err != nil || !samePackage(t, got, back) {
			t.Fatalf("re-sealed package does not open the same: %v", err)
		}
	})
}
