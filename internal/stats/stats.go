package stats

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// Options select what a report covers.
type Options struct {
	// From and To are the first and last day of the period (UTC dates;
	// To inclusive).
	From, To time.Time
	// Home is the ISO 3166-1 alpha-2 code of the reporting country:
	// "domestic" means an address the IP database places there.
	Home string
	// Bucket is the trend granularity: "day", "week", "month", or "" to
	// choose from the period's length.
	Bucket string
	// Generated is the time written into the report's one field that
	// changes between runs.
	Generated time.Time
}

// RelayLists says which relay and hosting lists held an address at a time;
// *enrich.Index implements it. The report re-evaluates list membership at
// each fact's day, so lists imported after the events still count.
type RelayLists interface {
	Flags(a netip.Addr, t time.Time) event.Flags
}

// Inputs are where a report's figures come from. Lists is a loader rather
// than a value because loading the relay lists takes about as long as the
// fact scans, and Compute runs it alongside them.
type Inputs struct {
	Store store.Reader
	// Lists loads the relay lists and says what they hold, for the
	// methodology; nil means none, and then only the flags recorded at
	// ingest count.
	Lists func(context.Context) (RelayLists, []ListKind, error)
	// Cooperation loads the requests for assistance with their histories,
	// the agencies and the victim reports; nil means the database keeps no
	// casework, and the cooperation section says cooperation is not
	// tracked.
	Cooperation func(context.Context) (CooperationData, error)
}

// ListKind is one kind of relay list and its size.
type ListKind struct {
	Kind    string `json:"kind"`
	Entries int    `json:"entries"`
}

// Compute builds the report for the period from the fact table: one pass
// over the period's facts, plus distinct counts for the previous period of
// equal length; the cooperation section comes from in.Cooperation.
func Compute(ctx context.Context, in Inputs, o Options) (*Report, error) {
	if o.To.Before(o.From) {
		return nil, fmt.Errorf("stats: the period ends (%s) before it starts (%s)", o.To.Format(time.DateOnly), o.From.Format(time.DateOnly))
	}
	if len(o.Home) != 2 {
		return nil, fmt.Errorf("stats: home country %q is not an ISO 3166-1 alpha-2 code such as PL", o.Home)
	}
	from, to := store.DayOf(o.From), store.DayOf(o.To)
	bucket := o.Bucket
	if bucket == "" {
		bucket = defaultBucket(int(to-from) + 1)
	}
	buckets, err := makeBuckets(from, to, bucket)
	if err != nil {
		return nil, err
	}
	var lists RelayLists
	var kinds []ListKind
	var listErr error
	loaded := make(chan struct{})
	go func() {
		defer close(loaded)
		if in.Lists != nil {
			lists, kinds, listErr = in.Lists(ctx)
		}
	}()
	a := newAccumulator(o.Home, buckets)
	err = a.scan(ctx, in.Store, from, to)
	<-loaded
	if err = errors.Join(err, listErr); err != nil {
		return nil, err
	}
	a.applyLists(lists)
	r := a.report()
	r.Period = Period{From: o.From.Format(time.DateOnly), To: o.To.Format(time.DateOnly), Days: int(to-from) + 1}
	r.Home = o.Home
	r.TrendBucket = bucket
	r.Generated = o.Generated.UTC().Format(time.RFC3339)
	if err := previous(ctx, in.Store, o.Home, from, to, r); err != nil {
		return nil, err
	}
	feeds, err := in.Store.FeedDays(ctx, from, to)
	if err != nil {
		return nil, err
	}
	r.Methodology = methodology(o.Home, feeds, kinds)
	r.Cooperation = notTracked()
	if in.Cooperation != nil {
		d, err := in.Cooperation(ctx)
		if err != nil {
			return nil, fmt.Errorf("stats: cooperation: %w", err)
		}
		r.Cooperation = cooperation(d, store.DayTime(from), store.DayTime(to+1))
		r.Methodology.Rules = append(r.Methodology.Rules, cooperationRules(o.Home)...)
		r.Methodology.Biases = append(r.Methodology.Biases, cooperationBiases()...)
	}
	return r, nil
}

