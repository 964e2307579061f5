package stix

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/concord-cert/concord/internal/event"
)

// Emit receives one object of type typ as JSON (one line, no trailing
// newline). obj is reused after Emit returns; a non-nil error stops the
// export and is returned by it.
type Emit func(typ string, obj []byte) error

// Writer writes objects one by one, each encoded as it is written, so an
// export of any size needs memory for one object only: into a bundle on a
// stream (NewWriter), or to a function (NewObjectWriter), which is how a
// TAXII server pages objects into envelopes. Marking definitions are
// written the first time an object uses them.
type Writer struct {
	bw     *bufio.Writer // bundle output; nil when emit is set
	emit   Emit
	enc    *json.Encoder
	encBuf bytes.Buffer // the encoder's output for emit
	n      int64
	marked [event.TLPRed + 1]bool
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

// NewObjectWriter returns a Writer that hands each object to emit instead
// of writing a bundle.
func NewObjectWriter(emit Emit) *Writer {
	w := &Writer{emit: emit, counts: map[string]int64{}}
	w.enc = json.NewEncoder(&w.encBuf)
	w.enc.SetEscapeHTML(false)
	return w
}

// Mark returns the id of t's marking definition, writing the definition
// first the first time.
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

// Write writes one object of type typ.
func (w *Writer) Write(typ string, obj any) error {
	if w.emit != nil {
		if err := w.emitObject(typ, obj); err != nil {
			return err
		}
		w.n++
		w.counts[typ]++
		return nil
	}
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

// WriteRaw writes one object of type typ given as compact JSON, as it is.
func (w *Writer) WriteRaw(typ string, raw []byte) error {
	if w.emit != nil {
		if err := w.emit(typ, raw); err != nil {
			return err
		}
	} else {
		if w.n > 0 {
			if err := w.bw.WriteByte(','); err != nil {
				return fmt.Errorf("stix: write bundle: %w", err)
			}
		}
		w.bw.Write(raw)
		if err := w.bw.WriteByte('\n'); err != nil {
			return fmt.Errorf("stix: write %s: %w", typ, err)
		}
	}
	w.n++
	w.counts[typ]++
	return nil
}

func (w *Writer) emitObject(typ string, obj any) error {
	var data []byte
	if a, ok := obj.(appender); ok {
		w.buf = a.appendJSON(w.buf[:0])
		data = w.buf
	} else {
		w.encBuf.Reset()
		if err := w.enc.Encode(obj); err != nil {
			return fmt.Errorf("stix: write %s: %w", typ, err)
		}
		data = bytes.TrimSuffix(w.encBuf.Bytes(), []byte{'\n'})
	}
	return w.emit(typ, data)
}

// Objects returns how many objects were written.
func (w *Writer) Objects() int64 { return w.n }

// Counts returns how many objects of each type were written.
func (w *Writer) Counts() map[string]int64 { return w.counts }

// Close ends the bundle and flushes it; it does not close the underlying
// writer. For an object writer it does nothing.
func (w *Writer) Close() error {
	if w.bw == nil {
		return nil
	}
	if _, err := w.bw.WriteString("]}\n"); err != nil {
		return fmt.Errorf("stix: write bundle: %w", err)
	}
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("stix: write bundle: %w", err)
	}
	return nil
}
