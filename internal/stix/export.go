package stix

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// Exporter writes the C&C servers and attack sources a store holds for a
// period as a STIX bundle: one indicator per address and role, related to
// its malware family, and optionally one observed-data and sighting per
// address and day.
type Exporter struct {
	// Store is read with EachFact, in key (day) order.
	Store store.Reader
	// Markings gives each day's strictest marking. Facts carry no marking
	// of their own, so an address seen on a day takes the strictest
	// marking among that day's stored events; nil marks everything
	// TLP:RED (fail closed).
	Markings store.Markings
	// Agency is this node's agency, the creator of every object.
	Agency store.Agency
	// From and To bound the period, inclusive, by UTC day.
	From, To time.Time
	// TLPMax is the most restrictive marking exported: days marked above
	// it are left out.
	TLPMax event.TLP
	// Sightings adds an observed-data and a sighting per address and day.
	Sightings bool
	// Imported, when set, adds the STIX objects ingest runs kept as they
	// were received (store.ImportedCollection): those that arrived within
	// the period and are marked at most TLPMax, every version, after the
	// node's own objects. This node's own objects, kept when a bundle it
	// exported came back, are left out: the facts make them anew.
	Imported store.TAXII
	// ImportedAll adds every kept object, whenever it arrived.
	ImportedAll bool
}

// Summary says what an export wrote.
type Summary struct {
	Bundle    string           `json:"bundle"`
	Objects   int64            `json:"objects"`
	Types     map[string]int64 `json:"types"`
	C2        int64            `json:"c2_servers"`
	Attackers int64            `json:"attack_sources"`
	Facts     int64            `json:"facts"`
	Withheld  int64            `json:"facts_withheld"`
	Strictest string           `json:"strictest_tlp"`
	// Imported counts the kept objects written again.
	Imported   int64  `json:"imported_objects"`
	From       string `json:"from"`
	To         string `json:"to"`
	TLPMax     string `json:"tlp_max"`
	WithheldBy string `json:"withheld_because,omitempty"`
}

// IdentityOf returns the identity object of an agency, marked TLP:CLEAR:
// who a national team is, is public.
func IdentityOf(a store.Agency) *Identity {
	created := a.Created
	if created.IsZero() {
		created = time.Unix(0, 0)
	}
	id := &Identity{
		Common:        common("identity", "concord:agency:"+a.ID, created, "", MarkingID(event.TLPClear)),
		Name:          a.Name,
		IdentityClass: "organization",
		Country:       a.Country,
	}
	if id.Name == "" {
		id.Name = a.ID
	}
	return id
}

