// Package event defines the normalized record that every decoder produces and
// every later stage (enrichment, storage, statistics, assessment) consumes.
//
// Field names follow the IntelMQ harmonization (source.ip,
// classification.taxonomy, feed.name, time.source, ...) so that data moves
// between Concord and the tools CERTs already run without renaming. The
// package also owns the vocabularies that give those fields meaning: the RSIT
// incident classification, TLP markings, the roles an address plays in an
// incident, and the content hash that makes re-ingesting a file harmless.
package event
