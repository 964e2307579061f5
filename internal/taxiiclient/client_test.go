package taxiiclient_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/taxiiclient"
	"github.com/concord-cert/concord/internal/web/taxii"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// community is the path of the Concord server's "community" collection.
const community = "/taxii2/api/collections/4bd2e8e5-1f6c-4d1a-9d1e-3f0b6a7c2e11/"

// partner is a real Concord node serving TAXII, with an analyst's API
// token.
type partner struct {
	env   *webtest.Env
	token string
}

func newPartner(t *testing.T) *partner {
	env := webtest.New(t, taxii.Register)
	return &partner{env: env, token: env.WithToken("analyst").Token}
}

// add posts TLP:GREEN indicators of 198.51.100.from..to-1 to the community
// collection.
func (p *partner) add(t *testing.T, from, to int) {
	t.Helper()
	var objs []any
	for i := from; i < to; i++ {
		objs = append(objs, map[string]any{
			"type": "indicator", "spec_version": "2.1",
			"id":      fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", i),
			"created": "2026-05-01T08:00:00.000Z", "modified": "2026-05-01T08:00:00.000Z",
			"pattern": fmt.Sprintf("[ipv4-addr:value = '198.51.100.%d']", i), "pattern_type": "stix",
			"valid_from": "2026-05-01T08:00:00Z", "object_marking_refs": []string{taxii.TLPMarking(event.TLPGreen)},
		})
	}
	b, _ := json.Marshal(map[string]any{"objects": objs})
	c := p.env.WithToken("analyst")
	resp, body, err := c.Do("POST", community+"objects/", bytes.NewReader(b), taxii.MediaType)
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("post: %v %v %s", err, resp, body)
	}
}

