// Package cases is the casework area of `concord serve`: cases with their
// timeline and linked items, evidence with its chain of custody, requests
// for assistance with their deadlines, signed packages out and in, the
// partner directory, and assessments built from a case. Each page has a
// JSON twin under /api/v1.
//
// Every change goes through package coop, the same code the command line
// runs, so a page and a command do the same thing the same way. The coop
// Node each handler acts through carries the caller's receiving rules:
// an item the caller may not receive (a case, a request, an evidence
// record, an event, a victim report) answers 404 like a missing one, and
// lists leave it out.
package cases

import (
	"embed"
	"errors"
	"fmt"
	"net/http"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
)

//go:embed templates/*.tmpl
var templates embed.FS

// stylesheet holds the area's few rules beyond the core stylesheet.
//
//go:embed assets/cases.css
var stylesheet []byte

// area is the cases area of one server.
type area struct {
	pages web.Pages
	bg    *backgrounds
}

// Register adds the cases area's routes to s.
func Register(s *web.Server) error {
	a := &area{pages: s.MustParsePages(templates, "templates/*.tmpl"), bg: &backgrounds{st: s.Store}}
	upload := s.Cfg.MaxUpload
	if upload <= 0 {
		upload = 1 << 30
	}
	const form = 1 << 20
	for _, rt := range []web.Route{
		{Method: "GET", Path: "/cases", Action: auth.ReadCases, Summary: "Cases the caller may receive, and the form to open one", Handler: a.casesPage},
		{Method: "GET", Path: "/api/v1/cases", Action: auth.ReadCases, Summary: "Cases the caller may receive", Handler: a.casesAPI},
		{Method: "POST", Path: "/cases", Action: auth.WriteCases, Summary: "Open a case (title, tlp, pap, report)", Handler: a.openCase, MaxBody: form},
		{Method: "POST", Path: "/api/v1/cases", Action: auth.WriteCases, Summary: "Open a case", Handler: a.openCase, MaxBody: form},
		{Method: "GET", Path: "/cases/{id}", Action: auth.ReadCases, Summary: "A case: timeline, linked items, evidence, requests", Handler: a.casePage},
		{Method: "GET", Path: "/api/v1/cases/{id}", Action: auth.ReadCases, Summary: "A case with its timeline, items, evidence and requests", Handler: a.caseAPI},
		{Method: "POST", Path: "/cases/{id}/items", Action: auth.WriteCases, Summary: "Link events, victim reports, notes and tasks to a case", Handler: a.linkItems, MaxBody: form},
		{Method: "POST", Path: "/api/v1/cases/{id}/items", Action: auth.WriteCases, Summary: "Link events, victim reports, notes and tasks to a case", Handler: a.linkItems, MaxBody: form},

		{Method: "POST", Path: "/cases/{id}/evidence", Action: auth.AddEvidence, Summary: "Add a file to a case as evidence (multipart upload into the vault)", Handler: a.addEvidence, MaxBody: upload},
		{Method: "POST", Path: "/api/v1/cases/{id}/evidence", Action: auth.AddEvidence, Summary: "Add a file to a case as evidence (multipart, or the raw body with name, description, tlp and purpose in the query)", Handler: a.addEvidence, MaxBody: upload},
		{Method: "GET", Path: "/evidence/{id}", Action: auth.ReadEvidence, Summary: "An evidence record with its chain of custody", Handler: a.evidencePage},
		{Method: "GET", Path: "/api/v1/evidence/{id}", Action: auth.ReadEvidence, Summary: "An evidence record with its chain of custody", Handler: a.evidenceAPI},
		{Method: "GET", Path: "/evidence/{id}/file", Action: auth.ExportEvidence, Summary: "Download an evidence file, verified against its SHA-256; recorded in its chain of custody", Handler: a.evidenceFile},
		{Method: "GET", Path: "/api/v1/evidence/{id}/file", Action: auth.ExportEvidence, Summary: "Download an evidence file, verified against its SHA-256; recorded in its chain of custody", Handler: a.evidenceFile},
		{Method: "POST", Path: "/evidence/{id}/verify", Action: auth.ReadEvidence, Summary: "Check an evidence file against its SHA-256", Handler: a.verifyEvidence, MaxBody: form},
		{Method: "POST", Path: "/api/v1/evidence/{id}/verify", Action: auth.ReadEvidence, Summary: "Check an evidence file against its SHA-256", Handler: a.verifyEvidence, MaxBody: form},
		{Method: "POST", Path: "/evidence/{id}/hold", Action: auth.WriteCases, Summary: "Set or release the legal hold on evidence", Handler: a.legalHold, MaxBody: form},
		{Method: "POST", Path: "/api/v1/evidence/{id}/hold", Action: auth.WriteCases, Summary: "Set or release the legal hold on evidence", Handler: a.legalHold, MaxBody: form},

		{Method: "GET", Path: "/requests", Action: auth.ReadRequests, Summary: "Requests for assistance with their deadlines", Handler: a.requestsPage},
		{Method: "GET", Path: "/api/v1/requests", Action: auth.ReadRequests, Summary: "Requests for assistance with their deadlines (overdue, expiring filters)", Handler: a.requestsAPI},
		{Method: "GET", Path: "/requests/new", Action: auth.WriteRequests, Summary: "The form of a new request, from its type's fields", Handler: a.newRequestPage},
		{Method: "GET", Path: "/api/v1/request-types", Action: auth.ReadRequests, Summary: "Request types with their fields, mandatory first", Handler: a.requestTypesAPI},
		{Method: "POST", Path: "/requests", Action: auth.WriteRequests, Summary: "Draft a request for assistance", Handler: a.createRequest, MaxBody: form},
		{Method: "POST", Path: "/api/v1/requests", Action: auth.WriteRequests, Summary: "Draft a request for assistance", Handler: a.createRequest, MaxBody: form},
		{Method: "GET", Path: "/requests/{id}", Action: auth.ReadRequests, Summary: "A request: fields, status history, next statuses", Handler: a.requestPage},
		{Method: "GET", Path: "/api/v1/requests/{id}", Action: auth.ReadRequests, Summary: "A request with its fields, status history and next statuses", Handler: a.requestAPI},
		{Method: "POST", Path: "/requests/{id}/move", Action: auth.WriteRequests, Summary: "Move a request to its next status", Handler: a.moveRequest, MaxBody: form},
		{Method: "POST", Path: "/api/v1/requests/{id}/move", Action: auth.WriteRequests, Summary: "Move a request to its next status", Handler: a.moveRequest, MaxBody: form},
		{Method: "POST", Path: "/requests/{id}/export", Action: auth.ExportPackages, Summary: "Download the request (or its status, for a received one) as a signed package", Handler: a.exportRequest, MaxBody: form},
		{Method: "POST", Path: "/api/v1/requests/{id}/export", Action: auth.ExportPackages, Summary: "The request (or its status) as a signed package file", Handler: a.exportRequest, MaxBody: form},
		{Method: "GET", Path: "/packages/import", Action: auth.ImportPackages, Summary: "The form to import a partner's signed package", Handler: a.importPage},
		{Method: "POST", Path: "/packages/import", Action: auth.ImportPackages, Summary: "Import a partner's signed package (multipart upload)", Handler: a.importPackage, MaxBody: coop.MaxPackage + 1<<20},
		{Method: "POST", Path: "/api/v1/packages/import", Action: auth.ImportPackages, Summary: "Import a partner's signed package (the raw file, or multipart)", Handler: a.importPackage, MaxBody: coop.MaxPackage + 1<<20},
		{Method: "GET", Path: "/partners", Action: auth.ReadRequests, Summary: "Partner directory: agencies, 24/7 contacts, channels, key fingerprints", Handler: a.partnersPage},
		{Method: "GET", Path: "/api/v1/partners", Action: auth.ReadRequests, Summary: "Partner directory", Handler: a.partnersAPI},

		{Method: "GET", Path: "/assess", Action: auth.Assess, Summary: "The assessment form (prefilled from a case's events with ?case=ID)", Handler: a.assessPage},
		{Method: "POST", Path: "/assess", Action: auth.Assess, Summary: "Run an assessment; kept in its case when one is given", Handler: a.assessSubmit, MaxBody: 2 * assessMaxInput},
		{Method: "POST", Path: "/api/v1/assessments", Action: auth.Assess, Summary: "Run an assessment (JSON input as for concord assess; ?case=ID keeps it in the case)", Handler: a.assessAPI, MaxBody: assessMaxInput},
		{Method: "GET", Path: "/assessments/{id}", Action: auth.ReadEvidence, Summary: "An assessment kept in a case", Handler: a.assessmentPage},
		{Method: "GET", Path: "/assessments/{id}/document", Action: auth.ReadEvidence, Summary: "An assessment kept in a case as one standalone HTML page", Handler: a.assessmentDocument},
		{Method: "GET", Path: "/api/v1/assessments/{id}", Action: auth.ReadEvidence, Summary: "An assessment kept in a case", Handler: a.assessmentAPI},
		{Method: "GET", Path: "/assets-cases/cases.css", Access: web.Public, Summary: "The cases area's stylesheet", Handler: serveStylesheet},
	} {
		s.Handle(rt)
	}
	return nil
}

