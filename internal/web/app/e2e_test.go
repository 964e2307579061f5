package app_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/concord-cert/concord/internal/demo"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web/app"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// TestBrowserWalkthrough drives headless Chromium through what a node's
// people do on their first day: an analyst logs in, uploads a Suricata
// log, reads the dashboard and a report, assesses who is behind an
// address and opens a case; a victim files a report and looks up its
// status; the liaison officer drafts a preservation request and exports
// it as a signed package. Each step saves a screenshot (see artifacts).
func TestBrowserWalkthrough(t *testing.T) {
	ctx := browser(t)
	env := webtest.New(t, app.Areas...)
	base := env.HTTP.URL
	geo, err := ipdb.Default()
	if err != nil {
		t.Fatal(err)
	}
	files, err := demo.Generate(geo, demo.Options{Dir: t.TempDir(), Home: "PL", EVE: 3000, Seed: 7,
		Start: time.Now().UTC().AddDate(0, 0, -10).Truncate(24 * time.Hour), Days: 7})
	if err != nil {
		t.Fatal(err)
	}

	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		start := time.Now()
		defer func() { t.Logf("%-22s %s", step, time.Since(start).Round(time.Millisecond)) }()
		if err := chromedp.Do(ctx, actions...); err != nil {
			shot(t, ctx, "failed-"+step)
			t.Fatalf("%s: %v", step, err)
		}
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	login := func(user string) {
		t.Helper()
		run("login as "+user,
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible(css("#user")),
			chromedp.SendKeys(css("#user"), user),
			chromedp.SendKeys(css("#password"), webtest.Password),
			chromedp.Click(css("form[action='/login'] button[type=submit]")),
			chromedp.WaitVisible(css("header nav")),
		)
	}
	logout := func() {
		t.Helper()
		run("log out", chromedp.Click(css("header form[action='/logout'] button")), chromedp.WaitVisible(css("#user")))
	}

	// 1. Log in: the dashboard of an empty node.
	run("login page", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(css("#user")))
	shot(t, ctx, "01-login")
	labelled(t, ctx, "login")
	login("analyst")
	mustContain(t, ctx, "dashboard", "Dashboard")

	// 2. Ingest a Suricata EVE log through the upload form (the page's
	// script sends it with a progress bar and lands on the run's page).
	run("ingest upload",
		chromedp.Navigate(base+"/ingest"),
		chromedp.WaitVisible(css("#file")),
		chromedp.SetUploadFiles(css("#file"), []string{files.EVE}),
		chromedp.Click(css("form[action^='/ingest'] button[type=submit]")),
		chromedp.WaitVisible(css("main h1")),
	)
	waitFor(t, ctx, "the ingest run to finish", func(main string) bool { return strings.Contains(main, "done") }, 60*time.Second)
	shot(t, ctx, "02-ingest-run")
	labelled(t, ctx, "ingest run")
	mustContain(t, ctx, "ingest run", "3,000")

	// 3. The dashboard now has figures and charts.
	run("dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(css("main")))
	waitFor(t, ctx, "the dashboard's figures", func(main string) bool { return !strings.Contains(main, "being computed") }, 30*time.Second)
	imagesLoaded(t, ctx, "dashboard")
	shot(t, ctx, "03-dashboard")
	labelled(t, ctx, "dashboard")

	// 3b. Search the events, and open an address's page from a result.
	run("event search",
		chromedp.Navigate(base+"/events?class=intrusion-attempts"),
		chromedp.WaitVisible(css("main table a[href^='/ip/']")),
	)
	labelled(t, ctx, "event search")
	shot(t, ctx, "03b-events")
	run("address page",
		chromedp.Click(css("main table a[href^='/ip/']")),
		chromedp.WaitVisible(css("main h2")),
	)
	mustContain(t, ctx, "address page", "intrusion-attempts")
	shot(t, ctx, "03c-address")

	// 4. A report for the week the log covers, with its charts.
	from := time.Now().UTC().AddDate(0, 0, -10).Format(time.DateOnly)
	to := time.Now().UTC().AddDate(0, 0, -4).Format(time.DateOnly)
	run("report", chromedp.Navigate(base+"/reports?from="+from+"&to="+to+"&home=PL"), chromedp.WaitVisible(css("main")))
	mustContain(t, ctx, "report", "C&C", "TLP:AMBER")
	imagesLoaded(t, ctx, "report")
	shot(t, ctx, "04-report")
	labelled(t, ctx, "report")

	// 5. An assessment of an address seen in the log.
	ip, at := firstSource(t, env)
	run("assessment",
		chromedp.Navigate(base+"/assess"),
		chromedp.WaitVisible(css("input[name='o.0.ip']")),
		chromedp.SendKeys(css("#as-title"), "Who is behind the scans of the ministry?"),
		chromedp.SendKeys(css("input[name='o.0.ip']"), ip),
		chromedp.SendKeys(css("input[name='o.0.port']"), "51234"),
		chromedp.SendKeys(css("input[name='o.0.time']"), at),
		chromedp.Click(css("form[action='/assess'] button[type=submit]")),
		chromedp.WaitVisible(css("form.inline[action='/assess']")),
	)
	mustContain(t, ctx, "assessment", "actor-in-", "relay-in-", "Confidence", "ACH")
	shot(t, ctx, "05-assessment")
	labelled(t, ctx, "assessment")

	// 6. A case for the liaison officer's request.
	run("open a case",
		chromedp.Navigate(base+"/cases"),
		chromedp.WaitVisible(css("#case-title")),
		chromedp.SendKeys(css("#case-title"), "Scans of the ministry's VPN gateway"),
		chromedp.Click(css("form[action='/cases'] button[type=submit]")),
		chromedp.WaitVisible(css("#evidence")),
	)
	mustContain(t, ctx, "case", "Scans of the ministry's VPN gateway")
	shot(t, ctx, "06-case")
	labelled(t, ctx, "case")
	logout()

	// 7. A victim files a report without an account and looks it up.
	run("victim form",
		chromedp.Navigate(base+"/report"),
		chromedp.WaitVisible(css("#f-description")),
	)
	shot(t, ctx, "07-victim-form")
	labelled(t, ctx, "victim form")
	run("victim submits",
		chromedp.SendKeys(css("#f-description"), "A caller claiming to be from my bank made me install a remote-support app; then 2,400 EUR left my account."),
		chromedp.SendKeys(css("#f-name"), "Anna Kowalska"),
		chromedp.SendKeys(css("#f-email"), "anna@example.org"),
		chromedp.Click(css("#f-consent-yes")),
		chromedp.Click(css("form[action^='/report'] button[type=submit]")),
		chromedp.WaitVisible(css("#reference")),
	)
	ref := text(t, ctx, "#reference")
	if !regexp.MustCompile(`^VR-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{3}[0-9A-Z*~$=]$`).MatchString(strings.TrimSpace(ref)) {
		t.Errorf("reference %q is not a victim report reference", ref)
	}
	shot(t, ctx, "08-victim-reference")
	run("victim status",
		chromedp.Navigate(base+"/report/status"),
		chromedp.WaitVisible(css("form[action='/report/status'] input[name=reference]")),
		chromedp.SendKeys(css("form[action='/report/status'] input[name=reference]"), strings.TrimSpace(ref)),
		chromedp.Click(css("form[action='/report/status'] button[type=submit]")),
		chromedp.WaitVisible(css("div[role=status]")),
	)
	mustContain(t, ctx, "victim status", strings.TrimSpace(ref))
	shot(t, ctx, "09-victim-status")
	labelled(t, ctx, "victim status")

	// 8. The liaison officer drafts a preservation request to the partner
	// and exports it as a signed package, which submits it.
	login("liaison")
	run("request form",
		chromedp.Navigate(base+"/requests/new?type=preservation"),
		chromedp.WaitVisible(css("#req-case")),
		chromedp.SetValue(css("#req-case"), "1"),
		chromedp.SetValue(css("#req-to"), webtest.Partner),
		chromedp.SendKeys(css("#f-requesting_authority"), "CERT Polska, 24/7 point of contact"),
		chromedp.SendKeys(css("#f-offence"), "Illegal access to a government VPN gateway (Budapest art. 2)"),
		chromedp.SendKeys(css("#f-facts"), "Brute-force logins from "+ip+" on "+at+"."),
		chromedp.SendKeys(css("#f-data"), "Subscriber and connection logs for "+ip+" around "+at+"."),
		chromedp.SendKeys(css("#f-custodian"), "The hosting provider announcing the address"),
		chromedp.SendKeys(css("#f-necessity"), "Logs are kept for 7 days only."),
		chromedp.Click(css("input[name='f.mla_intent']")),
	)
	shot(t, ctx, "10-request-form")
	labelled(t, ctx, "request form")
	run("request saved",
		chromedp.Click(css("form[action='/requests'] button[type=submit]")),
		chromedp.WaitVisible(css("form[action$='/export']")),
	)
	mustContain(t, ctx, "request", "preservation", "draft")
	shot(t, ctx, "11-request-draft")
	labelled(t, ctx, "request")
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatalf("allowing downloads: %v", err)
	}
	run("export",
		chromedp.Click(css("form[action$='/export'] button[type=submit]")),
	)
	pkg := waitForFile(t, dir, 20*time.Second)
	t.Logf("package downloaded: %s", pkg)
	run("request after export", chromedp.Navigate(base+"/requests/1"), chromedp.WaitVisible(css("main")))
	mustContain(t, ctx, "request after export", "submitted")
	shot(t, ctx, "12-request-submitted")
}

