package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/misp"
)

// MISP event JSON (the MISP core format) is how partners who run MISP
// share indicators. A record is a top-level attribute or an object of an
// event; one that names an address becomes an event, one that does not (a
// hash, free text) is rejected with the reason, under its record number
// (misp.Attribute.Record) as the line.
//
// Addresses go where the MISP type puts them: ip-src and ip-src|port are
// the source, ip-dst, ip-dst|port, domain|ip, hostname|port, domain,
// hostname and url the destination; objects (ip-port, domain-ip, c2-list,
// network-connection, url, ...) are read by their attributes' types and
// relations. The RSIT class comes from rsit:* (or the older ecsirt:*) tags,
// the attribute's before its object's and the event's, and a c2-list object
// is about C&C servers. The role follows the class: the address a C&C,
// infected-host, vulnerable or fraud class is about plays that part on
// whichever side it stands; in an attack the source attacks and the
// destination is the target; a C&C class with both sides is an infected
// host talking to its server. A concord:role="..." tag, which Concord's
// own MISP export writes, names the role outright. Without a class the
// record is an observation: context, never counted as an incident.
//
// The marking is the strictest tlp:* tag of the event and the record (TLP
// 1.0's white is CLEAR); without any, the configured default. The
// admiralty-scale:* tags go to extra as admiralty_scale, other tags as
// misp_tags, and what the lenient MISP reading ignored in a record (a tag
// without a name, an unreadable time) as misp_issues.

const (
	mispFeedName = "misp"
	// mispMaxInput bounds the document, which is read whole; MISP events
	// of a few hundred thousand attributes are some hundred MiB.
	mispMaxInput = 1 << 30
)

func init() {
	register(Format{
		Name:        "misp",
		Description: "MISP event JSON (core format): attributes, objects, tlp/rsit/admiralty-scale tags",
		Sniff:       sniffMISP,
		New: func(opts Options) (Decoder, error) {
			return &mispDecoder{opts: opts}, nil
		},
	})
}

type mispDecoder struct {
	opts     Options
	e        event.Event
	ctx      mispContext
	evIndex  int // the event ctx describes
	n        int64
	tagCache map[string]mispTagMeaning
}

// mispStop carries an error of the sink or the context out of misp.Walk,
// so Decode returns it unchanged.
type mispStop struct{ err error }

func (s *mispStop) Error() string { return s.err.Error() }

// mispContext is what an event says about all its records.
type mispContext struct {
	ev      *misp.Event
	tlp     event.TLP
	tlpSet  bool
	class   event.Class
	role    event.Role
	malware string
	tags    mispTags
	notes   []string // issues of the event's own members
}

// mispTags sorts a tag list into what Concord reads from it.
type mispTags struct {
	tlp       event.TLP
	tlpSet    bool
	class     event.Class
	role      event.Role
	malware   string
	admiralty []string // predicate="value", in tag order
	other     []string
}

func (t *mispTags) add(d *mispDecoder, tags []misp.Tag) {
	for _, tg := range tags {
		m := d.tagMeaning(tg.Name)
		switch m.kind {
		case mispTagTLP:
			if !t.tlpSet || m.tlp > t.tlp {
				t.tlp, t.tlpSet = m.tlp, true
			}
		case mispTagClass:
			if t.class.IsZero() {
				t.class = m.class
			}
		case mispTagAdmiralty:
			t.admiralty = append(t.admiralty, m.text)
		case mispTagRole:
			t.role = m.role
		case mispTagMalware:
			t.malware = m.text
		default:
			t.other = append(t.other, m.text)
		}
	}
}

type mispTagKind uint8

const (
	mispTagOther mispTagKind = iota
	mispTagTLP
	mispTagClass
	mispTagAdmiralty
	mispTagRole
	mispTagMalware
)

// mispTagMeaning is what one tag name tells Concord.
type mispTagMeaning struct {
	kind  mispTagKind
	tlp   event.TLP
	class event.Class
	role  event.Role
	text  string // the admiralty rating, malware name or trimmed tag
}

// tagMeaning reads a tag name, remembering the answer: an event repeats
// the same few tags on every attribute.
func (d *mispDecoder) tagMeaning(name string) mispTagMeaning {
	if m, ok := d.tagCache[name]; ok {
		return m
	}
	m := readMISPTag(strings.TrimSpace(name))
	if d.tagCache == nil {
		d.tagCache = map[string]mispTagMeaning{}
	}
	if len(d.tagCache) < 10000 {
		d.tagCache[name] = m
	}
	return m
}

