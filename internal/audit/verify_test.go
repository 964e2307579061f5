package audit

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestValidChainsVerify(t *testing.T) {
	for _, n := range []int{0, 1, 2, 10, 10_000} {
		log := chain(n)
		got, err := Verify(entries(log))
		if err != nil || got != int64(n) {
			t.Errorf("chain of %d: Verify = %d, %v", n, got, err)
		}
		var head Head
		if n > 0 {
			head = log[n-1].Head()
		}
		if got, err := VerifyAgainst(head, entries(log)); err != nil || got != int64(n) {
			t.Errorf("chain of %d: VerifyAgainst its head = %d, %v", n, got, err)
		}
	}
}

func TestVerifyAgainstAnOlderHead(t *testing.T) {
	log := chain(10)
	old := log[4].Head() // recorded when the log had 5 entries
	if n, err := VerifyAgainst(old, entries(log)); err != nil || n != 10 {
		t.Errorf("VerifyAgainst(older head) = %d, %v", n, err)
	}
	if n, err := VerifyAgainst(Head{}, entries(log)); err != nil || n != 10 {
		t.Errorf("VerifyAgainst(zero head) = %d, %v", n, err)
	}
}

// reseal seals log[from:] again, each onto the one before, as someone
// rewriting the log would.
func reseal(log []Entry, from int) {
	for i := from; i < len(log); i++ {
		var prev [32]byte
		if i > 0 {
			prev = log[i-1].Hash
		}
		log[i].Seal(prev)
	}
}

func TestTamperingIsDetected(t *testing.T) {
	tests := []struct {
		name   string
		tamper func(log []Entry) []Entry // gets a fresh valid chain of 10
		head   bool                      // only a recorded head can tell
		seq    int64
		reason string
	}{
		{name: "actor edited", tamper: func(l []Entry) []Entry { l[4].Actor = "user:mallory"; return l },
			seq: 5, reason: "entry 5 was altered: its hash does not match its content"},
		{name: "action edited", tamper: func(l []Entry) []Entry { l[6].Action = "case.close"; return l },
			seq: 7, reason: "entry 7 was altered"},
		{name: "object edited", tamper: func(l []Entry) []Entry { l[0].Object = "case/13"; return l },
			seq: 1, reason: "entry 1 was altered"},
		{name: "detail edited", tamper: func(l []Entry) []Entry { l[9].Detail = `{"state":"draft","step":9}`; return l },
			seq: 10, reason: "entry 10 was altered"},
		{name: "time moved by a microsecond", tamper: func(l []Entry) []Entry { l[2].Time = l[2].Time.Add(time.Microsecond); return l },
			seq: 3, reason: "entry 3 was altered"},
		{name: "hash edited", tamper: func(l []Entry) []Entry { l[4].Hash[0] ^= 1; return l },
			seq: 5, reason: "entry 5 was altered"},
		{name: "edited and sealed again", tamper: func(l []Entry) []Entry { l[4].Actor = "user:mallory"; l[4].Seal(l[4].Prev); return l },
			seq: 6, reason: "entry 6 does not follow entry 5"},
		{name: "replaced by a forged entry", tamper: func(l []Entry) []Entry {
			l[4] = Entry{Seq: 5, Time: l[4].Time, Actor: "user:mallory", Action: "case.note", Object: "case/2"}
			l[4].Seal(l[3].Hash)
			return l
		}, seq: 6, reason: "entry 6 does not follow entry 5"},
		{name: "first entry chained to something", tamper: func(l []Entry) []Entry { l[0].Seal([32]byte{1}); return l },
			seq: 1, reason: "entry 1 does not start the chain"},

		{name: "middle entry deleted", tamper: func(l []Entry) []Entry { return slices.Delete(l, 4, 5) },
			seq: 5, reason: "entry 5 is missing: the chain jumps from 4 to 6"},
		{name: "three entries deleted", tamper: func(l []Entry) []Entry { return slices.Delete(l, 4, 7) },
			seq: 5, reason: "entries 5 to 7 are missing: the chain jumps from 4 to 8"},
		{name: "first entry deleted", tamper: func(l []Entry) []Entry { return l[1:] },
			seq: 1, reason: "entry 1 is missing: the log starts at entry 2"},
		{name: "first entries deleted", tamper: func(l []Entry) []Entry { return l[3:] },
			seq: 1, reason: "entries 1 to 3 are missing: the log starts at entry 4"},
		{name: "entry deleted, later ones renumbered", tamper: func(l []Entry) []Entry {
			l = slices.Delete(l, 4, 5)
			for i := 4; i < len(l); i++ {
				l[i].Seq--
			}
			return l
		}, seq: 5, reason: "entry 5 was altered"},
		{name: "entry deleted, later ones renumbered and sealed", tamper: func(l []Entry) []Entry {
			l = slices.Delete(l, 4, 5)
			for i := 4; i < len(l); i++ {
				l[i].Seq--
				l[i].Seal(l[i].Prev)
			}
			return l
		}, seq: 5, reason: "entry 5 does not follow entry 4"},

		{name: "two entries swapped", tamper: func(l []Entry) []Entry { l[4], l[5] = l[5], l[4]; return l },
			seq: 5, reason: "entry 5 is missing: the chain jumps from 4 to 6"},
		{name: "two entries swapped and renumbered", tamper: func(l []Entry) []Entry {
			l[4], l[5] = l[5], l[4]
			l[4].Seq, l[5].Seq = 5, 6
			return l
		}, seq: 5, reason: "entry 5 was altered"},
		{name: "two entries swapped, renumbered and sealed", tamper: func(l []Entry) []Entry {
			l[4], l[5] = l[5], l[4]
			l[4].Seq, l[5].Seq = 5, 6
			l[4].Seal(l[4].Prev)
			l[5].Seal(l[5].Prev)
			return l
		}, seq: 5, reason: "entry 5 does not follow entry 4"},
		{name: "entry repeated", tamper: func(l []Entry) []Entry { return slices.Insert(l, 5, l[4]) },
			seq: 6, reason: "entry 5 follows entry 5 where entry 6 should be"},

		{name: "seq of one entry changed", tamper: func(l []Entry) []Entry { l[4].Seq = 50; return l },
			seq: 5, reason: "entries 5 to 49 are missing: the chain jumps from 4 to 50"},
		{name: "seq of one entry lowered", tamper: func(l []Entry) []Entry { l[4].Seq = 2; return l },
			seq: 5, reason: "entry 2 follows entry 4 where entry 5 should be"},
		{name: "numbered from zero", tamper: func(l []Entry) []Entry {
			for i := range l {
				l[i].Seq--
			}
			return l
		}, seq: 1, reason: "the log starts at entry 0 instead of 1"},
		{name: "entry inserted first, the rest renumbered and sealed again", tamper: func(l []Entry) []Entry {
			l = slices.Insert(l, 0, Entry{Seq: 1, Time: t0, Actor: "user:mallory", Action: "case.open", Object: "case/1"})
			for i := 1; i < len(l); i++ {
				l[i].Seq++
			}
			reseal(l, 0)
			return l
		}, head: true, seq: 10, reason: "entry 10 differs from the head recorded for it: the log was rewritten at or before entry 10"},

		{name: "last entry deleted", tamper: func(l []Entry) []Entry { return l[:9] },
			head: true, seq: 10, reason: "entry 10 is missing: the log ends at entry 9, but entry 10 was recorded as its head"},
		{name: "last three entries deleted", tamper: func(l []Entry) []Entry { return l[:7] },
			head: true, seq: 8, reason: "entries 8 to 10 are missing: the log ends at entry 7, but entry 10 was recorded as its head"},
		{name: "all entries deleted", tamper: func(l []Entry) []Entry { return nil },
			head: true, seq: 1, reason: "the log is empty, but entry 10 was recorded as its head"},
		{name: "rewritten from entry 5 and sealed again", tamper: func(l []Entry) []Entry {
			l[4].Actor = "user:mallory"
			reseal(l, 4)
			return l
		}, head: true, seq: 10, reason: "entry 10 differs from the head recorded for it"},
		{name: "last entry replaced and sealed", tamper: func(l []Entry) []Entry {
			l[9].Detail = ""
			reseal(l, 9)
			return l
		}, head: true, seq: 10, reason: "entry 10 differs from the head recorded for it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := chain(10)
			head := log[9].Head()
			tampered := tt.tamper(slices.Clone(log))

			_, err := Verify(entries(tampered))
			if tt.head {
				if err != nil {
					t.Fatalf("Verify = %v; this tampering should need the head to be seen", err)
				}
			} else {
				checkBroken(t, "Verify", err, tt.seq, tt.reason)
			}
			_, err = VerifyAgainst(head, entries(tampered))
			checkBroken(t, "VerifyAgainst", err, tt.seq, tt.reason)
		})
	}
}

