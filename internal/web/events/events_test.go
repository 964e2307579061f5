package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web/events"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// seedLabel is one ingest of the test corpus: EVE alerts from addresses
// of their own, under one TLP label, on days of their own, so that a
// report over the recent days derives from CLEAR and GREEN events only.
type seedLabel struct {
	tlp     event.TLP
	ago     int // days before now
	sources []string
}

// shared is an address seen under GREEN and AMBER alike.
const shared = "203.0.113.9"

var corpus = []seedLabel{
	{event.TLPClear, 2, []string{"198.51.100.1"}},
	{event.TLPGreen, 1, []string{"198.51.100.2", shared}},
	{event.TLPAmber, 60, []string{"198.51.100.3", shared}},
	{event.TLPAmberStrict, 61, []string{"198.51.100.4"}},
	{event.TLPRed, 120, []string{"198.51.100.5"}},
}

// badLine is a record every ingest of the corpus rejects.
const badLine = `{"event_type":"alert","src_ip":"192.0.2.1"}`

func alerts(ago int, sources []string, now time.Time) string {
	var b strings.Builder
	day := now.AddDate(0, 0, -ago).UTC().Truncate(24 * time.Hour)
	for i, src := range sources {
		for j := range 3 {
			ts := day.Add(time.Duration(10+i) * time.Hour).Add(time.Duration(j) * time.Minute).Format("2006-01-02T15:04:05.000000+0000")
			fmt.Fprintf(&b, `{"timestamp":%q,"event_type":"alert","src_ip":%q,"src_port":%d,"dest_ip":"192.0.2.10","dest_port":22,"proto":"TCP","alert":{"signature_id":2001219,"signature":"ET SCAN Potential SSH Scan","category":"Attempted Information Leak","severity":2}}`+"\n",
				ts, src, 40000+j)
		}
	}
	b.WriteString(badLine + "\n")
	return b.String()
}

type runAnswer struct {
	ID       int64  `json:"id"`
	Status   string `json:"status"`
	Records  int64  `json:"records"`
	Accepted int64  `json:"accepted"`
	Rejected int64  `json:"rejected"`
	TLP      string `json:"tlp"`
}

