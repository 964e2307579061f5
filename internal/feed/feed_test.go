package feed

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/concord-cert/concord/internal/event"
)

// rejection is one Sink.Reject call.
type rejection struct {
	Line   int64
	Reason string
}

// recorder is a Sink that keeps deep copies of everything it receives.
type recorder struct {
	events  []event.Event
	rejects []rejection
}

func (r *recorder) Event(e *event.Event) error {
	c := *e
	c.Raw = bytes.Clone(e.Raw)
	c.Extra = bytes.Clone(e.Extra)
	r.events = append(r.events, c)
	return nil
}

func (r *recorder) Reject(line int64, reason string) {
	r.rejects = append(r.rejects, rejection{line, reason})
}

// records is the number of input records the decoder accounted for.
func (r *recorder) records() int { return len(r.events) + len(r.rejects) }

// decodeBytes runs the named format's decoder over data.
func decodeBytes(t testing.TB, format string, opts Options, data []byte) (*recorder, error) {
	t.Helper()
	f, err := Lookup(format)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := f.New(opts)
	if err != nil {
		t.Fatalf("%s: new decoder: %v", format, err)
	}
	rec := &recorder{}
	in, err := Open(bytes.NewReader(data))
	if err != nil {
		return rec, err
	}
	defer in.Close()
	return rec, dec.Decode(context.Background(), in, rec)
}

// decodeFile runs the decoder over a file and fails the test on a
// whole-input error.
func decodeFile(t testing.TB, format string, opts Options, path string) *recorder {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Path == "" {
		opts.Path = path
	}
	rec, err := decodeBytes(t, format, opts, data)
	if err != nil {
		t.Fatalf("%s: decode %s: %v", format, path, err)
	}
	return rec
}

// interopPath returns a file from the third-party samples folder named by
// CONCORD_INTEROP_DIR, skipping the test when the variable is unset. A set
// variable with a missing file is a failure: the suite would silently test
// less than it claims.
func interopPath(t testing.TB, rel ...string) string {
	t.Helper()
	dir := os.Getenv("CONCORD_INTEROP_DIR")
	if dir == "" {
		t.Skip("CONCORD_INTEROP_DIR is not set; skipping the interop test (CI sets it to ../shared/interop)")
	}
	p := filepath.Join(append([]string{dir}, rel...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("interop sample missing: %v", err)
	}
	return p
}

// golden renders what a decoder produced, one JSON event per line followed by
// the rejections, for comparison with a golden file.
func (r *recorder) golden() []byte {
	var b []byte
	for i := range r.events {
		e := r.events[i]
		e.Raw = nil // the raw record is the input file itself
		b = e.AppendJSON(b)
		b = append(b, '\n')
	}
	for _, rj := range r.rejects {
		b = append(b, "REJECT line "...)
		b = strconv.AppendInt(b, rj.Line, 10)
		b = append(b, ": "...)
		b = append(b, rj.Reason...)
		b = append(b, '\n')
	}
	return b
}

// tlpOf returns a pointer for Options.TLP.
func tlpOf(t event.TLP) *event.TLP { return &t }

// countSink counts without keeping anything, as a benchmark baseline.
type countSink struct{ events, rejects int }

func (c *countSink) Event(*event.Event) error { c.events++; return nil }
func (c *countSink) Reject(int64, string)     { c.rejects++ }

// benchDecoder decodes data with a fresh decoder of the named format on
// every iteration, fails on any rejection or on an event count other than
// want (when want > 0), and reports records/s.
func benchDecoder(b *testing.B, format string, opts Options, data []byte, want int) {
	b.Helper()
	f, err := Lookup(format)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	events := 0
	for b.Loop() {
		dec, err := f.New(opts)
		if err != nil {
			b.Fatal(err)
		}
		s := &countSink{}
		if err := dec.Decode(b.Context(), bytes.NewReader(data), s); err != nil {
			b.Fatal(err)
		}
		if s.rejects > 0 || (want > 0 && s.events != want) {
			b.Fatalf("%d events, %d rejects", s.events, s.rejects)
		}
		events += s.events
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "records/s")
}
