package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
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
	var r casework.VictimReport
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return e.fail(exitUsage, "%s: %v", files[0], err)
	}
	r.Normalize()
	if problems := r.Validate(); len(problems) > 0 {
		if *cf.asJSON {
			e.printJSON(map[string]any{"problems": problems})
			return exitUsage
		}
		return e.fail(exitUsage, "%s: the report is not complete:\n  %s", files[0], strings.Join(problems, "\n  "))
	}
	body, err := json.Marshal(&r)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		at := now()
		rep := store.VictimReport{Reference: casework.NewReference(at, rand.Reader), Received: at, Status: string(casework.VictimReceived), TLP: event.TLPAmber, Body: body}
		if err := c.change(ctx, func(tx store.CaseTx) error { return tx.AddVictimReport(rep) }); err != nil {
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
		desc := casework.VictimStatus(rep.Status).Description()
		out := map[string]any{"reference": rep.Reference, "status": rep.Status, "description": desc, "updated": rep.StatusChanged.Format("2006-01-02")}
		return e.result(*cf.asJSON, out, func() {
			fmt.Fprintf(e.stdout, "%s: %s — %s (since %s)\n", rep.Reference, rep.Status, desc, rep.StatusChanged.Format("2006-01-02"))
		})
	})
}
