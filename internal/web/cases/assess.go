package cases

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/concord-cert/concord/internal/assess"
	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/enrich"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
)

// assessMaxInput bounds an assessment's input, as `concord assess` does.
const assessMaxInput = assess.MaxInputSize

// backgroundTTL is how long the IP database and relay lists loaded for
// assessments are used before they are read again.
const backgroundTTL = 5 * time.Minute

// backgrounds keeps what an assessment consults, loaded once for a while:
// the node's active IP database and every relay-list entry, each with its
// period (as `concord assess --db` loads them).
type backgrounds struct {
	st     web.Store
	mu     sync.Mutex
	loaded time.Time
	geo    *ipdb.DB
	lists  *enrich.Index
	kinds  map[string]int
}

func (b *backgrounds) get(ctx context.Context, now time.Time) (*coop.Background, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.geo == nil || now.Sub(b.loaded) > backgroundTTL {
		s := &node.Session{St: b.st}
		if err := s.LoadGeo(ctx); err != nil {
			return nil, err
		}
		if err := s.LoadLists(ctx, time.Time{}, time.Time{}); err != nil {
			return nil, err
		}
		b.geo, b.lists, b.kinds, b.loaded = s.Geo, s.Lists, s.ListKinds, now
	}
	return &coop.Background{Geo: b.geo, Enricher: enrich.New(b.geo, b.lists), ListKinds: b.kinds, Store: b.st, Path: "this node's database"}, nil
}

// callerBackground is the background as one caller may see it: a stored
// event the caller may not receive is not there, and the stored feeds'
// history of an address is consulted only when the caller may receive
// every event of the days it covers (facts carry no marking of their own;
// the strictest marking of those days is theirs). The result then carries
// that marking too.
type callerBackground struct {
	*coop.Background
	st       store.Store
	may      func(event.TLP) bool
	marking  event.TLP
	withheld bool
}

func (b *callerBackground) History(ctx context.Context, ip netip.Addr, from, to int32) ([]store.Fact, error) {
	t, err := node.ReportMarking(ctx, b.st, store.DayTime(from), store.DayTime(to))
	if err != nil {
		return nil, err
	}
	if !b.may(t) {
		b.withheld = true
		return nil, nil
	}
	facts, err := b.Background.History(ctx, ip, from, to)
	if len(facts) > 0 {
		b.marking = b.marking.Stricter(t)
	}
	return facts, err
}

func (b *callerBackground) EventTLP(ctx context.Context, key string) (event.TLP, bool, bool, error) {
	t, found, checked, err := b.Background.EventTLP(ctx, key)
	if found && !b.may(t) {
		return 0, false, checked, nil
	}
	return t, found, checked, err
}

// run assesses in for the caller and returns the result with the marking
// of everything it used; a result the caller could not receive is
// refused.
func (a *area) run(c *web.Ctx, in *assess.Input) (*assess.Result, error) {
	shared, err := a.bg.get(c.R.Context(), c.S.Cfg.Now())
	if err != nil {
		return nil, err
	}
	self := c.Self()
	may := func(t event.TLP) bool { return c.MayReceive(casework.Marking{TLP: t}, self, nil) }
	bg := &callerBackground{Background: shared, st: c.S.Store, may: may}
	r, err := assess.Assess(c.R.Context(), in, bg)
	if err != nil {
		return nil, web.Errorf(http.StatusBadRequest, "%v", err)
	}
	t, err := event.ParseTLP(r.TLP)
	if err != nil {
		t = event.TLPRed
	}
	t = t.Stricter(bg.marking)
	r.TLP = t.String()
	if bg.withheld {
		r.Warnings = append(r.Warnings, "the stored feeds' history of some addresses was not consulted: it includes events marked beyond what you may receive")
	}
	if !may(t) {
		return nil, web.Errorf(http.StatusBadRequest, "the assessment would be marked %s, which you may not receive; mark its input less strictly or leave out what requires it", t)
	}
	return r, nil
}

