package stix

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/concord-cert/concord/internal/event"
)

// Writer writes one bundle as a stream: each object is encoded as it is
// written, so a bundle of any size needs memory for one object only.
// Marking definitions are written the first time an object uses them.
type Writer struct {
	bw      *bufio.Writer
	enc     *json.Encoder
	n       int64
	started bool
	marked  [event.TLPRed + 1]bool
	// Strictest is the most restrictive marking written so far.
	Strictest event.TLP
	counts    map[string]int64
	buf       []byte
}

// NewWriter starts a bundle with id bundleID ("bundle--uuid") on w.
func NewWriter(w io.Writer, bundleID string) (*Writer, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if _, err := fmt.Fprintf(bw, "{\"type\":\"bundle\",\"id\":%q,\"objects\":[\n", bundleID); err != nil {
		return nil, fmt.Errorf("stix: write bundle: %w", err)
	}
	return &Writer{bw: bw, enc: enc, counts: map[string]int64{}}, nil
}

// Mark returns the id of t's marking definition, writing the definition
// into the bundle the first time.
func (w *Writer) Mark(t event.TLP) (string, error) {
	if t > event.TLPRed {
		t = event.TLPRed
	}
	if !w.marked[t] {
		w.marked[t] = true
		if err := w.Write("marking-definition", Marking(t)); err != nil {
			return "", err
		}
	}
	w.Strictest = w.Strictest.Stricter(t)
	return MarkingID(t), nil
}

// Write appends one object of type typ to the bundle.
func (w *Writer) Write(typ string, obj any) error {
	if w.n > 0 {
		if err := w.bw.WriteByte(','); err != nil {
			return fmt.Errorf("stix: write bundle: %w", err)
		}
	}
	if a, ok := obj.(appender); ok {
		w.buf = append(a.appendJSON(w.buf[:0]), '\n')
		if _, err := w.bw.Write(w.buf); err != nil {
			return fmt.Errorf("stix: write %s: %w", typ, err)
		}
	} else if err := w.enc.Encode(obj); err != nil {
		return fmt.Errorf("stix: write %s: %w", typ, err)
	}
	w.n++
	w.counts[typ]++
	return nil
}

// Objects returns how many objects were written.
func (w *Writer) Objects() int64 { return w.n }

// Counts returns how many objects of each type were written.
func (w *Writer) Counts() map[string]int64 { return w.counts }

// Close ends the bundle and flushes it; it does not close the underlying
// writer.
func (w *Writer) Close() error {
	if _, err := w.bw.WriteString("]}\n"); err != nil {
		return fmt.Errorf("stix: write bundle: %w", err)
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("stix: write bundle: %w", err)
	}
	return nil
}