func readMISPTag(name string) mispTagMeaning {
	if l, ok := misp.TagTLP(name); ok {
		return mispTagMeaning{kind: mispTagTLP, tlp: l}
	}
	if c, ok := misp.TagClass(name); ok {
		return mispTagMeaning{kind: mispTagClass, class: c}
	}
	ns, pred, val, _ := misp.MachineTag(name)
	switch {
	case ns == "admiralty-scale" && val != "":
		return mispTagMeaning{kind: mispTagAdmiralty, text: pred + "=" + val}
	case ns == "concord" && pred == "role":
		if r, err := event.ParseRole(val); err == nil {
			return mispTagMeaning{kind: mispTagRole, role: r}
		}
	case ns == "concord" && pred == "malware" && val != "":
		return mispTagMeaning{kind: mispTagMalware, text: strings.ToLower(val)}
	}
	return mispTagMeaning{text: name}
}

// Decode implements Decoder.
func (d *mispDecoder) Decode(ctx context.Context, r io.Reader, sink Sink) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := io.ReadAll(io.LimitReader(r, mispMaxInput+1))
	if err != nil {
		return fmt.Errorf("feed: misp: read: %w", err)
	}
	if len(data) > mispMaxInput {
		return fmt.Errorf("feed: misp: document larger than %d MiB; split the export into several events", mispMaxInput>>20)
	}
	if looksBinary(data[:min(len(data), SniffSize)]) {
		return fmt.Errorf("feed: misp: input looks binary (NUL bytes), not MISP event JSON")
	}
	// Records are handed over one at a time, so memory holds the input
	// and one record, however many attributes the event has.
	d.n, d.ctx, d.evIndex = 0, mispContext{}, 0
	err = misp.Walk(data, func(r *misp.Record) error {
		var notes []string
		for _, is := range r.Issues {
			if is.Skipped {
				sink.Reject(is.Record, is.String())
				return nil
			}
			notes = append(notes, is.String())
		}
		if r.EventIndex != d.evIndex {
			var evNotes []string
			for _, is := range r.EventIssues {
				evNotes = append(evNotes, is.String())
			}
			d.setContext(r.Event, evNotes)
			d.evIndex = r.EventIndex
		}
		var err error
		switch {
		case r.Attribute != nil:
			err = d.attribute(ctx, sink, r.Attribute, notes)
		case r.Object != nil:
			err = d.object(ctx, sink, r.Object, notes)
		}
		if err != nil {
			return &mispStop{err}
		}
		return nil
	})
	var stop *mispStop
	if errors.As(err, &stop) {
		return stop.err
	}
	if err != nil {
		return fmt.Errorf("feed: %w", err)
	}
	return nil
}

func (d *mispDecoder) setContext(ev *misp.Event, notes []string) {
	var t mispTags
	t.add(d, ev.Tags)
	d.ctx = mispContext{ev: ev, tlp: t.tlp, tlpSet: t.tlpSet, class: t.class, role: t.role, malware: t.malware, tags: t, notes: notes}
}

// mispSide is one endpoint as a record describes it.
type mispSide struct {
	ip   netip.Addr
	port uint16
	fqdn string
	url  string
}

func (s *mispSide) present() bool { return s.ip.IsValid() || s.fqdn != "" || s.url != "" }

// mispAddress reads an address-carrying attribute value into side src or
// dst. It returns ok false for types that carry no address and a reason
// for a value that does not hold what its type promises.
func mispAddress(typ, value string) (side mispSide, dst, ok bool, reason string) {
	v := strings.TrimSpace(value)
	switch strings.ToLower(typ) {
	case "ip-src", "ip-dst":
		ip, r := mispIP(v)
		return mispSide{ip: ip}, strings.EqualFold(typ, "ip-dst"), true, r
	case "ip-src|port", "ip-dst|port":
		host, port, r := mispSplitPort(v)
		if r != "" {
			return side, false, true, r
		}
		ip, r := mispIP(host)
		return mispSide{ip: ip, port: port}, strings.EqualFold(typ, "ip-dst|port"), true, r
	case "domain|ip":
		i := strings.LastIndexByte(v, '|')
		if i < 0 {
			return side, true, true, fmt.Sprintf("domain|ip value %q has no '|'", truncate(v, 64))
		}
		ip, r := mispIP(v[i+1:])
		return mispSide{ip: ip, fqdn: strings.ToLower(strings.TrimSpace(v[:i]))}, true, true, r
	case "hostname|port":
		host, port, r := mispSplitPort(v)
		if r == "" && host == "" {
			r = "hostname|port value has no host name"
		}
		return mispSide{fqdn: strings.ToLower(host), port: port}, true, true, r
	case "domain", "hostname":
		if v == "" {
			return side, true, true, typ + " value is empty"
		}
		return mispSide{fqdn: strings.ToLower(v)}, true, true, ""
	case "url":
		if v == "" {
			return side, true, true, "url value is empty"
		}
		return mispSide{url: v}, true, true, ""
	}
	return side, false, false, ""
}

