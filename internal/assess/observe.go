package assess

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// Place is where the IP database puts an address.
type Place struct {
	CC     string
	ASN    uint32
	ASName string
}

// Background is what Concord knows about addresses: the IP database, the
// relay lists and the feeds stored so far. Implementations must be safe for
// one caller at a time; Assess never calls them concurrently.
type Background interface {
	// Place returns the country and AS of ip per the IP database in use.
	Place(ip netip.Addr) Place
	// Flags returns the relay and hosting flags the lists give ip at time t
	// (zero t: now).
	Flags(ip netip.Addr, t time.Time) event.Flags
	// History returns the stored facts of ip for the days from..to.
	History(ctx context.Context, ip netip.Addr, from, to int32) ([]store.Fact, error)
	// EventTLP returns the marking of the stored event with the given key
	// (32 hex digits), found false when no such event is stored, and
	// checked false when there is no store to ask.
	EventTLP(ctx context.Context, key string) (tlp event.TLP, found, checked bool, err error)
	// Consulted says what the answers come from, for the record.
	Consulted() Sources
}

// Sources describes a Background: which IP database, how many relay-list
// entries, and which store it consulted.
type Sources struct {
	IPDB string // "name@version"
	// Lists counts the relay-list entries by kind ("tor-exit": 1200, ...);
	// empty when none were loaded.
	Lists map[string]int
	// Store names the database of stored feeds, "" when none was consulted.
	Store string
}

// lines writes the sources for the record.
func (s Sources) lines() []string {
	out := []string{"IP database: " + s.IPDB}
	if len(s.Lists) == 0 {
		out = append(out, "relay lists: none loaded")
	} else {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(s.Lists)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, s.Lists[k]))
		}
		out = append(out, "relay lists: "+strings.Join(parts, ", ")+" entries")
	}
	if s.Store == "" {
		out = append(out, "stored feeds: none consulted")
	} else {
		out = append(out, "stored feeds: "+s.Store)
	}
	return out
}

// Windows around an observation's time within which what the feeds saw an
// address do counts as "at the time", and within which it counts towards
// how often it was seen at all.
const (
	nearDays    = 7
	historyDays = 365
)

// observed is what the background says of one observation.
type observed struct {
	obs     *Observation
	place   Place
	cc      string // the country used: the analyst's, else the database's
	flags   event.Flags
	history []store.Fact
	// seenAs lists, per role, the feeds that saw the address in that role
	// within nearDays of the observation.
	infected, c2 []store.Fact
	warnings     []string
}

func observe(ctx context.Context, bg Background, o *Observation) (*observed, error) {
	ob := &observed{obs: o, place: bg.Place(o.IP)}
	ob.cc = ob.place.CC
	if o.Country != "" {
		if ob.place.CC != "" && ob.place.CC != o.Country {
			ob.warnings = append(ob.warnings, fmt.Sprintf("%s: the analyst places %s in %s, the IP database in %s; the analyst's country is used", o.ID, o.IP, o.Country, ob.place.CC))
		}
		ob.cc = o.Country
	}
	if ob.cc == "" {
		ob.warnings = append(ob.warnings, fmt.Sprintf("%s: the IP database has no country for %s (a private, reserved or unallocated address?); no hypotheses were generated for it — give \"country\" if you know it", o.ID, o.IP))
	}
	ob.flags = bg.Flags(o.IP, o.Time)
	at := o.Time
	if at.IsZero() {
		at = time.Now().UTC()
	}
	day := store.DayOf(at)
	h, err := bg.History(ctx, o.IP, day-historyDays, day+historyDays)
	if err != nil {
		return nil, fmt.Errorf("assess: history of %s: %w", o.IP, err)
	}
	ob.history = h
	for _, f := range h {
		if o.Time.IsZero() || f.Day < day-nearDays || f.Day > day+nearDays {
			continue
		}
		switch f.Role {
		case event.RoleInfected:
			ob.infected = append(ob.infected, f)
		case event.RoleC2:
			ob.c2 = append(ob.c2, f)
		}
	}
	return ob, nil
}

// sourceOf names the organisation behind a feed: feeds from one provider
// ("shadowserver-scan-http", "shadowserver-sinkhole") are one source, since
// two feeds reselling one upstream are not independent.
func sourceOf(feed string) string {
	feed = strings.ToLower(feed)
	if i := strings.IndexAny(feed, "-._:/ "); i > 0 {
		return feed[:i]
	}
	return feed
}

