package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvReader reads RFC 4180 records line by line. Unlike encoding/csv it
// keeps each record's exact input bytes (for event.Raw) and the line it
// started on (for rejections), and it is lenient the way real exports need:
// a stray quote inside an unquoted field is kept as text, and rows may have
// any number of fields (decoders check what they need).
type csvReader struct {
	lr    *lineReader
	comma byte
	// comment, when not empty, marks lines to skip between records; onComment
	// (optional) sees each of them, so Feodo's "# Last updated" header can be
	// read.
	comment   string
	onComment func(line []byte)

	line   int64    // first line of the record last returned
	raw    []byte   // the record's bytes, terminators between its lines kept
	fields []string // reused between records
}

// errCSVRecord wraps a problem with one record; the caller rejects it and
// goes on. Any other error from next ends the input.
type errCSVRecord struct{ msg string }

func (e *errCSVRecord) Error() string { return e.msg }

func newCSVReader(r io.Reader, comma byte, comment string) *csvReader {
	return &csvReader{lr: newLineReader(r), comma: comma, comment: comment}
}

// maxRecordLines bounds a record that spans lines through a quoted field, so
// one unbalanced quote cannot swallow the rest of a large file.
const maxRecordLines = 1000

// next returns the next record's fields, valid until the following call.
// Blank lines and comment lines are skipped. At the end it returns io.EOF.
func (r *csvReader) next() ([]string, error) {
	var first []byte
	for {
		l, err := r.lr.next()
		if err != nil {
			return nil, err
		}
		if r.lr.tooLong {
			r.line = r.lr.num
			return nil, &errCSVRecord{tooLongReason}
		}
		if isBlank(l) {
			continue
		}
		if r.comment != "" && bytes.HasPrefix(l, []byte(r.comment)) {
			if r.onComment != nil {
				r.onComment(l)
			}
			continue
		}
		first = l
		break
	}
	r.line = r.lr.num
	r.raw = append(r.raw[:0], first...)
	crlf := r.lr.crlf
	// A quoted field may contain line breaks: keep reading while a quote is
	// open.
	for n := 1; quoteOpen(r.raw, r.comma); n++ {
		l, err := r.lr.next()
		if err == io.EOF {
			return nil, &errCSVRecord{"unterminated quoted field at end of input"}
		}
		if err != nil {
			return nil, err
		}
		if n >= maxRecordLines || len(r.raw)+len(l) > MaxLineSize {
			return nil, &errCSVRecord{fmt.Sprintf("quoted field still open after %d lines; unbalanced quote?", n)}
		}
		// Keep the line break inside the quoted field as it was written.
		if crlf {
			r.raw = append(r.raw, '\r')
		}
		r.raw = append(r.raw, '\n')
		r.raw = append(r.raw, l...)
		crlf = r.lr.crlf
	}
	return r.split(string(r.raw))
}

// quoteOpen reports whether b ends inside a quoted field. Quotes that open a
// field toggle the state; a doubled quote inside a quoted field is an escaped
// quote and toggles twice; quotes inside unquoted fields are literal.
func quoteOpen(b []byte, comma byte) bool {
	if bytes.IndexByte(b, '"') < 0 {
		return false
	}
	in, fieldStart := false, true
	for _, c := range b {
		switch {
		case c == '"' && (in || fieldStart):
			in = !in
			fieldStart = false
		case !in && c == comma:
			fieldStart = true
		default:
			if !in {
				fieldStart = false
			}
		}
	}
	return in
}

// split cuts one record into fields. Unquoted fields are substrings of s;
// only fields with doubled quotes allocate.
func (r *csvReader) split(s string) ([]string, error) {
	f := r.fields[:0]
	for {
		if len(s) > 0 && s[0] == '"' {
			// Quoted field: find the closing quote that is not doubled.
			var b strings.Builder
			i := 1
			closed := false
			start := 1
			for i < len(s) {
				if s[i] != '"' {
					i++
					continue
				}
				if i+1 < len(s) && s[i+1] == '"' {
					b.WriteString(s[start : i+1])
					i += 2
					start = i
					continue
				}
				closed = true
				break
			}
			if !closed {
				return nil, &errCSVRecord{"unterminated quoted field"}
			}
			var val string
			if b.Len() == 0 {
				val = s[start:i]
			} else {
				b.WriteString(s[start:i])
				val = b.String()
			}
			rest := s[i+1:]
			// Text between the closing quote and the separator is kept,
			// as encoding/csv's LazyQuotes would.
			j := strings.IndexByte(rest, r.comma)
			if j < 0 {
				f = append(f, val+rest)
				break
			}
			f = append(f, val+rest[:j])
			s = rest[j+1:]
			continue
		}
		j := strings.IndexByte(s, r.comma)
		if j < 0 {
			f = append(f, s)
			break
		}
		f = append(f, s[:j])
		s = s[j+1:]
	}
	r.fields = f
	return f, nil
}

// eachRecord calls fn with the fields of every record until the input
// ends, checking ctx as it goes. A record that cannot be split into fields
// is rejected without calling fn; fn returns a rejection reason for a record
// it cannot use ("" when it used or skipped it) or an error that stops
// decoding. The record's raw bytes and line are r.raw and r.line.
func (r *csvReader) eachRecord(ctx context.Context, sink Sink, name string, fn func(fields []string) (reason string, err error)) error {
	for n := int64(1); ; n++ {
		if err := checkCtx(ctx, n); err != nil {
			return err
		}
		fields, err := r.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if isRecordError(err) {
				sink.Reject(r.line, err.Error())
				continue
			}
			return fmt.Errorf("feed: %s: %w", name, err)
		}
		reason, err := fn(fields)
		if err != nil {
			return err
		}
		if reason != "" {
			sink.Reject(r.line, reason)
		}
	}
}

// isRecordError reports whether err concerns one record only.
func isRecordError(err error) bool {
	var re *errCSVRecord
	return errors.As(err, &re)
}
