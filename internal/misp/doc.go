// Package misp reads and writes the MISP core format (the IETF draft
// "MISP core format", MISP 2.4/2.5 JSON): events with their attributes,
// objects and tags. It sits at Concord's edges: package feed turns decoded
// events into Concord events on ingest, and Export turns the stored
// distinct-address facts into one MISP event for partners who run MISP.
//
// Decoding is lenient by default because real MISP exports deviate from the
// schema: numbers written as numbers instead of strings, booleans as "0" and
// "1", an "Event" wrapper or none, a list of wrapped events, a REST search
// "response" list, missing organisations. What cannot be used is skipped
// and reported as an Issue rather than failing the whole document. Strict
// decoding refuses every deviation, for checking what Concord writes.
package misp
