package feed

import (
	"io"
	"strings"
	"testing"
)

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 3<<20) // longer than the 1 MiB buffer
	in := "a\r\nb\n\n" + long + "\nlast"
	lr := newLineReader(strings.NewReader(in))
	want := []string{"a", "b", "", long, "last"}
	for i, w := range want {
		got, err := lr.next()
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if string(got) != w || lr.num != int64(i+1) || lr.tooLong {
			t.Fatalf("line %d = %.20q (num %d, tooLong %v), want %.20q", i+1, got, lr.num, lr.tooLong, w)
		}
	}
	if _, err := lr.next(); err != io.EOF {
		t.Fatalf("after last line: %v, want EOF", err)
	}
}

func TestLineReaderTooLong(t *testing.T) {
	in := strings.Repeat("y", MaxLineSize+10) + "\nnext\n"
	lr := newLineReader(strings.NewReader(in))
	got, err := lr.next()
	if err != nil || !lr.tooLong || len(got) != MaxLineSize {
		t.Fatalf("got len %d tooLong %v err %v", len(got), lr.tooLong, err)
	}
	got, err = lr.next()
	if err != nil || string(got) != "next" || lr.num != 2 {
		t.Fatalf("after long line: %q %d %v", got, lr.num, err)
	}
}
