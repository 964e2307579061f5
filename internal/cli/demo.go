package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/concord-cert/concord/internal/assess"
	"github.com/concord-cert/concord/internal/auth"
	cooperation "github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/demo"
	"github.com/concord-cert/concord/internal/enrich"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/feed"
	"github.com/concord-cert/concord/internal/ingest"
	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/stats"
	"github.com/concord-cert/concord/internal/store"
)

func runDemo(ctx context.Context, e *env, args []string) int {
	fs := e.newFlags("demo", "[--dir DIR] [--eve N] [--home CC] [--generate-only]")
	dir := fs.String("dir", "concord-demo", "`directory` for the generated feeds and the demo database")
	n := fs.Int("eve", 20000, "`number` of Suricata EVE records to generate")
	home := fs.String("home", "PL", "`country` whose network the demo sensors watch")
	seed := fs.Uint64("seed", 1, "random `seed`; the same seed gives the same files")
	startS := fs.String("start", "2026-10-01", "first `day` the feeds cover")
	days := fs.Int("days", 31, "`number` of days the feeds cover")
	genOnly := fs.Bool("generate-only", false, "write the files and stop (for benchmarks)")
	serve := fs.Bool("serve", true, "then serve the demo database on --addr until Ctrl-C, with a one-time admin login")
	addr := fs.String("addr", "127.0.0.1:8080", "`address` to serve on (the next free port is taken when it is busy)")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	geo, err := ipdb.Default()
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	first, err := time.Parse(time.DateOnly, *startS)
	if err != nil || *days <= 0 {
		return e.fail(exitUsage, "--start %q and --days %d must be a date and a positive number", *startS, *days)
	}
	start := time.Now()
	files, err := demo.Generate(geo, demo.Options{Dir: *dir, Home: *home, EVE: *n, Seed: *seed, Start: first, Days: *days})
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	fmt.Fprintf(e.stdout, "Generated demo feeds in %s/ (%s) for a CERT watching %s's networks, %s to %s:\n", *dir,
		time.Since(start).Round(time.Millisecond), *home, first.Format(time.DateOnly), first.AddDate(0, 0, *days-1).Format(time.DateOnly))
	for _, f := range append(files.All(), files.TorExits, files.Hosting) {
		st, _ := os.Stat(f)
		fmt.Fprintf(e.stdout, "  %-52s %9s\n", filepath.Base(f), humanBytes(st.Size()))
	}
	if *genOnly {
		return exitOK
	}
	dbPath := filepath.Join(*dir, "concord.db")
	st, err := node.OpenStore(ctx, dbPath)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	for _, l := range []struct {
		kind event.Flags
		path string
	}{{event.FlagTor, files.TorExits}, {event.FlagHosting, files.Hosting}} {
		f, err := os.Open(l.path)
		if err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		entries, _, err := enrich.ParseList(f, enrich.ListOptions{Kind: l.kind, Source: filepath.Base(l.path)})
		f.Close()
		if err == nil {
			_, _, err = st.ImportList(ctx, entries)
		}
		if err != nil {
			return e.fail(exitFailure, "%v", err)
		}
	}
	st.Close()

	fmt.Fprintf(e.stdout, "\n$ concord lists import tor %s && concord lists import hosting %s\n", files.TorExits, files.Hosting)
	fmt.Fprintf(e.stdout, "$ concord ingest --db %s %s\n", dbPath, strings.Join(files.All(), " "))
	s, err := node.Open(ctx, dbPath)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer s.Close()
	if err := s.LoadLists(ctx, time.Time{}, time.Time{}); err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	marking, _ := event.ParseTLP(e.cfg.TLP)
	rep := newIngestReport()
	start = time.Now()
	for _, path := range files.All() {
		res, err := ingestOne(ctx, e, s, path, ingest.Options{Feed: feed.Options{TLP: &marking}, IPDB: s.GeoID}, true)
		if err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		rep.add(fileReport(res))
	}
	elapsed := time.Since(start)
	e.writeIngest(rep, false)
	fmt.Fprintf(e.stdout, "\n%s records in %s (%s records/s), enriched with %s and %d list entries.\n",
		thousands(rep.Totals.Records), elapsed.Round(time.Millisecond), thousands(int64(float64(rep.Totals.Records)/elapsed.Seconds())), s.Geo.ID(), s.NLists)
	if rep.Totals.Duplicates == rep.Totals.Records-rep.Totals.Rejected && rep.Totals.Records > 0 {
		fmt.Fprintln(e.stdout, "Every record was already stored: ingesting the same input twice adds nothing.")
	}
	if code := e.demoSummary(ctx, s, *home, *dir, dbPath, first, first.AddDate(0, 0, *days-1)); code != exitOK || !*serve {
		return code
	}
	return e.demoServe(ctx, s.St, dbPath, *home, *addr)
}

