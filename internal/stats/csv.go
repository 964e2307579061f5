package stats

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// Table is one table of a report in CSV form.
type Table struct {
	Name   string
	Header []string
	Rows   [][]string
}

// Tables returns the report as tables, in a fixed order, with every row
// (not only the top ones the text and HTML show).
func Tables(r *Report) []Table {
	itoa := strconv.Itoa
	ftoa := func(f float64) string { return strconv.FormatFloat(f, 'f', 6, 64) }
	var ts []Table
	add := func(name string, header ...string) *Table {
		ts = append(ts, Table{Name: name, Header: header})
		return &ts[len(ts)-1]
	}
	t := add("summary", "figure", "value")
	c, h, a := r.C2Servers, r.InfectedHosts, r.AttackSources
	for _, kv := range [][2]string{
		{"period_from", r.Period.From}, {"period_to", r.Period.To}, {"home", r.Home},
		{"c2_servers", itoa(c.Total)}, {"c2_servers_domestic", itoa(c.Domestic)}, {"c2_servers_abroad", itoa(c.Abroad)},
		{"c2_servers_unknown_country", itoa(c.UnknownCountry)},
		{"infected_hosts", itoa(h.Total)}, {"infected_hosts_domestic", itoa(h.Domestic)},
		{"infected_hosts_with_known_controller", itoa(h.WithKnownController)}, {"infected_hosts_controlled_from_abroad", itoa(h.ControlledFromAbroad)},
		{"attack_sources", itoa(a.Total)}, {"attack_sources_domestic", itoa(a.Domestic)}, {"attack_sources_abroad", itoa(a.Abroad)},
		{"attack_sources_abroad_relayed", itoa(a.RelayAbroad.Relayed)}, {"attack_sources_abroad_relay_share", ftoa(a.RelayAbroad.Share)},
		{"previous_from", r.Previous.From}, {"previous_to", r.Previous.To},
		{"previous_c2_servers", itoa(r.Previous.Totals.C2Servers)}, {"previous_infected_hosts_domestic", itoa(r.Previous.Totals.InfectedHosts)},
		{"previous_attack_sources", itoa(r.Previous.Totals.AttackSources)}, {"unit", r.Methodology.Unit},
	} {
		t.Rows = append(t.Rows, kv[:])
	}
	t = add("c2_by_country", "country", "name", "count", "share")
	for _, row := range c.ByCountry {
		t.Rows = append(t.Rows, []string{row.Country, CountryName(row.Country), itoa(row.Count), ftoa(row.Share)})
	}
	t = add("c2_by_asn", "asn", "as_name", "count")
	for _, row := range c.ByASN {
		t.Rows = append(t.Rows, []string{strconv.FormatUint(uint64(row.ASN), 10), row.ASName, itoa(row.Count)})
	}
	t = add("c2_by_malware", "malware", "count")
	for _, row := range c.ByMalware {
		t.Rows = append(t.Rows, []string{row.Malware, itoa(row.Count)})
	}
	t = add("infected_by_controller_country", "country", "name", "count", "share", "share_of_hosts")
	for _, row := range h.ByControllerCountry {
		t.Rows = append(t.Rows, []string{row.Country, CountryName(row.Country), itoa(row.Count), ftoa(row.Share), ftoa(row.ShareOfHosts)})
	}
	t = add("infected_by_malware", "malware", "count")
	for _, row := range h.ByMalware {
		t.Rows = append(t.Rows, []string{row.Malware, itoa(row.Count)})
	}
	t = add("attack_sources_by_class", "classification", "count")
	for _, row := range a.ByClass {
		t.Rows = append(t.Rows, []string{row.Classification, itoa(row.Count)})
	}
	t = add("relay_share", "country", "name", "total", "tor", "proxy", "vpn", "hosting", "infected", "relayed", "share")
	for _, row := range append(a.RelayShare, a.RelayAbroad) {
		name := CountryName(row.Country)
		if row.Country == "all" {
			name = "all countries abroad"
		}
		t.Rows = append(t.Rows, []string{row.Country, name, itoa(row.Total), itoa(row.Tor), itoa(row.Proxy), itoa(row.VPN),
			itoa(row.Hosting), itoa(row.Infected), itoa(row.Relayed), ftoa(row.Share)})
	}
	t = add("trend", "bucket", "from", "to", "c2_servers", "infected_hosts", "attack_sources")
	for _, b := range r.Trend {
		t.Rows = append(t.Rows, []string{b.Bucket, b.From, b.To, itoa(b.C2Servers), itoa(b.InfectedHosts), itoa(b.AttackSources)})
	}
	co := r.Cooperation
	t = add("cooperation", "figure", "value")
	for _, kv := range [][2]string{
		{"tracked", strconv.FormatBool(co.Tracked)},
		{"requests_sent", itoa(co.Sent.Total)}, {"requests_received", itoa(co.Received.Total)},
		{"overdue_sent_at_end", itoa(co.Sent.OverdueAtEnd)}, {"overdue_received_at_end", itoa(co.Received.OverdueAtEnd)},
		{"cases_assisted", itoa(co.Assisted.Cases)}, {"countries_assisted", itoa(co.Assisted.Countries)},
		{"victim_reports_received", itoa(co.Victims.Received)},
	} {
		t.Rows = append(t.Rows, kv[:])
	}
	flows := []struct {
		dir string
		f   RequestFlow
	}{{"sent", co.Sent}, {"received", co.Received}}
	t = add("cooperation_by_type", "direction", "type", "count")
	for _, fl := range flows {
		for _, row := range fl.f.ByType {
			t.Rows = append(t.Rows, []string{fl.dir, row.Type, itoa(row.Count)})
		}
	}
	t = add("cooperation_by_country", "direction", "country", "name", "count")
	for _, fl := range flows {
		for _, row := range fl.f.ByCountry {
			t.Rows = append(t.Rows, []string{fl.dir, row.Country, CountryName(row.Country), itoa(row.Count)})
		}
	}
	t = add("cooperation_by_status_at_end", "direction", "status", "count")
	for _, fl := range flows {
		for _, row := range fl.f.ByStatus {
			t.Rows = append(t.Rows, []string{fl.dir, row.Status, itoa(row.Count)})
		}
	}
	t = add("cooperation_turnaround", "direction", "type", "answered", "median_days", "not_answered")
	for _, fl := range flows {
		for _, row := range fl.f.Turnaround {
			median := ""
			if row.MedianDays != nil {
				median = strconv.FormatFloat(*row.MedianDays, 'f', 1, 64)
			}
			t.Rows = append(t.Rows, []string{fl.dir, row.Type, itoa(row.Answered), median, itoa(row.NotAnswered)})
		}
	}
	t = add("cooperation_assisted_by_country", "country", "name", "cases")
	for _, row := range co.Assisted.ByCountry {
		t.Rows = append(t.Rows, []string{row.Country, CountryName(row.Country), itoa(row.Count)})
	}
	t = add("feeds", "feed", "records", "incidents", "observations")
	for _, f := range r.Methodology.Feeds {
		t.Rows = append(t.Rows, []string{f.Feed, strconv.FormatInt(f.Records, 10), strconv.FormatInt(f.Incidents, 10), strconv.FormatInt(f.Observations, 10)})
	}
	return ts
}

// WriteCSV writes every table to w, each after a "# name" line and
// separated by a blank line.
func WriteCSV(w io.Writer, r *Report) error {
	for i, t := range Tables(r) {
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintf(w, "# %s\n", t.Name); err != nil {
			return err
		}
		if err := writeTable(w, t); err != nil {
			return err
		}
	}
	return nil
}

// WriteCSVDir writes each table to DIR/NAME.csv.
func WriteCSVDir(dir string, r *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	for _, t := range Tables(r) {
		f, err := os.Create(filepath.Join(dir, t.Name+".csv"))
		if err != nil {
			return fmt.Errorf("stats: %w", err)
		}
		err = writeTable(f, t)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("stats: write %s: %w", t.Name, err)
		}
	}
	return nil
}

func writeTable(w io.Writer, t Table) error {
	cw := csv.NewWriter(w)
	cw.Write(t.Header)
	cw.WriteAll(t.Rows)
	return cw.Error()
}
