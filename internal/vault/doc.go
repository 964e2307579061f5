// Package vault keeps evidence files on disk, addressed by the SHA-256 of
// their bytes and checked against that address every time they are read.
//
// It sits beside the store in Concord's flow: a victim's attachment, a
// packet capture or a partner's log goes into the vault with Put, and the
// case records only the returned Object (address and size) while the audit
// log records who added it and when. Everything that later reads the
// evidence — the web UI, an export package, an assessment citing it, the
// `concord evidence verify` command — goes through Open, Verify, Export or
// VerifyAll, all of which hash what they read, so tampered or decayed bytes
// are reported instead of being passed on (DESIGN.md, invariant 5).
//
// On disk a vault is a directory:
//
//	<dir>/objects/3f/3fa1…c9   one read-only (0400) file per object, named by
//	                           its full lower-case hex SHA-256 and fanned out
//	                           by the first two hex digits
//	<dir>/tmp/put-*            objects being written
//
// Put writes into tmp, syncs the file, links it under its address and syncs
// the directory, so a crash leaves either the whole object under its
// address or only a temporary file, which a later Open removes. An object,
// once stored, is never overwritten.
//
// What the vault does not do: it cannot notice an object that was deleted
// outright, because nothing in the vault remembers that it existed; the case
// records and the audit log do, and checking their addresses with Has is how
// a missing object is found. File modes guard against accidents, not
// against someone with the owner's rights; the hash recorded elsewhere is
// what makes a change detectable.
package vault
