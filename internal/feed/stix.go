package feed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/stix"
)

// A STIX 2.1 bundle (OASIS) is one JSON object {"type":"bundle","objects":
// [...]}, as OpenCTI, MISP's STIX export and TAXII collections deliver it.
// The decoder reads what names an address:
//
//   - indicators whose pattern is one equality comparison of an IPv4 or
//     IPv6 address, a domain or a URL become incidents, classified from
//     Concord's own x_concord_class when the bundle came from a Concord
//     node, else from labels that are RSIT types, else from the
//     indicator_types vocabulary;
//   - observed-data (through its object_refs, or the embedded objects of
//     STIX 2.0) and sightings of such indicators become observations;
//   - everything else — identities, threat actors, malware, relationships,
//     marking definitions, observables read through the observed-data
//     that refers to them, indicators with other patterns — makes no
//     event.
//
// A sink that keeps objects (ObjectSink, as ingest is) receives every
// object with a STIX id as it was received, before its event if it makes
// one, so that an export can give out again what was imported, threat
// actors and relationships included. For any other sink, an object that
// makes no event is rejected with the reason it was skipped, so the
// summary accounts for every object.
//
// The "line" of a record is its position in the objects array, the first
// object being 1. The marking is the strictest TLP among the object's
// object_marking_refs (TLP 2.0 and 1.0 definitions, and TLP definitions the
// bundle itself carries) and those of the objects it was derived from.

const (
	stixFeedName = "stix"
	// stixMaxBundle bounds a bundle, which is read whole: its objects
	// refer to each other in any order.
	stixMaxBundle = 512 << 20
)

func init() {
	register(Format{
		Name:        "stix",
		Description: "STIX 2.1 bundle: indicators with address, domain or URL patterns, observed-data and sightings",
		Sniff:       sniffSTIX,
		New:         func(opts Options) (Decoder, error) { return &stixDecoder{opts: opts}, nil },
	})
}

// sniffSTIX recognizes a JSON object with "type": "bundle".
func sniffSTIX(_ string, head []byte) int {
	head = bytes.TrimPrefix(head, feodoBOM)
	p := skipWS(head, 0)
	if p >= len(head) || head[p] != '{' {
		return 0
	}
	for rest := head[p:]; ; {
		i := bytes.Index(rest, []byte(`"type"`))
		if i < 0 {
			return 0
		}
		rest = rest[i+len(`"type"`):]
		v := bytes.TrimLeft(rest, " \t\r\n")
		if len(v) > 0 && v[0] == ':' && bytes.HasPrefix(bytes.TrimLeft(v[1:], " \t\r\n"), []byte(`"bundle"`)) {
			return 95
		}
	}
}

// stixObject holds the properties of any object the decoder reads.
type stixObject struct {
	stix.RawHead
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Labels      []string `json:"labels"`

	Pattern        string   `json:"pattern"`
	PatternType    string   `json:"pattern_type"`
	ValidFrom      string   `json:"valid_from"`
	IndicatorTypes []string `json:"indicator_types"`

	Value     any      `json:"value"`
	SrcRef    string   `json:"src_ref"`
	DstRef    string   `json:"dst_ref"`
	SrcPort   *int     `json:"src_port"`
	DstPort   *int     `json:"dst_port"`
	Protocols []string `json:"protocols"`

	FirstObserved  string                     `json:"first_observed"`
	NumberObserved int64                      `json:"number_observed"`
	ObjectRefs     []string                   `json:"object_refs"`
	Objects        map[string]json.RawMessage `json:"objects"`

	SightingOfRef    string   `json:"sighting_of_ref"`
	ObservedDataRefs []string `json:"observed_data_refs"`
	FirstSeen        string   `json:"first_seen"`

	RelationshipType string `json:"relationship_type"`
	SourceRef        string `json:"source_ref"`
	TargetRef        string `json:"target_ref"`

	DefinitionType string          `json:"definition_type"`
	Definition     json.RawMessage `json:"definition"`
	Extensions     json.RawMessage `json:"extensions"`

	Class string `json:"x_concord_class"`
	Role  string `json:"x_concord_role"`
}

type stixDecoder struct {
	opts Options
	objs []stixObject
	errs []error
	ids  map[string]int
	// markings are the TLP marking definitions the bundle carries.
	markings map[string]event.TLP
	// malware names the malware an indicator indicates.
	malware map[string]string
}

