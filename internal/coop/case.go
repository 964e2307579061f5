package coop

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/store"
)

// NewCase is a case to open.
type NewCase struct {
	Title string
	TLP   event.TLP
	PAP   casework.PAP
	// Report is the reference of the victim report the case starts from;
	// "" for none.
	Report string
}

// OpenCase opens a case. A case opened from a victim report is no less
// strict than the report, links it, and tells the victim a case is open.
func (n *Node) OpenCase(ctx context.Context, nc NewCase) (store.Case, error) {
	if strings.TrimSpace(nc.Title) == "" {
		return store.Case{}, problem("title", "give the case a title")
	}
	at := n.now()
	c := store.Case{Title: nc.Title, TLP: nc.TLP, PAP: nc.PAP.String(), Status: "open", Opened: at}
	var rep store.VictimReport
	if nc.Report != "" {
		ref, err := casework.ParseReference(nc.Report)
		if err != nil {
			return store.Case{}, problem("report", "%v", err)
		}
		if rep, err = n.victimReport(ctx, ref); err != nil {
			return store.Case{}, err
		}
		// The case is derived from the report: it may be no less strict.
		c.TLP = c.TLP.Stricter(rep.TLP)
	}
	if err := n.readable(c.TLP); err != nil {
		return store.Case{}, err
	}
	err := n.Change(ctx, func(tx store.CaseTx) error {
		var err error
		if c.ID, err = tx.OpenCase(c); err != nil {
			return err
		}
		if rep.Reference == "" {
			return nil
		}
		if err := tx.AddCaseItem(store.CaseItem{CaseID: c.ID, Kind: "report", Ref: rep.Reference, Added: at, TLP: rep.TLP}); err != nil {
			return err
		}
		return tx.SetVictimReportStatus(rep.Reference, string(casework.VictimCaseOpened), at)
	})
	return c, err
}

// victimReport returns a victim report the acting user may receive.
func (n *Node) victimReport(ctx context.Context, ref string) (store.VictimReport, error) {
	rep, err := n.St.VictimReport(ctx, ref)
	if err == nil && !n.may(rep.TLP) {
		return store.VictimReport{}, fmt.Errorf("victim report %s: %w", ref, store.ErrNotFound)
	}
	return rep, err
}

// event returns the stored event with key k (32 hex digits) if the acting
// user may receive it.
func (n *Node) event(ctx context.Context, k string) (event.Event, error) {
	raw, err := hex.DecodeString(k)
	if err != nil || len(raw) != store.KeySize {
		return event.Event{}, problemWith("event", "%q is not an event key (32 hex digits)", k)
	}
	ev, err := n.St.EventByKey(ctx, store.Key(raw))
	if err == nil && !n.may(ev.TLP) {
		err = store.ErrNotFound
	}
	if err != nil {
		return event.Event{}, fmt.Errorf("event %s: %w", k, err)
	}
	return ev, nil
}

// File is a file handed to the node: its name and how to read it.
type File struct {
	Name string
	Read func() ([]byte, error)
}

// Links are what to link to a case.
type Links struct {
	// Events are stored event keys (32 hex digits).
	Events []string
	// Reports are victim report references.
	Reports []string
	// Notes and Tasks are texts; they take the case's marking.
	Notes, Tasks []string
	// Assessments are files written by `concord assess --json`, kept in
	// the vault as evidence of the case under their own marking.
	Assessments []File
}

// MaxAssessment bounds an assessment file linked to a case.
const MaxAssessment = 16 << 20

