// Package casework holds the rules of cross-border cooperation that do not
// depend on where records are kept: which requests for assistance exist and
// what each must carry, how a request moves from draft to closure, when an
// answer is due and how long preserved data stay preserved, what a victim's
// report must contain and the reference number handed back to the victim,
// and the handling markings (TLP and PAP) of anything derived from a case.
//
// It sits between the store and the people: the CLI and the web UI collect a
// request's fields or a victim's report, ask this package whether they are
// complete and whether a status change is allowed, and the store records the
// result. Nothing here reads a clock, a file or a database: callers pass the
// time and the random source, so every rule can be tested with fixed dates.
//
// The rules follow DOMAIN.md §7: the Budapest Convention on Cybercrime
// (arts. 29–35), its Second Additional Protocol (arts. 7–10), the UN
// Convention against Cybercrime (arts. 40–48) and the contents of a mutual
// legal assistance request set out in UNTOC art. 18(15). Values that are
// house choices rather than treaty text say so where they are defined.
package casework
