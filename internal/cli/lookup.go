package cli

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/concord-cert/concord/internal/enrich"
	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/node"
)

// lookupResult is one address in `concord lookup --json`.
type lookupResult struct {
	IP      string   `json:"ip"`
	Country string   `json:"country"`
	ASN     uint32   `json:"asn"`
	ASName  string   `json:"as_name"`
	Flags   []string `json:"flags"`
	DB      string   `json:"db"`
}

func runLookup(ctx context.Context, e *env, args []string) int {
	fs := e.newFlags("lookup", "[--db PATH] [--at RFC3339] [--json] IP...")
	db := fs.String("db", "", "database `path` whose IP database and relay lists to use (default: the embedded IP database, no lists)")
	at := fs.String("at", "", "`time` at which to evaluate relay lists, RFC 3339 or YYYY-MM-DD (default: now)")
	asJSON := fs.Bool("json", false, "print JSON")
	ips, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(ips) == 0 {
		fs.Usage()
		return exitUsage
	}
	when := time.Now().UTC()
	if *at != "" {
		if when, err = parseWhen(*at); err != nil {
			return e.fail(exitUsage, "--at: %v", err)
		}
	}
	addrs := make([]netip.Addr, len(ips))
	for i, s := range ips {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return e.fail(exitUsage, "%q is not an IP address", s)
		}
		addrs[i] = a.Unmap()
	}
	var geo *ipdb.DB
	var lists *enrich.Index
	if *db != "" {
		s, err := node.Open(ctx, *db)
		if err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		defer s.Close()
		if err := s.LoadLists(ctx, when.Add(-24*time.Hour), when.Add(24*time.Hour)); err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		geo, lists = s.Geo, s.Lists
	} else if geo, err = ipdb.Default(); err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	en := enrich.New(geo, lists)
	out := make([]lookupResult, 0, len(addrs))
	for _, a := range addrs {
		r, f := en.Lookup(a, when)
		out = append(out, lookupResult{IP: a.String(), Country: r.CC, ASN: r.ASN, ASName: r.ASName, Flags: f.Names(), DB: geo.ID()})
	}
	if *asJSON {
		e.printJSON(out)
		return exitOK
	}
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ip\tcountry\tasn\tas name\tflags")
	for _, r := range out {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.IP, dash(r.Country), dashASN(r.ASN), dash(r.ASName), dash(strings.Join(r.Flags, ",")))
	}
	w.Flush()
	fmt.Fprintf(e.stdout, "\nIP database: %s; relay lists evaluated at %s\n", geo.ID(), when.Format(time.RFC3339))
	return exitOK
}

// parseWhen reads RFC 3339 or a date (midday UTC, so a date means that day).
func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return t, fmt.Errorf("%q is neither RFC 3339 nor YYYY-MM-DD", s)
	}
	return t.Add(12 * time.Hour), nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func dashASN(n uint32) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("AS%d", n)
}