// waitRun polls a run until it has ended.
func waitRun(t *testing.T, c *webtest.Client, id int64) runAnswer {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var r runAnswer
		if err := c.GetJSON(fmt.Sprintf("/api/v1/ingest/%d", id), &r); err != nil {
			t.Fatal(err)
		}
		if r.Status != "running" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d still running", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// streamIngest posts body to the raw ingest API and waits for the run,
// read from the store: the run's label may be one the poster may not
// receive.
func streamIngest(t *testing.T, env *webtest.Env, c *webtest.Client, query, body string) runAnswer {
	t.Helper()
	resp, b, err := c.Do("POST", "/api/v1/ingest?"+query, strings.NewReader(body), "application/x-ndjson")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/v1/ingest?%s: %s\n%s", query, resp.Status, b)
	}
	var r runAnswer
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		run, err := env.Store.Ingest(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != "running" {
			return runAnswer{ID: run.ID, Status: run.Status, Records: run.Counts.Records, Accepted: run.Counts.Accepted, Rejected: run.Counts.Rejected}
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d still running", r.ID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// seeded is a server holding the corpus, and what was stored.
type seeded struct {
	env *webtest.Env
	// keys are the stored events' keys by label.
	keys map[event.TLP][]string
	runs map[event.TLP]int64
}

func seed(t *testing.T) *seeded {
	t.Helper()
	env := webtest.New(t, events.Register)
	s := &seeded{env: env, keys: map[event.TLP][]string{}, runs: map[event.TLP]int64{}}
	analyst := env.WithToken("analyst")
	now := time.Now()
	for _, l := range corpus {
		q := url.Values{"format": {"eve"}, "tlp": {l.tlp.String()}, "name": {"alerts-" + l.tlp.String() + ".json"}}
		r := streamIngest(t, env, analyst, q.Encode(), alerts(l.ago, l.sources, now))
		if r.Status != "done" || r.Accepted != int64(3*len(l.sources)) || r.Rejected != 1 {
			t.Fatalf("ingest of %s: %+v", l.tlp, r)
		}
		s.runs[l.tlp] = r.ID
	}
	// Every stored event, read from the store itself.
	page, err := env.Store.SearchEvents(context.Background(), store.EventQuery{TLPs: []event.TLP{0, 1, 2, 3, 4}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, se := range page.Events {
		s.keys[se.Event.TLP] = append(s.keys[se.Event.TLP], fmt.Sprintf("%x", se.Key[:]))
	}
	if len(page.Events) != 21 {
		t.Fatalf("stored %d events, want 21", len(page.Events))
	}
	return s
}

// visible is what each test user may receive of the corpus: this node's
// analysts up to AMBER+STRICT, green up to GREEN, the partner agency
// only what is not restricted to this agency. RED names recipients, and
// events name none.
var visible = map[string][]event.TLP{
	"analyst": {event.TLPClear, event.TLPGreen, event.TLPAmber, event.TLPAmberStrict},
	"viewer":  {event.TLPClear, event.TLPGreen, event.TLPAmber, event.TLPAmberStrict},
	"green":   {event.TLPClear, event.TLPGreen},
	"partner": {event.TLPClear, event.TLPGreen},
}

type searchAnswer struct {
	Events []struct {
		Key string `json:"key"`
		TLP string `json:"tlp"`
		Src struct {
			IP string `json:"ip"`
		} `json:"source"`
	} `json:"events"`
	More    bool   `json:"more"`
	Partial bool   `json:"partial"`
	Next    string `json:"next"`
}

func TestNoOneSeesAnEventItsClearanceExcludes(t *testing.T) {
	s := seed(t)
	for user, labels := range visible {
		t.Run(user, func(t *testing.T) {
			for _, c := range []*webtest.Client{s.env.Login(user), s.env.WithToken(user)} {
				// Search: every label the user may see, no other.
				var res searchAnswer
				if err := c.GetJSON("/api/v1/events?limit=500", &res); err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, e := range res.Events {
					if !slices.Contains(got, e.TLP) {
						got = append(got, e.TLP)
					}
				}
				slices.Sort(got)
				var want []string
				for _, l := range labels {
					want = append(want, l.String())
				}
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("search shows labels %v, want %v", got, want)
				}
				_, page := c.Get("/events")
				for tlp, keys := range s.keys {
					for _, k := range keys {
						if strings.Contains(page, k) != slices.Contains(labels, tlp) {
							t.Errorf("search page and event %s (%s): shown %v", k, tlp, strings.Contains(page, k))
						}
					}
				}
				// One event, page and API: a refused one looks missing.
				for tlp, keys := range s.keys {
					want := http.StatusNotFound
					if slices.Contains(labels, tlp) {
						want = http.StatusOK
					}
					for _, path := range []string{"/events/" + keys[0], "/api/v1/events/" + keys[0]} {
						if code, body := c.Get(path); code != want {
							t.Errorf("GET %s (%s): %d, want %d\n%.300s", path, tlp, code, want, body)
						}
					}
				}
				// Address pages list only receivable events.
				for _, l := range corpus {
					for _, ip := range l.sources {
						_, page := c.Get("/ip/" + ip)
						var api struct {
							Events  searchAnswer `json:"recent_events"`
							History struct {
								TLP      string `json:"tlp"`
								Withheld bool   `json:"withheld"`
								Days     int    `json:"days"`
							} `json:"history"`
						}
						if err := c.GetJSON("/api/v1/ip/"+ip, &api); err != nil {
							t.Fatal(err)
						}
						for _, e := range api.Events.Events {
							tlp, _ := event.ParseTLP(e.TLP)
							if !slices.Contains(labels, tlp) {
								t.Errorf("/api/v1/ip/%s lists a %s event", ip, e.TLP)
							}
						}
						for tlp, keys := range s.keys {
							for _, k := range keys {
								if !slices.Contains(labels, tlp) && strings.Contains(page, k) {
									t.Errorf("/ip/%s shows %s event %s", ip, tlp, k)
								}
							}
						}
						// The history shows only when its marking is receivable.
						marking, _ := event.ParseTLP(api.History.TLP)
						may := webtestPrincipal(user).MayReceive(casework.Marking{TLP: marking}, webtest.Self, nil)
						if api.History.Withheld == may {
							t.Errorf("/api/v1/ip/%s: history %s withheld=%v for %s", ip, api.History.TLP, api.History.Withheld, user)
						}
						if api.History.Withheld && api.History.Days != 0 {
							t.Errorf("/api/v1/ip/%s: a withheld history shows %d days", ip, api.History.Days)
						}
					}
				}
			}
		})
	}
}

// webtestPrincipal is the principal of a test user.
func webtestPrincipal(name string) auth.Principal {
	for _, u := range webtest.Users {
		if u.Name == name {
			p := auth.Principal{User: u.Name, Agency: u.Agency, Clearance: u.Clearance}
			for _, r := range u.Roles {
				p.Roles = append(p.Roles, auth.Role(r))
			}
			return p
		}
	}
	panic("no test user " + name)
}

func TestDashboardAndReportsFollowTheirMarking(t *testing.T) {
	s := seed(t)
	ctx := context.Background()
	var dash struct {
		Period   struct{ From, To string } `json:"period"`
		TLP      string                    `json:"tlp"`
		Withheld bool                      `json:"withheld"`
		Headline *struct {
			AttackSources struct{ Value int } `json:"attack_sources"`
		} `json:"headline"`
		Charts  []struct{ URL string } `json:"charts"`
		Ingests []runAnswer            `json:"recent_ingests"`
	}
	for _, user := range []string{"analyst", "viewer", "green", "partner", "admin"} {
		c := s.env.WithToken(user)
		if err := c.GetJSON("/api/v1/dashboard", &dash); err != nil {
			t.Fatal(err)
		}
		from, _ := time.Parse(time.DateOnly, dash.Period.From)
		to, _ := time.Parse(time.DateOnly, dash.Period.To)
		if got, want := to.Sub(from), 29*24*time.Hour; got != want {
			t.Errorf("%s: dashboard period %s..%s", user, dash.Period.From, dash.Period.To)
		}
		marking, err := node.ReportMarking(ctx, s.env.Store, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if dash.TLP != marking.String() {
			t.Errorf("%s: dashboard marked %s, want %s", user, dash.TLP, marking)
		}
		may := webtestPrincipal(user).MayReceive(casework.Marking{TLP: marking}, webtest.Self, nil)
		if dash.Withheld == may || (dash.Headline != nil) != may {
			t.Errorf("%s: dashboard withheld=%v headline=%v, may receive %s: %v", user, dash.Withheld, dash.Headline != nil, marking, may)
		}
		if may {
			// The recent days hold the CLEAR and GREEN sources.
			if dash.Headline.AttackSources.Value != 3 {
				t.Errorf("%s: %d attack sources, want 3", user, dash.Headline.AttackSources.Value)
			}
			if len(dash.Charts) == 0 {
				t.Errorf("%s: no charts", user)
			}
			for _, ch := range dash.Charts {
				resp, b, err := c.Do("GET", ch.URL, nil, "")
				if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" ||
					!bytes.Contains(b, []byte(`xmlns="http://www.w3.org/2000/svg"`)) {
					t.Errorf("%s: chart %s: %v %v %q", user, ch.URL, err, resp.Status, resp.Header.Get("Content-Type"))
				}
			}
		}
		_, page := s.env.Login(user).Get("/")
		if may == strings.Contains(page, "withheld") {
			t.Errorf("%s: dashboard page says withheld: %v", user, !may)
		}
	}

	// A period over the AMBER days: the analyst receives it, green and
	// the partner get a 404 for the download, the chart and the API.
	amberFrom := time.Now().AddDate(0, 0, -65).Format(time.DateOnly)
	amberTo := time.Now().AddDate(0, 0, -55).Format(time.DateOnly)
	marking, err := node.ReportMarking(ctx, s.env.Store, mustDate(amberFrom), mustDate(amberTo))
	if err != nil {
		t.Fatal(err)
	}
	q := "from=" + amberFrom + "&to=" + amberTo + "&home=PL"
	for _, user := range []string{"analyst", "green", "partner"} {
		c := s.env.Login(user)
		may := webtestPrincipal(user).MayReceive(casework.Marking{TLP: marking}, webtest.Self, nil)
		want := http.StatusNotFound
		if may {
			want = http.StatusOK
		}
		for _, path := range []string{"/api/v1/reports?" + q, "/reports/download?" + q + "&format=json",
			"/reports/download?" + q + "&format=csv", "/reports/download?" + q + "&format=html", "/reports/charts/trend.svg?" + q} {
			if code, body := c.Get(path); code != want {
				t.Errorf("%s: GET %s: %d, want %d\n%.200s", user, path, code, want, body)
			}
		}
		code, page := c.Get("/reports?" + q)
		if code != 200 || may == strings.Contains(page, "It is withheld") {
			t.Errorf("%s: report page %d, withheld shown %v, may receive %s: %v", user, code, strings.Contains(page, "It is withheld"), marking, may)
		}
	}
}

func mustDate(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestEveryRouteAnswersTheAnalyst(t *testing.T) {
	s := seed(t)
	c := s.env.Login("analyst")
	key := s.keys[event.TLPGreen][0]
	run := s.runs[event.TLPGreen]
	today := time.Now().UTC().Format(time.DateOnly)
	monthAgo := time.Now().UTC().AddDate(0, 0, -30).Format(time.DateOnly)
	period := "from=" + monthAgo + "&to=" + today + "&home=PL"
	for _, tc := range []struct {
		path, contains string
	}{
		{"/", "Recent ingests"},
		{"/api/v1/dashboard", `"period"`},
		{"/reports", "Show report"},
		{"/reports?" + period, "Download"},
		{"/reports/download?" + period + "&format=html", "<svg"},
		{"/reports/download?" + period + "&format=json", `"tlp": "TLP:GREEN"`},
		{"/reports/download?" + period + "&format=csv", "# TLP:GREEN"},
		{"/reports/charts/trend.svg?" + period, "<svg"},
		{"/api/v1/reports?" + period, `"report"`},
		{"/events", key},
		{"/events?class=intrusion-attempts&flag=tor-exit", "No event you may see matches"},
		{"/events?ip=198.51.100.0/24&limit=2", "Older events"},
		{"/api/v1/events?ip=" + shared, shared},
		{"/events/" + key, "Original record"},
		{"/api/v1/events/" + key, `"event"`},
		{"/ip/" + shared, "Recent events"},
		{"/api/v1/ip/" + shared, `"history"`},
		{"/ingest", "Upload and ingest"},
		{fmt.Sprintf("/ingest/%d", run), "missing timestamp"},
		{fmt.Sprintf("/api/v1/ingest/%d", run), `"accepted": 6`},
		{fmt.Sprintf("/api/v1/ingest/%d/rejections", run), "missing timestamp"},
		{"/api/v1/ingests", `"runs"`},
		{"/api/v1/formats", `"eve"`},
	} {
		code, body := c.Get(tc.path)
		if code != 200 || !strings.Contains(body, tc.contains) {
			t.Errorf("GET %s: %d, want 200 with %q\n%.400s", tc.path, code, tc.contains, body)
		}
	}
	for _, tc := range []struct{ path string }{
		{"/events?from=yesterday"}, {"/events?class=nonsense"}, {"/events?ip=300.1.1.1"}, {"/events?flag=purple"},
		{"/api/v1/events?before=xyz"}, {"/reports?from=2024-02-30&to=2024-03-01"}, {"/api/v1/reports?from=2020-01-01&to=2024-01-01&home=PL"},
	} {
		if code, body := c.Get(tc.path); code != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400\n%.300s", tc.path, code, body)
		}
	}
	for _, path := range []string{"/events/00", "/events/" + strings.Repeat("0", 32), "/ip/not-an-ip", "/ingest/999999", "/reports/charts/nothing.svg?" + period} {
		if code, _ := c.Get(path); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
}

func TestSearchPagesWithTheCursor(t *testing.T) {
	s := seed(t)
	c := s.env.WithToken("analyst")
	var seen []string
	q := "/api/v1/events?limit=5"
	for range 10 {
		var res searchAnswer
		if err := c.GetJSON(q, &res); err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Events {
			if slices.Contains(seen, e.Key) {
				t.Fatalf("event %s on two pages", e.Key)
			}
			seen = append(seen, e.Key)
		}
		if !res.More {
			break
		}
		q = "/api/v1/events?limit=5&before=" + res.Next
	}
	if len(seen) != 18 { // every label but RED
		t.Errorf("paged through %d events, want 18", len(seen))
	}
}

func TestAViewerCannotIngest(t *testing.T) {
	env := webtest.New(t, events.Register)
	for _, c := range []*webtest.Client{env.Login("viewer"), env.WithToken("viewer")} {
		resp, _, err := c.Do("POST", "/api/v1/ingest?format=eve", strings.NewReader(alerts(1, []string{"198.51.100.7"}, time.Now())), "application/x-ndjson")
		if err != nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("viewer POST /api/v1/ingest: %v %v, want 403", err, resp.Status)
		}
		body, ctype := multipartBody(t, map[string]string{"format": "eve"}, "alerts.json", alerts(1, []string{"198.51.100.7"}, time.Now()))
		resp, _, err = c.Do("POST", "/ingest?csrf="+url.QueryEscape(c.CSRF), body, ctype)
		if err != nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("viewer POST /ingest: %v %v, want 403", err, resp.Status)
		}
		if code, _ := c.Get("/ingest"); code != http.StatusForbidden {
			t.Errorf("viewer GET /ingest: %d, want 403", code)
		}
	}
	page, err := env.Store.SearchEvents(context.Background(), store.EventQuery{TLPs: []event.TLP{0, 1, 2, 3, 4}})
	if err != nil || len(page.Events) != 0 {
		t.Errorf("a refused upload stored %d events (%v)", len(page.Events), err)
	}
}

func multipartBody(t *testing.T, fields map[string]string, filename, content string) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		w.WriteField(k, fields[k])
	}
	fw, err := w.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(content))
	w.Close()
	return &b, w.FormDataContentType()
}

func TestUploadThroughTheFormStoresAndShowsRejections(t *testing.T) {
	env := webtest.New(t, events.Register)
	c := env.Login("analyst")
	body, ctype := multipartBody(t, map[string]string{"format": "", "feed": "sensor-7", "tlp": "TLP:GREEN"},
		"alerts.json", alerts(1, []string{"198.51.100.8", "198.51.100.9"}, time.Now()))
	resp, b, err := c.Do("POST", "/ingest?csrf="+url.QueryEscape(c.CSRF), body, ctype)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Request.URL.Path, "/ingest/") {
		t.Fatalf("upload: %s at %s\n%.500s", resp.Status, resp.Request.URL, b)
	}
	var id int64
	fmt.Sscanf(strings.TrimPrefix(resp.Request.URL.Path, "/ingest/"), "%d", &id)
	r := waitRun(t, c, id)
	if r.Accepted != 6 || r.Rejected != 1 || r.TLP != "TLP:GREEN" {
		t.Errorf("run %+v", r)
	}
	_, page := c.Get(fmt.Sprintf("/ingest/%d", id))
	if !strings.Contains(page, "missing timestamp") || strings.Contains(page, `http-equiv="refresh"`) {
		t.Errorf("the finished run's page lacks its rejection or still refreshes:\n%s", page)
	}
	var res searchAnswer
	if err := c.GetJSON("/api/v1/events?feed=sensor-7", &res); err != nil || len(res.Events) != 6 {
		t.Errorf("search by the upload's feed: %d events, %v", len(res.Events), err)
	}

	// The same through the raw API, as a stream: duplicates now.
	api := env.WithToken("analyst")
	r = streamIngest(t, env, api, "format=eve&feed=sensor-7&tlp=GREEN", alerts(1, []string{"198.51.100.8", "198.51.100.9"}, time.Now()))
	if r.Accepted != 0 || r.Rejected != 1 || r.Records != 7 {
		t.Errorf("stream run %+v", r)
	}
	var rej struct {
		Total      int `json:"total"`
		Rejections []struct {
			Line   int64  `json:"line"`
			Reason string `json:"reason"`
		} `json:"rejections"`
	}
	if err := api.GetJSON(fmt.Sprintf("/api/v1/ingest/%d/rejections", r.ID), &rej); err != nil {
		t.Fatal(err)
	}
	if rej.Total != 1 || rej.Rejections[0].Line != 7 || !strings.Contains(rej.Rejections[0].Reason, "timestamp") {
		t.Errorf("rejections %+v", rej)
	}

	// An input no decoder reads is refused at once, with the reason.
	resp, b, err = api.Do("POST", "/api/v1/ingest", strings.NewReader("hello\nworld\n"), "text/plain")
	if err != nil || resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("unreadable stream: %v %s %s", err, resp.Status, b)
	}
	resp, b, err = api.Do("POST", "/api/v1/ingest", strings.NewReader(""), "text/plain")
	if err != nil || resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("empty stream: %v %s %s", err, resp.Status, b)
	}
	body, ctype = multipartBody(t, map[string]string{"tlp": "purple"}, "x.json", "{}")
	resp, b, err = c.Do("POST", "/ingest?csrf="+url.QueryEscape(c.CSRF), body, ctype)
	if err != nil || resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "not a TLP label") {
		t.Errorf("bad TLP: %v %s %.300s", err, resp.Status, b)
	}
}