func checkBroken(t *testing.T, what string, err error, seq int64, reason string) {
	t.Helper()
	var b *BrokenError
	if !errors.As(err, &b) {
		t.Fatalf("%s = %v, want a *BrokenError", what, err)
	}
	if b.Seq != seq || !strings.HasPrefix(b.Reason, reason) {
		t.Errorf("%s = entry %d, %q; want entry %d, %q…", what, b.Seq, b.Reason, seq, reason)
	}
	if !strings.HasPrefix(err.Error(), "audit: "+b.Reason) {
		t.Errorf("Error() = %q", err.Error())
	}
}

func TestVerifyCountsTheEntriesBeforeTheBreak(t *testing.T) {
	log := chain(10)
	log[6].Actor = "user:mallory"
	if n, _ := Verify(entries(log)); n != 6 {
		t.Errorf("n = %d, want 6", n)
	}
}

func TestVerifyReportsReadErrors(t *testing.T) {
	log := chain(5)
	failure := errors.New("database is locked")
	read := entries(log)
	calls := 0
	next := func() (Entry, bool, error) {
		calls++
		if calls == 3 {
			return Entry{}, false, failure
		}
		return read()
	}
	n, err := Verify(next)
	var b *BrokenError
	if n != 2 || !errors.Is(err, failure) || errors.As(err, &b) || !strings.Contains(err.Error(), "reading entry 3") {
		t.Errorf("Verify = %d, %v; want 2 and the read error for entry 3", n, err)
	}
}

func TestVerifyAgainstRefusesInvalidHeads(t *testing.T) {
	for _, h := range []Head{{Seq: -1}, {Seq: 0, Hash: [32]byte{1}}} {
		if _, err := VerifyAgainst(h, entries(chain(3))); err == nil {
			t.Errorf("VerifyAgainst(%+v) accepted", h)
		}
	}
}
