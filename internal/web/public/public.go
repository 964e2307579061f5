package public

import (
	"context"
	"embed"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/vault"
	"github.com/concord-cert/concord/internal/web"
)

//go:embed templates/*.tmpl
var templates embed.FS

// maxReportJSON bounds a report's JSON through the API, as `concord victim
// submit` bounds its file.
const maxReportJSON = 1 << 20

// noReport is the one answer for a reference that is malformed, mistyped
// or unknown: a guesser learns nothing from the difference.
const noReport = "There is no report with that reference. Check it and try again: a reference looks like VR-2026-7K4M-Q9X1."

type handler struct {
	pages web.Pages
	guard *guard
	vault *vault.Vault
	// staging is where files wait until their report is valid.
	staging string
}

// Register adds the victim form, the status page and their JSON twins to
// s. The evidence vault lives in s.Cfg.Data, which must be set.
func Register(s *web.Server) error {
	if s.Cfg.Data == "" {
		return errors.New("public: the victim form needs a data directory for the evidence vault")
	}
	v, err := vault.Open(filepath.Join(s.Cfg.Data, "vault"))
	if err != nil {
		return err
	}
	h := &handler{
		pages:   s.MustParsePages(templates, "templates/*.tmpl"),
		guard:   newGuard(s.Cfg.Secure, s.Cfg.Now),
		vault:   v,
		staging: filepath.Join(s.Cfg.Data, "incoming"),
	}
	removeStale(h.staging, time.Now())
	for _, rt := range []web.Route{
		{Method: "GET", Path: "/report", Summary: "The victim's report form", Handler: h.form},
		{Method: "POST", Path: "/report", Summary: "File a victim report from the form, with up to 5 files", Handler: h.submit, MaxBody: maxBody},
		{Method: "GET", Path: "/report/status", Summary: "The form to look up a victim report's status by reference", Handler: h.statusForm},
		{Method: "POST", Path: "/report/status", Summary: "A victim report's status and its date, by reference", Handler: h.statusLookup, MaxBody: 16 << 10},
		{Method: "POST", Path: "/api/v1/victim-reports", Summary: "File a victim report: the intake record as JSON, or multipart with a 'report' JSON part and 'files'", Handler: h.apiSubmit, MaxBody: maxBody},
		{Method: "GET", Path: "/api/v1/victim-reports/{ref}/status", Summary: "A victim report's status and its date, by reference", Handler: h.apiStatus},
	} {
		rt.Access = web.Public
		s.Handle(rt)
	}
	return nil
}

// now is the time of a change, in UTC with the precision the store keeps.
func now(c *web.Ctx) time.Time { return c.S.Cfg.Now().UTC().Truncate(time.Microsecond) }

// actor names who filed a report in the audit log: a logged-in user
// filing for a victim, else the public form or API.
func actor(c *web.Ctx, via string) string {
	if c.User != nil {
		return c.User.Name
	}
	return via
}

func (h *handler) form(c *web.Ctx) error {
	f := newForm(url.Values{})
	f.Token = h.guard.issue(c.W, c.R)
	return c.Render(h.pages, "report", "Report a cyber attack", f)
}

// again shows the form once more with what the victim typed and why it
// was not taken.
func (h *handler) again(c *web.Ctx, status int, f *victimForm) error {
	f.Token = h.guard.issue(c.W, c.R)
	return c.RenderStatus(status, h.pages, "report", "Report a cyber attack", f)
}

func (h *handler) submit(c *web.Ctx) error {
	if err := c.PublicLimit(); err != nil {
		return err
	}
	if err := sameOrigin(c.R); err != nil {
		return err
	}
	sub, err := readSubmission(c.R, h.staging)
	if err != nil {
		return err
	}
	defer sub.remove()
	f := newForm(sub.values)
	if !h.guard.valid(c.R, sub.values.Get("form_token")) {
		f.Notice = "For your safety, the form expired or could not be checked. Your answers are still here: check them, choose your files again if you added any, and send the form again."
		return h.again(c, http.StatusForbidden, f)
	}
	r := f.report()
	r.Normalize()
	f.explain(r.Validate())
	for _, msg := range sub.fileErrors {
		f.setError("files", msg)
	}
	if len(f.Errors) > 0 || f.Notice != "" {
		if len(sub.files) > 0 {
			f.FilesError = append(f.FilesError, "Your files are not kept until the report is sent: please choose them again.")
		}
		status := http.StatusBadRequest
		if sub.tooLarge {
			status = http.StatusRequestEntityTooLarge
		}
		return h.again(c, status, f)
	}
	rep, err := h.file(c, sub, r, "public victim form")
	if err != nil {
		return err
	}
	h.guard.clear(c.W)
	return c.Render(h.pages, "filed", "Your report was received", map[string]any{"Reference": rep.Reference, "Files": len(sub.files)})
}

// file keeps the submission's files in the vault and stores the report.
func (h *handler) file(c *web.Ctx, sub *submission, r *casework.VictimReport, via string) (store.VictimReport, error) {
	var files []node.Attachment
	if sub != nil {
		var err error
		if files, err = sub.keep(h.vault); err != nil {
			return store.VictimReport{}, err
		}
	}
	rep, err := node.FileVictimReport(c.R.Context(), c.S.Store, actor(c, via), r, now(c), files...)
	if err != nil {
		return store.VictimReport{}, err
	}
	c.S.Metrics().VictimReport()
	return rep, nil
}

