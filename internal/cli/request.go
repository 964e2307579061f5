package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/concord-cert/concord/internal/casework"
	cooperation "github.com/concord-cert/concord/internal/coop"
)

func runRequest(ctx context.Context, e *env, args []string) int {
	return e.subcommand(ctx, "request", args, map[string]func(context.Context, []string) int{
		"create": e.requestCreate,
		"move":   e.requestMove,
		"list":   e.requestList,
		"show":   e.requestShow,
		"export": e.requestExport,
		"import": e.requestImport,
	})
}

// fieldsProblem prints what is missing or wrong in a request's fields and
// returns the usage exit code.
func (e *env) fieldsProblem(asJSON bool, inc *cooperation.IncompleteError) int {
	if asJSON {
		e.printJSON(map[string]any{"missing": nonNil(inc.Missing), "problems": nonNil(inc.Problems)})
		return exitUsage
	}
	return e.fail(exitUsage, "%s", inc.Error())
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (e *env) requestCreate(ctx context.Context, args []string) int {
	fs := e.newFlags("request create", "--case ID --type TYPE --to AGENCY FIELDS.json [--tlp LABEL]\n\nTYPE: preservation, traffic-disclosure, stored-data, subscriber-info, emergency, mla, takedown")
	cf := e.coopFlags(fs)
	caseID := fs.Int64("case", 0, "case `id`")
	typS := fs.String("type", "", "request `type`")
	to := fs.String("to", "", "the requested `agency` (its id)")
	tlpS := fs.String("tlp", "", "`marking` (default: the case's; never less strict)")
	files, err := parse(fs, args)
	if err != nil || len(files) != 1 || *caseID == 0 || !e.need(fs, "type", "to") {
		fs.Usage()
		return exitUsage
	}
	typ, err := casework.ParseRequestType(*typS)
	if err != nil {
		return e.fail(exitUsage, "--type: %v", err)
	}
	data, err := readLimited(e.stdin, files[0], 1<<20)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	fields, err := cooperation.DecodeFields(data)
	if err != nil {
		return e.fail(exitUsage, "%s: %v", files[0], err)
	}
	if err := cooperation.CheckFields(typ, fields); err != nil {
		return e.coopError(*cf.asJSON, err)
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		r, err := c.n.CreateRequest(ctx, cooperation.NewRequest{CaseID: *caseID, Type: typ, To: *to, Fields: fields, TLP: *tlpS})
		if err != nil {
			return e.coopError(*cf.asJSON, err)
		}
		partner, err := c.st.Agency(ctx, r.To)
		if err != nil {
			return e.storeError(err)
		}
		return e.result(*cf.asJSON, map[string]any{"id": r.ID, "status": r.Status, "due": cooperation.Stamp(r.Due)}, func() {
			fmt.Fprintf(e.stdout, "request %d: %s to %s (%s), status %s; due %s if sent now\n", r.ID, typ, partner.ID, partner.Country, r.Status, cooperation.Stamp(r.Due))
		})
	})
}

func (e *env) requestMove(ctx context.Context, args []string) int {
	fs := e.newFlags("request move", "--id ID --to STATUS [--reason R] [--consulted] [--follow-up ID]")
	cf := e.coopFlags(fs)
	id := fs.Int64("id", 0, "request `id`")
	toS := fs.String("to", "", "the new `status`")
	reason := fs.String("reason", "", "why (required to refuse, postpone, partially accept or ask for information)")
	consulted := fs.Bool("consulted", false, "the requesting side was consulted (required to refuse, postpone or partially accept)")
	followUp := fs.Int64("follow-up", 0, "the `request` that follows this one (an MLA after a preservation)")
	if _, err := parse(fs, args); err != nil || *id == 0 || !e.need(fs, "to") {
		fs.Usage()
		return exitUsage
	}
	to, err := casework.ParseStatus(*toS)
	if err != nil {
		return e.fail(exitUsage, "--to: %v", err)
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		before, err := c.st.Request(ctx, *id)
		if err != nil {
			return e.storeError(err)
		}
		from := casework.Status(before.Status)
		r, err := c.n.MoveRequest(ctx, cooperation.Move{ID: *id, To: to, Reason: *reason, Consulted: *consulted, FollowUp: *followUp, Version: before.Version})
		var p *cooperation.Problem
		if errors.As(err, &p) {
			hint := ""
			switch {
			case errors.Is(err, casework.ErrReasonRequired):
				hint = " (give --reason)"
			case errors.Is(err, casework.ErrConsultationRequired):
				hint = " (once you have, add --consulted)"
			}
			return e.fail(exitUsage, "%s%s", p.Flag(), hint)
		}
		if err != nil {
			return e.coopError(*cf.asJSON, err)
		}
		v := cooperation.ViewRequest(r, now())
		return e.result(*cf.asJSON, v, func() {
			fmt.Fprintf(e.stdout, "request %d: %s → %s", r.ID, from, to)
			if v.Due != "" && casework.Status(r.Status).AwaitsRequestedSide() {
				fmt.Fprintf(e.stdout, "; due %s", v.Due)
			}
			if v.PreservedUntil != "" {
				fmt.Fprintf(e.stdout, "; preserved until %s", v.PreservedUntil)
			}
			fmt.Fprintln(e.stdout)
		})
	})
}