// demoServe registers a demo agency for the node, with its signing key,
// and serves the demo database. The demo's admin also holds the analyst
// and liaison roles, so one login shows every page; a real node separates
// them.
func (e *env) demoServe(ctx context.Context, st store.Store, dbPath, home, addr string) int {
	cw, ok := st.(store.CaseStore)
	if !ok {
		return e.fail(exitFailure, "the demo database keeps no casework")
	}
	if _, err := cw.SelfAgency(ctx); errors.Is(err, store.ErrNotFound) {
		n := &cooperation.Node{St: cw, Data: dataDir(dbPath, ""), Actor: "concord-demo"}
		if _, err := n.AddAgency(ctx, cooperation.NewAgency{ID: "cert-" + strings.ToLower(home), Name: "National CERT of " + home + " (demo)",
			Country: home, Self: true, Contact: "+00 000 000 000 (24/7, demo)", Channels: "e-mail"}); err != nil {
			return e.fail(exitFailure, "%v", err)
		}
	} else if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	if a, err := freePort(addr); err == nil {
		addr = a
	}
	fmt.Fprintf(e.stdout, "\n$ concord serve --db %s --addr %s\n", dbPath, addr)
	return e.serve(ctx, serveOptions{db: dbPath, addr: addr, home: home}, []auth.Role{auth.RoleAdmin, auth.RoleAnalyst, auth.RoleLiaison}, true)
}

// freePort returns addr, or the first of the next ten ports on its host
// that is free.
func freePort(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return "", err
	}
	for i := range 11 {
		a := net.JoinHostPort(host, strconv.Itoa(p+i))
		if ln, err := net.Listen("tcp", a); err == nil {
			ln.Close()
			return a, nil
		}
	}
	return "", fmt.Errorf("no free port from %s", addr)
}

// demoSummary shows what the store now knows, in the terms a CERT's report
// uses: the headline figures, the C&C servers' countries, how many of the
// "foreign attackers" were relays; it writes the full report as HTML next
// to the feeds, and looks up two addresses a report would otherwise blame
// on a country.
func (e *env) demoSummary(ctx context.Context, s *node.Session, home, dir, dbPath string, from, to time.Time) int {
	r, err := node.Report(ctx, s.St, stats.Options{From: from, To: to, Home: home, Bucket: "week", Generated: time.Now()})
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	c, h, a := r.C2Servers, r.InfectedHosts, r.AttackSources
	var top []string
	for i, cs := range c.ByCountry {
		if i == 5 {
			break
		}
		top = append(top, fmt.Sprintf("%s %.0f %%", cs.Country, cs.Share*100))
	}
	fmt.Fprintf(e.stdout, "\n$ concord report --db %s --from %s --to %s --home %s   (excerpt; unit: distinct IP addresses)\n",
		dbPath, r.Period.From, r.Period.To, home)
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "  C&C servers\t%s\t%s abroad; share of foreign C&C servers: %s\n", thousands(int64(c.Total)), thousands(int64(c.Abroad)), strings.Join(top, ", "))
	fmt.Fprintf(w, "  controlled hosts in %s\t%s\t%s controlled from abroad\n", home, thousands(int64(h.Domestic)), thousands(int64(h.ControlledFromAbroad)))
	fmt.Fprintf(w, "  attack sources\t%s\t%s abroad, of which %s (%.1f %%) were Tor exits, proxies, VPN or hosting addresses, or bots\n",
		thousands(int64(a.Total)), thousands(int64(a.Abroad)), thousands(int64(a.RelayAbroad.Relayed)), a.RelayAbroad.Share*100)
	w.Flush()
	htmlPath := filepath.Join(dir, "report.html")
	var buf bytes.Buffer
	if err := stats.WriteHTML(&buf, r, 10); err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	if err := writeFileAtomic(htmlPath, buf.Bytes()); err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	fmt.Fprintf(e.stdout, "  The full report, with the world map and the methodology: %s\n", htmlPath)

	// Two addresses a report would blame on a country, as lookup shows them.
	// The second is a C&C server in a hosting network: a rented machine.
	var torScanner, c2, anyC2 netip.Addr
	at := from.Add(to.Sub(from) / 2)
	facts, err := s.St.Facts(ctx, store.DayOf(from), store.DayOf(to))
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	for _, f := range facts {
		switch {
		case f.Role == event.RoleAttacker && f.CC != home && s.Lists.Flags(f.IP, store.DayTime(f.Day).Add(12*time.Hour))&event.FlagTor != 0:
			if !torScanner.IsValid() || f.IP.Less(torScanner) {
				torScanner, at = f.IP, store.DayTime(f.Day).Add(12*time.Hour)
			}
		case f.Role == event.RoleC2:
			if !anyC2.IsValid() || f.IP.Less(anyC2) {
				anyC2 = f.IP
			}
		}
	}
	for _, f := range facts {
		if f.Role == event.RoleC2 && s.Lists.Flags(f.IP, at)&event.FlagHosting != 0 && (!c2.IsValid() || f.IP.Less(c2)) {
			c2 = f.IP
		}
	}
	if !c2.IsValid() {
		c2 = anyC2
	}
	var args []string
	for _, ip := range []netip.Addr{torScanner, c2} {
		if ip.IsValid() {
			args = append(args, ip.String())
		}
	}
	if len(args) > 0 {
		fmt.Fprintf(e.stdout, "\n$ concord lookup --db %s --at %s %s\n", dbPath, at.Format(time.DateOnly), strings.Join(args, " "))
		en := enrich.New(s.Geo, s.Lists)
		lw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(lw, "ip\tcountry\tasn\tas name\tflags")
		for _, a := range args {
			ip := netip.MustParseAddr(a)
			r, f := en.Lookup(ip, at)
			fmt.Fprintf(lw, "%s\t%s\t%s\t%s\t%s\n", ip, dash(r.CC), dashASN(r.ASN), dash(r.ASName), dash(f.String()))
		}
		lw.Flush()
	}
	if torScanner.IsValid() && c2.IsValid() {
		if code := e.demoAssessment(ctx, s, dir, dbPath, torScanner, c2, at); code != exitOK {
			return code
		}
	}
	fmt.Fprintln(e.stdout, "\nAn address is where packets came from, not who sent them: a Tor exit or a rented server")
	fmt.Fprintln(e.stdout, "in a country says little about who attacked. Run the demo again: everything is a duplicate.")
	return exitOK
}

