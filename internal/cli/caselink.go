package cli

import (
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
	"github.com/concord-cert/concord/internal/store"
)

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// caseLink links stored events, victim reports, notes, tasks and
// assessments to a case.
func (e *env) caseLink(ctx context.Context, args []string) int {
	fs := e.newFlags("case link", "--id ID [--event KEY]... [--report REF]... [--note TEXT]... [--task TEXT]... [--assessment FILE]...")
	cf := e.coopFlags(fs)
	id := fs.Int64("id", 0, "case `id`")
	var events, reports, notes, tasks, assessments multiFlag
	fs.Var(&events, "event", "stored event `key` (32 hex digits, as ingest and assess print it)")
	fs.Var(&reports, "report", "victim report `reference`")
	fs.Var(&notes, "note", "a note `text`")
	fs.Var(&tasks, "task", "a task `text`")
	fs.Var(&assessments, "assessment", "`file` written by concord assess --json; kept in the vault")
	if _, err := parse(fs, args); err != nil || *id == 0 {
		fs.Usage()
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		cs, err := c.st.Case(ctx, *id)
		if err != nil {
			return e.storeError(err)
		}
		at := now()
		var items []store.CaseItem
		var reportRefs []string
		for _, k := range events {
			raw, err := hex.DecodeString(k)
			if err != nil || len(raw) != store.KeySize {
				return e.fail(exitUsage, "--event %q is not an event key (32 hex digits)", k)
			}
			ev, err := c.st.EventByKey(ctx, store.Key(raw))
			if err != nil {
				return e.storeError(fmt.Errorf("event %s: %w", k, err))
			}
			items = append(items, store.CaseItem{CaseID: cs.ID, Kind: "event", Ref: strings.ToLower(k), Added: at, TLP: ev.TLP, Note: ev.Class.String()})
		}
		for _, r := range reports {
			ref, err := casework.ParseReference(r)
			if err != nil {
				return e.fail(exitUsage, "--report: %v", err)
			}
			rep, err := c.st.VictimReport(ctx, ref)
			if err != nil {
				return e.storeError(err)
			}
			items = append(items, store.CaseItem{CaseID: cs.ID, Kind: "report", Ref: ref, Added: at, TLP: rep.TLP})
			reportRefs = append(reportRefs, ref)
		}
		for i, n := range notes {
			items = append(items, store.CaseItem{CaseID: cs.ID, Kind: "note", Ref: fmt.Sprintf("%d-%d", at.UnixMicro(), i), Added: at, TLP: cs.TLP, Note: n})
		}
		for i, n := range tasks {
			items = append(items, store.CaseItem{CaseID: cs.ID, Kind: "task", Ref: fmt.Sprintf("%d-%d", at.UnixMicro(), i), Added: at, TLP: cs.TLP, Note: n})
		}
		var evidence []store.EvidenceRecord
		if len(assessments) > 0 {
			v, err := c.vault()
			if err != nil {
				return e.fail(exitFailure, "%v", err)
			}
			for _, path := range assessments {
				data, err := readLimited(e.stdin, path, 16<<20)
				if err != nil {
					return e.fail(exitFailure, "%v", err)
				}
				var a struct {
					Title string `json:"title"`
					TLP   string `json:"tlp"`
				}
				if err := json.Unmarshal(data, &a); err != nil || a.TLP == "" {
					return e.fail(exitUsage, "%s is not the JSON of concord assess --json", path)
				}
				tlp, err := event.ParseTLP(a.TLP)
				if err != nil {
					return e.fail(exitUsage, "%s: %v", path, err)
				}
				obj, err := v.PutFile(path)
				if err != nil {
					return e.fail(exitFailure, "%v", err)
				}
				evidence = append(evidence, store.EvidenceRecord{CaseID: cs.ID, SHA256: obj.SHA256, Size: obj.Size, Name: filepath.Base(path),
					Description: "assessment: " + a.Title, TLP: tlp, Acquired: at, AcquiredBy: c.actor})
			}
		}
		err = c.change(ctx, func(tx store.CaseTx) error {
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
			return e.storeError(err)
		}
		n := len(items) + len(evidence)
		return e.result(*cf.asJSON, map[string]any{"id": cs.ID, "linked": n}, func() {
			fmt.Fprintf(e.stdout, "case %d: %d items linked\n", cs.ID, n)
		})
	})
}

