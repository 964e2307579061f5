package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/stix"
	"github.com/concord-cert/concord/internal/store"
)

// exportFormats are the formats `concord export` writes, by name. A
// format's own file may add itself from init, so that each exchange format
// keeps its command in its own file.
var exportFormats = map[string]func(ctx context.Context, e *env, args []string) int{
	"stix": runExportSTIX,
	"misp": runExportMISP,
}

func runExport(ctx context.Context, e *env, args []string) int {
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range exportFormats {
			if !yield(n) {
				return
			}
		}
	})
	if len(args) == 0 || exportFormats[args[0]] == nil {
		fmt.Fprintf(e.stderr, "Usage: concord export %s --db PATH [--from DATE --to DATE] [--tlp-max LABEL] --out FILE\n", strings.Join(names, "|"))
		return exitUsage
	}
	return exportFormats[args[0]](ctx, e, args[1:])
}

// exportPeriod reads --from and --to (dates, inclusive); the default is
// the previous calendar month, as for `concord report`.
func exportPeriod(e *env, fromS, toS string) (from, to time.Time, code int) {
	from, to = lastMonth(time.Now().UTC())
	var err error
	if fromS != "" {
		if from, err = time.Parse(time.DateOnly, fromS); err != nil {
			return from, to, e.fail(exitUsage, "--from %q is not a date YYYY-MM-DD", fromS)
		}
	}
	if toS != "" {
		if to, err = time.Parse(time.DateOnly, toS); err != nil {
			return from, to, e.fail(exitUsage, "--to %q is not a date YYYY-MM-DD", toS)
		}
	}
	if to.Before(from) {
		return from, to, e.fail(exitUsage, "--to %s is before --from %s", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	return from, to, exitOK
}

func runExportSTIX(ctx context.Context, e *env, args []string) int {
	fs := e.newFlags("export stix", "--db PATH [--from DATE --to DATE] [--tlp-max LABEL] --out FILE")
	db := fs.String("db", e.cfg.DB, "database `path`")
	fromS := fs.String("from", "", "first `day` of the period, YYYY-MM-DD (default: first day of last month)")
	toS := fs.String("to", "", "last `day` of the period, inclusive (default: last day of last month)")
	tlpMax := fs.String("tlp-max", "TLP:AMBER", "most restrictive `marking` to export; days marked above it are left out")
	out := fs.String("out", "", "bundle `file` to write (- for standard output)")
	sightings := fs.Bool("sightings", false, "add an observed-data and a sighting per address and day")
	asJSON := fs.Bool("json", false, "print a JSON summary")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	if *out == "" {
		return e.fail(exitUsage, "name the bundle file with --out FILE (- for standard output)")
	}
	if *db == "" {
		return e.fail(exitUsage, "name the database with --db PATH")
	}
	max, err := event.ParseTLP(*tlpMax)
	if err != nil {
		return e.fail(exitUsage, "--tlp-max: %v", err)
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
		return e.fail(exitFailure, "this node has no agency to name as the bundle's creator: register it with `concord agency add --self --id ID --name NAME --country CC`")
	}
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	x := &stix.Exporter{Store: st, Markings: st, Agency: agency, From: from, To: to, TLPMax: max, Sightings: *sightings}
	var sum stix.Summary
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
	fmt.Fprintf(e.stderr, "wrote %s: %s objects — %s C&C servers, %s attack sources; strictest marking %s",
		*out, thousands(sum.Objects), thousands(sum.C2), thousands(sum.Attackers), sum.Strictest)
	if sum.Withheld > 0 {
		fmt.Fprintf(e.stderr, "; %s facts withheld, %s", thousands(sum.Withheld), sum.WithheldBy)
	}
	fmt.Fprintln(e.stderr)
	return exitOK
}

// writeStreamAtomic streams into a temporary file beside path and renames
// it into place once write succeeded and the data is on disk, so a reader
// never sees half a bundle; on failure the temporary file is removed.
func writeStreamAtomic(path string, write func(*os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	done = true
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
