package stats

import "io"

func CountryName(cc string) string { return "" }

type MapOptions struct {
	Title, Legend string
	Format        func(float64) string
	Exclude       string
}

func WorldMapSVG(w io.Writer, values map[string]float64, o MapOptions) error { return nil }
