package ipdb

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"
)

// smallDB is a DB with a bit of everything, for format tests and fuzz seeds.
func smallDB(t testing.TB) *DB {
	t.Helper()
	a := netip.MustParseAddr
	var b Builder
	for _, r := range []struct {
		first, last, cc string
		asn             uint32
		name            string
	}{
		{"1.0.0.0", "1.0.0.255", "AU", 13335, "Cloudflare, Inc."},
		{"8.8.8.0", "8.8.8.255", "US", 15169, "Google LLC"},
		{"8.8.9.0", "8.8.9.255", "US", 0, ""},
		{"255.255.255.255", "255.255.255.255", "ZZ", 4294967295, "Last"},
		{"2001:4860::", "2001:4860:ffff:ffff:ffff:ffff:ffff:ffff", "US", 15169, ""},
		{"2a00::", "2a00::1f", "DE", 0, ""},
		{"2a00::20", "2a00::20", "", 64512, "Tiny"},
		{"2a00:0:0:1::", "2a00:0:0:1::", "FR", 0, ""},
	} {
		if r.cc != "" {
			if err := b.AddCountry(a(r.first), a(r.last), r.cc); err != nil {
				t.Fatal(err)
			}
		}
		if r.asn != 0 {
			if err := b.AddASN(a(r.first), a(r.last), r.asn, r.name); err != nil {
				t.Fatal(err)
			}
		}
	}
	db, err := b.Build(Info{
		Name: "small", Version: "1.0", Description: "for tests", Attribution: "nobody",
		Built: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func encode(t testing.TB, db *DB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := db.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// randomAddrs returns n addresses, half IPv4 and half IPv6 in 2000::/4,
// from a fixed seed.
func randomAddrs(n int) []netip.Addr {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]netip.Addr, n)
	for i := range out {
		if i%2 == 0 {
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], r.Uint32())
			out[i] = netip.AddrFrom4(b)
		} else {
			var b [16]byte
			binary.BigEndian.PutUint64(b[:8], 0x2000<<48|r.Uint64()>>4)
			binary.BigEndian.PutUint64(b[8:], r.Uint64())
			out[i] = netip.AddrFrom16(b)
		}
	}
	return out
}

func sameLookups(t *testing.T, a, b *DB, addrs []netip.Addr) {
	t.Helper()
	bad := 0
	for _, ip := range addrs {
		if x, y := a.Lookup(ip), b.Lookup(ip); x != y {
			if bad++; bad < 10 {
				t.Errorf("Lookup(%s) = %+v, then %+v", ip, x, y)
			}
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	// The default DB's round trip is TestDefaultDataIsCanonical.
	for _, tt := range []struct {
		name string
		db   *DB
	}{
		{"small", smallDB(t)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			enc := encode(t, tt.db)
			got, err := Decode(enc)
			if err != nil {
				t.Fatal(err)
			}
			if got.Info() != tt.db.Info() {
				t.Errorf("Info = %+v, want %+v", got.Info(), tt.db.Info())
			}
			sameLookups(t, tt.db, got, randomAddrs(200000))
			checkRows(t, got, tt.db.rangeRows())
			// Encoding is deterministic.
			if again := encode(t, got); !bytes.Equal(again, enc) {
				t.Error("re-encoding a decoded DB gives other bytes")
			}
		})
	}
}

// TestDefaultDataIsCanonical checks that encoding the decoded default DB
// gives back the committed file byte for byte: the round trip loses
// nothing, and the file was written by this code (else run go generate).
func TestDefaultDataIsCanonical(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes the whole default DB")
	}
	if !bytes.Equal(encode(t, mustDefault(t)), defaultData) {
		t.Error("data/default.cipdb differs from Encode's output for it; run go generate")
	}
}

// cipdb wraps a payload in the file header and gzip.
func cipdb(payload []byte) []byte {
	var buf bytes.Buffer
	buf.WriteString(fileMagic)
	buf.Write([]byte{0, formatVersion})
	zw := gzip.NewWriter(&buf)
	zw.Write(payload)
	zw.Close()
	return buf.Bytes()
}

// payload builds a payload from varints (int) and raw strings.
func payload(parts ...any) []byte {
	var p payloadWriter
	for _, x := range parts {
		switch x := x.(type) {
		case int:
			p.uvarint(uint64(x))
		case uint64:
			p.uvarint(x)
		case string:
			p.buf = append(p.buf, x...)
		}
	}
	return p.buf
}

// meta is a valid meta section: four empty strings and the zero time.
var meta = string(binary.AppendVarint([]byte{0, 0, 0, 0}, zeroUnix))

