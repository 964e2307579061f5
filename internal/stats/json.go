package stats

import (
	"bytes"
	"encoding/json"
)

// MarshalJSON renders the report as indented JSON, the form `concord report
// --format json` prints. Slices are never null, so consumers can iterate
// without checks.
func MarshalJSON(r *Report) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.withEmptySlices()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// withEmptySlices returns a copy of r whose nil slices are empty.
func (r *Report) withEmptySlices() *Report {
	c := *r
	nonNil(&c.C2Servers.ByCountry)
	nonNil(&c.C2Servers.ByASN)
	nonNil(&c.C2Servers.ByMalware)
	nonNil(&c.InfectedHosts.ByControllerCountry)
	nonNil(&c.InfectedHosts.ByMalware)
	nonNil(&c.AttackSources.ByClass)
	nonNil(&c.AttackSources.RelayShare)
	nonNil(&c.Trend)
	nonNil(&c.Methodology.Lists)
	for _, f := range []*RequestFlow{&c.Cooperation.Sent, &c.Cooperation.Received} {
		nonNil(&f.ByType)
		nonNil(&f.ByCountry)
		nonNil(&f.ByStatus)
		nonNil(&f.Turnaround)
	}
	nonNil(&c.Cooperation.Assisted.ByCountry)
	return &c
}

func nonNil[T any](s *[]T) {
	if *s == nil {
		*s = []T{}
	}
}
