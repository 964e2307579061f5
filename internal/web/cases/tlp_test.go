package cases_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/web"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// marked is what the TLP test stores under one marking: a case, its
// evidence, its request, an assessment kept in it, and the same kinds of
// item linked into a GREEN case everyone cleared for GREEN may open.
type marked struct {
	tlp        event.TLP
	slug       string
	caseID     int64
	evidence   int64
	request    int64
	assessment int64
	// In the shared GREEN case: an evidence record, a request and a note.
	sharedEvidence, sharedRequest int64
}

func slug(t event.TLP) string {
	return strings.NewReplacer("TLP:", "", "+", "-").Replace(strings.ToLower(t.String()))
}

// seedMarkings stores one of everything under each TLP label.
func seedMarkings(t *testing.T, f *fixture) (shared int64, all []marked) {
	ctx := context.Background()
	shared = f.openCase("shared-green-case", event.TLPGreen).ID
	for _, tlp := range []event.TLP{event.TLPClear, event.TLPGreen, event.TLPAmber, event.TLPAmberStrict, event.TLPRed} {
		m := marked{tlp: tlp, slug: slug(tlp)}
		m.caseID = f.openCase("case-"+m.slug, tlp).ID
		m.evidence = f.addEvidence(m.caseID, "file-"+m.slug+".txt", []byte("bytes-"+m.slug), tlp).ID
		m.request = f.createRequest(m.caseID, tlp).ID
		doc := fmt.Sprintf(`{"title":"assessment-%s","tlp":%q}`, m.slug, tlp.String())
		if _, err := f.node.Link(ctx, m.caseID, coop.Links{Assessments: []coop.File{{Name: "a.json", Read: func() ([]byte, error) { return []byte(doc), nil }}}}); err != nil {
			t.Fatal(err)
		}
		evs, _ := f.env.Store.EvidenceList(ctx, m.caseID)
		m.assessment = evs[len(evs)-1].ID
		m.sharedEvidence = f.addEvidence(shared, "shared-"+m.slug+".txt", []byte("shared-bytes-"+m.slug), tlp).ID
		r, err := f.node.CreateRequest(ctx, coop.NewRequest{CaseID: shared, Type: casework.Takedown, To: webtest.Partner, TLP: tlp.String(),
			Fields: map[string]any{"requesting_authority": "CERT Polska", "target": "http://" + m.slug + ".example/", "action": "takedown", "evidence_summary": "phishing kit " + m.slug}})
		if err != nil {
			t.Fatal(err)
		}
		m.sharedRequest = r.ID
		all = append(all, m)
	}
	return shared, all
}

