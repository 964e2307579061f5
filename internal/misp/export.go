package misp

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// Facts is what Export reads: the stored distinct-address facts and the
// markings of the days they belong to.
type Facts interface {
	// EachFactOfRole is store.Reader's.
	EachFactOfRole(ctx context.Context, from, to int32, role event.Role, fn func(*store.Fact) error) error
	store.Markings
}

// Exporter writes the facts of a period as one MISP event for partners who
// run MISP. Facts carry no marking of their own; each inherits the
// strictest marking among the events stored for its day (the rule for
// derived data), and days marked above TLPMax are withheld whole.
type Exporter struct {
	Facts  Facts
	Agency store.Agency // this node's agency: the event's creator
	// From and To bound the period, whole days, inclusive.
	From, To time.Time
	TLPMax   event.TLP
	// Roles are the roles exported, in this order; nil means C&C servers
	// and attack sources, the indicators partners act on.
	Roles []event.Role
	// Generated is the event's timestamp; zero means now. Fix it to make
	// the output byte-identical across runs.
	Generated time.Time
}

// Summary is what an export wrote, for the command line's --json.
type Summary struct {
	Event      string           `json:"event_uuid"`
	Attributes int64            `json:"attributes"`
	Roles      map[string]int64 `json:"roles"`
	Facts      int64            `json:"facts"`
	Withheld   int64            `json:"facts_withheld"`
	WithheldBy string           `json:"withheld_because,omitempty"`
	Strictest  string           `json:"strictest_tlp,omitempty"`
	TLPMax     string           `json:"tlp_max"`
	From       string           `json:"from"`
	To         string           `json:"to"`
}

// DefaultRoles are the roles exported when Exporter.Roles is nil.
var DefaultRoles = []event.Role{event.RoleC2, event.RoleAttacker}

func (x *Exporter) roles() []event.Role {
	if x.Roles == nil {
		return DefaultRoles
	}
	return x.Roles
}

// EventUUID returns the exported event's UUID: the same node, period,
// ceiling and roles always give the same event, so a partner's MISP
// updates it on a re-export instead of adding a copy.
func (x *Exporter) EventUUID() string {
	return UUID5(Namespace, "concord/event/"+x.Agency.ID+"/"+x.From.Format(time.DateOnly)+"/"+
		x.To.Format(time.DateOnly)+"/"+x.TLPMax.String()+"/"+x.roleNames())
}

func (x *Exporter) roleNames() string {
	var names []string
	for _, r := range x.roles() {
		names = append(names, r.String())
	}
	return strings.Join(names, ",")
}

// OrgUUID returns the UUID an agency goes by in MISP.
func OrgUUID(a store.Agency) string { return UUID5(Namespace, "concord/agency/"+a.ID) }

// Export streams the event to out: attributes are encoded as the facts are
// read, so memory stays flat however many there are.
func (x *Exporter) Export(ctx context.Context, out io.Writer) (Summary, error) {
	from, to := store.DayOf(x.From), store.DayOf(x.To)
	sum := Summary{
		Event: x.EventUUID(), Roles: map[string]int64{}, TLPMax: x.TLPMax.String(),
		From: x.From.Format(time.DateOnly), To: x.To.Format(time.DateOnly),
	}
	marks, err := x.dayMarkings(ctx, from, to)
	if err != nil {
		return sum, err
	}
	gen := x.Generated
	if gen.IsZero() {
		gen = time.Now()
	}
	name := x.Agency.Name
	if name == "" {
		name = x.Agency.ID
	}
	w := NewWriter(out, Header{
		UUID: sum.Event,
		Info: fmt.Sprintf("Concord %s (%s): %s, %s to %s", name, x.Agency.ID, strings.ReplaceAll(x.roleNames(), ",", ", "),
			sum.From, sum.To),
		Date:      x.From,
		Timestamp: gen,
		Orgc:      Org{UUID: OrgUUID(x.Agency), Name: name},
	})
	s := exportScan{x: x, w: w, sum: &sum, marks: marks, from: from}
	for _, role := range x.roles() {
		s.role = role
		err := x.Facts.EachFactOfRole(ctx, from, to, role, s.fact)
		if err == nil {
			err = s.flush()
		}
		if err != nil {
			return sum, fmt.Errorf("misp: export %s facts: %w", role, err)
		}
	}
	// The event's own marking is given only when every attribute shares
	// it; otherwise each attribute's tag governs (an event tag stricter
	// than its attributes would re-mark them on import).
	var tags []Tag
	if !s.mixed && sum.Attributes > 0 {
		tags = append(tags, Tag{Name: TLPTag(s.strictest)})
	}
	if err := w.Close(tags); err != nil {
		return sum, err
	}
	if sum.Attributes > 0 {
		sum.Strictest = s.strictest.String()
	}
	if sum.Withheld > 0 {
		sum.WithheldBy = "marked above " + x.TLPMax.String()
	}
	return sum, nil
}

