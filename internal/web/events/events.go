package events

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/enrich"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/web"
)

//go:embed templates/*.tmpl
var templates embed.FS

//go:embed assets/events.css
var stylesheet []byte

// reportTTL is how long a computed report is served before it is computed
// again; an ingest through the server makes it stale at once.
const reportTTL = 5 * time.Minute

// area holds what the pages of this package share: the parsed pages, the
// report cache, the IP database and relay lists for address pages, and
// the ingests running in the background.
type area struct {
	s       *web.Server
	pages   web.Pages
	reports *reportCache
	// lookupSess is read and refreshed by loadLookup alone; pages use
	// the Enricher and name it publishes.
	lookupSess *node.Session
	lookup     atomic.Pointer[enrich.Enricher]
	geoName    atomic.Pointer[string]
	ingests    *ingester
	ctx        context.Context
}

// Register adds the dashboard, report, event, address and ingest pages
// and their API twins to s. It loads the IP database and relay lists that
// address pages look up, prepares the upload spool, and starts computing
// the dashboard's report in the background so the first visit is fast.
func Register(s *web.Server) error {
	ctx, cancel := context.WithCancel(context.Background())
	a := &area{s: s, ctx: ctx, lookupSess: &node.Session{St: s.Store}}
	a.pages = s.MustParsePages(templates, "templates/*.tmpl")
	a.reports = newReportCache(s.Store, s.Cfg.Now, reportTTL)
	if err := a.loadLookup(ctx); err != nil {
		cancel()
		return fmt.Errorf("events: %w", err)
	}
	ing, err := newIngester(s, filepath.Join(s.Cfg.Data, "spool"), filepath.Join(s.Cfg.Data, "ingests"), a.ingestDone)
	if err != nil {
		cancel()
		return fmt.Errorf("events: %w", err)
	}
	a.ingests = ing
	a.routes()
	go a.background(ctx)
	s.OnClose(func() {
		cancel()
		ing.close(30 * time.Second)
	})
	return nil
}

func (a *area) routes() {
	s := a.s
	for _, rt := range []web.Route{
		{Method: "GET", Path: "/{$}", Action: auth.ReadReports, Summary: "Dashboard: the current period's figures, charts, relay share, recent ingests and requests due soon", Handler: a.dashboard},
		{Method: "GET", Path: "/api/v1/dashboard", Action: auth.ReadReports, Summary: "The dashboard's figures, chart addresses, recent ingests and requests due soon", Handler: a.dashboardAPI},

		{Method: "GET", Path: "/reports", Action: auth.ReadReports, Summary: "Report form and, for a period, its figures and charts", Handler: a.reportPage},
		{Method: "GET", Path: "/reports/download", Action: auth.ReadReports, Summary: "Download a period's report as HTML, JSON or CSV (from, to, home, bucket, format)", Handler: a.reportDownload},
		{Method: "GET", Path: "/reports/charts/{name}", Action: auth.ReadReports, Summary: "One chart or the world map of a period's report, as SVG", Handler: a.reportChart},
		{Method: "GET", Path: "/api/v1/reports", Action: auth.ReadReports, Summary: "A period's report as JSON (from, to, home, bucket)", Handler: a.reportAPI},

		{Method: "GET", Path: "/events", Action: auth.ReadEvents, Summary: "Search events by time, class, country, AS, address or prefix, feed, malware and flags", Handler: a.searchPage},
		{Method: "GET", Path: "/api/v1/events", Action: auth.ReadEvents, Summary: "Search events; one page, newest first, with a cursor (before) to continue", Handler: a.searchAPI},
		{Method: "GET", Path: "/events/{key}", Action: auth.ReadEvents, Summary: "One event: its fields, enrichment and original record", Handler: a.eventPage},
		{Method: "GET", Path: "/api/v1/events/{key}", Action: auth.ReadEvents, Summary: "One event with its original record", Handler: a.eventAPI},

		{Method: "GET", Path: "/ip/{addr}", Action: auth.ReadEvents, Summary: "Everything known about an address: country and AS, relay lists, history, events, cases", Handler: a.ipPage},
		{Method: "GET", Path: "/api/v1/ip/{addr}", Action: auth.ReadEvents, Summary: "Everything known about an address", Handler: a.ipAPI},

		{Method: "GET", Path: "/ingest", Action: auth.Ingest, Summary: "Upload form, input formats and recent ingests", Handler: a.ingestPage},
		{Method: "POST", Path: "/ingest", Action: auth.Ingest, Summary: "Upload a file to ingest (multipart: file, format, feed, tlp, mapping)", Handler: a.ingestUpload, MaxBody: s.Cfg.MaxUpload},
		{Method: "GET", Path: "/ingest/{id}", Action: auth.Ingest, Summary: "One ingest run: progress, counters and rejections", Handler: a.runPage},
		{Method: "POST", Path: "/api/v1/ingest", Action: auth.Ingest, Summary: "Ingest the request body as a stream (query: format, feed, name, tlp); answers the run id", Handler: a.ingestStream, MaxBody: s.Cfg.MaxUpload},
		{Method: "GET", Path: "/api/v1/ingest/{id}", Action: auth.Ingest, Summary: "One ingest run with its counters", Handler: a.runAPI},
		{Method: "GET", Path: "/api/v1/ingest/{id}/rejections", Action: auth.Ingest, Summary: "The records an ingest run rejected, with line and reason", Handler: a.rejectionsAPI},
		{Method: "GET", Path: "/api/v1/ingests", Action: auth.Ingest, Summary: "Recent ingest runs, newest first", Handler: a.runsAPI},
		{Method: "GET", Path: "/assets-events/events.css", Access: web.Public, Summary: "The events pages' stylesheet", Handler: serveStylesheet},
		{Method: "GET", Path: "/api/v1/formats", Action: auth.Ingest, Summary: "The input formats ingest reads", Handler: a.formatsAPI},
	} {
		s.Handle(rt)
	}
}