// demoAssessment writes a case file about the two addresses and assesses
// it as `concord assess` would, printing the judgement and writing the
// full assessment as HTML.
func (e *env) demoAssessment(ctx context.Context, s *node.Session, dir, dbPath string, scanner, c2 netip.Addr, at time.Time) int {
	casePath := filepath.Join(dir, "case.json")
	doc := map[string]any{
		"title": "Who is behind the scanner and its C&C server?",
		"observations": []map[string]any{
			{"id": "o1", "ip": scanner.String(), "time": at.Format(time.RFC3339), "role": "attack-source", "note": "It scanned the network the demo sensors watch."},
			{"id": "o2", "ip": c2.String(), "time": at.Format(time.RFC3339), "role": "c2-server", "note": "Infected machines in the network reported to it."},
		},
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	if err := writeFileAtomic(casePath, append(data, '\n')); err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	in, err := assess.ParseInput(casePath, data)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	bg := &background{geo: s.Geo, en: enrich.New(s.Geo, s.Lists), st: s.St, lists: s.ListKinds, path: dbPath}
	r, err := assess.Assess(ctx, in, bg)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	fmt.Fprintf(e.stdout, "\n$ concord assess --db %s %s   (excerpt)\n", dbPath, casePath)
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	for i, h := range r.Hypotheses {
		if i == 4 {
			fmt.Fprintf(w, "  ... %d more\n", len(r.Hypotheses)-i)
			break
		}
		fmt.Fprintf(w, "  %s\t%s (%.0f %%)\t%s\n", h.ID, h.Likelihood.Words, h.Likelihood.Probability*100, h.Status)
	}
	w.Flush()
	fmt.Fprintf(e.stdout, "  Analytic confidence: %s.\n", r.Confidence)
	if len(r.NextSteps) > 0 {
		line := "  First next step:"
		for _, word := range strings.Fields(r.NextSteps[0].Text) {
			if len(line)+1+len(word) > 96 {
				fmt.Fprintln(e.stdout, line)
				line = "   "
			}
			line += " " + word
		}
		fmt.Fprintln(e.stdout, line)
	}
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf); err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	htmlPath := filepath.Join(dir, "assessment.html")
	if err := writeFileAtomic(htmlPath, buf.Bytes()); err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	fmt.Fprintf(e.stdout, "  The full assessment, with the ACH matrix and how every number was reached: %s\n", htmlPath)
	return exitOK
}
