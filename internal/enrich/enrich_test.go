package enrich

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/ipdb"
)

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func testEnricher(t testing.TB) *Enricher {
	geo, err := ipdb.Default()
	if err != nil {
		t.Fatal(err)
	}
	exits, _, _ := ParseList(strings.NewReader("ExitNode A\nPublished 2024-03-11 10:00:00\nLastStatus 2024-03-12 10:00:00\nExitAddress 1.1.1.1 2024-03-12 09:00:00\n"),
		ListOptions{Kind: event.FlagTor})
	hosting, _, _ := ParseList(strings.NewReader("8.8.8.0/24\n"), ListOptions{Kind: event.FlagHosting})
	return New(geo, NewIndex(append(exits, hosting...)))
}

func TestEnrichFillsBothEndsAndKeepsDecoderFlags(t *testing.T) {
	en := testEnricher(t)
	e := event.Event{
		TimeSource:  time.Date(2024, 3, 12, 12, 0, 0, 0, time.UTC),
		Source:      event.Endpoint{IP: mustAddr("1.1.1.1")},
		Destination: event.Endpoint{IP: mustAddr("8.8.8.8"), Flags: event.FlagSinkhole},
	}
	en.Enrich(&e)
	if e.Source.ASN != 13335 || e.Source.Flags != event.FlagTor || e.Source.CC == "" {
		t.Errorf("source %+v", e.Source)
	}
	if e.Destination.ASN != 15169 || e.Destination.Flags != event.FlagSinkhole|event.FlagHosting {
		t.Errorf("destination %+v", e.Destination)
	}
	if e.IPDB != "ip-location-db@2.3.2026061719" {
		t.Errorf("ipdb %q", e.IPDB)
	}
	// The cache is keyed by day: the same address a year later is not a
	// Tor exit.
	later := event.Event{TimeSource: time.Date(2025, 3, 12, 12, 0, 0, 0, time.UTC), Source: event.Endpoint{IP: mustAddr("1.1.1.1")}}
	en.Enrich(&later)
	if later.Source.Flags != 0 || later.Source.ASN != 13335 {
		t.Errorf("a year later: %+v", later.Source)
	}
}

// BenchmarkLookupRepeated is the fast path: sensors repeat a few thousand
// addresses, which the enricher's cache answers.
func BenchmarkLookupRepeated(b *testing.B) {
	en := testEnricher(b)
	addrs := randomV4(1000)
	t := time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC)
	i := 0
	for b.Loop() {
		en.Lookup(addrs[i%len(addrs)], t)
		i++
	}
}

// BenchmarkLookupRandom looks up addresses that are never repeated: the
// IP database and the relay-list index every time.
func BenchmarkLookupRandom(b *testing.B) {
	en := testEnricher(b)
	addrs := randomV4(1 << 20)
	t := time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC)
	i := 0
	for b.Loop() {
		en.Lookup(addrs[i%len(addrs)], t)
		i++
	}
}

func randomV4(n int) []netip.Addr {
	rng := rand.New(rand.NewPCG(7, 7))
	out := make([]netip.Addr, n)
	for i := range out {
		v := rng.Uint32()
		out[i] = netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	return out
}
