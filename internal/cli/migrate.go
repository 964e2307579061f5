package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/concord-cert/concord/internal/migrate"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/store/postgres"
	"github.com/concord-cert/concord/internal/store/sqlite"
)

// migrateOutput is what `concord migrate --json` prints.
type migrateOutput struct {
	OK          bool   `json:"ok"`
	From        string `json:"from"`
	To          string `json:"to"`
	FailedCheck string `json:"failed_check,omitempty"`
	Error       string `json:"error,omitempty"`
	*migrate.Report
}

// runMigrate moves a SQLite database into an empty PostgreSQL database
// and verifies the move: exit 0 when every check passed, 1 naming the
// first that failed (or why nothing was moved), 2 for a wrong command
// line.
func runMigrate(ctx context.Context, e *env, args []string) int {
	fs := e.newFlags("migrate", "--from PATH.db --to postgres://USER@HOST:PORT/DATABASE [--json]")
	from := fs.String("from", "", "the SQLite `database` to move (only read)")
	to := fs.String("to", "", "the empty PostgreSQL `database` to move it to, as postgres://user@host:port/database")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	switch {
	case len(pos) > 0:
		return e.fail(exitUsage, "migrate takes no arguments, only --from and --to (got %q)", strings.Join(pos, " "))
	case *from == "" || *to == "":
		return e.fail(exitUsage, "give both --from PATH.db and --to postgres://user@host:port/database")
	case node.IsPostgres(*from):
		return e.fail(exitUsage, "--from must be a SQLite file; migrate moves SQLite to PostgreSQL only")
	case !node.IsPostgres(*to):
		return e.fail(exitUsage, "--to must be a PostgreSQL address, postgres://user@host:port/database (create the database first: createdb NAME)")
	}
	where := redact(*to)
	fail := func(err error) int {
		var ce *migrate.CheckError
		if *asJSON {
			out := migrateOutput{From: *from, To: where, Error: err.Error()}
			if errors.As(err, &ce) {
				out.FailedCheck = ce.Check
			}
			e.printJSON(out)
			return exitFailure
		}
		return e.fail(exitFailure, "%v", err)
	}
	if err := checkSource(ctx, *from); err != nil {
		return fail(err)
	}
	src, err := sqlite.Open(ctx, *from)
	if err != nil {
		return fail(err)
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, *to)
	if err != nil {
		return fail(err)
	}
	defer dst.Close()

	var progress func(string, int64)
	if isTerminal(e.stderr) && !*asJSON {
		progress = func(table string, rows int64) {
			fmt.Fprintf(e.stderr, "\r\033[K  copying %s: %s rows", table, thousands(rows))
		}
	}
	rep, err := migrate.SQLiteToPostgres(ctx, src, dst, progress)
	if progress != nil {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	var ce *migrate.CheckError
	if err != nil && (!errors.As(err, &ce) || len(rep.Checks) == 0) {
		return fail(err) // nothing was verified: refused, or the copy failed
	}
	out := migrateOutput{OK: err == nil, From: *from, To: where, Report: &rep}
	if ce != nil {
		out.FailedCheck, out.Error = ce.Check, ce.Error()
	}
	if *asJSON {
		if err := e.printJSON(out); err != nil {
			return exitFailure
		}
	} else {
		e.writeMigrate(&out)
	}
	if err != nil {
		if !*asJSON {
			return e.fail(exitFailure, "%v", err)
		}
		return exitFailure
	}
	return exitOK
}

// writeMigrate prints the summary of a move.
func (e *env) writeMigrate(out *migrateOutput) {
	verb := "Moved"
	if !out.OK {
		verb = "Copied (but the move did NOT verify)"
	}
	fmt.Fprintf(e.stdout, "%s %s to %s in %.1f s.\n\n", verb, out.From, out.To, out.Seconds)
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "table\tsource\tcopied\tdestination\t")
	for _, t := range out.Tables {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t\n", t.Table, thousands(t.Source), thousands(t.Copied), thousands(t.Destination))
	}
	w.Flush()
	fmt.Fprintf(e.stdout, "\ndigest      %s\n", out.Digest)
	fmt.Fprintf(e.stdout, "audit head  entry %d, hash %s\n", out.AuditHead.Seq, out.AuditHead.Hash)
	var ids []string
	for _, k := range slices.Sorted(maps.Keys(out.NextIDs)) {
		ids = append(ids, fmt.Sprintf("%s %d", k, out.NextIDs[k]))
	}
	fmt.Fprintf(e.stdout, "next ids    %s\n\n", strings.Join(ids, ", "))
	for _, c := range out.Checks {
		mark := "ok    "
		if !c.OK {
			mark = "FAILED"
		}
		fmt.Fprintf(e.stdout, "check %-13s %s %s\n", c.Name, mark, c.Detail)
	}
}

// checkSource makes sure path is an existing SQLite database that
// sqlite.Open will not change: opening a missing file would create it,
// and opening an older schema would upgrade it.
func checkSource(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("migrate: the source %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return fmt.Errorf("migrate: open %s: %w", path, err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("migrate: %s is not a Concord database (%v)", path, err)
	}
	if v < migrate.SchemaVersion {
		return fmt.Errorf("migrate: %s is at schema version %d; bring it to %d first by running this concord on it once (concord audit verify --db %s)", path, v, migrate.SchemaVersion, path)
	}
	return nil
}

// redact drops the password from a PostgreSQL address, for messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "the PostgreSQL database"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}
