package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/concord-cert/concord/internal/node"
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
	path := pos[1]
	imp := node.ListImport{Kind: pos[0], Source: filepath.Base(path), From: *from, To: *to, Fetched: *fetched}
	if st, err := os.Stat(path); err == nil {
		imp.Modified = st.ModTime()
	}
	opts, err := imp.Options()
	if err != nil {
		return e.fail(exitUsage, "%v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer f.Close()
	st, err := node.OpenStore(ctx, *db)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer st.Close()
	res, err := node.ImportList(ctx, st, f, pos[0], path, opts)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	if *asJSON {
		e.printJSON(res)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "%s list %s: %d entries read, %d new, %d extended an existing period, %d lines rejected\n",
		res.Kind, res.File, res.Entries, res.Added, res.Extended, len(res.Rejected))
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
	st, err := node.OpenStore(ctx, *db)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer st.Close()
	lists, err := node.SummarizeLists(ctx, st)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "kind\tentries\tearliest\tlatest\tsources")
	for _, l := range lists {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\n", l.Kind, l.Entries, dateOr(l.Earliest, "always"), dateOr(l.Latest, "open"), joinComma(l.Sources))
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