// firstSource returns an attacking address the ingest stored and its
// time, as the assessment form wants them.
func firstSource(t *testing.T, env *webtest.Env) (string, string) {
	t.Helper()
	page, err := env.Store.SearchEvents(context.Background(), store.EventQuery{Class: "intrusion-attempts", TLPs: []event.TLP{0, 1, 2, 3}, Limit: 1})
	if err != nil || len(page.Events) == 0 {
		t.Fatalf("no intrusion attempt stored: %v", err)
	}
	e := page.Events[0].Event
	return e.Source.IP.String(), e.Time().UTC().Format(time.RFC3339)
}

// waitFor polls the page's main text until ok holds.
func waitFor(t *testing.T, ctx context.Context, what string, ok func(main string) bool, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		// A page that reloads itself may be between documents: a failed
		// read is retried like a page that does not say it yet.
		if s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main"))); err == nil && ok(s) {
			return
		}
		if time.Now().After(deadline) {
			shot(t, ctx, "failed-wait")
			t.Fatalf("waited %s for %s; the page says:\n%s", limit, what, text(t, ctx, "main"))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// imagesLoaded fails unless every <img> of the page (the charts and the
// map, served as separate SVG documents) loads with a size within ten
// seconds.
func imagesLoaded(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	var bad, total int
	for range 40 {
		var err error
		if bad, err = chromedp.Run(ctx, chromedp.Evaluate[int](`Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).length`)); err != nil {
			t.Fatalf("%s: counting images: %v", page, err)
		}
		total, _ = chromedp.Run(ctx, chromedp.Evaluate[int](`document.images.length`))
		if bad == 0 && total > 0 {
			t.Logf("%s: %d images loaded", page, total)
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Errorf("%s: %d of %d images did not load", page, bad, total)
}

// waitForFile waits for one finished download in dir and returns its path.
func waitForFile(t *testing.T, dir string, limit time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) == 1 && !strings.HasSuffix(m[0], ".crdownload") {
			return m[0]
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no download arrived in %s within %s", dir, limit)
	return ""
}
