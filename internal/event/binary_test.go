package event

import (
	"net/netip"
	"reflect"
	"testing"
	"time"
)

func TestBinaryRoundTrip(t *testing.T) {
	full := sample()
	full.Identifier = "2045001"
	full.TimeObservation = time.Date(2026, 11, 26, 13, 0, 0, 1000, time.UTC)
	full.Feed = Feed{Name: "shadowserver", Provider: "Shadowserver Foundation", Code: "event4_sinkhole"}
	full.Source.FQDN, full.Source.URL = "bot.example", "http://bot.example/x"
	full.Source.ASN, full.Source.ASName, full.Source.CC, full.Source.Flags = 8308, "NASK", "PL", FlagTor|FlagHosting
	full.Destination.IP = netip.MustParseAddr("2001:db8::1")
	full.Transport, full.Application = "tcp", "http"
	full.TLP = TLPAmberStrict
	full.Line = 42
	full.IPDB = "ip-location-db@2.3.2026061719"
	full.PutString("k", "v")
	zoned := sample()
	zoned.Source.IP = netip.MustParseAddr("fe80::1%eth0")
	for name, e := range map[string]Event{"full": full, "zero-ish": {Kind: Observation, Feed: Feed{Name: "x"}}, "zoned": zoned} {
		b := e.AppendBinary(nil)
		var got Event
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", name, got, e)
		}
		for i := range b {
			var short Event
			if err := short.UnmarshalBinary(b[:i]); err == nil {
				t.Fatalf("%s: truncated to %d bytes decoded without error", name, i)
			}
		}
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	e := sample()
	f.Add(e.AppendBinary(nil))
	f.Add([]byte{1, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Event
		if e.UnmarshalBinary(b) != nil {
			return
		}
		// Whatever decodes must encode back to a decodable equal event.
		var again Event
		if err := again.UnmarshalBinary(e.AppendBinary(nil)); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(again, e) {
			t.Fatalf("re-encode changed the event")
		}
	})
}

func BenchmarkAppendBinary(b *testing.B) {
	e := sample()
	e.Raw = make([]byte, 600)
	var buf []byte
	for b.Loop() {
		buf = e.AppendBinary(buf[:0])
	}
}
