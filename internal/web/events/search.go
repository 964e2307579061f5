package events

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
)

// searchForm is the event search's filters as the form and the query
// string carry them.
type searchForm struct {
	From, To, Class, CC, ASN, IP, Feed, Malware, Role, Before string
	Flags                                                     []string
	Limit                                                     int
}

// flagNames are the relay and hosting flags a search may ask for.
var flagNames = event.Flags(1<<16 - 1).Names()

// roleNames are the roles a search may ask an address to play.
var roleNames = []string{"c2-server", "infected-host", "attack-source", "vulnerable-host", "malicious-host", "target"}

func readSearchForm(q url.Values) searchForm {
	f := searchForm{
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
		Class: strings.TrimSpace(q.Get("class")), CC: strings.ToUpper(strings.TrimSpace(q.Get("country"))),
		ASN: strings.TrimSpace(q.Get("asn")), IP: strings.TrimSpace(q.Get("ip")),
		Feed: strings.TrimSpace(q.Get("feed")), Malware: strings.TrimSpace(q.Get("malware")),
		Role: strings.TrimSpace(q.Get("role")), Before: strings.TrimSpace(q.Get("before")),
	}
	for _, v := range q["flag"] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				f.Flags = append(f.Flags, s)
			}
		}
	}
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	return f
}

// query turns the form into a store query, or says which filter is wrong.
func (f searchForm) query() (store.EventQuery, error) {
	var q store.EventQuery
	var err error
	if q.From, err = parseWhen(f.From, false); err != nil {
		return q, badRequest("from: %v", err)
	}
	if q.To, err = parseWhen(f.To, true); err != nil {
		return q, badRequest("to: %v", err)
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return q, badRequest("the time range ends before it starts")
	}
	if f.Class != "" {
		if !validClass(f.Class) {
			return q, badRequest("class %q is not an RSIT taxonomy or taxonomy/type", f.Class)
		}
		q.Class = f.Class
	}
	if f.CC != "" {
		if !isCountry(f.CC) {
			return q, badRequest("country %q is not an ISO 3166-1 alpha-2 code such as PL", f.CC)
		}
		q.CC = f.CC
	}
	if f.ASN != "" {
		n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToUpper(f.ASN), "AS"), 10, 32)
		if err != nil || n == 0 {
			return q, badRequest("AS %q is not an AS number such as 5617 or AS5617", f.ASN)
		}
		q.ASN = uint32(n)
	}
	if f.IP != "" {
		if q.Prefix, err = parsePrefix(f.IP); err != nil {
			return q, badRequest("%q is neither an IP address nor a prefix such as 192.0.2.0/24", f.IP)
		}
	}
	if len(f.Feed) > 100 || len(f.Malware) > 100 {
		return q, badRequest("feed and malware names are at most 100 characters")
	}
	q.Feed, q.Malware = f.Feed, f.Malware
	for _, s := range f.Flags {
		fl, err := event.ParseFlag(s)
		if err != nil {
			return q, badRequest("flag %q: use %s", s, strings.Join(flagNames, ", "))
		}
		q.Flags |= fl
	}
	if f.Role != "" {
		if q.Role, err = event.ParseRole(f.Role); err != nil {
			return q, badRequest("role %q: use %s", f.Role, strings.Join(roleNames, ", "))
		}
	}
	if f.Before != "" {
		k, err := parseKey(f.Before)
		if err != nil {
			return q, badRequest("before is not an event key (32 hex digits)")
		}
		q.Before = k
	}
	q.Limit = f.Limit
	if q.Limit <= 0 {
		q.Limit = store.DefaultSearchLimit
	}
	q.Limit = min(q.Limit, 500)
	// A page examines at most this many events: about 0.7 µs each on this
	// project's machine, so a filter that matches rarely still answers
	// within the 200 ms a search page may take, with a cursor to continue.
	q.ScanLimit = searchScanLimit
	return q, nil
}

