package cases

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
)

// receivableCases returns the cases the caller may receive, newest first.
func receivableCases(c *web.Ctx) ([]store.Case, error) {
	all, err := c.S.Store.Cases(c.R.Context())
	if err != nil {
		return nil, err
	}
	self := c.Self()
	return auth.Filter(c.P, all, caseMarking, func(store.Case) string { return self }, nil), nil
}

func caseMarking(cs store.Case) casework.Marking {
	pap, err := casework.ParsePAP(cs.PAP)
	if err != nil {
		pap = casework.DefaultPAP
	}
	return casework.Marking{TLP: cs.TLP, PAP: pap}
}

type casesData struct {
	Cases   []store.Case
	CanOpen bool
	TLPs    []option
	PAPs    []option
	Form    openForm
	Error   string
}

func (a *area) casesPage(c *web.Ctx) error {
	return a.renderCases(c, http.StatusOK, openForm{TLP: event.TLPAmber.String(), PAP: casework.DefaultPAP.String()}, "")
}

func (a *area) renderCases(c *web.Ctx, status int, f openForm, msg string) error {
	cs, err := receivableCases(c)
	if err != nil {
		return err
	}
	slices.Reverse(cs)
	tlp, _ := event.ParseTLP(f.TLP)
	d := casesData{Cases: cs, CanOpen: c.P.Can(auth.WriteCases), TLPs: tlpOptions(c, c.Self(), tlp), PAPs: papOptions(f.PAP), Form: f, Error: msg}
	return c.RenderStatus(status, a.pages, "cases", "Cases", d)
}

func (a *area) casesAPI(c *web.Ctx) error {
	cs, err := receivableCases(c)
	if err != nil {
		return err
	}
	views := make([]coop.CaseView, len(cs))
	for i, x := range cs {
		views[i] = coop.ViewCase(x)
	}
	return c.JSON(http.StatusOK, map[string]any{"cases": views})
}

// openForm is the form (or JSON) that opens a case.
type openForm struct {
	Title  string `json:"title"`
	TLP    string `json:"tlp"`
	PAP    string `json:"pap"`
	Report string `json:"report"`
}

func (a *area) openCase(c *web.Ctx) error {
	var f openForm
	if err := read(c, &f, func() error {
		f = openForm{Title: c.R.PostFormValue("title"), TLP: c.R.PostFormValue("tlp"), PAP: c.R.PostFormValue("pap"), Report: c.R.PostFormValue("report")}
		return nil
	}); err != nil {
		return err
	}
	f.Title = strings.TrimSpace(f.Title)
	nc, err := parseOpen(f)
	if err == nil {
		var cs store.Case
		if cs, err = workflow(c).OpenCase(c.R.Context(), nc); err == nil {
			if api(c) {
				return c.JSON(http.StatusCreated, coop.ViewCase(cs))
			}
			return redirect(c, "/cases/%d", cs.ID)
		}
	}
	err = fail(err)
	if e := shown(c, err); e != nil {
		return a.renderCases(c, e.Status, f, e.Message)
	}
	return err
}

func parseOpen(f openForm) (coop.NewCase, error) {
	nc := coop.NewCase{Title: f.Title, TLP: event.DefaultTLP, PAP: casework.DefaultPAP, Report: strings.TrimSpace(f.Report)}
	var err error
	if f.TLP != "" {
		if nc.TLP, err = event.ParseTLP(f.TLP); err != nil {
			return nc, web.Errorf(http.StatusBadRequest, "tlp: %v", err)
		}
	}
	if f.PAP != "" {
		if nc.PAP, err = casework.ParsePAP(f.PAP); err != nil {
			return nc, web.Errorf(http.StatusBadRequest, "pap: %v", err)
		}
	}
	return nc, nil
}

// caseDetail is a case as its page and its API answer show it.
type caseDetail struct {
	coop.CaseView
	// Notes are the notes and tasks, with their text.
	Notes    []noteView      `json:"notes"`
	Timeline []timelineEntry `json:"timeline"`

	c        store.Case
	items    []itemRow
	evidence []store.EvidenceRecord
	requests []requestRow
}

