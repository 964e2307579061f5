package federation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fields is the shape of a JSON object this package defines: the exact keys
// it may carry, each mapped to the shape of its value when that value is an
// object of ours (or an array of them), or to nil when the value is a scalar
// or opaque.
type fields map[string]fields

var (
	partyFields   = fields{"agency": nil, "country": nil, "fingerprint": nil}
	packageFields = fields{
		"format": nil, "version": nil, "id": nil, "created": nil,
		"from": partyFields, "to": partyFields, "kind": nil, "tlp": nil,
		"payload": nil, "attachments": {"name": nil, "sha256": nil, "size": nil, "data": nil},
	}
)

// maxDepth bounds the nesting of arrays and objects, so that a file of a
// million "[" is refused rather than walked.
const maxDepth = 64

// checkJSON reports whether data is exactly one JSON value, in valid UTF-8,
// whose objects have no two keys that a case-insensitive decoder could
// confuse and whose objects described by shape carry only the keys listed
// there, spelled exactly. encoding/json alone would let the last of two
// duplicate keys win, match "From" or "ſigned" to its fields, and replace
// invalid UTF-8 silently: each a way for two readers of the same signed bytes
// to see different packages.
func checkJSON(data []byte, shape fields) error {
	if !utf8.Valid(data) {
		return errors.New("not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := walk(dec, shape, 0); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}

// walk consumes one value from dec, checking it against shape.
func walk(dec *json.Decoder, shape fields, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return jsonError(err)
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if depth >= maxDepth {
		return fmt.Errorf("nested deeper than %d levels", maxDepth)
	}
	switch delim {
	case '[':
		for dec.More() {
			if err := walk(dec, shape, depth+1); err != nil {
				return err
			}
		}
	case '{':
		seen := make(map[string]string)
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return jsonError(err)
			}
			key := tok.(string) // the decoder only yields string keys
			folded := strings.ToLower(strings.ToUpper(key))
			if prev, dup := seen[folded]; dup {
				if prev == key {
					return fmt.Errorf("field %q appears twice", abbreviate(key))
				}
				return fmt.Errorf("fields %q and %q differ only in case", abbreviate(prev), abbreviate(key))
			}
			seen[folded] = key
			var sub fields
			if shape != nil {
				var known bool
				if sub, known = shape[key]; !known {
					return fmt.Errorf("unknown field %q", abbreviate(key))
				}
			}
			if err := walk(dec, sub, depth+1); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return jsonError(err)
	}
	return nil
}

func jsonError(err error) error {
	if err == io.EOF {
		return errors.New("unexpected end of JSON; the file may have been cut short in transit")
	}
	return err
}

// readEnvelope decodes a sealed file as strictly as checkJSON would, in one
// pass over its tokens: the envelope is flat and its "signed" field is most
// of the file, so checking it and then unmarshalling it would double the
// cost of Open for a package with large attachments.
func readEnvelope(file []byte) (*envelope, error) {
	if !utf8.Valid(file) {
		return nil, errors.New("not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(file))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(err)
	}
	if tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	env := new(envelope)
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonError(err)
		}
		key := tok.(string) // the decoder only yields string keys
		if seen[key] {
			return nil, fmt.Errorf("field %q appears twice", abbreviate(key))
		}
		seen[key] = true
		val, err := dec.Token()
		if err != nil {
			return nil, jsonError(err)
		}
		var str *string
		switch key {
		case "concord_package":
			n, ok := val.(json.Number)
			v, err := strconv.Atoi(string(n))
			if !ok || err != nil {
				return nil, errors.New(`"concord_package" is not a whole number`)
			}
			env.ConcordPackage = v
			continue
		case "signer":
			str = &env.Signer
		case "signature":
			str = &env.Signature
		case "signed":
			str = &env.Signed
		default:
			return nil, fmt.Errorf("unknown field %q", abbreviate(key))
		}
		if *str, _ = val.(string); *str == "" {
			return nil, fmt.Errorf("%q is not a non-empty string", key)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return env, nil
}
