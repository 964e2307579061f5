package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/feed"
	"github.com/concord-cert/concord/internal/ingest"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/stream"
)

// publish is `concord ingest --to nats://...`: the files are decoded here
// and their events published to the stream, where `concord worker`
// processes enrich and store them. The summary counts what the stream
// accepted; duplicates are those the stream already held.
func (e *env) publish(ctx context.Context, to string, files []string, format string, fo feed.Options, asJSON, strict bool) int {
	server, name, err := stream.ParseURL(to)
	if err != nil {
		return e.fail(exitUsage, "--to: %v", err)
	}
	pub, err := stream.NewPublisher(ctx, server, name, stream.PublisherOptions{})
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	rep := newIngestReport()
	code := exitOK
	for _, path := range files {
		var res stream.Result
		if path == "-" {
			res, err = stream.Publish(ctx, pub, "-", e.stdin, format, fo)
		} else {
			res, err = stream.PublishFile(ctx, pub, path, format, fo)
		}
		f := ingestFile{Path: path, Format: res.Format, ingestCounts: ingestCounts{Records: res.Records, Accepted: res.Published,
			Duplicates: res.Duplicates, Rejected: res.Rejected, Observations: res.Observations, ByClassification: map[string]int64{}},
			Rejections: []ingestReject{}, RejectionsOmitted: res.RejectionsOmitted}
		for _, rj := range res.Rejections {
			f.Rejections = append(f.Rejections, ingestReject{rj.Line, rj.Reason})
		}
		if err != nil {
			f.Error = strings.TrimPrefix(err.Error(), ingest.ErrUnreadable.Error()+": ")
			if !errors.Is(err, ingest.ErrUnreadable) {
				rep.add(f)
				pub.Close()
				e.writeIngest(rep, asJSON)
				return e.fail(exitFailure, "%v", err)
			}
			code = exitFailure
		}
		rep.add(f)
	}
	if err := pub.Close(); err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	e.writeIngest(rep, asJSON)
	if code == exitOK && strict && rep.Totals.Rejected > 0 {
		code = exitRejected
	}
	return code
}

// runWorker is `concord worker`: it consumes the stream that `concord
// ingest --to` fills, enriches the events with this database's IP data and
// lists, and stores them in batches, acknowledging each batch only after it
// committed. Any number of workers may share one stream and durable name.
func runWorker(ctx context.Context, e *env, args []string) int {
	fs := e.newFlags("worker", "--from nats://host:4222[/stream] [--db PATH] [--durable NAME]")
	from := fs.String("from", "", "NATS JetStream `url` to consume")
	db := fs.String("db", e.cfg.DB, "database `path` or postgres:// URL to store into")
	durable := fs.String("durable", "workers", "durable consumer `name` the workers share")
	ackWait := fs.Duration("ack-wait", time.Minute, "how long a batch may take before its messages go to another worker (set when the consumer is first created)")
	if _, err := parse(fs, args); err != nil || !e.need(fs, "from") {
		return exitUsage
	}
	server, name, err := stream.ParseURL(*from)
	if err != nil {
		return e.fail(exitUsage, "--from: %v", err)
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
	en, err := s.Enricher(ctx)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	w, err := stream.NewWorker(ctx, server, name, *durable, s.St, en.Enrich, stream.WorkerOptions{IPDB: s.GeoID, AckWait: *ackWait})
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer w.Close()
	fmt.Fprintf(e.stderr, "worker consuming %s (stream %s, consumer %s) into %s; stop with Ctrl-C or SIGTERM\n", server, name, *durable, *db)
	err = w.Run(ctx)
	st := w.Stats()
	fmt.Fprintf(e.stdout, "received %d (redelivered %d), stored %d, duplicates %d, rejected %d, poison %d, in %d batches\n",
		st.Received, st.Redelivered, st.Stored, st.Duplicates, st.Rejected, st.Poison, st.Batches)
	if err != nil && !errors.Is(err, context.Canceled) {
		return e.fail(exitFailure, "%v", err)
	}
	return exitOK
}