func (e *env) requestList(ctx context.Context, args []string) int {
	fs := e.newFlags("request list", "[--overdue] [--expiring]")
	cf := e.coopFlags(fs)
	overdue := fs.Bool("overdue", false, "only requests past their due date that still await the requested side")
	expiring := fs.Bool("expiring", false, fmt.Sprintf("only preservations that lapse within %d days", cooperation.ExpiringDays))
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		rs, err := c.st.Requests(ctx)
		if err != nil {
			return e.storeError(err)
		}
		at := now()
		views := []cooperation.RequestView{}
		for _, r := range rs {
			v := cooperation.ViewRequest(r, at)
			if (*overdue && !v.Overdue) || (*expiring && !v.Expiring) {
				continue
			}
			views = append(views, v)
		}
		return e.result(*cf.asJSON, map[string]any{"requests": views}, func() {
			w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "id\tdirection\ttype\tfrom\tto\tstatus\tdue\t")
			for _, v := range views {
				flag := ""
				if v.Overdue {
					flag = "OVERDUE"
				}
				if v.Expiring {
					flag = "preservation lapses " + v.PreservedUntil
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Direction, v.Type, v.From, v.To, v.Status, dash(v.Due), flag)
			}
			w.Flush()
		})
	})
}

func (e *env) requestShow(ctx context.Context, args []string) int {
	fs := e.newFlags("request show", "--id ID")
	cf := e.coopFlags(fs)
	id := fs.Int64("id", 0, "request `id`")
	if _, err := parse(fs, args); err != nil || *id == 0 {
		fs.Usage()
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		r, err := c.st.Request(ctx, *id)
		if err != nil {
			return e.storeError(err)
		}
		h, err := c.st.RequestHistory(ctx, r.ID)
		if err != nil {
			return e.storeError(err)
		}
		v := cooperation.ViewRequest(r, now())
		v.Fields = r.Fields
		if len(h) > 0 {
			v.History = cooperation.ViewChanges(h)
		}
		return e.result(*cf.asJSON, v, func() {
			fmt.Fprintf(e.stdout, "request %d (%s): %s from %s to %s, %s, %s\n", v.ID, v.Direction, v.Type, v.From, v.To, v.Status, v.TLP)
			if v.Due != "" {
				fmt.Fprintf(e.stdout, "due %s", v.Due)
				if v.Overdue {
					fmt.Fprint(e.stdout, " — OVERDUE")
				}
				fmt.Fprintln(e.stdout)
			}
			if v.PreservedUntil != "" {
				fmt.Fprintf(e.stdout, "data preserved until %s\n", v.PreservedUntil)
			}
			for _, x := range v.History {
				fmt.Fprintf(e.stdout, "  %s  %s → %s  %s  %s\n", x.Time, x.From, x.To, x.Actor, x.Reason)
			}
		})
	})
}

func (e *env) requestExport(ctx context.Context, args []string) int {
	fs := e.newFlags("request export", "--id ID --out FILE [--with-files]")
	cf := e.coopFlags(fs)
	id := fs.Int64("id", 0, "request `id`")
	out := fs.String("out", "", "package `file` to write")
	withFiles := fs.Bool("with-files", false, "carry the evidence files, not only their hashes")
	if _, err := parse(fs, args); err != nil || *id == 0 || !e.need(fs, "out") {
		fs.Usage()
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		written := false
		x, err := c.n.ExportRequest(ctx, *id, *withFiles, func(file []byte) error {
			if err := writeFileAtomic(*out, file); err != nil {
				return err
			}
			written = true
			return nil
		})
		if err != nil {
			if written {
				os.Remove(*out)
			}
			return e.coopError(*cf.asJSON, err)
		}
		pkg, partner, r := x.Package, x.Partner, x.Request
		res := map[string]any{"package": pkg.ID, "kind": pkg.Kind, "to": partner.ID, "request": r.ID, "status": r.Status, "tlp": pkg.TLP, "out": *out, "attachments": len(pkg.Attachments)}
		return e.result(*cf.asJSON, res, func() {
			fmt.Fprintf(e.stdout, "package %s (%s, %s) for %s written to %s, signed by %s\n", pkg.ID, pkg.Kind, pkg.TLP, partner.ID, *out, x.Self.ID)
			channel := "your usual channel"
			if partner.Channels != "" {
				channel = "one of " + partner.Channels
			}
			fmt.Fprintf(e.stdout, "send it to %s by %s; request %d is %s\n", partner.ID, channel, r.ID, r.Status)
		})
	})
}

func (e *env) requestImport(ctx context.Context, args []string) int {
	fs := e.newFlags("request import", "FILE")
	cf := e.coopFlags(fs)
	files, err := parse(fs, args)
	if err != nil || len(files) != 1 {
		fs.Usage()
		return exitUsage
	}
	data, err := readLimited(e.stdin, files[0], cooperation.MaxPackage)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		in, err := c.n.Import(ctx, data)
		var p *cooperation.Problem
		if errors.As(err, &p) {
			return e.fail(exitUsage, "%s: %s", files[0], p.Flag())
		}
		if err != nil {
			return e.storeError(err)
		}
		pkg := in.Package
		res := map[string]any{"package": pkg.ID, "kind": pkg.Kind, "from": pkg.From.Agency, "tlp": pkg.TLP, "request": in.Request, "status": in.Status}
		if in.Case != 0 {
			res["case"], res["due"] = in.Case, cooperation.Stamp(in.Due)
		}
		return e.result(*cf.asJSON, res, func() {
			fmt.Fprintf(e.stdout, "package %s from %s verified (signature, sender, recipient, attachments) and imported: request %v is %v\n",
				pkg.ID, pkg.From.Agency, res["request"], res["status"])
		})
	})
}
