package auth

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		pw string
		ok bool
	}{
		{"", false},
		{"short-pw", false},
		{"elevenchars", false},
		{"twelve-chars", true},
		{"aaaaaaaaaaaaaaaa", false},
		{"éééééééééééé", false},
		{"ééééééééééée", true}, // 12 characters, 24 bytes
		{"éééééé", false},      // 12 bytes, 6 characters
		{"correct horse battery staple", true},
		{strings.Repeat("ab", MaxPasswordLen/2), true},
		{strings.Repeat("ab", MaxPasswordLen/2) + "c", false},
		{"twelve-chars\xff", false},
	}
	for _, tt := range tests {
		err := ValidatePassword(tt.pw)
		if (err == nil) != tt.ok {
			t.Errorf("ValidatePassword(%q) = %v, want ok=%v", tt.pw, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrWeakPassword) {
			t.Errorf("ValidatePassword(%q) error %v does not wrap ErrWeakPassword", tt.pw, err)
		}
	}
}

func TestPasswordRoundTrip(t *testing.T) {
	const pw = "correct horse battery staple"
	enc, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("encoding %q is not the expected PHC string", enc)
	}
	ok, rehash, err := CheckPassword(enc, pw)
	if !ok || rehash || err != nil {
		t.Fatalf("CheckPassword(right) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	ok, rehash, err = CheckPassword(enc, pw+"!")
	if ok || rehash || err != nil {
		t.Fatalf("CheckPassword(wrong) = %v, %v, %v; want false, false, nil", ok, rehash, err)
	}
	enc2, _ := HashPassword(pw)
	if enc2 == enc {
		t.Fatal("two hashes of the same password are equal: salt not random")
	}
}

// cheapHash builds a valid encoding with chosen parameters.
func cheapHash(pw string, m, tm uint32, p uint8, saltLen, keyLen int) string {
	salt := []byte(strings.Repeat("s", saltLen))
	key := argon2.IDKey([]byte(pw), salt, tm, m, p, uint32(keyLen))
	return encodePHC(phc{m: m, t: tm, p: p, salt: salt, key: key})
}

func TestCheckPasswordNeedsRehash(t *testing.T) {
	const pw = "correct horse battery staple"
	tests := []struct {
		name string
		enc  string
		want bool
	}{
		{"current parameters", cheapHash(pw, argonMemory, argonTime, argonThreads, argonSaltLen, argonKeyLen), false},
		{"less memory", cheapHash(pw, 8*1024, argonTime, argonThreads, argonSaltLen, argonKeyLen), true},
		{"more memory", cheapHash(pw, 32*1024, argonTime, argonThreads, argonSaltLen, argonKeyLen), true},
		{"other time", cheapHash(pw, argonMemory, 1, argonThreads, argonSaltLen, argonKeyLen), true},
		{"other lanes", cheapHash(pw, argonMemory, argonTime, 2, argonSaltLen, argonKeyLen), true},
		{"short salt", cheapHash(pw, argonMemory, argonTime, argonThreads, 8, argonKeyLen), true},
		{"short key", cheapHash(pw, argonMemory, argonTime, argonThreads, argonSaltLen, 16), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := CheckPassword(tt.enc, pw)
			if !ok || err != nil || rehash != tt.want {
				t.Errorf("CheckPassword = %v, %v, %v; want true, %v, nil", ok, rehash, err, tt.want)
			}
			// A wrong password never asks for a rehash.
			if ok, rehash, _ := CheckPassword(tt.enc, "wrong password!"); ok || rehash {
				t.Errorf("wrong password: ok=%v rehash=%v", ok, rehash)
			}
		})
	}
}

func TestCheckPasswordRejectsMalformed(t *testing.T) {
	const pw = "correct horse battery staple"
	good := cheapHash(pw, 8*1024, 1, 1, 16, 32)
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	flip := func(s string) string {
		b := []byte(s)
		if b[0] == 'A' {
			b[0] = 'B'
		} else {
			b[0] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name string
		enc  string
	}{
		{"empty", ""},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuu5Wb1Rm1YJzNqjKbX7xgE1l3l6Zx5Q2m"},
		{"argon2i", "$argon2i$v=19$m=8192,t=1,p=1$" + salt + "$" + key},
		{"version 16", "$argon2id$v=16$m=8192,t=1,p=1$" + salt + "$" + key},
		{"no version", "$argon2id$m=8192,t=1,p=1$" + salt + "$" + key},
		{"params reordered", "$argon2id$v=19$t=1,m=8192,p=1$" + salt + "$" + key},
		{"memory cap", "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key},
		{"memory just over cap", "$argon2id$v=19$m=262145,t=1,p=1$" + salt + "$" + key},
		{"memory overflow", "$argon2id$v=19$m=99999999999999999999,t=1,p=1$" + salt + "$" + key},
		{"memory below lanes", "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key},
		{"time cap", "$argon2id$v=19$m=8192,t=11,p=1$" + salt + "$" + key},
		{"time zero", "$argon2id$v=19$m=8192,t=0,p=1$" + salt + "$" + key},
		{"lanes zero", "$argon2id$v=19$m=8192,t=1,p=0$" + salt + "$" + key},
		{"lanes cap", "$argon2id$v=19$m=8192,t=1,p=9$" + salt + "$" + key},
		{"leading zero", "$argon2id$v=19$m=08192,t=1,p=1$" + salt + "$" + key},
		{"sign", "$argon2id$v=19$m=+8192,t=1,p=1$" + salt + "$" + key},
		{"salt not base64", "$argon2id$v=19$m=8192,t=1,p=1$!!!!$" + key},
		{"salt too short", "$argon2id$v=19$m=8192,t=1,p=1$c2FsdA$" + key},
		{"salt padded", "$argon2id$v=19$m=8192,t=1,p=1$" + salt + "==$" + key},
		{"hash too short", "$argon2id$v=19$m=8192,t=1,p=1$" + salt + "$AAAA"},
		{"hash missing", "$argon2id$v=19$m=8192,t=1,p=1$" + salt},
		{"extra field", good + "$x"},
		{"newline in salt", "$argon2id$v=19$m=8192,t=1,p=1$" + salt[:4] + "\n" + salt[4:] + "$" + key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := CheckPassword(tt.enc, pw)
			if ok || rehash || !errors.Is(err, ErrMalformedHash) {
				t.Errorf("CheckPassword(%q) = %v, %v, %v; want false, false, ErrMalformedHash", tt.enc, ok, rehash, err)
			}
		})
	}
	// Tampering that keeps the form valid must fail as a wrong password.
	for name, enc := range map[string]string{
		"salt changed": "$argon2id$v=19$m=8192,t=1,p=1$" + flip(salt) + "$" + key,
		"hash changed": "$argon2id$v=19$m=8192,t=1,p=1$" + salt + "$" + flip(key),
		"time changed": "$argon2id$v=19$m=8192,t=2,p=1$" + salt + "$" + key,
	} {
		if ok, _, err := CheckPassword(enc, pw); ok || err != nil {
			t.Errorf("%s: CheckPassword = %v, %v; want false, nil", name, ok, err)
		}
	}
	if ok, _, err := CheckPassword(good, pw); !ok || err != nil {
		t.Fatalf("control: CheckPassword(good) = %v, %v", ok, err)
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	enc, _ := HashPassword("correct horse battery staple")
	for b.Loop() {
		CheckPassword(enc, "correct horse battery staple")
	}
}
