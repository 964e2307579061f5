package audit

import (
	"crypto/sha256"
	"fmt"
)

// BrokenError reports the first place where a log fails verification.
type BrokenError struct {
	// Seq is the entry at which the chain breaks: the first entry that was
	// altered, is missing or is out of place. Entries before it chain
	// correctly. When the log differs from a recorded Head, Seq is the
	// head's entry and the change lies at or before it.
	Seq int64
	// Reason says what is wrong, in a sentence naming the entries, such as
	// "entry 17 was altered: its hash does not match its content".
	Reason string
}

// Error returns the Reason, prefixed with the package's name.
func (e *BrokenError) Error() string {
	return "audit: " + e.Reason
}

func broken(seq int64, format string, args ...any) *BrokenError {
	return &BrokenError{Seq: seq, Reason: fmt.Sprintf(format, args...)}
}

// Verify reads a log from its first entry with next, until next returns
// false, and checks that the entries are numbered 1, 2, 3, … without gaps,
// that each Hash matches its entry and that each Prev is the Hash of the
// entry before (zeros for entry 1). It holds one entry at a time, so a log
// of any length can be checked as it streams from the database.
//
// n is the number of entries that passed the checks. err is a *BrokenError
// naming the first bad entry, or the error next returned, wrapped. Verify
// cannot tell that entries were removed from the end, nor that the chain
// was rewritten and sealed again; VerifyAgainst can.
func Verify(next func() (Entry, bool, error)) (n int64, err error) {
	var c checker
	for {
		e, ok, err := next()
		if err != nil {
			return c.n, fmt.Errorf("audit: reading entry %d: %w", c.n+1, err)
		}
		if !ok {
			return c.n, nil
		}
		if err := c.check(&e); err != nil {
			return c.n, err
		}
	}
}

// VerifyAgainst is Verify, and also checks the log against a head recorded
// elsewhere when the log was at that point: the log must reach head.Seq
// and its entry there must have head.Hash. Entries after the head, added
// since it was recorded, are checked as in Verify. A failure is a
// *BrokenError; n counts the entries that chain correctly, which, when the
// log ends early or differs from the head, is no proof that they were not
// rewritten.
func VerifyAgainst(head Head, next func() (Entry, bool, error)) (n int64, err error) {
	if head.Seq < 0 || head.Seq == 0 && head.Hash != ([32]byte{}) {
		return 0, fmt.Errorf("audit: invalid head: entry %d with hash %x", head.Seq, head.Hash)
	}
	var atHead [32]byte
	n, err = Verify(func() (Entry, bool, error) {
		e, ok, err := next()
		if ok && e.Seq == head.Seq {
			atHead = e.Hash // checked below only if the chain verified
		}
		return e, ok, err
	})
	if err != nil {
		return n, err
	}
	switch {
	case n == 0 && head.Seq > 0:
		return n, broken(1, "the log is empty, but entry %d was recorded as its head", head.Seq)
	case n < head.Seq && n+1 == head.Seq:
		return n, broken(n+1, "entry %d is missing: the log ends at entry %d, but entry %d was recorded as its head", n+1, n, head.Seq)
	case n < head.Seq:
		return n, broken(n+1, "entries %d to %d are missing: the log ends at entry %d, but entry %d was recorded as its head", n+1, head.Seq, n, head.Seq)
	case atHead != head.Hash:
		return n, broken(head.Seq, "entry %d differs from the head recorded for it: the log was rewritten at or before entry %d", head.Seq, head.Seq)
	}
	return n, nil
}

// checker verifies a chain one entry at a time.
type checker struct {
	n    int64    // entries verified, and so the last Seq
	prev [32]byte // Hash of entry n
	buf  []byte   // reused for encodings
}

func (c *checker) check(e *Entry) error {
	want := c.n + 1
	switch {
	case e.Seq == want:
	case c.n == 0 && e.Seq == 2:
		return broken(1, "entry 1 is missing: the log starts at entry 2")
	case c.n == 0 && e.Seq > 2:
		return broken(1, "entries 1 to %d are missing: the log starts at entry %d", e.Seq-1, e.Seq)
	case c.n == 0:
		return broken(1, "the log starts at entry %d instead of 1", e.Seq)
	case e.Seq == want+1:
		return broken(want, "entry %d is missing: the chain jumps from %d to %d", want, c.n, e.Seq)
	case e.Seq > want:
		return broken(want, "entries %d to %d are missing: the chain jumps from %d to %d", want, e.Seq-1, c.n, e.Seq)
	default:
		return broken(want, "entry %d follows entry %d where entry %d should be: entries are repeated or out of order", e.Seq, c.n, want)
	}

	c.buf = e.appendEncoding(c.buf[:0])
	if sha256.Sum256(c.buf) != e.Hash {
		return broken(e.Seq, "entry %d was altered: its hash does not match its content", e.Seq)
	}
	if e.Prev != c.prev {
		if c.n == 0 {
			return broken(1, "entry 1 does not start the chain: its previous hash is not zero")
		}
		return broken(e.Seq, "entry %d does not follow entry %d: it is chained to another entry (entries were reordered, or one was removed or replaced)", e.Seq, c.n)
	}
	c.n, c.prev = e.Seq, e.Hash
	return nil
}
