package cli

import (
	"context"
	"fmt"
	"strings"

	cooperation "github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/node"
)

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// caseLink links stored events, victim reports, notes, tasks and
// assessments to a case.
func (e *env) caseLink(ctx context.Context, args []string) int {
	fs := e.newFlags("case link", "--id ID [--event KEY]... [--report REF]... [--note TEXT]... [--task TEXT]... [--assessment FILE]...")
	cf := e.coopFlags(fs)
	id := fs.Int64("id", 0, "case `id`")
	var events, reports, notes, tasks, assessments multiFlag
	fs.Var(&events, "event", "stored event `key` (32 hex digits, as ingest and assess print it)")
	fs.Var(&reports, "report", "victim report `reference`")
	fs.Var(&notes, "note", "a note `text`")
	fs.Var(&tasks, "task", "a task `text`")
	fs.Var(&assessments, "assessment", "`file` written by concord assess --json; kept in the vault")
	if _, err := parse(fs, args); err != nil || *id == 0 {
		fs.Usage()
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		links := cooperation.Links{Events: events, Reports: reports, Notes: notes, Tasks: tasks}
		for _, path := range assessments {
			links.Assessments = append(links.Assessments, cooperation.File{Name: path, Read: func() ([]byte, error) {
				return readLimited(e.stdin, path, cooperation.MaxAssessment)
			}})
		}
		n, err := c.n.Link(ctx, *id, links)
		if err != nil {
			return e.coopError(*cf.asJSON, err)
		}
		return e.result(*cf.asJSON, map[string]any{"id": *id, "linked": n}, func() {
			fmt.Fprintf(e.stdout, "case %d: %d items linked\n", *id, n)
		})
	})
}

// caseRoute suggests, from the addresses in a case's events, victim reports
// and assessments, the partner agency that can act in each country.
func (e *env) caseRoute(ctx context.Context, args []string) int {
	fs := e.newFlags("case route", "--id ID")
	cf := e.coopFlags(fs)
	id := fs.Int64("id", 0, "case `id`")
	if _, err := parse(fs, args); err != nil || *id == 0 {
		fs.Usage()
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		s := &node.Session{St: c.st}
		if err := s.LoadGeo(ctx); err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		routes, err := c.n.Routes(ctx, *id, s.Geo)
		if err != nil {
			return e.storeError(err)
		}
		return e.result(*cf.asJSON, map[string]any{"case": *id, "routes": routes}, func() {
			if len(routes) == 0 {
				fmt.Fprintln(e.stdout, "no addresses with a known country in this case's events and reports")
			}
			for _, r := range routes {
				fmt.Fprintf(e.stdout, "%s: %s\n  providers: %s\n  %s\n", r.Country, strings.Join(r.Addresses, ", "), dash(strings.Join(r.Providers, ", ")), r.Advice)
			}
		})
	})
}