// keep stores result r in case caseID, as `concord case link --assessment`
// does, and returns the evidence record that holds it.
func keep(c *web.Ctx, caseID int64, r *assess.Result) (int64, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return 0, err
	}
	data := buf.Bytes()
	name := "assessment-" + c.S.Cfg.Now().UTC().Format("20060102T150405Z") + ".json"
	n := workflow(c)
	if _, err := n.Link(c.R.Context(), caseID, coop.Links{Assessments: []coop.File{{Name: name, Read: func() ([]byte, error) { return data, nil }}}}); err != nil {
		return 0, fail(err)
	}
	sum := sha256.Sum256(data)
	evs, err := c.S.Store.EvidenceList(c.R.Context(), caseID)
	if err != nil {
		return 0, err
	}
	for _, ev := range evs {
		if ev.SHA256 == hex.EncodeToString(sum[:]) {
			return ev.ID, nil
		}
	}
	return 0, fmt.Errorf("cases: the assessment kept in case %d is not among its evidence", caseID)
}

// assessAPI runs an assessment from the JSON of `concord assess` and
// answers with the result's JSON; with ?case=ID it is kept in the case
// (201, Location naming it).
func (a *area) assessAPI(c *web.Ctx) error {
	var body bytes.Buffer
	if _, err := body.ReadFrom(c.R.Body); err != nil {
		return bodyError(err)
	}
	in, err := assess.ParseInput("input.json", body.Bytes())
	if err != nil {
		return web.Errorf(http.StatusBadRequest, "%v", err)
	}
	var caseID int64
	if s := c.R.URL.Query().Get("case"); s != "" {
		if caseID, err = strconv.ParseInt(s, 10, 64); err != nil {
			return web.NotFound()
		}
		if _, err := workflow(c).Case(c.R.Context(), caseID); err != nil {
			return fail(err)
		}
	}
	r, err := a.run(c, in)
	if err != nil {
		return err
	}
	if caseID == 0 {
		return c.JSON(http.StatusOK, r)
	}
	id, err := keep(c, caseID, r)
	if err != nil {
		return err
	}
	c.W.Header().Set("Location", fmt.Sprintf("/api/v1/assessments/%d", id))
	return c.JSON(http.StatusCreated, r)
}

// obsRow is one observation of the form.
type obsRow struct {
	IP, Port, Time, Role, Country, Note string
	// Event is the stored event the row was filled from; its marking
	// is the row's, whatever the form says.
	Event string
	Errs  map[string]string
}

// evRow is one evidence item of the form.
type evRow struct {
	ID, Class, Summary, Reliability, Credibility, Relevance, Events string
	// Ratings are the analyst's ratings of the item against hypotheses,
	// "actor-in-DE=C, relay-in-DE=I": an item without any counts for
	// nothing.
	Ratings string
	Errs    map[string]string
}

// assessForm is the assessment form.
type assessForm struct {
	Case  int64
	Keep  bool
	Title string
	TLP   string
	Obs   []obsRow
	Ev    []evRow
	// File is an assessment file pasted whole (JSON or YAML); when set it
	// is used instead of the rows.
	File string
}

// blankRows are the empty rows the form offers for new entries.
const blankRows = 3

type assessPageData struct {
	Form      assessForm
	Case      *store.Case
	Errors    []string
	TLPs      []option
	Roles     []string
	Classes   []assess.Class
	Grades    []string
	Creds     []option
	Relevance []string
}

func (a *area) assessPage(c *web.Ctx) error {
	f := assessForm{TLP: event.DefaultTLP.String(), Keep: true}
	var cs *store.Case
	if s := c.R.URL.Query().Get("case"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return web.NotFound()
		}
		x, err := workflow(c).Case(c.R.Context(), id)
		if err != nil {
			return fail(err)
		}
		cs = &x
		f.Case, f.TLP, f.Title = x.ID, x.TLP.String(), "Who is behind case "+s+": "+x.Title+"?"
		if f.Obs, err = caseObservations(c, x.ID); err != nil {
			return err
		}
	}
	return a.renderAssess(c, http.StatusOK, f, cs, nil)
}

