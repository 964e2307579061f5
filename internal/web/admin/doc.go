// Package admin is the part of `concord serve` that runs the node: staff
// accounts with their roles and clearance, API tokens, partner agencies,
// the IP database and relay lists, and the verification of the audit
// chain. Every page has its JSON twin under /api/v1/admin/.
//
// It changes nothing by itself: accounts and tokens go through package
// node (the same functions `concord user` and `concord token` use), so a
// page and a command apply the same checks — the last enabled
// administrator cannot be disabled or demoted, a password is stored only
// as an argon2id hash and handed out once as a one-time password that must
// be changed, an API token is shown once and stored as its hash — and
// every change is one audited store.Change by the acting user. Agencies go
// through package coop, as `concord agency add` does; data updates and the
// audit check through package node, as `concord ipdb load`, `concord lists
// import` and `concord audit verify` do.
//
// Each user also manages their own API tokens at /account/tokens.
package admin
