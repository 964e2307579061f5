package stats

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/golden"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/store/sqlite"
)

func day(d int) time.Time { return time.Date(2026, 10, d, 12, 0, 0, 0, time.UTC) }

func ep(ip, cc string, asn uint32) event.Endpoint {
	return event.Endpoint{IP: netip.MustParseAddr(ip), CC: cc, ASN: asn}
}

func epAS(ip, cc string, asn uint32, name string) event.Endpoint {
	e := ep(ip, cc, asn)
	e.ASName = name
	return e
}

// Addresses of the hand-computed scenario (home PL).
var (
	hostH1 = ep("192.0.2.1", "PL", 5617)
	hostH2 = ep("192.0.2.2", "PL", 5617)
	hostH3 = ep("192.0.2.3", "DE", 3320) // a foreign bot, later also an attack source
	hostH4 = ep("192.0.2.4", "PL", 12741)
	c2A    = epAS("198.51.100.1", "US", 64500, "Example Hosting US")
	c2B    = ep("198.51.100.2", "NL", 64501)
	c2C    = ep("198.51.100.3", "PL", 64502) // a domestic C&C
	c2D    = ep("198.51.100.4", "US", 64500)
	c2E    = ep("198.51.100.5", "", 0) // the database does not know it
	srcS1  = ep("203.0.113.1", "CN", 4134)
	srcS2  = ep("203.0.113.2", "DE", 24940)
	srcS3  = ep("203.0.113.3", "DE", 24940)
	srcS5  = ep("192.0.2.9", "PL", 5617)
	sink   = ep("198.51.100.200", "US", 64510)
)

func c2Alert(t time.Time, host, c2 event.Endpoint, malware string) event.Event {
	e := event.Event{TimeSource: t, Feed: event.Feed{Name: "suricata"}, Source: host, Destination: c2, Malware: malware}
	e.Destination.Role = event.RoleC2
	e.SetClass(event.ClassInfected)
	return e
}

func listing(t time.Time, c2 event.Endpoint, malware string) event.Event {
	e := event.Event{TimeSource: t, Feed: event.Feed{Name: "feodo-tracker"}, Source: c2, Malware: malware}
	e.SetClass(event.ClassC2)
	return e
}

func attack(t time.Time, src event.Endpoint, c event.Class, flags event.Flags) event.Event {
	e := event.Event{TimeSource: t, Feed: event.Feed{Name: "suricata"}, Source: src, Destination: ep("192.0.2.100", "PL", 5617)}
	e.Source.Flags = flags
	e.SetClass(c)
	return e
}

// scenario stores the events whose report is computed by hand in
// TestComputeByHand.
func scenario(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sinkholed := event.Event{TimeSource: day(7), Feed: event.Feed{Name: "shadowserver"}, Source: hostH4, Destination: sink, Malware: "andromeda"}
	sinkholed.Destination.Flags = event.FlagSinkhole
	sinkholed.SetClassRoles(event.ClassInfected, event.RoleInfected, event.RoleNone)
	events := []event.Event{
		c2Alert(day(1), hostH1, c2A, "emotet"),
		c2Alert(day(2), hostH1, c2B, "emotet"),
		c2Alert(day(3), hostH2, c2A, "qakbot"),
		c2Alert(day(4), hostH3, c2C, ""),
		listing(day(5), c2D, "qakbot"),
		listing(day(6), c2E, "dridex"),
		sinkholed,
		attack(day(10), srcS1, event.ClassScanner, 0),
		attack(day(10), srcS2, event.ClassScanner, event.FlagTor),
		attack(day(11), srcS3, event.ClassBruteForce, 0),
		attack(day(12), hostH3, event.ClassExploit, 0),
		attack(day(12), srcS5, event.ClassScanner, 0),
		attack(day(13), srcS1, event.ClassExploit, 0),
		{Kind: event.Observation, TimeSource: day(14), Feed: event.Feed{Name: "suricata"}, Source: hostH1, Destination: c2A},
		// The previous period (September).
		listing(time.Date(2026, 9, 15, 0, 0, 0, 0, time.UTC), c2A, "emotet"),
		c2Alert(time.Date(2026, 9, 20, 0, 0, 0, 0, time.UTC), hostH1, c2A, "emotet"),
		// Outside both periods.
		listing(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), c2B, "emotet"),
	}
	b := &store.Batch{Events: events}
	var h event.Hasher
	for i := range events {
		b.Keys = append(b.Keys, store.KeyOf(h.Sum(&events[i]), events[i].TimeSource))
	}
	var err2 error
	if b.IPDB, err2 = st.RegisterIPDB(context.Background(), "test-db@7", nil, false); err2 != nil {
		t.Fatal(err2)
	}
	if _, err := st.WriteBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return st
}

// hostingList puts S3 on a hosting list, as a list imported after the
// events would.
type hostingList struct{}