func (d *stixDecoder) Decode(ctx context.Context, r io.Reader, sink Sink) error {
	data, err := io.ReadAll(io.LimitReader(r, stixMaxBundle+1))
	if err != nil {
		return fmt.Errorf("feed: stix: read: %w", err)
	}
	if len(data) > stixMaxBundle {
		return fmt.Errorf("feed: stix: the bundle is larger than %d MiB; split it", stixMaxBundle>>20)
	}
	var b struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(bytes.TrimPrefix(data, feodoBOM), &b); err != nil {
		return fmt.Errorf("feed: stix: not a JSON bundle: %v", err)
	}
	// A TAXII 2.1 envelope ({"objects": [...], "more": ...}) carries
	// objects as a bundle does, without a type: what a TAXII server
	// receives in a POST and a client pulls from a collection.
	if b.Type != "bundle" && (b.Type != "" || b.Objects == nil) {
		return fmt.Errorf("feed: stix: the JSON object is a %q, not a STIX bundle or TAXII envelope", truncate(b.Type, 40))
	}
	d.index(b.Objects)
	keeper, _ := sink.(ObjectSink)
	var e event.Event
	var compact bytes.Buffer
	for i, raw := range b.Objects {
		if err := checkCtx(ctx, int64(i)); err != nil {
			return err
		}
		line := int64(i + 1)
		if d.errs[i] != nil {
			sink.Reject(line, "invalid STIX object: "+d.errs[i].Error())
			continue
		}
		why := d.build(&e, i)
		if keeper != nil {
			o, err := d.keep(&compact, i, raw, why == "")
			switch {
			case err == nil:
				if err := keeper.Object(o); err != nil {
					return err
				}
				if why != "" {
					continue // kept, and no event
				}
			case why != "":
				why += "; not kept: " + err.Error()
			}
		}
		if why != "" {
			sink.Reject(line, why)
			continue
		}
		e.Line, e.Raw = line, raw
		if err := sink.Event(&e); err != nil {
			return err
		}
	}
	return nil
}

// keep makes object i, raw, into an Object to keep, compacted into buf.
// index decoded the object's head already.
func (d *stixDecoder) keep(buf *bytes.Buffer, i int, raw json.RawMessage, isEvent bool) (*Object, error) {
	h, err := d.objs[i].Check()
	if err != nil {
		return nil, err
	}
	buf.Reset()
	if err := json.Compact(buf, raw); err != nil {
		return nil, err
	}
	t := d.marking(i)
	if _, ok := stix.TLPOfMarking(h.ID); ok && h.Type == "marking-definition" {
		t = event.TLPClear // the TLP definitions are public
	}
	return &Object{Line: int64(i + 1), ID: h.ID, Type: h.Type, SpecVersion: h.SpecVersion, Version: h.Version,
		TLP: t, JSON: buf.Bytes(), Event: isEvent}, nil
}

// index parses every object and notes what other objects refer to: ids,
// the bundle's TLP marking definitions, the malware indicators indicate.
func (d *stixDecoder) index(raws []json.RawMessage) {
	d.objs = make([]stixObject, len(raws))
	d.errs = make([]error, len(raws))
	d.ids = make(map[string]int, len(raws))
	d.markings, d.malware = map[string]event.TLP{}, map[string]string{}
	for i, raw := range raws {
		o := &d.objs[i]
		if err := json.Unmarshal(raw, o); err != nil {
			d.errs[i] = fmt.Errorf("%s", truncate(err.Error(), 160))
			*o = stixObject{}
			continue
		}
		if o.Type == "" {
			d.errs[i] = fmt.Errorf("no type")
			continue
		}
		if o.ID != "" {
			d.ids[o.ID] = i
		}
		if o.Type == "marking-definition" {
			if t, ok := o.tlp(); ok {
				d.markings[o.ID] = t
			}
		}
	}
	for i := range d.objs {
		o := &d.objs[i]
		if o.Type != "relationship" || o.RelationshipType != "indicates" {
			continue
		}
		if j, ok := d.ids[o.TargetRef]; ok && d.objs[j].Type == "malware" && d.objs[j].Name != "" {
			d.malware[o.SourceRef] = strings.ToLower(strings.ReplaceAll(d.objs[j].Name, "\x00", ""))
		}
	}
}

// tlp reads the TLP a marking-definition object defines, if it is one.
func (o *stixObject) tlp() (event.TLP, bool) {
	if t, ok := stix.TLPOfMarking(o.ID); ok {
		return t, true
	}
	if o.DefinitionType == "tlp" {
		var def struct{ TLP string }
		if json.Unmarshal(o.Definition, &def) == nil {
			if t, err := event.ParseTLP(def.TLP); err == nil {
				return t, true
			}
		}
	}
	var ext map[string]struct {
		TLP string `json:"tlp_2_0"`
	}
	if json.Unmarshal(o.Extensions, &ext) == nil {
		if x, ok := ext[stix.TLP2Extension]; ok {
			if t, err := event.ParseTLP(x.TLP); err == nil {
				return t, true
			}
		}
	}
	return 0, false
}