// caseObservations fills the form's observations from the stored events
// linked to a case that the caller may receive.
func caseObservations(c *web.Ctx, caseID int64) ([]obsRow, error) {
	items, err := c.S.Store.CaseItems(c.R.Context(), caseID)
	if err != nil {
		return nil, err
	}
	self := c.Self()
	var out []obsRow
	for _, it := range items {
		if it.Kind != "event" {
			continue
		}
		ev, ok := receivableEvent(c, self, it.Ref)
		if !ok {
			continue
		}
		ep := ev.Source
		if ep.Role == event.RoleTarget || ep.Role == event.RoleNone || !ep.IP.IsValid() {
			ep = ev.Destination
		}
		if !ep.IP.IsValid() || ep.Role == event.RoleTarget {
			continue
		}
		row := obsRow{IP: ep.IP.String(), Role: observationRole(ev, ep.Role), Event: it.Ref, Note: "event " + it.Ref + " (" + ev.Class.String() + ")"}
		if ep.Port != 0 {
			row.Port = strconv.Itoa(int(ep.Port))
		}
		if t := ev.Time(); !t.IsZero() {
			row.Time = t.UTC().Format(time.RFC3339)
		}
		out = append(out, row)
	}
	return out, nil
}

// receivableEvent returns the stored event with key k if the caller may
// receive it.
func receivableEvent(c *web.Ctx, self, k string) (event.Event, bool) {
	raw, err := hex.DecodeString(k)
	if err != nil || len(raw) != store.KeySize {
		return event.Event{}, false
	}
	ev, err := c.S.Store.EventByKey(c.R.Context(), store.Key(raw))
	if err != nil || !c.MayReceive(casework.Marking{TLP: ev.TLP}, self, nil) {
		return event.Event{}, false
	}
	return ev, true
}

// observationRole names an event address's role as an assessment does.
func observationRole(ev event.Event, r event.Role) string {
	switch r {
	case event.RoleC2:
		return "c2-server"
	case event.RoleAttacker:
		return "attack-source"
	case event.RoleMalicious:
		if strings.Contains(ev.Class.String(), "phishing") {
			return "phishing"
		}
		return "malware-distribution"
	}
	return "other"
}

func (a *area) renderAssess(c *web.Ctx, status int, f assessForm, cs *store.Case, errs []string) error {
	for range blankRows {
		f.Obs = append(f.Obs, obsRow{})
		f.Ev = append(f.Ev, evRow{})
	}
	tlp, err := event.ParseTLP(f.TLP)
	if err != nil {
		tlp = event.DefaultTLP
	}
	d := assessPageData{Form: f, Case: cs, Errors: errs, TLPs: tlpOptions(c, c.Self(), tlp), Roles: assess.ObservationRoles, Classes: assess.Classes,
		Grades: []string{"A", "B", "C", "D", "E", "F"}, Relevance: []string{"low", "medium", "high"}}
	for i := 1; i <= 6; i++ {
		d.Creds = append(d.Creds, option{Value: strconv.Itoa(i), Label: strconv.Itoa(i)})
	}
	return c.RenderStatus(status, a.pages, "assess", "Assess attribution", d)
}

// readAssessForm reads the posted form.
func readAssessForm(c *web.Ctx) (assessForm, error) {
	if err := c.R.ParseForm(); err != nil {
		return assessForm{}, web.Errorf(http.StatusBadRequest, "the form could not be read: %v", err)
	}
	v := c.R.PostForm
	f := assessForm{Title: strings.TrimSpace(v.Get("title")), TLP: v.Get("tlp"), Keep: v.Get("keep") != "", File: strings.TrimSpace(v.Get("file"))}
	f.Case, _ = strconv.ParseInt(v.Get("case"), 10, 64)
	for i := 0; i < assess.MaxItems; i++ {
		p := "o." + strconv.Itoa(i) + "."
		if !v.Has(p + "ip") {
			break
		}
		row := obsRow{IP: strings.TrimSpace(v.Get(p + "ip")), Port: strings.TrimSpace(v.Get(p + "port")), Time: strings.TrimSpace(v.Get(p + "time")),
			Role: v.Get(p + "role"), Country: strings.TrimSpace(v.Get(p + "country")), Note: v.Get(p + "note"), Event: v.Get(p + "event")}
		if row.IP != "" || row.Port != "" || row.Time != "" {
			f.Obs = append(f.Obs, row)
		}
	}
	for i := 0; i < assess.MaxItems; i++ {
		p := "e." + strconv.Itoa(i) + "."
		if !v.Has(p + "summary") {
			break
		}
		row := evRow{ID: strings.TrimSpace(v.Get(p + "id")), Class: v.Get(p + "class"), Summary: strings.TrimSpace(v.Get(p + "summary")),
			Reliability: v.Get(p + "reliability"), Credibility: v.Get(p + "credibility"), Relevance: v.Get(p + "relevance"), Events: strings.TrimSpace(v.Get(p + "events")),
			Ratings: strings.TrimSpace(v.Get(p + "ratings"))}
		if row.Summary != "" {
			f.Ev = append(f.Ev, row)
		}
	}
	return f, nil
}

