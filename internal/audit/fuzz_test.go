package audit

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// FuzzVerify applies the mutations the input describes to a valid chain
// and checks, against the chain's head, that every log which differs from
// the original is refused, and that the original itself (possibly grown
// by appended entries) never panics Verify. Each mutation takes three
// bytes: an operation, an entry index and an argument.
func FuzzVerify(f *testing.F) {
	f.Add(byte(10), []byte{})
	f.Add(byte(10), []byte{opFlip, 3, 9})
	f.Add(byte(10), []byte{opDelete, 4, 0})
	f.Add(byte(10), []byte{opDelete, 9, 0})
	f.Add(byte(10), []byte{opSwap, 4, 5})
	f.Add(byte(10), []byte{opShift, 2, 1, opSeal, 2, 0})
	f.Add(byte(10), []byte{opSeq, 6, 0xff, opSealFrom, 6, 0})
	f.Add(byte(10), []byte{opForge, 9, 0, opTruncate, 9, 0})
	f.Add(byte(1), []byte{opTime, 0, 1})
	f.Add(byte(3), []byte{opRepeat, 2, 0, opForge, 3, 0})
	f.Fuzz(func(t *testing.T, size byte, ops []byte) {
		orig := chain(1 + int(size)%16)
		head := orig[len(orig)-1].Head()
		log := slices.Clone(orig)
		for len(ops) >= 3 {
			log = mutate(log, ops[0], int(ops[1]), ops[2])
			ops = ops[3:]
		}

		n, err := VerifyAgainst(head, entries(log))
		plainN, plainErr := Verify(entries(log))
		var b *BrokenError
		if err != nil && (!errors.As(err, &b) || b.Seq < 1 || b.Seq > int64(len(log))+int64(len(orig))) {
			t.Fatalf("VerifyAgainst = %v, want a *BrokenError naming an entry", err)
		}
		if n < 0 || n > int64(len(log)) || plainN < 0 || plainN > int64(len(log)) {
			t.Fatalf("counts %d and %d for a log of %d", n, plainN, len(log))
		}
		if err == nil && plainErr != nil {
			t.Fatalf("Verify refused what VerifyAgainst accepted: %v", plainErr)
		}

		switch {
		case len(log) < len(orig) || !sameEntries(log[:len(orig)], orig):
			if err == nil {
				t.Fatalf("accepted a mutated chain of %d entries", len(log))
			}
		case len(log) == len(orig):
			if err != nil {
				t.Fatalf("refused the original chain: %v", err)
			}
		}
		// A longer log starting with the original may rightly verify:
		// entries appended after the head was recorded.
	})
}

const (
	opFlip     = iota // flip a bit in a field
	opShift           // move a byte from one string field to the next
	opSeq             // add a signed amount to Seq
	opTime            // move Time by a signed number of nanoseconds
	opDelete          // delete the entry
	opSwap            // swap the entry with another
	opRepeat          // insert a copy of the entry after it
	opTruncate        // cut the log at the entry
	opSeal            // seal the entry again onto its own Prev
	opSealFrom        // seal the log again from the entry on, chained
	opForge           // insert a new entry sealed onto the one before
	opZone            // show the entry's Time in another zone (no change)
	numOps
)

// mutate applies one operation to log[i % len(log)].
func mutate(log []Entry, op byte, i int, arg byte) []Entry {
	if len(log) == 0 {
		return log
	}
	i %= len(log)
	e := &log[i]
	switch op % numOps {
	case opFlip:
		bit := byte(1) << (arg % 8)
		switch (arg / 8) % 8 {
		case 0:
			e.Actor = flipString(e.Actor, int(arg), bit)
		case 1:
			e.Action = flipString(e.Action, int(arg), bit)
		case 2:
			e.Object = flipString(e.Object, int(arg), bit)
		case 3:
			e.Detail = flipString(e.Detail, int(arg), bit)
		case 4:
			e.Prev[arg%32] ^= bit
		case 5:
			e.Hash[arg%32] ^= bit
		case 6:
			e.Seq ^= int64(bit)
		case 7:
			e.Time = e.Time.Add(time.Duration(bit) * time.Microsecond)
		}
	case opShift:
		fields := []*string{&e.Actor, &e.Action, &e.Object, &e.Detail}
		from, to := fields[arg%3], fields[arg%3+1]
		if len(*from) > 0 {
			last := len(*from) - 1
			*to = (*from)[last:] + *to
			*from = (*from)[:last]
		}
	case opSeq:
		e.Seq += int64(int8(arg))
	case opTime:
		e.Time = e.Time.Add(time.Duration(int8(arg)) * 100 * time.Nanosecond)
	case opDelete:
		return slices.Delete(log, i, i+1)
	case opSwap:
		j := int(arg) % len(log)
		log[i], log[j] = log[j], log[i]
	case opRepeat:
		return slices.Insert(log, i+1, *e)
	case opTruncate:
		return log[:i]
	case opSeal:
		e.Seal(e.Prev)
	case opSealFrom:
		reseal(log, i)
	case opForge:
		forged := Entry{Seq: e.Seq + 1, Time: e.Time, Actor: "user:mallory", Action: "case.close", Object: e.Object, Detail: string([]byte{arg})}
		forged.Seal(e.Hash)
		return slices.Insert(log, i+1, forged)
	case opZone:
		e.Time = e.Time.In(time.FixedZone("", int(int8(arg))*900))
	}
	return log
}

func flipString(s string, i int, bit byte) string {
	if s == "" {
		return string([]byte{bit})
	}
	b := []byte(s)
	b[i%len(b)] ^= bit
	return string(b)
}

// sameEntries reports whether two logs hold the same entries, as far as
// the hash can tell: Time counts to the microsecond, not its zone.
func sameEntries(a, b []Entry) bool {
	return slices.EqualFunc(a, b, func(x, y Entry) bool {
		return x.Seq == y.Seq && x.Time.UnixMicro() == y.Time.UnixMicro() &&
			x.Actor == y.Actor && x.Action == y.Action && x.Object == y.Object && x.Detail == y.Detail &&
			x.Prev == y.Prev && x.Hash == y.Hash
	})
}