func mispIP(s string) (netip.Addr, string) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		if p.Bits() == p.Addr().BitLen() {
			return p.Addr().Unmap(), ""
		}
		return netip.Addr{}, fmt.Sprintf("%s is a network range, not an address", truncate(s, 64))
	}
	ip, err := parseIP([]byte(s))
	if err != nil {
		return netip.Addr{}, err.Error()
	}
	return ip, ""
}

// mispSplitPort splits "host|port" (MISP's composite form).
func mispSplitPort(v string) (string, uint16, string) {
	i := strings.LastIndexByte(v, '|')
	if i < 0 {
		return "", 0, fmt.Sprintf("value %q is not host|port", truncate(v, 64))
	}
	port, err := parsePort([]byte(v[i+1:]))
	if err != nil {
		return "", 0, err.Error()
	}
	return strings.TrimSpace(v[:i]), port, ""
}

// attribute turns a top-level attribute into an event or a rejection.
func (d *mispDecoder) attribute(ctx context.Context, sink Sink, a *misp.Attribute, notes []string) error {
	line := a.Record
	if err := d.check(ctx); err != nil {
		return err
	}
	if a.Deleted {
		sink.Reject(line, fmt.Sprintf("skipped: the %s attribute is deleted (revoked in MISP)", a.Type))
		return nil
	}
	side, dst, ok, reason := mispAddress(a.Type, a.Value)
	if !ok {
		sink.Reject(line, fmt.Sprintf("skipped: %s attributes carry no address", a.Type))
		return nil
	}
	if reason != "" {
		sink.Reject(line, a.Type+": "+reason)
		return nil
	}
	var t mispTags
	t.add(d, a.Tags)
	var src, dstSide mispSide
	if dst {
		dstSide = side
	} else {
		src = side
	}
	r := mispRecord{
		line: line, raw: a.Raw, uuid: a.UUID, typ: a.Type, category: a.Category, comment: a.Comment,
		toIDs: a.ToIDs, tags: t, src: src, dst: dstSide, notes: notes,
		time: firstTime(a.LastSeen, a.FirstSeen, unixTime(a.Timestamp)),
	}
	return d.emit(sink, &r)
}

