package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/misp"
)

// runExportMISP writes `concord export misp`: the period's facts as one
// MISP event (see misp.Exporter).
func runExportMISP(ctx context.Context, e *env, args []string) int {
	fs := e.newFlags("export misp", "--db PATH [--from DATE --to DATE] [--tlp-max LABEL] --out FILE")
	a := e.exportFlags(fs, "event")
	rolesS := fs.String("roles", "c2-server,attack-source", "`roles` to export, comma-separated: c2-server, attack-source, infected-host, vulnerable-host, malicious-host")
	generated := fs.String("generated", "", "event `time`stamp, RFC 3339 (default: now); fix it to make the output byte-identical across runs")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	var roles []event.Role
	for _, s := range strings.Split(*rolesS, ",") {
		r, err := event.ParseRole(strings.TrimSpace(s))
		if err != nil || r == event.RoleTarget {
			return e.fail(exitUsage, "--roles: %q is not a role facts are kept for (use c2-server, attack-source, infected-host, vulnerable-host or malicious-host)", s)
		}
		roles = append(roles, r)
	}
	var gen time.Time
	if *generated != "" {
		var err error
		if gen, err = time.Parse(time.RFC3339, *generated); err != nil {
			return e.fail(exitUsage, "--generated %q is not an RFC 3339 time", *generated)
		}
	}
	src, code := e.openExport(ctx, a, "event")
	if code != exitOK {
		return code
	}
	defer src.st.Close()
	x := &misp.Exporter{Facts: src.st, Agency: src.agency, From: src.from, To: src.to, TLPMax: src.max, Roles: roles, Generated: gen}
	var sum misp.Summary
	err := e.writeExport(*a.out, func(w io.Writer) error {
		var err error
		sum, err = x.Export(ctx, w)
		return err
	})
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	if *a.asJSON {
		e.printJSON(sum)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "wrote %s: MISP event %s with %s attributes", *a.out, sum.Event, thousands(sum.Attributes))
	if sum.Strictest != "" {
		fmt.Fprintf(e.stderr, "; strictest marking %s", sum.Strictest)
	}
	if sum.Withheld > 0 {
		fmt.Fprintf(e.stderr, "; %s facts withheld, %s", thousands(sum.Withheld), sum.WithheldBy)
	}
	fmt.Fprintln(e.stderr)
	return exitOK
}
