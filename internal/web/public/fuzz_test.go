package public

import (
	"encoding/json"
	"net/url"
	"testing"
)

// FuzzVictimForm feeds arbitrary form bodies to the public form: turning
// them into the intake model and validating it must never panic, and a
// report the validation accepts must marshal to JSON that reads back (it
// is stored as JSON).
func FuzzVictimForm(f *testing.F) {
	for _, s := range []string{
		"", "description=phishing&email=a%40example.org&consent=yes",
		"description=x&amount=1.234,56&currency=eur&method=card&paid_to=PL61109010140000071219812874&consent=no",
		"description=x&start=2026-13-40&phone=%2B48&urls=a.example%0Ab.example&consent=maybe",
		"description=%00%ff&name=%e2%80%ae&headers=Received:%20x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		r := newForm(v).report()
		if problems := r.Validate(); len(problems) > 0 {
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("a valid report does not marshal: %v", err)
		}
		var back map[string]any
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("a valid report's JSON does not read back: %v", err)
		}
	})
}
