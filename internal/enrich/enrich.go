package enrich

import (
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
	cache [cacheSize]cacheEntry
}

// cacheSize is the number of direct-mapped cache slots. Sensor data repeats
// the same few thousand addresses (the monitored network, its resolvers,
// busy servers) endlessly, so a small cache takes most lookups.
const cacheSize = 1 << 13

type cacheEntry struct {
	ip    netip.Addr
	day   int64
	res   ipdb.Result
	flags event.Flags
}

// New returns an Enricher over an IP database and an index of lists (nil
// for none).
func New(geo *ipdb.DB, lists *Index) *Enricher {
	return &Enricher{geo: geo, geoID: geo.ID(), lists: lists}
}

// Enrich fills the enrichment fields of both endpoints and records the
// database that answered. Flags set by the decoder (a sinkhole report says
// its destination is a sinkhole) are kept.
func (en *Enricher) Enrich(e *event.Event) {
	t := e.Time()
	en.endpoint(&e.Source, t)
	en.endpoint(&e.Destination, t)
	e.IPDB = en.geoID
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
	day := t.Unix() / 86400
	slot := &en.cache[slotOf(a, day)]
	if slot.ip == a && slot.day == day {
		return slot.res, slot.flags
	}
	res := en.geo.Lookup(a)
	flags := en.lists.Flags(a, t)
	*slot = cacheEntry{ip: a, day: day, res: res, flags: flags}
	return res, flags
}

// slotOf hashes an address and day to a cache slot.
func slotOf(a netip.Addr, day int64) uint64 {
	b := a.As16()
	h := uint64(day) * 0x9e3779b97f4a7c15
	for i := 0; i < 16; i += 8 {
		v := uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24 |
			uint64(b[i+4])<<32 | uint64(b[i+5])<<40 | uint64(b[i+6])<<48 | uint64(b[i+7])<<56
		h = (h ^ v) * 0xff51afd7ed558ccd
	}
	return (h ^ h>>29) & (cacheSize - 1)
}
