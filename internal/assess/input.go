package assess

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/concord-cert/concord/internal/event"
)

// Input is what an investigator writes down: the observations, the other
// evidence, optional hypotheses and ratings. Only Observations or Evidence
// is required.
type Input struct {
	Title        string
	TLP          event.TLP
	Observations []Observation
	Evidence     []Evidence
	Hypotheses   []Hypothesis
	// Ratings are the analyst's cells: evidence id → hypothesis id → rating.
	// A cell given for an automatically rated item overrides it.
	Ratings map[string]map[string]Override
}

// Override is one rating an analyst gave, with the reason when it replaces
// an automatic rating.
type Override struct {
	Rating Rating
	Reason string
}

// The file shape (docs/assessment.md). Decoding is strict: an unknown field
// is an error, so a typo cannot silently drop evidence.
type fileInput struct {
	Title        string                           `json:"title"`
	TLP          string                           `json:"tlp"`
	Observations []fileObservation                `json:"observations"`
	Evidence     []fileEvidence                   `json:"evidence"`
	Hypotheses   []fileHypothesis                 `json:"hypotheses"`
	Ratings      map[string]map[string]fileRating `json:"ratings"`
}

type fileObservation struct {
	ID          string `json:"id"`
	IP          string `json:"ip"`
	Port        *int   `json:"port"`
	Time        string `json:"time"`
	Role        string `json:"role"`
	Country     string `json:"country"`
	Note        string `json:"note"`
	Reliability string `json:"reliability"`
	Credibility *int   `json:"credibility"`
	TLP         string `json:"tlp"`
}

type fileEvidence struct {
	ID                 string   `json:"id"`
	Class              string   `json:"class"`
	Summary            string   `json:"summary"`
	Reliability        string   `json:"reliability"`
	Credibility        *int     `json:"credibility"`
	Relevance          string   `json:"relevance"`
	Spoofability       string   `json:"spoofability"`
	SpoofabilityReason string   `json:"spoofability_reason"`
	Level              string   `json:"level"`
	Source             string   `json:"source"`
	Events             []string `json:"events"`
	TLP                string   `json:"tlp"`
}

type fileHypothesis struct {
	ID        string `json:"id"`
	Statement string `json:"statement"`
	Level     string `json:"level"`
	Kind      string `json:"kind"`
	Country   string `json:"country"`
}

// fileRating is "C" or {"rating": "C", "reason": "..."}.
type fileRating struct {
	Rating string
	Reason string
}

