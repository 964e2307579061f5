package federation

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestSaveKeyThenLoadKeyReturnsTheSameKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "agency.pem")
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := SaveKey(path, key); err != nil {
		t.Fatal(err)
	}
	got, err := LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !key.Equal(got) {
		t.Error("loaded key differs from the saved one")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Errorf("key file does not start with a PKCS#8 PEM header:\n%s", data)
	}
	if runtime.GOOS != "windows" {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("key file mode %04o, want 0600", perm)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".concord-key-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestSaveKeyRefusesToOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agency.pem")
	first, _ := GenerateKey()
	second, _ := GenerateKey()
	if err := SaveKey(path, first); err != nil {
		t.Fatal(err)
	}
	err := SaveKey(path, second)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second SaveKey: got %v, want an error wrapping fs.ErrExist", err)
	}
	got, err := LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Equal(got) {
		t.Error("the refused SaveKey replaced the key")
	}
}

func TestLoadKeyRefusesFilesOthersCanRead(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits on Windows")
	}
	key, _ := GenerateKey()
	tests := []struct {
		mode    os.FileMode
		refused bool
	}{
		{0o600, false},
		{0o400, false},
		{0o644, true},
		{0o640, true},
		{0o604, true},
		{0o660, true},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "agency.pem")
			if err := SaveKey(path, key); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := LoadKey(path)
			if !tt.refused {
				if err != nil {
					t.Fatalf("LoadKey: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrKeyPermissions) {
				t.Fatalf("LoadKey: got %v, want ErrKeyPermissions", err)
			}
			if fix := "chmod 600 " + path; !strings.Contains(err.Error(), fix) {
				t.Errorf("error %q does not say %q", err, fix)
			}
		})
	}
}

func TestLoadKeyRejectsFilesThatAreNotEd25519Keys(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"empty", ""},
		{"not PEM", "ed25519:AAAA\n"},
		{"other block type", "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"},
		{"not PKCS#8", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "agency.pem")
			if err := os.WriteFile(path, []byte(tt.data), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadKey(path); err == nil {
				t.Error("LoadKey accepted it")
			}
		})
	}
	key, _ := GenerateKey()
	path := filepath.Join(t.TempDir(), "agency.pem")
	if err := SaveKey(path, key); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
	f.Close()
	if _, err := LoadKey(path); err == nil {
		t.Error("LoadKey accepted a file with a second PEM block")
	}
}

func TestLoadKeyOfMissingFileWrapsErrNotExist(t *testing.T) {
	_, err := LoadKey(filepath.Join(t.TempDir(), "none.pem"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want an error wrapping fs.ErrNotExist", err)
	}
}

func TestLoadOrCreateKeyCreatesOnceThenLoads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agency.pem")
	first, created, err := LoadOrCreateKey(path)
	if err != nil || !created {
		t.Fatalf("first call: created=%v err=%v, want a new key", created, err)
	}
	second, created, err := LoadOrCreateKey(path)
	if err != nil || created {
		t.Fatalf("second call: created=%v err=%v, want the saved key", created, err)
	}
	if !first.Equal(second) {
		t.Error("second call returned a different key")
	}
}

func TestLoadOrCreateKeyDoesNotReplaceAnUnreadableKey(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits on Windows")
	}
	path := filepath.Join(t.TempDir(), "agency.pem")
	key, _ := GenerateKey()
	if err := SaveKey(path, key); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateKey(path); !errors.Is(err, ErrKeyPermissions) {
		t.Fatalf("got %v, want ErrKeyPermissions", err)
	}
}

func TestPublicKeyTextRoundTrip(t *testing.T) {
	pub := publicOf(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)))
	text := EncodePublicKey(pub)
	if !strings.HasPrefix(text, "ed25519:") || len(text) != len("ed25519:")+44 {
		t.Fatalf("EncodePublicKey = %q", text)
	}
	for _, in := range []string{text, " " + text + "\n", text + "\r\n"} {
		got, err := ParsePublicKey(in)
		if err != nil {
			t.Fatalf("ParsePublicKey(%q): %v", in, err)
		}
		if !pub.Equal(got) {
			t.Errorf("ParsePublicKey(%q) returned another key", in)
		}
	}
}

func TestParsePublicKeyRejects(t *testing.T) {
	valid := EncodePublicKey(make(ed25519.PublicKey, ed25519.PublicKeySize))
	b64 := strings.TrimPrefix(valid, "ed25519:")
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"no prefix", b64},
		{"other algorithm", "ssh-ed25519:" + b64},
		{"upper-case prefix", "ED25519:" + b64},
		{"unpadded", "ed25519:" + strings.TrimRight(b64, "=")},
		{"url alphabet", "ed25519:" + strings.ReplaceAll(b64, "A", "-")},
		{"line break inside", "ed25519:" + b64[:20] + "\n" + b64[20:]},
		{"short", "ed25519:AAAA"},
		{"long", "ed25519:" + b64[:40] + "AAAAAAAA"},
		{"non-canonical last character", "ed25519:" + b64[:42] + "B="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParsePublicKey(tt.in); err == nil {
				t.Errorf("ParsePublicKey(%q) accepted it", tt.in)
			}
		})
	}
}

func TestFingerprintIsEightGroupsOfFourHexDigits(t *testing.T) {
	// SHA-256 of 32 zero bytes starts 66687aadf862bd776c8fc18b8e9f8e20.
	got := Fingerprint(make(ed25519.PublicKey, ed25519.PublicKeySize))
	if want := "6668 7aad f862 bd77 6c8f c18b 8e9f 8e20"; got != want {
		t.Errorf("Fingerprint = %q, want %q", got, want)
	}
	if !isFingerprint(got) {
		t.Errorf("isFingerprint(%q) = false", got)
	}
	for _, bad := range []string{"", "6668 7aad", "66687aadf862bd776c8fc18b8e9f8e20", "6668 7AAD f862 bd77 6c8f c18b 8e9f 8e20", "6668 7aad f862 bd77 6c8f c18b 8e9f  8e2"} {
		if isFingerprint(bad) {
			t.Errorf("isFingerprint(%q) = true", bad)
		}
	}
}