// serveStylesheet answers the few style rules the events pages add to
// the core stylesheet.
func serveStylesheet(c *web.Ctx) error {
	c.W.Header().Set("Content-Type", "text/css; charset=utf-8")
	c.W.Header().Set("Cache-Control", "public, max-age=3600")
	_, err := c.W.Write(stylesheet)
	return err
}

// loadLookup opens the active IP database and indexes the relay lists for
// address pages; background refreshes them now and then, decoding the IP
// database again only when another one became active.
func (a *area) loadLookup(ctx context.Context) error {
	if err := a.lookupSess.Refresh(ctx); err != nil {
		return err
	}
	a.lookup.Store(enrich.New(a.lookupSess.Geo, a.lookupSess.Lists))
	name := a.lookupSess.Geo.ID()
	a.geoName.Store(&name)
	return nil
}

// background keeps the dashboard's report warm and the address pages'
// lists fresh until ctx ends.
func (a *area) background(ctx context.Context) {
	a.warm(ctx)
	t := time.NewTicker(reportTTL - 30*time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.loadLookup(ctx); err != nil && ctx.Err() == nil {
				a.s.Cfg.Log.Warn("events: reloading the relay lists failed", "err", err)
			}
			a.warm(ctx)
		}
	}
}

// warm computes the dashboard's default period in the background, so
// that a visit finds it ready.
func (a *area) warm(ctx context.Context) {
	if a.s.Cfg.Home == "" {
		return
	}
	p, err := a.defaultPeriod(ctx)
	if err != nil {
		if ctx.Err() == nil {
			a.s.Cfg.Log.Warn("events: finding the dashboard's period failed", "err", err)
		}
		return
	}
	// Computed again a while before it expires, so that visits find it
	// fresh.
	a.reports.refresh(p.key(), reportTTL-90*time.Second)
}

// ingestDone runs when an ingest through the server ends: reports over
// the new events are stale, and the dashboard's is computed again.
func (a *area) ingestDone() {
	a.reports.invalidate()
	go a.warm(a.ctx)
}

// badRequest is a 400 with a message for the user.
func badRequest(format string, args ...any) error {
	return web.Errorf(http.StatusBadRequest, format, args...)
}
