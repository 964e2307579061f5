package node

import (
	"context"
	"encoding/hex"
	"errors"

	"github.com/concord-cert/concord/internal/audit"
	"github.com/concord-cert/concord/internal/store"
)

// AuditCheck is the outcome of checking the audit log end to end.
type AuditCheck struct {
	Intact bool `json:"intact"`
	// Entries is how many entries were checked.
	Entries int64 `json:"entries"`
	// Head and HeadHash are the last entry as recorded beside the log.
	Head     int64  `json:"head"`
	HeadHash string `json:"head_hash"`
	// Broken names the first entry that fails, when the log is not intact.
	Broken *audit.BrokenError `json:"-"`
	// FirstBad and Reason repeat Broken for JSON.
	FirstBad int64  `json:"first_bad_entry,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// VerifyAudit checks the whole hash chain of st's audit log against the
// head recorded beside it. A broken chain is a result (Intact false,
// Broken set), not an error; an error means the check could not run.
func VerifyAudit(ctx context.Context, st store.Casework) (AuditCheck, error) {
	head, err := st.AuditHead(ctx)
	if err != nil {
		return AuditCheck{}, err
	}
	// Stream the log through the checker without holding it: a producer
	// goroutine feeds entries one at a time.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	entries := make(chan audit.Entry, 256)
	scanErr := make(chan error, 1)
	go func() {
		defer close(entries)
		scanErr <- st.EachAudit(ctx, func(x audit.Entry) error {
			select {
			case entries <- x:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	n, verr := audit.VerifyAgainst(head, func() (audit.Entry, bool, error) {
		x, ok := <-entries
		return x, ok, nil
	})
	for range entries {
	}
	if err := <-scanErr; err != nil {
		return AuditCheck{}, err
	}
	res := AuditCheck{Intact: verr == nil, Entries: n, Head: head.Seq, HeadHash: hex.EncodeToString(head.Hash[:])}
	if verr != nil && !errors.As(verr, &res.Broken) {
		return AuditCheck{}, verr
	}
	if res.Broken != nil {
		res.FirstBad, res.Reason = res.Broken.Seq, res.Broken.Reason
	}
	return res, nil
}
