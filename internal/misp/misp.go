package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Event is a MISP event: a set of attributes and objects under one
// summary (Info), with its creator organisation and tags. Numeric fields
// that MISP writes as JSON strings are kept as strings, so an event reads
// and writes back the same; Timestamp is Unix seconds (0 when absent).
type Event struct {
	UUID          string
	Info          string
	Date          string // YYYY-MM-DD
	ThreatLevelID string // "1" high … "4" undefined
	Analysis      string // "0" initial, "1" ongoing, "2" complete
	Distribution  string // "0" your organisation only … "4" sharing group
	Timestamp     int64
	Published     bool
	Orgc          *Org // nil when the event names no creator
	Tags          []Tag
	Attributes    []Attribute
	Objects       []Object
}

// Org is an organisation: the creator (Orgc) or the holder (Org) of an
// event.
type Org struct {
	UUID string
	Name string
	ID   string
}

// Attribute is one indicator or piece of context: a category-type-value
// triplet. Raw holds the attribute's JSON exactly as it was read.
type Attribute struct {
	UUID           string
	Type           string
	Category       string
	Value          string
	Comment        string
	ToIDs          bool
	Deleted        bool
	Timestamp      int64
	FirstSeen      time.Time
	LastSeen       time.Time
	ObjectRelation string // the attribute's name within its object
	Tags           []Tag
	Raw            []byte
	// Record numbers the top-level attributes and objects of a document
	// (and event elements skipped whole) 1, 2, ... in input order; an
	// object's attributes carry their object's number.
	Record int64
}

// Object groups attributes after a template from the MISP object
// definitions (ip-port, domain-ip, c2-list, ...). Raw holds its JSON.
type Object struct {
	UUID            string
	Name            string
	MetaCategory    string
	TemplateUUID    string
	TemplateVersion string
	Comment         string
	Deleted         bool
	Timestamp       int64
	FirstSeen       time.Time
	LastSeen        time.Time
	Attributes      []Attribute
	Raw             []byte
	Record          int64 // see Attribute.Record
}

// Tag is a label on an event or attribute, usually a machine tag from a
// MISP taxonomy such as tlp:amber or rsit:malicious-code="c2-server".
type Tag struct {
	Name string
}

// Issue is something a lenient decode skipped: Where names it
// ("Event 1 Attribute 3"), Reason says why.
type Issue struct {
	Where  string
	Reason string
	// Record is the number of the record (see Attribute.Record) the issue
	// is about, 0 for an event's own members.
	Record int64
	// Event is the 1-based index in Document.Events of the event the
	// issue is about, 0 for a list element that was skipped whole.
	Event int
	// Skipped reports whether the whole record was left out, rather than
	// one of its members (a tag, a time).
	Skipped bool
}

// String returns "Where: Reason", as rejections and notes show it.
func (i Issue) String() string { return i.Where + ": " + i.Reason }

// Document is what a MISP JSON document holds: its events in input order
// and, for lenient decoding, what was skipped.
type Document struct {
	Events []Event
	Issues []Issue
}

// Decode reads a MISP document leniently: {"Event":{...}}, a bare event
// object, a list of either, or a REST search result {"response":[...]}.
// Type deviations MISP instances are known to emit are accepted; elements
// that cannot be used (an attribute without a type, a tag that is not an
// object) are skipped and listed in Issues. Decode fails only when data is
// not JSON or holds no MISP event structure at all. The Raw fields of the
// result are slices of data.
func Decode(data []byte) (*Document, error) {
	d := &decoder{doc: &Document{}}
	return d.doc, d.document(data)
}

// Record is one record of a document as Walk hands it over.
type Record struct {
	// Event is the header and tags of the record's event (its Attributes
	// and Objects stay empty); nil for a list element skipped whole.
	Event *Event
	// EventIndex numbers the document's events 1, 2, ...; 0 with Event.
	EventIndex int
	// Attribute or Object is the record; both are nil when it was
	// skipped whole, and Issues then says why.
	Attribute *Attribute
	Object    *Object
	// Issues are what the lenient reading left out of this record (a tag
	// without a name, an unreadable time), or why it was skipped whole.
	Issues []Issue
	// EventIssues are what it left out of the event's own members.
	EventIssues []Issue
}