// object turns an object into one event, or one per address when it lists
// several on a side (a c2-list), or a rejection when it names none.
func (d *mispDecoder) object(ctx context.Context, sink Sink, o *misp.Object, notes []string) error {
	line := o.Record
	if err := d.check(ctx); err != nil {
		return err
	}
	if o.Deleted {
		sink.Reject(line, fmt.Sprintf("skipped: the %s object is deleted (revoked in MISP)", o.Name))
		return nil
	}
	var t mispTags
	var srcs, dsts []mispSide
	var srcPort, dstPort uint16
	var fqdn, url string
	var first, last, stamp time.Time
	var problems []string
	toIDs := false
	for i := range o.Attributes {
		a := &o.Attributes[i]
		if a.Deleted {
			continue
		}
		t.add(d, a.Tags)
		toIDs = toIDs || a.ToIDs
		if ts := unixTime(a.Timestamp); ts.After(stamp) {
			stamp = ts
		}
		rel := strings.ToLower(a.ObjectRelation)
		typ := strings.ToLower(a.Type)
		switch {
		case typ == "port" || strings.HasSuffix(rel, "port") && typ != "ip-src|port" && typ != "ip-dst|port" && typ != "hostname|port":
			p, err := parsePort([]byte(a.Value))
			if err != nil {
				problems = append(problems, rel+": "+err.Error())
				continue
			}
			if strings.HasPrefix(rel, "src") {
				srcPort = p
			} else {
				dstPort = p
			}
			continue
		case rel == "first-seen" || rel == "first-packet-seen":
			if tm, err := misp.ParseTime(a.Value); err == nil {
				first = tm
			}
			continue
		case rel == "last-seen" || rel == "last-packet-seen":
			if tm, err := misp.ParseTime(a.Value); err == nil {
				last = tm
			}
			continue
		case rel == "threat" && strings.EqualFold(o.Name, "c2-list") && a.Value != "":
			if t.malware == "" {
				t.malware = strings.ToLower(strings.TrimSpace(a.Value))
			}
			continue
		}
		side, dst, ok, reason := mispAddress(a.Type, a.Value)
		if !ok {
			continue // context: text, AS, country-code, ...
		}
		if reason != "" {
			problems = append(problems, fmt.Sprintf("%s (%s): %s", rel, a.Type, reason))
			continue
		}
		// Host names and URLs describe the destination's address when
		// there is one; alone they are an address themselves.
		if !side.ip.IsValid() && side.port == 0 {
			if side.fqdn != "" && fqdn == "" {
				fqdn = side.fqdn
			}
			if side.url != "" && url == "" {
				url = side.url
			}
			continue
		}
		if dst {
			dsts = append(dsts, side)
		} else {
			srcs = append(srcs, side)
		}
	}
	if len(srcs) == 0 && len(dsts) == 0 && (fqdn != "" || url != "") {
		dsts = append(dsts, mispSide{})
	}
	if len(srcs) == 0 && len(dsts) == 0 {
		reason := fmt.Sprintf("skipped: the %s object carries no address", o.Name)
		if len(problems) > 0 {
			reason += " (" + strings.Join(problems, "; ") + ")"
		}
		sink.Reject(line, reason)
		return nil
	}
	notes = append(notes, problems...)
	fill := func(s mispSide, port uint16) mispSide {
		if s.port == 0 {
			s.port = port
		}
		if s.fqdn == "" {
			s.fqdn = fqdn
		}
		if s.url == "" {
			s.url = url
		}
		return s
	}
	base := mispRecord{
		line: line, raw: o.Raw, uuid: o.UUID, typ: "object:" + o.Name, category: o.MetaCategory, comment: o.Comment,
		toIDs: toIDs, tags: t, notes: notes, c2list: strings.EqualFold(o.Name, "c2-list"),
		time: firstTime(o.LastSeen, last, o.FirstSeen, first, unixTime(o.Timestamp), stamp),
	}
	if len(srcs) <= 1 && len(dsts) <= 1 {
		r := base
		if len(srcs) == 1 {
			r.src = srcs[0]
			r.src.port = max(r.src.port, srcPort)
		}
		if len(dsts) == 1 {
			r.dst = fill(dsts[0], dstPort)
		}
		return d.emit(sink, &r)
	}
	for _, s := range srcs {
		r := base
		r.src = s
		if r.src.port == 0 && len(srcs) == 1 {
			r.src.port = srcPort
		}
		if err := d.emit(sink, &r); err != nil {
			return err
		}
	}
	for _, s := range dsts {
		r := base
		r.dst = s
		if len(dsts) == 1 {
			r.dst = fill(s, dstPort)
		}
		if err := d.emit(sink, &r); err != nil {
			return err
		}
	}
	return nil
}

// mispRecord is one event's worth of a record.
type mispRecord struct {
	line                int64
	raw                 []byte
	uuid, typ, category string
	comment             string
	toIDs, c2list       bool
	tags                mispTags
	src, dst            mispSide
	notes               []string
	time                time.Time
}

func (d *mispDecoder) emit(sink Sink, r *mispRecord) error {
	if reason := d.build(r); reason != "" {
		sink.Reject(r.line, reason)
		return nil
	}
	return sink.Event(&d.e)
}

