package taxii_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// benchObjectsEnv names the variable that sets how many objects
// BenchmarkObjectsPage stores first (default 1,000,000, the figure the
// issue sets its target for).
const benchObjectsEnv = "CONCORD_BENCH_TAXII_OBJECTS"

// BenchmarkObjectsPage measures one page of 1,000 objects over HTTP, with
// a token, from a collection of a million objects on SQLite, one in a
// hundred marked TLP:GREEN and the others TLP:AMBER: for the analyst, who
// receives them all, and for the user cleared for GREEN only, whose pages
// are a hundred times sparser in the collection. Each iteration follows
// the previous page's next token, starting over at the end.
func BenchmarkObjectsPage(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv(benchObjectsEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("%s: %v", benchObjectsEnv, err)
		}
	}
	s := newServer(b)
	ctx := context.Background()
	start := time.Now()
	const batch = 10_000
	for i := 0; i < n; i += batch {
		objs := make([]store.TAXIIObject, 0, batch)
		for j := i; j < min(i+batch, n); j++ {
			tlp := event.TLPAmber
			if j%100 == 0 {
				tlp = event.TLPGreen
			}
			id := stixID("indicator", 8, j)
			raw, _ := json.Marshal(indicator(id, t0, int(tlp)))
			objs = append(objs, store.TAXIIObject{Collection: "agency", ID: id, Version: t0, Type: "indicator",
				SpecVersion: "2.1", TLP: tlp, JSON: raw})
		}
		if _, err := s.env.Store.AddTAXIIObjects(ctx, objs, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("stored %d objects in %s", n, time.Since(start).Round(time.Millisecond))
	for _, user := range []string{"analyst", "green"} {
		b.Run(user, func(b *testing.B) {
			c := s.token(user)
			next := ""
			for b.Loop() {
				path := agency + "objects/?limit=1000"
				if next != "" {
					path += "&next=" + url.QueryEscape(next)
				}
				r := c.get(path)
				if r.status != http.StatusOK {
					b.Fatalf("%d %s", r.status, r.body)
				}
				var p struct {
					More    bool
					Next    string
					Objects []json.RawMessage
				}
				if err := json.Unmarshal(r.body, &p); err != nil || len(p.Objects) == 0 {
					b.Fatalf("%v: %d objects", err, len(p.Objects))
				}
				next = p.Next
			}
		})
	}
}
