package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/feed"
	"github.com/concord-cert/concord/internal/ingest"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/web"
)

// ingester runs the server's ingests in the background, one at a time:
// writes to the store serialise anyway, and the C&C index that links
// flows to known servers learns from each run for the next. An upload is
// spooled to a file first, so neither memory nor a slow client holds the
// pipeline, and the file is removed when its run ends.
type ingester struct {
	s       *web.Server
	spool   string
	metaDir string
	done    func()

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex // held by the running ingest
	sess *node.Session

	liveMu sync.Mutex
	live   map[int64]*liveRun
}

// liveRun is a run in progress on this server.
type liveRun struct {
	prog *ingest.Progress
	size int64
}

// runMeta is what the server knows of a run it started beyond what the
// store keeps: the markings and who uploaded it. It lives beside the
// spool, one small JSON file per run.
type runMeta struct {
	// TLP is the label of the run's records that carry none of their own.
	TLP event.TLP `json:"tlp"`
	// RejectionsTLP marks the rejection reasons, which quote records:
	// TLP, or TLP:RED when a mapping reads each record's label from a
	// column and a rejected record's label is unknown.
	RejectionsTLP event.TLP `json:"rejections_tlp"`
	User          string    `json:"user"`
	Agency        string    `json:"agency"`
	Size          int64     `json:"size"`
	// Error is why the run stopped early, once it has.
	Error string `json:"error,omitempty"`
}

// errEmpty is returned for an upload without a byte.
var errEmpty = errors.New("the upload is empty: there is nothing to ingest")

