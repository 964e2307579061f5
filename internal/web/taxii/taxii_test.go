package taxii_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/web"
	"github.com/concord-cert/concord/internal/web/taxii"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// server is a test node with the TAXII routes, served behind the Basic
// middleware as `concord serve` is meant to serve them.
type server struct {
	t   testing.TB
	env *webtest.Env
	url string
}

func newServer(t testing.TB) *server {
	env := webtest.New(t, taxii.Register, func(s *web.Server) error {
		// The login form sends the browser home.
		s.Handle(web.Route{Method: "GET", Path: "/{$}", Access: web.Public, Summary: "home", Handler: func(*web.Ctx) error { return nil }})
		return nil
	})
	hs := env.HTTP
	t.Cleanup(hs.Close)
	return &server{t: t, env: env, url: hs.URL}
}

// client sends TAXII requests with one kind of credential.
type client struct {
	s    *server
	auth func(*http.Request)
}

func (s *server) basic(user string) *client {
	return &client{s, func(r *http.Request) { r.SetBasicAuth(user, webtest.Password) }}
}

func (s *server) token(user string) *client {
	tok := s.env.WithToken(user).Token
	return &client{s, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }}
}

func (s *server) anonymous() *client { return &client{s, func(*http.Request) {}} }

// reply is one answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%v in %s", err, r.body)
	}
}

