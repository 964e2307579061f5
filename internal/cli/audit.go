package cli

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/concord-cert/concord/internal/audit"
)

func runAudit(ctx context.Context, e *env, args []string) int {
	return e.subcommand(ctx, "audit", args, map[string]func(context.Context, []string) int{
		"verify": e.auditVerify,
	})
}

// auditVerify checks the whole hash chain against the head recorded beside
// it: exit 0 when intact, 1 naming the first bad entry.
func (e *env) auditVerify(ctx context.Context, args []string) int {
	fs := e.newFlags("audit verify", "")
	cf := e.coopFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		head, err := c.st.AuditHead(ctx)
		if err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		// Stream the log through the checker without holding it: a producer
		// goroutine feeds entries one at a time.
		entries := make(chan audit.Entry, 256)
		scanErr := make(chan error, 1)
		go func() {
			defer close(entries)
			scanErr <- c.st.EachAudit(ctx, func(x audit.Entry) error {
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
			return e.fail(exitFailure, "%v", err)
		}
		out := map[string]any{"intact": verr == nil, "entries": n, "head": head.Seq, "head_hash": hex.EncodeToString(head.Hash[:])}
		var broken *audit.BrokenError
		if errors.As(verr, &broken) {
			out["first_bad_entry"] = broken.Seq
			out["reason"] = broken.Reason
		} else if verr != nil {
			return e.fail(exitFailure, "%v", verr)
		}
		code := e.result(*cf.asJSON, out, func() {
			if verr == nil {
				fmt.Fprintf(e.stdout, "audit log intact: %d entries, chain verified to the recorded head\n", n)
				return
			}
			fmt.Fprintf(e.stdout, "audit log BROKEN: %v\n", verr)
		})
		if verr != nil {
			return exitFailure
		}
		return code
	})
}
