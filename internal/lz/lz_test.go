package lz

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

var dict = []byte(`{"timestamp":"2024-01-01T00:00:00.000000+0000","flow_id":,"in_iface":"eth0","event_type":"flow","src_ip":"","src_port":,"dest_ip":"","dest_port":,"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":,"pkts_toclient":,"bytes_toserver":,"bytes_toclient":,"start":"","end":"","age":,"state":"closed","reason":"timeout","alerted":false}}`)

func roundTrip(t testing.TB, c *Codec, in []byte) []byte {
	t.Helper()
	enc := c.NewEncoder()
	z := enc.Append(nil, in)
	out, err := c.Decode(nil, z)
	if err != nil {
		t.Fatalf("decode %q: %v", in, err)
	}
	if !bytes.Equal(out, in) {
		t.Fatalf("round trip changed %q into %q", in, out)
	}
	return z
}

func TestRoundTrip(t *testing.T) {
	withDict, _ := New(dict)
	noDict, _ := New(nil)
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 5000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	for name, in := range map[string][]byte{
		"empty":        {},
		"short":        []byte("abc"),
		"four":         []byte("abcd"),
		"run":          bytes.Repeat([]byte("a"), 1000),
		"random":       random,
		"eve":          []byte(`{"timestamp":"2026-10-03T10:00:01.532140+0000","flow_id":1000000007919,"in_iface":"eth0","event_type":"flow","src_ip":"192.0.2.10","src_port":51234,"dest_ip":"198.51.100.7","dest_port":443,"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":12,"pkts_toclient":14,"bytes_toserver":1890,"bytes_toclient":9870,"start":"2026-10-03T09:59:51.123456+0000","end":"2026-10-03T10:00:01.432100+0000","age":10,"state":"closed","reason":"timeout","alerted":false}}`),
		"dict prefix":  dict[:100],
		"whole dict":   dict,
		"dict + self":  append(append([]byte{}, dict[len(dict)-20:]...), dict[len(dict)-20:]...),
		"long literal": []byte(strings.Repeat("xyzzy", 3) + string(random[:300])),
		"big":          bytes.Repeat(dict, 300), // beyond the 64 KiB window
	} {
		for cname, c := range map[string]*Codec{"dict": withDict, "nodict": noDict} {
			t.Run(name+"/"+cname, func(t *testing.T) { roundTrip(t, c, in) })
		}
	}
}

func TestDictionaryHelps(t *testing.T) {
	withDict, _ := New(dict)
	noDict, _ := New(nil)
	rec := []byte(`{"timestamp":"2026-10-03T10:00:01.532140+0000","flow_id":1000000007919,"in_iface":"eth0","event_type":"flow","src_ip":"192.0.2.10","src_port":51234,"dest_ip":"198.51.100.7","dest_port":443,"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":12,"pkts_toclient":14,"bytes_toserver":1890,"bytes_toclient":9870,"start":"2026-10-03T09:59:51.123456+0000","end":"2026-10-03T10:00:01.432100+0000","age":10,"state":"closed","reason":"timeout","alerted":false}}`)
	a, b := len(roundTrip(t, withDict, rec)), len(roundTrip(t, noDict, rec))
	t.Logf("%d bytes: %d with dictionary, %d without", len(rec), a, b)
	if a*2 > len(rec) || a >= b {
		t.Fatalf("dictionary gives %d bytes of %d (without: %d); want better than half", a, len(rec), b)
	}
}

func TestDecodeRejectsCorruption(t *testing.T) {
	c, _ := New(dict)
	z := c.NewEncoder().Append(nil, dict)
	for i := range z {
		for _, delta := range []byte{1, 0x80} {
			bad := append([]byte(nil), z...)
			bad[i] ^= delta
			if out, err := c.Decode(nil, bad); err == nil && !bytes.Equal(out, dict) {
				// A flipped literal decodes to different bytes, which the
				// caller's own checks catch; anything structural must fail.
				if i == 0 {
					t.Fatalf("flipping the length byte went unnoticed")
				}
			}
		}
	}
	for _, bad := range [][]byte{nil, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, {5, 0x10}, {4, 0x00, 0, 0}} {
		if _, err := c.Decode(nil, bad); err == nil {
			t.Errorf("%x decoded", bad)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte(`{"event_type":"flow","src_ip":"192.0.2.1"}`))
	f.Add(bytes.Repeat([]byte("ab"), 100))
	c, _ := New(dict)
	f.Fuzz(func(t *testing.T, in []byte) {
		roundTrip(t, c, in)
		// Any input as a stream must decode or fail cleanly, within bounds.
		if out, err := c.Decode(nil, in); err == nil && len(out) > MaxDecoded {
			t.Fatal("decoded beyond the bound")
		}
	})
}

func BenchmarkEncodeEVE(b *testing.B) {
	c, _ := New(dict)
	rec := []byte(`{"timestamp":"2026-10-03T10:00:01.532140+0000","flow_id":1000000007919,"in_iface":"eth0","event_type":"flow","src_ip":"192.0.2.10","src_port":51234,"dest_ip":"198.51.100.7","dest_port":443,"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":12,"pkts_toclient":14,"bytes_toserver":1890,"bytes_toclient":9870,"start":"2026-10-03T09:59:51.123456+0000","end":"2026-10-03T10:00:01.432100+0000","age":10,"state":"closed","reason":"timeout","alerted":false}}`)
	enc := c.NewEncoder()
	var z []byte
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		z = enc.Append(z[:0], rec)
	}
	b.ReportMetric(float64(len(rec))/float64(len(z)), "ratio")
}

func BenchmarkDecodeEVE(b *testing.B) {
	c, _ := New(dict)
	rec := bytes.Repeat([]byte(`"src_ip":"192.0.2.10","src_port":51234,`), 10)
	z := c.NewEncoder().Append(nil, rec)
	var out []byte
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		out, _ = c.Decode(out[:0], z)
	}
}
