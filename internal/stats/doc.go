// Package stats turns the distinct-address fact table into the statistics
// a national CERT publishes — C&C servers and the hosts they control,
// domestic and abroad, by country, AS and malware family; attack sources
// and how many of those abroad were relays or infected machines; trends and
// the change against the previous period — and renders them as text, JSON,
// CSV and one self-contained HTML page with inline SVG charts and a world
// map (no script, no external reference, readable in print).
//
// Every threat figure counts distinct IP addresses per period and is
// computed from facts only, never from raw events, so the same store and
// options give the same report byte for byte; the report's methodology
// section says what was counted, from which feeds and IP databases, and
// what biases remain. The cooperation section counts requests for
// assistance instead, from the casework the caller loads (requests with
// their status histories, agencies, victim reports): each request is
// counted in the period it was submitted, with the status its history gives
// at the period's end, so a report on a past period does not change as
// requests move on. The world map's shapes and the English country names come from
// data/world.json, which mapgen builds from Natural Earth (via world-atlas)
// and i18n-iso-countries.
package stats
