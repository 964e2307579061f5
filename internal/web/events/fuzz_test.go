package events

import (
	"net/url"
	"testing"
)

// FuzzSearchQuery feeds arbitrary query strings to the search form: it
// must never panic, and a query it accepts must be one the store can run
// within its bounds.
func FuzzSearchQuery(f *testing.F) {
	for _, s := range []string{
		"", "from=2026-10-01&to=2026-10-31&class=intrusion-attempts", "ip=192.0.2.0/24&flag=tor-exit,hosting",
		"country=pl&asn=AS5617&malware=emotet&limit=5000", "before=00006b087f3d5f33865eb0968a52ea3a&role=c2-server",
		"ip=2001:db8::/32", "from=2026-10-31&to=2026-10-01", "limit=-3&ip=::ffff:1.2.3.4", "to=2026-10-01T10:00:00Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := readSearchForm(v).query()
		if err != nil {
			return
		}
		if q.Limit <= 0 || q.Limit > 500 {
			t.Errorf("limit %d accepted", q.Limit)
		}
		if q.Prefix.IsValid() && q.Prefix != q.Prefix.Masked() {
			t.Errorf("prefix %v is not masked", q.Prefix)
		}
		if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
			t.Errorf("range %v – %v accepted", q.From, q.To)
		}
		if len(q.Feed) > 100 || len(q.Malware) > 100 {
			t.Errorf("long names accepted")
		}
	})
}
