package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/concord-cert/concord/internal/ingest"
	"github.com/concord-cert/concord/internal/store"
)

// OpenInput opens what an ingest reads: the file at path, or stdin for
// "-". It returns the reader, its size when known (0 otherwise) and the
// function that closes it. An input that cannot be opened at all is an
// error wrapping ingest.ErrUnreadable.
func OpenInput(path string, stdin io.Reader) (io.Reader, int64, func() error, error) {
	if path == "-" {
		return stdin, 0, func() error { return nil }, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("%w: %v", ingest.ErrUnreadable, err)
	}
	var size int64
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			f.Close()
			return nil, 0, nil, fmt.Errorf("%w: %s is a directory", ingest.ErrUnreadable, path)
		}
		size = st.Size()
	}
	return f, size, f.Close, nil
}

// Input is one input to run through the collect pipeline.
type Input struct {
	// Name is recorded as the run's path; format detection reads it as a
	// hint (Shadowserver files are named after their report type).
	Name string
	R    io.Reader
	// Opts are the run's options; a zero IPDB means the session's.
	Opts ingest.Options
	// Progress, when set, counts what has been read so far.
	Progress *ingest.Progress
	// Begun, when set, is called with the run's id as soon as the run is
	// recorded, before its first batch: after the format is known, so an
	// input that cannot be read at all never gets a run.
	Begun func(runID int64)
}

// Ingest runs one input through the collect pipeline with the session's
// IP database, relay lists and C&C index: what `concord ingest` does for
// each file and the server for each upload, so both store the same input
// the same way. The result and errors are ingest.Run's: everything
// committed before an error or a cancellation stays committed, and the
// run is recorded as failed. A Session runs one ingest at a time: its C&C
// index learns from each run for the next.
func (s *Session) Ingest(ctx context.Context, in Input) (ingest.Result, error) {
	en, err := s.Enricher(ctx)
	if err != nil {
		return ingest.Result{Path: in.Name}, err
	}
	opts := in.Opts
	if opts.IPDB == 0 {
		opts.IPDB = s.GeoID
	}
	var st store.Store = s.St
	if in.Begun != nil {
		st = begunStore{Store: s.St, begun: in.Begun}
	}
	return ingest.Run(ctx, st, en, in.Name, in.R, opts, in.Progress)
}

// begunStore tells its caller the id of the run it records.
type begunStore struct {
	store.Store
	begun func(int64)
}

func (b begunStore) BeginIngest(ctx context.Context, run store.IngestRun) (int64, error) {
	id, err := b.Store.BeginIngest(ctx, run)
	if err == nil {
		b.begun(id)
	}
	return id, err
}

// Refresh makes a long-lived session see what changed in the store since
// it was opened: a newly activated IP database (decoded only when another
// one became active) and the relay lists as they are now. A command reads
// them once; a server refreshes before each ingest.
func (s *Session) Refresh(ctx context.Context) error {
	rec, err := s.St.ActiveIPDB(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if s.Geo == nil {
			err = s.LoadGeo(ctx)
		} else {
			err = nil
		}
	case err == nil && (s.Geo == nil || rec.ID != s.GeoID):
		err = s.LoadGeo(ctx)
	}
	if err != nil {
		return err
	}
	return s.LoadLists(ctx, time.Time{}, time.Time{})
}
