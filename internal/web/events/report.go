package events

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/stats"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
)

// maxPeriodDays bounds a report's period: three years of facts is what a
// yearly comparison needs, and more keeps a request busy for long.
const maxPeriodDays = 3*366 + 1

// defaultDays is the dashboard's period: the thirty days ending with the
// latest day on which events are stored.
const defaultDays = 30

// parsePeriod reads from, to, home and bucket. Missing dates take def's.
func parsePeriod(q url.Values, def period) (period, error) {
	p := def
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from", &p.From}, {"to", &p.To}} {
		v := strings.TrimSpace(q.Get(f.name))
		if v == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil || t.Year() < 1970 || t.Year() > 9999 {
			return p, badRequest("%s %q is not a date YYYY-MM-DD", f.name, v)
		}
		*f.dst = t
	}
	if h := strings.TrimSpace(q.Get("home")); h != "" {
		p.Home = strings.ToUpper(h)
	}
	if !isCountry(p.Home) {
		return p, badRequest("name the reporting country (home) as an ISO 3166-1 alpha-2 code such as PL")
	}
	if p.To.Before(p.From) {
		return p, badRequest("the period ends (%s) before it starts (%s)", p.To.Format(time.DateOnly), p.From.Format(time.DateOnly))
	}
	if p.Days() > maxPeriodDays {
		return p, badRequest("a report covers at most three years; this period has %d days", p.Days())
	}
	switch b := q.Get("bucket"); b {
	case "", "day", "week", "month":
		p.Bucket = b
	default:
		return p, badRequest("bucket %q: use day, week or month", b)
	}
	return p, nil
}

func isCountry(cc string) bool {
	return len(cc) == 2 && cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z'
}

// lastMonth is the reports page's default: the calendar month before
// now's, as `concord report` has it.
func (a *area) lastMonth() period {
	now := a.s.Cfg.Now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	return period{From: first, To: first.AddDate(0, 1, -1), Home: strings.ToUpper(a.s.Cfg.Home)}
}

// defaultPeriod is the dashboard's period: the thirty days ending with
// the latest day holding events (never after today), so a node fed
// yesterday's files, or demo data of another year, shows figures rather
// than an empty month.
func (a *area) defaultPeriod(ctx context.Context) (period, error) {
	today := store.DayTime(store.DayOf(a.s.Cfg.Now()))
	end := today
	page, err := a.s.Store.SearchEvents(ctx, store.EventQuery{TLPs: allTLPs, Limit: 1, ScanLimit: 1024})
	if err != nil {
		return period{}, err
	}
	if len(page.Events) > 0 {
		if t := page.Events[0].Event.Time(); !t.IsZero() && t.Before(today) {
			end = store.DayTime(store.DayOf(t))
		}
	}
	return period{From: end.AddDate(0, 0, 1-defaultDays), To: end, Home: strings.ToUpper(a.s.Cfg.Home)}, nil
}

// allTLPs finds the latest stored day, which says nothing about any
// event but its date; nothing found with it is shown.
var allTLPs = []event.TLP{event.TLPClear, event.TLPGreen, event.TLPAmber, event.TLPAmberStrict, event.TLPRed}

// receivable returns e's report when the caller may receive its
// marking, nil otherwise.
func receivable(c *web.Ctx, e *reportEntry) *stats.Report {
	if c.MayReceive(casework.Marking{TLP: e.marking}, c.Self(), nil) {
		return e.report
	}
	return nil
}

// reportView is the reports page.
type reportView struct {
	Form      reportForm
	Formats   []string
	Asked     bool
	Error     string
	Period    period
	Query     template.URL
	Marking   event.TLP
	Withheld  bool
	Report    *stats.Report
	Charts    []chart
	Headline  headline
	Computing time.Duration
}

// reportForm is what the form shows back.
type reportForm struct{ From, To, Home, Bucket string }

func (a *area) reportPage(c *web.Ctx) error {
	q := c.R.URL.Query()
	def := a.lastMonth()
	v := reportView{
		Form: reportForm{From: def.From.Format(time.DateOnly), To: def.To.Format(time.DateOnly), Home: def.Home},
	}
	if q.Get("from") == "" && q.Get("to") == "" {
		return c.Render(a.pages, "reports", "Reports", v)
	}
	v.Asked = true
	v.Form = reportForm{From: q.Get("from"), To: q.Get("to"), Home: q.Get("home"), Bucket: q.Get("bucket")}
	p, err := parsePeriod(q, def)
	if err != nil {
		v.Error = err.Error()
		return c.RenderStatus(http.StatusBadRequest, a.pages, "reports", "Reports", v)
	}
	start := time.Now()
	e, err := a.reports.get(c.R.Context(), p.key())
	if err != nil {
		return err
	}
	v.Computing = time.Since(start).Round(time.Millisecond)
	v.Period, v.Query, v.Marking = p, p.query(), e.marking
	v.Report = receivable(c, e)
	v.Withheld = v.Report == nil
	if v.Report != nil {
		v.Headline = headlineOf(v.Report)
		if v.Charts, err = e.chartsOf(); err != nil {
			return err
		}
	}
	return c.Render(a.pages, "reports", "Reports", v)
}

