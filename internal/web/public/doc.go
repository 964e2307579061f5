// Package public is the part of `concord serve` that answers anyone,
// without a login: the victim's report form with its file upload, and the
// status page that tells a victim, by reference number, where the report
// stands — and nothing else, not even the report's own text.
//
// Everything here is hostile input from the open internet, so every POST
// and every status lookup is rate limited per address, bodies are bounded
// (413 beyond), uploads are checked by their bytes against an allow-list
// and go to the evidence vault only once the whole report is valid; they
// are never served back. Without a session there is no session CSRF
// token, so the forms carry a double-submit token: a short-lived random
// cookie and, in a hidden field, its HMAC under a key this process drew
// at start; a POST needs both to match, and a browser's Origin, when it
// sends one, must name this server.
//
// The JSON twins (POST /api/v1/victim-reports, GET
// /api/v1/victim-reports/{ref}/status) take the intake model of package
// casework as it is, the same one `concord victim submit` reads.
package public
