package stix

import (
	"strconv"
	"unicode/utf8"
)

// The objects a bulk export writes once per address (indicators and their
// relationships) encode themselves by appending to a buffer: reflection in
// encoding/json cost more than everything else in a million-indicator
// export. The output is byte for byte what encoding/json writes with HTML
// escaping off (encode_test.go checks it), so both paths give one bundle.

// appender is an object that appends its own JSON form.
type appender interface {
	appendJSON(b []byte) []byte
}

const hexDigits = "0123456789abcdef"

// plain marks the ASCII bytes a JSON string holds as they are.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString appends s as a JSON string, escaped as encoding/json does
// without HTML escaping.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendField appends ,"key":"v" (or "key":"v" first), leaving it out when
// v is empty and omitEmpty is set.
func appendField(b []byte, key, v string, omitEmpty bool) []byte {
	if omitEmpty && v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendString(b, v)
}

// appendList appends ,"key":[...], leaving it out when empty and
// omitEmpty is set; a nil list without omitempty is null, as in
// encoding/json.
func appendList(b []byte, key string, vs []string, omitEmpty bool) []byte {
	if omitEmpty && len(vs) == 0 {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	if vs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

// appendCommon opens the object and appends the shared properties.
func (c *Common) appendCommon(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, c.Type)
	b = appendField(b, "spec_version", c.SpecVersion, false)
	b = appendField(b, "id", c.ID, false)
	b = appendField(b, "created_by_ref", c.CreatedByRef, true)
	b = appendField(b, "created", c.Created, false)
	b = appendField(b, "modified", c.Modified, false)
	b = appendList(b, "labels", c.Labels, true)
	if c.Confidence != nil {
		b = append(b, `,"confidence":`...)
		b = strconv.AppendInt(b, int64(*c.Confidence), 10)
	}
	return appendList(b, "object_marking_refs", c.ObjectMarkingRefs, false)
}

func (o *Indicator) appendJSON(b []byte) []byte {
	b = o.Common.appendCommon(b)
	b = appendField(b, "name", o.Name, true)
	b = appendField(b, "description", o.Description, true)
	b = appendList(b, "indicator_types", o.IndicatorTypes, true)
	b = appendField(b, "pattern", o.Pattern, false)
	b = appendField(b, "pattern_type", o.PatternType, false)
	b = appendField(b, "valid_from", o.ValidFrom, false)
	b = appendField(b, "x_concord_class", o.Class, true)
	b = appendField(b, "x_concord_role", o.Role, true)
	b = appendList(b, "x_concord_flags", o.Flags, true)
	return append(b, '}')
}

func (o *Relationship) appendJSON(b []byte) []byte {
	b = o.Common.appendCommon(b)
	b = appendField(b, "relationship_type", o.RelationshipType, false)
	b = appendField(b, "description", o.Description, true)
	b = appendField(b, "source_ref", o.SourceRef, false)
	b = appendField(b, "target_ref", o.TargetRef, false)
	return append(b, '}')
}