func TestRejectionsFollowTheRunsMarking(t *testing.T) {
	s := seed(t)
	run := s.runs[event.TLPAmber]
	for user, labels := range visible {
		c := s.env.WithToken(user)
		if !webtestPrincipal(user).Can(auth.Ingest) {
			continue
		}
		want := http.StatusNotFound
		if slices.Contains(labels, event.TLPAmber) {
			want = http.StatusOK
		}
		for _, path := range []string{fmt.Sprintf("/api/v1/ingest/%d", run), fmt.Sprintf("/api/v1/ingest/%d/rejections", run)} {
			if code, _ := c.Get(path); code != want {
				t.Errorf("%s: GET %s: %d, want %d", user, path, code, want)
			}
		}
		var runs struct{ Runs []runAnswer }
		if err := c.GetJSON("/api/v1/ingests", &runs); err != nil {
			t.Fatal(err)
		}
		for _, r := range runs.Runs {
			tlp, _ := event.ParseTLP(r.TLP)
			if !slices.Contains(labels, tlp) {
				t.Errorf("%s: run list shows a %s run", user, r.TLP)
			}
		}
	}
}

func TestUnsafeRequestsNeedTheCSRFToken(t *testing.T) {
	env := webtest.New(t, events.Register)
	c := env.Login("analyst")
	token := c.CSRF
	c.CSRF = ""
	body, ctype := multipartBody(t, map[string]string{"format": "eve"}, "alerts.json", alerts(1, []string{"198.51.100.7"}, time.Now()))
	resp, _, err := c.Do("POST", "/ingest", body, ctype)
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("upload without a CSRF token: %v %v, want 403", err, resp.Status)
	}
	resp, _, err = c.Do("POST", "/api/v1/ingest?format=eve", strings.NewReader(alerts(1, []string{"198.51.100.7"}, time.Now())), "application/x-ndjson")
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("stream with the cookie and no CSRF token: %v %v, want 403", err, resp.Status)
	}
	body, ctype = multipartBody(t, map[string]string{"format": "eve"}, "alerts.json", alerts(1, []string{"198.51.100.7"}, time.Now()))
	resp, _, err = c.Do("POST", "/ingest?csrf=wrong"+url.QueryEscape(token), body, ctype)
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("upload with a wrong CSRF token: %v %v, want 403", err, resp.Status)
	}
	page, err := env.Store.SearchEvents(context.Background(), store.EventQuery{TLPs: []event.TLP{0, 1, 2, 3, 4}})
	if err != nil || len(page.Events) != 0 {
		t.Errorf("refused uploads stored %d events (%v)", len(page.Events), err)
	}
}

