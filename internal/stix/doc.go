// Package stix writes what Concord knows as STIX 2.1 (OASIS) so that
// partners running OpenCTI, MISP or any TAXII client can read it, and holds
// the small parts of STIX the feed decoder needs to read bundles back: the
// TLP 2.0 marking definitions and the simple equality patterns.
//
// It sits at the end of the flow: the store's facts (C&C servers, attack
// sources) and assessment results (internal/assess) go in, a bundle comes
// out, written as a stream so that a million indicators never sit in memory
// at once. Identifiers are UUIDv5 over stable names, so exporting the same
// data twice gives the same ids and a partner's platform updates objects
// instead of duplicating them. Every object carries the TLP 2.0 marking of
// the data it came from; derived objects carry the strictest marking among
// their inputs.
package stix
