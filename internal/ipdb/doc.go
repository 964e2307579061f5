// Package ipdb answers, offline, which country an IP address is in and
// which autonomous system announces it. The enrich stage asks it about the
// addresses of every Event; the answers become source.geolocation.cc,
// source.asn and source.as_name, and DB.ID names the data that gave them.
//
// A DB is a pair of immutable range tables, one for IPv4 and one for IPv6:
// sorted range starts, each pointing to a (country, ASN, AS name) value,
// with ranges that have no data pointing to the zero value. Lookup is a
// short binary search behind a first-level index on the upper 16 bits, and
// does not allocate. Because a DB never changes after it is built, any
// number of goroutines can share one, and reloading is building a new DB
// and swapping a pointer; results are not cached here (enrich does that).
//
// Where DBs come from:
//
//   - Default: a snapshot of ip-location-db (geo-whois-asn-country and
//     asn, CC BY 4.0; data from NRO, RouteViews and DB-IP) embedded in the
//     binary in the compact "cipdb" format and decoded on first use. gen/
//     rebuilds it from the pinned npm packages; see generate.go.
//   - LoadCSV: an operator's range file (start,end,value or CIDR,value) of
//     countries or of ASNs.
//   - LoadMMDB: a MaxMind DB file (GeoLite2/GeoIP2, DB-IP, IPinfo), read by
//     this package's own decoder and flattened into range tables.
//   - Overlay: an operator's country or ASN data laid over another DB,
//     kind by kind.
//   - Decode: a DB stored earlier with Encode; Concord keeps the DBs an
//     operator loaded in its database this way.
//
// Decode and LoadMMDB read untrusted bytes: they check every count, offset
// and order, bound their work, and fail with an error rather than panic.
//
// Attribution: Info.Attribution carries the text the data's licences ask
// for; whatever shows enrichment results must show it. For the default DB
// it credits ip-location-db, the NRO, RouteViews and DB-IP under CC BY 4.0.
package ipdb
