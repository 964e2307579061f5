package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
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

// evidenceView is an evidence record in `--json` output.
type evidenceView struct {
	ID          int64  `json:"id"`
	Case        int64  `json:"case"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	TLP         string `json:"tlp"`
	Acquired    string `json:"acquired"`
	AcquiredBy  string `json:"acquired_by"`
	LegalHold   bool   `json:"legal_hold"`
}

func viewEvidence(ev store.EvidenceRecord) evidenceView {
	return evidenceView{ID: ev.ID, Case: ev.CaseID, SHA256: ev.SHA256, Size: ev.Size, Name: ev.Name, Description: ev.Description,
		TLP: ev.TLP.String(), Acquired: ev.Acquired.Format("2006-01-02T15:04:05Z"), AcquiredBy: ev.AcquiredBy, LegalHold: ev.LegalHold}
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
		cs, err := c.st.Case(ctx, *caseID)
		if err != nil {
			return e.storeError(err)
		}
		tlp := cs.TLP
		if *tlpS != "" {
			if tlp, err = event.ParseTLP(*tlpS); err != nil {
				return e.fail(exitUsage, "--tlp: %v", err)
			}
		}
		v, err := c.vault()
		if err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		obj, err := v.PutFile(files[0])
		if err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		rec := store.EvidenceRecord{CaseID: cs.ID, SHA256: obj.SHA256, Size: obj.Size, Name: filepath.Base(files[0]), Description: *desc, TLP: tlp, Acquired: now(), AcquiredBy: c.actor}
		var isNew bool
		if err := c.change(ctx, func(tx store.CaseTx) error {
			var err error
			rec, isNew, err = tx.AddEvidence(rec, *purpose)
			return err
		}); err != nil {
			return e.storeError(err)
		}
		out := map[string]any{"id": rec.ID, "sha256": rec.SHA256, "size": rec.Size, "new": isNew}
		return e.result(*cf.asJSON, out, func() {
			if isNew {
				fmt.Fprintf(e.stdout, "evidence %d added to case %d: %s (%d bytes), sha256 %s\n", rec.ID, cs.ID, rec.Name, rec.Size, rec.SHA256)
			} else {
				fmt.Fprintf(e.stdout, "case %d already holds this file as evidence %d (sha256 %s)\n", cs.ID, rec.ID, rec.SHA256)
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
		recs, err := c.st.EvidenceList(ctx, *caseID)
		if err != nil {
			return e.storeError(err)
		}
		v, err := c.vault()
		if err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		type failure struct {
			ID     int64  `json:"id"`
			Case   int64  `json:"case"`
			SHA256 string `json:"sha256"`
			Error  string `json:"error"`
		}
		failed := []failure{}
		at := now()
		err = c.change(ctx, func(tx store.CaseTx) error {
			for _, r := range recs {
				if err := v.Verify(r.SHA256); err != nil {
					failed = append(failed, failure{r.ID, r.CaseID, r.SHA256, err.Error()})
					continue
				}
				if err := tx.AddCustody(store.CustodyEntry{EvidenceID: r.ID, Time: at, Action: "verified", Actor: c.actor, Purpose: "hash checked"}); err != nil {
					return err
				}
			}
			return tx.Record("evidence.verify-run", "vault", map[string]any{"case": *caseID, "checked": len(recs), "failed": len(failed)})
		})
		if err != nil {
			return e.storeError(err)
		}
		out := map[string]any{"checked": len(recs), "failed": failed}
		code := e.result(*cf.asJSON, out, func() {
			for _, f := range failed {
				fmt.Fprintf(e.stdout, "FAILED evidence %d (case %d) %s: %s\n", f.ID, f.Case, f.SHA256, f.Error)
			}
			fmt.Fprintf(e.stdout, "%d evidence records checked, %d failed\n", len(recs), len(failed))
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
		rec, err := c.st.Evidence(ctx, *id)
		if err != nil {
			return e.storeError(err)
		}
		v, err := c.vault()
		if err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		tmp := *out + ".tmp"
		f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		if err := v.Export(rec.SHA256, f); err != nil {
			f.Close()
			os.Remove(tmp)
			return e.fail(exitFailure, "evidence %d: %v", rec.ID, err)
		}
		if err := f.Close(); err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		if err := c.change(ctx, func(tx store.CaseTx) error {
			return tx.AddCustody(store.CustodyEntry{EvidenceID: rec.ID, Time: now(), Action: "exported", Actor: c.actor, Purpose: *purpose})
		}); err != nil {
			os.Remove(tmp)
			return e.storeError(err)
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
		rec, err := c.st.Evidence(ctx, *id)
		if err != nil {
			return e.storeError(err)
		}
		entries, err := c.st.Custody(ctx, rec.ID)
		if err != nil {
			return e.storeError(err)
		}
		type entry struct {
			Seq     int64  `json:"seq"`
			Time    string `json:"time"`
			Action  string `json:"action"`
			Actor   string `json:"actor"`
			Purpose string `json:"purpose,omitempty"`
		}
		list := make([]entry, len(entries))
		for i, x := range entries {
			list[i] = entry{x.Seq, x.Time.Format("2006-01-02T15:04:05Z"), x.Action, x.Actor, x.Purpose}
		}
		return e.result(*cf.asJSON, map[string]any{"evidence": viewEvidence(rec), "custody": list}, func() {
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
		if err := c.change(ctx, func(tx store.CaseTx) error { return tx.SetLegalHold(*id, !*release, *reason, now()) }); err != nil {
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
