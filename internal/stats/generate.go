// Package stats draws the charts of Concord's published report as inline
// SVG: no script, no external reference, so a report is one HTML file that
// a national CERT can post as it is. The world map's shapes and the
// English country names come from data/world.json, which mapgen builds
// from Natural Earth (via world-atlas) and i18n-iso-countries.
package stats

// The generator fetches its inputs with npm pack; see mapgen's doc comment
// for the versions pinned and for running it on unpacked copies instead.
//go:generate go run ./mapgen
