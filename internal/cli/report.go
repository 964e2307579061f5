package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/stats"
)

func runReport(ctx context.Context, e *env, args []string) int {
	fs := e.newFlags("report", "--from YYYY-MM-DD --to YYYY-MM-DD --home CC [flags]")
	db := fs.String("db", e.cfg.DB, "database `path`")
	fromS := fs.String("from", "", "first `day` of the period, YYYY-MM-DD (default: first day of last month)")
	toS := fs.String("to", "", "last `day` of the period, inclusive (default: last day of last month)")
	home := fs.String("home", e.cfg.Home, "reporting `country`, ISO 3166-1 alpha-2: what counts as domestic (or CONCORD_HOME)")
	format := fs.String("format", "text", "output `format`: text, json, csv or html")
	out := fs.String("out", "", "write to `file` instead of standard output (for csv: a directory gets one file per table)")
	bucket := fs.String("bucket", "", "trend `granularity`: day, week or month (default: from the period's length)")
	top := fs.Int("top", 10, "`rows` per ranked table in text and html (json and csv have every row)")
	generated := fs.String("generated", "", "generation `time` to print, RFC 3339 (default: now); fix it to make the output byte-identical across runs")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	now := time.Now().UTC()
	from, to := lastMonth(now)
	var err error
	if *fromS != "" {
		if from, err = time.Parse(time.DateOnly, *fromS); err != nil {
			return e.fail(exitUsage, "--from %q is not a date YYYY-MM-DD", *fromS)
		}
	}
	if *toS != "" {
		if to, err = time.Parse(time.DateOnly, *toS); err != nil {
			return e.fail(exitUsage, "--to %q is not a date YYYY-MM-DD", *toS)
		}
	}
	if to.Before(from) {
		return e.fail(exitUsage, "--to %s is before --from %s", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	*home = strings.ToUpper(*home)
	if len(*home) != 2 {
		return e.fail(exitUsage, "name the reporting country with --home CC (or CONCORD_HOME), e.g. --home PL")
	}
	gen := now
	if *generated != "" {
		if gen, err = time.Parse(time.RFC3339, *generated); err != nil {
			return e.fail(exitUsage, "--generated %q is not an RFC 3339 time", *generated)
		}
	}
	switch *format {
	case "text", "json", "csv", "html":
	default:
		return e.fail(exitUsage, "--format %q: use text, json, csv or html", *format)
	}
	switch *bucket {
	case "", "day", "week", "month":
	default:
		return e.fail(exitUsage, "--bucket %q: use day, week or month", *bucket)
	}

	st, err := node.OpenStore(ctx, *db)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer st.Close()
	r, err := node.Report(ctx, st, stats.Options{From: from, To: to, Home: *home, Bucket: *bucket, Generated: gen})
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	if *format == "csv" && *out != "" {
		if st, err := os.Stat(*out); (err == nil && st.IsDir()) || strings.HasSuffix(*out, "/") {
			if err := stats.WriteCSVDir(*out, r); err != nil {
				return e.fail(exitFailure, "%v", err)
			}
			fmt.Fprintf(e.stderr, "wrote %d CSV tables to %s\n", len(stats.Tables(r)), *out)
			return exitOK
		}
	}
	var buf bytes.Buffer
	switch *format {
	case "text":
		err = stats.WriteText(&buf, r, *top)
	case "json":
		var b []byte
		b, err = stats.MarshalJSON(r)
		buf.Write(b)
	case "csv":
		err = stats.WriteCSV(&buf, r)
	case "html":
		err = stats.WriteHTML(&buf, r, *top)
	}
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	var w io.Writer = e.stdout
	if *out != "" {
		if err := writeFileAtomic(*out, buf.Bytes()); err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		fmt.Fprintf(e.stderr, "wrote %s (%s)\n", *out, humanBytes(int64(buf.Len())))
		return exitOK
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return exitFailure
	}
	return exitOK
}

// lastMonth returns the first and last day of the calendar month before
// now's.
func lastMonth(now time.Time) (time.Time, time.Time) {
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	return first, first.AddDate(0, 1, -1)
}

// writeFileAtomic writes data to path through a temporary file and a
// rename, so a reader never sees half a report.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
