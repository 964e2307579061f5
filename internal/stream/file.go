package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/concord-cert/concord/internal/feed"
	"github.com/concord-cert/concord/internal/ingest"
)

// PublishFile publishes the file at path; see Publish.
func PublishFile(ctx context.Context, pub *Publisher, path, format string, opts feed.Options) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{Path: path}, fmt.Errorf("%w: %v", ingest.ErrUnreadable, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return Result{Path: path}, fmt.Errorf("%w: %s is a directory", ingest.ErrUnreadable, path)
	}
	return Publish(ctx, pub, path, f, format, opts)
}

// Publish decodes one input, as `concord ingest` does (gzip is undone,
// the format detected unless format names it), publishes its events and
// rejections, and waits until the server has acknowledged all of them, so
// that the Result is final and everything it counts is in the stream.
//
// Errors follow ingest.Run: an error wrapping ingest.ErrUnreadable means
// the input could not be read at all (the next file may fare better); any
// other error is the publisher's or ctx's and stops the whole command.
// What was acknowledged before an error stays in the stream, and
// publishing the same input again adds nothing the stream or the store
// already holds.
func Publish(ctx context.Context, pub *Publisher, path string, r io.Reader, format string, opts feed.Options) (Result, error) {
	res := Result{Path: path}
	in, err := feed.Open(r)
	if err != nil {
		return res, fmt.Errorf("%w: %s: %v", ingest.ErrUnreadable, path, err)
	}
	defer in.Close()
	var f feed.Format
	if format != "" {
		if f, err = feed.Lookup(format); err != nil {
			return res, fmt.Errorf("%w: %v", ingest.ErrUnreadable, err)
		}
	} else {
		head, err := in.Head()
		if err != nil {
			return res, fmt.Errorf("%w: %s: %v", ingest.ErrUnreadable, path, err)
		}
		if len(head) == 0 {
			res.Format = "empty" // no records: nothing to do, nothing lost
			return res, nil
		}
		if f, err = feed.Detect(path, head); err != nil {
			return res, fmt.Errorf("%w: %s: %v", ingest.ErrUnreadable, path, err)
		}
	}
	res.Format = f.Name
	opts.Path = path
	dec, err := f.New(opts)
	if err != nil {
		return res, fmt.Errorf("%w: %s: %v", ingest.ErrUnreadable, path, err)
	}
	sink := pub.Sink(ctx, path, f.Name)
	decErr := dec.Decode(ctx, in, sink)
	flushErr := pub.Flush(ctx)
	res = sink.Result()
	switch pubErr := pub.Err(); {
	case pubErr != nil:
		return res, pubErr
	case ctx.Err() != nil:
		return res, ctx.Err()
	case flushErr != nil:
		return res, flushErr
	case decErr != nil && !errors.Is(decErr, ingest.ErrUnreadable):
		return res, fmt.Errorf("%w: %s: %v", ingest.ErrUnreadable, path, decErr)
	case decErr != nil:
		return res, decErr
	}
	return res, nil
}
