// Package postgres is Concord's shared store: a PostgreSQL database that
// several concord processes use at once, when one machine and its embedded
// SQLite file (package store/sqlite) are no longer enough. It implements the
// interfaces of package store — Store and CaseStore — with the SQLite
// backend's behaviour and passes the same conformance suites
// (store/storetest), so ingest, statistics, reports and casework run on
// either unchanged; Digest gives the same value for the same content on
// both, which is how a move between them is verified.
//
// It talks to PostgreSQL through pgx's own interface and a connection pool,
// not database/sql: ingest depends on COPY, pipelined statements and raw
// row access, which database/sql hides.
//
// # Writing events
//
// WriteBatch copies a batch into a session-private staging table with COPY
// and moves it into events with one INSERT ... ON CONFLICT DO NOTHING
// RETURNING key, which says which events were new; their facts, the
// per-day feed counts, the rejections and the run's counters follow in one
// pipelined round trip, all in the batch's transaction. Rows are written in
// key order, so two batches that share events or facts wait for each other
// in the same order and cannot deadlock; the second finds the first's
// events once it commits and counts them as duplicates, so nothing is
// counted twice.
//
// # Partitioning
//
// events is partitioned by month (declarative RANGE partitioning), so old
// months can be detached or dropped whole and each month's key index stays
// small. The partition column is key_time, the source time in seconds that
// leads the de-duplication key (store.Key), not the event's time. A unique
// index on a partitioned table must contain the partition column, and only
// a column that is a function of the key keeps de-duplication exact: the
// event time of a record without a source time is its observation time,
// which differs each time the file is read, so a re-ingested record would
// be looked for in another month's partition and stored twice. Keyed by
// key_time, a record always meets its first copy in the same partition; a
// CHECK ties key_time to the key's first six bytes. Records without a
// source time (key time 0) go to the DEFAULT partition, events_undated.
// WriteBatch creates the month partitions it needs, before its own
// transaction and under an advisory lock, as tables of their own that it
// then attaches: CREATE TABLE ... PARTITION OF would lock all of events and
// stall every process's ingest behind any long reader, ATTACH PARTITION
// does not (TestNewMonthDoesNotStallIngest).
//
// # Concurrency
//
// Advisory locks, scoped to the database, serialise what SQLite's single
// writer serialised: migrations (processes starting at once migrate once),
// partition creation, list imports (which rewrite the list snapshot) and
// casework changes. Change takes its lock before reading the audit head, so
// the hash chain stays linear however many processes write.
package postgres