// marking returns the strictest TLP among the markings of the objects
// given by index, or the default when none of them is marked with TLP.
func (d *stixDecoder) marking(idx ...int) event.TLP {
	var t event.TLP
	found := false
	for _, i := range idx {
		for _, ref := range d.objs[i].MarkingRefs {
			m, ok := stix.TLPOfMarking(ref)
			if !ok {
				m, ok = d.markings[ref]
			}
			if ok {
				t, found = t.Stricter(m), true
			}
		}
	}
	if !found {
		return d.opts.Marking()
	}
	return t
}

// build fills e from object i, or returns why the object is skipped.
func (d *stixDecoder) build(e *event.Event, i int) string {
	o := &d.objs[i]
	*e = event.Event{Feed: event.Feed{Name: d.opts.feedName(stixFeedName)}, Identifier: o.ID}
	switch o.Type {
	case "indicator":
		return d.indicator(e, i)
	case "observed-data":
		return d.observed(e, i)
	case "sighting":
		return d.sighting(e, i)
	case "marking-definition":
		return "skipped: marking definitions mark other objects and carry no address"
	case "relationship":
		return "skipped: relationship objects link other objects and carry no address"
	case stix.TypeIPv4, stix.TypeIPv6, stix.TypeDomain, stix.TypeURL, "network-traffic", "autonomous-system":
		return "skipped: " + o.Type + " objects are read through the observed-data that refers to them"
	}
	return "skipped: " + truncate(o.Type, 40) + " objects carry no address"
}

func (d *stixDecoder) indicator(e *event.Event, i int) string {
	o := &d.objs[i]
	if o.PatternType != "" && o.PatternType != "stix" {
		return "skipped: indicator pattern in " + truncate(o.PatternType, 20) + ", not STIX"
	}
	typ, value, err := stix.ParseEquality(o.Pattern)
	if err != nil {
		return "skipped: " + err.Error()
	}
	if why := setObservable(&e.Source, typ, value); why != "" {
		return why
	}
	class, why := d.classify(o)
	if why != "" {
		return why
	}
	e.SetClass(class)
	e.TimeSource = stixTime(o.ValidFrom, o.Created)
	e.Text = o.Name
	e.Malware = d.malware[o.ID]
	e.TLP = d.marking(i)
	return ""
}

// classify picks an indicator's RSIT class: Concord's own class, a label
// that is an RSIT type, or the indicator_types vocabulary.
func (d *stixDecoder) classify(o *stixObject) (event.Class, string) {
	if o.Class != "" {
		if c, err := event.ParseClass(o.Class); err == nil {
			return c, ""
		}
	}
	var relay error
	for _, l := range o.Labels {
		c, err := event.ParseClass(l)
		if err == nil {
			return c, ""
		}
		if _, ok := err.(*event.ErrRelayClass); ok {
			relay = err
		}
	}
	types := map[string]bool{}
	for _, t := range o.IndicatorTypes {
		types[strings.ToLower(t)] = true
	}
	switch {
	case types["compromised"]:
		return event.MustClass("intrusions/system-compromise"), ""
	case types["malicious-activity"], types["anomalous-activity"], types["attribution"], types["unknown"]:
		return event.MustClass("other/undetermined"), ""
	case relay != nil:
		return event.Class{}, "skipped: " + relay.Error()
	case types["anonymization"]:
		return event.Class{}, "skipped: an anonymization indicator describes a relay, not an incident: import relay lists with `concord lists import`"
	case types["benign"]:
		return event.Class{}, "skipped: a benign indicator is not an incident"
	}
	return event.MustClass("other/undetermined"), ""
}