// searchScanLimit is the scan budget of one search page (see query).
const searchScanLimit = 150_000

// parseWhen reads a date (YYYY-MM-DD) or an RFC 3339 time; a date as the
// end of a range includes its whole day.
func parseWhen(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errBadTime
}

var errBadTime = badRequest("use a date YYYY-MM-DD or a time such as 2024-03-12T10:00:00Z")

// validClass accepts an RSIT taxonomy, "taxonomy/" or "taxonomy/type".
func validClass(s string) bool {
	tax, typ, _ := strings.Cut(s, "/")
	for _, c := range event.Classes() {
		if c.Taxonomy == tax && (typ == "" || c.Type == typ) {
			return true
		}
	}
	return false
}

// parsePrefix reads an address (a /32 or /128) or a prefix.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseKey reads an event key written as 32 hex digits.
func parseKey(s string) (store.Key, error) {
	var k store.Key
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != store.KeySize {
		return k, errBadKey
	}
	copy(k[:], b)
	return k, nil
}

var errBadKey = web.NotFound()

// eventRow is one event in a list.
type eventRow struct {
	Key      string          `json:"key"`
	Time     time.Time       `json:"time"`
	Kind     string          `json:"kind"`
	Class    string          `json:"classification,omitempty"`
	Src      endpointRow     `json:"source"`
	Dst      endpointRow     `json:"destination"`
	Feed     string          `json:"feed"`
	Malware  string          `json:"malware,omitempty"`
	TLP      string          `json:"tlp"`
	Marking  event.TLP       `json:"-"`
	Document json.RawMessage `json:"event,omitempty"`
}

// endpointRow is one side of an event.
type endpointRow struct {
	IP     string   `json:"ip,omitempty"`
	Port   uint16   `json:"port,omitempty"`
	FQDN   string   `json:"fqdn,omitempty"`
	URL    string   `json:"url,omitempty"`
	CC     string   `json:"country,omitempty"`
	ASN    uint32   `json:"asn,omitempty"`
	ASName string   `json:"as_name,omitempty"`
	Role   string   `json:"role,omitempty"`
	Flags  []string `json:"flags,omitempty"`
}

func endpointOf(ep *event.Endpoint) endpointRow {
	r := endpointRow{Port: ep.Port, FQDN: ep.FQDN, URL: ep.URL, CC: ep.CC, ASN: ep.ASN, ASName: ep.ASName, Role: ep.Role.String()}
	if ep.IP.IsValid() {
		r.IP = ep.IP.String()
	}
	if ep.Flags != 0 {
		r.Flags = ep.Flags.Names()
	}
	return r
}

// rowOf describes a stored event; full adds its IntelMQ document.
func rowOf(se *store.StoredEvent, full bool) eventRow {
	e := &se.Event
	r := eventRow{Key: hex.EncodeToString(se.Key[:]), Time: e.Time(), Kind: e.Kind.String(), Class: e.Class.String(),
		Src: endpointOf(&e.Source), Dst: endpointOf(&e.Destination), Feed: e.Feed.Name, Malware: e.Malware,
		TLP: e.TLP.String(), Marking: e.TLP}
	if full {
		r.Document = e.AppendJSON(nil)
	}
	return r
}

// searchResult is one page of a search as pages and the API show it.
type searchResult struct {
	Events  []eventRow `json:"events"`
	Next    string     `json:"next,omitempty"`
	More    bool       `json:"more"`
	Partial bool       `json:"partial"`
	Scanned int64      `json:"scanned"`
}

// search runs q for the caller: only the labels the caller may receive
// on events this node holds.
func (a *area) search(c *web.Ctx, q store.EventQuery, full bool) (searchResult, error) {
	q.TLPs = c.TLPs(c.Self())
	page, err := c.S.Store.SearchEvents(c.R.Context(), q)
	if err != nil {
		return searchResult{}, err
	}
	res := searchResult{Events: []eventRow{}, More: page.More, Partial: page.Partial, Scanned: page.Scanned}
	for i := range page.Events {
		res.Events = append(res.Events, rowOf(&page.Events[i], full))
	}
	if page.More {
		res.Next = hex.EncodeToString(page.Next[:])
	}
	return res, nil
}