// routeView is one country a case's addresses lead to, and who can act
// there.
type routeView struct {
	Country   string       `json:"country"`
	Addresses []string     `json:"addresses"`
	Providers []string     `json:"providers"`
	Partners  []agencyView `json:"partners"`
	Advice    string       `json:"advice"`
}

// caseRoute suggests, from the addresses in a case's events, victim reports
// and assessments, the partner agency that can act in each country.
func (e *env) caseRoute(ctx context.Context, args []string) int {
	fs := e.newFlags("case route", "--id ID")
	cf := e.coopFlags(fs)
	id := fs.Int64("id", 0, "case `id`")
	if _, err := parse(fs, args); err != nil || *id == 0 {
		fs.Usage()
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		s := &session{st: c.st}
		if err := s.loadGeo(ctx); err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		items, err := c.st.CaseItems(ctx, *id)
		if err != nil {
			return e.storeError(err)
		}
		if _, err := c.st.Case(ctx, *id); err != nil {
			return e.storeError(err)
		}
		type where struct {
			cc, provider string
		}
		seen := map[netip.Addr]where{}
		add := func(ip netip.Addr) {
			if !ip.IsValid() {
				return
			}
			r := s.geo.Lookup(ip)
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
			switch it.Kind {
			case "event":
				raw, _ := hex.DecodeString(it.Ref)
				if len(raw) != store.KeySize {
					continue
				}
				if ev, err := c.st.EventByKey(ctx, store.Key(raw)); err == nil {
					for _, ep := range []event.Endpoint{ev.Source, ev.Destination} {
						if ep.Role != event.RoleTarget && ep.Role != event.RoleNone {
							add(ep.IP)
						}
					}
				}
			case "report":
				rep, err := c.st.VictimReport(ctx, it.Ref)
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
		agencies, err := c.st.Agencies(ctx)
		if err != nil {
			return e.storeError(err)
		}
		byCC := map[string]*routeView{}
		for ip, w := range seen {
			rv := byCC[w.cc]
			if rv == nil {
				rv = &routeView{Country: w.cc, Addresses: []string{}, Providers: []string{}, Partners: []agencyView{}}
				byCC[w.cc] = rv
			}
			rv.Addresses = append(rv.Addresses, ip.String())
			if w.provider != "" && !contains(rv.Providers, w.provider) {
				rv.Providers = append(rv.Providers, w.provider)
			}
		}
		routes := []routeView{}
		for _, cc := range slices.Sorted(maps.Keys(byCC)) {
			rv := byCC[cc]
			sort.Strings(rv.Addresses)
			sort.Strings(rv.Providers)
			for _, a := range agencies {
				if a.Country == cc && !a.Self {
					rv.Partners = append(rv.Partners, viewAgency(a))
				}
			}
			if len(rv.Partners) == 0 {
				rv.Advice = fmt.Sprintf("no partner is registered for %s: add its 24/7 point of contact (Budapest Convention art. 35) with concord agency add", cc)
			} else {
				rv.Advice = fmt.Sprintf("ask %s to have %s preserve what they hold (concord request create --type preservation --to %s)", rv.Partners[0].ID, strings.Join(rv.Providers, ", "), rv.Partners[0].ID)
			}
			routes = append(routes, *rv)
		}
		return e.result(*cf.asJSON, map[string]any{"case": *id, "routes": routes}, func() {
			if len(routes) == 0 {
				fmt.Fprintln(e.stdout, "no addresses with a known country in this case's events and reports")
			}
			for _, r := range routes {
				fmt.Fprintf(e.stdout, "%s: %s\n  providers: %s\n  %s\n", r.Country, strings.Join(r.Addresses, ", "), dash(strings.Join(r.Providers, ", ")), r.Advice)
			}
		})
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
