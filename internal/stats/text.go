package stats

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText renders the report for a terminal: headline figures with the
// change since the previous period, the ranked tables (top rows of each),
// the relay share, the trend and the methodology.
func WriteText(w io.Writer, r *Report, top int) error {
	if top <= 0 {
		top = 10
	}
	p := &printer{w: w}
	p.f("Concord report, %s to %s (%d days), home country %s\n", r.Period.From, r.Period.To, r.Period.Days, countryLabel(r.Home))
	p.f("Unit: %s.\n\n", r.Methodology.Unit)

	tw := p.table()
	fmt.Fprintf(tw, "\tthis period\tprevious period\tchange\t\n")
	prev := r.Previous.Totals
	ch := r.Previous.Change
	for _, row := range []struct {
		name      string
		cur, prev int
		ch        Change
	}{
		{"C&C servers", r.C2Servers.Total, prev.C2Servers, ch.C2Servers},
		{"controlled hosts in " + r.Home, r.InfectedHosts.Domestic, prev.InfectedHosts, ch.InfectedHosts},
		{"attack sources", r.AttackSources.Total, prev.AttackSources, ch.AttackSources},
	} {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t\n", row.name, num(row.cur), num(row.prev), changeText(row.ch))
	}
	tw.Flush()
	p.f("  (previous period: %s to %s)\n", r.Previous.From, r.Previous.To)

	c := r.C2Servers
	p.f("\nC&C SERVERS: %s (domestic %s, abroad %s, country unknown %s)\n", num(c.Total), num(c.Domestic), num(c.Abroad), num(c.UnknownCountry))
	p.shareTable("By country, share of foreign C&C servers", c.ByCountry, top, false)
	if len(c.ByASN) > 0 {
		p.f("  By autonomous system\n")
		tw = p.table()
		for i, a := range c.ByASN {
			if i == top {
				fmt.Fprintf(tw, "    … %d more\t\t\t\n", len(c.ByASN)-top)
				break
			}
			fmt.Fprintf(tw, "    %s\t%s\t  %s\n", asLabel(a.ASN), num(a.Count), a.ASName)
		}
		tw.Flush()
	}
	p.malwareTable("By malware family (a server with several counts under each)", c.ByMalware, top)

	h := r.InfectedHosts
	p.f("\nCONTROLLED HOSTS in %s: %s (with a known C&C server %s; controlled from abroad %s; %s infected hosts seen anywhere)\n",
		r.Home, num(h.Domestic), num(h.WithKnownController), num(h.ControlledFromAbroad), num(h.Total))
	p.shareTable("By controller country (a host counts under each country it contacted; share of host–country pairs, then of hosts controlled from abroad)", h.ByControllerCountry, top, true)
	p.malwareTable("By malware family", h.ByMalware, top)

	a := r.AttackSources
	p.f("\nATTACK SOURCES: %s (domestic %s, abroad %s, country unknown %s)\n", num(a.Total), num(a.Domestic), num(a.Abroad), num(a.UnknownCountry))
	if len(a.ByClass) > 0 {
		p.f("  By classification (an address with several classes counts under each)\n")
		tw = p.table()
		for _, cl := range a.ByClass {
			fmt.Fprintf(tw, "    %s\t%s\t\n", cl.Classification, num(cl.Count))
		}
		tw.Flush()
	}
	ra := a.RelayAbroad
	p.f("  Relay share: of %s attack-source addresses abroad, %s (%s) were Tor exits, proxies, VPN or hosting\n  addresses, or infected hosts, when they were seen: where packets came from, not who sent them.\n",
		num(ra.Total), num(ra.Relayed), pct(ra.Share))
	if len(a.RelayShare) > 0 {
		tw = p.table()
		fmt.Fprintf(tw, "    country\ttotal\ttor\tproxy\tvpn\thosting\tinfected\trelay share\t\n")
		for i, row := range a.RelayShare {
			if i == top {
				fmt.Fprintf(tw, "    … %d more\t\t\t\t\t\t\t\t\n", len(a.RelayShare)-top)
				break
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", countryLabel(row.Country), num(row.Total), num(row.Tor), num(row.Proxy),
				num(row.VPN), num(row.Hosting), num(row.Infected), pct(row.Share))
		}
		tw.Flush()
	}

	p.f("\nTREND by %s (distinct addresses per %s)\n", r.TrendBucket, r.TrendBucket)
	tw = p.table()
	fmt.Fprintf(tw, "    %s\tC&C servers\tcontrolled hosts\tattack sources\t\n", r.TrendBucket)
	for _, b := range r.Trend {
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t\n", b.Bucket, num(b.C2Servers), num(b.InfectedHosts), num(b.AttackSources))
	}
	tw.Flush()

	p.cooperation(&r.Cooperation, top)

	m := r.Methodology
	p.f("\nMETHODOLOGY\n  Unit: %s.\n  Counting rules:\n", m.Unit)
	for _, rule := range m.Rules {
		p.f("  - %s\n", rule)
	}
	p.f("  Records the figures rest on:\n")
	tw = p.table()
	for _, f := range m.Feeds {
		fmt.Fprintf(tw, "    %s\t%s records\t(%s incidents, %s observations)\t\n", f.Feed, num64(f.Records), num64(f.Incidents), num64(f.Observations))
	}
	tw.Flush()
	var dbs []string
	for _, d := range m.IPDB {
		dbs = append(dbs, d.Name+" "+d.Version)
	}
	p.f("  IP databases: %s\n", orNone(strings.Join(dbs, ", ")))
	var lists []string
	for _, l := range m.Lists {
		lists = append(lists, fmt.Sprintf("%s (%d entries)", l.Kind, l.Entries))
	}
	p.f("  Relay lists: %s\n  Known biases:\n", orNone(strings.Join(lists, ", ")))
	for _, b := range m.Biases {
		p.f("  - %s\n", b)
	}
	p.f("\nGenerated %s.\n", r.Generated)
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) table() *tabwriter.Writer {
	return tabwriter.NewWriter(p.w, 0, 0, 2, ' ', tabwriter.AlignRight)
}

