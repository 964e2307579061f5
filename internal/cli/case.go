package cli

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/concord-cert/concord/internal/casework"
	cooperation "github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/event"
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
		cs, err := c.n.OpenCase(ctx, cooperation.NewCase{Title: *title, TLP: tlp, PAP: pap, Report: *report})
		if err != nil {
			return e.coopError(*cf.asJSON, err)
		}
		return e.result(*cf.asJSON, map[string]any{"id": cs.ID, "tlp": cs.TLP.String(), "pap": pap.String()}, func() {
			fmt.Fprintf(e.stdout, "case %d opened (%s, %s)\n", cs.ID, cs.TLP, pap)
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
		v, err := c.n.ShowCase(ctx, *id)
		if err != nil {
			return e.storeError(err)
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
		views := make([]cooperation.CaseView, len(cs))
		for i, x := range cs {
			views[i] = cooperation.ViewCase(x)
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
