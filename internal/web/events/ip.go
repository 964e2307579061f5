package events

import (
	"cmp"
	"encoding/hex"
	"maps"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/stats"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
)

// historyDays is how far back an address page reads the facts.
const historyDays = 2 * 365

// ipEvents is how many recent events an address page lists.
const ipEvents = 20

// maxCaseEvents bounds the case items an address page looks up.
const maxCaseEvents = 5000

// ipView is an address page and, encoded, its API answer.
type ipView struct {
	IP      string       `json:"ip"`
	Now     lookupNow    `json:"now"`
	History historyView  `json:"history"`
	Events  searchResult `json:"recent_events"`
	// EventsURL searches every event with the address, page by page.
	EventsURL string `json:"events_url"`
	// Cases are the cases the caller may receive that hold an event with
	// the address; nil when the caller may not read cases.
	Cases    []caseLink `json:"cases,omitempty"`
	CanCases bool       `json:"-"`
	// CasesCut is set when there were more case events than one page
	// looks up.
	CasesCut bool `json:"cases_incomplete,omitempty"`
}

// lookupNow is what the IP database and relay lists say of an address
// today.
type lookupNow struct {
	Country     string   `json:"country"`
	CountryName string   `json:"country_name,omitempty"`
	ASN         uint32   `json:"asn"`
	ASName      string   `json:"as_name"`
	Flags       []string `json:"flags"`
	IPDB        string   `json:"ipdb"`
	At          string   `json:"at"`
}

// historyView is what the facts say of an address over historyDays.
type historyView struct {
	From string `json:"from"`
	To   string `json:"to"`
	// TLP is the marking the history inherits from the events of its
	// days; Withheld is set, and the rest empty, when the caller may not
	// receive it.
	TLP       string    `json:"tlp"`
	Marking   event.TLP `json:"-"`
	Withheld  bool      `json:"withheld"`
	FirstSeen string    `json:"first_seen,omitempty"`
	LastSeen  string    `json:"last_seen,omitempty"`
	Days      int       `json:"days"`
	Roles     []string  `json:"roles"`
	Classes   []string  `json:"classifications"`
	Feeds     []string  `json:"feeds"`
	Malware   []string  `json:"malware"`
	Flags     []string  `json:"flags"`
	Countries []string  `json:"countries"`
	ASes      []string  `json:"autonomous_systems"`
	Facts     []factRow `json:"facts"`
	MoreFacts int       `json:"more_facts,omitempty"`
}

// factRow is one day's record of the address in one role.
type factRow struct {
	Day     string   `json:"day"`
	Role    string   `json:"role"`
	Class   string   `json:"classification"`
	Malware string   `json:"malware,omitempty"`
	Peer    string   `json:"peer,omitempty"`
	PeerCC  string   `json:"peer_country,omitempty"`
	Feed    string   `json:"feed"`
	CC      string   `json:"country,omitempty"`
	ASN     uint32   `json:"asn,omitempty"`
	ASName  string   `json:"as_name,omitempty"`
	Flags   []string `json:"flags,omitempty"`
	Events  int64    `json:"events"`
}

// caseLink is a case that holds an event with the address.
type caseLink struct {
	ID      int64     `json:"id"`
	Title   string    `json:"title"`
	Status  string    `json:"status"`
	TLP     string    `json:"tlp"`
	Marking event.TLP `json:"-"`
	Events  int       `json:"events"`
}

// factRows is how many facts a page lists.
const factRows = 200