func (p *printer) shareTable(title string, rows []CountryShare, top int, ofHosts bool) {
	if len(rows) == 0 {
		return
	}
	p.f("  %s\n", title)
	tw := p.table()
	for i, row := range rows {
		if i == top {
			fmt.Fprintf(tw, "    … %d more\t\t\t\n", len(rows)-top)
			break
		}
		extra := ""
		if ofHosts {
			extra = pct(row.ShareOfHosts) + "\t"
		}
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s %s\n", countryLabel(row.Country), num(row.Count), pct(row.Share), extra, bar(row.Share))
	}
	tw.Flush()
}

func (p *printer) malwareTable(title string, rows []MalwareCount, top int) {
	if len(rows) == 0 {
		return
	}
	p.f("  %s\n", title)
	tw := p.table()
	for i, row := range rows {
		if i == top {
			fmt.Fprintf(tw, "    … %d more\t\t\n", len(rows)-top)
			break
		}
		fmt.Fprintf(tw, "    %s\t%s\t\n", row.Malware, num(row.Count))
	}
	tw.Flush()
}

// countryLabel is "United States (US)", or the code alone when the name is
// unknown.
func countryLabel(cc string) string {
	if cc == "" {
		return "unknown"
	}
	if n := CountryName(cc); n != "" {
		return n + " (" + cc + ")"
	}
	return cc
}

func asLabel(asn uint32) string {
	if asn == 0 {
		return "AS unknown"
	}
	return fmt.Sprintf("AS%d", asn)
}

func bar(share float64) string {
	return strings.Repeat("█", int(share*40+0.5))
}

func pct(f float64) string { return fmt.Sprintf("%.1f %%", f*100) }

func changeText(c Change) string {
	if c.Relative == nil {
		return fmt.Sprintf("%+d", c.Delta)
	}
	return fmt.Sprintf("%+d (%+.1f %%)", c.Delta, *c.Relative*100)
}

func num(n int) string { return num64(int64(n)) }

func num64(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// cooperation prints the requests for assistance, sent and received side
// by side.
func (p *printer) cooperation(c *Cooperation, top int) {
	p.f("\nINTERNATIONAL COOPERATION (unit: requests for assistance)\n  %s\n", c.Note)
	if !c.Tracked {
		return
	}
	a := c.Assisted
	p.f("  %s\n  (%s)\n", a.Sentence, a.Rule)
	tw := p.table()
	fmt.Fprintf(tw, "\tsent\treceived\t\n")
	fmt.Fprintf(tw, "    requests submitted in the period\t%s\t%s\t\n", num(c.Sent.Total), num(c.Received.Total))
	fmt.Fprintf(tw, "    overdue at the period's end\t%s\t%s\t\n", num(c.Sent.OverdueAtEnd), num(c.Received.OverdueAtEnd))
	tw.Flush()
	if rows := typeRows(c); len(rows) > 0 {
		p.f("  By type, with the median turnaround from submission to answer\n")
		tw = p.table()
		fmt.Fprintf(tw, "    type\tsent\treceived\tturnaround of requests sent\tturnaround of requests received\t\n")
		for _, row := range rows {
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\t\n", row.Type, num(row.Sent), num(row.Received), turnaroundText(row.SentTurnaround), turnaroundText(row.ReceivedTurnaround))
		}
		tw.Flush()
	}
	if rows := pairRows(c.Sent.ByCountry, c.Received.ByCountry, countryKey); len(rows) > 0 {
		p.f("  Partner countries (sent: the requested agency's; received: the requesting agency's)\n")
		tw = p.table()
		fmt.Fprintf(tw, "    country\tsent\treceived\t\n")
		for i, row := range rows {
			if i == top {
				fmt.Fprintf(tw, "    … %d more\t\t\t\n", len(rows)-top)
				break
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\t\n", countryLabel(row.Key), num(row.Sent), num(row.Received))
		}
		tw.Flush()
	}
	if rows := pairRows(c.Sent.ByStatus, c.Received.ByStatus, statusKey); len(rows) > 0 {
		p.f("  Status at the period's end\n")
		tw = p.table()
		fmt.Fprintf(tw, "    status\tsent\treceived\t\n")
		for _, row := range rows {
			fmt.Fprintf(tw, "    %s\t%s\t%s\t\n", row.Key, num(row.Sent), num(row.Received))
		}
		tw.Flush()
	}
	if len(a.ByCountry) > 0 {
		p.f("  Cases assisted by requesting country\n")
		tw = p.table()
		for i, row := range a.ByCountry {
			if i == top {
				fmt.Fprintf(tw, "    … %d more\t\t\n", len(a.ByCountry)-top)
				break
			}
			fmt.Fprintf(tw, "    %s\t%s\t\n", countryLabel(row.Country), num(row.Count))
		}
		tw.Flush()
	}
	p.f("  Victim reports received: %s. %s\n", num(c.Victims.Received), c.Victims.Caveat)
}

func turnaroundText(t *Turnaround) string {
	switch {
	case t == nil:
		return "–"
	case t.Answered == 0:
		return fmt.Sprintf("none of %d answered", t.NotAnswered)
	}
	return fmt.Sprintf("%.1f days (of %d; %d not answered)", *t.MedianDays, t.Answered, t.NotAnswered)
}