// searchView is the search page.
type searchView struct {
	Form    searchForm
	Classes []classOption
	Flags   []string
	Roles   []string
	Error   string
	Result  searchResult
	// NextURL continues the search below this page.
	NextURL string
}

// classOption is one entry of the class select: a taxonomy, then its
// types.
type classOption struct {
	Value, Label string
}

// classOptions lists every RSIT taxonomy followed by its types.
var classOptions = func() []classOption {
	var out []classOption
	last := ""
	for _, c := range event.Classes() {
		if c.Taxonomy != last {
			out = append(out, classOption{c.Taxonomy, c.Taxonomy + " (any type)"})
			last = c.Taxonomy
		}
		out = append(out, classOption{c.String(), "  " + c.String()})
	}
	return out
}()

func (a *area) searchPage(c *web.Ctx) error {
	f := readSearchForm(c.R.URL.Query())
	v := searchView{Form: f, Classes: classOptions, Flags: flagNames, Roles: roleNames}
	q, err := f.query()
	if err != nil {
		v.Error = err.Error()
		return c.RenderStatus(http.StatusBadRequest, a.pages, "search", "Events", v)
	}
	if v.Result, err = a.search(c, q, false); err != nil {
		return err
	}
	if v.Result.More {
		next := c.R.URL.Query()
		next.Set("before", v.Result.Next)
		v.NextURL = "/events?" + next.Encode()
	}
	return c.Render(a.pages, "search", "Events", v)
}

func (a *area) searchAPI(c *web.Ctx) error {
	q, err := readSearchForm(c.R.URL.Query()).query()
	if err != nil {
		return err
	}
	res, err := a.search(c, q, c.R.URL.Query().Get("full") == "1")
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// eventView is one event's page.
type eventView struct {
	Row      eventRow
	Event    *event.Event
	Document string
	Extra    string
	Raw      string
	RawIsBin bool
}

// storedEvent returns the event at the path's key if the caller may
// receive it, and a 404 otherwise: a refused event looks missing.
func (a *area) storedEvent(c *web.Ctx) (store.StoredEvent, error) {
	k, err := parseKey(strings.ToLower(c.R.PathValue("key")))
	if err != nil {
		return store.StoredEvent{}, err
	}
	e, err := c.S.Store.EventByKey(c.R.Context(), k)
	if err != nil {
		return store.StoredEvent{}, err
	}
	if err := c.Receive(casework.Marking{TLP: e.TLP}, c.Self(), nil); err != nil {
		return store.StoredEvent{}, err
	}
	return store.StoredEvent{Key: k, Event: e}, nil
}

func (a *area) eventPage(c *web.Ctx) error {
	se, err := a.storedEvent(c)
	if err != nil {
		return err
	}
	v := eventView{Row: rowOf(&se, true), Event: &se.Event}
	v.Document = indentJSON(v.Row.Document)
	if len(se.Event.Extra) > 0 {
		v.Extra = indentJSON(se.Event.Extra)
	}
	v.Raw = string(se.Event.Raw)
	v.RawIsBin = !isText(se.Event.Raw)
	if v.RawIsBin {
		v.Raw = hex.Dump(se.Event.Raw)
	}
	return c.Render(a.pages, "event", "Event "+v.Row.Key, v)
}

func (a *area) eventAPI(c *web.Ctx) error {
	se, err := a.storedEvent(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rowOf(&se, true))
}

// indentJSON indents a JSON document, keeping its members' order.
func indentJSON(b []byte) string {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return string(b)
	}
	return out.String()
}

// isText reports whether b is UTF-8 text without control characters
// other than line breaks and tabs.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < ' ' && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
	}
	return true
}