func TestDecodeErrors(t *testing.T) {
	good := encode(t, smallDB(t))
	// A minimal valid payload: no countries, no ASNs, no values, one IPv4
	// and one IPv6 range of value 0.
	minimal := payload(meta, 0, 0, 0, 1, 0, 1, 0)
	if _, err := Decode(cipdb(minimal)); err != nil {
		t.Fatalf("minimal payload: %v", err)
	}
	trailing := append(bytes.Clone(good), 0)
	truncated := good[:len(good)-10]
	badVersion := bytes.Clone(good)
	badVersion[7] = 9

	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "bad magic"},
		{"other file", []byte("PK\x03\x04 not ours at all"), "bad magic"},
		{"format version", badVersion, "unsupported format version 9"},
		{"not gzip", []byte(fileMagic + "\x00\x01this is not a gzip stream"), "gzip"},
		{"truncated", truncated, "unexpected EOF"},
		{"trailing bytes", trailing, "unexpected bytes after the data"},
		{"empty payload", cipdb(nil), "truncated varint"},
		{"bad utf-8 name", cipdb(payload(1, "\xff", 0, 0, 0, string(binary.AppendVarint(nil, zeroUnix)))), "name is not valid UTF-8"},
		{"string too long", cipdb(payload(200, "ab")), "exceeds the remaining data"},
		{"lower-case country", cipdb(payload(meta, 1, "de")), "not upper-case letters"},
		{"unsorted countries", cipdb(payload(meta, 2, "DEAT")), "not upper-case letters in order"},
		{"too many countries", cipdb(payload(meta, 1000, "DE")), "exceeds the remaining data"},
		{"ASN gap 0", cipdb(payload(meta, 0, 2, 5, 0, 0, 0)), "strictly increasing"},
		{"ASN over 32 bits", cipdb(payload(meta, 0, 1, 1<<33, 0)), "strictly increasing"},
		{"name length", cipdb(payload(meta, 0, 1, 5, 1<<40)), "exceeds the data"},
		{"names past end", cipdb(payload(meta, 0, 1, 5, 3, "ab")), "exceeds the remaining data"},
		{"bad utf-8 AS name", cipdb(payload(meta, 0, 1, 5, 1, "\xff")), "AS names are not valid UTF-8"},
		{"country index", cipdb(payload(meta, 0, 0, 1, 1, 0, 1, 0, 1, 0)), "country index 1 out of range"},
		{"ASN index", cipdb(payload(meta, 0, 0, 1, 0, 3, 1, 0, 1, 0)), "ASN index 3 out of range"},
		{"no IPv4 ranges", cipdb(payload(meta, 0, 0, 0, 0, 1, 0)), "empty IPv4 table"},
		{"IPv4 start gap 0", cipdb(payload(meta, 0, 0, 0, 2, 0, 0, 0, 1, 0)), "not increasing"},
		{"IPv4 past 32 bits", cipdb(payload(meta, 0, 0, 0, 2, 1<<32, 0, 0, 1, 0)), "not increasing"},
		{"IPv4 value index", cipdb(payload(meta, 0, 0, 0, 1, 1, 1, 0)), "value index 1 out of range"},
		{"no IPv6 ranges", cipdb(payload(meta, 0, 0, 0, 1, 0, 0)), "empty IPv6 table"},
		{"IPv6 start not increasing", cipdb(payload(meta, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0)), "not increasing"},
		{"IPv6 value index", cipdb(payload(meta, 0, 0, 0, 1, 0, 1, 7)), "value index 7 out of range"},
		{"IPv6 count", cipdb(payload(meta, 0, 0, 0, 1, 0, 9, 0)), "exceeds the remaining data"},
		{"trailing payload", cipdb(append(bytes.Clone(minimal), 0)), "unexpected bytes after the IPv6 table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Decode(tt.in)
			if err == nil {
				t.Fatalf("Decode succeeded: %+v", db.Info())
			}
			if !strings.HasPrefix(err.Error(), "ipdb: decode: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestDecodeIPv6Wrap(t *testing.T) {
	// Upper-64 gaps that wrap around, and lower-64 gaps that do.
	max := uint64(1<<64 - 1)
	for _, p := range [][]byte{
		payload(meta, 0, 0, 0, 1, 0, 3, max, 5, 0, 0, 0, 0, 0),
		payload(meta, 0, 0, 0, 1, 0, 3, 0, 0, max, 5, 0, 0, 0),
	} {
		if _, err := Decode(cipdb(p)); err == nil {
			t.Errorf("payload % x decoded", p)
		}
	}
}

func FuzzDecode(f *testing.F) {
	small := encode(f, smallDB(f))
	f.Add(small)
	f.Add(cipdb(payload(meta, 0, 0, 0, 1, 0, 1, 0)))
	f.Add(small[:len(small)/2])
	addrs := randomAddrs(64)
	f.Fuzz(func(t *testing.T, b []byte) {
		// The bytes as a file, and as a payload inside a valid wrapper so
		// that the fuzzer reaches the payload parser.
		for _, in := range [][]byte{b, cipdb(b)} {
			db, err := Decode(in)
			if err != nil {
				continue
			}
			for _, ip := range addrs {
				db.Lookup(ip)
			}
			// Whatever decodes must survive a round trip.
			var buf bytes.Buffer
			if err := db.Encode(&buf); err != nil {
				t.Fatal(err)
			}
			db2, err := Decode(buf.Bytes())
			if err != nil {
				t.Fatalf("re-decoding: %v", err)
			}
			if db2.Info() != db.Info() {
				t.Fatalf("Info changed: %+v, then %+v", db.Info(), db2.Info())
			}
			sameLookups(t, db, db2, addrs)
		}
	})
}

// TestDecodeLeavesNoGoroutine checks that the inflating goroutine ends
// whether Decode succeeds or fails early.
func TestDecodeLeavesNoGoroutine(t *testing.T) {
	good := encode(t, smallDB(t))
	bad := cipdb(payload(meta, 1000, "DE"))
	before := runtime.NumGoroutine()
	for range 50 {
		Decode(good)
		Decode(bad)
		Decode(good[:len(good)-3])
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines before, %d after", before, n)
	}
}