// defaultBucket picks a trend granularity that gives a readable chart.
func defaultBucket(days int) string {
	switch {
	case days <= 62:
		return "day"
	case days <= 190:
		return "week"
	}
	return "month"
}

// accumulator collects distinct addresses per role during the fact scans.
// Each role has its own maps, filled by its own scan, so the three scans
// run at once (on two cores the report takes about half as long); the
// buckets and the relay lists are read-only.
type accumulator struct {
	home     string
	buckets  []bucketSpan
	from     int32
	bucketAt []int // bucket index of day from+i
	c2       map[netip.Addr]*c2Server
	infected map[netip.Addr]*host
	attack   map[netip.Addr]*attacker
	classes  []string       // attack classes seen, indexed by attacker.classes
	classIdx map[string]int // class → index
	// Per bucket, distinct addresses seen in it. Facts come in day order,
	// so an address's buckets only grow: remembering the last bucket it
	// was counted in is enough to count each (address, bucket) once.
	trendC2, trendHosts, trendAttack []int
}

type c2Server struct {
	cc         string
	asn        uint32
	asName     string
	malware    []string
	lastBucket int
}

type host struct {
	cc          string
	malware     []string
	controllers []string // countries of the C&C servers it contacted
	anyPeer     bool
	lastBucket  int // counted as domestic in the trend
}

type attacker struct {
	cc         string
	classes    []int
	flags      event.Flags
	days       []int32 // the days it was seen, for the relay lists
	lastBucket int
}

func newAccumulator(home string, buckets []bucketSpan) *accumulator {
	a := &accumulator{
		home: home, buckets: buckets,
		c2: map[netip.Addr]*c2Server{}, infected: map[netip.Addr]*host{}, attack: map[netip.Addr]*attacker{},
		classIdx:    map[string]int{},
		trendC2:     make([]int, len(buckets)),
		trendHosts:  make([]int, len(buckets)),
		trendAttack: make([]int, len(buckets)),
	}
	if len(buckets) > 0 {
		a.from = buckets[0].from
		for i, b := range buckets {
			for d := b.from; d <= b.to; d++ {
				a.bucketAt = append(a.bucketAt, i)
			}
		}
	}
	return a
}

func (a *accumulator) bucketOf(day int32) int { return a.bucketAt[day-a.from] }