func serveStylesheet(c *web.Ctx) error {
	h := c.W.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	_, err := c.W.Write(stylesheet)
	return err
}

// workflow returns the cooperation workflow acting for the caller: whatever
// it reads on the caller's behalf must be receivable by the caller.
func workflow(c *web.Ctx) *coop.Node {
	self := c.Self()
	return &coop.Node{St: c.S.Store, Data: c.S.Cfg.Data, Actor: c.P.User, Deadlines: c.S.Cfg.Deadlines, Now: c.S.Cfg.Now,
		Receive: func(m casework.Marking) bool { return c.MayReceive(m, self, nil) }}
}

// fail turns a workflow error into an answer: a refused or missing item is
// 404 without detail (the two must look alike), a mistake of the caller's
// is 400 with what to fix, a replayed or duplicate package 409.
func fail(err error) error {
	var p *coop.Problem
	var inc *coop.IncompleteError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &inc):
		return web.Errorf(http.StatusBadRequest, "%s", inc.Error())
	case errors.Is(err, store.ErrReplay):
		return web.Errorf(http.StatusConflict, "%s", err.Error())
	case errors.As(err, &p):
		return web.Errorf(http.StatusBadRequest, "%s", p.Error())
	case errors.Is(err, store.ErrNotFound):
		return web.NotFound()
	case errors.Is(err, store.ErrExists):
		return web.Errorf(http.StatusConflict, "%s", err.Error())
	}
	return err
}

