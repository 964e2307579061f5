// Package web is the core of `concord serve`: the HTTP server, its routes
// table, authentication (browser sessions with CSRF tokens, API tokens),
// authorization through package auth on every route, security headers,
// metrics, health checks and the page layout. The pages and API handlers of
// each area live in subpackages (web/events, web/cases, web/public,
// web/admin) that register their routes on a *Server; web/app assembles
// them into the node's handler.
//
// Every route is declared with the action it needs (auth.Action) or as
// public. The core authenticates the caller, refuses what its roles do not
// grant, and hands the handler a Ctx holding the caller's auth.Principal;
// handlers filter every item they return with Ctx.MayReceive or
// Ctx.TLPs, so an item the caller's agency may not receive is never sent,
// through any page, API call, download or search. A refused item answers
// 404, not 403: its existence is itself information.
//
// Cookie sessions: a random 32-byte secret in an HttpOnly, SameSite=Strict
// cookie (Secure when served over TLS or beyond loopback); the store keeps
// only its SHA-256. Every unsafe request made with a cookie must carry the
// session's CSRF token (a form field "csrf" or the X-CSRF-Token header)
// and, when the browser sends one, an Origin naming this server. Requests
// with an API token (Authorization: Bearer cnc_...) carry no ambient
// credential and need no CSRF token.
package web
