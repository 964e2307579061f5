package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"time"

	"github.com/concord-cert/concord/internal/assess"
	cooperation "github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/enrich"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/store"
)

func runAssess(ctx context.Context, e *env, args []string) int {
	fl := e.newFlags("assess", "[--db PATH] [--json|--html] [--out FILE] FILE\n\nFILE is JSON or YAML (docs/assessment.md); - reads standard input.")
	db := fl.String("db", "", "database `path` whose IP database, relay lists and stored feeds to consult (default: the configured database when it exists, else the embedded IP database alone)")
	asJSON := fl.Bool("json", false, "print JSON")
	asHTML := fl.Bool("html", false, "print one self-contained HTML page")
	out := fl.String("out", "", "write to `file` instead of standard output")
	files, err := parse(fl, args)
	if err != nil {
		return exitUsage
	}
	if len(files) != 1 {
		fl.Usage()
		return exitUsage
	}
	if *asJSON && *asHTML {
		return e.fail(exitUsage, "choose --json or --html, not both")
	}
	data, err := readLimited(e.stdin, files[0], assess.MaxInputSize)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	in, err := assess.ParseInput(files[0], data)
	if err != nil {
		return e.fail(exitUsage, "%v", err)
	}
	bg, closeBG, err := e.background(ctx, *db)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer closeBG()
	r, err := assess.Assess(ctx, in, bg)
	if err != nil {
		return e.fail(exitUsage, "%v", err)
	}
	var buf bytes.Buffer
	switch {
	case *asJSON:
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(r)
	case *asHTML:
		err = r.WriteHTML(&buf)
	default:
		err = r.WriteText(&buf)
	}
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	if *out != "" {
		if err := writeFileAtomic(*out, buf.Bytes()); err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		fmt.Fprintf(e.stderr, "wrote %s (%s)\n", *out, humanBytes(int64(buf.Len())))
		return exitOK
	}
	if _, err := e.stdout.Write(buf.Bytes()); err != nil {
		return exitFailure
	}
	return exitOK
}

// readLimited reads a file, or standard input for "-", refusing anything
// larger than limit bytes.
func readLimited(stdin io.Reader, path string, limit int64) ([]byte, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than the %d bytes this command reads", path, limit)
	}
	return data, nil
}

// background opens what an assessment consults: the database named by
// --db (which must exist), else the configured one when it exists, else
// the embedded IP database alone — an assessment needs no setup.
func (e *env) background(ctx context.Context, path string) (assess.Background, func(), error) {
	if path == "" {
		if _, err := os.Stat(e.cfg.DB); err == nil || node.IsPostgres(e.cfg.DB) {
			path = e.cfg.DB
		}
	} else if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && !node.IsPostgres(path) {
		return nil, nil, fmt.Errorf("--db %s: no such database; ingest into it first, or leave --db out to use the embedded IP database alone", path)
	}
	if path == "" {
		geo, err := ipdb.Default()
		if err != nil {
			return nil, nil, err
		}
		return &cooperation.Background{Geo: geo, Enricher: enrich.New(geo, nil)}, func() {}, nil
	}
	s, err := node.Open(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	// Every list entry keeps its period, so loading them all lets each
	// observation be judged at its own time.
	if err := s.LoadLists(ctx, time.Time{}, time.Time{}); err != nil {
		s.Close()
		return nil, nil, err
	}
	bg := &cooperation.Background{Geo: s.Geo, Enricher: enrich.New(s.Geo, s.Lists), ListKinds: s.ListKinds, Store: s.St, Path: path}
	return bg, func() { s.Close() }, nil
}

// background is the assessment background as demo.go builds it, field by
// field; it answers through cooperation.Background, which the other
// commands use directly.
type background struct {
	geo   *ipdb.DB
	en    *enrich.Enricher
	st    store.Reader
	lists map[string]int
	path  string
}

func (b *background) shared() *cooperation.Background {
	return &cooperation.Background{Geo: b.geo, Enricher: b.en, ListKinds: b.lists, Store: b.st, Path: b.path}
}

func (b *background) Place(ip netip.Addr) assess.Place { return b.shared().Place(ip) }

func (b *background) Flags(ip netip.Addr, t time.Time) event.Flags { return b.shared().Flags(ip, t) }

func (b *background) History(ctx context.Context, ip netip.Addr, from, to int32) ([]store.Fact, error) {
	return b.shared().History(ctx, ip, from, to)
}

func (b *background) EventTLP(ctx context.Context, key string) (event.TLP, bool, bool, error) {
	return b.shared().EventTLP(ctx, key)
}

func (b *background) Consulted() assess.Sources { return b.shared().Consulted() }
