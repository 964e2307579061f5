package taxiiclient

import (
	"bytes"
	"testing"
)

func FuzzEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"more":true,"next":"abc","objects":[{"type":"indicator","id":"indicator--1"}]}`,
		`{"more":false}`,
		`{"objects":[1,"x",null]}`,
		`{"collections":[{"id":"c","title":"T","can_read":true,"can_write":false,"media_types":["application/stix+json;version=2.1"]}]}`,
		`{"collections":[{"id":1}]}`,
		`[]`, `null`, ``, `{"objects":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := decodeEnvelope(b)
		if err == nil {
			for i, o := range env.Objects {
				if o = bytes.TrimSpace(o); len(o) == 0 || o[0] != '{' {
					t.Fatalf("object %d accepted but not a JSON object: %q", i, o)
				}
			}
		} else if len(env.Objects) != 0 || env.More || env.Next != "" {
			t.Fatalf("error %v with a non-empty envelope %+v", err, env)
		}
		cols, err := decodeCollections(b)
		if err != nil && cols != nil {
			t.Fatalf("error %v with collections %+v", err, cols)
		}
	})
}
