package events

import (
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/stats"
	"github.com/concord-cert/concord/internal/web"
)

// dueWindow is how soon a request's deadline must be for the dashboard to
// list it; overdue ones are listed too.
const dueWindow = 72 * time.Hour

// recentRuns is how many ingest runs the dashboard lists.
const recentRuns = 8

// dashboardView is the dashboard page and, encoded, its API answer.
type dashboardView struct {
	Period periodJSON `json:"period"`
	// Rule says how the period was chosen.
	Rule string `json:"period_rule"`
	// NoHome is set when the node has no reporting country configured, so
	// there is no report to show.
	NoHome bool `json:"no_home,omitempty"`
	// TLP is the marking the figures inherit; Withheld is true when the
	// caller may not receive it, and the figures are then absent.
	TLP      string          `json:"tlp"`
	Marking  event.TLP       `json:"-"`
	Withheld bool            `json:"withheld"`
	Headline *headline       `json:"headline,omitempty"`
	Relay    *stats.RelayRow `json:"relay_share_abroad,omitempty"`
	Charts   []chartLink     `json:"charts"`
	Query    template.URL    `json:"-"`
	Ingests  []runJSON       `json:"recent_ingests"`
	// CanIngest is whether the caller may open ingest runs.
	CanIngest bool `json:"-"`
	// Requests are open requests due within 72 hours or overdue, soonest
	// first; nil when the caller may not read requests.
	Requests     []dueRequest `json:"requests_due,omitempty"`
	ReadRequests bool         `json:"-"`
	Generated    string       `json:"generated_at,omitempty"`
}

type periodJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
	Days int    `json:"days"`
	Home string `json:"home"`
}

// chartLink is a chart's address and text alternative.
type chartLink struct {
	Name string `json:"name"`
	Alt  string `json:"alt"`
	URL  string `json:"url"`
	Wide bool   `json:"-"`
}

// dueRequest is one request whose deadline is near or past.
type dueRequest struct {
	ID      int64     `json:"id"`
	Type    string    `json:"type"`
	Dir     string    `json:"direction"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Status  string    `json:"status"`
	Due     time.Time `json:"due"`
	Overdue bool      `json:"overdue"`
	TLP     string    `json:"tlp"`
	Marking event.TLP `json:"-"`
	// Left says how far the deadline is, for the page.
	Left string `json:"-"`
}

func (a *area) dashboardData(c *web.Ctx) (*dashboardView, error) {
	ctx := c.R.Context()
	v := &dashboardView{
		Rule:      "the 30 days ending with the latest day on which events are stored (today at the latest)",
		Charts:    []chartLink{},
		Ingests:   []runJSON{},
		CanIngest: c.P.Can(auth.Ingest),
	}
	p, err := a.defaultPeriod(ctx)
	if err != nil {
		return nil, err
	}
	v.Period = periodJSON{From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly), Days: p.Days(), Home: p.Home}
	self := c.Self()
	if p.Home == "" {
		v.NoHome = true
	} else {
		e, err := a.reports.get(ctx, p.key())
		if err != nil {
			return nil, err
		}
		v.Marking, v.TLP, v.Query = e.marking, e.marking.String(), p.query()
		if r := receivable(c, e); r != nil {
			h := headlineOf(r)
			v.Headline, v.Relay, v.Generated = &h, &r.AttackSources.RelayAbroad, r.Generated
			charts, err := e.chartsOf()
			if err != nil {
				return nil, err
			}
			for _, ch := range charts {
				v.Charts = append(v.Charts, chartLink{Name: ch.Name, Alt: ch.Alt, URL: "/reports/charts/" + ch.Name + "?" + string(v.Query), Wide: ch.Wide()})
			}
		} else {
			v.Withheld = true
		}
	}
	if v.Ingests, err = a.ingests.recent(c, recentRuns); err != nil {
		return nil, err
	}
	if c.P.Can(auth.ReadRequests) {
		v.ReadRequests = true
		if v.Requests, err = dueSoon(c, self); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// dueSoon returns the open requests the caller may receive whose deadline
// is within dueWindow or past, soonest first.
func dueSoon(c *web.Ctx, self string) ([]dueRequest, error) {
	reqs, err := c.S.Store.Requests(c.R.Context())
	if err != nil {
		return nil, err
	}
	now := c.S.Cfg.Now()
	out := []dueRequest{}
	for _, r := range reqs {
		st := casework.Status(r.Status)
		if !st.Open() || st == casework.StatusDraft || r.Due.IsZero() || r.Due.Sub(now) > dueWindow {
			continue
		}
		if !c.MayReceive(casework.Marking{TLP: r.TLP}, self, nil) {
			continue
		}
		out = append(out, dueRequest{ID: r.ID, Type: r.Type, Dir: r.Direction, From: r.From, To: r.To, Status: r.Status,
			Due: r.Due, Overdue: r.Due.Before(now), TLP: r.TLP.String(), Marking: r.TLP, Left: left(r.Due.Sub(now))})
	}
	slices.SortFunc(out, func(x, y dueRequest) int { return x.Due.Compare(y.Due) })
	return out, nil
}

func (a *area) dashboard(c *web.Ctx) error {
	v, err := a.dashboardData(c)
	if err != nil {
		return err
	}
	return c.Render(a.pages, "dashboard", "Dashboard", v)
}

func (a *area) dashboardAPI(c *web.Ctx) error {
	v, err := a.dashboardData(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// left says how far a deadline is: "in 5 h", "3 h overdue".
func left(d time.Duration) string {
	d = d.Round(time.Hour)
	if d < 0 {
		return hours(-d) + " overdue"
	}
	return "in " + hours(d)
}

func hours(d time.Duration) string {
	h := int(d.Hours())
	switch {
	case h >= 48:
		return strconv.Itoa(h/24) + " days"
	case h < 1:
		return "less than an hour"
	}
	return strconv.Itoa(h) + " h"
}