// Link links stored events, victim reports, notes, tasks and assessments
// to a case, all in one transaction, and returns how many items it
// linked.
func (n *Node) Link(ctx context.Context, caseID int64, l Links) (int, error) {
	cs, err := n.Case(ctx, caseID)
	if err != nil {
		return 0, err
	}
	at := n.now()
	var items []store.CaseItem
	var reportRefs []string
	for _, k := range l.Events {
		ev, err := n.event(ctx, k)
		if err != nil {
			return 0, err
		}
		items = append(items, store.CaseItem{CaseID: cs.ID, Kind: "event", Ref: strings.ToLower(k), Added: at, TLP: ev.TLP, Note: ev.Class.String()})
	}
	for _, r := range l.Reports {
		ref, err := casework.ParseReference(r)
		if err != nil {
			return 0, problem("report", "%v", err)
		}
		rep, err := n.victimReport(ctx, ref)
		if err != nil {
			return 0, err
		}
		items = append(items, store.CaseItem{CaseID: cs.ID, Kind: "report", Ref: ref, Added: at, TLP: rep.TLP})
		reportRefs = append(reportRefs, ref)
	}
	for i, text := range l.Notes {
		items = append(items, store.CaseItem{CaseID: cs.ID, Kind: "note", Ref: fmt.Sprintf("%d-%d", at.UnixMicro(), i), Added: at, TLP: cs.TLP, Note: text})
	}
	for i, text := range l.Tasks {
		items = append(items, store.CaseItem{CaseID: cs.ID, Kind: "task", Ref: fmt.Sprintf("%d-%d", at.UnixMicro(), i), Added: at, TLP: cs.TLP, Note: text})
	}
	var evidence []store.EvidenceRecord
	if len(l.Assessments) > 0 {
		v, err := n.Vault()
		if err != nil {
			return 0, err
		}
		for _, f := range l.Assessments {
			data, err := f.Read()
			if err != nil {
				return 0, err
			}
			var a struct {
				Title string `json:"title"`
				TLP   string `json:"tlp"`
			}
			if err := json.Unmarshal(data, &a); err != nil || a.TLP == "" {
				return 0, problem("", "%s is not the JSON of concord assess --json", f.Name)
			}
			tlp, err := event.ParseTLP(a.TLP)
			if err != nil {
				return 0, problem("", "%s: %v", f.Name, err)
			}
			obj, err := v.Put(bytes.NewReader(data))
			if err != nil {
				return 0, err
			}
			evidence = append(evidence, store.EvidenceRecord{CaseID: cs.ID, SHA256: obj.SHA256, Size: obj.Size, Name: filepath.Base(f.Name),
				Description: "assessment: " + a.Title, TLP: tlp, Acquired: at, AcquiredBy: n.Actor})
		}
	}
	err = n.Change(ctx, func(tx store.CaseTx) error {
		for _, it := range items {
			if err := tx.AddCaseItem(it); err != nil {
				return err
			}
		}
		for _, ref := range reportRefs {
			if err := tx.SetVictimReportStatus(ref, string(casework.VictimCaseOpened), at); err != nil {
				return err
			}
		}
		for _, rec := range evidence {
			rec, _, err := tx.AddEvidence(rec, "assessment of the case")
			if err != nil {
				return err
			}
			if err := tx.AddCaseItem(store.CaseItem{CaseID: cs.ID, Kind: "assessment", Ref: strconv.FormatInt(rec.ID, 10), Added: at, TLP: rec.TLP, Note: rec.Description}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(items) + len(evidence), nil
}

// RouteView is one country a case's addresses lead to, and who can act
// there.
type RouteView struct {
	Country   string       `json:"country"`
	Addresses []string     `json:"addresses"`
	Providers []string     `json:"providers"`
	Partners  []AgencyView `json:"partners"`
	Advice    string       `json:"advice"`
}

// Routes suggests, from the addresses in a case's events and victim
// reports, the partner agency that can act in each country, placing the
// addresses with geo.
func (n *Node) Routes(ctx context.Context, caseID int64, geo *ipdb.DB) ([]RouteView, error) {
	items, err := n.St.CaseItems(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if _, err := n.Case(ctx, caseID); err != nil {
		return nil, err
	}
	type where struct {
		cc, provider string
	}
	seen := map[netip.Addr]where{}
	add := func(ip netip.Addr) {
		if !ip.IsValid() {
			return
		}
		r := geo.Lookup(ip)
		if r.CC == "" {
			return
		}
		p := ""
		if r.ASN != 0 {
			p = strings.TrimSpace(fmt.Sprintf("AS%d %s", r.ASN, r.ASName))
		}
		seen[ip] = where{r.CC, p}
	}
	for _, it := range items {
		if !n.may(it.TLP) {
			continue
		}
		switch it.Kind {
		case "event":
			if ev, err := n.event(ctx, it.Ref); err == nil {
				for _, ep := range []event.Endpoint{ev.Source, ev.Destination} {
					if ep.Role != event.RoleTarget && ep.Role != event.RoleNone {
						add(ep.IP)
					}
				}
			}
		case "report":
			rep, err := n.victimReport(ctx, it.Ref)
			if err != nil {
				continue
			}
			var vr casework.VictimReport
			if json.Unmarshal(rep.Body, &vr) == nil {
				for _, x := range vr.Subject.IPs {
					if ip, err := netip.ParseAddr(x.IP); err == nil {
						add(ip.Unmap())
					}
				}
			}
		}
	}
	agencies, err := n.St.Agencies(ctx)
	if err != nil {
		return nil, err
	}
	byCC := map[string]*RouteView{}
	for ip, w := range seen {
		rv := byCC[w.cc]
		if rv == nil {
			rv = &RouteView{Country: w.cc, Addresses: []string{}, Providers: []string{}, Partners: []AgencyView{}}
			byCC[w.cc] = rv
		}
		rv.Addresses = append(rv.Addresses, ip.String())
		if w.provider != "" && !slices.Contains(rv.Providers, w.provider) {
			rv.Providers = append(rv.Providers, w.provider)
		}
	}
	routes := []RouteView{}
	for _, cc := range slices.Sorted(maps.Keys(byCC)) {
		rv := byCC[cc]
		sort.Strings(rv.Addresses)
		sort.Strings(rv.Providers)
		for _, a := range agencies {
			if a.Country == cc && !a.Self {
				rv.Partners = append(rv.Partners, ViewAgency(a))
			}
		}
		if len(rv.Partners) == 0 {
			rv.Advice = fmt.Sprintf("no partner is registered for %s: add its 24/7 point of contact (Budapest Convention art. 35) with concord agency add", cc)
		} else {
			rv.Advice = fmt.Sprintf("ask %s to have %s preserve what they hold (concord request create --type preservation --to %s)", rv.Partners[0].ID, strings.Join(rv.Providers, ", "), rv.Partners[0].ID)
		}
		routes = append(routes, *rv)
	}
	return routes, nil
}

// ShowCase returns a case with the items, evidence and requests linked to
// it that the acting user may receive.
func (n *Node) ShowCase(ctx context.Context, id int64) (CaseView, error) {
	cs, err := n.Case(ctx, id)
	if err != nil {
		return CaseView{}, err
	}
	v := ViewCase(cs)
	items, err := n.St.CaseItems(ctx, cs.ID)
	if err != nil {
		return CaseView{}, err
	}
	for _, it := range items {
		if !n.may(it.TLP) {
			continue
		}
		v.Items = append(v.Items, ViewCaseItem(it))
		switch it.Kind {
		case "evidence":
			eid, _ := strconv.ParseInt(it.Ref, 10, 64)
			if ev, err := n.St.Evidence(ctx, eid); err == nil && n.may(ev.TLP) {
				v.Evidence = append(v.Evidence, ViewEvidence(ev))
			}
		case "request":
			rid, _ := strconv.ParseInt(it.Ref, 10, 64)
			if r, err := n.St.Request(ctx, rid); err == nil && n.may(r.TLP) {
				v.Requests = append(v.Requests, ViewRequest(r, n.now()))
			}
		}
	}
	return v, nil
}
