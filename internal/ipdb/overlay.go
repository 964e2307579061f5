package ipdb

import (
	"strings"
	"time"
)

// Overlay returns a DB that takes its country data from over if
// over.Info().HasCountry, else from base, and its ASN data (with AS names)
// from over if over.Info().HasASN, else from base. The choice is per kind of
// data, not per address: an operator who loads a country database replaces
// the default's countries everywhere, including where the new database has
// no answer.
//
// The result's name and version name both sources, so its ID reads like
// "GeoLite2-Country@2024-05-01+ip-location-db@2.3.2026061719": the name is
// over's ID, a "+", and base's name; the version is base's. A source that
// contributes nothing is left out, and a nil or zero DB counts as
// contributing nothing. Neither input is changed.
func Overlay(base, over *DB) *DB {
	switch {
	case over == nil || over.empty():
		return base
	case base == nil || base.empty():
		return over
	}
	ccSrc, asnSrc := base, base
	if over.info.HasCountry {
		ccSrc = over
	}
	if over.info.HasASN {
		asnSrc = over
	}
	switch {
	case ccSrc == base && asnSrc == base:
		return base
	case ccSrc == over && asnSrc == over:
		return over
	}

	info := Info{
		Name:        over.ID() + "+" + base.info.Name,
		Version:     base.info.Version,
		Description: joinNonEmpty("\n", over.info.Description, base.info.Description),
		Attribution: joinNonEmpty("\n", over.info.Attribution, base.info.Attribution),
		Built:       latest(over.info.Built, base.info.Built),
	}
	s4 := mergeSegs(ccSrc.segs4(), asnSrc.segs4())
	s6 := mergeSegs(ccSrc.segs6(), asnSrc.segs6())
	return newDB(info, s4, s6, asnSrc.names())
}

func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