func (a *area) ipData(c *web.Ctx) (*ipView, error) {
	ctx := c.R.Context()
	addr, err := netip.ParseAddr(c.R.PathValue("addr"))
	if err != nil {
		return nil, web.NotFound()
	}
	addr = addr.Unmap()
	self := c.Self()
	now := c.S.Cfg.Now().UTC()
	v := &ipView{IP: addr.String(), EventsURL: "/events?" + url.Values{"ip": {addr.String()}}.Encode()}

	geo, flags := a.lookup.Load().Lookup(addr, now)
	v.Now = lookupNow{Country: geo.CC, CountryName: stats.CountryName(geo.CC), ASN: geo.ASN, ASName: geo.ASName,
		Flags: flags.Names(), IPDB: *a.geoName.Load(), At: now.Format(time.RFC3339)}

	today := store.DayOf(now)
	facts, err := c.S.Store.FactsOfIP(ctx, addr, today-historyDays, today)
	if err != nil {
		return nil, err
	}
	h := &v.History
	h.From, h.To = store.DayTime(today-historyDays).Format(time.DateOnly), store.DayTime(today).Format(time.DateOnly)
	h.TLP = event.TLPClear.String()
	h.Roles, h.Classes, h.Feeds, h.Malware, h.Flags, h.Countries, h.ASes, h.Facts =
		[]string{}, []string{}, []string{}, []string{}, []string{}, []string{}, []string{}, []factRow{}
	roles := map[event.Role]bool{}
	if len(facts) > 0 {
		lo, hi := facts[0].Day, facts[0].Day
		for _, f := range facts {
			lo, hi = min(lo, f.Day), max(hi, f.Day)
			roles[f.Role] = true
		}
		// Facts carry no marking of their own: they are derived from the
		// events of their days, and inherit the strictest of those.
		if h.Marking, err = node.ReportMarking(ctx, c.S.Store, store.DayTime(lo), store.DayTime(hi)); err != nil {
			return nil, err
		}
		h.TLP = h.Marking.String()
		if c.MayReceive(casework.Marking{TLP: h.Marking}, self, nil) {
			fillHistory(h, facts, lo, hi)
		} else {
			h.Withheld = true
		}
	}

	if v.Events, err = a.eventsOf(c, addr, roles); err != nil {
		return nil, err
	}
	if c.P.Can(auth.ReadCases) {
		v.CanCases = true
		if v.Cases, v.CasesCut, err = casesWith(c, addr, self); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// fillHistory summarises the facts of days lo..hi.
func fillHistory(h *historyView, facts []store.Fact, lo, hi int32) {
	h.FirstSeen, h.LastSeen = store.DayTime(lo).Format(time.DateOnly), store.DayTime(hi).Format(time.DateOnly)
	days := map[int32]bool{}
	sets := map[string]map[string]bool{}
	add := func(set, v string) {
		if v == "" {
			return
		}
		if sets[set] == nil {
			sets[set] = map[string]bool{}
		}
		sets[set][v] = true
	}
	for _, f := range facts {
		days[f.Day] = true
		add("role", f.Role.String())
		add("class", f.Class)
		add("feed", f.Feed)
		add("malware", f.Malware)
		for _, n := range f.Flags.Names() {
			add("flag", n)
		}
		add("cc", f.CC)
		if f.ASN != 0 {
			add("as", strings.TrimSpace("AS"+strconv.FormatUint(uint64(f.ASN), 10)+" "+f.ASName))
		}
	}
	h.Days = len(days)
	list := func(set string) []string {
		if sets[set] == nil {
			return []string{}
		}
		return slices.Sorted(maps.Keys(sets[set]))
	}
	h.Roles, h.Classes, h.Feeds, h.Malware, h.Flags, h.Countries, h.ASes =
		list("role"), list("class"), list("feed"), list("malware"), list("flag"), list("cc"), list("as")
	// Newest first.
	for i := len(facts) - 1; i >= 0 && len(h.Facts) < factRows; i-- {
		f := &facts[i]
		r := factRow{Day: store.DayTime(f.Day).Format(time.DateOnly), Role: f.Role.String(), Class: f.Class, Malware: f.Malware,
			PeerCC: f.PeerCC, Feed: f.Feed, CC: f.CC, ASN: f.ASN, ASName: f.ASName, Events: f.Events}
		if f.Peer.IsValid() {
			r.Peer = f.Peer.String()
		}
		if f.Flags != 0 {
			r.Flags = f.Flags.Names()
		}
		h.Facts = append(h.Facts, r)
	}
	slices.SortStableFunc(h.Facts, func(x, y factRow) int { return cmp.Compare(y.Day, x.Day) })
	h.MoreFacts = len(facts) - len(h.Facts)
}

// eventsOf returns the newest events with addr that the caller may
// receive. For each role the facts know the address in, the store reads
// only the days of those facts; an address without facts (a target, a
// flow's end) is searched in the newest events, within a budget, and
// the page links to the full search.
func (a *area) eventsOf(c *web.Ctx, addr netip.Addr, roles map[event.Role]bool) (searchResult, error) {
	prefix := netip.PrefixFrom(addr, addr.BitLen())
	if len(roles) == 0 {
		return a.search(c, store.EventQuery{Prefix: prefix, Limit: ipEvents, ScanLimit: 50_000}, false)
	}
	out := searchResult{Events: []eventRow{}}
	for _, r := range slices.Sorted(maps.Keys(roles)) {
		res, err := a.search(c, store.EventQuery{Prefix: prefix, Role: r, Limit: ipEvents}, false)
		if err != nil {
			return out, err
		}
		out.Scanned += res.Scanned
		out.More = out.More || res.More
		for _, e := range res.Events {
			if !slices.ContainsFunc(out.Events, func(x eventRow) bool { return x.Key == e.Key }) {
				out.Events = append(out.Events, e)
			}
		}
	}
	// Keys lead with the time: newest first is highest key first.
	slices.SortFunc(out.Events, func(x, y eventRow) int { return strings.Compare(y.Key, x.Key) })
	if len(out.Events) > ipEvents {
		out.Events, out.More = out.Events[:ipEvents], true
	}
	return out, nil
}

// casesWith returns the cases the caller may receive that hold a stored
// event with addr as its source or destination, and whether there were
// too many case events to look at all of them.
func casesWith(c *web.Ctx, addr netip.Addr, self string) ([]caseLink, bool, error) {
	ctx := c.R.Context()
	cases, err := c.S.Store.Cases(ctx)
	if err != nil {
		return nil, false, err
	}
	out := []caseLink{}
	looked, cut := 0, false
	for _, cs := range cases {
		if !c.MayReceive(casework.Marking{TLP: cs.TLP}, self, nil) {
			continue
		}
		items, err := c.S.Store.CaseItems(ctx, cs.ID)
		if err != nil {
			return nil, false, err
		}
		n := 0
		for _, it := range items {
			if it.Kind != "event" {
				continue
			}
			if looked >= maxCaseEvents {
				cut = true
				break
			}
			looked++
			b, err := hex.DecodeString(it.Ref)
			if err != nil || len(b) != store.KeySize {
				continue
			}
			e, err := c.S.Store.EventByKey(ctx, store.Key(b))
			if err != nil {
				continue // an event no longer stored links nothing
			}
			if e.Source.IP == addr || e.Destination.IP == addr {
				n++
			}
		}
		if n > 0 {
			out = append(out, caseLink{ID: cs.ID, Title: cs.Title, Status: cs.Status, TLP: cs.TLP.String(), Marking: cs.TLP, Events: n})
		}
	}
	return out, cut, nil
}

func (a *area) ipPage(c *web.Ctx) error {
	v, err := a.ipData(c)
	if err != nil {
		return err
	}
	return c.Render(a.pages, "ip", v.IP, v)
}

func (a *area) ipAPI(c *web.Ctx) error {
	v, err := a.ipData(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}