func (d *mispDecoder) build(r *mispRecord) string {
	c := &d.ctx
	e := &d.e
	e.Reset()
	e.Raw = append(e.Raw, r.raw...)
	e.Line = r.line
	provider := ""
	if c.ev.Orgc != nil {
		provider = c.ev.Orgc.Name
	}
	e.Feed = event.Feed{Name: d.opts.feedName(mispFeedName), Provider: provider}

	switch {
	case r.tags.tlpSet && c.tlpSet:
		e.TLP = r.tags.tlp.Stricter(c.tlp)
	case r.tags.tlpSet:
		e.TLP = r.tags.tlp
	case c.tlpSet:
		e.TLP = c.tlp
	default:
		e.TLP = d.opts.Marking()
	}
	e.TimeSource = r.time
	if e.TimeSource.IsZero() {
		if t, err := misp.ParseTime(c.ev.Date); err == nil {
			e.TimeSource = t
		} else {
			e.TimeSource = unixTime(c.ev.Timestamp)
		}
	}
	e.Source = event.Endpoint{IP: r.src.ip, Port: r.src.port, FQDN: r.src.fqdn, URL: r.src.url}
	e.Destination = event.Endpoint{IP: r.dst.ip, Port: r.dst.port, FQDN: r.dst.fqdn, URL: r.dst.url}
	e.Malware = firstString(r.tags.malware, c.malware)
	e.Text = c.ev.Info

	class := r.tags.class
	if class.IsZero() {
		class = c.class
	}
	if class.IsZero() && r.c2list {
		class = event.ClassC2
	}
	role := r.tags.role
	if role == event.RoleNone {
		role = c.role
	}
	if class.IsZero() {
		e.Kind = event.Observation
	} else {
		src, dst := mispRoles(class, role, r.src.present(), r.dst.present())
		e.SetClassRoles(class, src, dst)
	}

	e.PutString("misp_event_uuid", c.ev.UUID)
	if r.uuid != "" {
		e.PutString("misp_uuid", r.uuid)
	}
	e.PutString("misp_type", r.typ)
	if r.category != "" {
		e.PutString("misp_category", r.category)
	}
	e.PutBool("misp_to_ids", r.toIDs)
	if r.comment != "" {
		e.PutString("misp_comment", r.comment)
	}
	if adm := mergeAdmiralty(c.tags.admiralty, r.tags.admiralty); len(adm) > 0 {
		e.PutStrings("admiralty_scale", adm)
	}
	if other := append(append([]string(nil), c.tags.other...), r.tags.other...); len(other) > 0 {
		e.PutStrings("misp_tags", other)
	}
	if notes := append(append([]string(nil), c.notes...), r.notes...); len(notes) > 0 {
		e.PutStrings("misp_issues", notes)
	}
	if err := e.Validate(); err != nil {
		return err.Error()
	}
	return ""
}

// mispRoles gives the roles of the source and destination of a record of
// class c; role, when set, is the role a concord:role tag names for the
// record's address (the source when it has one).
func mispRoles(c event.Class, role event.Role, hasSrc, hasDst bool) (event.Role, event.Role) {
	if role != event.RoleNone {
		if hasSrc {
			return role, event.RoleNone
		}
		return event.RoleNone, role
	}
	src, dst := event.DefaultRoles(c)
	if dst != event.RoleNone {
		return src, dst // an attack: the source attacks the destination
	}
	// The class is about one address, whichever side MISP put it on.
	switch {
	case hasSrc && hasDst && c == event.ClassC2:
		return event.RoleInfected, event.RoleC2
	case hasSrc:
		return src, event.RoleNone
	}
	return event.RoleNone, src
}

// mergeAdmiralty keeps one rating per predicate, the record's over the
// event's.
func mergeAdmiralty(ev, rec []string) []string {
	if len(rec) == 0 {
		return ev
	}
	out := append([]string(nil), rec...)
	for _, x := range ev {
		pred, _, _ := strings.Cut(x, "=")
		dup := false
		for _, y := range rec {
			if p, _, _ := strings.Cut(y, "="); p == pred {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, x)
		}
	}
	return out
}

func (d *mispDecoder) check(ctx context.Context) error {
	d.n++
	return checkCtx(ctx, d.n)
}

func unixTime(sec int64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func firstString(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// sniffMISP recognizes {"Event": ...}, a list starting with one, a REST
// search response, and a bare event whose first members are MISP's.
func sniffMISP(_ string, head []byte) int {
	head = bytes.TrimPrefix(head, feodoBOM)
	p := skipWS(head, 0)
	if p < len(head) && head[p] == '[' {
		p = skipWS(head, p+1)
		if p >= len(head) || head[p] != '{' {
			return 0
		}
		if mispFirstKey(head, p) == "Event" {
			return 100
		}
		return 0
	}
	if p >= len(head) || head[p] != '{' {
		return 0
	}
	switch k := mispFirstKey(head, p); {
	case k == "Event":
		return 100
	case k == "response":
		if bytes.Contains(head, []byte(`"Event"`)) {
			return 90
		}
	case eventFirstKeys[k]:
		// A bare event: its first member is an event's, and it has the
		// members no other format combines.
		if bytes.Contains(head, []byte(`"threat_level_id"`)) && bytes.Contains(head, []byte(`"Attribute"`)) {
			return 70
		}
	}
	return 0
}

var eventFirstKeys = map[string]bool{"id": true, "uuid": true, "info": true, "orgc_id": true, "org_id": true, "date": true, "threat_level_id": true}

// mispFirstKey returns the first member name of the object at head[p].
func mispFirstKey(head []byte, p int) string {
	q := skipWS(head, p+1)
	if q >= len(head) || head[q] != '"' {
		return ""
	}
	end, _, err := scanString(head, q)
	if err != nil {
		return ""
	}
	return string(head[q+1 : end-1])
}
