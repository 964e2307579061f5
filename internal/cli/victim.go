package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/node"
)

// maxVictimReport bounds a report's JSON; evidence files go to the vault.
const maxVictimReport = 1 << 20

func runVictim(ctx context.Context, e *env, args []string) int {
	return e.subcommand(ctx, "victim", args, map[string]func(context.Context, []string) int{
		"submit": e.victimSubmit,
		"status": e.victimStatus,
	})
}

func (e *env) victimSubmit(ctx context.Context, args []string) int {
	fs := e.newFlags("victim submit", "FILE.json | -")
	cf := e.coopFlags(fs)
	files, err := parse(fs, args)
	if err != nil || len(files) != 1 {
		fs.Usage()
		return exitUsage
	}
	data, err := readLimited(e.stdin, files[0], maxVictimReport)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	r, err := node.DecodeVictimReport(data)
	if err != nil {
		return e.fail(exitUsage, "%s: %v", files[0], err)
	}
	if problems := r.Validate(); len(problems) > 0 {
		if *cf.asJSON {
			e.printJSON(map[string]any{"problems": problems})
			return exitUsage
		}
		return e.fail(exitUsage, "%s: the report is not complete:\n  %s", files[0], strings.Join(problems, "\n  "))
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		rep, err := node.FileVictimReport(ctx, c.st, c.actor, &r, now())
		if err != nil {
			return e.storeError(err)
		}
		warnings := r.Warnings()
		out := map[string]any{"reference": rep.Reference, "status": rep.Status, "warnings": nonNil(warnings)}
		return e.result(*cf.asJSON, out, func() {
			fmt.Fprintf(e.stdout, "Your report is registered. Reference: %s\n", rep.Reference)
			fmt.Fprintln(e.stdout, "Keep it: with it you can look up what happens to your report.")
			for _, w := range warnings {
				fmt.Fprintf(e.stdout, "note: %s\n", w)
			}
		})
	})
}

func (e *env) victimStatus(ctx context.Context, args []string) int {
	fs := e.newFlags("victim status", "REFERENCE")
	cf := e.coopFlags(fs)
	refs, err := parse(fs, args)
	if err != nil || len(refs) != 1 {
		fs.Usage()
		return exitUsage
	}
	ref, err := casework.ParseReference(refs[0])
	if err != nil {
		return e.fail(exitUsage, "%v", err)
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		rep, err := c.st.VictimReport(ctx, ref)
		if err != nil {
			return e.storeError(err)
		}
		// A victim learns the status of the report and nothing else: not the
		// case, not the requests, not who works on it.
		out := node.VictimStatusOf(rep)
		return e.result(*cf.asJSON, out, func() {
			fmt.Fprintf(e.stdout, "%s: %s — %s (since %s)\n", out.Reference, out.Status, out.Description, out.Updated)
		})
	})
}