// setObservable puts an observable's value into an endpoint.
func setObservable(ep *event.Endpoint, typ, value string) string {
	switch typ {
	case stix.TypeIPv4, stix.TypeIPv6:
		if p, err := netip.ParsePrefix(value); err == nil {
			if !p.IsSingleIP() {
				return "skipped: the pattern names the network " + truncate(value, 50) + ", not one address"
			}
			value = p.Addr().String()
		}
		ip, err := netip.ParseAddr(value)
		if err != nil || (typ == stix.TypeIPv4) != ip.Unmap().Is4() {
			return "skipped: " + truncate(value, 50) + " is not an " + typ
		}
		ep.IP = ip.Unmap()
	case stix.TypeDomain:
		if value == "" || strings.ContainsAny(value, " /") {
			return "skipped: " + truncate(value, 50) + " is not a domain name"
		}
		ep.FQDN = strings.ToLower(value)
	case stix.TypeURL:
		u, err := url.Parse(value)
		if err != nil || u.Host == "" {
			return "skipped: " + truncate(value, 50) + " is not an absolute URL"
		}
		ep.URL = value
		if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
			ep.IP = ip.Unmap()
		} else {
			ep.FQDN = strings.ToLower(u.Hostname())
		}
	default:
		return "skipped: a " + truncate(typ, 30) + " names no address"
	}
	return ""
}

// observable reads the address, domain or URL an SCO holds.
func observable(o *stixObject, ep *event.Endpoint) bool {
	v, ok := o.Value.(string)
	return ok && setObservable(ep, o.Type, v) == ""
}

func (d *stixDecoder) observed(e *event.Event, i int) string {
	o := &d.objs[i]
	inputs := []int{i}
	refs := map[string]*stixObject{}
	for _, ref := range o.ObjectRefs {
		if j, ok := d.ids[ref]; ok {
			refs[ref] = &d.objs[j]
			inputs = append(inputs, j)
		}
	}
	for k, raw := range o.Objects { // STIX 2.0: embedded, keyed "0", "1", ...
		var sco stixObject
		if json.Unmarshal(raw, &sco) == nil {
			refs[k] = &sco
		}
	}
	order := append([]string{}, o.ObjectRefs...)
	for k := range len(o.Objects) {
		order = append(order, fmt.Sprint(k))
	}
	found := false
	for _, k := range order {
		sco := refs[k]
		if sco == nil || sco.Type != "network-traffic" {
			continue
		}
		src, dst := refs[sco.SrcRef], refs[sco.DstRef]
		if src != nil && observable(src, &e.Source) {
			found = true
		}
		if dst != nil && observable(dst, &e.Destination) {
			found = true
		}
		if sco.SrcPort != nil && *sco.SrcPort >= 0 && *sco.SrcPort <= 65535 {
			e.Source.Port = uint16(*sco.SrcPort)
		}
		if sco.DstPort != nil && *sco.DstPort >= 0 && *sco.DstPort <= 65535 {
			e.Destination.Port = uint16(*sco.DstPort)
		}
		for _, p := range sco.Protocols {
			if p = strings.ToLower(p); p == "tcp" || p == "udp" || p == "icmp" {
				e.Transport = p
			}
		}
		if found {
			break
		}
	}
	if !found {
		// Without a connection, the observed-data's first address (in
		// the order object_refs lists them) is what was seen.
		for _, k := range order {
			if sco := refs[k]; sco != nil && observable(sco, &e.Source) {
				found = true
				break
			}
		}
	}
	if !found {
		return "skipped: the observed-data observes no address, domain or URL the bundle carries"
	}
	e.Kind = event.Observation
	e.TimeSource = stixTime(o.FirstObserved, o.Created)
	if o.NumberObserved > 1 {
		e.Text = fmt.Sprintf("observed %d times", o.NumberObserved)
	}
	e.TLP = d.marking(inputs...)
	return ""
}

func (d *stixDecoder) sighting(e *event.Event, i int) string {
	o := &d.objs[i]
	j, ok := d.ids[o.SightingOfRef]
	if !ok {
		return "skipped: the sighting is of " + truncate(o.SightingOfRef, 80) + ", which the bundle does not carry"
	}
	of := &d.objs[j]
	if of.Type != "indicator" {
		return "skipped: the sighting is of a " + truncate(of.Type, 40) + ", which carries no address"
	}
	typ, value, err := stix.ParseEquality(of.Pattern)
	if err != nil {
		return "skipped: the sighted indicator's " + err.Error()
	}
	if why := setObservable(&e.Source, typ, value); why != "" {
		return why
	}
	e.Kind = event.Observation
	e.TimeSource = stixTime(o.FirstSeen, o.Created)
	e.Text = "sighting of " + of.Name
	e.Malware = d.malware[of.ID]
	e.TLP = d.marking(i, j)
	return ""
}

// stixTime reads the first valid STIX timestamp of ts, or returns zero.
func stixTime(ts ...string) time.Time {
	for _, s := range ts {
		if s == "" {
			continue
		}
		if t, err := parseTime([]byte(s)); err == nil {
			return t
		}
	}
	return time.Time{}
}
