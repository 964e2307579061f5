package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	cooperation "github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/vault"
)

func runEvidence(ctx context.Context, e *env, args []string) int {
	return e.subcommand(ctx, "evidence", args, map[string]func(context.Context, []string) int{
		"add":     e.evidenceAdd,
		"verify":  e.evidenceVerify,
		"export":  e.evidenceExport,
		"custody": e.evidenceCustody,
		"hold":    e.evidenceHold,
	})
}

func (e *env) evidenceAdd(ctx context.Context, args []string) int {
	fs := e.newFlags("evidence add", "--case ID FILE [--description D] [--tlp LABEL] [--purpose P]")
	cf := e.coopFlags(fs)
	caseID := fs.Int64("case", 0, "case `id`")
	desc := fs.String("description", "", "what the file is")
	tlpS := fs.String("tlp", "", "`marking` of the file (default: the case's)")
	purpose := fs.String("purpose", "", "why it was acquired, for the chain of custody")
	files, err := parse(fs, args)
	if err != nil || len(files) != 1 || *caseID == 0 {
		fs.Usage()
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		ne := cooperation.NewEvidence{Name: filepath.Base(files[0]), Description: *desc, TLP: *tlpS, Purpose: *purpose}
		rec, isNew, err := c.n.AddEvidence(ctx, *caseID, ne, func(v *vault.Vault) (vault.Object, error) { return v.PutFile(files[0]) })
		if err != nil {
			return e.coopError(*cf.asJSON, err)
		}
		out := map[string]any{"id": rec.ID, "sha256": rec.SHA256, "size": rec.Size, "new": isNew}
		return e.result(*cf.asJSON, out, func() {
			if isNew {
				fmt.Fprintf(e.stdout, "evidence %d added to case %d: %s (%d bytes), sha256 %s\n", rec.ID, rec.CaseID, rec.Name, rec.Size, rec.SHA256)
			} else {
				fmt.Fprintf(e.stdout, "case %d already holds this file as evidence %d (sha256 %s)\n", rec.CaseID, rec.ID, rec.SHA256)
			}
		})
	})
}

func (e *env) evidenceVerify(ctx context.Context, args []string) int {
	fs := e.newFlags("evidence verify", "[--case ID]")
	cf := e.coopFlags(fs)
	caseID := fs.Int64("case", 0, "verify one case's evidence (default: every record)")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		checked, failed, err := c.n.VerifyEvidence(ctx, *caseID, 0)
		if err != nil {
			return e.coopError(*cf.asJSON, err)
		}
		out := map[string]any{"checked": checked, "failed": failed}
		code := e.result(*cf.asJSON, out, func() {
			for _, f := range failed {
				fmt.Fprintf(e.stdout, "FAILED evidence %d (case %d) %s: %s\n", f.ID, f.Case, f.SHA256, f.Error)
			}
			fmt.Fprintf(e.stdout, "%d evidence records checked, %d failed\n", checked, len(failed))
		})
		if code == exitOK && len(failed) > 0 {
			return exitFailure
		}
		return code
	})
}

func (e *env) evidenceExport(ctx context.Context, args []string) int {
	fs := e.newFlags("evidence export", "--id ID --out FILE --purpose P")
	cf := e.coopFlags(fs)
	id := fs.Int64("id", 0, "evidence `id`")
	out := fs.String("out", "", "`file` to write")
	purpose := fs.String("purpose", "", "why it leaves the vault, for the chain of custody")
	if _, err := parse(fs, args); err != nil || *id == 0 || !e.need(fs, "out", "purpose") {
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		tmp := *out + ".tmp"
		f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		rec, err := c.n.ExportEvidence(ctx, *id, f, *purpose)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(tmp)
			return e.coopError(*cf.asJSON, err)
		}
		if err := os.Rename(tmp, *out); err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		return e.result(*cf.asJSON, map[string]any{"id": rec.ID, "sha256": rec.SHA256, "out": *out}, func() {
			fmt.Fprintf(e.stdout, "evidence %d written to %s, verified (sha256 %s); the export is in its chain of custody\n", rec.ID, *out, rec.SHA256)
		})
	})
}

func (e *env) evidenceCustody(ctx context.Context, args []string) int {
	fs := e.newFlags("evidence custody", "--id ID")
	cf := e.coopFlags(fs)
	id := fs.Int64("id", 0, "evidence `id`")
	if _, err := parse(fs, args); err != nil || *id == 0 {
		fs.Usage()
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		rec, entries, err := c.n.Custody(ctx, *id)
		if err != nil {
			return e.storeError(err)
		}
		list := cooperation.ViewCustody(entries)
		return e.result(*cf.asJSON, map[string]any{"evidence": cooperation.ViewEvidence(rec), "custody": list}, func() {
			fmt.Fprintf(e.stdout, "evidence %d: %s, sha256 %s\n", rec.ID, rec.Name, rec.SHA256)
			w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			for _, x := range list {
				fmt.Fprintf(w, "  %d\t%s\t%s\t%s\t%s\n", x.Seq, x.Time, x.Action, x.Actor, x.Purpose)
			}
			w.Flush()
		})
	})
}

func (e *env) evidenceHold(ctx context.Context, args []string) int {
	fs := e.newFlags("evidence hold", "--id ID --reason R [--release]")
	cf := e.coopFlags(fs)
	id := fs.Int64("id", 0, "evidence `id`")
	reason := fs.String("reason", "", "the order or reason")
	release := fs.Bool("release", false, "release the hold instead of setting it")
	if _, err := parse(fs, args); err != nil || *id == 0 || !e.need(fs, "reason") {
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		if err := c.n.SetLegalHold(ctx, *id, !*release, *reason); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return e.fail(exitUsage, "no evidence %d", *id)
			}
			return e.storeError(err)
		}
		return e.result(*cf.asJSON, map[string]any{"id": *id, "legal_hold": !*release}, func() {
			fmt.Fprintf(e.stdout, "evidence %s: legal hold %s\n", strconv.FormatInt(*id, 10), map[bool]string{true: "set", false: "released"}[!*release])
		})
	})
}
