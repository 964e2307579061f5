package assess

import (
	"context"
	"net/netip"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// fixedBackground is a Background from tables, so scenarios do not depend
// on the embedded IP database's version. Addresses are from the
// documentation ranges; the test gives them countries.
type fixedBackground struct {
	places map[netip.Addr]Place
	flags  map[netip.Addr]event.Flags
	facts  []store.Fact
	events map[string]event.TLP // stored events by key
}

func (b *fixedBackground) Place(ip netip.Addr) Place { return b.places[ip] }

func (b *fixedBackground) Flags(ip netip.Addr, _ time.Time) event.Flags { return b.flags[ip] }

func (b *fixedBackground) History(_ context.Context, ip netip.Addr, from, to int32) ([]store.Fact, error) {
	var out []store.Fact
	for _, f := range b.facts {
		if f.IP == ip && f.Day >= from && f.Day <= to {
			out = append(out, f)
		}
	}
	return out, nil
}

func (b *fixedBackground) EventTLP(_ context.Context, key string) (event.TLP, bool, bool, error) {
	t, ok := b.events[key]
	return t, ok, true, nil
}

func (b *fixedBackground) Consulted() Sources {
	return Sources{IPDB: "test-table@1", Lists: map[string]int{"tor-exit": 3, "hosting": 2}, Store: "test facts"}
}

func day(s string) int32 {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return store.DayOf(t)
}

// testBackground places the scenarios' addresses:
//
//	198.51.100.7   RU, AS64501 ExampleTelecom RU (a residential ISP)
//	198.51.100.20  RU, AS64502 ExampleHost RU (hosting)
//	203.0.113.5    DE, a Tor exit
//	203.0.113.80   BR, an infected home computer seen by two feeds
//	192.0.2.44     KP, AS64510
//	192.0.2.90     CN, AS64520
func testBackground() *fixedBackground {
	a := netip.MustParseAddr
	return &fixedBackground{
		places: map[netip.Addr]Place{
			a("198.51.100.7"):  {CC: "RU", ASN: 64501, ASName: "ExampleTelecom RU"},
			a("198.51.100.20"): {CC: "RU", ASN: 64502, ASName: "ExampleHost RU"},
			a("203.0.113.5"):   {CC: "DE", ASN: 64503, ASName: "Example Relay e.V."},
			a("203.0.113.80"):  {CC: "BR", ASN: 64504, ASName: "Example Banda Larga"},
			a("192.0.2.44"):    {CC: "KP", ASN: 64510, ASName: "Example Star JV"},
			a("192.0.2.90"):    {CC: "CN", ASN: 64520, ASName: "Example Backbone CN"},
		},
		flags: map[netip.Addr]event.Flags{
			a("203.0.113.5"):   event.FlagTor,
			a("198.51.100.20"): event.FlagHosting,
		},
		events: map[string]event.TLP{"0000662f0f2a0123456789abcdef0123": event.TLPRed, "0000662f0f2a00000000000000000000": event.TLPGreen},
		facts: []store.Fact{
			{Day: day("2024-03-11"), Role: event.RoleInfected, IP: a("203.0.113.80"), Class: "malicious-code/infected-system", Malware: "mirai", Feed: "shadowserver-sinkhole-http", CC: "BR", ASN: 64504, Events: 3},
			{Day: day("2024-03-12"), Role: event.RoleInfected, IP: a("203.0.113.80"), Class: "malicious-code/infected-system", Malware: "mirai", Feed: "suricata", CC: "BR", ASN: 64504, Events: 12},
			{Day: day("2024-02-01"), Role: event.RoleAttacker, IP: a("198.51.100.7"), Class: "information-gathering/scanner", Feed: "dshield", CC: "RU", ASN: 64501, Events: 1},
		},
	}
}