// input builds the assessment file of the form: the pasted file, or the
// rows. A row filled from a stored event takes that event's marking
// (when the caller may still receive it), whatever the form says.
func (f *assessForm) input(c *web.Ctx) ([]byte, error) {
	if f.File != "" {
		return []byte(f.File), nil
	}
	self := c.Self()
	doc := map[string]any{"title": f.Title, "tlp": f.TLP}
	obs := []map[string]any{}
	for i, o := range f.Obs {
		m := map[string]any{"id": "o" + strconv.Itoa(i+1), "ip": o.IP, "role": o.Role}
		if o.Port != "" {
			n, err := strconv.Atoi(o.Port)
			if err != nil {
				o.Errs = map[string]string{"port": fmt.Sprintf("%q is not a port (1-65535)", o.Port)}
				f.Obs[i] = o
				return nil, errBadRows
			}
			m["port"] = n
		}
		for k, v := range map[string]string{"time": o.Time, "country": o.Country, "note": o.Note} {
			if v != "" {
				m[k] = v
			}
		}
		if o.Event != "" {
			ev, ok := receivableEvent(c, self, o.Event)
			if !ok {
				return nil, web.NotFound()
			}
			t, err := event.ParseTLP(f.TLP)
			if err != nil {
				t = event.DefaultTLP
			}
			m["tlp"] = t.Stricter(ev.TLP).String()
		}
		obs = append(obs, m)
	}
	evs := []map[string]any{}
	ratings := map[string]map[string]string{}
	for i, e := range f.Ev {
		if e.ID == "" {
			e.ID = "e" + strconv.Itoa(i+1)
			f.Ev[i].ID = e.ID
		}
		m := map[string]any{"id": e.ID, "class": e.Class, "summary": e.Summary, "reliability": e.Reliability, "relevance": e.Relevance}
		if n, err := strconv.Atoi(e.Credibility); err == nil {
			m["credibility"] = n
		}
		if e.Events != "" {
			m["events"] = strings.Fields(strings.ReplaceAll(e.Events, ",", " "))
		}
		if e.Ratings != "" {
			row, err := parseRatings(e.Ratings)
			if err != nil {
				f.Ev[i].Errs = map[string]string{"ratings": err.Error()}
				return nil, errBadRows
			}
			ratings[e.ID] = row
		}
		evs = append(evs, m)
	}
	doc["observations"], doc["evidence"] = obs, evs
	if len(ratings) > 0 {
		doc["ratings"] = ratings
	}
	return json.Marshal(doc)
}

// parseRatings reads "actor-in-DE=C, relay-in-DE=I": hypothesis ids with
// their ratings (checked by the assessment's own parser).
func parseRatings(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		h, r, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || strings.TrimSpace(h) == "" || strings.TrimSpace(r) == "" {
			return nil, fmt.Errorf("%q: write hypothesis=rating, e.g. actor-in-DE=C", strings.TrimSpace(part))
		}
		out[strings.TrimSpace(h)] = strings.TrimSpace(r)
	}
	return out, nil
}

// errBadRows says the rows carry their own errors.
var errBadRows = errors.New("cases: see the rows")

