package cli

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/concord-cert/concord/internal/enrich"
	"github.com/concord-cert/concord/internal/event"
)

func runLists(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || (args[0] != "import" && args[0] != "show") {
		fmt.Fprintln(e.stderr, "Usage: concord lists import KIND FILE --db PATH [--from DATE] [--to DATE] [--fetched DATE]\n       concord lists show --db PATH\nKINDs: tor, proxy, vpn, hosting, sinkhole")
		return exitUsage
	}
	if args[0] == "show" {
		return listsShow(ctx, e, args[1:])
	}
	fs := e.newFlags("lists import", "KIND FILE [flags]")
	db := fs.String("db", e.cfg.DB, "database `path`")
	from := fs.String("from", "", "start of the period undated entries were listed (`date`); default: unbounded, or the fetch day for a Tor bulk list")
	to := fs.String("to", "", "end of that period (`date`)")
	fetched := fs.String("fetched", "", "`date` the list was downloaded (default: the file's modification time)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return exitUsage
	}
	if len(pos) != 2 {
		fs.Usage()
		return exitUsage
	}
	kind, ok := enrich.ListKinds[pos[0]]
	if !ok {
		return e.fail(exitUsage, "unknown list kind %q (use tor, proxy, vpn, hosting or sinkhole)", pos[0])
	}
	path := pos[1]
	f, err := os.Open(path)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer f.Close()
	opts := enrich.ListOptions{Kind: kind, Source: filepath.Base(path)}
	if st, err := f.Stat(); err == nil {
		opts.Fetched = st.ModTime().UTC()
	}
	for _, fv := range []struct {
		val string
		dst *time.Time
		end bool
	}{{*from, &opts.From, false}, {*to, &opts.To, true}, {*fetched, &opts.Fetched, false}} {
		if fv.val == "" {
			continue
		}
		if *fv.dst, err = enrich.ParseDate(fv.val, fv.end); err != nil {
			return e.fail(exitUsage, "%v", err)
		}
	}
	if !opts.To.IsZero() && !opts.From.IsZero() && opts.To.Before(opts.From) {
		return e.fail(exitUsage, "--to is before --from")
	}
	entries, bad, err := enrich.ParseList(f, opts)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	st, err := openStore(ctx, *db)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer st.Close()
	added, extended, err := st.ImportList(ctx, entries)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	type rejected struct {
		Line   int    `json:"line"`
		Reason string `json:"reason"`
	}
	res := struct {
		Kind     string     `json:"kind"`
		File     string     `json:"file"`
		Entries  int        `json:"entries"`
		Added    int        `json:"added"`
		Extended int        `json:"extended"`
		Rejected []rejected `json:"rejected"`
	}{pos[0], path, len(entries), added, extended, []rejected{}}
	for _, b := range bad {
		res.Rejected = append(res.Rejected, rejected{b.Line, b.Reason})
	}
	if *asJSON {
		e.printJSON(res)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "%s list %s: %d entries read, %d new, %d extended an existing period, %d lines rejected\n",
		pos[0], path, len(entries), added, extended, len(bad))
	for _, b := range res.Rejected {
		fmt.Fprintf(e.stdout, "  line %d: %s\n", b.Line, b.Reason)
	}
	return exitOK
}

func listsShow(ctx context.Context, e *env, args []string) int {
	fs := e.newFlags("lists show", "[--db PATH]")
	db := fs.String("db", e.cfg.DB, "database `path`")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	st, err := openStore(ctx, *db)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer st.Close()
	entries, err := st.ListEntries(ctx)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	type agg struct {
		n        int
		from, to time.Time
		sources  map[string]bool
	}
	byKind := map[event.Flags]*agg{}
	for _, en := range entries {
		a := byKind[en.Kind]
		if a == nil {
			a = &agg{sources: map[string]bool{}}
			byKind[en.Kind] = a
		}
		a.n++
		a.sources[en.Source] = true
		if !en.From.IsZero() && (a.from.IsZero() || en.From.Before(a.from)) {
			a.from = en.From
		}
		if en.To.After(a.to) {
			a.to = en.To
		}
	}
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "kind\tentries\tearliest\tlatest\tsources")
	for _, name := range slices.Sorted(maps.Keys(enrich.ListKinds)) {
		a := byKind[enrich.ListKinds[name]]
		if a == nil {
			continue
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\n", name, a.n, dateOr(a.from, "always"), dateOr(a.to, "open"), joinComma(slices.Sorted(maps.Keys(a.sources))))
	}
	w.Flush()
	return exitOK
}

func dateOr(t time.Time, s string) string {
	if t.IsZero() {
		return s
	}
	return t.Format(time.DateOnly)
}