// do sends a request; headers are name, value pairs. Accept defaults to
// the TAXII media type.
func (c *client) do(method, path string, body []byte, headers ...string) reply {
	c.s.t.Helper()
	req, err := http.NewRequest(method, c.s.url+path, bytes.NewReader(body))
	if err != nil {
		c.s.t.Fatal(err)
	}
	req.Header.Set("Accept", taxii.MediaType)
	if body != nil {
		req.Header.Set("Content-Type", taxii.MediaType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	c.auth(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.s.t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

func (c *client) get(path string, headers ...string) reply { return c.do("GET", path, nil, headers...) }

// must checks the status of r, and that a TAXII answer is TAXII JSON.
func must(t *testing.T, r reply, status int) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); r.status != http.StatusOK || len(r.body) > 0 {
		if ct != taxii.MediaType {
			t.Fatalf("Content-Type %q, want %q", ct, taxii.MediaType)
		}
	}
	return r
}

// mustError checks that r is a TAXII error message with status.
func mustError(t *testing.T, r reply, status int) {
	t.Helper()
	must(t, r, status)
	var e struct {
		Title, Description string
		HTTPStatus         string `json:"http_status"`
	}
	r.decode(t, &e)
	if e.Title == "" || e.HTTPStatus != fmt.Sprint(status) {
		t.Fatalf("not a TAXII error message for %d: %s", status, r.body)
	}
}

const (
	community = "/taxii2/api/collections/4bd2e8e5-1f6c-4d1a-9d1e-3f0b6a7c2e11/"
	agency    = "/taxii2/api/collections/9a6f0c3d-7b2e-4e85-a1c4-5d8e2f7b9c60/"
)

var t0 = time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)

// stixID returns the id of object n of a test (tag tells tests apart).
func stixID(typ string, tag, n int) string {
	return fmt.Sprintf("%s--%08x-0000-4000-8000-%012d", typ, tag, n)
}

// indicator returns an indicator modified at mod and marked tlp (unmarked
// when tlp is negative).
func indicator(id string, mod time.Time, tlp int) map[string]any {
	o := map[string]any{"type": "indicator", "spec_version": "2.1", "id": id,
		"created": t0.Format(time.RFC3339Nano), "modified": mod.Format("2006-01-02T15:04:05.000Z"),
		"pattern": "[ipv4-addr:value = '192.0.2.1']", "pattern_type": "stix", "valid_from": t0.Format(time.RFC3339)}
	if tlp >= 0 {
		o["object_marking_refs"] = []string{taxii.TLPMarking(event.TLP(tlp))}
	}
	return o
}

func envelope(t *testing.T, objs ...any) []byte {
	b, err := json.Marshal(map[string]any{"objects": objs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// status is a TAXII status resource.
type status struct {
	ID                  string
	Status              string
	TotalCount          int `json:"total_count"`
	SuccessCount        int `json:"success_count"`
	FailureCount        int `json:"failure_count"`
	PendingCount        int `json:"pending_count"`
	Successes, Failures []struct{ ID, Version, Message string }
	RequestTimestamp    string `json:"request_timestamp"`
}

func (c *client) post(t *testing.T, coll string, objs ...any) status {
	t.Helper()
	r := must(t, c.do("POST", coll+"objects/", envelope(t, objs...)), http.StatusAccepted)
	var st status
	r.decode(t, &st)
	return st
}

// page is an objects envelope.
type page struct {
	More    bool
	Next    string
	Objects []struct {
		ID, Type, Modified string
		Markings           []string `json:"object_marking_refs"`
	}
}

func TestDiscoveryAdvertisesTheAPIRoot(t *testing.T) {
	s := newServer(t)
	c := s.basic("viewer")
	var d struct {
		Title, Default string
		APIRoots       []string `json:"api_roots"`
	}
	must(t, c.get("/taxii2/"), http.StatusOK).decode(t, &d)
	if d.Title == "" || len(d.APIRoots) != 1 || !strings.HasSuffix(d.APIRoots[0], "/taxii2/api/") || d.Default != d.APIRoots[0] {
		t.Fatalf("discovery: %+v", d)
	}
	u, err := url.Parse(d.APIRoots[0])
	if err != nil || u.Host == "" {
		t.Fatalf("the API root %q is not an absolute URL", d.APIRoots[0])
	}
	var root struct {
		Title      string
		Versions   []string
		MaxContent int `json:"max_content_length"`
	}
	must(t, c.get(u.Path), http.StatusOK).decode(t, &root)
	if root.Title == "" || !slices.Equal(root.Versions, []string{taxii.MediaType}) || root.MaxContent != taxii.MaxContentLength {
		t.Fatalf("API root: %+v", root)
	}
}

func TestCollectionsFollowTheAudience(t *testing.T) {
	s := newServer(t)
	type coll struct {
		ID, Alias  string
		CanRead    bool     `json:"can_read"`
		CanWrite   bool     `json:"can_write"`
		MediaTypes []string `json:"media_types"`
	}
	tests := []struct {
		user string
		want []coll
	}{
		{"analyst", []coll{{Alias: "community", CanRead: true, CanWrite: true}, {Alias: "agency", CanRead: true, CanWrite: true}}},
		{"viewer", []coll{{Alias: "community", CanRead: true}, {Alias: "agency", CanRead: true}}},
		{"green", []coll{{Alias: "community", CanRead: true, CanWrite: true}, {Alias: "agency", CanRead: true, CanWrite: true}}},
		{"partner", []coll{{Alias: "community", CanRead: true, CanWrite: true}}},
	}
	for _, tc := range tests {
		t.Run(tc.user, func(t *testing.T) {
			var got struct{ Collections []coll }
			must(t, s.basic(tc.user).get("/taxii2/api/collections/"), http.StatusOK).decode(t, &got)
			if len(got.Collections) != len(tc.want) {
				t.Fatalf("%d collections, want %d: %+v", len(got.Collections), len(tc.want), got)
			}
			for i, c := range got.Collections {
				w := tc.want[i]
				if c.Alias != w.Alias || c.CanRead != w.CanRead || c.CanWrite != w.CanWrite || c.ID == "" ||
					!slices.Equal(c.MediaTypes, []string{"application/stix+json;version=2.1"}) {
					t.Errorf("collection %d: %+v, want %+v", i, c, w)
				}
				var one coll
				must(t, s.basic(tc.user).get("/taxii2/api/collections/"+c.ID+"/"), http.StatusOK).decode(t, &one)
				if one.ID != c.ID || one.Alias != c.Alias {
					t.Errorf("GET the collection: %+v, want %+v", one, c)
				}
			}
		})
	}
	for _, path := range []string{agency, agency + "objects/", agency + "manifest/", agency + "objects/" + stixID("indicator", 1, 1) + "/",
		agency + "objects/" + stixID("indicator", 1, 1) + "/versions/"} {
		mustError(t, s.basic("partner").get(path), http.StatusForbidden)
	}
	mustError(t, s.basic("partner").do("POST", agency+"objects/", envelope(t, indicator(stixID("indicator", 1, 1), t0, 0))), http.StatusForbidden)
	mustError(t, s.basic("viewer").do("POST", community+"objects/", envelope(t, indicator(stixID("indicator", 1, 1), t0, 0))), http.StatusForbidden)
	mustError(t, s.basic("viewer").do("DELETE", community+"objects/"+stixID("indicator", 1, 1)+"/", nil), http.StatusForbidden)
	mustError(t, s.basic("analyst").get("/taxii2/api/collections/no-such-collection/"), http.StatusNotFound)
	mustError(t, s.basic("analyst").get("/taxii2/api/collections/no-such-collection/objects/"), http.StatusNotFound)
	// The alias stands for the id.
	must(t, s.basic("analyst").get("/taxii2/api/collections/community/objects/"), http.StatusOK)
}

func TestAuthentication(t *testing.T) {
	s := newServer(t)
	for _, path := range []string{"/taxii2/", "/taxii2/api/", "/taxii2/api/collections/", community + "objects/"} {
		r := s.anonymous().get(path)
		mustError(t, r, http.StatusUnauthorized)
		if !slices.ContainsFunc(r.header.Values("WWW-Authenticate"), func(v string) bool { return strings.HasPrefix(v, "Basic ") }) {
			t.Errorf("GET %s: no Basic challenge in %v", path, r.header)
		}
	}
	mustError(t, s.anonymous().do("POST", community+"objects/", envelope(t)), http.StatusUnauthorized)
	wrong := &client{s, func(r *http.Request) { r.SetBasicAuth("analyst", "not the password") }}
	r := wrong.get("/taxii2/")
	mustError(t, r, http.StatusUnauthorized)
	if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic ") {
		t.Errorf("a wrong password: no Basic challenge")
	}
	unknown := &client{s, func(r *http.Request) { r.SetBasicAuth("nobody", webtest.Password) }}
	mustError(t, unknown.get("/taxii2/"), http.StatusUnauthorized)
	// The API token and the session work as on the rest of the node.
	must(t, s.token("analyst").get(community+"objects/"), http.StatusOK)
	sess := s.env.Login("analyst")
	resp, body, err := sess.Do("GET", community+"objects/", nil, "")
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != taxii.MediaType {
		t.Fatalf("with a session: %v %v %s", err, resp.Status, body)
	}
	// Guessing is throttled like the login form: five failures block the
	// name and the address, even for the right password; a token is not
	// a guess and still works.
	for range 5 {
		wrong.get("/taxii2/")
	}
	mustError(t, wrong.get("/taxii2/"), http.StatusTooManyRequests)
	mustError(t, s.basic("analyst").get("/taxii2/"), http.StatusTooManyRequests)
	mustError(t, s.basic("viewer").get("/taxii2/"), http.StatusTooManyRequests)
	must(t, s.token("viewer").get("/taxii2/"), http.StatusOK)
}

func TestContentNegotiation(t *testing.T) {
	s := newServer(t)
	c := s.basic("analyst")
	for _, accept := range []string{"application/xml", "text/html", "application/taxii+json;version=2.0", "application/stix+json;version=2.1"} {
		mustError(t, c.get("/taxii2/api/", "Accept", accept), http.StatusNotAcceptable)
		mustError(t, c.get(community+"objects/", "Accept", accept), http.StatusNotAcceptable)
	}
	for _, accept := range []string{"application/taxii+json;version=2.1", "application/taxii+json", "application/json", "*/*",
		"text/html;q=0.9, application/taxii+json;version=2.1"} {
		must(t, c.get("/taxii2/api/", "Accept", accept), http.StatusOK)
	}
	id := stixID("indicator", 2, 1)
	for _, ct := range []string{"application/json", "application/stix+json;version=2.1", "application/taxii+json;version=2.0", "text/plain"} {
		mustError(t, c.do("POST", community+"objects/", envelope(t, indicator(id, t0, 0)), "Content-Type", ct), http.StatusUnsupportedMediaType)
	}
	must(t, c.do("POST", community+"objects/", envelope(t, indicator(id, t0, 0)), "Content-Type", "application/taxii+json; version=2.1"), http.StatusAccepted)
}

func TestPostedEnvelopesAreCheckedAndBounded(t *testing.T) {
	s := newServer(t)
	c := s.basic("analyst")
	for _, body := range []string{`{"objects": [`, `[]`, `{"more": false}`, `{"objects": [1, 2]}`, `{"objects": "x"}`} {
		mustError(t, c.do("POST", community+"objects/", []byte(body)), http.StatusUnprocessableEntity)
	}
	big := indicator(stixID("indicator", 3, 1), t0, 0)
	big["description"] = strings.Repeat("x", taxii.MaxObjectSize)
	mustError(t, c.do("POST", community+"objects/", envelope(t, big)), http.StatusRequestEntityTooLarge)
	var many []any
	for i := range taxii.MaxContentLength/(taxii.MaxObjectSize-100) + 1 {
		o := indicator(stixID("indicator", 3, i), t0, 0)
		o["description"] = strings.Repeat("x", taxii.MaxObjectSize-1000)
		many = append(many, o)
	}
	mustError(t, c.do("POST", community+"objects/", envelope(t, many...)), http.StatusRequestEntityTooLarge)
	var p page
	must(t, c.get(community+"objects/"), http.StatusOK).decode(t, &p)
	if len(p.Objects) != 0 {
		t.Fatalf("a refused envelope left %d objects", len(p.Objects))
	}
}

func TestStatusReportsEachObject(t *testing.T) {
	s := newServer(t)
	c := s.basic("analyst")
	good := indicator(stixID("indicator", 4, 1), t0, int(event.TLPGreen))
	st := c.post(t, community,
		good,
		good, // the same version twice: stored once, a success both times
		indicator(stixID("indicator", 4, 2), t0, int(event.TLPAmber)),      // beyond the collection
		indicator(stixID("indicator", 4, 3), t0, -1),                       // unmarked: TLP:AMBER
		map[string]any{"type": "indicator", "id": "indicator--not-a-uuid"}, // malformed
		map[string]any{"type": "malware", "id": stixID("indicator", 4, 5)}, // id of another type
	)
	if st.Status != "complete" || st.TotalCount != 6 || st.SuccessCount != 2 || st.FailureCount != 4 || st.PendingCount != 0 ||
		len(st.Successes) != 2 || len(st.Failures) != 4 || st.ID == "" || st.RequestTimestamp == "" {
		t.Fatalf("status %+v", st)
	}
	for _, f := range st.Failures {
		if f.Message == "" {
			t.Errorf("failure %+v gives no reason", f)
		}
	}
	var again status
	must(t, c.get("/taxii2/api/status/"+st.ID+"/"), http.StatusOK).decode(t, &again)
	if again.ID != st.ID || again.SuccessCount != 2 || again.FailureCount != 4 || len(again.Failures) != 4 {
		t.Fatalf("status read back: %+v", again)
	}
	// Someone who may write to the collection reads it; a reader who did
	// not post it does not learn it exists.
	must(t, s.basic("green").get("/taxii2/api/status/"+st.ID+"/"), http.StatusOK)
	mustError(t, s.basic("viewer").get("/taxii2/api/status/"+st.ID+"/"), http.StatusNotFound)
	mustError(t, c.get("/taxii2/api/status/2d086da7-4bdc-4f91-900e-d77486753710/"), http.StatusNotFound)
	var p page
	must(t, c.get(community+"objects/"), http.StatusOK).decode(t, &p)
	if len(p.Objects) != 1 || p.Objects[0].ID != stixID("indicator", 4, 1) {
		t.Fatalf("the collection holds %+v", p)
	}
}

// TestPagingTenThousandObjects pages through 10,000 objects 1,000 at a
// time and checks that every object comes exactly once, in the order
// added, with the date headers bounding each page.
func TestPagingTenThousandObjects(t *testing.T) {
	s := newServer(t)
	c := s.basic("analyst")
	const n = 10_000
	for b := 0; b < n; b += 1000 {
		var objs []any
		for i := b; i < b+1000; i++ {
			objs = append(objs, indicator(stixID("indicator", 5, i), t0, int(event.TLP(i%2))))
		}
		if st := c.post(t, community, objs...); st.SuccessCount != 1000 {
			t.Fatalf("envelope at %d: %+v", b, st.Failures[:1])
		}
	}
	seen := map[string]bool{}
	var order []string
	var lastAdded string
	var fifth string
	next := ""
	for pages := 1; ; pages++ {
		path := community + "objects/?limit=1000"
		if next != "" {
			path += "&next=" + url.QueryEscape(next)
		}
		r := must(t, c.get(path), http.StatusOK)
		var p page
		r.decode(t, &p)
		first, last := r.header.Get("X-TAXII-Date-Added-First"), r.header.Get("X-TAXII-Date-Added-Last")
		if first == "" || last == "" || first > last || (lastAdded != "" && first <= lastAdded) {
			t.Fatalf("page %d: date headers %q..%q after %q", pages, first, last, lastAdded)
		}
		lastAdded = last
		if pages == 5 {
			fifth = last
		}
		if len(p.Objects) != 1000 {
			t.Fatalf("page %d has %d objects", pages, len(p.Objects))
		}
		for _, o := range p.Objects {
			if seen[o.ID] {
				t.Fatalf("page %d repeats %s", pages, o.ID)
			}
			seen[o.ID] = true
			order = append(order, o.ID)
		}
		if !p.More {
			if p.Next != "" || pages != 10 {
				t.Fatalf("last page %d with next %q", pages, p.Next)
			}
			break
		}
		if p.Next == "" {
			t.Fatalf("page %d: more without next", pages)
		}
		next = p.Next
	}
	for i, id := range order {
		if id != stixID("indicator", 5, i) {
			t.Fatalf("object %d is %s: not in the order added", i, id)
		}
	}
	// added_after the fifth page's last date gives the other half.
	var p page
	r := must(t, c.get(community+"objects/?limit=10000&added_after="+url.QueryEscape(fifth)), http.StatusOK)
	r.decode(t, &p)
	if len(p.Objects) != 5000 || p.More || p.Objects[0].ID != stixID("indicator", 5, 5000) {
		t.Fatalf("added_after %s: %d objects from %s", fifth, len(p.Objects), p.Objects[0].ID)
	}
	// The manifest pages the same way.
	var m struct {
		More    bool
		Next    string
		Objects []struct {
			ID        string
			DateAdded string `json:"date_added"`
			Version   string
			MediaType string `json:"media_type"`
		}
	}
	r = must(t, c.get(community+"manifest/?limit=1000"), http.StatusOK)
	r.decode(t, &m)
	if len(m.Objects) != 1000 || !m.More || m.Objects[0].DateAdded != r.header.Get("X-TAXII-Date-Added-First") ||
		m.Objects[999].DateAdded != r.header.Get("X-TAXII-Date-Added-Last") || m.Objects[0].MediaType != "application/stix+json;version=2.1" {
		t.Fatalf("manifest: %d records, more %v, first %+v", len(m.Objects), m.More, m.Objects[0])
	}
	for _, bad := range []string{"limit=0", "limit=x", "next=garbage!", "added_after=yesterday", "match[version]=latest"} {
		mustError(t, c.get(community+"objects/?"+bad), http.StatusBadRequest)
	}
}

func TestMatchFiltersAndVersions(t *testing.T) {
	s := newServer(t)
	c := s.basic("analyst")
	x, y := stixID("indicator", 6, 1), stixID("malware", 6, 2)
	v := []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour)}
	green := int(event.TLPGreen)
	c.post(t, community, indicator(x, v[1], green), indicator(x, v[0], green))
	c.post(t, community, indicator(x, v[2], green),
		map[string]any{"type": "malware", "spec_version": "2.1", "id": y, "created": t0.Format(time.RFC3339), "modified": t0.Format("2006-01-02T15:04:05.000Z"),
			"name": "x", "is_family": false, "object_marking_refs": []string{taxii.TLPMarking(event.TLPClear)}},
		map[string]any{"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", "value": "198.51.100.3",
			"object_marking_refs": []string{taxii.TLPMarking(event.TLPClear)}})
	ver := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000000Z") }
	ids := func(p page) []string {
		var out []string
		for _, o := range p.Objects {
			out = append(out, o.ID+"@"+o.Modified)
		}
		return out
	}
	mod := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000Z") }
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{x + "@" + mod(v[2]), y + "@" + mod(t0), "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd@"}},
		{"match[type]=malware", []string{y + "@" + mod(t0)}},
		{"match[type]=malware,ipv4-addr&match[id]=" + y, []string{y + "@" + mod(t0)}},
		{"match[id]=" + x + "&match[version]=all", []string{x + "@" + mod(v[1]), x + "@" + mod(v[0]), x + "@" + mod(v[2])}},
		{"match[id]=" + x + "&match[version]=first", []string{x + "@" + mod(v[0])}},
		{"match[id]=" + x + "&match[version]=first,last", []string{x + "@" + mod(v[0]), x + "@" + mod(v[2])}},
		{"match[id]=" + x + "&match[version]=" + ver(v[1]), []string{x + "@" + mod(v[1])}},
		{"match[spec_version]=2.0", nil},
		{"match[spec_version]=2.1&match[type]=indicator", []string{x + "@" + mod(v[2])}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			var p page
			must(t, c.get(community+"objects/?"+tc.query), http.StatusOK).decode(t, &p)
			if got := ids(p); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	// One object: its last version, or those asked for.
	var p page
	must(t, c.get(community+"objects/"+x+"/"), http.StatusOK).decode(t, &p)
	if got := ids(p); !slices.Equal(got, []string{x + "@" + mod(v[2])}) {
		t.Errorf("GET the object: %v", got)
	}
	must(t, c.get(community+"objects/"+x+"/?match[version]=all&limit=2"), http.StatusOK).decode(t, &p)
	if len(p.Objects) != 2 || !p.More || p.Next == "" {
		t.Errorf("GET the object's versions two at a time: %+v", p)
	}
	var vs struct {
		More     bool
		Versions []string
	}
	r := must(t, c.get(community+"objects/"+x+"/versions/"), http.StatusOK)
	r.decode(t, &vs)
	if !slices.Equal(vs.Versions, []string{ver(v[1]), ver(v[0]), ver(v[2])}) || vs.More || r.header.Get("X-TAXII-Date-Added-First") == "" {
		t.Errorf("versions: %+v", vs)
	}
	mustError(t, c.get(community+"objects/"+stixID("indicator", 6, 9)+"/"), http.StatusNotFound)
	mustError(t, c.get(community+"objects/"+stixID("indicator", 6, 9)+"/versions/"), http.StatusNotFound)

	// Deleting one version leaves the others; deleting the rest leaves
	// nothing.
	must(t, c.do("DELETE", community+"objects/"+x+"/?match[version]="+ver(v[2]), nil), http.StatusOK)
	must(t, c.get(community+"objects/"+x+"/versions/"), http.StatusOK).decode(t, &vs)
	if !slices.Equal(vs.Versions, []string{ver(v[1]), ver(v[0])}) {
		t.Errorf("versions after deleting the last: %v", vs.Versions)
	}
	must(t, c.get(community+"objects/"+x+"/"), http.StatusOK).decode(t, &p)
	if got := ids(p); !slices.Equal(got, []string{x + "@" + mod(v[1])}) {
		t.Errorf("the last version after the delete: %v", got)
	}
	must(t, c.do("DELETE", community+"objects/"+x+"/", nil), http.StatusOK)
	mustError(t, c.get(community+"objects/"+x+"/"), http.StatusNotFound)
	mustError(t, c.do("DELETE", community+"objects/"+x+"/", nil), http.StatusNotFound)
	must(t, c.get(community+"objects/"+y+"/"), http.StatusOK)
}

// TestTLPFiltering checks that a caller receives only the labels the
// node's rules give it, through every answer that lists objects.
func TestTLPFiltering(t *testing.T) {
	s := newServer(t)
	c := s.basic("analyst")
	labels := []int{int(event.TLPClear), int(event.TLPGreen), int(event.TLPAmber), int(event.TLPAmberStrict), -1}
	var objs []any
	for i, l := range labels {
		objs = append(objs, indicator(stixID("indicator", 7, i), t0, l), indicator(stixID("indicator", 7, i), t0.Add(time.Hour), l))
	}
	if st := c.post(t, agency, objs...); st.SuccessCount != 10 {
		t.Fatalf("status %+v", st)
	}
	if st := c.post(t, agency, indicator(stixID("indicator", 7, 9), t0, int(event.TLPRed))); st.FailureCount != 1 {
		t.Fatalf("TLP:RED went into the agency collection: %+v", st)
	}
	if st := c.post(t, community, objs[:4]...); st.SuccessCount != 4 {
		t.Fatalf("status %+v", st)
	}
	if st := c.post(t, community, objs[4:]...); st.FailureCount != 6 {
		t.Fatalf("TLP:AMBER went into the community collection: %+v", st)
	}
	amber := []string{stixID("indicator", 7, 2), stixID("indicator", 7, 3), stixID("indicator", 7, 4)}
	for _, user := range []string{"green", "partner"} {
		for _, cl := range []*client{s.basic(user), s.token(user)} {
			for _, coll := range []string{community, agency} {
				paths := []string{coll + "objects/", coll + "objects/?match[version]=all", coll + "manifest/?match[version]=all"}
				for i := range 5 {
					id := stixID("indicator", 7, i)
					paths = append(paths, coll+"objects/"+id+"/", coll+"objects/"+id+"/versions/", coll+"objects/?match[id]="+id)
				}
				for _, path := range paths {
					r := cl.get(path)
					if user == "partner" && coll == agency {
						mustError(t, r, http.StatusForbidden)
						continue
					}
					for _, id := range amber {
						if bytes.Contains(r.body, []byte(id)) {
							t.Errorf("%s GET %s (%d) shows a TLP:AMBER object %s", user, path, r.status, id)
						}
					}
				}
				if user == "partner" && coll == agency {
					continue
				}
				var p page
				must(t, cl.get(coll+"objects/?match[version]=all"), http.StatusOK).decode(t, &p)
				if len(p.Objects) != 4 {
					t.Errorf("%s sees %d versions of %s, want the 4 CLEAR and GREEN", user, len(p.Objects), coll)
				}
			}
			mustError(t, cl.do("DELETE", agency+"objects/"+amber[0]+"/", nil), map[string]int{"green": 404, "partner": 403}[user])
		}
	}
	var p page
	must(t, c.get(agency+"objects/?match[version]=all"), http.StatusOK).decode(t, &p)
	if len(p.Objects) != 10 {
		t.Errorf("the analyst sees %d versions, want 10", len(p.Objects))
	}
	for _, o := range p.Objects {
		if o.ID == stixID("indicator", 7, 4) && o.Markings != nil {
			t.Errorf("an unmarked object came back marked: %+v", o)
		}
	}
}

// TestEveryRouteChecksTheCaller walks the routes table: the TAXII routes
// are web.Public (the core would send a browser's login page, not a 401)
// and check the caller themselves, so each must refuse an anonymous
// caller with 401 and a caller without its action with 403.
func TestEveryRouteChecksTheCaller(t *testing.T) {
	s := newServer(t)
	fill := strings.NewReplacer("{id}", "community", "{ref}", stixID("indicator", 9, 1), "{$}", "")
	n := 0
	for _, rt := range s.env.Server.Routes() {
		if !strings.HasPrefix(rt.Path, taxii.Discovery) {
			continue
		}
		n++
		if rt.Access != web.Public || rt.Action == "" || rt.Summary == "" {
			t.Errorf("%s %s: access %v, action %q, summary %q", rt.Method, rt.Path, rt.Access, rt.Action, rt.Summary)
		}
		path := fill.Replace(rt.Path)
		mustError(t, s.anonymous().do(rt.Method, path, envelope(t)), http.StatusUnauthorized)
		for _, user := range []string{"admin", "viewer", "liaison"} {
			p := webPrincipal(user)
			if !p.Can(rt.Action) {
				mustError(t, s.basic(user).do(rt.Method, path, envelope(t)), http.StatusForbidden)
			}
		}
	}
	if n != 11 {
		t.Errorf("%d TAXII routes, want 11", n)
	}
}

func webPrincipal(user string) auth.Principal {
	for _, u := range webtest.Users {
		if u.Name == user {
			return web.PrincipalOf(u)
		}
	}
	panic(user)
}

// TestTLPDefinitionsTravelWithTheirObjects posts what a STIX producer
// sends to the community collection: the TLP:GREEN definition with an
// object marked by it.
func TestTLPDefinitionsTravelWithTheirObjects(t *testing.T) {
	s := newServer(t)
	def := map[string]any{"type": "marking-definition", "spec_version": "2.1", "id": taxii.TLPMarking(event.TLPGreen),
		"created": "2022-10-01T00:00:00.000Z", "name": "TLP:GREEN"}
	st := s.basic("analyst").post(t, community, def, indicator(stixID("indicator", 10, 1), t0, int(event.TLPGreen)))
	if st.SuccessCount != 2 {
		t.Fatalf("status %+v", st)
	}
	var p page
	must(t, s.basic("partner").get(community+"objects/?match[type]=marking-definition"), http.StatusOK).decode(t, &p)
	if len(p.Objects) != 1 || p.Objects[0].ID != taxii.TLPMarking(event.TLPGreen) {
		t.Fatalf("the partner reads %+v", p)
	}
}