// placeErrors puts the problems ParseInput reports ("observations[0].ip:
// ...") on the rows they concern and returns the others.
func (f *assessForm) placeErrors(err error) []string {
	var general []string
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(line)
		line = strings.TrimPrefix(line, "form: ")
		where, msg, ok := strings.Cut(line, ": ")
		var list string
		var i int
		if ok {
			if n, _ := fmt.Sscanf(where, "observations[%d]", &i); n == 1 {
				list = "o"
			} else if n, _ := fmt.Sscanf(where, "evidence[%d]", &i); n == 1 {
				list = "e"
			}
		}
		_, field, _ := strings.Cut(where, "].")
		if rest, ok := strings.CutPrefix(where, "ratings."); ok {
			eid, _, _ := strings.Cut(rest, ".")
			for j := range f.Ev {
				if f.Ev[j].ID == eid {
					list, i, field = "e", j, "ratings"
				}
			}
		}
		switch {
		case list == "o" && i < len(f.Obs):
			if f.Obs[i].Errs == nil {
				f.Obs[i].Errs = map[string]string{}
			}
			f.Obs[i].Errs[fieldOr(field)] = msg
		case list == "e" && i < len(f.Ev):
			if f.Ev[i].Errs == nil {
				f.Ev[i].Errs = map[string]string{}
			}
			f.Ev[i].Errs[fieldOr(field)] = msg
		case line != "":
			general = append(general, line)
		}
	}
	return general
}

func fieldOr(field string) string {
	if field == "" {
		return "row"
	}
	return field
}

// assessSubmit runs the form's assessment. With a case and "keep" it is
// kept in the case and the answer redirects to it; otherwise the result
// is the answer. format=html answers with the standalone page.
func (a *area) assessSubmit(c *web.Ctx) error {
	f, err := readAssessForm(c)
	if err != nil {
		return err
	}
	var cs *store.Case
	if f.Case != 0 {
		x, err := workflow(c).Case(c.R.Context(), f.Case)
		if err != nil {
			return fail(err)
		}
		cs = &x
	}
	data, err := f.input(c)
	if errors.Is(err, errBadRows) {
		return a.renderAssess(c, http.StatusBadRequest, f, cs, []string{"Some entries are not valid: see the rows marked below."})
	}
	if err != nil {
		return err
	}
	in, err := assess.ParseInput("form", data)
	if err != nil {
		general := []string{"Some entries are not valid: see the rows marked below."}
		if f.File != "" {
			general = []string{err.Error()}
		} else {
			general = append(general, f.placeErrors(err)...)
		}
		return a.renderAssess(c, http.StatusBadRequest, f, cs, general)
	}
	r, err := a.run(c, in)
	if err != nil {
		var e *web.Error
		if errors.As(err, &e) && e.Status == http.StatusBadRequest {
			return a.renderAssess(c, http.StatusBadRequest, f, cs, []string{e.Message})
		}
		return err
	}
	if c.R.PostFormValue("format") == "html" {
		c.Document("text/html; charset=utf-8")
		return r.WriteHTML(c.W)
	}
	if cs != nil && f.Keep {
		id, err := keep(c, cs.ID, r)
		if err != nil {
			return err
		}
		return redirect(c, "/assessments/%d", id)
	}
	return c.Render(a.pages, "assessment", "Assessment: "+r.Title, resultData(c, r, cs, 0, string(data)))
}

// keptAssessment reads an assessment kept in a case; reading it is an
// "accessed" entry of its chain of custody.
func keptAssessment(c *web.Ctx) (*assess.Result, store.EvidenceRecord, *store.Case, error) {
	id, err := c.PathInt("id")
	if err != nil {
		return nil, store.EvidenceRecord{}, nil, err
	}
	n := workflow(c)
	rec, err := n.Evidence(c.R.Context(), id)
	if err != nil {
		return nil, rec, nil, fail(err)
	}
	if !strings.HasPrefix(rec.Description, "assessment: ") || rec.Size > 16<<20 {
		return nil, rec, nil, web.NotFound()
	}
	var buf bytes.Buffer
	if _, err := n.AccessEvidence(c.R.Context(), id, &buf, "assessment read on its page"); err != nil {
		return nil, rec, nil, fail(err)
	}
	var r assess.Result
	if err := json.Unmarshal(buf.Bytes(), &r); err != nil {
		return nil, rec, nil, web.Errorf(http.StatusConflict, "evidence %d is not an assessment Concord can read: %v", id, err)
	}
	cs, err := n.Case(c.R.Context(), rec.CaseID)
	if err != nil {
		return nil, rec, nil, fail(err)
	}
	return &r, rec, &cs, nil
}

