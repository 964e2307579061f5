// Package stream carries decoded events through a NATS JetStream stream, so
// that sensors decode where the data is and any number of workers enrich
// and store it, for volumes one `concord ingest` cannot keep up with.
//
//	concord ingest --to nats://…            NATS JetStream                 concord worker --from nats://… (× N)
//	file ─▶ feed decoder ─▶ Publisher ─▶ stream "concord" (file) ─▶ durable consumer ─▶ Worker: decode, enrich,
//	        (sensor side)   Sink: key,     concord.events.<feed>     "workers" (pull,     key, batch ─▶ store.WriteBatch
//	                        encode,        concord.rejects.<feed>    explicit ack)        ─▶ ack after commit
//	                        publish async
//
// The publisher does what `concord ingest` does up to enrichment: it reads
// the file, detects its format and decodes it. Each event travels as its
// binary encoding (event.AppendBinary, raw record included) with its feed,
// source file and line in headers, and its de-duplication key
// (store.KeyOf of its content hash and source time, in hex) as its
// Nats-Msg-Id. Each rejected record travels too, on the rejects subject,
// with its line and reason, so the worker stores it with its run: nothing a
// sensor read stays only on the sensor. Enrichment happens in the worker,
// where the store's IP database and relay lists are, so every event is
// enriched alike whichever sensor read it.
//
// # Delivery guarantees
//
// Into the stream, at least once. Sink.Event publishes asynchronously and
// Flush (or Close) waits until the server has acknowledged every message; a
// message counts as published once the server acknowledged it, which
// means it is in the stream's file store. A publisher that fails or is
// killed is simply run again: the server drops any event whose
// Nats-Msg-Id it saw within the duplicate window (two minutes by default),
// and the store drops the rest by key. A record repeated within a file, or
// sent by two sensors, is dropped the same way and counted in
// Result.Duplicates. At most MaxInFlight messages await acknowledgement, so
// a publisher's memory is bounded and a slow server slows the decoder down.
//
// Out of the stream, at least once, with an exactly-once effect on the
// store. A worker fetches a batch, enriches it, writes it as one store
// transaction, and only after the commit acknowledges its messages. A
// worker that dies before the commit leaves its messages unacknowledged:
// the server delivers them again after AckWait, to any worker. A worker
// that dies after the commit but before its acknowledgements reach the
// server causes the same redelivery, and the store, keyed by content, finds
// every event of it already stored: it counts them as duplicates and adds
// no event, fact or per-feed count. A failed write is never acknowledged;
// its messages are given back with a delay. A message the worker cannot
// decode (or that is not a valid event) is stored as a rejection and
// terminated once that rejection has committed, so it never blocks the
// stream.
//
// What is exact whatever the crashes and redeliveries: the events, the
// facts and the per-feed day counts, i.e. everything a report counts.
// What is not:
//
//   - Run counters. Each worker records one ingest run (path
//     "nats://server/stream#consumer", format "stream") holding its
//     batches. A batch redelivered after a commit counts again in the run
//     that stores it (its events as duplicates). Its rejections are not
//     stored again: each carries its message's id as a key (store.Rejection
//     Key). A file re-published after the duplicate window stores its
//     rejections again, as running `concord ingest` twice on it does.
//     Per-file counts are the publisher's Result, not a run's.
//   - Events older than the stream's MaxAge (seven days by default) that
//     no worker took are removed by the server. That bound keeps a stream
//     whose workers are gone for good from holding its disk forever; set
//     it to a negative value to keep events until they are stored. A full
//     stream (MaxBytes) refuses new events: the publisher fails and says
//     so, it never drops what was already accepted.
//   - The server's own durability. An acknowledged message is in the
//     server's files, but reaches the disk itself only at the server's
//     sync_interval (two minutes by default): a power loss of a single
//     server can lose the last acknowledged messages (a killed server
//     process cannot). Run three servers with Replicas 3, or set
//     sync_interval: always, when that matters.
//   - Order. Several workers commit batches in no global order, so C&C
//     linking (see docs/architecture.md) depends on what each worker's
//     enricher has seen: each loads the store's C&C servers when it starts
//     and learns those it stores itself. Publish C&C lists before flow
//     logs, as with `concord ingest`, and a worker started later links
//     with everything stored so far.
//
// # Stream and consumer
//
// The stream (StreamConfig) uses file storage and work-queue retention: a
// message leaves the stream once a worker has acknowledged it, so the
// stream's disk holds only the backlog, and the store, not the stream, is
// the record. Limits retention would keep every event for MaxAge to allow
// replays, at the cost of disk for data that is already stored; replaying
// is what re-publishing the files is for. Work-queue retention also makes
// the server refuse a second consumer over the same subjects, so a worker
// started with a mistyped consumer name fails loudly instead of splitting
// the stream between two consumer groups. Discard "new" makes a full
// stream refuse publishers instead of dropping unstored events.
//
// Workers share one durable pull consumer (ConsumerConfig): explicit
// acknowledgement, since each worker acknowledges exactly the messages it
// stored ("ack all" would acknowledge other workers' messages too);
// unlimited deliveries, so a store that is down for an hour does not make
// the server give up on an event; AckWait long enough for a batch to wait
// in the pipeline and be written (one minute); and MaxAckPending bounding
// the unacknowledged messages across all workers. A worker holds at most
// three batches (one filling, one waiting, one being written) and the rest
// of one pull request, so its memory is bounded by four batches
// (BatchSize messages, BatchBytes bytes each) whatever the backlog; when
// the store is slow, the worker stops pulling and the messages wait in the
// stream for it or another worker.
//
// Workers scale with cores and with a store that takes concurrent writers.
// SQLite has one writer, and on 2 cores the NATS server, the worker's
// decoding and enrichment, and the SQLite writer already share both cores,
// so a second worker on the same SQLite database adds contention, not
// throughput (BenchmarkStream: a backlog drains at about 78,000 events/s
// with one worker and 69,000 with two; a direct `concord ingest` stores
// about 150,000).
package stream