// scan reads the period's facts of each role concurrently.
func (a *accumulator) scan(ctx context.Context, st store.Reader, from, to int32) error {
	roles := []struct {
		role event.Role
		add  func(*store.Fact)
	}{{event.RoleC2, a.addC2}, {event.RoleInfected, a.addInfected}, {event.RoleAttacker, a.addAttacker}}
	errs := make([]error, len(roles))
	var wg sync.WaitGroup
	for i, r := range roles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = st.EachFactOfRole(ctx, from, to, r.role, func(f *store.Fact) error {
				r.add(f)
				return nil
			})
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func addString(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// addC2, addInfected and addAttacker fold one fact into the address's
// state. Facts arrive in day order, so the last one seen for an address
// carries its latest country and AS.
func (a *accumulator) addC2(f *store.Fact) {
	s := a.c2[f.IP]
	if s == nil {
		s = &c2Server{lastBucket: -1}
		a.c2[f.IP] = s
	}
	s.cc, s.asn = f.CC, f.ASN
	if f.ASName != "" {
		s.asName = f.ASName
	}
	s.malware = addString(s.malware, family(f.Malware))
	if b := a.bucketOf(f.Day); b != s.lastBucket {
		a.trendC2[b]++
		s.lastBucket = b
	}
}

func (a *accumulator) addInfected(f *store.Fact) {
	h := a.infected[f.IP]
	if h == nil {
		h = &host{lastBucket: -1}
		a.infected[f.IP] = h
	}
	h.cc = f.CC
	h.malware = addString(h.malware, family(f.Malware))
	if f.Peer.IsValid() {
		h.anyPeer = true
		h.controllers = addString(h.controllers, f.PeerCC)
	}
	if b := a.bucketOf(f.Day); f.CC == a.home && b != h.lastBucket {
		a.trendHosts[b]++
		h.lastBucket = b
	}
}

func (a *accumulator) addAttacker(f *store.Fact) {
	at := a.attack[f.IP]
	if at == nil {
		at = &attacker{lastBucket: -1}
		a.attack[f.IP] = at
	}
	at.cc = f.CC
	ci, ok := a.classIdx[f.Class]
	if !ok {
		ci = len(a.classes)
		a.classes = append(a.classes, f.Class)
		a.classIdx[f.Class] = ci
	}
	if !slices.Contains(at.classes, ci) {
		at.classes = append(at.classes, ci)
	}
	at.flags |= f.Flags
	if n := len(at.days); n == 0 || at.days[n-1] != f.Day {
		at.days = append(at.days, f.Day)
	}
	if b := a.bucketOf(f.Day); b != at.lastBucket {
		a.trendAttack[b]++
		at.lastBucket = b
	}
}

// applyLists adds to each attack source the lists that held it on a day it
// was seen (at midday: lists are dated to the day).
func (a *accumulator) applyLists(lists RelayLists) {
	if lists == nil {
		return
	}
	for ip, at := range a.attack {
		for _, d := range at.days {
			at.flags |= lists.Flags(ip, store.DayTime(d).Add(12*time.Hour))
		}
	}
}

// family names a fact's malware for counting; facts without one are
// counted under "unknown".
func family(m string) string {
	if m == "" {
		return "unknown"
	}
	return m
}

func (a *accumulator) report() *Report {
	r := &Report{}

	// C&C servers.
	cs := &r.C2Servers
	foreign := map[string]int{}
	byASN := map[uint32]int{}
	asNames := map[uint32]string{}
	byMal := map[string]int{}
	for _, s := range a.c2 {
		cs.Total++
		switch {
		case s.cc == a.home:
			cs.Domestic++
		case s.cc == "":
			cs.UnknownCountry++
		default:
			cs.Abroad++
			foreign[s.cc]++
		}
		byASN[s.asn]++
		if s.asName != "" {
			asNames[s.asn] = s.asName
		}
		for _, m := range s.malware {
			byMal[m]++
		}
	}
	cs.ByCountry = shares(foreign, cs.Abroad)
	for asn, n := range byASN {
		cs.ByASN = append(cs.ByASN, ASNCount{ASN: asn, ASName: asNames[asn], Count: n})
	}
	sort.Slice(cs.ByASN, func(i, j int) bool {
		x, y := cs.ByASN[i], cs.ByASN[j]
		return x.Count > y.Count || x.Count == y.Count && x.ASN < y.ASN
	})
	for _, kc := range counts(byMal) {
		cs.ByMalware = append(cs.ByMalware, MalwareCount{Malware: kc.key, Count: kc.n})
	}

	// Infected (controlled) hosts.
	ih := &r.InfectedHosts
	byController := map[string]int{}
	hostMal := map[string]int{}
	for _, h := range a.infected {
		ih.Total++
		if h.cc != a.home {
			continue
		}
		ih.Domestic++
		for _, m := range h.malware {
			hostMal[m]++
		}
		if h.anyPeer {
			ih.WithKnownController++
		}
		abroad := false
		for _, cc := range h.controllers {
			if cc != a.home && cc != "" {
				byController[cc]++
				abroad = true
			}
		}
		if abroad {
			ih.ControlledFromAbroad++
		}
	}
	pairs := 0
	for _, n := range byController {
		pairs += n
	}
	ih.ControllerPairs = pairs
	ih.ByControllerCountry = shares(byController, pairs)
	for i := range ih.ByControllerCountry {
		row := &ih.ByControllerCountry[i]
		row.ShareOfHosts = ratio(row.Count, ih.ControlledFromAbroad)
	}
	for _, kc := range counts(hostMal) {
		ih.ByMalware = append(ih.ByMalware, MalwareCount{Malware: kc.key, Count: kc.n})
	}

	// Attack sources and the relay share.
	as := &r.AttackSources
	byClass := map[string]int{}
	relay := map[string]*RelayRow{}
	all := &RelayRow{Country: "all"}
	for ip, at := range a.attack {
		as.Total++
		for _, ci := range at.classes {
			byClass[a.classes[ci]]++
		}
		if at.cc == a.home {
			as.Domestic++
			continue
		}
		if at.cc == "" {
			as.UnknownCountry++
			continue
		}
		as.Abroad++
		row := relay[at.cc]
		if row == nil {
			row = &RelayRow{Country: at.cc}
			relay[at.cc] = row
		}
		_, infected := a.infected[ip]
		for _, rw := range []*RelayRow{row, all} {
			rw.add(at.flags, infected)
		}
	}
	for _, kc := range counts(byClass) {
		as.ByClass = append(as.ByClass, ClassCount{Classification: kc.key, Count: kc.n})
	}
	for _, row := range relay {
		row.finish()
		as.RelayShare = append(as.RelayShare, *row)
	}
	sort.Slice(as.RelayShare, func(i, j int) bool {
		x, y := as.RelayShare[i], as.RelayShare[j]
		return x.Total > y.Total || x.Total == y.Total && x.Country < y.Country
	})
	all.finish()
	as.RelayAbroad = *all

	// Trend.
	for i, b := range a.buckets {
		r.Trend = append(r.Trend, TrendBucket{
			Bucket: b.label, From: store.DayTime(b.from).Format(time.DateOnly), To: store.DayTime(b.to).Format(time.DateOnly),
			C2Servers: a.trendC2[i], InfectedHosts: a.trendHosts[i], AttackSources: a.trendAttack[i],
		})
	}
	return r
}

func (rw *RelayRow) add(f event.Flags, infected bool) {
	rw.Total++
	relayed := false
	for _, c := range []struct {
		on  bool
		dst *int
	}{
		{f&event.FlagTor != 0, &rw.Tor},
		{f&event.FlagProxy != 0, &rw.Proxy},
		{f&event.FlagVPN != 0, &rw.VPN},
		{f&event.FlagHosting != 0, &rw.Hosting},
		{infected, &rw.Infected},
	} {
		if c.on {
			*c.dst++
			relayed = true
		}
	}
	if relayed {
		rw.Relayed++
	}
}

func (rw *RelayRow) finish() { rw.Share = ratio(rw.Relayed, rw.Total) }

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// shares turns per-country counts into rows with their share of total,
// largest first.
func shares(m map[string]int, total int) []CountryShare {
	out := make([]CountryShare, 0, len(m))
	for cc, n := range m {
		out = append(out, CountryShare{Country: cc, Count: n, Share: ratio(n, total)})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Count > out[j].Count || out[i].Count == out[j].Count && out[i].Country < out[j].Country
	})
	return out
}

type keyCount struct {
	key string
	n   int
}

// counts turns a count map into rows, largest first.
func counts(m map[string]int) []keyCount {
	out := make([]keyCount, 0, len(m))
	for k, n := range m {
		out = append(out, keyCount{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].n > out[j].n || out[i].n == out[j].n && out[i].key < out[j].key
	})
	return out
}

// previous fills the comparison with the period of equal length just
// before the report's.
func previous(ctx context.Context, st store.Reader, home string, from, to int32, r *Report) error {
	n := to - from + 1
	pf, pt := from-n, from-1
	var p Totals
	for _, q := range []struct {
		dst *int
		q   store.DistinctQuery
	}{
		{&p.C2Servers, store.DistinctQuery{From: pf, To: pt, Role: event.RoleC2}},
		{&p.InfectedHosts, store.DistinctQuery{From: pf, To: pt, Role: event.RoleInfected, CC: home}},
		{&p.AttackSources, store.DistinctQuery{From: pf, To: pt, Role: event.RoleAttacker}},
	} {
		c, err := st.CountDistinct(ctx, q.q)
		if err != nil {
			return err
		}
		*q.dst = int(c)
	}
	cur := Totals{C2Servers: r.C2Servers.Total, InfectedHosts: r.InfectedHosts.Domestic, AttackSources: r.AttackSources.Total}
	r.Previous = Comparison{
		From: store.DayTime(pf).Format(time.DateOnly), To: store.DayTime(pt).Format(time.DateOnly),
		Totals: p,
		Change: Changes{
			C2Servers:     change(cur.C2Servers, p.C2Servers),
			InfectedHosts: change(cur.InfectedHosts, p.InfectedHosts),
			AttackSources: change(cur.AttackSources, p.AttackSources),
		},
	}
	return nil
}

func change(cur, prev int) Change {
	c := Change{Delta: cur - prev}
	if prev > 0 {
		pct := float64(cur-prev) / float64(prev)
		c.Relative = &pct
	}
	return c
}

// methodology says what was counted, from what, and how.
func methodology(home string, feeds []store.FeedCount, lists []ListKind) Methodology {
	m := Methodology{
		Unit: "distinct IP addresses per period",
		Rules: []string{
			"Every figure outside the cooperation section counts distinct IP addresses seen in the period, not machines, people or organisations; one address is counted once per figure however many records name it.",
			"An address is placed in the country and autonomous system the IP database gave it when its record was stored; " + home + " is domestic, every other code is abroad, and regions with their own ISO 3166-1 code (HK, MO, TW) are their own countries.",
			"C&C servers are addresses in the c2-server role: listed by a C&C feed, or the server end of traffic a sensor classified as command-and-control. A sinkhole is never counted as a C&C server.",
			"Controlled hosts are domestic addresses in the infected-host role: sinkholed or drone-reported bots, and the client end of command-and-control traffic.",
			"A host is linked to a C&C server by records that name both: alerts on command-and-control traffic, drone reports naming the server, and flow or connection records to an address listed or seen as a C&C server within 7 days of the flow (known when the flow was ingested, so C&C lists are best ingested before flow logs). A sinkhole never links a host to a C&C server.",
			"A controlled host counts under every country of the C&C servers it was seen contacting; shares by controller country are of host–country pairs (they sum to 1), share_of_hosts is of hosts controlled from abroad (it can sum above 1).",
			"A C&C server or host with several malware families counts once under each family; addresses without a family count as unknown.",
			"Attack sources are addresses in the attack-source role (scanners, brute-forcers, exploit and denial-of-service sources); an address with several classes counts once under each class.",
			"The relay share of an attack source abroad is whether, on a day it was seen, it was on a Tor exit, proxy, VPN or hosting list, or was itself seen as an infected host in the period: such an address is where packets came from, not who sent them.",
			"The comparison period is the one of equal length immediately before.",
		},
		Feeds: []FeedRecords{},
		IPDB:  []IPDBVersion{},
		Lists: lists,
		Biases: []string{
			"Sampling: the figures cover only what the ingested feeds and sensors saw; networks without sensors and C&C servers no feed lists are missing.",
			"Addresses are not machines: carrier-grade NAT puts many subscribers behind one address (under-counting) and dynamic addressing moves one machine across many (over-counting).",
			"Victims under-report: figures built on reports from victims count only those who reported.",
			"Relay lists are incomplete and dated: an address not on a list may still be a relay.",
			"Country of an address is where it is registered or routed, per the IP database this methodology names, not where its operator is.",
		},
	}
	ipdbs := map[string]bool{}
	byFeed := map[string]*FeedRecords{}
	for _, f := range feeds {
		fr := byFeed[f.Feed]
		if fr == nil {
			fr = &FeedRecords{Feed: f.Feed}
			byFeed[f.Feed] = fr
		}
		fr.Incidents += f.Incidents
		fr.Observations += f.Observations
		fr.Records += f.Incidents + f.Observations
		if f.IPDB != "" {
			ipdbs[f.IPDB] = true
		}
	}
	for _, fr := range byFeed {
		m.Feeds = append(m.Feeds, *fr)
	}
	sort.Slice(m.Feeds, func(i, j int) bool { return m.Feeds[i].Feed < m.Feeds[j].Feed })
	for id := range ipdbs {
		name, version, _ := strings.Cut(id, "@")
		m.IPDB = append(m.IPDB, IPDBVersion{Name: name, Version: version})
	}
	sort.Slice(m.IPDB, func(i, j int) bool {
		return m.IPDB[i].Name+"@"+m.IPDB[i].Version < m.IPDB[j].Name+"@"+m.IPDB[j].Version
	})
	return m
}