// statusLabels name the statuses for the victim.
var statusLabels = map[string]string{
	string(casework.VictimReceived):       "Received",
	string(casework.VictimUnderReview):    "Under review",
	string(casework.VictimCaseOpened):     "Part of an investigation",
	string(casework.VictimReferredAbroad): "Passed to authorities abroad",
	string(casework.VictimClosed):         "Closed",
}

// statusPage is what the status page shows.
type statusPage struct {
	Token     string
	Reference string // as typed, to correct it
	Error     string
	Notice    string
	Result    *node.VictimStatus
	Label     string
}

func (h *handler) statusForm(c *web.Ctx) error {
	return c.Render(h.pages, "status", "Status of your report", statusPage{Token: h.guard.issue(c.W, c.R)})
}

func (h *handler) statusLookup(c *web.Ctx) error {
	if err := c.PublicLimit(); err != nil {
		return err
	}
	if err := sameOrigin(c.R); err != nil {
		return err
	}
	p := statusPage{Reference: strings.TrimSpace(c.R.PostFormValue("reference"))}
	status := http.StatusOK
	if !h.guard.valid(c.R, c.R.PostFormValue("form_token")) {
		p.Notice = "For your safety, the form expired or could not be checked. Please send it again."
		status = http.StatusForbidden
	} else if st, err := lookup(c.R.Context(), c.S.Store, p.Reference); err != nil {
		var e *web.Error
		if !errors.As(err, &e) {
			return err
		}
		p.Error, status = e.Message, e.Status
	} else {
		p.Result, p.Label = &st, statusLabels[st.Status]
	}
	p.Token = h.guard.issue(c.W, c.R)
	return c.RenderStatus(status, h.pages, "status", "Status of your report", p)
}

// lookup returns what a victim may learn of the report with the typed
// reference: its status and the day it changed. Every way of not finding
// it is the same 404.
func lookup(ctx context.Context, st web.Store, typed string) (node.VictimStatus, error) {
	ref, err := casework.ParseReference(typed)
	if err != nil {
		return node.VictimStatus{}, web.Errorf(http.StatusNotFound, noReport)
	}
	rep, err := st.VictimReport(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		return node.VictimStatus{}, web.Errorf(http.StatusNotFound, noReport)
	}
	if err != nil {
		return node.VictimStatus{}, err
	}
	return node.VictimStatusOf(rep), nil
}

func (h *handler) apiStatus(c *web.Ctx) error {
	if err := c.PublicLimit(); err != nil {
		return err
	}
	st, err := lookup(c.R.Context(), c.S.Store, c.R.PathValue("ref"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

// apiSubmit files a report sent as JSON (the intake record of package
// casework), or as multipart with the record in a "report" part and
// files in "files" parts. The answer is 201 with the reference, or 400
// with every problem.
func (h *handler) apiSubmit(c *web.Ctx) error {
	if err := c.PublicLimit(); err != nil {
		return err
	}
	if err := sameOrigin(c.R); err != nil {
		return err
	}
	var data []byte
	var sub *submission
	switch ct, _, _ := mime.ParseMediaType(c.R.Header.Get("Content-Type")); ct {
	case "application/json":
		b, err := io.ReadAll(io.LimitReader(c.R.Body, maxReportJSON+1))
		if err != nil {
			return bodyError(err)
		}
		if len(b) > maxReportJSON {
			return web.Errorf(http.StatusRequestEntityTooLarge, "the report is larger than %d KiB; send files as multipart parts", maxReportJSON>>10)
		}
		data = b
	case "multipart/form-data":
		var err error
		if sub, err = readSubmission(c.R, h.staging); err != nil {
			return err
		}
		defer sub.remove()
		data = []byte(sub.values.Get("report"))
	default:
		return web.Errorf(http.StatusUnsupportedMediaType, "send the report as application/json, or as multipart/form-data with a 'report' part")
	}
	r, err := node.DecodeVictimReport(data)
	if err != nil {
		return web.Errorf(http.StatusBadRequest, "the report is not the JSON expected: %v", err)
	}
	var problems []string
	if len(r.Evidence) > 0 {
		problems = append(problems, "evidence: send the files themselves as multipart parts named 'files'; the server fills in their digests")
	}
	problems = append(problems, r.Validate()...)
	status := http.StatusBadRequest
	if sub != nil {
		for _, msg := range sub.fileErrors {
			problems = append(problems, "files: "+msg)
		}
		if sub.tooLarge {
			status = http.StatusRequestEntityTooLarge
		}
	}
	if len(problems) > 0 {
		return c.JSON(status, map[string]any{"error": "the report is not complete", "problems": problems})
	}
	rep, err := h.file(c, sub, &r, "public victim API")
	if err != nil {
		return err
	}
	warnings := r.Warnings()
	if warnings == nil {
		warnings = []string{}
	}
	return c.JSON(http.StatusCreated, map[string]any{"reference": rep.Reference, "status": rep.Status, "warnings": warnings})
}
