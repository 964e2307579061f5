// Package taxiiclient is a TAXII 2.1 client: how a Concord node reads a
// partner's collection, whether the partner runs OpenCTI, MISP's TAXII
// server or another Concord node. It walks discovery, API roots and
// collections, and pages through a collection's objects with added_after,
// limit and next, so that `concord taxii pull` can hand each envelope to
// the STIX decoder and remember where the next pull starts
// (X-TAXII-Date-Added-Last).
//
// The client speaks only TAXII 2.1 JSON: every request asks for
// application/taxii+json;version=2.1, and an answer in another media type
// (a login page, a proxy's error) is an error that says so rather than a
// JSON decoding failure. Answers are bounded in size and time, TLS
// certificates are verified (a private CA can be added, never skipped),
// and credentials are sent but never part of an error or a log line.
package taxiiclient
