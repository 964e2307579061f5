package ipdb

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// Result is what the database knows about one address; zero fields when unknown.
type Result struct {
	// CC is the ISO 3166-1 alpha-2 country code in upper case, or "".
	CC string
	// ASN is the autonomous system number, or 0.
	ASN uint32
	// ASName is the autonomous system's name as the source spells it, or "".
	ASName string
}

// Info describes a DB: where its data came from and how much there is.
type Info struct {
	// Name identifies the data set, e.g. "ip-location-db" or "GeoLite2-Country".
	Name string
	// Version identifies the snapshot of the data set, e.g. "2.3.2026061719"
	// or a build date.
	Version string
	// Description says in words what the data is and where it came from.
	Description string
	// Attribution is the licence and attribution text the data's owners ask
	// to be shown wherever results are used.
	Attribution string
	// Built is when the data was produced, or the zero time when unknown.
	Built time.Time
	// Ranges4 and Ranges6 count the IPv4 and IPv6 ranges that carry data,
	// after adjacent ranges with equal values were merged.
	Ranges4, Ranges6 int
	// ASNs counts the distinct autonomous systems the ranges refer to.
	ASNs int
	// HasCountry and HasASN tell which kinds of data the DB holds.
	HasCountry, HasASN bool
}

// DB maps IPv4 and IPv6 addresses to a country and an autonomous system.
// DBs come from Default, Decode, LoadCSV, LoadMMDB, Overlay or a Builder;
// the zero DB knows nothing. A DB is immutable after construction, so any
// number of goroutines may call Lookup at once, and a new DB can replace an
// old one with a single pointer swap.
type DB struct {
	info   Info
	v4     table4
	v6     table6
	values []Result // values[0] is the zero Result
}

// ID returns "name@version", the label recorded on every event the DB
// enriches. Without a version it is just the name.
func (db *DB) ID() string {
	if db.info.Version == "" {
		return db.info.Name
	}
	return db.info.Name + "@" + db.info.Version
}

// Info returns the DB's description and counts.
func (db *DB) Info() Info { return db.info }

// Lookup returns what the DB knows about ip. IPv4-mapped IPv6 addresses are
// looked up as IPv4. Private, loopback, link-local, multicast, documentation
// and other reserved addresses, and the zero Addr, give the zero Result
// whatever the data says. Lookup does not allocate.
func (db *DB) Lookup(ip netip.Addr) Result {
	if ip.Is4() || ip.Is4In6() {
		b := ip.As4()
		x := binary.BigEndian.Uint32(b[:])
		if reserved4(x) || len(db.v4.index) == 0 {
			return Result{}
		}
		return db.values[db.v4.find(x)]
	}
	if !ip.Is6() {
		return Result{}
	}
	b := ip.As16()
	hi := binary.BigEndian.Uint64(b[:8])
	if reserved6(hi) || len(db.v6.index) == 0 {
		return Result{}
	}
	return db.values[db.v6.find(hi, binary.BigEndian.Uint64(b[8:]))]
}

// reserved4 reports whether x lies in an IPv4 block that is not globally
// routed (RFC 6890 and its updates), where a country or AS is meaningless.
func reserved4(x uint32) bool {
	switch x >> 24 {
	case 0, 10, 127: // "this network", private, loopback
		return true
	case 100:
		return x&0xffc00000 == 0x64400000 // 100.64.0.0/10 shared address space
	case 169:
		return x>>16 == 0xa9fe // 169.254.0.0/16 link local
	case 172:
		return x&0xfff00000 == 0xac100000 // 172.16.0.0/12 private
	case 192:
		return x>>16 == 0xc0a8 || // 192.168.0.0/16 private
			x>>8 == 0xc00000 || // 192.0.0.0/24 protocol assignments
			x>>8 == 0xc00002 // 192.0.2.0/24 TEST-NET-1
	case 198:
		return x&0xfffe0000 == 0xc6120000 || // 198.18.0.0/15 benchmarking
			x>>8 == 0xc63364 // 198.51.100.0/24 TEST-NET-2
	case 203:
		return x>>8 == 0xcb0071 // 203.0.113.0/24 TEST-NET-3
	}
	return x >= 0xe0000000 // multicast, 240.0.0.0/4 reserved, broadcast
}

// reserved6 reports whether the IPv6 address whose upper 64 bits are hi lies
// outside global unicast space (2000::/3) or in one of the documentation or
// benchmarking blocks inside it.
func reserved6(hi uint64) bool {
	return hi>>61 != 1 || // not 2000::/3: loopback, ULA, link local, multicast, NAT64, ...
		hi>>32 == 0x20010db8 || // 2001:db8::/32 documentation
		hi>>16 == 0x200100020000 || // 2001:2::/48 benchmarking
		hi>>36 == 0x2001001 || // 2001:10::/28 ORCHID (deprecated)
		hi>>44 == 0x3fff0 // 3fff::/20 documentation
}

// table4 is the IPv4 range table: every address belongs to exactly one
// range, and ranges without data point at values[0].
type table4 struct {
	// packed holds start<<32 | value index for each range, sorted by start;
	// packed[0]>>32 == 0. Keeping the value beside the start means the
	// final probe of a search already has it in cache.
	packed []uint64
	// index[h] is the range holding address h<<16; index[65536] is the last
	// range. An address with upper bits h lies in ranges index[h]..index[h+1].
	index []uint32
}

func (t *table4) find(x uint32) uint32 {
	h := x >> 16
	lo, hi := int(t.index[h]), int(t.index[h+1])
	key := uint64(x)<<32 | 0xffffffff
	p := t.packed
	for lo < hi {
		m := int(uint(lo+hi+1) >> 1)
		if p[m] <= key {
			lo = m
		} else {
			hi = m - 1
		}
	}
	return uint32(p[lo])
}

// entry6 is one IPv6 range: its first address and its value index.
type entry6 struct {
	hi, lo uint64
	val    uint32
}

// table6 is the IPv6 range table, laid out like table4 with the first-level
// index on the upper 16 bits.
type table6 struct {
	ents  []entry6
	index []uint32
}

func (t *table6) find(hi, lo uint64) uint32 {
	h := hi >> 48
	l, r := int(t.index[h]), int(t.index[h+1])
	e := t.ents
	for l < r {
		m := int(uint(l+r+1) >> 1)
		if e[m].hi < hi || e[m].hi == hi && e[m].lo <= lo {
			l = m
		} else {
			r = m - 1
		}
	}
	return e[l].val
}
