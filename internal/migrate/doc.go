// Package migrate moves a whole Concord database from SQLite to an empty
// PostgreSQL database and proves that the move is complete. It sits beside
// the stores, below `concord migrate`: the one-way path a CERT takes when a
// single node becomes several.
//
// What is moved: every table of schema version 7 — events with their
// documents and keys (and the key_time PostgreSQL partitions them by,
// computed from the key), facts, feed_days, ingest runs with their ids and
// their rejections, IP databases with their blobs, list entries and the
// list snapshot, agencies, victim reports, cases and their items, evidence
// and its custody, requests and their history, the packages seen, user
// accounts and API tokens (their hashes, never a secret), and the audit
// log with its head, byte for byte — except the browser sessions, which
// end with the move (see tables). Nothing is re-derived and nothing is
// sealed again; ids are kept, so references between tables hold. The source is only read, from one snapshot, and the destination is
// written in one transaction with COPY, row by row, so memory stays flat
// however many events there are, and a failed move leaves the destination
// as empty as it was.
//
// How it is verified. Before copying, the source's audit chain must verify
// against its head: a broken log is refused, not moved. After copying:
//
//  1. store.Digest of the source and the destination are equal (events'
//     keys and every fact);
//  2. every table holds as many rows in both, and as many as were copied;
//  3. the destination's audit chain verifies against its head
//     (audit.VerifyAgainst), and that head is the source's;
//  4. the destination's identity sequences continue after the highest
//     copied id, so the next ingest run gets a fresh id (cases, evidence
//     and requests take MAX(id)+1 and need nothing).
//
// A failed check is a *CheckError naming it.
package migrate
