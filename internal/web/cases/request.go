package cases

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
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

// requestRow is a request with its timers in words, for the pages.
type requestRow struct {
	store.Request
	// Due is "due in 3 days" or "overdue by 2 days" while the request
	// awaits the requested side; Overdue and Soon pick the badge.
	DueText       string
	Overdue, Soon bool
	// Lapse is "preservation lapses in 5 days" for a preservation about
	// to lapse.
	Lapse string
}

// soonDays is how close a due date is shown as coming soon.
const soonDays = 7

func viewRow(r store.Request, now time.Time) requestRow {
	row := requestRow{Request: r}
	st := casework.Status(r.Status)
	if !r.Due.IsZero() && st.AwaitsRequestedSide() {
		if casework.Overdue(r.Due, now, st) {
			row.DueText, row.Overdue = "overdue by "+span(now.Sub(r.Due)), true
		} else {
			row.DueText, row.Soon = "due in "+span(r.Due.Sub(now)), r.Due.Sub(now) <= soonDays*casework.Day
		}
	}
	if coop.ViewRequest(r, now).Expiring {
		row.Lapse = "preservation lapses in " + span(r.PreservedUntil.Sub(now))
	}
	return row
}

// span writes a duration in whole days, or hours when under a day.
func span(d time.Duration) string {
	if days := int(math.Round(d.Hours() / 24)); days >= 1 {
		return plural(days, "day")
	}
	if hours := int(math.Round(d.Hours())); hours >= 1 {
		return plural(hours, "hour")
	}
	return "less than an hour"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// receivableRequests returns the requests the caller may receive, newest
// first, keeping only the overdue ones or the preservations about to lapse
// when asked.
func receivableRequests(c *web.Ctx) ([]store.Request, error) {
	all, err := c.S.Store.Requests(c.R.Context())
	if err != nil {
		return nil, err
	}
	self := c.Self()
	rs := auth.Filter(c.P, all, func(r store.Request) casework.Marking { return casework.Marking{TLP: r.TLP} }, func(store.Request) string { return self }, nil)
	q := c.R.URL.Query()
	overdue, expiring := q.Get("overdue") != "", q.Get("expiring") != ""
	now := c.S.Cfg.Now()
	out := rs[:0]
	for _, r := range rs {
		v := coop.ViewRequest(r, now)
		if (overdue && !v.Overdue) || (expiring && !v.Expiring) {
			continue
		}
		out = append(out, r)
	}
	slices.Reverse(out)
	return out, nil
}

type requestsPage struct {
	Requests           []requestRow
	Overdue, Expiring  bool
	CanCreate, CanLoad bool
}

func (a *area) requestsPage(c *web.Ctx) error {
	rs, err := receivableRequests(c)
	if err != nil {
		return err
	}
	now := c.S.Cfg.Now()
	p := requestsPage{Overdue: c.R.URL.Query().Get("overdue") != "", Expiring: c.R.URL.Query().Get("expiring") != "",
		CanCreate: c.P.Can(auth.WriteRequests), CanLoad: c.P.Can(auth.ImportPackages)}
	for _, r := range rs {
		p.Requests = append(p.Requests, viewRow(r, now))
	}
	return c.Render(a.pages, "requests", "Requests for assistance", p)
}

func (a *area) requestsAPI(c *web.Ctx) error {
	rs, err := receivableRequests(c)
	if err != nil {
		return err
	}
	now := c.S.Cfg.Now()
	views := make([]coop.RequestView, len(rs))
	for i, r := range rs {
		views[i] = coop.ViewRequest(r, now)
	}
	return c.JSON(http.StatusOK, map[string]any{"requests": views})
}

// requestDetail is a request as its page and its API answer show it.
type requestDetail struct {
	coop.RequestView
	Next []string `json:"next"`

	r       store.Request
	history []store.RequestChange
}

func loadRequest(c *web.Ctx) (*requestDetail, error) {
	id, err := c.PathInt("id")
	if err != nil {
		return nil, err
	}
	r, err := workflow(c).Request(c.R.Context(), id)
	if err != nil {
		return nil, fail(err)
	}
	h, err := c.S.Store.RequestHistory(c.R.Context(), r.ID)
	if err != nil {
		return nil, err
	}
	d := &requestDetail{RequestView: coop.ViewRequest(r, c.S.Cfg.Now()), Next: []string{}, r: r, history: h}
	d.Fields = r.Fields
	d.History = coop.ViewChanges(h)
	for _, s := range casework.NextStates(casework.RequestType(r.Type), casework.Status(r.Status)) {
		d.Next = append(d.Next, string(s))
	}
	return d, nil
}

func (a *area) requestAPI(c *web.Ctx) error {
	d, err := loadRequest(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// fieldRow is one field of a request as its page shows it.
type fieldRow struct {
	Name, Value, Description string
	Mandatory                bool
}

type requestPage struct {
	R        requestRow
	Fields   []fieldRow
	History  []store.RequestChange
	Next     []string
	Case     *store.Case
	Partner  store.Agency
	Imported string
	Error    string
	// What the caller may do here.
	CanMove, CanExport bool
}

func (a *area) requestPage(c *web.Ctx) error {
	d, err := loadRequest(c)
	if err != nil {
		return err
	}
	return a.renderRequest(c, d, http.StatusOK, "")
}

func (a *area) renderRequest(c *web.Ctx, d *requestDetail, status int, msg string) error {
	r := d.r
	p := requestPage{R: viewRow(r, c.S.Cfg.Now()), History: d.history, Next: d.Next, Imported: packageID(c.R.URL.Query().Get("imported")), Error: msg,
		CanMove: c.P.Can(auth.WriteRequests), CanExport: c.P.Can(auth.ExportPackages)}
	p.Fields = fieldRows(casework.RequestType(r.Type), r.Fields)
	if r.CaseID != 0 {
		if cs, err := workflow(c).Case(c.R.Context(), r.CaseID); err == nil {
			p.Case = &cs
		}
	}
	partner := r.To
	if r.Direction == store.Incoming {
		partner = r.From
	}
	p.Partner, _ = c.S.Store.Agency(c.R.Context(), partner)
	return c.RenderStatus(status, a.pages, "request", fmt.Sprintf("Request %d: %s", r.ID, r.Type), p)
}

// packageID returns id if it is a package id (32 hex digits), else "":
// the page names only what an import redirected with.
func packageID(id string) string {
	if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
		return ""
	}
	return id
}

// fieldRows lays a request's fields out in its type's order, then any
// other field it carries (a partner's request may hold more).
func fieldRows(t casework.RequestType, raw []byte) []fieldRow {
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	var out []fieldRow
	known := map[string]bool{}
	for _, f := range casework.Fields(t) {
		known[f.Name] = true
		if v, ok := m[f.Name]; ok {
			out = append(out, fieldRow{Name: f.Name, Value: fieldText(v), Description: f.Description, Mandatory: f.Mandatory})
		}
	}
	var rest []string
	for k := range m {
		if !known[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, fieldRow{Name: k, Value: fieldText(m[k])})
	}
	return out
}

// fieldText writes a field's value for reading.
func fieldText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fieldText(e)
		}
		return strings.Join(parts, "\n")
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// moveForm is a status change.
type moveForm struct {
	To        string `json:"to"`
	Reason    string `json:"reason"`
	Consulted bool   `json:"consulted"`
	FollowUp  int64  `json:"follow_up"`
	// Version is the version the mover saw (0: any).
	Version int64 `json:"version"`
}

func (a *area) moveRequest(c *web.Ctx) error {
	id, err := c.PathInt("id")
	if err != nil {
		return err
	}
	var f moveForm
	if err := read(c, &f, func() error {
		f = moveForm{To: c.R.PostFormValue("to"), Reason: strings.TrimSpace(c.R.PostFormValue("reason")), Consulted: c.R.PostFormValue("consulted") != ""}
		f.Version, _ = strconv.ParseInt(c.R.PostFormValue("version"), 10, 64)
		if s := strings.TrimSpace(c.R.PostFormValue("follow_up")); s != "" {
			var err error
			if f.FollowUp, err = strconv.ParseInt(s, 10, 64); err != nil {
				return web.Errorf(http.StatusBadRequest, "follow_up: %q is not a request number", s)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	to, err := casework.ParseStatus(f.To)
	if err == nil {
		var r store.Request
		r, err = workflow(c).MoveRequest(c.R.Context(), coop.Move{ID: id, To: to, Reason: f.Reason, Consulted: f.Consulted, FollowUp: f.FollowUp, Version: f.Version})
		if err == nil {
			if api(c) {
				return c.JSON(http.StatusOK, coop.ViewRequest(r, c.S.Cfg.Now()))
			}
			return redirect(c, "/requests/%d", id)
		}
		err = fail(err)
	} else {
		err = web.Errorf(http.StatusBadRequest, "to: %v", err)
	}
	return a.requestFailed(c, err)
}

// requestFailed answers err, on the request's page when it is something
// the user can fix there.
func (a *area) requestFailed(c *web.Ctx, err error) error {
	e := shown(c, err)
	if e == nil {
		return err
	}
	d, lerr := loadRequest(c)
	if lerr != nil {
		return lerr
	}
	return a.renderRequest(c, d, e.Status, e.Message)
}

// partnerAgencies returns the agencies other than this node's.
func partnerAgencies(c *web.Ctx) ([]store.Agency, error) {
	as, err := c.S.Store.Agencies(c.R.Context())
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(as, func(a store.Agency) bool { return a.Self }), nil
}

// requestForm is the form (or JSON) that drafts a request.
type requestForm struct {
	Case   int64          `json:"case"`
	Type   string         `json:"type"`
	To     string         `json:"to"`
	TLP    string         `json:"tlp"`
	Fields map[string]any `json:"fields"`
}

// formField is one field of the new-request form.
type formField struct {
	casework.Field
	Value   string
	Checked bool
	Error   string
	Choices []option
	Multi   bool
}

type newRequestPage struct {
	Types    []typeOption
	Type     casework.RequestType
	TypeDesc string
	Basis    string
	Cases    []option
	Agencies []option
	TLPs     []option
	Fields   []formField
	Errors   []string
	NoCase   bool
}

type typeOption struct {
	Value, Description string
	Selected           bool
}

// newRequestPage shows the form of a request: first its type, then the
// fields of that type with the case, the requested agency and the
// marking. Query values prefill it: type, case, to, country (picks that
// country's partner), tlp, and f.NAME for each field; a next step of an
// assessment opens it this way.
func (a *area) newRequestPage(c *web.Ctx) error {
	q := c.R.URL.Query()
	f := requestForm{Type: q.Get("type"), To: q.Get("to"), TLP: q.Get("tlp"), Fields: map[string]any{}}
	f.Case, _ = strconv.ParseInt(q.Get("case"), 10, 64)
	values := fieldValues(q)
	if f.To == "" && q.Get("country") != "" {
		as, err := partnerAgencies(c)
		if err != nil {
			return err
		}
		for _, ag := range as {
			if strings.EqualFold(ag.Country, q.Get("country")) {
				f.To = ag.ID
				break
			}
		}
	}
	return a.renderRequestForm(c, http.StatusOK, f, values, nil, nil)
}

func (a *area) renderRequestForm(c *web.Ctx, status int, f requestForm, values map[string]string, fieldErrs map[string]string, errs []string) error {
	typ, _ := casework.ParseRequestType(f.Type)
	p := newRequestPage{Type: typ, Errors: errs}
	for _, t := range casework.RequestTypes() {
		p.Types = append(p.Types, typeOption{Value: string(t), Description: t.Description(), Selected: t == typ})
	}
	if typ == "" {
		return c.RenderStatus(status, a.pages, "request-new", "New request", p)
	}
	p.TypeDesc, p.Basis = typ.Description(), strings.Join(typ.LegalBasis(), "; ")
	cs, err := receivableCases(c)
	if err != nil {
		return err
	}
	slices.Reverse(cs)
	caseTLP := event.TLP(0)
	for _, x := range cs {
		sel := x.ID == f.Case
		if sel {
			caseTLP = x.TLP
		}
		p.Cases = append(p.Cases, option{Value: strconv.FormatInt(x.ID, 10), Label: fmt.Sprintf("%d: %s (%s)", x.ID, x.Title, x.TLP), Selected: sel})
	}
	p.NoCase = len(cs) == 0
	as, err := partnerAgencies(c)
	if err != nil {
		return err
	}
	for _, ag := range as {
		p.Agencies = append(p.Agencies, option{Value: ag.ID, Label: fmt.Sprintf("%s — %s (%s)", ag.ID, ag.Name, ag.Country), Selected: ag.ID == f.To})
	}
	tlp, err := event.ParseTLP(f.TLP)
	if err != nil {
		tlp = caseTLP
	}
	p.TLPs = tlpOptions(c, c.Self(), tlp)
	for _, fd := range casework.Fields(typ) {
		ff := formField{Field: fd, Value: values[fd.Name], Error: fieldErrs[fd.Name], Multi: fd.Kind == casework.KindList || fd.Kind == casework.KindText && longFields[fd.Name]}
		if fd.Kind == casework.KindBool {
			ff.Checked = values[fd.Name] == "true" || values[fd.Name] == "on" || values[fd.Name] == "yes"
		}
		for _, ch := range fd.Choices {
			ff.Choices = append(ff.Choices, option{Value: ch, Label: ch, Selected: ch == values[fd.Name]})
		}
		p.Fields = append(p.Fields, ff)
	}
	return c.RenderStatus(status, a.pages, "request-new", "New "+string(typ)+" request", p)
}

func (a *area) createRequest(c *web.Ctx) error {
	var f requestForm
	values := map[string]string{}
	if err := read(c, &f, func() error {
		if err := c.R.ParseForm(); err != nil {
			return web.Errorf(http.StatusBadRequest, "the form could not be read: %v", err)
		}
		form := c.R.PostForm
		f = requestForm{Type: form.Get("type"), To: form.Get("to"), TLP: form.Get("tlp"), Fields: map[string]any{}}
		f.Case, _ = strconv.ParseInt(form.Get("case"), 10, 64)
		values = fieldValues(form)
		return nil
	}); err != nil {
		return err
	}
	typ, err := casework.ParseRequestType(f.Type)
	if err != nil {
		if api(c) {
			return web.Errorf(http.StatusBadRequest, "type: %v", err)
		}
		return a.renderRequestForm(c, http.StatusBadRequest, f, values, nil, []string{err.Error()})
	}
	if !api(c) {
		f.Fields = formFields(typ, values)
	}
	r, err := workflow(c).CreateRequest(c.R.Context(), coop.NewRequest{CaseID: f.Case, Type: typ, To: f.To, Fields: f.Fields, TLP: f.TLP})
	if err == nil {
		if api(c) {
			return c.JSON(http.StatusCreated, coop.ViewRequest(r, c.S.Cfg.Now()))
		}
		return redirect(c, "/requests/%d", r.ID)
	}
	var inc *coop.IncompleteError
	if errors.As(err, &inc) {
		if api(c) {
			return c.JSON(http.StatusBadRequest, map[string]any{"error": inc.Error(), "missing": nonNil(inc.Missing), "problems": nonNil(inc.Problems)})
		}
		fieldErrs := map[string]string{}
		var general []string
		for _, m := range inc.Missing {
			fieldErrs[m] = "required"
		}
		for _, p := range inc.Problems {
			if name, msg, ok := strings.Cut(p, ": "); ok && slices.ContainsFunc(casework.Fields(typ), func(fd casework.Field) bool { return fd.Name == name }) {
				fieldErrs[name] = msg
				continue
			}
			general = append(general, p)
		}
		return a.renderRequestForm(c, http.StatusBadRequest, f, values, fieldErrs, append([]string{"The request is not complete: see the fields marked below."}, general...))
	}
	if errors.Is(err, store.ErrNotFound) {
		// The case or the agency: say which, without telling a refused
		// case from a missing one.
		err = web.Errorf(http.StatusBadRequest, "no case %d you may read, or no agency %q", f.Case, f.To)
	} else {
		err = fail(err)
	}
	if e := shown(c, err); e != nil {
		return a.renderRequestForm(c, e.Status, f, values, nil, []string{e.Message})
	}
	return err
}

// fieldValues returns the f.NAME values of a form or query by NAME.
func fieldValues(v url.Values) map[string]string {
	out := map[string]string{}
	for k, vs := range v {
		if name, ok := strings.CutPrefix(k, "f."); ok && len(vs) > 0 {
			out[name] = vs[0]
		}
	}
	return out
}

// longFields are the text fields the form gives several lines.
var longFields = map[string]bool{"offence": true, "subject": true, "facts": true, "data": true, "necessity": true, "assistance_sought": true,
	"special_procedure": true, "purpose": true, "urgency": true, "dual_criminality": true, "emergency_justification": true,
	"evidence_summary": true, "deadline_reason": true, "notes": true}

// formFields turns the form's f.NAME values into the JSON values of the
// request type's fields; a value that does not parse is kept as text, for
// casework.Validate to name the problem.
func formFields(t casework.RequestType, values map[string]string) map[string]any {
	out := map[string]any{}
	for _, fd := range casework.Fields(t) {
		v := strings.TrimSpace(values[fd.Name])
		switch fd.Kind {
		case casework.KindBool:
			switch strings.ToLower(v) {
			case "true", "on", "yes":
				out[fd.Name] = true
			case "false", "no":
				out[fd.Name] = false
			}
			continue
		case casework.KindList:
			var list []any
			for _, l := range lines(v) {
				list = append(list, l)
			}
			if len(list) > 0 {
				out[fd.Name] = list
			}
			continue
		}
		if v == "" {
			continue
		}
		if fd.Kind == casework.KindPort {
			if n, err := strconv.Atoi(v); err == nil {
				out[fd.Name] = float64(n)
				continue
			}
		}
		out[fd.Name] = v
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// requestTypesAPI lists the request types with their fields, for scripts
// that build requests.
func (a *area) requestTypesAPI(c *web.Ctx) error {
	type fieldView struct {
		Name        string   `json:"name"`
		Mandatory   bool     `json:"mandatory"`
		Kind        string   `json:"kind"`
		Choices     []string `json:"choices,omitempty"`
		Description string   `json:"description"`
	}
	type typeView struct {
		Type        string      `json:"type"`
		Description string      `json:"description"`
		LegalBasis  []string    `json:"legal_basis"`
		Fields      []fieldView `json:"fields"`
	}
	var out []typeView
	for _, t := range casework.RequestTypes() {
		v := typeView{Type: string(t), Description: t.Description(), LegalBasis: nonNil(t.LegalBasis())}
		for _, f := range casework.Fields(t) {
			v.Fields = append(v.Fields, fieldView{f.Name, f.Mandatory, string(f.Kind), f.Choices, f.Description})
		}
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, map[string]any{"types": out})
}