// dayMarkings returns the marking of each day of the period, read before
// the facts so no query runs while a scan holds the database.
func (x *Exporter) dayMarkings(ctx context.Context, from, to int32) ([]event.TLP, error) {
	if to < from {
		return nil, nil
	}
	marks := make([]event.TLP, to-from+1)
	for i := range marks {
		t, found, err := x.Facts.StrictestTLP(ctx, from+int32(i), from+int32(i))
		if err != nil {
			return nil, fmt.Errorf("misp: markings: %w", err)
		}
		if !found {
			t = event.TLPClear // no events that day, so no facts either
		}
		marks[i] = t
	}
	return marks, nil
}

// exportScan folds the facts of one address, role, class and day (which
// EachFactOfRole gives one after the other, differing by malware, peer or
// feed) into one attribute.
type exportScan struct {
	x     *Exporter
	w     *Writer
	sum   *Summary
	marks []event.TLP
	from  int32
	role  event.Role

	pending   bool
	day       int32
	ip        netip.Addr
	class     string
	flags     event.Flags
	malware   []string
	events    int64
	strictest event.TLP
	first     bool // a marking was seen
	mixed     bool // attributes carry different markings
	attr      Attribute
	tags      []Tag
	cb        []byte
}

func (s *exportScan) fact(f *store.Fact) error {
	if f.Day < s.from || int(f.Day-s.from) >= len(s.marks) {
		return nil
	}
	if s.marks[f.Day-s.from] > s.x.TLPMax {
		s.sum.Withheld++
		return nil
	}
	s.sum.Facts++
	if s.pending && f.Day == s.day && f.IP == s.ip && f.Class == s.class {
		s.flags |= f.Flags
		s.events += f.Events
		s.addMalware(f.Malware)
		return nil
	}
	if err := s.flush(); err != nil {
		return err
	}
	s.pending, s.day, s.ip, s.class, s.flags, s.events = true, f.Day, f.IP, f.Class, f.Flags, f.Events
	s.malware = s.malware[:0]
	s.addMalware(f.Malware)
	return nil
}

func (s *exportScan) addMalware(m string) {
	if m == "" {
		return
	}
	for _, x := range s.malware {
		if x == m {
			return
		}
	}
	s.malware = append(s.malware, m)
}

// flush writes the pending attribute.
func (s *exportScan) flush() error {
	if !s.pending {
		return nil
	}
	s.pending = false
	tlp := s.marks[s.day-s.from]
	if !s.first {
		s.strictest, s.first = tlp, true
	} else if tlp != s.strictest {
		s.mixed = true
		s.strictest = s.strictest.Stricter(tlp)
	}
	class := s.exportClass()
	ip := s.ip.String()
	date := store.DayTime(s.day).Format(time.DateOnly)

	a := &s.attr
	*a = Attribute{
		UUID:      UUID5(Namespace, "concord/attribute/"+s.x.Agency.ID+"/"+date+"/"+s.role.String()+"/"+ip+"/"+class.String()),
		Type:      "ip-src",
		Category:  "Network activity",
		Value:     ip,
		ToIDs:     s.role == event.RoleC2 || s.role == event.RoleAttacker,
		Timestamp: store.DayTime(s.day).Unix(),
	}
	if s.role == event.RoleC2 || s.role == event.RoleMalicious {
		a.Type = "ip-dst"
	}
	tags := append(s.tags[:0], Tag{Name: TLPTag(tlp)})
	if !class.IsZero() {
		tags = append(tags, Tag{Name: ClassTag(class)})
	}
	tags = append(tags, Tag{Name: `concord:role="` + s.role.String() + `"`})
	for _, m := range s.malware {
		tags = append(tags, Tag{Name: `concord:malware="` + m + `"`})
	}
	flags := s.flags.Names()
	for _, f := range flags {
		tags = append(tags, Tag{Name: `concord:relay="` + f + `"`})
	}
	a.Tags, s.tags = tags, tags

	// The comment says it in words for analysts who read the event.
	cb := append(s.cb[:0], s.role.String()...)
	cb = append(cb, " on "...)
	cb = append(cb, date...)
	if len(s.malware) > 0 {
		cb = append(cb, "; malware "...)
		cb = append(cb, strings.Join(s.malware, ", ")...)
	}
	if len(flags) > 0 {
		cb = append(cb, "; relay: "...)
		cb = append(cb, strings.Join(flags, ", ")...)
		cb = append(cb, " (may not be the origin)"...)
	}
	cb = append(cb, "; "...)
	cb = strconv.AppendInt(cb, s.events, 10)
	cb = append(cb, " event(s)"...)
	s.cb = cb
	a.Comment = string(cb)

	if err := s.w.WriteAttribute(a); err != nil {
		return err
	}
	s.sum.Attributes++
	s.sum.Roles[s.role.String()]++
	return nil
}

// exportClass is the RSIT class of the pending attribute: facts of C&C
// servers and infected hosts carry theirs implicitly.
func (s *exportScan) exportClass() event.Class {
	switch s.role {
	case event.RoleC2:
		return event.ClassC2
	case event.RoleInfected:
		return event.ClassInfected
	}
	c, err := event.ParseClass(s.class)
	if err != nil {
		return event.Class{}
	}
	return c
}
