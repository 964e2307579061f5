package store

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/concord-cert/concord/internal/event"
)

func TestListSnapshotRoundTrip(t *testing.T) {
	ranges := []ListRange{
		{Kind: event.FlagTor, Lo: netip.MustParseAddr("198.51.100.7"), Hi: netip.MustParseAddr("198.51.100.7"), From: 1700000000, To: 1700086399},
		{Kind: event.FlagHosting, Lo: netip.MustParseAddr("2001:db8::"), Hi: netip.MustParseAddr("2001:db8::ffff"), From: SinceEver, To: UntilEver},
		{Kind: event.FlagProxy, Lo: netip.MustParseAddr("192.0.2.0"), Hi: netip.MustParseAddr("192.0.2.255"), From: -5, To: 10},
	}
	snap := EncodeListSnapshot(ranges)
	var got []ListRange
	if err := EachSnapshotRange(snap, SinceEver, UntilEver, func(r ListRange) { got = append(got, r) }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ranges) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, ranges)
	}
	got = nil
	EachSnapshotRange(snap, 1700000500, 1700000600, func(r ListRange) { got = append(got, r) })
	if len(got) != 2 || got[0].Kind != event.FlagTor || got[1].Kind != event.FlagHosting {
		t.Fatalf("period filter gave %+v", got)
	}
	for i := range snap {
		if err := EachSnapshotRange(snap[:i], SinceEver, UntilEver, func(ListRange) {}); err == nil {
			t.Fatalf("snapshot cut to %d bytes read without error", i)
		}
	}
}

func FuzzEachSnapshotRange(f *testing.F) {
	f.Add(EncodeListSnapshot([]ListRange{{Kind: event.FlagTor, Lo: netip.MustParseAddr("192.0.2.1"), Hi: netip.MustParseAddr("192.0.2.1")}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		EachSnapshotRange(b, SinceEver, UntilEver, func(r ListRange) {
			if r.Lo.BitLen() != r.Hi.BitLen() {
				t.Fatalf("mixed families %v %v", r.Lo, r.Hi)
			}
		})
	})
}