func (p *partner) client(t *testing.T) *taxiiclient.Client {
	c, err := taxiiclient.New(taxiiclient.Options{Token: p.token, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDiscoveryLeadsToTheCollections(t *testing.T) {
	p := newPartner(t)
	ctx := context.Background()
	for _, opts := range []taxiiclient.Options{
		{Token: p.token},
		{User: "viewer", Password: webtest.Password},
	} {
		c, err := taxiiclient.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.Discover(ctx, p.env.HTTP.URL+"/taxii2/")
		if err != nil {
			t.Fatal(err)
		}
		if len(d.APIRoots) != 1 || d.Default != d.APIRoots[0] || !strings.HasPrefix(d.Default, p.env.HTTP.URL) {
			t.Fatalf("discovery %+v", d)
		}
		root, err := c.APIRoot(ctx, d.Default)
		if err != nil || len(root.Versions) == 0 || root.MaxContentLength == 0 {
			t.Fatalf("API root %+v, %v", root, err)
		}
		cols, err := c.Collections(ctx, d.Default)
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, col := range cols {
			if col.Alias == "community" {
				found = col.CanRead && col.Title != "" && col.ID != ""
				one, err := c.Collection(ctx, d.Default+"collections/"+col.ID)
				if err != nil || one.ID != col.ID {
					t.Fatalf("collection %+v, %v", one, err)
				}
			}
		}
		if !found {
			t.Fatalf("no readable community collection in %+v", cols)
		}
	}
}

func TestReaderPagesAndStartsAfterTheLastDate(t *testing.T) {
	p := newPartner(t)
	p.add(t, 1, 8)
	c := p.client(t)
	ctx := context.Background()
	u := p.env.HTTP.URL + community

	read := func(after string) (ids []string, pages int, last string) {
		t.Helper()
		r := c.NewReader(u, after, 3)
		for {
			pg, err := r.Next(ctx)
			if errors.Is(err, io.EOF) {
				return ids, r.Pages(), r.AddedLast()
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range pg.Objects {
				var x struct{ ID string }
				json.Unmarshal(o, &x)
				ids = append(ids, x.ID)
			}
		}
	}
	ids, pages, last := read("")
	if len(ids) != 7 || pages != 3 || last == "" {
		t.Fatalf("%d objects in %d pages, last %q; want 7 in 3", len(ids), pages, last)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("%s twice", id)
		}
		seen[id] = true
	}
	if again, _, last2 := read(last); len(again) != 0 || last2 != last {
		t.Fatalf("after the last date: %v, last %q (was %q)", again, last2, last)
	}
	p.add(t, 8, 10)
	if more, _, _ := read(last); len(more) != 2 {
		t.Fatalf("after adding two: %v", more)
	}
}

func TestErrorsSayWhatToDo(t *testing.T) {
	p := newPartner(t)
	ctx := context.Background()
	wrong, _ := taxiiclient.New(taxiiclient.Options{Token: "cnc_wrong"})
	_, err := wrong.Objects(ctx, p.env.HTTP.URL+community, taxiiclient.Query{})
	var te *taxiiclient.Error
	if !errors.As(err, &te) || te.Status != 401 || !strings.Contains(err.Error(), "credentials") || strings.Contains(err.Error(), "cnc_wrong") {
		t.Fatalf("wrong token: %v", err)
	}
	_, err = p.client(t).Objects(ctx, p.env.HTTP.URL+"/taxii2/api/collections/no-such/", taxiiclient.Query{})
	if !errors.As(err, &te) || te.Status != 404 || !strings.Contains(err.Error(), "check the URL") {
		t.Fatalf("unknown collection: %v", err)
	}

	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		want                    string
	}{
		{"forbidden", taxiiclient.MediaType, `{"title":"Forbidden","description":"no"}`, 403, "read access to the collection (server: Forbidden: no)"},
		{"not acceptable", taxiiclient.MediaType, `{"title":"Not acceptable"}`, 406, "does not answer TAXII 2.1"},
		{"a login page", "text/html", "<html>login</html>", 200, "not a TAXII 2.1 answer"},
		{"another TAXII version", "application/taxii+json;version=2.0", `{}`, 200, "not a TAXII 2.1 answer"},
		{"not an envelope", taxiiclient.MediaType, `[1,2]`, 200, "not a TAXII envelope"},
		{"an object that is not one", taxiiclient.MediaType, `{"objects":[1]}`, 200, "object 1 is not a JSON object"},
		{"a bad date header", "", `{"objects":[]}`, 200, "not an RFC 3339 timestamp"},
		{"too large", taxiiclient.MediaType, `{"objects":[` + strings.Repeat(`{},`, 100) + `{}]}`, 200, "larger than 100 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Accept") != taxiiclient.MediaType {
					t.Errorf("Accept %q", r.Header.Get("Accept"))
				}
				ct := tc.contentType
				if ct == "" {
					ct = taxiiclient.MediaType
					w.Header().Set("X-TAXII-Date-Added-Last", "yesterday")
				}
				w.Header().Set("Content-Type", ct)
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer hs.Close()
			c, _ := taxiiclient.New(taxiiclient.Options{MaxResponse: 100})
			_, err := c.Objects(ctx, hs.URL+"/c/", taxiiclient.Query{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestRequestsTimeOut(t *testing.T) {
	release := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hs.Close()
	defer close(release)
	c, _ := taxiiclient.New(taxiiclient.Options{Timeout: 100 * time.Millisecond})
	start := time.Now()
	if _, err := c.Discover(context.Background(), hs.URL+"/taxii2/"); err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("error %v after %s", err, time.Since(start))
	}
}

func TestCredentialsStayOffTheCommandLine(t *testing.T) {
	for u, ok := range map[string]bool{
		"https://partner.example/taxii2/api/collections/x/": true,
		"https://user:secret@partner.example/taxii2/api/x/": false,
		"ftp://partner.example/x/":                          false,
		"partner.example/taxii2/":                           false,
	} {
		if err := taxiiclient.CheckURL(u); (err == nil) != ok {
			t.Errorf("CheckURL(%q) = %v", u, err)
		}
		if err := taxiiclient.CheckURL(u); err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
	if _, err := taxiiclient.New(taxiiclient.Options{Token: "t", User: "u"}); err == nil {
		t.Error("a token and a user at once were accepted")
	}
	if _, err := taxiiclient.New(taxiiclient.Options{CAFile: "/nonexistent/ca.pem"}); err == nil {
		t.Error("a missing CA file was accepted")
	}
}
