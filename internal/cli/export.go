package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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

// exportArgs are the flags every export takes.
type exportArgs struct {
	db, from, to, tlpMax, out *string
	asJSON                    *bool
}

// exportFlags declares the flags every export takes; what names the file
// written ("bundle", "event").
func (e *env) exportFlags(fs *flag.FlagSet, what string) exportArgs {
	return exportArgs{
		db:     fs.String("db", e.cfg.DB, "database `path`"),
		from:   fs.String("from", "", "first `day` of the period, YYYY-MM-DD (default: first day of last month)"),
		to:     fs.String("to", "", "last `day` of the period, inclusive (default: last day of last month)"),
		tlpMax: fs.String("tlp-max", "TLP:AMBER", "most restrictive `marking` to export; days marked above it are left out"),
		out:    fs.String("out", "", what+" `file` to write (- for standard output)"),
		asJSON: fs.Bool("json", false, "print a JSON summary"),
	}
}

// exportSource is what an export reads: the store, this node's agency (the
// creator it names), the period and the strictest marking to let out.
type exportSource struct {
	st       store.CaseStore
	agency   store.Agency
	from, to time.Time
	max      event.TLP
}

// openExport checks the common flags and opens the store; on failure it
// returns the exit code, having said why. The caller closes src.st.
func (e *env) openExport(ctx context.Context, a exportArgs, what string) (*exportSource, int) {
	if *a.out == "" {
		return nil, e.fail(exitUsage, "name the %s file with --out FILE (- for standard output)", what)
	}
	if *a.db == "" {
		return nil, e.fail(exitUsage, "name the database with --db PATH")
	}
	max, err := event.ParseTLP(*a.tlpMax)
	if err != nil {
		return nil, e.fail(exitUsage, "--tlp-max: %v", err)
	}
	from, to, code := exportPeriod(e, *a.from, *a.to)
	if code != exitOK {
		return nil, code
	}
	if !node.IsPostgres(*a.db) {
		if _, err := os.Stat(*a.db); err != nil {
			return nil, e.fail(exitFailure, "no database at %s: ingest something first, or name it with --db", *a.db)
		}
	}
	st, err := node.OpenStore(ctx, *a.db)
	if err != nil {
		return nil, e.fail(exitFailure, "%v", err)
	}
	agency, err := st.SelfAgency(ctx)
	if err != nil {
		st.Close()
		if errors.Is(err, store.ErrNotFound) {
			return nil, e.fail(exitFailure, "this node has no agency to name as the %s's creator: register it with `concord agency add --self --id ID --name NAME --country CC`", what)
		}
		return nil, e.fail(exitFailure, "%v", err)
	}
	return &exportSource{st: st, agency: agency, from: from, to: to, max: max}, exitOK
}

// writeExport streams an export to standard output for "-", else into a
// temporary file renamed to out once complete.
func (e *env) writeExport(out string, write func(w io.Writer) error) error {
	if out == "-" {
		return write(e.stdout)
	}
	return writeStreamAtomic(out, func(f *os.File) error { return write(f) })
}

func runExportSTIX(ctx context.Context, e *env, args []string) int {
	fs := e.newFlags("export stix", "--db PATH [--from DATE --to DATE] [--tlp-max LABEL] --out FILE")
	a := e.exportFlags(fs, "bundle")
	sightings := fs.Bool("sightings", false, "add an observed-data and a sighting per address and day")
	imported := fs.String("imported", "period", "STIX objects kept from imported bundles to add: those received within the `period`, all, or none")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	if *imported != "period" && *imported != "all" && *imported != "none" {
		return e.fail(exitUsage, "--imported %q: give period, all or none", *imported)
	}
	src, code := e.openExport(ctx, a, "bundle")
	if code != exitOK {
		return code
	}
	defer src.st.Close()
	x := &stix.Exporter{Store: src.st, Markings: src.st, Agency: src.agency, From: src.from, To: src.to, TLPMax: src.max, Sightings: *sightings,
		ImportedAll: *imported == "all"}
	if ts, ok := src.st.(store.TAXII); ok && *imported != "none" {
		x.Imported = ts
	}
	var sum stix.Summary
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
	fmt.Fprintf(e.stderr, "wrote %s: %s objects — %s C&C servers, %s attack sources; strictest marking %s",
		*a.out, thousands(sum.Objects), thousands(sum.C2), thousands(sum.Attackers), sum.Strictest)
	if sum.Withheld > 0 {
		fmt.Fprintf(e.stderr, "; %s facts withheld, %s", thousands(sum.Withheld), sum.WithheldBy)
	}
	if sum.Imported > 0 {
		fmt.Fprintf(e.stderr, "; %s objects kept from imported STIX", thousands(sum.Imported))
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