// Walk reads data as Decode does, but hands each record to fn as soon as
// it is read instead of building the whole document, so that memory holds
// one record beside data however large the event. All records of one
// event share its Event, which is complete before the first is handed
// over; Raw fields are slices of data. An error from fn stops the walk and
// is returned unchanged.
func Walk(data []byte, fn func(*Record) error) error {
	d := &decoder{doc: &Document{}, walk: fn}
	return d.document(data)
}

// DecodeStrict reads a document as the MISP core format specifies it: one
// {"Event":{...}} object, numbers and identifiers as JSON strings,
// booleans as JSON booleans, the required members present and no member
// the format (MISP 2.5 schema) does not define. Any deviation is an error.
func DecodeStrict(data []byte) (*Event, error) {
	d := &decoder{doc: &Document{}, strict: true}
	if err := d.document(data); err != nil {
		return nil, err
	}
	if len(d.doc.Events) != 1 {
		return nil, fmt.Errorf("misp: want exactly one event, found %d", len(d.doc.Events))
	}
	return &d.doc.Events[0], nil
}

type decoder struct {
	doc    *Document
	strict bool
	// walk, when set, receives each record instead of doc; pending holds
	// the issues of the record being read, nev counts the events read.
	walk    func(*Record) error
	pending []Issue
	nev     int
	// rec is the number of the record being read, ev the index the event
	// being read will have in doc.Events (1-based), inObject whether an
	// object's attributes are being read.
	rec      int64
	ev       int
	inObject bool
}

// skip records that a member of a record was left out; in strict mode it
// fails.
func (d *decoder) skip(where, format string, args ...any) error {
	return d.issue(false, where, format, args...)
}

// skipRecord records that the current record was left out whole (for an
// attribute of an object, only that attribute: a member of its record).
func (d *decoder) skipRecord(where, format string, args ...any) error {
	return d.issue(!d.inObject, where, format, args...)
}

func (d *decoder) issue(whole bool, where, format string, args ...any) error {
	reason := fmt.Sprintf(format, args...)
	if d.strict {
		return fmt.Errorf("misp: %s: %s", where, reason)
	}
	is := Issue{Where: where, Reason: reason, Record: d.rec, Event: d.ev, Skipped: whole}
	if d.walk != nil {
		d.pending = append(d.pending, is)
		return nil
	}
	d.doc.Issues = append(d.doc.Issues, is)
	return nil
}

// quirk notes a deviation a lenient decode accepts silently.
func (d *decoder) quirk(where, format string, args ...any) error {
	if d.strict {
		return fmt.Errorf("misp: %s: "+format, append([]any{where}, args...)...)
	}
	return nil
}

// members are an object's members in input order; a name given twice
// reads as its last value, as with encoding/json.
type members []member

type member struct {
	key []byte // unescaped
	val json.RawMessage
}

func (m members) lookup(key string) (json.RawMessage, bool) {
	for i := len(m) - 1; i >= 0; i-- {
		if string(m[i].key) == key {
			return m[i].val, true
		}
	}
	return nil, false
}

func (m members) get(key string) json.RawMessage {
	v, _ := m.lookup(key)
	return v
}

