// Package auth holds the rules of who may see and do what on a Concord node.
// It is pure: no HTTP, no database. Every handler of `concord serve` (pages,
// JSON API, downloads, search) asks this package before it acts or answers,
// so that DESIGN.md invariant 4, "a marking is never weakened on the way
// out", is enforced and tested in one place.
//
// Who may do what. A Principal has roles; each role grants a fixed set of
// actions (see the table in role.go). Roles add up: a person who is both
// admin and analyst holds both sets. The admin role runs the node (users,
// agencies, data retention, audit verification) but does not, by itself,
// read cases, evidence or requests: whoever manages accounts is not
// automatically inside every investigation. The public victim principal may
// only submit a report and read the status of its own report; any roles it
// carries are ignored.
//
// Who may receive what (TLP 2.0, DOMAIN.md §3). Each item has a TLP label,
// an owning agency (the organisation that received it, normally the agency
// that runs the node) and a list of named recipients (user names). A
// principal may receive an item only if the item's label is within the
// principal's clearance and:
//
//   - TLP:CLEAR: anyone, including an anonymous visitor;
//   - TLP:GREEN: any logged-in user of any agency on the node (the
//     community), but not an anonymous visitor;
//   - TLP:AMBER and TLP:AMBER+STRICT: users of the owning agency, or a user
//     the item names as a recipient;
//   - TLP:RED: only a user the item names as a recipient.
//
// A user of a partner agency with an account on a shared node is not part
// of the owning organisation, and is not one of its "clients" either: for a
// national team the clients of TLP:AMBER are its constituents, served by the
// team's own sharing decisions, not by direct access to its node. So a
// partner user sees TLP:AMBER and TLP:AMBER+STRICT items only when named as
// a recipient, which is how the explicit, recorded permission to share
// beyond the label is expressed. Missing data fails closed: an item with no
// owner is received by no one's agency, an unknown label by no one.
//
// The victim principal receives no marked item at all, not even TLP:CLEAR
// ones: it sees only its own report's status (MayReadVictimReport).
//
// PAP says what a recipient may do with an item, not who may receive it, so
// it plays no part in MayReceive; enrichment and export code check it.
//
// Passwords are hashed with argon2id and stored as PHC strings; API tokens
// are stored only as SHA-256 hashes; login attempts are throttled per user
// name and per client address by Throttle.
package auth