func newIngester(s *web.Server, spool, metaDir string, done func()) (*ingester, error) {
	for _, d := range []string{spool, metaDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	// Uploads left by a server that stopped mid-run: their runs were
	// recorded as failed or never began, and the client was told so.
	left, _ := filepath.Glob(filepath.Join(spool, "upload-*"))
	for _, f := range left {
		s.Cfg.Log.Warn("events: removing an upload left in the spool by an earlier run", "file", f)
		os.Remove(f)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &ingester{s: s, spool: spool, metaDir: metaDir, done: done, ctx: ctx, cancel: cancel,
		sess: &node.Session{St: s.Store}, live: map[int64]*liveRun{}}, nil
}

// close cancels running ingests and waits up to grace for them to record
// their end: what was stored stays stored, and the run is recorded as
// failed, as `concord ingest` does when interrupted.
func (in *ingester) close(grace time.Duration) {
	in.cancel()
	done := make(chan struct{})
	go func() { in.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		in.s.Cfg.Log.Warn("events: an ingest did not stop in time")
	}
}

// receive streams r into a new spool file, renamed into place once
// complete, and returns its path and size.
func (in *ingester) receive(r io.Reader) (string, int64, error) {
	f, err := os.CreateTemp(in.spool, "upload-*.part")
	if err != nil {
		return "", 0, err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", 0, err
	}
	final := strings.TrimSuffix(f.Name(), ".part") + ".upload"
	if err := os.Rename(f.Name(), final); err != nil {
		os.Remove(f.Name())
		return "", 0, err
	}
	return final, n, nil
}

// job is one spooled upload to ingest.
type job struct {
	file string // spool path, removed when the run ends
	name string // recorded as the run's path; a format hint
	opts ingest.Options
	meta runMeta
}

// start runs j in the background and returns its run id once the run is
// recorded, or the error that kept the input from being read at all
// (ingest.ErrUnreadable, errEmpty). A run waits for the one before it.
func (in *ingester) start(ctx context.Context, j job) (int64, error) {
	begun := make(chan int64, 1)
	failed := make(chan error, 1)
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		defer os.Remove(j.file)
		id, err := in.run(j, begun)
		if id == 0 {
			if err == nil {
				err = errEmpty
			}
			failed <- err
			return
		}
		if err != nil {
			in.s.Cfg.Log.Warn("events: ingest failed", "run", id, "err", err)
			j.meta.Error = err.Error()
			if errors.Is(err, context.Canceled) {
				j.meta.Error = "interrupted: the server stopped; what was read is stored, and ingesting the same file again adds only what is missing"
			}
			if werr := in.writeMeta(id, j.meta); werr != nil {
				in.s.Cfg.Log.Warn("events: recording an ingest's error failed", "run", id, "err", werr)
			}
		}
	}()
	select {
	case id := <-begun:
		return id, nil
	case err := <-failed:
		return 0, err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// run ingests j's file and returns its run id, 0 when no run began.
func (in *ingester) run(j job, begun chan<- int64) (int64, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if err := in.ctx.Err(); err != nil {
		return 0, errors.New("the server is shutting down; send the file again when it is back")
	}
	if err := in.sess.Refresh(in.ctx); err != nil {
		return 0, err
	}
	f, err := os.Open(j.file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	prog := &ingest.Progress{}
	var id int64
	res, err := in.sess.Ingest(in.ctx, node.Input{Name: j.name, R: f, Opts: j.opts, Progress: prog, Begun: func(runID int64) {
		id = runID
		// The markings are on disk before anyone can ask for the run.
		if err := in.writeMeta(runID, j.meta); err != nil {
			in.s.Cfg.Log.Warn("events: recording an ingest's marking failed", "run", runID, "err", err)
		}
		in.liveMu.Lock()
		in.live[runID] = &liveRun{prog: prog, size: j.meta.Size}
		in.liveMu.Unlock()
		begun <- runID
	}})
	in.s.Metrics().Ingested(res.Counts)
	if id != 0 {
		in.liveMu.Lock()
		delete(in.live, id)
		in.liveMu.Unlock()
		in.done()
	}
	return id, err
}

// progress returns how far a run of this server has read, and false when
// it is not running here.
func (in *ingester) progress(id int64) (read, size int64, ok bool) {
	in.liveMu.Lock()
	defer in.liveMu.Unlock()
	lr := in.live[id]
	if lr == nil {
		return 0, 0, false
	}
	return lr.prog.Bytes(), lr.size, true
}

func (in *ingester) metaPath(id int64) string {
	return filepath.Join(in.metaDir, strconv.FormatInt(id, 10)+".json")
}

// writeMeta stores m for run id, through a temporary file and a rename.
func (in *ingester) writeMeta(id int64, m runMeta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp := in.metaPath(id) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, in.metaPath(id))
}

// meta returns what the server recorded of run id, and false for runs it
// did not start (`concord ingest`, a worker, another server).
func (in *ingester) meta(id int64) (runMeta, bool) {
	b, err := os.ReadFile(in.metaPath(id))
	if err != nil {
		return runMeta{}, false
	}
	var m runMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return runMeta{}, false
	}
	return m, true
}

// unreadable is the message of an input that could not be read at all,
// without the package prefix.
func unreadable(err error) string {
	msg := strings.TrimPrefix(err.Error(), ingest.ErrUnreadable.Error()+": ")
	return strings.TrimPrefix(msg, "feed: ")
}

// ingestForm is what an upload asks for.
type ingestForm struct {
	Name, Format, Feed, TLP string
	mapping                 []byte
}

// options checks f and returns the run's options and markings.
func (f *ingestForm) options(dir string) (ingest.Options, runMeta, error) {
	var opts ingest.Options
	var meta runMeta
	switch f.Format = strings.TrimSpace(f.Format); f.Format {
	case "", "auto":
		f.Format = ""
	default:
		if _, err := feed.Lookup(f.Format); err != nil {
			return opts, meta, badRequest("%s", strings.TrimPrefix(err.Error(), "feed: "))
		}
	}
	opts.Format = f.Format
	f.Feed = strings.TrimSpace(f.Feed)
	if len(f.Feed) > 100 || strings.ContainsFunc(f.Feed, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return opts, meta, badRequest("the feed name must be one line of at most 100 characters")
	}
	opts.Feed.Feed = f.Feed
	meta.TLP = event.DefaultTLP
	if strings.TrimSpace(f.TLP) != "" {
		t, err := event.ParseTLP(f.TLP)
		if err != nil {
			return opts, meta, badRequest("%s", strings.TrimPrefix(err.Error(), "event: "))
		}
		meta.TLP = t
	}
	label := meta.TLP
	opts.Feed.TLP = &label
	meta.RejectionsTLP = meta.TLP
	if len(f.mapping) > 0 {
		m, err := loadMapping(dir, f.mapping)
		if err != nil {
			return opts, meta, badRequest("%s", strings.TrimPrefix(err.Error(), "feed: "))
		}
		opts.Feed.Mapping = m
		if m.TLP != "" {
			// The mapping's label replaces the default for its records.
			meta.TLP, _ = event.ParseTLP(m.TLP)
			meta.RejectionsTLP = meta.TLP
		}
		for _, field := range m.Columns {
			if field == "tlp" {
				meta.RejectionsTLP = event.TLPRed
			}
		}
	}
	f.Name = cleanName(f.Name)
	return opts, meta, nil
}

// loadMapping checks a mapping sent with an upload, through a file as
// `concord ingest --mapping` reads it.
func loadMapping(dir string, b []byte) (*feed.Mapping, error) {
	f, err := os.CreateTemp(dir, "mapping-*.json")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	m, err := feed.LoadMapping(f.Name())
	if err != nil {
		return nil, fmt.Errorf("%s", strings.ReplaceAll(err.Error(), " "+f.Name(), ""))
	}
	return m, nil
}

// cleanName keeps the base of an uploaded file's name, which format
// detection reads as a hint, printable and short.
func cleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 200 {
		name = string(r[len(r)-200:])
	}
	if name == "" || name == "." || name == "/" {
		return "upload"
	}
	return name
}
