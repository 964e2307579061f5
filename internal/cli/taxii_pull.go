package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/feed"
	"github.com/concord-cert/concord/internal/ingest"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/taxiiclient"
)

// pullRunObjects bounds the objects of one ingest run of a pull. The STIX
// decoder reads its input whole (objects refer to each other in any
// order), so a backlog larger than this is ingested in several runs, the
// pull's state saved after each. A variable so that a test can make it
// small.
var pullRunObjects int64 = 50_000

// pullReport is what `concord taxii pull --json` prints for one pull: the
// ingest report of its runs (one per pull, more for a large backlog) and
// where the pull started and the next one starts.
type pullReport struct {
	URL        string `json:"url"`
	AddedAfter string `json:"added_after"`
	AddedLast  string `json:"added_last"`
	Pages      int    `json:"pages"`
	Objects    int64  `json:"objects"`
	ingestReport
}

// pullState is what is kept of the last pull of one collection URL.
type pullState struct {
	URL       string    `json:"url"`
	AddedLast string    `json:"added_last"`
	Pulled    time.Time `json:"pulled"`
}

// pullStore keeps one small JSON file per collection URL in the data
// directory (the store has no table for client state). One file per URL,
// written to a temporary file and renamed, so that two pulls of different
// collections never overwrite each other and a crash leaves either the
// old state or the new one.
type pullStore struct{ dir string }

func (p pullStore) path(url string) string {
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(p.dir, hex.EncodeToString(sum[:16])+".json")
}

// load returns the state of url; a URL never pulled has a zero state.
func (p pullStore) load(url string) (pullState, error) {
	b, err := os.ReadFile(p.path(url))
	if errors.Is(err, os.ErrNotExist) {
		return pullState{URL: url}, nil
	}
	if err != nil {
		return pullState{}, fmt.Errorf("taxii pull: state: %w", err)
	}
	var st pullState
	if err := json.Unmarshal(b, &st); err != nil || st.URL != url {
		return pullState{}, fmt.Errorf("taxii pull: the state file %s is damaged; delete it to pull the whole collection again", p.path(url))
	}
	return st, nil
}

