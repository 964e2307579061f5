package event

import (
	"math"
	"strconv"
	"unicode/utf8"
)

// The Put methods append one key/value pair to e.Extra, which always holds a
// complete JSON object (or nothing). Decoders use them for feed-specific
// fields that have no IntelMQ name; keys follow IntelMQ's extra.* habit of
// lower_snake_case. Two decoders that put the same keys with the same values
// in the same order produce byte-identical Extra, which is what lets the Zeek
// TSV and JSON forms of one log yield identical events.

// PutString appends a string value.
func (e *Event) PutString(key, value string) {
	e.Extra = AppendJSONString(e.openExtra(key), value)
	e.Extra = append(e.Extra, '}')
}

// PutInt appends an integer value.
func (e *Event) PutInt(key string, value int64) {
	e.Extra = strconv.AppendInt(e.openExtra(key), value, 10)
	e.Extra = append(e.Extra, '}')
}

// PutFloat appends a floating-point value in its shortest exact form; NaN and
// infinities, which JSON cannot carry, become null.
func (e *Event) PutFloat(key string, value float64) {
	b := e.openExtra(key)
	if math.IsNaN(value) || math.IsInf(value, 0) {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendFloat(b, value, 'g', -1, 64)
	}
	e.Extra = append(b, '}')
}

// PutBool appends a boolean value.
func (e *Event) PutBool(key string, value bool) {
	e.Extra = strconv.AppendBool(e.openExtra(key), value)
	e.Extra = append(e.Extra, '}')
}

// PutJSON appends a value that is already valid JSON (an object or array
// copied from the input). The caller guarantees validity.
func (e *Event) PutJSON(key string, value []byte) {
	e.Extra = append(e.openExtra(key), value...)
	e.Extra = append(e.Extra, '}')
}

// PutStrings appends an array of strings.
func (e *Event) PutStrings(key string, values []string) {
	b := append(e.openExtra(key), '[')
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, v)
	}
	e.Extra = append(b, ']', '}')
}

func (e *Event) openExtra(key string) []byte {
	b := e.Extra
	if len(b) == 0 {
		b = append(b, '{')
	} else {
		b[len(b)-1] = ','
	}
	b = AppendJSONString(b, key)
	return append(b, ':')
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string literal. Invalid UTF-8 becomes
// U+FFFD so that the output is always valid JSON.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