// entryFor validates the period of a download, chart or API request and
// returns its report, or a 404 when the caller may not receive it.
func (a *area) entryFor(c *web.Ctx) (period, *reportEntry, error) {
	p, err := parsePeriod(c.R.URL.Query(), a.lastMonth())
	if err != nil {
		return p, nil, err
	}
	e, err := a.reports.get(c.R.Context(), p.key())
	if err != nil {
		return p, nil, err
	}
	if receivable(c, e) == nil {
		return p, nil, web.NotFound()
	}
	return p, e, nil
}

func (a *area) reportDownload(c *web.Ctx) error {
	format := c.R.URL.Query().Get("format")
	switch format {
	case "html", "json", "csv":
	default:
		return badRequest("format %q: use html, json or csv", format)
	}
	p, e, err := a.entryFor(c)
	if err != nil {
		return err
	}
	body, ctype, err := renderReport(e.report, e.marking, format)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("concord-report-%s-%s-%s.%s", p.From.Format(time.DateOnly), p.To.Format(time.DateOnly), p.Home, format)
	if err := c.Audit("report.export", "report/"+p.From.Format(time.DateOnly)+"/"+p.To.Format(time.DateOnly),
		map[string]any{"home": p.Home, "format": format, "tlp": e.marking.String(), "bytes": len(body)}); err != nil {
		return err
	}
	c.Download(ctype, name)
	_, err = c.W.Write(body)
	return err
}

// renderReport writes r in format, marked: a banner at the top of the
// HTML page, a first comment line in CSV, a "tlp" member in JSON. A file
// that leaves the node says what it may be shared with.
func renderReport(r *stats.Report, marking event.TLP, format string) ([]byte, string, error) {
	var buf bytes.Buffer
	label := marking.String()
	switch format {
	case "html":
		if err := stats.WriteHTML(&buf, r, 10); err != nil {
			return nil, "", err
		}
		banner := `<p style="margin:0;padding:6px 12px;background:#000;color:#fff;font:700 14px sans-serif">` +
			html.EscapeString(label) + ` — derived from events marked up to ` + html.EscapeString(label) + `</p>`
		b := bytes.Replace(buf.Bytes(), []byte("<body>"), []byte("<body>\n"+banner), 1)
		return b, "text/html; charset=utf-8", nil
	case "csv":
		fmt.Fprintf(&buf, "# %s\n", label)
		if err := stats.WriteCSV(&buf, r); err != nil {
			return nil, "", err
		}
		return buf.Bytes(), "text/csv; charset=utf-8", nil
	default:
		b, err := stats.MarshalJSON(r)
		if err != nil {
			return nil, "", err
		}
		b = bytes.Replace(b, []byte("{\n"), []byte(fmt.Sprintf("{\n  \"tlp\": %q,\n", label)), 1)
		return b, "application/json; charset=utf-8", nil
	}
}

func (a *area) reportChart(c *web.Ctx) error {
	_, e, err := a.entryFor(c)
	if err != nil {
		return err
	}
	charts, err := e.chartsOf()
	if err != nil {
		return err
	}
	for _, ch := range charts {
		if ch.Name == c.R.PathValue("name") {
			c.Document("image/svg+xml")
			_, err := c.W.Write(ch.SVG)
			return err
		}
	}
	return web.NotFound()
}

func (a *area) reportAPI(c *web.Ctx) error {
	_, e, err := a.entryFor(c)
	if err != nil {
		return err
	}
	b, err := stats.MarshalJSON(e.report)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		TLP    string          `json:"tlp"`
		Report json.RawMessage `json:"report"`
	}{e.marking.String(), b})
}

// headline is a report's three figures with their change against the
// previous period of equal length.
type headline struct {
	C2Servers     figure `json:"c2_servers"`
	InfectedHosts figure `json:"infected_hosts"`
	AttackSources figure `json:"attack_sources"`
}

// figure is one headline number.
type figure struct {
	Value    int      `json:"value"`
	Previous int      `json:"previous"`
	Delta    int      `json:"delta"`
	Relative *float64 `json:"relative"`
}

func headlineOf(r *stats.Report) headline {
	f := func(v, prev int, ch stats.Change) figure {
		return figure{Value: v, Previous: prev, Delta: ch.Delta, Relative: ch.Relative}
	}
	pt, pc := r.Previous.Totals, r.Previous.Change
	return headline{
		C2Servers:     f(r.C2Servers.Total, pt.C2Servers, pc.C2Servers),
		InfectedHosts: f(r.InfectedHosts.Domestic, pt.InfectedHosts, pc.InfectedHosts),
		AttackSources: f(r.AttackSources.Total, pt.AttackSources, pc.AttackSources),
	}
}

// Change describes a figure's change for a page: "+12 (+4.0 %)".
func (f figure) Change() string {
	s := fmt.Sprintf("%+d", f.Delta)
	if f.Relative != nil {
		s += fmt.Sprintf(" (%+.1f %%)", *f.Relative*100)
	}
	return s
}