// save writes st atomically.
func (p pullStore) save(st pullState) error {
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return fmt.Errorf("taxii pull: state: %w", err)
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(p.dir, ".pull-*.tmp")
	if err != nil {
		return fmt.Errorf("taxii pull: state: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("taxii pull: state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("taxii pull: state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("taxii pull: state: %w", err)
	}
	if err := os.Rename(f.Name(), p.path(st.URL)); err != nil {
		return fmt.Errorf("taxii pull: state: %w", err)
	}
	if d, err := os.Open(p.dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// readSecret reads a token or password from a file: secrets never travel
// on the command line, where process listings and shell histories show
// them.
func readSecret(path, what string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s file: %w", what, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s file %s is empty", what, path)
	}
	return s, nil
}

// runTAXIIPull is `concord taxii pull`: it reads what a partner's TAXII
// 2.1 collection (or another Concord node's) gained since the last pull
// and ingests it like a STIX file given to `concord ingest`.
func runTAXIIPull(ctx context.Context, e *env, args []string) int {
	fs := e.newFlags("taxii pull", "--url COLLECTION_URL [--token-file F | --user U --password-file F] [flags]")
	db := fs.String("db", e.cfg.DB, "database `path`")
	data := fs.String("data", "", "data `directory` where the last pull of each URL is kept (default: beside the database; CONCORD_DATA)")
	u := fs.String("url", "", "the TAXII 2.1 collection's `URL` (https://host/taxii2/api/collections/ID/)")
	tokenFile := fs.String("token-file", "", "`file` holding the API token (sent as Authorization: Bearer)")
	user := fs.String("user", "", "user `name` for HTTP Basic")
	passwordFile := fs.String("password-file", "", "`file` holding the HTTP Basic password")
	caFile := fs.String("ca-file", "", "PEM `file` of CA certificates to trust besides the system's")
	feedName := fs.String("feed", "", "feed `name` recorded on every event (default: stix)")
	tlp := fs.String("tlp", e.cfg.TLP, "TLP `label` for objects that carry no TLP marking")
	limit := fs.Int("limit", 1000, "objects per page asked of the server")
	every := fs.Duration("every", 0, "pull again every `duration` (e.g. 15m) until interrupted")
	timeout := fs.Duration("timeout", taxiiclient.DefaultTimeout, "time allowed for each request")
	asJSON := fs.Bool("json", false, "print one JSON object per pull instead of a summary")
	rest, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(rest) > 0 || *u == "" {
		fs.Usage()
		return exitUsage
	}
	if err := taxiiclient.CheckURL(*u); err != nil {
		return e.fail(exitUsage, "%v", err)
	}
	url := taxiiclient.Dir(*u)
	if *limit <= 0 || *every < 0 || *timeout <= 0 {
		return e.fail(exitUsage, "--limit, --every and --timeout must be positive")
	}
	marking, err := event.ParseTLP(*tlp)
	if err != nil {
		return e.fail(exitUsage, "%v", err)
	}
	opts := taxiiclient.Options{CAFile: *caFile, Timeout: *timeout}
	switch {
	case *tokenFile != "" && (*user != "" || *passwordFile != ""):
		return e.fail(exitUsage, "give either --token-file or --user and --password-file, not both")
	case *tokenFile != "":
		if opts.Token, err = readSecret(*tokenFile, "token"); err != nil {
			return e.fail(exitUsage, "%v", err)
		}
	case *user != "" || *passwordFile != "":
		if *user == "" || *passwordFile == "" {
			return e.fail(exitUsage, "HTTP Basic needs both --user and --password-file")
		}
		opts.User = *user
		if opts.Password, err = readSecret(*passwordFile, "password"); err != nil {
			return e.fail(exitUsage, "%v", err)
		}
	}
	cl, err := taxiiclient.New(opts)
	if err != nil {
		return e.fail(exitUsage, "%v", err)
	}
	dir := dataDir(*db, *data)
	if dir == "" {
		return e.fail(exitUsage, "with a PostgreSQL database, name the data directory where pulls are remembered with --data (or CONCORD_DATA)")
	}
	s, err := node.Open(ctx, *db)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer s.Close()
	if err := s.LoadLists(ctx, time.Time{}, time.Time{}); err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	limitMemory()

	p := &puller{s: s, cl: cl, stderr: e.stderr, url: url, limit: *limit, state: pullStore{filepath.Join(dir, "taxii-pull")},
		opts: ingest.Options{Format: "stix", Feed: feed.Options{Feed: *feedName, TLP: &marking}}}
	for first := true; ; first = false {
		if !first {
			if err := s.Refresh(ctx); err != nil {
				e.fail(exitFailure, "%v", err)
			}
		}
		rep, err := p.pull(ctx)
		switch {
		case ctx.Err() != nil:
			if *every > 0 {
				return exitOK
			}
			return e.fail(exitFailure, "interrupted; what was committed is stored, and the next pull starts after it")
		case err != nil:
			e.fail(exitFailure, "%v", err)
			if *every == 0 {
				return exitFailure
			}
		default:
			e.writePull(rep, *asJSON)
		}
		if *every == 0 {
			return exitOK
		}
		select {
		case <-ctx.Done():
			return exitOK
		case <-time.After(*every):
		}
	}
}

// puller pulls one collection into the store.
type puller struct {
	s     *node.Session
	cl    *taxiiclient.Client
	url   string
	limit int
	opts  ingest.Options
	state pullStore
	// stderr receives warnings.
	stderr io.Writer
	// warned is set once the user was told that the server sends no
	// X-TAXII-Date-Added-Last.
	warned bool
}

// pull reads the objects added since the last pull and ingests them. The
// state advances only after a run committed: a crash before that pulls
// the same objects again, and their content keys make them duplicates
// rather than new events.
func (p *puller) pull(ctx context.Context) (pullReport, error) {
	st, err := p.state.load(p.url)
	if err != nil {
		return pullReport{}, err
	}
	rep := pullReport{URL: p.url, AddedAfter: st.AddedLast, AddedLast: st.AddedLast, ingestReport: newIngestReport()}
	r := p.cl.NewReader(p.url, st.AddedLast, p.limit)
	page, err := r.Next(ctx)
	if err != nil {
		return rep, err
	}
	for {
		rep.Pages = r.Pages()
		if len(page.Objects) == 0 {
			return rep, nil
		}
		res, last, next, n, err := p.run(ctx, r, page)
		rep.Pages = r.Pages()
		rep.Objects += n
		if res.Format != "" || err == nil {
			rep.add(fileReport(res))
		}
		if err != nil {
			return rep, err
		}
		if last == "" && !p.warned {
			p.warned = true
			fmt.Fprintf(p.stderr, "concord: %s sends no X-TAXII-Date-Added-Last: each pull reads the whole collection again (what was stored is counted as duplicates)\n", p.url)
		}
		if last != "" && last != st.AddedLast {
			st.AddedLast, st.Pulled = last, time.Now().UTC()
			if err := p.state.save(st); err != nil {
				return rep, err
			}
			rep.AddedLast = last
		}
		if next.Objects == nil {
			return rep, nil
		}
		page = next
	}
}

// run ingests first and the pages after it, up to pullRunObjects objects,
// as one ingest run whose input is one TAXII envelope. It returns the
// run's result, the X-TAXII-Date-Added-Last of the last page ingested,
// the page fetched but left for the next run (no objects when the
// collection was read to its end) and the number of objects read.
func (p *puller) run(ctx context.Context, r *taxiiclient.Reader, first taxiiclient.Page) (ingest.Result, string, taxiiclient.Page, int64, error) {
	pr, pw := io.Pipe()
	type produced struct {
		last string
		next taxiiclient.Page
		n    int64
		err  error
	}
	done := make(chan produced, 1)
	go func() {
		var out produced
		defer func() { done <- out }()
		write := func(s string) bool {
			if _, err := io.WriteString(pw, s); err != nil {
				out.err = err
				return false
			}
			return true
		}
		if !write(`{"type":"bundle","objects":[`) {
			return
		}
		page := first
		for {
			for _, o := range page.Objects {
				sep := ","
				if out.n == 0 {
					sep = ""
				}
				if _, err := pw.Write(append([]byte(sep), o...)); err != nil {
					out.err = err
					return
				}
				out.n++
			}
			out.last = r.AddedLast()
			np, err := r.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				out.err = err
				pw.CloseWithError(err)
				return
			}
			if len(np.Objects) == 0 {
				out.last = r.AddedLast()
				break
			}
			if out.n+int64(len(np.Objects)) > pullRunObjects {
				out.next = np
				break
			}
			page = np
		}
		if write(`]}`) {
			pw.Close()
		}
	}()
	res, err := p.s.Ingest(ctx, node.Input{Name: p.url, R: pr, Opts: p.opts})
	pr.Close() // a producer still writing gets io.ErrClosedPipe
	out := <-done
	if out.err != nil && !errors.Is(out.err, io.ErrClosedPipe) && err != nil {
		// The server's error says more than the decoder's read error.
		return res, "", taxiiclient.Page{}, out.n, out.err
	}
	if err != nil {
		return res, "", taxiiclient.Page{}, out.n, err
	}
	return res, out.last, out.next, out.n, nil
}

// writePull prints one pull's report.
func (e *env) writePull(rep pullReport, asJSON bool) {
	if asJSON {
		e.printJSON(rep)
		return
	}
	after := rep.AddedAfter
	if after == "" {
		after = "the beginning"
	}
	if rep.Objects == 0 {
		fmt.Fprintf(e.stdout, "%s: nothing added after %s\n", rep.URL, after)
		return
	}
	fmt.Fprintf(e.stdout, "%s: %s in %s added after %s", rep.URL, plural(rep.Objects, "object"), plural(int64(rep.Pages), "page"), after)
	if rep.AddedLast != "" {
		fmt.Fprintf(e.stdout, "; the next pull starts after %s", rep.AddedLast)
	}
	fmt.Fprintln(e.stdout)
	if len(rep.Files) > 0 {
		fmt.Fprintln(e.stdout)
		e.writeIngest(rep.ingestReport, false)
	}
}
