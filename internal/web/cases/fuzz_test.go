package cases

import (
	"strings"
	"testing"
)

// FuzzParseRatings feeds arbitrary text to the ratings cell of the
// assessment form: it must never panic, and what it accepts is a map of
// trimmed, non-empty hypothesis ids to trimmed, non-empty ratings with no
// separator left inside.
func FuzzParseRatings(f *testing.F) {
	for _, s := range []string{"", "actor-in-DE=C, relay-in-DE=I", "a=CC;b=II\nc=NA", "=C", "a=", "a==b", " , ;", "x=C,x=I"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseRatings(s)
		if err != nil {
			return
		}
		for h, r := range m {
			if h == "" || r == "" || h != strings.TrimSpace(h) || r != strings.TrimSpace(r) || strings.ContainsAny(h+r, ",;\n") {
				t.Errorf("%q gave %q=%q", s, h, r)
			}
		}
	})
}