// BundleID returns the deterministic id of the bundle an export with
// these parameters writes.
func (x *Exporter) BundleID() string {
	return ID("bundle", fmt.Sprintf("concord:export:%s:%s:%s:%s:%t", x.Agency.ID, day(x.From), day(x.To), x.TLPMax, x.Sightings))
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// Export writes the bundle to out.
func (x *Exporter) Export(ctx context.Context, out io.Writer) (Summary, error) {
	return x.run(ctx, func() (*Writer, error) { return NewWriter(out, x.BundleID()) })
}

// Each hands every object of the export to emit, marking definitions and
// the agency's identity first, without a bundle around them: what a TAXII
// server needs to fill a collection.
func (x *Exporter) Each(ctx context.Context, emit Emit) (Summary, error) {
	return x.run(ctx, func() (*Writer, error) { return NewObjectWriter(emit), nil })
}

func (x *Exporter) run(ctx context.Context, open func() (*Writer, error)) (Summary, error) {
	sum := Summary{Bundle: x.BundleID(), From: day(x.From), To: day(x.To), TLPMax: x.TLPMax.String()}
	from, to := store.DayOf(x.From), store.DayOf(x.To)
	if to < from {
		return sum, fmt.Errorf("stix: the period ends (%s) before it starts (%s)", sum.To, sum.From)
	}
	days, err := x.dayMarkings(ctx, from, to)
	if err != nil {
		return sum, err
	}
	w, err := open()
	if err != nil {
		return sum, err
	}
	if _, err := w.Mark(event.TLPClear); err != nil {
		return sum, err
	}
	ident := IdentityOf(x.Agency)
	if err := w.Write("identity", ident); err != nil {
		return sum, err
	}
	st := exportState{x: x, w: w, ident: ident.ID, from: from, days: days, sum: &sum,
		seen: map[[16]byte]uint8{}, malware: map[string]string{}, asns: map[uint32]bool{}, stamps: make([]string, len(days))}
	err = x.Store.EachFact(ctx, from, to, func(f *store.Fact) error {
		if f.Role != event.RoleC2 && f.Role != event.RoleAttacker {
			return nil
		}
		return st.fact(f)
	})
	if err != nil {
		return sum, fmt.Errorf("stix: export: %w", err)
	}
	if x.Imported != nil {
		if err := st.imported(ctx); err != nil {
			return sum, fmt.Errorf("stix: export imported objects: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return sum, err
	}
	sum.Objects, sum.Types, sum.Strictest = w.Objects(), w.Counts(), w.Strictest.String()
	if sum.Withheld > 0 {
		sum.WithheldBy = "marked above " + x.TLPMax.String()
	}
	return sum, nil
}

// dayMarking is a day's marking and the strictest marking of the exported
// days from it to the period's end.
type dayMarking struct {
	tlp, rest event.TLP
	none      bool // no events stored that day
}

// dayMarkings reads each day's marking before the scan (the store may not
// answer a second query while a scan is open) and folds from the end, so
// that an object first written on a day carries the strictest marking of
// every exported day it may stand for.
func (x *Exporter) dayMarkings(ctx context.Context, from, to int32) ([]dayMarking, error) {
	days := make([]dayMarking, to-from+1)
	for i := range days {
		if x.Markings == nil {
			days[i].tlp = event.TLPRed
			continue
		}
		t, found, err := x.Markings.StrictestTLP(ctx, from+int32(i), from+int32(i))
		if err != nil {
			return nil, fmt.Errorf("stix: markings: %w", err)
		}
		days[i] = dayMarking{tlp: t, none: !found}
	}
	rest := event.TLPClear
	for i := len(days) - 1; i >= 0; i-- {
		if !days[i].none && days[i].tlp <= x.TLPMax {
			rest = rest.Stricter(days[i].tlp)
		}
		days[i].rest = rest
	}
	return days, nil
}

// exportState is one export's progress.
type exportState struct {
	x     *Exporter
	w     *Writer
	ident string
	from  int32
	days  []dayMarking
	sum   *Summary
	// seen holds, per address (in its 16-byte form, which takes a third
	// less memory per entry than netip.Addr), which of its objects were
	// written.
	seen    map[[16]byte]uint8
	malware map[string]string // name → marking id written with
	asns    map[uint32]bool
	stamps  []string // each day's timestamp, formatted once
	// ind and rel are reused for every indicator: a bulk export writes
	// millions.
	ind Indicator
	rel Relationship
}

// stamp returns the STIX timestamp of the start of day.
func (s *exportState) stamp(day int32) string {
	i := day - s.from
	if s.stamps[i] == "" {
		s.stamps[i] = Timestamp(store.DayTime(day))
	}
	return s.stamps[i]
}

// Read-only lists shared by the indicators that carry them.
var (
	malicious      = []string{"malicious-activity"}
	maliciousRelay = []string{"malicious-activity", "anonymization"}
	labelC2        = []string{event.RoleC2.String()}
	labelAttacker  = []string{event.RoleAttacker.String()}
)

const (
	seenC2 uint8 = 1 << iota
	seenAttacker
	seenAddress
)

func (s *exportState) fact(f *store.Fact) error {
	d := s.days[f.Day-s.from]
	if d.tlp > s.x.TLPMax {
		s.sum.Withheld++
		return nil
	}
	s.sum.Facts++
	bit := seenC2
	if f.Role == event.RoleAttacker {
		bit = seenAttacker
	}
	ip := f.IP.Unmap()
	key := ip.As16()
	ind := IndicatorID(s.x.Agency.ID, f.Role, ip)
	if s.seen[key]&bit == 0 {
		s.seen[key] |= bit
		if err := s.indicator(f, ip, ind, d.rest); err != nil {
			return err
		}
	}
	if s.x.Sightings {
		return s.sighting(f, ip, ind, d)
	}
	return nil
}

// IndicatorID returns the id of the indicator the node of agency exports
// for ip in role r. The agency is part of the name: two nodes that see the
// same address each create their own indicator, and a STIX id names one
// creator's object. The names of the objects a bulk export makes per
// address are kept short: with the UUIDv5 namespace they fit one or two
// SHA-1 blocks, and hashing is a third of an export's time.
func IndicatorID(agency string, r event.Role, ip netip.Addr) string {
	return ID("indicator", "ind:"+agency+":"+r.String()+":"+ip.String())
}

func (s *exportState) indicator(f *store.Fact, ip netip.Addr, id string, t event.TLP) error {
	mark, err := s.w.Mark(t)
	if err != nil {
		return err
	}
	ts := s.stamp(f.Day)
	ind := &s.ind
	*ind = Indicator{
		Common: Common{Type: "indicator", SpecVersion: SpecVersion, ID: id, CreatedByRef: s.ident,
			Created: ts, Modified: ts, ObjectMarkingRefs: []string{mark}},
		Pattern: AddressPattern(ip), PatternType: "stix", ValidFrom: ts,
		IndicatorTypes: malicious, Role: f.Role.String(), Class: f.Class,
	}
	addr := ip.String()
	if f.Role == event.RoleC2 {
		s.sum.C2++
		ind.Labels = labelC2
		ind.Name = "C&C server " + addr
		if f.Malware != "" {
			ind.Description = "Command-and-control server of " + f.Malware + ", first seen on " + ts[:10] + "."
		} else {
			ind.Description = "Command-and-control server, first seen on " + ts[:10] + "."
		}
	} else {
		s.sum.Attackers++
		ind.Labels = labelAttacker
		ind.Name = "Attack source " + addr
		ind.Description = "Source of " + f.Class + ", first seen on " + ts[:10] + "."
	}
	if f.Flags != 0 {
		// Relay, hosting and sinkhole flags say why the address may not
		// be the adversary's own: a partner must see them to act fairly.
		ind.Flags = f.Flags.Names()
		ind.Labels = append([]string{f.Role.String()}, ind.Flags...)
		ind.Description += " When first seen it was flagged " + f.Flags.String() + ": whoever used it may have done so without its owner's knowledge."
		if f.Flags&(event.FlagTor|event.FlagProxy|event.FlagVPN) != 0 {
			ind.IndicatorTypes = maliciousRelay
		}
	}
	if err := s.w.Write("indicator", ind); err != nil {
		return err
	}
	if f.Malware == "" {
		return nil
	}
	mal, ok := s.malware[f.Malware]
	malName := "concord:malware:" + s.x.Agency.ID + ":" + f.Malware
	malID := ID("malware", malName)
	if !ok {
		s.malware[f.Malware] = mark
		mal = mark
		m := &Malware{Common: common("malware", malName, store.DayTime(f.Day), s.ident, mark),
			Name: f.Malware, IsFamily: true}
		if err := s.w.Write("malware", m); err != nil {
			return err
		}
	}
	relMark := mark
	if mt, _ := TLPOfMarking(mal); mt > t {
		relMark = mal
	}
	s.rel = Relationship{
		Common: Common{Type: "relationship", SpecVersion: SpecVersion, ID: ID("relationship", "ind-mal:"+id[len("indicator--"):]+":"+f.Malware),
			CreatedByRef: s.ident, Created: ts, Modified: ts, ObjectMarkingRefs: []string{relMark}},
		RelationshipType: "indicates", SourceRef: id, TargetRef: malID,
	}
	return s.w.Write("relationship", &s.rel)
}

func (s *exportState) sighting(f *store.Fact, ip netip.Addr, ind string, d dayMarking) error {
	addrID := SCOID(AddressType(ip), map[string]any{"value": ip.String()})
	refs := []string{addrID}
	if key := ip.As16(); s.seen[key]&seenAddress == 0 {
		s.seen[key] |= seenAddress
		mark, err := s.w.Mark(d.rest)
		if err != nil {
			return err
		}
		a := &Address{SCO: SCO{Type: AddressType(ip), SpecVersion: SpecVersion, ID: addrID, ObjectMarkingRefs: []string{mark}}, Value: ip.String()}
		if err := s.w.Write(a.Type, a); err != nil {
			return err
		}
	}
	if f.ASN != 0 {
		asID := SCOID("autonomous-system", map[string]any{"number": f.ASN})
		refs = append(refs, asID)
		if !s.asns[f.ASN] {
			s.asns[f.ASN] = true
			// An AS number and its name are public registry data.
			mark, err := s.w.Mark(event.TLPClear)
			if err != nil {
				return err
			}
			as := &AutonomousSystem{SCO: SCO{Type: "autonomous-system", SpecVersion: SpecVersion, ID: asID, ObjectMarkingRefs: []string{mark}}, Number: f.ASN, Name: f.ASName}
			if err := s.w.Write("autonomous-system", as); err != nil {
				return err
			}
		}
	}
	mark, err := s.w.Mark(d.tlp)
	if err != nil {
		return err
	}
	key := strings.Join([]string{s.x.Agency.ID, f.Role.String(), ip.String(), strconv.Itoa(int(f.Day)), f.Class, f.Malware, f.Peer.String(), f.Feed}, "|")
	start := store.DayTime(f.Day)
	first, last := Timestamp(start), Timestamp(start.Add(24*time.Hour-time.Millisecond))
	n := max(f.Events, 1)
	od := &ObservedData{
		Common:        common("observed-data", "concord:observed:"+key, start, s.ident, mark),
		FirstObserved: first, LastObserved: last, NumberObserved: n, ObjectRefs: refs,
	}
	if f.Flags != 0 {
		od.Flags = f.Flags.Names()
	}
	if err := s.w.Write("observed-data", od); err != nil {
		return err
	}
	si := &Sighting{
		Common:    common("sighting", "concord:sighting:"+key, start, s.ident, mark),
		FirstSeen: first, LastSeen: last, Count: n, SightingOfRef: ind,
		ObservedDataRefs: []string{od.ID}, WhereSightedRefs: []string{s.ident},
	}
	if f.Feed != "" {
		si.Labels = []string{"feed:" + f.Feed}
	}
	return s.w.Write("sighting", si)
}

// imported writes the kept objects of the period, page by page in the
// order they arrived. An object that names no TLP marking gets the one
// the node gave it when it was kept, so that its restriction travels with
// it: the one change made to an object as received. The TLP 2.0
// definitions are written once, by the writer.
func (s *exportState) imported(ctx context.Context) error {
	var tlps []event.TLP
	for t := event.TLPClear; t <= s.x.TLPMax && t <= event.TLPRed; t++ {
		tlps = append(tlps, t)
	}
	end := store.DayTime(store.DayOf(s.x.To) + 1)
	q := store.TAXIIQuery{Collection: store.ImportedCollection, TLPs: tlps,
		AddedAfter: store.DayTime(store.DayOf(s.x.From)).Add(-time.Microsecond), Limit: 1000}
	if s.x.ImportedAll {
		end, q.AddedAfter = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}
	}
	for {
		page, err := s.x.Imported.TAXIIObjects(ctx, q)
		if err != nil {
			return err
		}
		for i := range page.Objects {
			o := &page.Objects[i]
			if !o.Added.Before(end) {
				return nil
			}
			if err := s.importedObject(o); err != nil {
				return err
			}
		}
		if !page.More {
			return nil
		}
		q.After = page.Next
	}
}

func (s *exportState) importedObject(o *store.TAXIIObject) error {
	h, err := ReadHead(o.JSON)
	if err != nil {
		return fmt.Errorf("kept object %s: %w", o.ID, err)
	}
	if h.ID == s.ident || h.CreatedBy == s.ident {
		return nil
	}
	if t, ok := TLPOfMarking(h.ID); ok && h.Type == "marking-definition" && h.ID == MarkingID(t) {
		_, err := s.w.Mark(t) // the writer's copy of the definition
		return err
	}
	raw := o.JSON
	t, marked := h.MarkedTLP()
	if !marked {
		t = o.TLP
		if h.Type != "marking-definition" {
			if raw, err = addMarking(raw, MarkingID(t)); err != nil {
				return fmt.Errorf("kept object %s: %w", o.ID, err)
			}
		}
	}
	for _, ref := range h.MarkingRefs {
		if m, ok := TLPOfMarking(ref); ok && ref == MarkingID(m) {
			if _, err := s.w.Mark(m); err != nil {
				return err
			}
		}
	}
	if !marked && h.Type != "marking-definition" {
		if _, err := s.w.Mark(t); err != nil {
			return err
		}
	}
	s.w.Strictest = s.w.Strictest.Stricter(t)
	s.sum.Imported++
	return s.w.WriteRaw(h.Type, raw)
}

// addMarking adds the marking definition ref to the object_marking_refs
// of raw, a JSON object.
func addMarking(raw []byte, ref string) ([]byte, error) {
	var o struct {
		Refs []string `json:"object_marking_refs"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, err
	}
	refs, err := json.Marshal(append(o.Refs, ref))
	if err != nil {
		return nil, err
	}
	return SetProperty(raw, "object_marking_refs", refs)
}

// SetProperty returns raw, a JSON object, with its property key set to
// value (JSON). The object's other properties keep their values; their
// order becomes alphabetical.
func SetProperty(raw []byte, key string, value json.RawMessage) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	obj[key] = value
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte{'\n'}), nil
}
