package feed

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// This file is a small JSON scanner for line-oriented feeds. Sensors write
// one object per line with dozens of members of which a decoder needs a few;
// building a map or unmarshalling into structs with encoding/json costs
// several times more than the rest of the pipeline together. The scanner
// walks an object's members in place, hands out each value's raw bytes, and
// skips the rest with a byte loop that only tracks strings and nesting.
// Values a decoder does not read are checked for balanced structure but not
// validated in depth; the record's raw bytes are kept unchanged anyway.

var errJSONEnd = errors.New("unexpected end of JSON (truncated record?)")

// objIter iterates over the members of one JSON object.
type objIter struct {
	data []byte
	pos  int
	err  error
	key  []byte // the current member's key, still escaped
	val  []byte // the current member's raw value
	// keyEsc reports whether key contains escapes; callers comparing keys
	// against plain names can then ignore the (rare) escaped ones.
	keyEsc bool
}

// reset positions the iterator at the object that data must hold (leading
// and trailing white space allowed). It reports false, with err set, when
// data does not start with an object.
func (it *objIter) reset(data []byte) bool {
	*it = objIter{data: data}
	p := skipWS(data, 0)
	if p >= len(data) {
		it.err = errJSONEnd
		return false
	}
	if data[p] != '{' {
		it.err = fmt.Errorf("expected a JSON object, found %s", describeByte(data[p]))
		return false
	}
	it.pos = p + 1
	return true
}

// next advances to the next member. It returns false at the end of the
// object or on a syntax error (then err is set). At the end it checks that
// nothing but white space follows the object.
func (it *objIter) next() bool {
	if it.err != nil || it.data == nil {
		return false
	}
	d := it.data
	p := skipWS(d, it.pos)
	if p >= len(d) {
		it.err = errJSONEnd
		return false
	}
	if d[p] == '}' {
		it.finish(p + 1)
		return false
	}
	if d[p] == ',' {
		if it.key == nil {
			it.err = fmt.Errorf("unexpected ',' at offset %d", p)
			return false
		}
		p = skipWS(d, p+1)
	} else if it.key != nil {
		it.err = fmt.Errorf("expected ',' or '}' at offset %d, found %s", p, describeByte(d[p]))
		return false
	}
	if p >= len(d) {
		it.err = errJSONEnd
		return false
	}
	if d[p] != '"' {
		it.err = fmt.Errorf("expected a member name at offset %d, found %s", p, describeByte(d[p]))
		return false
	}
	end, esc, err := scanString(d, p)
	if err != nil {
		it.err = err
		return false
	}
	it.key, it.keyEsc = d[p+1:end-1], esc
	p = skipWS(d, end)
	if p >= len(d) {
		it.err = errJSONEnd
		return false
	}
	if d[p] != ':' {
		it.err = fmt.Errorf("expected ':' after member name %q at offset %d", it.key, p)
		return false
	}
	p = skipWS(d, p+1)
	end, err = skipValue(d, p)
	if err != nil {
		it.err = err
		return false
	}
	it.val = d[p:end]
	it.pos = end
	return true
}

// finish checks that only white space follows the object's closing brace.
// Nested iterators are reset on a value's exact bytes, so this holds for
// them too.
func (it *objIter) finish(p int) {
	it.pos = p
	if q := skipWS(it.data, p); q < len(it.data) {
		it.err = fmt.Errorf("unexpected %s after the end of the JSON object at offset %d", describeByte(it.data[q]), q)
	}
	it.data = nil
}

// arrIter iterates over the elements of one JSON array.
type arrIter struct {
	data  []byte
	pos   int
	err   error
	val   []byte
	count int
}

func (it *arrIter) reset(data []byte) bool {
	*it = arrIter{data: data}
	p := skipWS(data, 0)
	if p >= len(data) || data[p] != '[' {
		it.err = fmt.Errorf("expected a JSON array")
		return false
	}
	it.pos = p + 1
	return true
}

func (it *arrIter) next() bool {
	if it.err != nil || it.data == nil {
		return false
	}
	d := it.data
	p := skipWS(d, it.pos)
	if p >= len(d) {
		it.err = errJSONEnd
		return false
	}
	if d[p] == ']' {
		it.data = nil
		return false
	}
	if it.count > 0 {
		if d[p] != ',' {
			it.err = fmt.Errorf("expected ',' or ']' at offset %d, found %s", p, describeByte(d[p]))
			return false
		}
		p = skipWS(d, p+1)
	}
	end, err := skipValue(d, p)
	if err != nil {
		it.err = err
		return false
	}
	it.val = d[p:end]
	it.pos = end
	it.count++
	return true
}

func skipWS(d []byte, p int) int {
	for p < len(d) {
		switch d[p] {
		case ' ', '\t', '\r', '\n':
			p++
		default:
			return p
		}
	}
	return p
}

