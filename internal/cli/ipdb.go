package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/node"
)

func runIPDB(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || (args[0] != "info" && args[0] != "load") {
		fmt.Fprintln(e.stderr, "Usage: concord ipdb info [--db PATH] [--json]\n       concord ipdb load FILE... --db PATH [--name NAME --version VERSION]\n\nload accepts MaxMind-format .mmdb files (GeoLite2, DB-IP, IPinfo) and CSV ranges\n(start,end,CC | start,end,ASN,name | CIDR,CC | CIDR,ASN,name).")
		return exitUsage
	}
	if args[0] == "info" {
		return ipdbInfo(ctx, e, args[1:])
	}
	return ipdbLoad(ctx, e, args[1:])
}

// ipdbInfoJSON is `concord ipdb info --json`.
type ipdbInfoJSON = node.IPDBInfo

func ipdbInfo(ctx context.Context, e *env, args []string) int {
	fs := e.newFlags("ipdb info", "[--db PATH] [--json]")
	db := fs.String("db", "", "database `path` (default: show the embedded IP database)")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	var geo *ipdb.DB
	source := "embedded in the concord binary"
	if *db != "" {
		s, err := node.Open(ctx, *db)
		if err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		defer s.Close()
		geo = s.Geo
		if rec, err := s.St.ActiveIPDB(ctx); err == nil && rec.Data != nil {
			source = fmt.Sprintf("loaded into %s on %s", *db, rec.Loaded.Format(time.DateOnly))
		}
	} else {
		var err error
		if geo, err = ipdb.Default(); err != nil {
			return e.fail(exitFailure, "%v", err)
		}
	}
	out := node.DescribeIPDB(geo, source)
	if *asJSON {
		e.printJSON(out)
		return exitOK
	}
	fmt.Fprintf(e.stdout, "IP database  %s (%s)\n", out.ID, source)
	if out.Description != "" {
		fmt.Fprintf(e.stdout, "description  %s\n", out.Description)
	}
	if out.Built != "" {
		fmt.Fprintf(e.stdout, "built        %s\n", out.Built)
	}
	fmt.Fprintf(e.stdout, "ranges       %s IPv4, %s IPv6; %s autonomous systems\n", thousands(int64(out.Ranges4)), thousands(int64(out.Ranges6)), thousands(int64(out.ASNs)))
	fmt.Fprintf(e.stdout, "answers      country: %v, AS: %v\n", out.Country, out.ASN)
	if out.Attribution != "" {
		fmt.Fprintf(e.stdout, "attribution  %s\n", strings.ReplaceAll(out.Attribution, "\n", "\n             "))
	}
	return exitOK
}

func ipdbLoad(ctx context.Context, e *env, args []string) int {
	fs := e.newFlags("ipdb load", "FILE... [flags]")
	db := fs.String("db", e.cfg.DB, "database `path`")
	name := fs.String("name", "", "`name` for CSV files (default: the file name)")
	version := fs.String("version", "", "`version` for CSV files (default: the file's modification date)")
	files, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(files) == 0 {
		fs.Usage()
		return exitUsage
	}
	s, err := node.Open(ctx, *db)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer s.Close()
	var loaded []*ipdb.DB
	for _, path := range files {
		db, err := loadIPDBFile(path, *name, *version)
		if err != nil {
			return e.fail(exitFailure, "%s: %v", path, err)
		}
		in := db.Info()
		fmt.Fprintf(e.stdout, "%s: %s, %s IPv4 and %s IPv6 ranges (country: %v, AS: %v)\n", path, db.ID(),
			thousands(int64(in.Ranges4)), thousands(int64(in.Ranges6)), in.HasCountry, in.HasASN)
		loaded = append(loaded, db)
	}
	merged, err := s.ActivateIPDB(ctx, loaded...)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	fmt.Fprintf(e.stdout, "now enriching with %s; events already stored keep the database that enriched them\n", merged.ID())
	return exitOK
}

// loadIPDBFile reads an .mmdb or CSV file; a CSV file's version defaults
// to its modification date.
func loadIPDBFile(path, name, version string) (*ipdb.DB, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if version == "" {
		if st, err := os.Stat(path); err == nil {
			version = st.ModTime().UTC().Format(time.DateOnly)
		}
	}
	return node.ParseIPDB(b, path, name, version)
}
