package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/misp"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/store"
)

// runExportMISP writes `concord export misp`: the period's facts as one
// MISP event (see misp.Exporter).
func runExportMISP(ctx context.Context, e *env, args []string) int {
	fs := e.newFlags("export misp", "--db PATH [--from DATE --to DATE] [--tlp-max LABEL] --out FILE")
	db := fs.String("db", e.cfg.DB, "database `path`")
	fromS := fs.String("from", "", "first `day` of the period, YYYY-MM-DD (default: first day of last month)")
	toS := fs.String("to", "", "last `day` of the period, inclusive (default: last day of last month)")
	tlpMax := fs.String("tlp-max", "TLP:AMBER", "most restrictive `marking` to export; days marked above it are left out")
	out := fs.String("out", "", "event `file` to write (- for standard output)")
	rolesS := fs.String("roles", "c2-server,attack-source", "`roles` to export, comma-separated: c2-server, attack-source, infected-host, vulnerable-host, malicious-host")
	generated := fs.String("generated", "", "event `time`stamp, RFC 3339 (default: now); fix it to make the output byte-identical across runs")
	asJSON := fs.Bool("json", false, "print a JSON summary")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	if *out == "" {
		return e.fail(exitUsage, "name the event file with --out FILE (- for standard output)")
	}
	if *db == "" {
		return e.fail(exitUsage, "name the database with --db PATH")
	}
	max, err := event.ParseTLP(*tlpMax)
	if err != nil {
		return e.fail(exitUsage, "--tlp-max: %v", err)
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
		if gen, err = time.Parse(time.RFC3339, *generated); err != nil {
			return e.fail(exitUsage, "--generated %q is not an RFC 3339 time", *generated)
		}
	}
	from, to, code := exportPeriod(e, *fromS, *toS)
	if code != exitOK {
		return code
	}
	if !node.IsPostgres(*db) {
		if _, err := os.Stat(*db); err != nil {
			return e.fail(exitFailure, "no database at %s: ingest something first, or name it with --db", *db)
		}
	}
	st, err := node.OpenStore(ctx, *db)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer st.Close()
	agency, err := st.SelfAgency(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return e.fail(exitFailure, "this node has no agency to name as the event's creator: register it with `concord agency add --self --id ID --name NAME --country CC`")
	}
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	x := &misp.Exporter{Facts: st, Agency: agency, From: from, To: to, TLPMax: max, Roles: roles, Generated: gen}
	var sum misp.Summary
	if *out == "-" {
		sum, err = x.Export(ctx, e.stdout)
	} else {
		err = writeStreamAtomic(*out, func(f *os.File) error {
			var err error
			sum, err = x.Export(ctx, f)
			return err
		})
	}
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	if *asJSON {
		e.printJSON(sum)
		return exitOK
	}
	fmt.Fprintf(e.stderr, "wrote %s: MISP event %s with %s attributes", *out, sum.Event, thousands(sum.Attributes))
	if sum.Strictest != "" {
		fmt.Fprintf(e.stderr, "; strictest marking %s", sum.Strictest)
	}
	if sum.Withheld > 0 {
		fmt.Fprintf(e.stderr, "; %s facts withheld, %s", thousands(sum.Withheld), sum.WithheldBy)
	}
	fmt.Fprintln(e.stderr)
	return exitOK
}
