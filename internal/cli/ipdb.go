package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/ipdb"
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
type ipdbInfoJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	Description string `json:"description"`
	Attribution string `json:"attribution"`
	Built       string `json:"built,omitempty"`
	Ranges4     int    `json:"ranges_ipv4"`
	Ranges6     int    `json:"ranges_ipv6"`
	ASNs        int    `json:"asns"`
	Country     bool   `json:"country"`
	ASN         bool   `json:"asn"`
	Source      string `json:"source"`
}

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
		s, err := openSession(ctx, *db)
		if err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		defer s.close()
		geo = s.geo
		if rec, err := s.st.ActiveIPDB(ctx); err == nil && rec.Data != nil {
			source = fmt.Sprintf("loaded into %s on %s", *db, rec.Loaded.Format(time.DateOnly))
		}
	} else {
		var err error
		if geo, err = ipdb.Default(); err != nil {
			return e.fail(exitFailure, "%v", err)
		}
	}
	in := geo.Info()
	out := ipdbInfoJSON{ID: geo.ID(), Name: in.Name, Version: in.Version, Description: in.Description, Attribution: in.Attribution,
		Ranges4: in.Ranges4, Ranges6: in.Ranges6, ASNs: in.ASNs, Country: in.HasCountry, ASN: in.HasASN, Source: source}
	if !in.Built.IsZero() {
		out.Built = in.Built.UTC().Format(time.DateOnly)
	}
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
	s, err := openSession(ctx, *db)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer s.close()
	merged := s.geo
	for _, path := range files {
		loaded, err := loadIPDBFile(path, *name, *version)
		if err != nil {
			return e.fail(exitFailure, "%s: %v", path, err)
		}
		in := loaded.Info()
		fmt.Fprintf(e.stdout, "%s: %s, %s IPv4 and %s IPv6 ranges (country: %v, AS: %v)\n", path, loaded.ID(),
			thousands(int64(in.Ranges4)), thousands(int64(in.Ranges6)), in.HasCountry, in.HasASN)
		// A country-only or AS-only file replaces that half and keeps the
		// other from the database in use.
		merged = ipdb.Overlay(merged, loaded)
	}
	var buf bytes.Buffer
	if err := merged.Encode(&buf); err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	if _, err := s.st.RegisterIPDB(ctx, merged.ID(), buf.Bytes(), true); err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	fmt.Fprintf(e.stdout, "now enriching with %s; events already stored keep the database that enriched them\n", merged.ID())
	return exitOK
}

// loadIPDBFile reads an .mmdb or CSV file.
func loadIPDBFile(path, name, version string) (*ipdb.DB, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if bytes.Contains(b[max(0, len(b)-128*1024):], []byte("\xab\xcd\xefMaxMind.com")) {
		return ipdb.LoadMMDB(b, filepath.Base(path))
	}
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	if version == "" {
		if st, err := os.Stat(path); err == nil {
			version = st.ModTime().UTC().Format(time.DateOnly)
		}
	}
	return ipdb.LoadCSV(bytes.NewReader(b), name, version)
}