// read fills v with the request's input: the JSON body on the API, else
// what form reads from the page's form.
func read(c *web.Ctx, v any, form func() error) error {
	if api(c) {
		return c.DecodeJSON(v)
	}
	return form()
}

// shown returns err as a page shows it beside its form (a 400 or a 409
// answering a page), nil when err is answered as it is.
func shown(c *web.Ctx, err error) *web.Error {
	var e *web.Error
	if api(c) || !errors.As(err, &e) || (e.Status != http.StatusBadRequest && e.Status != http.StatusConflict) {
		return nil
	}
	return e
}

// api reports whether the request came to the JSON API.
func api(c *web.Ctx) bool { return len(c.R.URL.Path) >= 8 && c.R.URL.Path[:8] == "/api/v1/" }

// redirect answers a form with 303 to the page that shows its result.
func redirect(c *web.Ctx, format string, args ...any) error {
	http.Redirect(c.W, c.R, fmt.Sprintf(format, args...), http.StatusSeeOther)
	return nil
}

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// tlpOptions returns the labels the caller may receive on items owned by
// owner, with selected chosen.
func tlpOptions(c *web.Ctx, owner string, selected event.TLP) []option {
	var out []option
	for _, t := range c.TLPs(owner) {
		out = append(out, option{Value: t.String(), Label: t.String(), Selected: t == selected})
	}
	return out
}

func papOptions(selected string) []option {
	var out []option
	for _, p := range []casework.PAP{casework.PAPClear, casework.PAPGreen, casework.PAPAmber, casework.PAPRed} {
		out = append(out, option{Value: p.String(), Label: p.String() + " — " + p.Description(), Selected: p.String() == selected})
	}
	return out
}