func (a *area) assessmentPage(c *web.Ctx) error {
	r, rec, cs, err := keptAssessment(c)
	if err != nil {
		return err
	}
	return c.Render(a.pages, "assessment", "Assessment: "+r.Title, resultData(c, r, cs, rec.ID, ""))
}

func (a *area) assessmentDocument(c *web.Ctx) error {
	r, _, _, err := keptAssessment(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		return err
	}
	c.Document("text/html; charset=utf-8")
	_, err = c.W.Write(buf.Bytes())
	return err
}

func (a *area) assessmentAPI(c *web.Ctx) error {
	r, rec, _, err := keptAssessment(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"evidence": coop.ViewEvidence(rec), "assessment": r})
}

// resultView is an assessment as its page shows it.
type resultView struct {
	R          *assess.Result
	TLP        event.TLP
	Case       *store.Case
	EvidenceID int64
	Columns    []assess.HypothesisResult
	Rows       []matrixRow
	Steps      []stepView
	// Input is the assessment's input, to open the result as a
	// standalone page (a result that was not kept).
	Input string
}

type matrixRow struct {
	ID, Summary string
	Cells       []matrixCell
}

type matrixCell struct {
	Rating, Title string
}

type stepView struct {
	assess.NextStep
	Hypotheses string
	// RequestHref opens the request form filled from the step's draft;
	// empty when the step drafts no request or the caller may not write
	// requests.
	RequestHref string
}

func resultData(c *web.Ctx, r *assess.Result, cs *store.Case, evidenceID int64, input string) resultView {
	t, err := event.ParseTLP(r.TLP)
	if err != nil {
		t = event.TLPRed
	}
	v := resultView{R: r, TLP: t, Case: cs, EvidenceID: evidenceID, Columns: r.Hypotheses, Input: input}
	for _, e := range r.Evidence {
		row := matrixRow{ID: e.ID, Summary: e.Summary}
		for _, h := range r.Hypotheses {
			rr := e.Ratings[h.ID]
			title := e.ID + " × " + h.ID + ": " + rr.Rating
			if rr.Why != "" {
				title += " — " + rr.Why
			}
			row.Cells = append(row.Cells, matrixCell{Rating: rr.Rating, Title: title})
		}
		v.Rows = append(v.Rows, row)
	}
	canRequest := c.P.Can(auth.WriteRequests)
	for _, s := range r.NextSteps {
		sv := stepView{NextStep: s, Hypotheses: strings.Join(s.Hypotheses, ", ")}
		if s.Request != nil && canRequest {
			sv.RequestHref = requestHref(s.Request, cs)
		}
		v.Steps = append(v.Steps, sv)
	}
	return v
}

// requestHref is the address of the request form filled from a draft:
// its type, its country's partner, and the fields the type has.
func requestHref(d *assess.RequestDraft, cs *store.Case) string {
	q := url.Values{}
	q.Set("type", d.Type)
	q.Set("country", d.Country)
	if cs != nil {
		q.Set("case", strconv.FormatInt(cs.ID, 10))
	}
	typ, err := casework.ParseRequestType(d.Type)
	if err != nil {
		return "/requests/new?" + q.Encode()
	}
	values := map[string]string{"ip": d.IP, "time": d.Time, "data": d.Data, "purpose": d.Purpose, "provider": d.Provider, "follow_up": d.FollowUp}
	if d.Port != 0 {
		values["port"] = strconv.Itoa(d.Port)
	}
	if len(d.LegalBasis) > 0 {
		values["legal_provisions"] = strings.Join(d.LegalBasis, "\n")
	}
	for _, f := range casework.Fields(typ) {
		if v := values[f.Name]; v != "" {
			q.Set("f."+f.Name, v)
		}
	}
	return "/requests/new?" + q.Encode()
}