func sources(facts []store.Fact) []string {
	set := map[string]bool{}
	for _, f := range facts {
		set[sourceOf(f.Feed)] = true
	}
	// Never nil: the JSON output lists no feeds as [], not null.
	return append([]string{}, slices.Sorted(maps.Keys(set))...)
}

func days(facts []store.Fact) string {
	set := map[int32]bool{}
	for _, f := range facts {
		set[f.Day] = true
	}
	ds := make([]int32, 0, len(set))
	for d := range set {
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	out := make([]string, 0, 3)
	for i, d := range ds {
		if i == 3 {
			out = append(out, fmt.Sprintf("and %d more", len(ds)-3))
			break
		}
		out = append(out, store.DayTime(d).Format(time.DateOnly))
	}
	return strings.Join(out, ", ")
}

func malware(facts []store.Fact) string {
	set := map[string]bool{}
	for _, f := range facts {
		if f.Malware != "" {
			set[f.Malware] = true
		}
	}
	return strings.Join(slices.Sorted(maps.Keys(set)), ", ")
}

// ratingRule is how one automatic item is rated against the hypotheses of
// the observation's country, by kind.
type ratingRule struct {
	actor, compromised, relay, falseFlag Rating
	why                                  string
}

func (r ratingRule) rating(k Kind) Rating {
	switch k {
	case KindActor:
		return r.actor
	case KindCompromised:
		return r.compromised
	case KindRelay:
		return r.relay
	case KindFalseFlag:
		return r.falseFlag
	}
	return Unrated
}

// Flags that make an address something other than its user's own
// connection. With one of them, the observation itself is neutral between
// the actor and the relay hypotheses (DOMAIN.md §5).
const relayFlags = event.FlagTor | event.FlagProxy | event.FlagVPN | event.FlagHosting

// flagItems describes the automatic item each flag yields: who grades such
// lists how, and how the flag bears on each hypothesis.
var flagItems = []struct {
	flag        event.Flags
	name        string
	reliability Reliability
	credibility Credibility
	relevance   Relevance
	// spoof: an adversary cannot make an address a Tor exit after the
	// fact; the other lists are compiled by heuristics that can be gamed.
	spoof   Spoofability
	rule    ratingRule
	summary string
}{
	{event.FlagTor, "tor-exit", 'A', 2, RelevanceHigh, SpoofLow,
		ratingRule{RatingI, RatingN, RatingCC, RatingN, "a Tor exit relays thousands of users' traffic: where it stands says nothing about where its users are"},
		"was a Tor exit relay at the time, per the Tor exit list imported into Concord"},
	{event.FlagVPN, "vpn", 'B', 2, RelevanceHigh, SpoofMedium,
		ratingRule{RatingI, RatingN, RatingCC, RatingN, "a commercial VPN endpoint carries its customers' traffic; its location is the provider's, not the customer's"},
		"was a commercial VPN endpoint at the time, per the VPN list imported into Concord"},
	{event.FlagProxy, "proxy", 'C', 3, RelevanceHigh, SpoofMedium,
		ratingRule{RatingI, RatingC, RatingCC, RatingN, "an open or residential proxy relays others' traffic, and is often itself an infected home device"},
		"was listed as an open or residential proxy at the time, per the proxy list imported into Concord"},
	{event.FlagHosting, "hosting", 'B', 2, RelevanceMedium, SpoofMedium,
		ratingRule{RatingI, RatingC, RatingC, RatingN, "a hosting, VPS or cloud address is rented by anyone from anywhere, or hijacked; it is rarely its user's home connection"},
		"belonged to a hosting, VPS or cloud network at the time, per the hosting list imported into Concord"},
	{event.FlagSinkhole, "sinkhole", 'B', 2, RelevanceHigh, SpoofMedium,
		ratingRule{RatingI, RatingN, RatingN, RatingN, "a sinkhole receives bots' traffic and attacks nobody; an observation naming it as a source is probably misread"},
		"was a sinkhole at the time, per the sinkhole list imported into Concord"},
}

// derive turns an observation into evidence items: the observation itself,
// one item per relay flag, and what the feeds saw the address do at the
// time. Their ratings depend on the hypotheses, so they are kept as rules
// and applied by rate.
func (ob *observed) derive() []derived {
	o := ob.obs
	where := ob.cc
	if where == "" {
		where = "no known country"
	}
	as := ""
	if ob.place.ASN != 0 {
		as = fmt.Sprintf(", AS%d", ob.place.ASN)
		if ob.place.ASName != "" {
			as += " " + ob.place.ASName
		}
	}
	summary := strings.TrimSuffix(fmt.Sprintf("%s at %s (%s): %s%s", o.Endpoint(), o.When(), o.Role, where, as), ".") + "."
	if len(ob.history) > 0 {
		summary += fmt.Sprintf(" Stored feeds saw the address on %s within a year of it (%s).", days(ob.history), strings.Join(sources(ob.history), ", "))
	}
	if o.Note != "" {
		summary += " " + o.Note
	}
	rel := RelevanceHigh
	switch {
	case o.Time.IsZero():
		rel = RelevanceLow
	case o.Port == 0 && o.needsPort():
		rel = RelevanceMedium
	}
	base := ratingRule{RatingC, RatingC, RatingC, RatingC, "the traffic came from an address in " + where + ", which fits every explanation involving " + where}
	if ob.flags&relayFlags != 0 {
		base = ratingRule{RatingN, RatingN, RatingN, RatingN, "the address was a relay or rented server (" + (ob.flags & relayFlags).String() + ") at the time, so where it stands is neutral between the actor and the relay explanations"}
	}
	out := []derived{{
		item: Evidence{ID: o.ID, Class: mustClass("network-source"), Summary: summary, Reliability: o.Reliability, Credibility: o.Credibility,
			Relevance: rel, Spoof: SpoofHigh, Level: LevelMachine, Source: "address " + o.IP.String(), TLP: o.TLP, Observation: o.ID},
		rule: base,
	}}
	for _, fi := range flagItems {
		if ob.flags&fi.flag == 0 {
			continue
		}
		out = append(out, derived{
			item: Evidence{ID: o.ID + "-" + fi.name, Class: mustClass("network-source"), Summary: fmt.Sprintf("%s %s.", o.IP, fi.summary),
				Reliability: fi.reliability, Credibility: fi.credibility, Relevance: fi.relevance, Spoof: fi.spoof, Level: LevelMachine,
				Source: "list:" + fi.name, TLP: o.TLP, Observation: o.ID},
			rule: fi.rule,
		})
	}
	for _, seen := range []struct {
		name  string
		facts []store.Fact
		rule  ratingRule
		what  string
	}{
		{"infected", ob.infected, ratingRule{RatingI, RatingCC, RatingC, RatingN, "feeds saw the address as an infected host at the time: a victim's machine controlled from elsewhere"}, "an infected host"},
		{"c2", ob.c2, ratingRule{RatingN, RatingC, RatingC, RatingN, "feeds saw the address as a C&C server at the time: attackers' infrastructure, usually rented or hijacked"}, "a C&C server"},
	} {
		if len(seen.facts) == 0 {
			continue
		}
		srcs := sources(seen.facts)
		cred := Credibility(2)
		if len(srcs) >= 2 {
			cred = 1
		}
		s := fmt.Sprintf("Feeds saw %s as %s within %d days of the observation, on %s (%s", o.IP, seen.what, nearDays, days(seen.facts), strings.Join(srcs, ", "))
		if m := malware(seen.facts); m != "" {
			s += "; " + m
		}
		s += ")."
		out = append(out, derived{
			item: Evidence{ID: o.ID + "-" + seen.name, Class: mustClass("network-source"), Summary: s, Reliability: 'B', Credibility: cred,
				Relevance: RelevanceHigh, Spoof: SpoofMedium, Level: LevelMachine, Source: "feeds:" + strings.Join(srcs, "+"), TLP: o.TLP, Observation: o.ID},
			rule: seen.rule,
		})
	}
	for i := range out {
		out[i].cc = ob.cc
	}
	return out
}

// derived is an automatic item with the rule that rates it.
type derived struct {
	item Evidence
	rule ratingRule
	cc   string
}

// rate fills the item's automatic ratings for the hypotheses: by rule for
// the hypotheses about the observation's country, neutral for those about
// other countries, and unrated for hypotheses Concord cannot interpret.
func (d *derived) rate(hyps []Hypothesis) {
	d.item.Auto = map[string]Rating{}
	d.item.Why = map[string]string{}
	for _, h := range hyps {
		switch {
		case h.Kind == KindOther:
			continue
		case h.Country == d.cc && d.cc != "":
			d.item.Auto[h.ID] = d.rule.rating(h.Kind)
			d.item.Why[h.ID] = d.rule.why
		default:
			d.item.Auto[h.ID] = RatingN
			d.item.Why[h.ID] = "the item is about an address in another country"
		}
	}
}

func mustClass(id string) Class {
	c, ok := ClassByID(id)
	if !ok {
		panic("assess: unknown class " + id)
	}
	return c
}
