package cli

import (
	"context"
	"fmt"

	"github.com/concord-cert/concord/internal/node"
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
		res, err := node.VerifyAudit(ctx, c.st)
		if err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		code := e.result(*cf.asJSON, res, func() {
			if res.Intact {
				fmt.Fprintf(e.stdout, "audit log intact: %d entries, chain verified to the recorded head\n", res.Entries)
				return
			}
			fmt.Fprintf(e.stdout, "audit log BROKEN: %v\n", res.Broken)
		})
		if !res.Intact {
			return exitFailure
		}
		return code
	})
}