func (hostingList) Flags(a netip.Addr, t time.Time) event.Flags {
	if a == srcS3.IP && t.After(day(1)) {
		return event.FlagHosting
	}
	return 0
}

func compute(t *testing.T, st store.Store, bucket string) *Report {
	t.Helper()
	r, err := Compute(context.Background(), Inputs{
		Store: st,
		Lists: func(context.Context) (RelayLists, []ListKind, error) {
			return hostingList{}, []ListKind{{Kind: "hosting", Entries: 1}}, nil
		},
		Cooperation: func(context.Context) (CooperationData, error) { return coopScenario(), nil },
	}, Options{From: day(1), To: day(31), Home: "PL", Bucket: bucket, Generated: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestComputeByHand(t *testing.T) {
	r := compute(t, scenario(t), "")
	c := r.C2Servers
	if c.Total != 5 || c.Domestic != 1 || c.Abroad != 3 || c.UnknownCountry != 1 {
		t.Errorf("C&C totals %d/%d/%d/%d, want 5 total, 1 domestic, 3 abroad, 1 unknown", c.Total, c.Domestic, c.Abroad, c.UnknownCountry)
	}
	wantCountry := []CountryShare{{Country: "US", Count: 2, Share: 2.0 / 3}, {Country: "NL", Count: 1, Share: 1.0 / 3}}
	if !reflect.DeepEqual(c.ByCountry, wantCountry) {
		t.Errorf("C&C by country %+v, want %+v", c.ByCountry, wantCountry)
	}
	wantMal := []MalwareCount{{"emotet", 2}, {"qakbot", 2}, {"dridex", 1}, {"unknown", 1}}
	if !reflect.DeepEqual(c.ByMalware, wantMal) {
		t.Errorf("C&C by malware %+v, want %+v", c.ByMalware, wantMal)
	}
	wantASN := []ASNCount{{64500, "Example Hosting US", 2}, {0, "", 1}, {64501, "", 1}, {64502, "", 1}}
	if !reflect.DeepEqual(c.ByASN, wantASN) {
		t.Errorf("C&C by ASN %+v, want %+v", c.ByASN, wantASN)
	}

	h := r.InfectedHosts
	if h.Total != 4 || h.Domestic != 3 || h.WithKnownController != 2 || h.ControlledFromAbroad != 2 || h.ControllerPairs != 3 {
		t.Errorf("hosts %+v", h)
	}
	// H1 talked to servers in the US and NL, H2 in the US: three pairs; the
	// US controls both hosts controlled from abroad.
	wantCtl := []CountryShare{{Country: "US", Count: 2, Share: 2.0 / 3, ShareOfHosts: 1}, {Country: "NL", Count: 1, Share: 1.0 / 3, ShareOfHosts: 0.5}}
	if !reflect.DeepEqual(h.ByControllerCountry, wantCtl) {
		t.Errorf("by controller %+v, want %+v", h.ByControllerCountry, wantCtl)
	}
	if want := []MalwareCount{{"andromeda", 1}, {"emotet", 1}, {"qakbot", 1}}; !reflect.DeepEqual(h.ByMalware, want) {
		t.Errorf("host malware %+v", h.ByMalware)
	}

	a := r.AttackSources
	if a.Total != 5 || a.Domestic != 1 || a.Abroad != 4 || a.UnknownCountry != 0 {
		t.Errorf("attack totals %+v", a)
	}
	if want := []ClassCount{{"information-gathering/scanner", 3}, {"intrusion-attempts/exploit", 2}, {"intrusion-attempts/brute-force", 1}}; !reflect.DeepEqual(a.ByClass, want) {
		t.Errorf("by class %+v", a.ByClass)
	}
	// Every German source was something else: a Tor exit (flagged at
	// ingest), a hosting address (on a list imported later), a bot.
	wantRelay := []RelayRow{
		{Country: "DE", Total: 3, Tor: 1, Hosting: 1, Infected: 1, Relayed: 3, Share: 1},
		{Country: "CN", Total: 1},
	}
	if !reflect.DeepEqual(a.RelayShare, wantRelay) {
		t.Errorf("relay share %+v, want %+v", a.RelayShare, wantRelay)
	}
	if want := (RelayRow{Country: "all", Total: 4, Tor: 1, Hosting: 1, Infected: 1, Relayed: 3, Share: 0.75}); a.RelayAbroad != want {
		t.Errorf("relay abroad %+v", a.RelayAbroad)
	}

	if r.TrendBucket != "day" || len(r.Trend) != 31 || r.Trend[0] != (TrendBucket{"2026-10-01", "2026-10-01", "2026-10-01", 1, 1, 0}) ||
		r.Trend[9].AttackSources != 2 || r.Trend[11].AttackSources != 2 {
		t.Errorf("trend %+v", r.Trend[:13])
	}
	p := r.Previous
	if p.From != "2026-08-31" || p.To != "2026-09-30" || p.Totals != (Totals{1, 1, 0}) {
		t.Errorf("previous %+v", p)
	}
	if p.Change.C2Servers.Delta != 4 || *p.Change.C2Servers.Relative != 4 || p.Change.AttackSources.Relative != nil {
		t.Errorf("change %+v", p.Change)
	}
	m := r.Methodology
	wantFeeds := []FeedRecords{{"feodo-tracker", 2, 2, 0}, {"shadowserver", 1, 1, 0}, {"suricata", 11, 10, 1}}
	if !reflect.DeepEqual(m.Feeds, wantFeeds) || !reflect.DeepEqual(m.IPDB, []IPDBVersion{{"test-db", "7"}}) {
		t.Errorf("methodology feeds %+v ipdb %+v", m.Feeds, m.IPDB)
	}
}

func TestSharesSumToOne(t *testing.T) {
	r := compute(t, scenario(t), "")
	for name, rows := range map[string][]CountryShare{"c2": r.C2Servers.ByCountry, "controllers": r.InfectedHosts.ByControllerCountry} {
		sum := 0.0
		for _, row := range rows {
			sum += row.Share
		}
		if sum < 0.999999 || sum > 1.000001 {
			t.Errorf("%s shares sum to %v", name, sum)
		}
	}
}

func TestBuckets(t *testing.T) {
	r := compute(t, scenario(t), "week")
	// 2026-10-01 is a Thursday: the first ISO week is clipped.
	if r.Trend[0].Bucket != "2026-W40" || r.Trend[0].From != "2026-10-01" || r.Trend[0].To != "2026-10-04" || len(r.Trend) != 5 {
		t.Errorf("weeks %+v", r.Trend)
	}
	r = compute(t, scenario(t), "month")
	if len(r.Trend) != 1 || r.Trend[0].Bucket != "2026-10" || r.Trend[0].C2Servers != 5 || r.Trend[0].InfectedHosts != 3 || r.Trend[0].AttackSources != 5 {
		t.Errorf("month %+v", r.Trend)
	}
	if _, err := Compute(context.Background(), Inputs{Store: scenario(t)}, Options{From: day(2), To: day(1), Home: "PL"}); err == nil {
		t.Error("reversed period accepted")
	}
}

func TestJSONIsStable(t *testing.T) {
	st := scenario(t)
	a, b := compute(t, st, ""), compute(t, st, "")
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatal("two reports over the same data differ")
	}
	var buf []byte
	buf, err := MarshalJSON(a)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/report.golden.json", buf)
}

func TestHTMLAndTextGolden(t *testing.T) {
	r := compute(t, scenario(t), "week")
	var html, text bytes.Buffer
	if err := WriteHTML(&html, r, 10); err != nil {
		t.Fatal(err)
	}
	if err := WriteText(&text, r, 10); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/report.golden.html", html.Bytes())
	golden.Check(t, "testdata/report.golden.txt", text.Bytes())
	// The hand-computed figures appear where a reader looks for them.
	for _, want := range []string{
		`<div class="n">5</div><div class="l">C&amp;C servers</div>`,
		`<strong>75.0 %</strong> of the 4 attack-source addresses abroad`,
		`<td>United States (US)</td><td class="r">2</td><td class="r">66.7 %</td>`,
		`<td>Germany (DE)</td><td class="r">3</td><td class="r">1</td><td class="r">0</td><td class="r">0</td><td class="r">1</td><td class="r">1</td><td class="r">100.0 %</td>`,
		`">Share of foreign C&amp;C servers by country, 2026-10-01 to 2026-10-31</title>`,
		`<strong>From 2026-10-01 to 2026-10-31 we helped 4 countries investigate 6 cases.</strong>`,
		`<tr><td>takedown</td><td class="r">1</td><td class="r">2</td><td class="r">0.5 days (of 1; 0 not answered)</td><td class="r">0.7 days (of 2; 0 not answered)</td></tr>`,
	} {
		if !bytes.Contains(html.Bytes(), []byte(want)) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if bytes.Contains(html.Bytes(), []byte("<script")) {
		t.Error("the report must not carry scripts")
	}
	if !strings.Contains(text.String(), "3 (75.0 %) were Tor exits") {
		t.Errorf("text lacks the relay share:\n%s", text.String())
	}
}

func TestCSVTables(t *testing.T) {
	r := compute(t, scenario(t), "")
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/report.golden.csv", buf.Bytes())
	dir := t.TempDir()
	if err := WriteCSVDir(dir, r); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "c2_by_country.csv"))
	if err != nil || string(b) != "country,name,count,share\nUS,United States,2,0.666667\nNL,Netherlands,1,0.333333\n" {
		t.Fatalf("c2_by_country.csv = %q, %v", b, err)
	}
}