type noteView struct {
	Kind  string `json:"kind"`
	Text  string `json:"text"`
	Added string `json:"added"`
	TLP   string `json:"tlp"`
}

// itemRow is a linked item on the case page.
type itemRow struct {
	store.CaseItem
	Href string
	// Label names an evidence record or a request better than its id.
	Label string
}

// timelineEntry is one thing that happened in a case.
type timelineEntry struct {
	Time  time.Time `json:"time"`
	Kind  string    `json:"kind"`
	What  string    `json:"what"`
	Actor string    `json:"actor,omitempty"`
	TLP   event.TLP `json:"-"`
	Label string    `json:"tlp"`
	Href  string    `json:"link,omitempty"`
}

// loadCase reads case id with what the caller may receive of it.
func loadCase(c *web.Ctx, id int64) (*caseDetail, error) {
	ctx := c.R.Context()
	n := workflow(c)
	cs, err := n.Case(ctx, id)
	if err != nil {
		return nil, fail(err)
	}
	items, err := c.S.Store.CaseItems(ctx, cs.ID)
	if err != nil {
		return nil, err
	}
	self := c.Self()
	may := func(t event.TLP) bool { return c.MayReceive(casework.Marking{TLP: t}, self, nil) }
	d := &caseDetail{CaseView: coop.ViewCase(cs), Notes: []noteView{}, c: cs}
	now := c.S.Cfg.Now()
	var tl []timelineEntry
	add := func(e timelineEntry) {
		e.Label = e.TLP.String()
		tl = append(tl, e)
	}
	evs, err := c.S.Store.EvidenceList(ctx, cs.ID)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, ev := range evs {
		if !may(ev.TLP) {
			continue
		}
		names[strconv.FormatInt(ev.ID, 10)] = ev.Name
		d.Evidence = append(d.Evidence, coop.ViewEvidence(ev))
		d.evidence = append(d.evidence, ev)
		custody, err := c.S.Store.Custody(ctx, ev.ID)
		if err != nil {
			return nil, err
		}
		href := "/evidence/" + strconv.FormatInt(ev.ID, 10)
		for _, x := range custody {
			what := "evidence " + ev.Name + ": " + x.Action
			if x.Purpose != "" {
				what += " (" + x.Purpose + ")"
			}
			add(timelineEntry{Time: x.Time, Kind: "custody", What: what, Actor: x.Actor, TLP: ev.TLP, Href: href})
		}
	}
	for _, it := range items {
		if !may(it.TLP) {
			continue
		}
		d.Items = append(d.Items, coop.ViewCaseItem(it))
		row := itemRow{CaseItem: it}
		switch it.Kind {
		case "note", "task":
			d.Notes = append(d.Notes, noteView{Kind: it.Kind, Text: it.Note, Added: coop.Stamp(it.Added), TLP: it.TLP.String()})
			add(timelineEntry{Time: it.Added, Kind: it.Kind, What: it.Kind + ": " + it.Note, TLP: it.TLP})
		case "event":
			add(timelineEntry{Time: it.Added, Kind: "event", What: "event " + it.Ref + " linked (" + it.Note + ")", TLP: it.TLP})
		case "report":
			add(timelineEntry{Time: it.Added, Kind: "report", What: "victim report " + it.Ref + " linked", TLP: it.TLP})
		case "assessment":
			row.Href = "/assessments/" + it.Ref
			add(timelineEntry{Time: it.Added, Kind: "assessment", What: it.Note, TLP: it.TLP, Href: row.Href})
		case "evidence-hash":
			add(timelineEntry{Time: it.Added, Kind: "evidence-hash", What: "hash of " + it.Note + " received from a partner (the file stayed there)", TLP: it.TLP})
		case "evidence":
			row.Href, row.Label = "/evidence/"+it.Ref, names[it.Ref]
		case "request":
			row.Href = "/requests/" + it.Ref
			rid, _ := strconv.ParseInt(it.Ref, 10, 64)
			r, err := c.S.Store.Request(ctx, rid)
			if err != nil || !may(r.TLP) {
				continue
			}
			row.Label = it.Ref + ": " + r.Type + " to " + r.To
			d.Requests = append(d.Requests, coop.ViewRequest(r, now))
			d.requests = append(d.requests, viewRow(r, now))
			h, err := c.S.Store.RequestHistory(ctx, r.ID)
			if err != nil {
				return nil, err
			}
			add(timelineEntry{Time: r.Created, Kind: "request", What: "request " + it.Ref + " (" + r.Type + ") " + r.Direction + ", " + r.From + " → " + r.To, TLP: r.TLP, Href: row.Href})
			for _, x := range h {
				what := "request " + it.Ref + ": " + x.From + " → " + x.To
				if x.Reason != "" {
					what += " (" + x.Reason + ")"
				}
				add(timelineEntry{Time: x.Time, Kind: "request-status", What: what, Actor: x.Actor, TLP: r.TLP, Href: row.Href})
			}
		}
		d.items = append(d.items, row)
	}
	slices.SortStableFunc(tl, func(a, b timelineEntry) int { return a.Time.Compare(b.Time) })
	d.Timeline = tl
	if d.Timeline == nil {
		d.Timeline = []timelineEntry{}
	}
	return d, nil
}

