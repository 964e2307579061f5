package ipdb

import "testing"

func TestRangesAgreeWithLookup(t *testing.T) {
	db, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	n4, n6 := 0, 0
	for r := range db.Ranges() {
		if r.Lo.Is4() {
			n4++
		} else {
			n6++
		}
		if r.Hi.Less(r.Lo) || r.Lo.BitLen() != r.Hi.BitLen() {
			t.Fatalf("bad range %v-%v", r.Lo, r.Hi)
		}
		// Spot-check: both ends of every 97th range look up to the range's
		// data, unless the block is reserved.
		if (n4+n6)%97 == 0 {
			if got := db.Lookup(r.Lo); got != (Result{}) && got != r.Result {
				t.Fatalf("%v: Lookup %+v, Ranges %+v", r.Lo, got, r.Result)
			}
			if got := db.Lookup(r.Hi); got != (Result{}) && got != r.Result {
				t.Fatalf("%v: Lookup %+v, Ranges %+v", r.Hi, got, r.Result)
			}
		}
	}
	if in := db.Info(); n4 != in.Ranges4 || n6 != in.Ranges6 {
		t.Fatalf("Ranges yielded %d/%d, Info says %d/%d", n4, n6, in.Ranges4, in.Ranges6)
	}
}
