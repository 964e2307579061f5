package ipdb

import (
	"iter"
	"net/netip"
)

// Range is a run of addresses that the database describes the same way.
type Range struct {
	Lo, Hi netip.Addr // inclusive, same family
	Result
}

// Ranges yields the ranges that carry data, IPv4 first, in address order.
// Reserved blocks are yielded as the data has them; Lookup is what hides
// them.
func (db *DB) Ranges() iter.Seq[Range] {
	return func(yield func(Range) bool) {
		names := db.names()
		for _, fam := range []struct {
			n    int
			segs []seg
			max  u128
		}{{4, db.segs4(), max4}, {6, db.segs6(), max6}} {
			for i, s := range fam.segs {
				if s.v == (val{}) {
					continue
				}
				hi := fam.max
				if i+1 < len(fam.segs) {
					hi = fam.segs[i+1].start.dec()
				}
				r := Result{CC: s.v.cc, ASN: s.v.asn, ASName: names[s.v.asn]}
				if !yield(Range{Lo: keyAddr(fam.n, s.start), Hi: keyAddr(fam.n, hi), Result: r}) {
					return
				}
			}
		}
	}
}
