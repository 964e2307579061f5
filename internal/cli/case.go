package cli

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

func runCase(ctx context.Context, e *env, args []string) int {
	return e.subcommand(ctx, "case", args, map[string]func(context.Context, []string) int{
		"open":  e.caseOpen,
		"show":  e.caseShow,
		"list":  e.caseList,
		"link":  e.caseLink,
		"route": e.caseRoute,
	})
}

// caseView is a case in `--json` output.
type caseView struct {
	ID       int64               `json:"id"`
	Title    string              `json:"title"`
	TLP      string              `json:"tlp"`
	PAP      string              `json:"pap"`
	Status   string              `json:"status"`
	Opened   string              `json:"opened"`
	Items    []caseItemView      `json:"items,omitempty"`
	Evidence []evidenceView      `json:"evidence,omitempty"`
	Requests []requestView       `json:"requests,omitempty"`
	Reports  []map[string]string `json:"reports,omitempty"`
}

type caseItemView struct {
	Kind  string `json:"kind"`
	Ref   string `json:"ref"`
	Added string `json:"added"`
	TLP   string `json:"tlp"`
}

func viewCase(c store.Case) caseView {
	return caseView{ID: c.ID, Title: c.Title, TLP: c.TLP.String(), PAP: c.PAP, Status: c.Status, Opened: c.Opened.Format("2006-01-02T15:04:05Z")}
}

func (e *env) caseOpen(ctx context.Context, args []string) int {
	fs := e.newFlags("case open", "--title T [--tlp TLP:AMBER] [--pap AMBER] [--report REF]")
	cf := e.coopFlags(fs)
	title := fs.String("title", "", "case `title`")
	tlpS := fs.String("tlp", "TLP:AMBER", "`marking` of the case")
	papS := fs.String("pap", "AMBER", "permissible actions (`PAP`): RED, AMBER, GREEN or CLEAR")
	report := fs.String("report", "", "victim report `reference` the case starts from")
	if _, err := parse(fs, args); err != nil || !e.need(fs, "title") {
		return exitUsage
	}
	tlp, err := event.ParseTLP(*tlpS)
	if err != nil {
		return e.fail(exitUsage, "--tlp: %v", err)
	}
	pap, err := casework.ParsePAP(*papS)
	if err != nil {
		return e.fail(exitUsage, "--pap: %v", err)
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		at := now()
		var rep store.VictimReport
		if *report != "" {
			ref, err := casework.ParseReference(*report)
			if err != nil {
				return e.fail(exitUsage, "--report: %v", err)
			}
			if rep, err = c.st.VictimReport(ctx, ref); err != nil {
				return e.storeError(err)
			}
			// The case is derived from the report: it may be no less strict.
			tlp = tlp.Stricter(rep.TLP)
		}
		var id int64
		err = c.change(ctx, func(tx store.CaseTx) error {
			var err error
			if id, err = tx.OpenCase(store.Case{Title: *title, TLP: tlp, PAP: pap.String(), Opened: at}); err != nil {
				return err
			}
			if rep.Reference == "" {
				return nil
			}
			if err := tx.AddCaseItem(store.CaseItem{CaseID: id, Kind: "report", Ref: rep.Reference, Added: at, TLP: rep.TLP}); err != nil {
				return err
			}
			return tx.SetVictimReportStatus(rep.Reference, string(casework.VictimCaseOpened), at)
		})
		if err != nil {
			return e.storeError(err)
		}
		return e.result(*cf.asJSON, map[string]any{"id": id, "tlp": tlp.String(), "pap": pap.String()}, func() {
			fmt.Fprintf(e.stdout, "case %d opened (%s, %s)\n", id, tlp, pap)
		})
	})
}

func (e *env) caseShow(ctx context.Context, args []string) int {
	fs := e.newFlags("case show", "--id ID")
	cf := e.coopFlags(fs)
	id := fs.Int64("id", 0, "case `id`")
	if _, err := parse(fs, args); err != nil || *id == 0 {
		fs.Usage()
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		cs, err := c.st.Case(ctx, *id)
		if err != nil {
			return e.storeError(err)
		}
		v := viewCase(cs)
		items, err := c.st.CaseItems(ctx, cs.ID)
		if err != nil {
			return e.storeError(err)
		}
		for _, it := range items {
			v.Items = append(v.Items, caseItemView{Kind: it.Kind, Ref: it.Ref, Added: it.Added.Format("2006-01-02T15:04:05Z"), TLP: it.TLP.String()})
			switch it.Kind {
			case "evidence":
				eid, _ := strconv.ParseInt(it.Ref, 10, 64)
				if ev, err := c.st.Evidence(ctx, eid); err == nil {
					v.Evidence = append(v.Evidence, viewEvidence(ev))
				}
			case "request":
				rid, _ := strconv.ParseInt(it.Ref, 10, 64)
				if r, err := c.st.Request(ctx, rid); err == nil {
					v.Requests = append(v.Requests, viewRequest(r, now(), e.cfg.deadlines()))
				}
			}
		}
		return e.result(*cf.asJSON, v, func() {
			fmt.Fprintf(e.stdout, "case %d: %s\n%s %s, %s, opened %s\n", v.ID, v.Title, v.TLP, v.PAP, v.Status, v.Opened)
			w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "\nadded\tkind\tref\tmarking")
			for _, it := range v.Items {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", it.Added, it.Kind, it.Ref, it.TLP)
			}
			w.Flush()
		})
	})
}

func (e *env) caseList(ctx context.Context, args []string) int {
	fs := e.newFlags("case list", "")
	cf := e.coopFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		cs, err := c.st.Cases(ctx)
		if err != nil {
			return e.storeError(err)
		}
		views := make([]caseView, len(cs))
		for i, x := range cs {
			views[i] = viewCase(x)
		}
		return e.result(*cf.asJSON, map[string]any{"cases": views}, func() {
			w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "id\topened\tstatus\tmarking\ttitle")
			for _, v := range views {
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", v.ID, v.Opened, v.Status, v.TLP, v.Title)
			}
			w.Flush()
		})
	})
}
