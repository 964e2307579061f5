package stats

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
)

//go:embed report.html.tmpl
var reportTemplate string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":     num,
	"num64":   num64,
	"pct":     pct,
	"country": countryLabel,
	"asn":     asLabel,
	"change":  changeText,
	"upTo":    func(n int, top int) bool { return n < top },
	"turn":    turnaroundText,
}).Parse(reportTemplate))

// htmlView is what the template renders: the report and its charts.
type htmlView struct {
	R                  *Report
	Top                int
	Map                template.HTML
	C2Countries        template.HTML
	C2Malware          template.HTML
	HostControllers    template.HTML
	HostMalware        template.HTML
	AttackClasses      template.HTML
	RelayChart         template.HTML
	Trend              template.HTML
	MoreC2Countries    int
	MoreASNs           int
	MoreControllers    int
	MoreRelayCountries int
	// The cooperation section: sent and received side by side.
	CoopTypes         []typeRow
	CoopCountries     []pairRow
	CoopCountryChart  template.HTML
	MoreCoopCountries int
	CoopStatuses      []pairRow
	Assisted          []CountryCount
	MoreAssisted      int
}

// WriteHTML renders the report as one self-contained HTML page a CERT can
// publish: headline figures, a world map shaded by share of foreign C&C
// servers, bar charts, the trend, the relay share, international
// cooperation and the methodology, all
// inline (no scripts, no external files) and readable when printed.
func WriteHTML(w io.Writer, r *Report, top int) error {
	if top <= 0 {
		top = 10
	}
	v := htmlView{R: r.withEmptySlices(), Top: top}
	var m bytes.Buffer
	values := map[string]float64{}
	for _, c := range r.C2Servers.ByCountry {
		values[c.Country] = c.Share
	}
	if err := WorldMapSVG(&m, values, MapOptions{
		Title:   "Share of foreign C&C servers by country, " + r.Period.From + " to " + r.Period.To,
		Legend:  "share of foreign C&C server addresses",
		Format:  func(f float64) string { return fmt.Sprintf("%.1f %%", f*100) },
		Exclude: r.Home,
	}); err != nil {
		return err
	}
	v.Map = template.HTML(m.String())

	rows := func(n int) int { return min(n, top) }
	var bars []barRow
	for _, c := range r.C2Servers.ByCountry[:rows(len(r.C2Servers.ByCountry))] {
		bars = append(bars, barRow{countryLabel(c.Country), c.Share, fmt.Sprintf("%s (%s)", num(c.Count), pct(c.Share))})
	}
	v.C2Countries = template.HTML(barChartSVG("C&C servers abroad by country: share of foreign C&C server addresses", bars))
	v.MoreC2Countries = len(r.C2Servers.ByCountry) - rows(len(r.C2Servers.ByCountry))
	v.MoreASNs = len(r.C2Servers.ByASN) - rows(len(r.C2Servers.ByASN))
	v.C2Malware = template.HTML(barChartSVG("C&C servers by malware family", malwareBars(r.C2Servers.ByMalware, top)))

	bars = nil
	for _, c := range r.InfectedHosts.ByControllerCountry[:rows(len(r.InfectedHosts.ByControllerCountry))] {
		bars = append(bars, barRow{countryLabel(c.Country), c.Share, fmt.Sprintf("%s (%s; %s of hosts)", num(c.Count), pct(c.Share), pct(c.ShareOfHosts))})
	}
	v.HostControllers = template.HTML(barChartSVG("Controlled hosts in "+r.Home+" by country of their C&C server", bars))
	v.MoreControllers = len(r.InfectedHosts.ByControllerCountry) - rows(len(r.InfectedHosts.ByControllerCountry))
	v.HostMalware = template.HTML(barChartSVG("Controlled hosts in "+r.Home+" by malware family", malwareBars(r.InfectedHosts.ByMalware, top)))

	bars = nil
	for _, c := range r.AttackSources.ByClass {
		bars = append(bars, barRow{c.Classification, float64(c.Count), num(c.Count)})
	}
	v.AttackClasses = template.HTML(barChartSVG("Attack sources by classification", bars))
	bars = nil
	for _, c := range r.AttackSources.RelayShare[:rows(len(r.AttackSources.RelayShare))] {
		bars = append(bars, barRow{countryLabel(c.Country), c.Share, fmt.Sprintf("%s of %s (%s)", num(c.Relayed), num(c.Total), pct(c.Share))})
	}
	v.RelayChart = template.HTML(barChartSVG("Share of attack sources abroad that were relays or infected hosts, by country", bars))
	v.MoreRelayCountries = len(r.AttackSources.RelayShare) - rows(len(r.AttackSources.RelayShare))

	var labels []string
	c2, hosts, attacks := series{Name: "C&C servers", Color: "#b2182b"}, series{Name: "controlled hosts in " + r.Home, Color: "#2166ac", Dash: "6 3"},
		series{Name: "attack sources", Color: "#4d4d4d", Dash: "2 3"}
	for _, b := range r.Trend {
		labels = append(labels, b.Bucket)
		c2.Values = append(c2.Values, b.C2Servers)
		hosts.Values = append(hosts.Values, b.InfectedHosts)
		attacks.Values = append(attacks.Values, b.AttackSources)
	}
	v.Trend = template.HTML(trendSVG("Distinct addresses per "+r.TrendBucket, labels, []series{c2, hosts, attacks}))

	co := &v.R.Cooperation
	v.CoopTypes = typeRows(co)
	countries := pairRows(co.Sent.ByCountry, co.Received.ByCountry, countryKey)
	v.CoopCountries = countries[:rows(len(countries))]
	v.MoreCoopCountries = len(countries) - len(v.CoopCountries)
	bars = nil
	for _, c := range v.CoopCountries {
		bars = append(bars, barRow{countryLabel(c.Key), float64(c.Sent + c.Received), fmt.Sprintf("%s sent, %s received", num(c.Sent), num(c.Received))})
	}
	v.CoopCountryChart = template.HTML(barChartSVG("Requests for assistance by partner country, sent and received", bars))
	v.CoopStatuses = pairRows(co.Sent.ByStatus, co.Received.ByStatus, statusKey)
	v.Assisted = co.Assisted.ByCountry[:rows(len(co.Assisted.ByCountry))]
	v.MoreAssisted = len(co.Assisted.ByCountry) - len(v.Assisted)
	return reportTmpl.Execute(w, v)
}

func malwareBars(rows []MalwareCount, top int) []barRow {
	var bars []barRow
	for i, m := range rows {
		if i == top {
			break
		}
		bars = append(bars, barRow{m.Malware, float64(m.Count), num(m.Count)})
	}
	return bars
}
