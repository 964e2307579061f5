package cases_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/event"
)

// benchCase is a case as a busy one looks: notes, evidence with custody,
// requests with a status history.
func benchCase(b *testing.B, f *fixture) (caseID, requestID int64) {
	ctx := context.Background()
	cs := f.openCase("benchmark", event.TLPAmber)
	for i := range 5 {
		f.addEvidence(cs.ID, fmt.Sprintf("file-%d.txt", i), []byte(fmt.Sprint("evidence ", i)), event.TLPAmber)
	}
	var notes []string
	for i := range 20 {
		notes = append(notes, fmt.Sprint("note ", i))
	}
	if _, err := f.node.Link(ctx, cs.ID, coop.Links{Notes: notes}); err != nil {
		b.Fatal(err)
	}
	for range 3 {
		r := f.createRequest(cs.ID, event.TLPAmber)
		for _, s := range []casework.Status{casework.StatusSubmitted, casework.StatusAcknowledged, casework.StatusUnderReview} {
			if _, err := f.node.MoveRequest(ctx, coop.Move{ID: r.ID, To: s}); err != nil {
				b.Fatal(err)
			}
		}
		requestID = r.ID
	}
	return cs.ID, requestID
}

func benchGet(b *testing.B, path string) {
	f := newFixture(b)
	caseID, requestID := benchCase(b, f)
	c := f.env.WithToken("analyst")
	url := fmt.Sprintf(path, caseID)
	if path == "/api/v1/requests/%d" {
		url = fmt.Sprintf(path, requestID)
	}
	for b.Loop() {
		resp, _, err := c.Do(http.MethodGet, url, nil, "")
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("%v %v", err, resp)
		}
	}
}

// BenchmarkCaseRead reads a case with its timeline through the API, over
// a real socket, as an API token holder.
func BenchmarkCaseRead(b *testing.B) { benchGet(b, "/api/v1/cases/%d") }

// BenchmarkRequestRead reads a request with its history through the API.
func BenchmarkRequestRead(b *testing.B) { benchGet(b, "/api/v1/requests/%d") }
