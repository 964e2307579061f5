// Package audit seals and checks the hash chain of Concord's append-only
// audit log.
//
// Every change Concord makes on behalf of someone — a case opened, a
// request for assistance moved to a new state, evidence added to the vault
// — is recorded as an Entry written by the storage layer in the same
// transaction as the change itself. Each entry carries the hash of the one
// before it, so the log is a chain: `concord audit verify` reads it from
// the first entry and Verify (or VerifyAgainst) names the first entry that
// was altered, removed, inserted or moved (DESIGN.md, invariant 5). This
// package does the hashing and checking only; where entries are kept is the
// store's business.
//
// # What the chain proves, and what it cannot
//
// A valid chain proves that its entries are the ones that were sealed, in
// that order, each after the one before it. It does not prove that nothing
// came after the last entry: deleting entries from the end leaves a shorter
// chain that is still valid. Nor, because the hash has no key, does it stop
// someone who can write to the database from rewriting every entry from
// some point on and sealing them again. Both are caught only by comparing
// the log with a Head recorded elsewhere — in the store's separate head
// table, and above all in something that has left the machine, such as an
// exported, signed package or a report handed to a partner — which is what
// VerifyAgainst does. The further from the database a head is kept, the
// stronger that check: a head in the same database can be rewritten with
// the log.
//
// Entry.Time is what the writer's clock said; the chain orders entries but
// does not prove when they were written.
//
// # Hash encoding
//
// Hash is SHA-256 over this encoding of an entry, fixed forever for
// "concord-audit-v1" (a later encoding gets a new prefix):
//
//	"concord-audit-v1"  16 bytes of ASCII, separating these hashes from any other
//	Seq                 8 bytes, big-endian two's complement
//	Time                8 bytes, big-endian two's complement: microseconds since
//	                    1970-01-01T00:00:00Z
//	Actor               8-byte big-endian length, then the bytes
//	Action              8-byte big-endian length, then the bytes
//	Object              8-byte big-endian length, then the bytes
//	Detail              8-byte big-endian length, then the bytes
//	Prev                32 bytes
//
// Every field has a fixed size or a length before it, so entries that
// differ in any hashed field never share an encoding, and anyone can
// recompute the hashes from this description alone. Strings are hashed as their exact bytes: the
// store must give back what was sealed, byte for byte — Detail in a text
// column, not PostgreSQL jsonb, which reorders keys and respaces.
package audit