// TestMarkingsAreEnforcedOnEveryRead stores a case, evidence, a request
// and an assessment under each TLP label and reads them as users of this
// agency with different clearances and as a partner agency's user: what
// a user may not receive is absent from every list and page and API
// answer, and answers 404 when asked for directly (reads, downloads,
// verification, linking, export, assessment).
func TestMarkingsAreEnforcedOnEveryRead(t *testing.T) {
	f := newFixture(t)
	partnerNode(t, f, webtest.Partner, "DE", true)
	shared, all := seedMarkings(t, f)
	for _, user := range []string{"analyst", "liaison", "green", "partner"} {
		t.Run(user, func(t *testing.T) {
			p := principal(user)
			c := f.env.Login(user)
			api := f.env.WithToken(user)
			_, casesPage := c.Get("/cases")
			_, casesAPI := c.Get("/api/v1/cases")
			_, requestsPage := c.Get("/requests")
			_, requestsAPI := c.Get("/api/v1/requests")
			sharedStatus, sharedPage := c.Get(fmt.Sprintf("/cases/%d", shared))
			_, sharedAPI := c.Get(fmt.Sprintf("/api/v1/cases/%d", shared))
			var sharedCase struct{ Requests []struct{ ID int64 } }
			json.Unmarshal([]byte(sharedAPI), &sharedCase)
			var sharedRequests []int64
			for _, r := range sharedCase.Requests {
				sharedRequests = append(sharedRequests, r.ID)
			}
			if sharedStatus != http.StatusOK {
				t.Fatalf("the GREEN case: %d", sharedStatus)
			}
			for _, m := range all {
				may := p.MayReceive(casework.Marking{TLP: m.tlp}, webtest.Self, nil)
				// check expects 200 for what the user may receive, 404 for
				// the rest, and 403 where the user's roles lack action.
				check := func(what string, action auth.Action, got int) {
					t.Helper()
					want := http.StatusNotFound
					switch {
					case !p.Can(action):
						want = http.StatusForbidden
					case may:
						want = http.StatusOK
					}
					if got != want {
						t.Errorf("%s %s: %d, want %d", m.tlp, what, got, want)
					}
				}
				shows := func(what, body, needle string) {
					t.Helper()
					if strings.Contains(body, needle) != may {
						t.Errorf("%s: %s shows %q: %v, may receive: %v", m.tlp, what, needle, !may, may)
					}
				}
				shows("cases page", casesPage, "case-"+m.slug)
				shows("cases API", casesAPI, "case-"+m.slug)
				shows("requests page", requestsPage, fmt.Sprintf(`href="/requests/%d"`, m.request))
				shows("requests API", requestsAPI, fmt.Sprintf(`"id": %d,`, m.request))
				shows("GREEN case page", sharedPage, "shared-"+m.slug+".txt")
				shows("GREEN case page", sharedPage, fmt.Sprintf(`href="/requests/%d"`, m.sharedRequest))
				shows("GREEN case API", sharedAPI, "shared-"+m.slug+".txt")
				if slices.Contains(sharedRequests, m.sharedRequest) != may {
					t.Errorf("%s: the GREEN case's API lists request %d: %v", m.tlp, m.sharedRequest, !may)
				}

				for _, path := range []string{"/cases/%d", "/api/v1/cases/%d"} {
					s, _ := c.Get(fmt.Sprintf(path, m.caseID))
					check(path, auth.ReadCases, s)
				}
				for _, path := range []string{"/evidence/%d", "/api/v1/evidence/%d"} {
					s, _ := c.Get(fmt.Sprintf(path, m.evidence))
					check(path, auth.ReadEvidence, s)
					s, _ = c.Get(fmt.Sprintf(path, m.sharedEvidence))
					check(path+" (in the GREEN case)", auth.ReadEvidence, s)
				}
				s, body := c.Get(fmt.Sprintf("/evidence/%d/file?purpose=test", m.evidence))
				check("download", auth.ExportEvidence, s)
				if (may && p.Can(auth.ExportEvidence)) != (body == "bytes-"+m.slug) {
					t.Errorf("%s download: %q", m.tlp, body)
				}
				s, body = api.Get(fmt.Sprintf("/api/v1/evidence/%d/file", m.sharedEvidence))
				check("download from the GREEN case", auth.ExportEvidence, s)
				if (may && p.Can(auth.ExportEvidence)) != (body == "shared-bytes-"+m.slug) {
					t.Errorf("%s download: %q", m.tlp, body)
				}
				for _, path := range []string{"/requests/%d", "/api/v1/requests/%d"} {
					s, _ := c.Get(fmt.Sprintf(path, m.request))
					check(path, auth.ReadRequests, s)
					s, _ = c.Get(fmt.Sprintf(path, m.sharedRequest))
					check(path+" (in the GREEN case)", auth.ReadRequests, s)
				}
				s, _ = c.Get(fmt.Sprintf("/assessments/%d", m.assessment))
				check("assessment", auth.ReadEvidence, s)
				s, _ = c.Get(fmt.Sprintf("/api/v1/assessments/%d", m.assessment))
				check("assessment API", auth.ReadEvidence, s)
				s, _ = c.Get(fmt.Sprintf("/assess?case=%d", m.caseID))
				check("assess form", auth.Assess, s)
				// Writes on what one may not receive are refused the same way.
				if !may {
					refused := func(what string, status int) {
						t.Helper()
						if status != http.StatusNotFound && status != http.StatusForbidden {
							t.Errorf("%s %s: %d, want 404 (or 403 for a role without the action)", m.tlp, what, status)
						}
					}
					code, _ := postJSON(t, api, fmt.Sprintf("/api/v1/cases/%d/items", m.caseID), map[string]any{"notes": []string{"x"}})
					refused("link", code)
					code, _ = postJSON(t, api, fmt.Sprintf("/api/v1/evidence/%d/verify", m.evidence), nil)
					refused("verify", code)
					code, _ = postJSON(t, api, fmt.Sprintf("/api/v1/evidence/%d/hold", m.evidence), map[string]any{"hold": true, "reason": "x"})
					refused("hold", code)
					code, _ = postJSON(t, api, fmt.Sprintf("/api/v1/requests/%d/move", m.request), map[string]any{"to": "withdrawn"})
					refused("move", code)
					code, _ = postJSON(t, api, fmt.Sprintf("/api/v1/requests/%d/export", m.request), nil)
					refused("export", code)
					code, _ = postJSON(t, api, "/api/v1/requests", map[string]any{"case": m.caseID, "type": "takedown", "to": webtest.Partner,
						"fields": map[string]any{"requesting_authority": "x", "target": "x", "action": "takedown", "evidence_summary": "x"}})
					if code != http.StatusBadRequest && code != http.StatusForbidden {
						t.Errorf("%s: a request in a case one may not read: %d", m.tlp, code)
					}
					resp, _ := upload(t, api, fmt.Sprintf("/api/v1/cases/%d/evidence", m.caseID), nil, "file", "x.txt", []byte("x"))
					refused("add evidence", resp.StatusCode)
				}
			}
		})
	}
}

// principal is the auth principal of a webtest user.
func principal(name string) auth.Principal {
	for _, u := range webtest.Users {
		if u.Name == name {
			return web.PrincipalOf(u)
		}
	}
	panic("no user " + name)
}
