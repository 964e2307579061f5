package feed

import (
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestCSVReader(t *testing.T) {
	in := "# header comment\n" +
		`"first_seen_utc","dst_ip","dst_port"` + "\r\n" +
		"\n" +
		`"2021-01-17 07:30:05","10.213.75.205","443"` + "\n" +
		`a,"multi` + "\n" + `line ""quoted""",c` + "\n" +
		`plain,with "stray" quote,x` + "\n" +
		`"closed"tail,y` + "\n" +
		`last,"unterminated`
	r := newCSVReader(strings.NewReader(in), ',', "#")
	var comments []string
	r.onComment = func(l []byte) { comments = append(comments, string(l)) }
	want := []struct {
		line   int64
		fields []string
		raw    string
	}{
		{2, []string{"first_seen_utc", "dst_ip", "dst_port"}, `"first_seen_utc","dst_ip","dst_port"`},
		{4, []string{"2021-01-17 07:30:05", "10.213.75.205", "443"}, `"2021-01-17 07:30:05","10.213.75.205","443"`},
		{5, []string{"a", "multi\nline \"quoted\"", "c"}, "a,\"multi\nline \"\"quoted\"\"\",c"},
		{7, []string{"plain", `with "stray" quote`, "x"}, `plain,with "stray" quote,x`},
		{8, []string{"closedtail", "y"}, `"closed"tail,y`},
	}
	for _, w := range want {
		f, err := r.next()
		if err != nil {
			t.Fatalf("line %d: %v", w.line, err)
		}
		if r.line != w.line || !reflect.DeepEqual(f, w.fields) || string(r.raw) != w.raw {
			t.Errorf("got line %d %q raw %q; want line %d %q raw %q", r.line, f, r.raw, w.line, w.fields, w.raw)
		}
	}
	if _, err := r.next(); !isRecordError(err) || r.line != 9 {
		t.Errorf("unterminated quote: err %v line %d", err, r.line)
	}
	if _, err := r.next(); err != io.EOF {
		t.Errorf("at end: %v", err)
	}
	if len(comments) != 1 {
		t.Errorf("comments %q", comments)
	}
}

func TestCSVReaderTabs(t *testing.T) {
	r := newCSVReader(strings.NewReader("a\tb\t\n"), '\t', "")
	f, err := r.next()
	if err != nil || !reflect.DeepEqual(f, []string{"a", "b", ""}) {
		t.Fatalf("%q %v", f, err)
	}
}

func TestCSVReaderKeepsCRLFInsideQuotes(t *testing.T) {
	r := newCSVReader(strings.NewReader("a,\"two\r\nlines\"\r\nb,c\r\n"), ',', "")
	f, err := r.next()
	if err != nil || string(r.raw) != "a,\"two\r\nlines\"" || f[1] != "two\r\nlines" {
		t.Fatalf("raw %q fields %q err %v", r.raw, f, err)
	}
}
