// Package coop is a node's cooperation workflow: opening cases and linking
// what they hold, keeping evidence with its chain of custody, drafting,
// moving, exporting and importing requests for assistance as signed
// packages, and registering partner agencies. The command line (package
// cli) and the web server (package web/cases) both act through it, so a
// command and a page do the same thing the same way: the same checks, the
// same audit entries, the same custody records, the same package bytes.
//
// A Node is the store, the data directory (evidence vault and signing
// keys), the request timers and who is acting. Its Receive function, when
// set, is what the acting user may receive: every item a method reads on
// the user's behalf (a case, an event, a victim report, a request) that
// the user may not receive is answered as missing (store.ErrNotFound), so
// a refusal and an absence look the same. The command line acts as the
// node itself and sets none.
//
// Mistakes the caller can fix come back as a *Problem, naming the input at
// fault, or as an *IncompleteError for a request's fields; anything else
// is a store error (store.ErrNotFound, ErrConflict, ...) or a failure.
package coop
