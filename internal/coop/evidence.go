package coop

import (
	"context"
	"fmt"
	"io"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/vault"
)

// NewEvidence describes a file to keep as evidence of a case.
type NewEvidence struct {
	Name        string
	Description string
	// TLP is the file's marking; "" gives it the case's.
	TLP string
	// Purpose says why it was acquired, for the chain of custody.
	Purpose string
}

// AddEvidence keeps a file as evidence of a case: put stores its bytes in
// the vault (streaming them, so size costs no memory), and the record and
// its "acquired" custody entry are stored in one transaction. The same
// file added to the same case again returns the existing record and false.
func (n *Node) AddEvidence(ctx context.Context, caseID int64, ne NewEvidence, put func(*vault.Vault) (vault.Object, error)) (store.EvidenceRecord, bool, error) {
	cs, err := n.Case(ctx, caseID)
	if err != nil {
		return store.EvidenceRecord{}, false, err
	}
	tlp := cs.TLP
	if ne.TLP != "" {
		if tlp, err = event.ParseTLP(ne.TLP); err != nil {
			return store.EvidenceRecord{}, false, problem("tlp", "%v", err)
		}
	}
	if err := n.readable(tlp); err != nil {
		return store.EvidenceRecord{}, false, err
	}
	v, err := n.Vault()
	if err != nil {
		return store.EvidenceRecord{}, false, err
	}
	obj, err := put(v)
	if err != nil {
		return store.EvidenceRecord{}, false, err
	}
	rec := store.EvidenceRecord{CaseID: cs.ID, SHA256: obj.SHA256, Size: obj.Size, Name: ne.Name, Description: ne.Description, TLP: tlp, Acquired: n.now(), AcquiredBy: n.Actor}
	var isNew bool
	err = n.Change(ctx, func(tx store.CaseTx) error {
		var err error
		rec, isNew, err = tx.AddEvidence(rec, ne.Purpose)
		return err
	})
	return rec, isNew, err
}

// VerifyFailure is an evidence record whose bytes failed verification.
type VerifyFailure struct {
	ID     int64  `json:"id"`
	Case   int64  `json:"case"`
	SHA256 string `json:"sha256"`
	Error  string `json:"error"`
}

// VerifyEvidence checks the bytes of evidence against their hashes: one
// record when evidenceID is set, else one case's (caseID), else every
// record. Each intact record gets a "verified" custody entry, and the run
// is audited. It returns how many records it checked and those that
// failed.
func (n *Node) VerifyEvidence(ctx context.Context, caseID, evidenceID int64) (int, []VerifyFailure, error) {
	var recs []store.EvidenceRecord
	if evidenceID != 0 {
		rec, err := n.Evidence(ctx, evidenceID)
		if err != nil {
			return 0, nil, err
		}
		recs, caseID = []store.EvidenceRecord{rec}, rec.CaseID
	} else {
		var err error
		if recs, err = n.St.EvidenceList(ctx, caseID); err != nil {
			return 0, nil, err
		}
	}
	v, err := n.Vault()
	if err != nil {
		return 0, nil, err
	}
	failed := []VerifyFailure{}
	at := n.now()
	err = n.Change(ctx, func(tx store.CaseTx) error {
		for _, r := range recs {
			if err := v.Verify(r.SHA256); err != nil {
				failed = append(failed, VerifyFailure{r.ID, r.CaseID, r.SHA256, err.Error()})
				continue
			}
			if err := tx.AddCustody(store.CustodyEntry{EvidenceID: r.ID, Time: at, Action: "verified", Actor: n.Actor, Purpose: "hash checked"}); err != nil {
				return err
			}
		}
		detail := map[string]any{"case": caseID, "checked": len(recs), "failed": len(failed)}
		if evidenceID != 0 {
			detail["evidence"] = evidenceID
		}
		return tx.Record("evidence.verify-run", "vault", detail)
	})
	return len(recs), failed, err
}

// ExportEvidence writes the bytes of evidence id to w for purpose. The
// bytes are verified before the first one is written, then the export is
// recorded in the chain of custody ("exported", audited with it), then
// they are written through a verifying reader: nothing leaves unrecorded,
// and an error after the first byte means w holds a damaged copy to
// discard.
func (n *Node) ExportEvidence(ctx context.Context, id int64, w io.Writer, purpose string) (store.EvidenceRecord, error) {
	return n.copyEvidence(ctx, id, w, "exported", purpose)
}

// AccessEvidence is ExportEvidence for bytes read on the node, not taken
// away (an assessment kept in a case, shown on a page): the custody entry
// says "accessed".
func (n *Node) AccessEvidence(ctx context.Context, id int64, w io.Writer, purpose string) (store.EvidenceRecord, error) {
	return n.copyEvidence(ctx, id, w, "accessed", purpose)
}

func (n *Node) copyEvidence(ctx context.Context, id int64, w io.Writer, action, purpose string) (store.EvidenceRecord, error) {
	rec, err := n.Evidence(ctx, id)
	if err != nil {
		return rec, err
	}
	v, err := n.Vault()
	if err != nil {
		return rec, err
	}
	if err := v.Verify(rec.SHA256); err != nil {
		return rec, fmt.Errorf("evidence %d: %w", rec.ID, err)
	}
	if err := n.Change(ctx, func(tx store.CaseTx) error {
		return tx.AddCustody(store.CustodyEntry{EvidenceID: rec.ID, Time: n.now(), Action: action, Actor: n.Actor, Purpose: purpose})
	}); err != nil {
		return rec, err
	}
	rc, err := v.Open(rec.SHA256)
	if err != nil {
		return rec, fmt.Errorf("evidence %d: %w", rec.ID, err)
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil {
		return rec, fmt.Errorf("evidence %d: %w", rec.ID, err)
	}
	return rec, nil
}

// Custody returns an evidence record and its chain of custody.
func (n *Node) Custody(ctx context.Context, id int64) (store.EvidenceRecord, []store.CustodyEntry, error) {
	rec, err := n.Evidence(ctx, id)
	if err != nil {
		return rec, nil, err
	}
	entries, err := n.St.Custody(ctx, rec.ID)
	return rec, entries, err
}

// SetLegalHold sets (hold) or releases the legal hold on evidence id,
// with the order or reason.
func (n *Node) SetLegalHold(ctx context.Context, id int64, hold bool, reason string) error {
	if reason == "" {
		return problem("reason", "name the order or reason")
	}
	if n.Receive != nil {
		if _, err := n.Evidence(ctx, id); err != nil {
			return err
		}
	}
	at := n.now()
	return n.Change(ctx, func(tx store.CaseTx) error { return tx.SetLegalHold(id, hold, reason, at) })
}