func (r *fileRating) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &r.Rating)
	}
	var o struct {
		Rating string `json:"rating"`
		Reason string `json:"reason"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return fmt.Errorf(`a rating is "C" or {"rating": "C", "reason": "..."}: %w`, err)
	}
	r.Rating, r.Reason = o.Rating, o.Reason
	return nil
}

// MaxInputSize bounds an assessment file; real ones are a few kilobytes.
const MaxInputSize = 8 << 20

// MaxItems bounds the observations, the evidence items and the hypotheses
// of one assessment. The sensitivity analysis reassesses once per item, so
// the work grows with the square of the items; a case larger than this is
// several cases and reads better split.
const MaxItems = 500

// ParseInput reads an assessment file, JSON or YAML of the same shape (YAML
// when name ends in .yaml or .yml, or when the text does not start with
// '{'), and validates it. Every problem is reported, each with its place in
// the file, so one run shows everything to fix.
func ParseInput(name string, data []byte) (*Input, error) {
	if len(data) > MaxInputSize {
		return nil, fmt.Errorf("%s: %d bytes is more than an assessment file may hold (%d)", name, len(data), MaxInputSize)
	}
	js := data
	lower := strings.ToLower(name)
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if strings.HasSuffix(lower, ".yaml") || strings.HasSuffix(lower, ".yml") || (len(trimmed) > 0 && trimmed[0] != '{') {
		var err error
		if js, err = yamlToJSON(data); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	var f fileInput
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, jsonError(js, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: more than one document; put everything in one object", name)
	}
	in, err := f.validate()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return in, nil
}

// yamlToJSON decodes YAML and writes it as JSON, so both forms go through
// one strict decoder and one set of checks.
func yamlToJSON(data []byte) ([]byte, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("YAML: %w", err)
	}
	v, err := jsonable(v, "")
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func jsonable(v any, path string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			var err error
			if x[k], err = jsonable(e, path+"."+k); err != nil {
				return nil, err
			}
		}
		return x, nil
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			ks := fmt.Sprint(k)
			var err error
			if m[ks], err = jsonable(e, path+"."+ks); err != nil {
				return nil, err
			}
		}
		return m, nil
	case []any:
		for i, e := range x {
			var err error
			if x[i], err = jsonable(e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return nil, err
			}
		}
		return x, nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	case float64, int, int64, uint64, string, bool, nil:
		return x, nil
	}
	return nil, fmt.Errorf("YAML: %s: a value of type %T has no JSON form", strings.TrimPrefix(path, "."), v)
}

// jsonError adds the line and column to a JSON syntax or type error.
func jsonError(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		if te.Field != "" {
			return fmt.Errorf("line %d: %s must be %s, not %s", lineOf(data, off), te.Field, te.Type, te.Value)
		}
	}
	if off < 0 {
		return err
	}
	return fmt.Errorf("line %d: %w", lineOf(data, off), err)
}

func lineOf(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// problems collects validation errors with their place in the file.
type problems []string

func (p *problems) add(where, format string, args ...any) {
	*p = append(*p, where+": "+fmt.Sprintf(format, args...))
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.New(strings.Join(p, "\n  "))
}

func (f *fileInput) validate() (*Input, error) {
	var p problems
	in := &Input{Title: strings.TrimSpace(f.Title), TLP: event.DefaultTLP}
	if f.TLP != "" {
		t, err := event.ParseTLP(f.TLP)
		if err != nil {
			p.add("tlp", "%v", err)
		}
		in.TLP = t
	}
	for _, c := range []struct {
		name string
		n    int
	}{{"observations", len(f.Observations)}, {"evidence", len(f.Evidence)}, {"hypotheses", len(f.Hypotheses)}} {
		if c.n > MaxItems {
			p.add(c.name, "%d entries; an assessment takes at most %d: split the case", c.n, MaxItems)
		}
	}
	if len(f.Observations) == 0 && len(f.Evidence) == 0 {
		p.add("file", "give observations (addresses with port and UTC time) or evidence, or both")
	}
	ids := map[string]string{}
	claim := func(id, where string) {
		switch {
		case id == "":
			p.add(where, "id is missing")
		case !validID(id):
			p.add(where, "id %q: use letters, digits, '-', '_' and '.' only", id)
		case ids[id] != "":
			p.add(where, "id %q is already used by %s", id, ids[id])
		default:
			ids[id] = where
		}
	}
	for i, fo := range f.Observations {
		where := fmt.Sprintf("observations[%d]", i)
		if fo.ID == "" {
			fo.ID = fmt.Sprintf("o%d", i+1)
		}
		claim(fo.ID, where)
		o := Observation{ID: fo.ID, Role: strings.ToLower(strings.TrimSpace(fo.Role)), Note: fo.Note, Reliability: 'B', Credibility: 2, TLP: in.TLP}
		ip, err := netip.ParseAddr(strings.TrimSpace(fo.IP))
		if err != nil {
			p.add(where+".ip", "%q is not an IP address", fo.IP)
		}
		o.IP = ip.Unmap()
		if fo.Port != nil {
			if *fo.Port < 1 || *fo.Port > 65535 {
				p.add(where+".port", "%d is not a port (1-65535)", *fo.Port)
			} else {
				o.Port = uint16(*fo.Port)
			}
		}
		if fo.Time != "" {
			t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(fo.Time))
			if err != nil {
				p.add(where+".time", "%q is not an RFC 3339 time with its UTC offset, e.g. 2024-03-12T10:00:00Z", fo.Time)
			}
			o.Time = t.UTC()
		}
		if o.Role == "" {
			o.Role = "attack-source"
		} else if !validRole(o.Role) {
			p.add(where+".role", "%q: use one of %s", fo.Role, strings.Join(ObservationRoles, ", "))
		}
		if fo.Country != "" {
			o.Country = strings.ToUpper(strings.TrimSpace(fo.Country))
			if !isCountryCode(o.Country) {
				p.add(where+".country", "%q is not an ISO 3166-1 alpha-2 code", fo.Country)
			}
		}
		if fo.Reliability != "" {
			if o.Reliability, err = ParseReliability(fo.Reliability); err != nil {
				p.add(where+".reliability", "%v", err)
			}
		}
		if fo.Credibility != nil {
			if o.Credibility, err = ParseCredibility(*fo.Credibility); err != nil {
				p.add(where+".credibility", "%v", err)
			}
		}
		if fo.TLP != "" {
			if o.TLP, err = event.ParseTLP(fo.TLP); err != nil {
				p.add(where+".tlp", "%v", err)
			}
		}
		in.Observations = append(in.Observations, o)
	}
	for i, fe := range f.Evidence {
		where := fmt.Sprintf("evidence[%d]", i)
		claim(fe.ID, where)
		e := Evidence{ID: fe.ID, Summary: strings.TrimSpace(fe.Summary), Source: strings.TrimSpace(fe.Source), Events: fe.Events, TLP: in.TLP, SpoofReason: strings.TrimSpace(fe.SpoofabilityReason)}
		c, ok := ClassByID(fe.Class)
		if !ok {
			p.add(where+".class", "%q: use one of %s", fe.Class, classIDs())
		}
		e.Class, e.Spoof, e.Level = c, c.Spoof, c.MaxLevel
		var err error
		if e.Reliability, err = ParseReliability(fe.Reliability); err != nil {
			p.add(where+".reliability", "%v", err)
		}
		if fe.Credibility == nil {
			p.add(where+".credibility", "missing: give an Admiralty grade 1 to 6 (6: cannot be judged)")
		} else if e.Credibility, err = ParseCredibility(*fe.Credibility); err != nil {
			p.add(where+".credibility", "%v", err)
		}
		if e.Relevance, err = ParseRelevance(fe.Relevance); err != nil {
			p.add(where+".relevance", "%v", err)
		}
		if fe.Spoofability != "" {
			s, err := ParseSpoofability(fe.Spoofability)
			switch {
			case err != nil:
				p.add(where+".spoofability", "%v", err)
			case s != c.Spoof && e.SpoofReason == "":
				p.add(where+".spoofability_reason", "%s evidence is %s to fake by default; say why this item is %s (e.g. the forgery checks made)", c.ID, c.Spoof, s)
			default:
				e.Spoof = s
			}
		}
		if fe.Level != "" {
			l, err := ParseLevel(fe.Level)
			switch {
			case err != nil:
				p.add(where+".level", "%v", err)
			case ok && l > c.MaxLevel:
				p.add(where+".level", "%s evidence supports the %s level at most, not %s", c.ID, c.MaxLevel, l)
			default:
				e.Level = l
			}
		}
		if fe.TLP != "" {
			if e.TLP, err = event.ParseTLP(fe.TLP); err != nil {
				p.add(where+".tlp", "%v", err)
			}
		}
		for j, k := range fe.Events {
			if !isEventKey(k) {
				p.add(fmt.Sprintf("%s.events[%d]", where, j), "%q is not a stored event key (32 hex digits)", k)
			}
		}
		if e.Summary == "" {
			p.add(where+".summary", "say in a sentence what the item is")
		}
		in.Evidence = append(in.Evidence, e)
	}
	hids := map[string]bool{}
	for i, fh := range f.Hypotheses {
		where := fmt.Sprintf("hypotheses[%d]", i)
		h := Hypothesis{ID: fh.ID, Statement: strings.TrimSpace(fh.Statement), Level: LevelOperator, Country: strings.ToUpper(strings.TrimSpace(fh.Country))}
		switch {
		case h.ID == "":
			p.add(where, "id is missing")
		case !validID(h.ID):
			p.add(where, "id %q: use letters, digits, '-', '_' and '.' only", h.ID)
		case hids[h.ID]:
			p.add(where, "hypothesis id %q is used twice", h.ID)
		}
		hids[h.ID] = true
		if h.Statement == "" {
			p.add(where+".statement", "say what the hypothesis claims")
		}
		var err error
		if fh.Level != "" {
			if h.Level, err = ParseLevel(fh.Level); err != nil {
				p.add(where+".level", "%v", err)
			}
		}
		if h.Kind, err = ParseKind(fh.Kind); err != nil {
			p.add(where+".kind", "%v", err)
		}
		if h.Country != "" && !isCountryCode(h.Country) {
			p.add(where+".country", "%q is not an ISO 3166-1 alpha-2 code", fh.Country)
		}
		if (h.Kind == KindOther) != (h.Country == "") {
			p.add(where, "kind and country go together: give both for Concord to rate observations against it, or neither")
		}
		in.Hypotheses = append(in.Hypotheses, h)
	}
	if len(f.Ratings) > 0 {
		in.Ratings = map[string]map[string]Override{}
	}
	for _, eid := range slices.Sorted(maps.Keys(f.Ratings)) {
		row := map[string]Override{}
		for _, hid := range slices.Sorted(maps.Keys(f.Ratings[eid])) {
			fr := f.Ratings[eid][hid]
			r, err := ParseRating(fr.Rating)
			if err != nil {
				p.add("ratings."+eid+"."+hid, "%v", err)
			}
			row[hid] = Override{Rating: r, Reason: strings.TrimSpace(fr.Reason)}
		}
		in.Ratings[eid] = row
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return in, nil
}

func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

func isCountryCode(cc string) bool {
	return len(cc) == 2 && cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z'
}

func isEventKey(k string) bool {
	if len(k) != 32 {
		return false
	}
	for _, r := range k {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}

func classIDs() string {
	ids := make([]string, len(Classes))
	for i, c := range Classes {
		ids[i] = c.ID
	}
	return strings.Join(ids, ", ")
}