func TestRequestsDueSoonFollowClearanceAndRole(t *testing.T) {
	env := webtest.New(t, events.Register)
	now := time.Now().UTC()
	ids := map[event.TLP]int64{}
	err := env.Store.Change(context.Background(), "test", func(tx store.CaseTx) error {
		for i, tlp := range []event.TLP{event.TLPGreen, event.TLPAmber} {
			id, err := tx.CreateRequest(store.Request{Direction: store.Outgoing, Type: "preservation", From: webtest.Self, To: webtest.Partner,
				Status: "submitted", Fields: []byte(`{}`), TLP: tlp, Created: now, Submitted: now, Due: now.Add(time.Duration(10+i) * time.Hour), Updated: now})
			if err != nil {
				return err
			}
			ids[tlp] = id
		}
		// Due in a week: not listed.
		_, err := tx.CreateRequest(store.Request{Direction: store.Outgoing, Type: "preservation", From: webtest.Self, To: webtest.Partner,
			Status: "submitted", Fields: []byte(`{}`), TLP: event.TLPClear, Created: now, Submitted: now, Due: now.Add(7 * 24 * time.Hour), Updated: now})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string][]int64{
		"analyst": {ids[event.TLPGreen], ids[event.TLPAmber]},
		"liaison": {ids[event.TLPGreen], ids[event.TLPAmber]},
		"green":   {ids[event.TLPGreen]},
		"partner": {ids[event.TLPGreen]},
		"viewer":  nil, // may not read requests
	} {
		var dash struct {
			Requests []struct{ ID int64 } `json:"requests_due"`
		}
		if err := env.WithToken(user).GetJSON("/api/v1/dashboard", &dash); err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range dash.Requests {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: requests due %v, want %v", user, got, want)
		}
	}
}
