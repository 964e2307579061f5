// Package taxii is the node's TAXII 2.1 server: the way MISP, OpenCTI and
// other TAXII clients pull STIX 2.1 objects from Concord and push theirs
// to it. It serves discovery at /taxii2/, one API root at /taxii2/api/,
// and one collection per sharing audience, defined in code: "community"
// (TLP:CLEAR and TLP:GREEN, for any staff user of any agency) and
// "agency" (up to TLP:AMBER+STRICT, for users of this node's agency).
//
// The objects themselves live in the store (store.TAXII), each version
// with the strictest TLP of its object_marking_refs; every answer that
// lists, pages, counts or returns objects selects only the labels the
// caller may receive under the same rules as the rest of the node
// (auth.Principal.MayReceive, owner = this node's agency).
//
// Objects enter a collection one way, Add, whether a client POSTs an
// envelope or `concord taxii publish` puts the node's own STIX export
// there: the same reading of ids, versions and markings, the same refusal
// of objects marked above the collection's limit, the same treatment of a
// version held already.
//
// The routes are registered with package web like every other area, but
// as web.Public routes that check the caller themselves: a TAXII client
// must get a 401 with a TAXII error message and a WWW-Authenticate
// challenge, never the login page. Callers authenticate with the node's
// session or API token (Authorization: Bearer cnc_...), handled by the
// web core, or with HTTP Basic (user name and password), handled by the
// Basic middleware of this package, which the core does not yet install
// in front of its handler.
package taxii