// objectOf and arrayOf split a JSON object or array into its members or
// elements, each a slice of raw (no copy). They are only ever given values
// inside a document json.Valid accepted, so they need not check syntax;
// decoding a MISP export of a million attributes with encoding/json maps
// instead copies and re-validates every attribute at each level.
func objectOf(raw []byte) (members, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '{' {
		return nil, false
	}
	m := make(members, 0, 4)
	p := skipWS(raw, 1)
	for p < len(raw) && raw[p] != '}' {
		end := scanValue(raw, p)
		key := raw[p+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 || !utf8.Valid(key) {
			// encoding/json's reading: escapes undone, invalid UTF-8
			// and lone surrogates become U+FFFD.
			var k string
			if err := json.Unmarshal(raw[p:end], &k); err != nil {
				return nil, false
			}
			key = []byte(k)
		}
		p = skipWS(raw, end)
		if p >= len(raw) || raw[p] != ':' {
			return nil, false
		}
		p = skipWS(raw, p+1)
		end = scanValue(raw, p)
		m = append(m, member{key, raw[p:end:end]})
		p = skipWS(raw, end)
		if p < len(raw) && raw[p] == ',' {
			p = skipWS(raw, p+1)
		}
	}
	return m, true
}

func arrayOf(raw []byte) ([]json.RawMessage, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '[' {
		return nil, false
	}
	var a []json.RawMessage
	p := skipWS(raw, 1)
	for p < len(raw) && raw[p] != ']' {
		end := scanValue(raw, p)
		a = append(a, raw[p:end:end])
		p = skipWS(raw, end)
		if p < len(raw) && raw[p] == ',' {
			p = skipWS(raw, p+1)
		}
	}
	return a, true
}

func skipWS(d []byte, p int) int {
	for p < len(d) && (d[p] == ' ' || d[p] == '\t' || d[p] == '\n' || d[p] == '\r') {
		p++
	}
	return p
}

// scanValue returns the offset just past the valid JSON value at d[p].
func scanValue(d []byte, p int) int {
	if p >= len(d) {
		return p
	}
	switch d[p] {
	case '"':
		for q := p + 1; q < len(d); q++ {
			switch d[q] {
			case '\\':
				q++
			case '"':
				return q + 1
			}
		}
		return len(d)
	case '{', '[':
		depth := 0
		for q := p; q < len(d); q++ {
			switch d[q] {
			case '"':
				q = scanValue(d, q) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return q + 1
				}
			}
		}
		return len(d)
	}
	q := p
	for q < len(d) && d[q] != ',' && d[q] != '}' && d[q] != ']' && d[q] != ' ' && d[q] != '\t' && d[q] != '\n' && d[q] != '\r' {
		q++
	}
	return q
}

func (d *decoder) document(data []byte) error {
	data = bytes.TrimPrefix(data, []byte{0xef, 0xbb, 0xbf})
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		return fmt.Errorf("misp: not valid JSON: %v", err)
	}
	data = bytes.TrimSpace(data)
	switch {
	case len(data) > 0 && data[0] == '[':
		if err := d.quirk("document", "a list of events instead of one {\"Event\":...} object"); err != nil {
			return err
		}
		return d.list("", data)
	case len(data) > 0 && data[0] == '{':
		m, _ := objectOf(data)
		if ev, ok := m.lookup("Event"); ok {
			if d.strict {
				if err := checkMembers("document", m, map[string]bool{"Event": true}); err != nil {
					return err
				}
			}
			return d.wrapped("Event 1", ev)
		}
		if resp, ok := m.lookup("response"); ok && !d.strict {
			if _, isArr := arrayOf(resp); isArr {
				return d.list("", resp)
			}
			return d.element("Event 1", resp)
		}
		if looksLikeEvent(m) {
			if err := d.quirk("document", "an event without the \"Event\" wrapper"); err != nil {
				return err
			}
			return d.event("Event 1", m)
		}
		return fmt.Errorf("misp: not a MISP event: the JSON object has no \"Event\" member")
	}
	return fmt.Errorf("misp: not a MISP event: the document is not a JSON object or list")
}

// wrapped decodes the value of an "Event" member: an object, or (seen in
// some exports) a list of them.
func (d *decoder) wrapped(where string, raw json.RawMessage) error {
	if m, ok := objectOf(raw); ok {
		return d.event(where, m)
	}
	if _, ok := arrayOf(raw); ok {
		if err := d.quirk(where, "\"Event\" holds a list"); err != nil {
			return err
		}
		return d.list("", raw)
	}
	if d.strict {
		return fmt.Errorf("misp: %s: \"Event\" is not an object", where)
	}
	return fmt.Errorf("misp: not a MISP event: \"Event\" is not an object")
}

func (d *decoder) list(prefix string, raw []byte) error {
	items, _ := arrayOf(raw)
	for i, it := range items {
		if err := d.element(fmt.Sprintf("%sEvent %d", prefix, i+1), it); err != nil {
			return err
		}
	}
	return nil
}

