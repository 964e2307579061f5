package ipdb

// The embedded default database is generated from the pinned ip-location-db
// npm packages (needs npm and network access to the npm registry):
//
//	go generate ./internal/ipdb
//
// gen imports this package, which embeds its own output; should
// data/default.cipdb ever be missing, create it empty first
// (touch data/default.cipdb) so the package compiles.
//
//go:generate go run ./gen -out data/default.cipdb