// scanString returns the offset just past the string starting at d[p]=='"'
// and whether it contains escapes. Most JSON strings are short keys and
// values, for which a plain loop beats a vectorized search's setup cost;
// long ones switch to bytes.IndexByte.
func scanString(d []byte, p int) (end int, esc bool, err error) {
	q := p + 1
	for n := 0; q < len(d); q++ {
		c := d[q]
		if c == '"' {
			return q + 1, esc, nil
		}
		if c == '\\' {
			esc = true
			q++ // the escaped byte cannot end the string
			continue
		}
		if n++; n == 32 {
			// Long string: jump from quote to quote, checking escapes.
			for {
				i := bytes.IndexByte(d[q+1:], '"')
				if i < 0 {
					return 0, false, errJSONEnd
				}
				if !esc && bytes.IndexByte(d[q+1:q+1+i], '\\') >= 0 {
					esc = true
				}
				q += 1 + i
				k := 0
				for j := q - 1; j > p && d[j] == '\\'; j-- {
					k++
				}
				if k%2 == 0 {
					return q + 1, esc, nil
				}
			}
		}
	}
	return 0, false, errJSONEnd
}

// structural marks the bytes that matter when skipping a nested value.
var structural = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// skipValue returns the offset just past the value starting at d[p].
func skipValue(d []byte, p int) (int, error) {
	if p >= len(d) {
		return 0, errJSONEnd
	}
	switch c := d[p]; c {
	case '"':
		end, _, err := scanString(d, p)
		return end, err
	case '{', '[':
		depth := 0
		for q := p; q < len(d); q++ {
			if !structural[d[q]] {
				continue
			}
			switch d[q] {
			case '"':
				end, _, err := scanString(d, q)
				if err != nil {
					return 0, err
				}
				q = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return q + 1, nil
				}
			}
		}
		return 0, errJSONEnd
	case 't':
		return literal(d, p, "true")
	case 'f':
		return literal(d, p, "false")
	case 'n':
		return literal(d, p, "null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			q := p + 1
			for q < len(d) {
				switch d[q] {
				case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '.', 'e', 'E', '+', '-':
					q++
					continue
				}
				break
			}
			return q, nil
		}
		return 0, fmt.Errorf("unexpected %s at offset %d", describeByte(c), p)
	}
}

func literal(d []byte, p int, lit string) (int, error) {
	if len(d)-p < len(lit) {
		return 0, errJSONEnd
	}
	if string(d[p:p+len(lit)]) != lit {
		return 0, fmt.Errorf("invalid literal at offset %d", p)
	}
	return p + len(lit), nil
}

func describeByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// jsonIsNull reports whether a raw value is the literal null.
func jsonIsNull(v []byte) bool { return len(v) == 4 && string(v) == "null" }

// jsonStr decodes a raw JSON string value. ok is false when v is not a
// string (null included, so callers can treat null as absent).
func jsonStr(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	body := v[1 : len(v)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return string(body), true
	}
	s, ok := unescape(body)
	return s, ok
}

// jsonStrBytes is jsonStr for values compared or parsed immediately: when
// the string holds no escapes the result aliases v and must not be kept.
func jsonStrBytes(v []byte) ([]byte, bool) {
	if len(v) < 2 || v[0] != '"' {
		return nil, false
	}
	body := v[1 : len(v)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		return body, true
	}
	s, ok := unescape(body)
	return []byte(s), ok
}

func unescape(b []byte) (string, bool) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(b) {
			return "", false
		}
		switch b[i] {
		case '"', '\\', '/':
			out = append(out, b[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(b, i+1)
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
					if r2, ok := hex4(b, i+3); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							i += 6
							r = dec
						}
					}
				}
				if utf16.IsSurrogate(r) {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	return string(out), true
}

func hex4(b []byte, p int) (rune, bool) {
	if p+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[p : p+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// jsonInt parses a raw JSON number that must be an integer. A number written
// as a string ("443"), which some exports do, is accepted too.
func jsonInt(v []byte) (int64, bool) {
	if len(v) >= 2 && v[0] == '"' {
		v = v[1 : len(v)-1]
	}
	return parseInt(v)
}

// parseInt parses a decimal integer without allocating.
func parseInt(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 19 {
		if len(v) > 19 {
			n, err := strconv.ParseInt(bstr(v), 10, 64)
			return n, err == nil
		}
		return 0, false
	}
	neg := false
	if v[0] == '-' {
		neg, v = true, v[1:]
		if len(v) == 0 {
			return 0, false
		}
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// jsonFloat parses a raw JSON number (or a number in a string).
func jsonFloat(v []byte) (float64, bool) {
	if len(v) >= 2 && v[0] == '"' {
		v = v[1 : len(v)-1]
	}
	if len(v) == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(bstr(v), 64)
	return f, err == nil
}

// bstr views b as a string without copying, for immediate parsing only: the
// result must not outlive b's contents.
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
