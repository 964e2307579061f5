package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/vault"
	"github.com/concord-cert/concord/internal/web"
	"github.com/concord-cert/concord/internal/web/app"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// labels are the TLP labels every kind of item is seeded with.
var labels = []event.TLP{event.TLPClear, event.TLPGreen, event.TLPAmber, event.TLPAmberStrict, event.TLPRed}

// marker is the text that identifies one seeded item: the label and the
// kind, ending in a dash so that "amber-" never matches "amberstrict-".
func marker(t event.TLP, kind string) string { return labelMarker(t) + kind + "-" }

// labelMarker is the start every marker of label t shares.
func labelMarker(t event.TLP) string {
	return "zqmark-" + strings.ToLower(strings.NewReplacer("TLP:", "", "+", "").Replace(t.String())) + "-"
}

// seeded is what seedMarked stored: the path values that name each item.
type seeded struct {
	eventKeys []string
	addrs     []string
	ids       []string // case, evidence, request and ingest ids: small integers
	refs      []string // victim report references
}

// seedMarked stores, for every TLP label, one event, one case, one
// evidence file, one request and one victim report, each carrying its
// label's marker text.
func seedMarked(t *testing.T, env *webtest.Env) seeded {
	t.Helper()
	ctx := context.Background()
	st := env.Store
	var s seeded
	run, err := st.BeginIngest(ctx, store.IngestRun{Path: "matrix", Format: "test", Feed: "matrix", Started: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	b := &store.Batch{IngestID: run}
	var h event.Hasher
	now := time.Now().UTC().Truncate(time.Second)
	for i, l := range labels {
		ip := netip.AddrFrom4([4]byte{198, 51, 100, byte(10 + i)})
		e := event.Event{
			TimeSource:      now.Add(-time.Duration(i+1) * time.Hour),
			TimeObservation: now,
			Feed:            event.Feed{Name: marker(l, "feed")},
			Source:          event.Endpoint{IP: ip, Port: 4444, CC: "DE", ASN: 3320},
			Destination:     event.Endpoint{IP: netip.AddrFrom4([4]byte{203, 0, 113, byte(10 + i)}), Port: 443, CC: "PL", ASN: 5617},
			Malware:         marker(l, "malware"),
			Text:            marker(l, "signature"),
			TLP:             l,
		}
		e.SetClass(event.ClassInfected)
		k := store.KeyOf(h.Sum(&e), e.TimeSource)
		b.Events = append(b.Events, e)
		b.Keys = append(b.Keys, k)
		s.eventKeys = append(s.eventKeys, fmt.Sprintf("%x", k[:]))
		s.addrs = append(s.addrs, ip.String())
	}
	if _, err := st.WriteBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishIngest(ctx, run, "done"); err != nil {
		t.Fatal(err)
	}
	v, err := vault.Open(filepath.Join(env.Server.Cfg.Data, "vault"))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range labels {
		obj, err := v.Put(strings.NewReader(marker(l, "evidence-content")))
		if err != nil {
			t.Fatal(err)
		}
		err = st.Change(ctx, "matrix", func(tx store.CaseTx) error {
			id, err := tx.OpenCase(store.Case{Title: marker(l, "case"), TLP: l, PAP: "AMBER", Status: "open", Opened: now})
			if err != nil {
				return err
			}
			if _, _, err := tx.AddEvidence(store.EvidenceRecord{CaseID: id, SHA256: obj.SHA256, Size: obj.Size,
				Name: marker(l, "evidence") + ".txt", Description: marker(l, "evidence-description"), TLP: l,
				Acquired: now, AcquiredBy: "analyst"}, "seeded"); err != nil {
				return err
			}
			fields := fmt.Sprintf(`{"summary_of_facts":%q}`, marker(l, "request"))
			if _, err := tx.CreateRequest(store.Request{CaseID: id, Direction: store.Outgoing, Type: "preservation",
				From: webtest.Self, To: webtest.Partner, Status: string(casework.StatusSubmitted), Fields: []byte(fields),
				TLP: l, Created: now, Submitted: now, Due: now.Add(time.Duration(i+1) * 24 * time.Hour), Updated: now}); err != nil {
				return err
			}
			ref := fmt.Sprintf("VR-2026-ZQ%02d-%04d", i, i)
			s.refs = append(s.refs, ref)
			return tx.AddVictimReport(store.VictimReport{Reference: ref, Received: now, Status: "received",
				StatusChanged: now, TLP: l, Body: []byte(fmt.Sprintf(`{"what_happened":%q}`, marker(l, "victim")))})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= len(labels)+1; i++ {
		s.ids = append(s.ids, fmt.Sprint(i))
	}
	return s
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)(\.\.\.)?\}`)

// expand returns every concrete path of a route pattern, one per seeded
// value of each of its parameters.
func expand(t *testing.T, path string, s seeded) []string {
	m := pathParam.FindStringSubmatch(path)
	if m == nil {
		return []string{path}
	}
	var vals []string
	switch m[1] {
	case "id":
		vals = s.ids
	case "key":
		vals = s.eventKeys
	case "addr", "ip":
		vals = s.addrs
	case "ref":
		vals = s.refs
	case "name":
		// Chart names and user names.
		vals = []string{"map.svg", "trend.svg", "c2-countries.svg", "analyst", "partner"}
	case "kind":
		vals = []string{"tor"}
	default:
		t.Fatalf("the matrix test does not know what to put in {%s} of %s; teach it", m[1], path)
	}
	var out []string
	for _, v := range vals {
		out = append(out, expand(t, strings.Replace(path, m[0], v, 1), s)...)
	}
	return out
}

// principals are every kind of caller: each staff user by session, the
// same users by API token, and an anonymous visitor.
type caller struct {
	name string
	p    auth.Principal
	c    *webtest.Client
	// receives is the strictest label the caller may receive on this
	// node's items, written out here rather than asked of package auth,
	// so that a fault in auth's rules fails this test.
	receives event.TLP
}

// receives is what each test user may receive of items owned by the node's
// agency (cert-pl) that name no recipients: its own staff up to their
// clearance but never TLP:RED (RED needs a named recipient); the user
// cleared for GREEN up to GREEN; the partner agency's user only the
// community labels, whatever its clearance.
var receives = map[string]event.TLP{
	"admin": event.TLPAmberStrict, "analyst": event.TLPAmberStrict, "liaison": event.TLPAmberStrict,
	"viewer": event.TLPAmberStrict, "green": event.TLPGreen, "partner": event.TLPGreen,
}

func callers(env *webtest.Env) []caller {
	var out []caller
	for _, u := range webtest.Users {
		p := web.PrincipalOf(u)
		r, ok := receives[u.Name]
		if !ok {
			panic("the matrix test does not know what user " + u.Name + " may receive")
		}
		out = append(out, caller{u.Name + " (session)", p, env.Login(u.Name), r})
		out = append(out, caller{u.Name + " (token)", p, env.WithToken(u.Name), r})
	}
	return append(out, caller{"anonymous", auth.Principal{}, env.Anonymous(), event.TLPClear})
}

// TestAuthorizationMatrix fetches every GET route of the server — pages,
// API, downloads, search — with every seeded value in its path and every
// caller, and checks that no answer contains the marker of an item the
// caller's agency may not receive under TLP 2.0; and that every route
// refuses a caller whose roles lack its action.
func TestAuthorizationMatrix(t *testing.T) {
	env := webtest.New(t, app.Areas...)
	s := seedMarked(t, env)
	all := callers(env)
	checked := 0
	// seen counts, per marker, the answers that showed it to a caller
	// allowed to receive it: the positive control that keeps this test
	// from passing because nothing is ever shown.
	seen := map[string]int{}
	for _, rt := range env.Server.Routes() {
		if rt.Path == "/assets/" {
			continue
		}
		for _, path := range expand(t, rt.Path, s) {
			for _, cl := range all {
				if rt.Method != http.MethodGet {
					checkRefused(t, rt, path, cl)
					continue
				}
				status, body := cl.c.Get(path + "?from=2020-01-01&to=2030-12-31")
				checked++
				if rt.Access == web.Staff && !cl.p.Can(rt.Action) {
					if status == http.StatusOK && !strings.Contains(body, `action="/login"`) {
						t.Errorf("%s GET %s: %d, want a refusal (the route needs %s)", cl.name, path, status, rt.Action)
					}
					continue
				}
				low := strings.ToLower(body)
				for _, l := range labels {
					if l <= cl.receives {
						for _, kind := range shownKinds {
							if strings.Contains(low, marker(l, kind)) {
								seen[marker(l, kind)]++
							}
						}
						continue
					}
					if i := strings.Index(low, labelMarker(l)); i >= 0 {
						t.Errorf("%s GET %s (%d) shows a %s item: …%s…", cl.name, path, status, l, low[max(0, i-80):min(len(low), i+80)])
					}
				}
			}
		}
	}
	t.Logf("%d GET answers checked across %d routes and %d callers", checked, len(env.Server.Routes()), len(all))
	// Every item up to TLP:AMBER+STRICT reaches someone through some page;
	// TLP:RED names no recipient here, so it reaches no one.
	for _, l := range labels[:4] {
		for _, kind := range shownKinds {
			if seen[marker(l, kind)] == 0 {
				t.Errorf("no answer showed %s to anyone allowed to see it: the matrix is not testing that item", marker(l, kind))
			}
		}
	}
}

// shownKinds are the seeded kinds some page shows in full.
var shownKinds = []string{"malware", "case", "evidence", "request"}

// checkRefused sends an unsafe request with a valid CSRF token but no body
// and checks that a caller without the route's action is refused before
// the handler runs.
func checkRefused(t *testing.T, rt web.Route, path string, cl caller) {
	t.Helper()
	if rt.Access == web.Public || cl.p.Can(rt.Action) {
		return
	}
	resp, _, err := cl.c.Do(rt.Method, path, strings.NewReader(""), "application/x-www-form-urlencoded")
	if err != nil {
		t.Fatal(err)
	}
	switch resp.StatusCode {
	case http.StatusForbidden, http.StatusUnauthorized:
	default:
		if !(cl.p.User == "" && strings.HasSuffix(resp.Request.URL.Path, "/login")) {
			t.Errorf("%s %s %s: %d, want 401 or 403 (the route needs %s)", cl.name, rt.Method, path, resp.StatusCode, rt.Action)
		}
	}
}
