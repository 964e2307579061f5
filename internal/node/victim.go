package node

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// VictimReportTLP is the marking a victim's report is stored under: it
// names a person, their contacts and their losses, so it stays with the
// agency that took it and the partners it names.
const VictimReportTLP = event.TLPAmber

// DecodeVictimReport reads a victim's report as JSON, refusing fields the
// intake model does not know, and normalizes it; the caller checks it
// with Validate.
func DecodeVictimReport(data []byte) (casework.VictimReport, error) {
	var r casework.VictimReport
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, err
	}
	r.Normalize()
	return r, nil
}

// Attachment is a file a victim sent with a report, already kept in the
// evidence vault.
type Attachment struct {
	SHA256 string `json:"sha256"`
	// Name is the file's name on the victim's computer; Type the content
	// type the server recognised in its bytes.
	Name string `json:"name"`
	Type string `json:"type"`
	Size int64  `json:"size"`
}

// FileVictimReport stores a normalized and validated report on behalf of
// actor under a fresh reference, with the status "received", and returns
// the stored record. A reference that happens to be taken is drawn again.
// The attachments' digests join the report's evidence, and their names and
// types are recorded in the audit log with the report: the chain of
// custody of a victim's files starts when they are received.
func FileVictimReport(ctx context.Context, st store.Casework, actor string, r *casework.VictimReport, at time.Time, files ...Attachment) (store.VictimReport, error) {
	for _, f := range files {
		r.Evidence = append(r.Evidence, f.SHA256)
	}
	body, err := json.Marshal(r)
	if err != nil {
		return store.VictimReport{}, err
	}
	for range 5 {
		rep := store.VictimReport{Reference: casework.NewReference(at, rand.Reader), Received: at, StatusChanged: at,
			Status: string(casework.VictimReceived), TLP: VictimReportTLP, Body: body}
		err = st.Change(ctx, actor, func(tx store.CaseTx) error {
			if err := tx.AddVictimReport(rep); err != nil || len(files) == 0 {
				return err
			}
			return tx.Record("report.evidence", "report/"+rep.Reference, map[string]any{"files": files})
		})
		if !errors.Is(err, store.ErrExists) {
			return rep, err
		}
	}
	return store.VictimReport{}, fmt.Errorf("node: no free victim report reference after five draws: %w", err)
}

// VictimStatus is everything a victim may learn of a filed report: where
// it stands and since when — not the case, not the requests, not who works
// on it, not even the report's own text.
type VictimStatus struct {
	Reference   string `json:"reference"`
	Status      string `json:"status"`
	Description string `json:"description"`
	// Updated is the day the status last changed (YYYY-MM-DD).
	Updated string `json:"updated"`
}

// VictimStatusOf returns what a victim may learn of rep.
func VictimStatusOf(rep store.VictimReport) VictimStatus {
	return VictimStatus{Reference: rep.Reference, Status: rep.Status,
		Description: casework.VictimStatus(rep.Status).Description(), Updated: rep.StatusChanged.UTC().Format(time.DateOnly)}
}