func (a *area) caseAPI(c *web.Ctx) error {
	id, err := c.PathInt("id")
	if err != nil {
		return err
	}
	d, err := loadCase(c, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

type casePage struct {
	Case     store.Case
	Items    []itemRow
	Evidence []store.EvidenceRecord
	Requests []requestRow
	Timeline []timelineEntry
	TLPs     []option
	// What the caller may do here.
	CanLink, CanAddEvidence, CanAssess, CanRequest, CanExport bool
	Error                                                     string
}

func (a *area) casePage(c *web.Ctx) error {
	id, err := c.PathInt("id")
	if err != nil {
		return err
	}
	return a.renderCase(c, id, http.StatusOK, "")
}

func (a *area) renderCase(c *web.Ctx, id int64, status int, msg string) error {
	d, err := loadCase(c, id)
	if err != nil {
		return err
	}
	p := casePage{Case: d.c, Items: d.items, Evidence: d.evidence, Requests: d.requests, Timeline: d.Timeline,
		TLPs:    tlpOptions(c, c.Self(), d.c.TLP),
		CanLink: c.P.Can(auth.WriteCases), CanAddEvidence: c.P.Can(auth.AddEvidence), CanAssess: c.P.Can(auth.Assess),
		CanRequest: c.P.Can(auth.WriteRequests), CanExport: c.P.Can(auth.ExportEvidence), Error: msg}
	return c.RenderStatus(status, a.pages, "case", "Case "+strconv.FormatInt(d.c.ID, 10)+": "+d.c.Title, p)
}

// linkForm is what linkItems takes: one key or reference per line in the
// form, lists in JSON.
type linkForm struct {
	Events  []string `json:"events"`
	Reports []string `json:"reports"`
	Notes   []string `json:"notes"`
	Tasks   []string `json:"tasks"`
}

func (a *area) linkItems(c *web.Ctx) error {
	id, err := c.PathInt("id")
	if err != nil {
		return err
	}
	var f linkForm
	if err := read(c, &f, func() error {
		f = linkForm{Events: lines(c.R.PostFormValue("events")), Reports: lines(c.R.PostFormValue("reports")),
			Notes: nonEmpty(c.R.PostFormValue("note")), Tasks: nonEmpty(c.R.PostFormValue("task"))}
		return nil
	}); err != nil {
		return err
	}
	n, err := workflow(c).Link(c.R.Context(), id, coop.Links{Events: f.Events, Reports: f.Reports, Notes: f.Notes, Tasks: f.Tasks})
	if err != nil {
		err = fail(err)
		if e := shown(c, err); e != nil {
			return a.renderCase(c, id, e.Status, e.Message)
		}
		return err
	}
	if api(c) {
		return c.JSON(http.StatusOK, map[string]any{"id": id, "linked": n})
	}
	return redirect(c, "/cases/%d", id)
}

// lines splits text into its non-empty trimmed lines.
func lines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func nonEmpty(s string) []string {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	return []string{s}
}
