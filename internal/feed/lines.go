package feed

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxLineSize bounds one input record. Longer lines are rejected (and
// skipped to their end) instead of growing memory without limit.
const MaxLineSize = 32 << 20

// lineReader splits a stream into lines without copying in the common case.
// It accepts \n and \r\n endings and a last line without an ending.
type lineReader struct {
	br   *bufio.Reader
	num  int64  // number of the line last returned, 1-based
	long []byte // assembly buffer for lines longer than br's buffer
	// tooLong is set when the line last returned exceeded MaxLineSize; the
	// returned bytes are then its first MaxLineSize bytes.
	tooLong bool
	// crlf is set when the line last returned ended in "\r\n".
	crlf bool
}

func newLineReader(r io.Reader) *lineReader {
	if in, ok := r.(*Input); ok {
		r = in.Reader
	}
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 64<<10 {
		br = bufio.NewReaderSize(r, 1<<20)
	}
	return &lineReader{br: br}
}

// next returns the next line without its terminator. The slice is valid
// until the following call. It returns io.EOF after the last line.
func (lr *lineReader) next() ([]byte, error) {
	lr.tooLong, lr.crlf = false, false
	line, err := lr.br.ReadSlice('\n')
	if err == nil || (err == io.EOF && len(line) > 0) {
		lr.num++
		return lr.trimEOL(line), nil
	}
	if err == io.EOF {
		return nil, io.EOF
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("feed: read line %d: %w", lr.num+1, err)
	}
	// A line longer than the buffer: assemble it, up to MaxLineSize.
	lr.long = append(lr.long[:0], line...)
	for {
		line, err = lr.br.ReadSlice('\n')
		if len(lr.long)+len(line) > MaxLineSize {
			lr.tooLong = true
			room := MaxLineSize - len(lr.long)
			if room > 0 {
				lr.long = append(lr.long, line[:room]...)
			}
		} else {
			lr.long = append(lr.long, line...)
		}
		if err == nil || err == io.EOF {
			lr.num++
			return lr.trimEOL(lr.long), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("feed: read line %d: %w", lr.num+1, err)
		}
	}
}

func (lr *lineReader) trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
			lr.crlf = true
		}
	}
	return b
}

// isBlank reports whether b holds only spaces and tabs.
func isBlank(b []byte) bool {
	return len(bytes.TrimSpace(b)) == 0
}

// tooLongReason is the rejection reason for lines over MaxLineSize.
var tooLongReason = fmt.Sprintf("record longer than %d MiB; skipped", MaxLineSize>>20)
