package enrich

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/ipdb"
)

// Enricher adds what Concord knows about each address of an event: country
// and autonomous system from the IP database, and the relay and hosting
// lists that held it at the time of the event. It is not safe for
// concurrent use (it keeps a cache); give each goroutine its own.
type Enricher struct {
	geo   *ipdb.DB
	geoID string
	lists *Index
	c2    *C2Index
	cache [cacheSize]cacheEntry
}

// cacheSize is the number of direct-mapped cache slots. Sensor data repeats
// the same few thousand addresses (the monitored network, its resolvers,
// busy servers) endlessly, so a small cache takes most lookups.
const cacheSize = 1 << 12

type cacheEntry struct {
	k0, k1 uint64 // the address as two integers (IPv4: k1 only)
	v6     bool
	day    int64 // day+1, so the zero entry matches nothing
	res    ipdb.Result
	flags  event.Flags
}

// New returns an Enricher over an IP database and an index of lists (nil
// for none).
func New(geo *ipdb.DB, lists *Index) *Enricher {
	return &Enricher{geo: geo, geoID: geo.ID(), lists: lists}
}

// WithC2 makes the enricher link observations to known C&C servers (see
// C2Index.LinkC2) and learn new ones from the incidents it sees.
func (en *Enricher) WithC2(x *C2Index) *Enricher {
	en.c2 = x
	return en
}

// Enrich fills the enrichment fields of both endpoints and records the
// database that answered. Flags set by the decoder (a sinkhole report says
// its destination is a sinkhole) are kept.
func (en *Enricher) Enrich(e *event.Event) {
	t := e.Time()
	en.endpoint(&e.Source, t)
	en.endpoint(&e.Destination, t)
	e.IPDB = en.geoID
	if en.c2 != nil {
		en.c2.LinkC2(e)
	}
}

func (en *Enricher) endpoint(ep *event.Endpoint, t time.Time) {
	if !ep.IP.IsValid() {
		return
	}
	r, f := en.Lookup(ep.IP, t)
	ep.CC, ep.ASN, ep.ASName = r.CC, r.ASN, r.ASName
	ep.Flags |= f
}

// Lookup returns what the database and the lists say about a at time t.
func (en *Enricher) Lookup(a netip.Addr, t time.Time) (ipdb.Result, event.Flags) {
	day := t.Unix()/86400 + 1
	var k0, k1 uint64
	v6 := !a.Is4()
	if v6 {
		b := a.As16()
		k0, k1 = binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	} else {
		b := a.As4()
		k1 = uint64(binary.BigEndian.Uint32(b[:]))
	}
	h := k0 ^ k1*0x9e3779b97f4a7c15 ^ uint64(day)*0xff51afd7ed558ccd
	slot := &en.cache[(h^h>>29)&(cacheSize-1)]
	if slot.k1 == k1 && slot.k0 == k0 && slot.day == day && slot.v6 == v6 {
		return slot.res, slot.flags
	}
	res := en.geo.Lookup(a)
	flags := en.lists.Flags(a, t)
	*slot = cacheEntry{k0: k0, k1: k1, v6: v6, day: day, res: res, flags: flags}
	return res, flags
}