// element decodes one list element: {"Event":{...}} or a bare event.
func (d *decoder) element(where string, raw json.RawMessage) error {
	m, ok := objectOf(raw)
	ev, isEv := m.lookup("Event")
	if isEv {
		if em, ok := objectOf(ev); ok {
			return d.event(where, em)
		}
	} else if ok && looksLikeEvent(m) {
		return d.event(where, m)
	}
	d.rec++
	d.ev = 0
	var err error
	switch {
	case !ok:
		err = d.skipRecord(where, "list element is not a JSON object")
	case isEv:
		err = d.skipRecord(where, "\"Event\" is not an object")
	default:
		err = d.skipRecord(where, "list element is not a MISP event (no \"Event\" member)")
	}
	if err != nil || d.walk == nil {
		return err
	}
	r := Record{Issues: d.pending}
	d.pending = nil
	return d.walk(&r)
}

func looksLikeEvent(m members) bool {
	for _, k := range []string{"Attribute", "Object", "info", "threat_level_id", "orgc_id"} {
		if _, ok := m.lookup(k); ok {
			return true
		}
	}
	return false
}

// The members each element may have in strict mode: MISP 2.5's schema.
var (
	eventMembers = setOf("id", "orgc_id", "org_id", "date", "extends_uuid", "threat_level_id", "info", "published",
		"uuid", "attribute_count", "analysis", "timestamp", "first_publication", "distribution", "proposal_email_lock",
		"locked", "publish_timestamp", "sharing_group_id", "disable_correlation", "event_creator_email", "Org", "Orgc",
		"SharingGroup", "Attribute", "ShadowAttribute", "RelatedEvent", "Galaxy", "Object", "Tag")
	attributeMembers = setOf("id", "old_id", "type", "category", "to_ids", "uuid", "event_id", "event_uuid",
		"proposal_to_delete", "validationIssue", "Org", "org_id", "distribution", "timestamp", "first_seen", "last_seen",
		"comment", "sharing_group_id", "deleted", "disable_correlation", "value", "data", "object_relation", "object_id",
		"SharingGroup", "ShadowAttribute", "Sighting", "Galaxy", "Tag")
	objectMembers = setOf("uuid", "name", "event_id", "description", "template_uuid", "template_version", "id",
		"meta-category", "deleted", "timestamp", "first_seen", "last_seen", "distribution", "sharing_group_id", "comment",
		"ObjectReference", "Attribute")
	tagMembers = setOf("id", "name", "colour", "exportable", "hide_tag", "user_id")
	orgMembers = setOf("id", "name", "uuid")
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func checkMembers(where string, m members, known map[string]bool) error {
	for _, mb := range m {
		if !known[string(mb.key)] {
			return fmt.Errorf("misp: %s: member %q is not in the MISP format", where, mb.key)
		}
	}
	return nil
}

// requireMembers fails in strict mode when one of names is missing.
func (d *decoder) requireMembers(where string, m members, names ...string) error {
	if !d.strict {
		return nil
	}
	for _, n := range names {
		if _, ok := m.lookup(n); !ok {
			return fmt.Errorf("misp: %s: required member %q is missing", where, n)
		}
	}
	return nil
}

func (d *decoder) event(where string, m members) error {
	if d.strict {
		if err := checkMembers(where, m, eventMembers); err != nil {
			return err
		}
		if err := d.requireMembers(where, m, "uuid", "info", "date", "threat_level_id", "analysis", "distribution", "timestamp", "published", "Orgc"); err != nil {
			return err
		}
	}
	var e Event
	var err error
	d.nev++
	d.ev, d.inObject = d.nev, false
	rec := d.rec
	str := func(key string, dst *string) {
		if err == nil {
			*dst, err = d.str(where, key, m.get(key))
		}
	}
	d.rec = 0 // issues of the event's own members belong to no record
	str("uuid", &e.UUID)
	str("info", &e.Info)
	str("date", &e.Date)
	str("threat_level_id", &e.ThreatLevelID)
	str("analysis", &e.Analysis)
	str("distribution", &e.Distribution)
	if err != nil {
		return err
	}
	if e.Timestamp, err = d.unix(where, "timestamp", m.get("timestamp")); err != nil {
		return err
	}
	if e.Published, err = d.boolean(where, "published", m.get("published")); err != nil {
		return err
	}
	if raw, ok := m.lookup("Orgc"); ok && !isNull(raw) {
		if e.Orgc, err = d.org(where+" Orgc", raw); err != nil {
			return err
		}
	}
	if e.Tags, err = d.tags(where, m.get("Tag")); err != nil {
		return err
	}
	if raw, ok := m.lookup("EventTag"); ok && !d.strict {
		// Some API responses nest tags as [{"Tag":{...}}].
		items, _ := arrayOf(raw)
		for _, it := range items {
			if tm, ok := objectOf(it); ok {
				if tg, err := d.tags(where, tm.get("Tag")); err == nil {
					e.Tags = append(e.Tags, tg...)
				}
			}
		}
	}
	attrs, err := d.elements(where, "Attribute", m.get("Attribute"))
	if err != nil {
		return err
	}
	objs, err := d.elements(where, "Object", m.get("Object"))
	if err != nil {
		return err
	}
	d.rec = rec
	evIssues := d.pending
	d.pending = nil
	for i, raw := range attrs {
		d.rec++
		a, ok, err := d.attribute(fmt.Sprintf("%s Attribute %d", where, i+1), raw)
		if err != nil {
			return err
		}
		if d.walk != nil {
			r := Record{Event: &e, EventIndex: d.ev, Issues: d.pending, EventIssues: evIssues}
			if ok {
				r.Attribute = &a
			}
			d.pending = nil
			if err := d.walk(&r); err != nil {
				return err
			}
		} else if ok {
			e.Attributes = append(e.Attributes, a)
		}
	}
	for i, raw := range objs {
		d.rec++
		o, ok, err := d.object(fmt.Sprintf("%s Object %d", where, i+1), raw)
		if err != nil {
			return err
		}
		if d.walk != nil {
			r := Record{Event: &e, EventIndex: d.ev, Issues: d.pending, EventIssues: evIssues}
			if ok {
				r.Object = &o
			}
			d.pending = nil
			if err := d.walk(&r); err != nil {
				return err
			}
		} else if ok {
			e.Objects = append(e.Objects, o)
		}
	}
	if d.walk == nil {
		d.doc.Events = append(d.doc.Events, e)
	}
	return nil
}

// elements returns the members of a list such as "Attribute"; a single
// object where a list belongs (as the draft's own samples show) counts as
// a list of one.
func (d *decoder) elements(where, key string, raw json.RawMessage) ([]json.RawMessage, error) {
	if raw == nil || isNull(raw) {
		return nil, nil
	}
	if a, ok := arrayOf(raw); ok {
		return a, nil
	}
	if _, ok := objectOf(raw); ok {
		if err := d.quirk(where, "%q is an object, not a list", key); err != nil {
			return nil, err
		}
		return []json.RawMessage{raw}, nil
	}
	return nil, d.skip(where, "%q is neither a list nor an object; its content is skipped", key)
}

func (d *decoder) org(where string, raw json.RawMessage) (*Org, error) {
	m, ok := objectOf(raw)
	if !ok {
		return nil, d.skip(where, "not an object; the creator organisation is unknown")
	}
	if d.strict {
		if err := checkMembers(where, m, orgMembers); err != nil {
			return nil, err
		}
		if err := d.requireMembers(where, m, "uuid"); err != nil {
			return nil, err
		}
	}
	var o Org
	var err error
	if o.UUID, err = d.str(where, "uuid", m.get("uuid")); err != nil {
		return nil, err
	}
	if o.Name, err = d.str(where, "name", m.get("name")); err != nil {
		return nil, err
	}
	if o.ID, err = d.str(where, "id", m.get("id")); err != nil {
		return nil, err
	}
	return &o, nil
}

func (d *decoder) tags(where string, raw json.RawMessage) ([]Tag, error) {
	items, err := d.elements(where, "Tag", raw)
	if err != nil {
		return nil, err
	}
	var out []Tag
	for i, it := range items {
		tw := fmt.Sprintf("%s Tag %d", where, i+1)
		if s, ok := jsonString(it); ok {
			// A bare tag name: some tools write tags this way.
			if err := d.quirk(tw, "a tag written as a string"); err != nil {
				return nil, err
			}
			if s != "" {
				out = append(out, Tag{Name: s})
			}
			continue
		}
		m, ok := objectOf(it)
		if !ok {
			if err := d.skip(tw, "tag is not an object; skipped"); err != nil {
				return nil, err
			}
			continue
		}
		if d.strict {
			if err := checkMembers(tw, m, tagMembers); err != nil {
				return nil, err
			}
		}
		name, err := d.str(tw, "name", m.get("name"))
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(name) == "" {
			if err := d.skip(tw, "tag has no name; skipped"); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, Tag{Name: name})
	}
	return out, nil
}

// attribute decodes one attribute; ok is false when it was skipped.
func (d *decoder) attribute(where string, raw json.RawMessage) (Attribute, bool, error) {
	var a Attribute
	m, ok := objectOf(raw)
	if !ok {
		return a, false, d.skipRecord(where, "attribute is not a JSON object; skipped")
	}
	if d.strict {
		if err := checkMembers(where, m, attributeMembers); err != nil {
			return a, false, err
		}
		if err := d.requireMembers(where, m, "uuid", "type", "category", "value", "to_ids", "timestamp"); err != nil {
			return a, false, err
		}
	}
	var err error
	str := func(key string, dst *string) {
		if err == nil {
			*dst, err = d.str(where, key, m.get(key))
		}
	}
	str("uuid", &a.UUID)
	str("type", &a.Type)
	str("category", &a.Category)
	str("comment", &a.Comment)
	str("object_relation", &a.ObjectRelation)
	if err != nil {
		return a, false, err
	}
	if v, ok := m.lookup("value"); ok && !isNull(v) {
		if s, isStr := jsonString(v); isStr {
			a.Value = s
		} else if isNumber(v) {
			// A port or a counter written as a number.
			if err := d.quirk(where, "value is a number, not a string"); err != nil {
				return a, false, err
			}
			a.Value = string(bytes.TrimSpace(v))
		} else {
			return a, false, d.skipRecord(where, "value is not a string; skipped")
		}
	}
	if a.Type == "" {
		return a, false, d.skipRecord(where, "attribute has no type; skipped")
	}
	if a.ToIDs, err = d.boolean(where, "to_ids", m.get("to_ids")); err != nil {
		return a, false, err
	}
	if a.Deleted, err = d.boolean(where, "deleted", m.get("deleted")); err != nil {
		return a, false, err
	}
	if a.Timestamp, err = d.unix(where, "timestamp", m.get("timestamp")); err != nil {
		return a, false, err
	}
	if a.FirstSeen, err = d.time(where, "first_seen", m.get("first_seen")); err != nil {
		return a, false, err
	}
	if a.LastSeen, err = d.time(where, "last_seen", m.get("last_seen")); err != nil {
		return a, false, err
	}
	if a.Tags, err = d.tags(where, m.get("Tag")); err != nil {
		return a, false, err
	}
	if raw, ok := m.lookup("AttributeTag"); ok && !d.strict {
		items, _ := arrayOf(raw)
		for _, it := range items {
			if tm, ok := objectOf(it); ok {
				if tg, err := d.tags(where, tm.get("Tag")); err == nil {
					a.Tags = append(a.Tags, tg...)
				}
			}
		}
	}
	a.Raw = bytes.TrimSpace(raw)
	a.Record = d.rec
	return a, true, nil
}

func (d *decoder) object(where string, raw json.RawMessage) (Object, bool, error) {
	var o Object
	m, ok := objectOf(raw)
	if !ok {
		return o, false, d.skipRecord(where, "object is not a JSON object; skipped")
	}
	if d.strict {
		if err := checkMembers(where, m, objectMembers); err != nil {
			return o, false, err
		}
		if err := d.requireMembers(where, m, "uuid", "name", "meta-category", "template_uuid", "template_version"); err != nil {
			return o, false, err
		}
	}
	var err error
	str := func(key string, dst *string) {
		if err == nil {
			*dst, err = d.str(where, key, m.get(key))
		}
	}
	str("uuid", &o.UUID)
	str("name", &o.Name)
	str("meta-category", &o.MetaCategory)
	str("template_uuid", &o.TemplateUUID)
	str("template_version", &o.TemplateVersion)
	str("comment", &o.Comment)
	if err != nil {
		return o, false, err
	}
	if o.Name == "" {
		return o, false, d.skipRecord(where, "object has no name; skipped")
	}
	if o.Deleted, err = d.boolean(where, "deleted", m.get("deleted")); err != nil {
		return o, false, err
	}
	if o.Timestamp, err = d.unix(where, "timestamp", m.get("timestamp")); err != nil {
		return o, false, err
	}
	if o.FirstSeen, err = d.time(where, "first_seen", m.get("first_seen")); err != nil {
		return o, false, err
	}
	if o.LastSeen, err = d.time(where, "last_seen", m.get("last_seen")); err != nil {
		return o, false, err
	}
	attrs, err := d.elements(where, "Attribute", m.get("Attribute"))
	if err != nil {
		return o, false, err
	}
	d.inObject = true
	defer func() { d.inObject = false }()
	for i, r := range attrs {
		a, ok, err := d.attribute(fmt.Sprintf("%s Attribute %d", where, i+1), r)
		if err != nil {
			return o, false, err
		}
		if ok {
			o.Attributes = append(o.Attributes, a)
		}
	}
	o.Raw = bytes.TrimSpace(raw)
	o.Record = d.rec
	return o, true, nil
}

// str reads a member MISP writes as a string. Numbers and booleans are
// accepted as their text in lenient mode; null and absence are "".
func (d *decoder) str(where, key string, raw json.RawMessage) (string, error) {
	if raw == nil || isNull(raw) {
		return "", nil
	}
	if s, ok := jsonString(raw); ok {
		return s, nil
	}
	v := string(bytes.TrimSpace(raw))
	if isNumber(raw) || v == "true" || v == "false" {
		return v, d.quirk(where, "%s is %s, not a string", key, v)
	}
	return "", d.skip(where, "%s is not a string; ignored", key)
}

// boolean reads a JSON boolean, or in lenient mode "0"/"1", 0/1 and
// "true"/"false". Absence is false.
func (d *decoder) boolean(where, key string, raw json.RawMessage) (bool, error) {
	if raw == nil || isNull(raw) {
		return false, nil
	}
	v := string(bytes.TrimSpace(raw))
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	var b bool
	switch strings.ToLower(strings.Trim(v, `"`)) {
	case "1", "true", "yes":
		b = true
	case "0", "false", "no", "":
	default:
		return false, d.skip(where, "%s is %s, not a boolean; read as false", key, truncate(v, 32))
	}
	return b, d.quirk(where, "%s is %s, not a JSON boolean", key, v)
}

// unix reads Unix seconds written as a string (as MISP does) or a number.
func (d *decoder) unix(where, key string, raw json.RawMessage) (int64, error) {
	if raw == nil || isNull(raw) {
		return 0, nil
	}
	s, isStr := jsonString(raw)
	if !isStr {
		s = string(bytes.TrimSpace(raw))
		if err := d.quirk(where, "%s is a number, not a string", key); err != nil {
			return 0, err
		}
	}
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f < 0 || f > 1e12 {
			return 0, d.skip(where, "%s %q is not a Unix time; ignored", key, truncate(s, 32))
		}
		n = int64(f)
	}
	if n < 0 || n > 1e12 {
		return 0, d.skip(where, "%s %d is out of range; ignored", key, n)
	}
	return n, nil
}

// time reads an ISO 8601 time (first_seen, last_seen).
func (d *decoder) time(where, key string, raw json.RawMessage) (time.Time, error) {
	if raw == nil || isNull(raw) {
		return time.Time{}, nil
	}
	s, ok := jsonString(raw)
	if !ok {
		return time.Time{}, d.skip(where, "%s is not a string; ignored", key)
	}
	if s == "" {
		return time.Time{}, nil
	}
	t, err := ParseTime(s)
	if err != nil {
		return time.Time{}, d.skip(where, "%s: %v; ignored", key, err)
	}
	return t, nil
}

// timeLayouts are the ISO 8601 spellings MISP and its tools write.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	time.DateOnly,
}

// ParseTime reads an ISO 8601 date or time as MISP writes first_seen and
// last_seen; a time without a zone is UTC. The result is UTC, truncated to
// microseconds (MISP's precision).
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC().Truncate(time.Microsecond), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 time", truncate(s, 64))
}

func isNull(raw []byte) bool { return string(bytes.TrimSpace(raw)) == "null" }

func isNumber(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'))
}

func jsonString(raw []byte) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if body := raw[1 : len(raw)-1]; bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
