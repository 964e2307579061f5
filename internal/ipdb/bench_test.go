package ipdb

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// benchAddrs is a power of two so the loop can mask instead of divide.
const benchAddrs = 1 << 16

// BenchmarkLookupRandomV4 looks up uniformly random public IPv4 addresses.
func BenchmarkLookupRandomV4(b *testing.B) {
	db := mustDefault(b)
	r := rand.New(rand.NewPCG(4, 4))
	addrs := make([]netip.Addr, benchAddrs)
	for i := range addrs {
		x := r.Uint32()
		for reserved4(x) {
			x = r.Uint32()
		}
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], x)
		addrs[i] = netip.AddrFrom4(a)
	}
	benchLookup(b, db, addrs)
}

// BenchmarkLookupRandomV6 looks up random IPv6 addresses inside ranges the
// DB has data for: uniformly random ones would almost all be unallocated.
func BenchmarkLookupRandomV6(b *testing.B) {
	db := mustDefault(b)
	r := rand.New(rand.NewPCG(6, 6))
	e := db.v6.ents
	addrs := make([]netip.Addr, 0, benchAddrs)
	for len(addrs) < benchAddrs {
		i := r.IntN(len(e) - 1)
		if e[i].val == 0 || reserved6(e[i].hi) {
			continue
		}
		// An address between this range's start and the next one's.
		hi, lo := e[i].hi, e[i].lo
		if e[i+1].hi > hi {
			lo = r.Uint64()
			if span := e[i+1].hi - hi; span > 1 {
				hi += r.Uint64N(span)
			}
		}
		var a [16]byte
		binary.BigEndian.PutUint64(a[:8], hi)
		binary.BigEndian.PutUint64(a[8:], lo)
		addrs = append(addrs, netip.AddrFrom16(a))
	}
	benchLookup(b, db, addrs)
}

func benchLookup(b *testing.B, db *DB, addrs []netip.Addr) {
	b.ReportAllocs()
	var known int
	i := 0
	for b.Loop() {
		if db.Lookup(addrs[i&(benchAddrs-1)]).CC != "" {
			known++
		}
		i++
	}
	if known == 0 {
		b.Fatal("no address had data")
	}
}

// BenchmarkDecodeDefault decodes the embedded snapshot, as Default does
// once per process.
func BenchmarkDecodeDefault(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(defaultData)))
	for b.Loop() {
		if _, err := Decode(defaultData); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeDefault writes the default DB, as storing an operator's
// database of similar size would.
func BenchmarkEncodeDefault(b *testing.B) {
	db := mustDefault(b)
	b.ReportAllocs()
	for b.Loop() {
		encode(b, db)
	}
}
