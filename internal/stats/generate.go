package stats

// The generator fetches its inputs with npm pack; see mapgen's doc comment
// for the versions pinned and for running it on unpacked copies instead.
//go:generate go run ./mapgen
