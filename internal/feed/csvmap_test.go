package feed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/golden"
)

// mapFormatOf names the format for a sample by its extension.
func mapFormatOf(path string) string {
	if strings.HasSuffix(path, ".jsonl") {
		return "jsonl"
	}
	return "csv"
}

func loadTestMapping(t testing.TB, sample string) *Mapping {
	t.Helper()
	ext := filepath.Ext(sample)
	m, err := LoadMapping(strings.TrimSuffix(sample, ext) + ".mapping.json")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCSVMapGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/csvmap/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".golden") || strings.HasSuffix(f, ".mapping.json") {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			rec := decodeFile(t, mapFormatOf(f), Options{Mapping: loadTestMapping(t, f)}, f)
			golden.Check(t, f+".golden", rec.golden())
			for i := range rec.events {
				if err := rec.events[i].Validate(); err != nil {
					t.Errorf("event %d: %v", i, err)
				}
				if len(rec.events[i].Extra) > 0 && !json.Valid(rec.events[i].Extra) {
					t.Errorf("event %d: extra is not JSON: %s", i, rec.events[i].Extra)
				}
			}
		})
	}
	if n < 4 {
		t.Fatalf("found %d samples in testdata/csvmap", n)
	}
}

// TestCSVMapSamples pins each sample's counts and every rejection reason,
// so a careless -update cannot hide a change.
func TestCSVMapSamples(t *testing.T) {
	tests := []struct {
		file    string
		events  int
		rejects []string // substrings, in order
	}{
		{"blocklist.csv", 6, []string{
			`column "ip": invalid IP address "192.0.2.300"`,
			`column "port": invalid port "99999"`,
			`column "first_seen": invalid time "last tuesday"`,
			"row has 2 fields, the header has 6",
			"incident names no address",
			"unterminated quoted field",
		}},
		{"scanners.tsv", 3, []string{
			"classification other/tor describes an address, not an incident",
			`classification: "not-a-class" is not an RSIT classification type`,
			mapErrNoClass,
			`tlp: "purple" is not a TLP label`,
			"row has 2 fields, the mapping reads column 6",
		}},
		{"alerts.jsonl", 3, []string{
			`member "src.ip": invalid IP address "198.51.100.999"`,
			"classification other/proxy describes an address",
			mapErrNoClass,
			`member "alert.signature": want a string or number, got an object`,
			`member "note": invalid string escape`,
			"invalid JSON: unexpected end of JSON",
			"invalid JSON: expected a JSON object, found '['",
			`member "timestamp": invalid time "yesterday"`,
			`member "score": invalid JSON value 1.2.3`,
		}},
		{"phish.csv", 2, []string{
			`column "Reported": invalid time "2024-03-12 09:25:00": does not match time_format`,
			"classification: \"malicious-code/phishing\": type phishing belongs to taxonomy fraud",
			`classification.taxonomy "fraud" names no type`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := filepath.Join("testdata/csvmap", tt.file)
			rec := decodeFile(t, mapFormatOf(f), Options{Mapping: loadTestMapping(t, f)}, f)
			if len(rec.events) != tt.events || len(rec.rejects) != len(tt.rejects) {
				t.Fatalf("got %d events, rejects %v; want %d events, %d rejects", len(rec.events), rec.rejects, tt.events, len(tt.rejects))
			}
			for i, want := range tt.rejects {
				if !strings.Contains(rec.rejects[i].Reason, want) {
					t.Errorf("reject %d (line %d) = %q, want it to contain %q", i, rec.rejects[i].Line, rec.rejects[i].Reason, want)
				}
			}
		})
	}
}

func TestCSVMapFields(t *testing.T) {
	f := "testdata/csvmap/blocklist.csv"
	rec := decodeFile(t, "csv", Options{Mapping: loadTestMapping(t, f), TLP: tlpOf(event.TLPRed)}, f)
	e := rec.events[1]
	if e.Source.IP.String() != "198.51.100.11" || e.Source.Port != 8080 || e.Malware != "qakbot" ||
		!e.TimeSource.Equal(time.Date(2024, 3, 2, 11, 30, 0, 0, time.UTC)) || e.Line != 4 {
		t.Errorf("row 2: %+v", e)
	}
	if e.Feed.Name != "acme-c2" || e.Feed.Provider != "ACME CERT" || e.TLP != event.TLPGreen || e.Class != event.ClassC2 || e.Source.Role != event.RoleC2 {
		t.Errorf("row 2: feed %+v tlp %s class %s role %s", e.Feed, e.TLP, e.Class, e.Source.Role)
	}
	// The mapped note goes to its extra name, the unmapped confidence
	// column under its header name.
	if want := `{"confidence":"medium","analyst_note":"seen, then gone"}`; string(e.Extra) != want {
		t.Errorf("extra %s, want %s", e.Extra, want)
	}
	if want := `198.51.100.11,8080,2024-03-02 11:30:00,QakBot,medium,"seen, then gone"`; string(e.Raw) != want {
		t.Errorf("raw %q", e.Raw)
	}
	ml := rec.events[2]
	if ml.Line != 5 || string(ml.Raw) != "2001:db8::11,,2024-03-03,,low,\"multi-line\nnote\"" || ml.Source.Port != 0 || ml.Malware != "" {
		t.Errorf("multi-line row: line %d raw %q", ml.Line, ml.Raw)
	}
	times := []string{"2024-03-07T10:00:00Z", "2024-03-07T10:00:00.123Z", "2024-03-07T10:00:00.5Z"}
	for i, want := range times {
		if got := rec.events[3+i].TimeSource.Format(time.RFC3339Nano); got != want {
			t.Errorf("epoch row %d: %s, want %s", i, got, want)
		}
	}
}

func TestCSVMapTSVNoHeader(t *testing.T) {
	f := "testdata/csvmap/scanners.tsv"
	rec := decodeFile(t, "csv", Options{Mapping: loadTestMapping(t, f), TLP: tlpOf(event.TLPClear)}, f)
	want := []struct {
		class   event.Class
		tlp     event.TLP
		extra   string
		dstPort uint16
	}{
		{event.ClassBruteForce, event.TLPAmber, `{"column_7":"sshd"}`, 22},
		{event.ClassScanner, event.TLPClear, ``, 23},
		{event.ClassScanner, event.TLPRed, `{"column_7":"smb","column_8":"extra-field"}`, 445},
	}
	for i, w := range want {
		e := rec.events[i]
		if e.Class != w.class || e.TLP != w.tlp || string(e.Extra) != w.extra || e.Destination.Port != w.dstPort ||
			e.Source.Role != event.RoleAttacker || e.Destination.Role != event.RoleNone || e.Transport != "tcp" ||
			e.Feed.Name != "honeynet-scanners" || e.Feed.Provider != "" {
			t.Errorf("event %d: class %s tlp %s extra %s port %d roles %s/%s transport %q feed %+v",
				i, e.Class, e.TLP, e.Extra, e.Destination.Port, e.Source.Role, e.Destination.Role, e.Transport, e.Feed)
		}
	}
	if got := rec.events[0].TimeSource.Format(time.RFC3339Nano); got != "2024-03-07T10:00:00.123Z" {
		t.Errorf("ms epoch: %s", got)
	}
}

func TestJSONLMapNested(t *testing.T) {
	f := "testdata/csvmap/alerts.jsonl"
	rec := decodeFile(t, "jsonl", Options{Mapping: loadTestMapping(t, f)}, f)
	e := rec.events[0]
	if e.Source.IP.String() != "203.0.113.50" || e.Source.Port != 51234 || e.Destination.IP.String() != "192.0.2.80" ||
		e.Destination.Port != 443 || e.Text != "ET MALWARE Dridex CnC" || e.Identifier != "2030001" || e.Malware != "dridex" ||
		e.Class != event.ClassC2 || e.Transport != "tcp" || e.Line != 1 {
		t.Errorf("first alert: %+v", e)
	}
	if got := e.TimeSource.Format(time.RFC3339Nano); got != "2024-03-12T09:00:00.123456Z" {
		t.Errorf("time %s", got)
	}
	// Unmapped members, nested ones by their dotted path; the mapped
	// extra.sensor under its own name.
	if want := `{"alert.severity":1,"sensor":"edge-1","flow_id":123456789}`; string(e.Extra) != want {
		t.Errorf("extra %s, want %s", e.Extra, want)
	}
	e = rec.events[1]
	if e.Class != event.ClassBruteForce || e.Line != 2 || e.Source.Port != 0 {
		t.Errorf("second alert: class %s line %d", e.Class, e.Line)
	}
	if want := `{"tags":["ssh","auth"],"note":"café"}`; string(e.Extra) != want {
		t.Errorf("extra %s, want %s", e.Extra, want)
	}
	// A member whose name has a dot matches the path too; a string where
	// the mapping expects an object is kept in extra.
	e = rec.events[2]
	if e.Source.IP.String() != "198.51.100.52" || e.Class != event.ClassScanner || string(e.Extra) != `{"src":"flattened"}` || e.Line != 4 {
		t.Errorf("dotted member: ip %s class %s extra %s line %d", e.Source.IP, e.Class, e.Extra, e.Line)
	}
	if e.Feed.Name != "acme-ids" || e.Feed.Provider != "ACME SOC" {
		t.Errorf("feed %+v", e.Feed)
	}
}

func TestCSVMapPhish(t *testing.T) {
	f := "testdata/csvmap/phish.csv"
	rec := decodeFile(t, "csv", Options{Mapping: loadTestMapping(t, f)}, f)
	e := rec.events[0]
	if e.Source.URL != "https://login.example-bank.test/verify" || e.Source.FQDN != "login.example-bank.test" ||
		e.Class != event.ClassPhishing || e.Feed.Name != "partner-portal" || e.Feed.Provider != "Partner CSIRT" ||
		!e.TimeSource.Equal(time.Date(2024, 3, 12, 9, 15, 0, 0, time.UTC)) {
		t.Errorf("first: %+v", e)
	}
	if want := `{"target_brand":"Example Bank","Comment":"first; of two"}`; string(e.Extra) != want {
		t.Errorf("extra %s", e.Extra)
	}
	if rec.events[1].Feed.Name != "partner-phish" {
		t.Errorf("empty feed.name column should fall back to the mapping's feed: %q", rec.events[1].Feed.Name)
	}
	// --feed beats both.
	rec = decodeFile(t, "csv", Options{Mapping: loadTestMapping(t, f), Feed: "cli-feed"}, f)
	for _, e := range rec.events {
		if e.Feed.Name != "cli-feed" {
			t.Errorf("line %d: feed %q", e.Line, e.Feed.Name)
		}
	}
}

// A decoder used for a second input reads that input's header row.
func TestCSVMapDecoderReuse(t *testing.T) {
	f, _ := Lookup("csv")
	dec, err := f.New(Options{Mapping: &Mapping{Classification: "c2-server", Columns: map[string]string{"ip": "source.ip"}}})
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range []string{"ip,a\n192.0.2.1,x\n", "b,ip\ny,192.0.2.2\n"} {
		rec := &recorder{}
		if err := dec.Decode(t.Context(), strings.NewReader(in), rec); err != nil || len(rec.events) != 1 {
			t.Fatalf("input %d: %v, rejects %v", i, err, rec.rejects)
		}
	}
}

func TestMapNeedsMapping(t *testing.T) {
	for _, name := range []string{"csv", "jsonl"} {
		f, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.New(Options{})
		want := "format " + name + " needs a mapping file: --mapping FILE (see docs/formats.md)"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", name, err)
		}
		for _, head := range []string{"ip,port\n192.0.2.1,443\n", `{"ip":"192.0.2.1"}` + "\n", "# abuse.ch Feodo Tracker\n192.0.2.1\n"} {
			if s := f.Sniff("x."+name, []byte(head)); s != 0 {
				t.Errorf("%s sniffs %d", name, s)
			}
		}
	}
}

func TestMapValidation(t *testing.T) {
	ok := map[string]string{"ip": "source.ip"}
	tests := []struct {
		name   string
		format string
		m      Mapping
		err    string
	}{
		{"no columns", "csv", Mapping{}, `"columns" is empty`},
		{"unknown field", "csv", Mapping{Columns: map[string]string{"ip": "source.ip", "x": "source.address"}}, "unknown target fields x→source.address"},
		{"bare extra", "csv", Mapping{Columns: map[string]string{"ip": "source.ip", "x": "extra."}}, "unknown target fields"},
		{"no address", "csv", Mapping{Columns: map[string]string{"port": "source.port"}}, "no column maps to an address field"},
		{"not RSIT", "csv", Mapping{Classification: "bad-stuff", Columns: ok}, "not an RSIT classification type"},
		{"relay class", "csv", Mapping{Classification: "other/tor", Columns: ok}, "describes an address, not an incident"},
		{"bad TLP", "csv", Mapping{TLP: "TLP:PURPLE", Columns: ok}, "not a TLP label"},
		{"long delimiter", "csv", Mapping{Delimiter: ";;", Columns: ok}, "must be one character"},
		{"non-ASCII delimiter", "csv", Mapping{Delimiter: "§", Columns: ok}, "one ASCII character"},
		{"quote delimiter", "csv", Mapping{Delimiter: `"`, Columns: ok}, "one ASCII character other than a quote"},
		{"two columns one field", "csv", Mapping{Columns: map[string]string{"a": "source.ip", "b": "source.ip", "c": "extra.x", "d": "extra.x"}}, "several columns map to one field: extra.x ← c, d; source.ip ← a, b"},
		{"names without header", "csv", Mapping{NoHeader: true, Columns: map[string]string{"ip": "source.ip"}}, "numbered from 1"},
		{"column far out", "csv", Mapping{NoHeader: true, Columns: map[string]string{"99999": "source.ip"}}, "beyond the 4096 columns"},
		{"column zero", "csv", Mapping{NoHeader: true, Columns: map[string]string{"0": "source.ip"}}, "numbered from 1"},
		{"empty path part", "jsonl", Mapping{Columns: map[string]string{"src..ip": "source.ip"}}, "empty part"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := Lookup(tt.format)
			m := tt.m
			_, err := f.New(Options{Mapping: &m})
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want one containing %q", err, tt.err)
			}
		})
	}
}

func TestLoadMappingErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, body, err string
	}{
		{"unknown key", `{"feed":"x","colums":{"ip":"source.ip"}}`, "unknown field"},
		{"not JSON", `feed: x`, "invalid character"},
		{"invalid mapping", `{"feed":"x","columns":{"ip":"source.ipp"}}`, "unknown target fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "m.json")
			if err := os.WriteFile(p, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadMapping(p); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error %v, want %q", err, tt.err)
			}
		})
	}
	if _, err := LoadMapping(filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestCSVMapDecode(t *testing.T) {
	c2 := "malicious-code/c2-server"
	tests := []struct {
		name            string
		m               Mapping
		in              string
		err             string // whole-input error substring
		events, rejects int
		check           func(t *testing.T, r *recorder)
	}{
		{name: "header lacks a mapped column", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip", "fam": "malware.name"}},
			in: "ip,family\n192.0.2.1,x\n", err: `the header row has no column "fam" named in the mapping (header: ip,family)`},
		{name: "header names match case-insensitively", m: Mapping{Classification: c2, Columns: map[string]string{"IP": "source.ip"}},
			in: " ip ,x\n192.0.2.1,1\n", events: 1},
		{name: "duplicate and empty header names stay apart", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip", "a": "extra.b"}},
			in: "ip,a,b,b,\n192.0.2.1,1,2,3,4\n", events: 1, check: func(t *testing.T, r *recorder) {
				if want := `{"b":"1","column_3":"2","column_4":"3","column_5":"4"}`; string(r.events[0].Extra) != want {
					t.Errorf("extra %s, want %s", r.events[0].Extra, want)
				}
			}},
		{name: "empty input", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip"}}, in: ""},
		{name: "header only", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip"}}, in: "# c\nip\n"},
		{name: "binary", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip"}}, in: "ip\n\x00\x00", err: "binary"},
		{name: "byte order mark", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip"}}, in: "\ufeffip\n192.0.2.1\n", events: 1},
		{name: "TLP from Options when none given", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip"}},
			in: "ip\n192.0.2.1\n", events: 1, check: func(t *testing.T, r *recorder) {
				if r.events[0].TLP != event.TLPAmberStrict || r.events[0].Feed.Name != "csv" {
					t.Errorf("tlp %s feed %q", r.events[0].TLP, r.events[0].Feed.Name)
				}
			}},
		{name: "classification column beats the constant", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip", "t": "classification.type"}},
			in: "ip,t\n192.0.2.1,infected\n192.0.2.2,\n", events: 2, check: func(t *testing.T, r *recorder) {
				if r.events[0].Class != event.ClassInfected || r.events[1].Class != event.ClassC2 || r.events[0].Source.Role != event.RoleInfected {
					t.Errorf("classes %s %s", r.events[0].Class, r.events[1].Class)
				}
			}},
		{name: "taxonomy with a legacy spelling", m: Mapping{Columns: map[string]string{"ip": "source.ip", "tax": "classification.taxonomy", "t": "classification.type"}},
			in: "ip,tax,t\n192.0.2.1,Malicious Code,botnet drone\n", events: 1, check: func(t *testing.T, r *recorder) {
				if r.events[0].Class != event.ClassInfected {
					t.Errorf("class %s", r.events[0].Class)
				}
			}},
		{name: "time_format with zone", m: Mapping{Classification: c2, TimeFormat: "Jan 2 2006 15:04 MST", Columns: map[string]string{"ip": "source.ip", "t": "time.source"}},
			in: "ip,t\n192.0.2.1,Mar 12 2024 10:00 UTC\n", events: 1, check: func(t *testing.T, r *recorder) {
				if got := r.events[0].TimeSource; got.Location() != time.UTC || got.Format(time.RFC3339) != "2024-03-12T10:00:00Z" {
					t.Errorf("time %s", got)
				}
			}},
		{name: "epoch edge cases", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip", "t": "time.source"}},
			in: "ip,t\n192.0.2.1,0\n192.0.2.2,-1\n192.0.2.3,17098056001234\n192.0.2.4,1.5e9\n", events: 3, rejects: 1},
		{name: "FQDN and URL", m: Mapping{Classification: "phishing", Columns: map[string]string{"h": "destination.fqdn", "u": "destination.url", "app": "protocol.application"}},
			in: "h,u,app\nWWW.Example.COM.,https://www.example.com/a,HTTP\n", events: 1, check: func(t *testing.T, r *recorder) {
				e := r.events[0]
				if e.Destination.FQDN != "www.example.com" || e.Destination.URL != "https://www.example.com/a" || e.Application != "http" {
					t.Errorf("%+v", e.Destination)
				}
			}},
		{name: "provider column", m: Mapping{Classification: c2, Provider: "P", Columns: map[string]string{"ip": "source.ip", "p": "feed.provider"}},
			in: "ip,p\n192.0.2.1,Q\n192.0.2.2,\n", events: 2, check: func(t *testing.T, r *recorder) {
				if r.events[0].Feed.Provider != "Q" || r.events[1].Feed.Provider != "P" {
					t.Errorf("providers %q %q", r.events[0].Feed.Provider, r.events[1].Feed.Provider)
				}
			}},
		{name: "too long a line", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip"}},
			in: "ip\n" + strings.Repeat("x", MaxLineSize+10) + "\n192.0.2.1\n", events: 1, rejects: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m
			rec, err := decodeBytes(t, "csv", Options{Mapping: &m, TLP: tlpOf(event.TLPAmberStrict)}, []byte(tt.in))
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want %q", err, tt.err)
			}
			if len(rec.events) != tt.events || len(rec.rejects) != tt.rejects {
				t.Fatalf("got %d events, rejects %v; want %d, %d", len(rec.events), rec.rejects, tt.events, tt.rejects)
			}
			if tt.check != nil {
				tt.check(t, rec)
			}
		})
	}
}

func TestJSONLMapDecode(t *testing.T) {
	c2 := "malicious-code/c2-server"
	tests := []struct {
		name            string
		m               Mapping
		in              string
		events, rejects int
		extra           string // of the first event, when set
	}{
		{name: "string and number ports", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip", "port": "source.port"}},
			in: `{"ip":"192.0.2.1","port":443}` + "\n" + `{"ip":"192.0.2.2","port":"8080"}` + "\n" + `{"ip":"192.0.2.3","port":true}` + "\n", events: 2, rejects: 1},
		{name: "mapped extra keeps its JSON type", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip", "n": "extra.count", "o": "extra.obj"}},
			in: `{"ip":"192.0.2.1","n":3,"o":{"a":[1,2]}}`, events: 1, extra: `{"count":3,"obj":{"a":[1,2]}}`},
		{name: "nulls are absent", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip", "port": "source.port", "n": "extra.n"}},
			in: `{"ip":"192.0.2.1","port":null,"n":null,"other":null}`, events: 1, extra: ``},
		{name: "escaped member names", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip"}},
			in: `{"\u0069p":"192.0.2.1","k\"ey":1}`, events: 1, extra: `{"k\"ey":1}`},
		{name: "comment lines only when asked", m: Mapping{Classification: c2, Comment: "#", Columns: map[string]string{"ip": "source.ip"}},
			in: "# exported\n" + `{"ip":"192.0.2.1"}`, events: 1},
		{name: "comment lines are records otherwise", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip"}},
			in: "# exported\n" + `{"ip":"192.0.2.1"}`, events: 1, rejects: 1},
		{name: "trailing garbage", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip"}},
			in: `{"ip":"192.0.2.1"} x`, rejects: 1},
		{name: "object where a string is mapped", m: Mapping{Classification: c2, Columns: map[string]string{"ip": "source.ip"}},
			in: `{"ip":{"v4":"192.0.2.1"}}`, rejects: 1},
		{name: "deep paths", m: Mapping{Classification: c2, Columns: map[string]string{"a.b.c.ip": "source.ip"}},
			in: `{"a":{"b":{"c":{"ip":"192.0.2.1","x":1},"y":[2]}}}`, events: 1, extra: `{"a.b.c.x":1,"a.b.y":[2]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.m
			rec, err := decodeBytes(t, "jsonl", Options{Mapping: &m}, []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.events) != tt.events || len(rec.rejects) != tt.rejects {
				t.Fatalf("got %d events, rejects %v; want %d, %d", len(rec.events), rec.rejects, tt.events, tt.rejects)
			}
			if tt.events > 0 && string(rec.events[0].Extra) != tt.extra {
				t.Errorf("extra %s, want %s", rec.events[0].Extra, tt.extra)
			}
			for _, e := range rec.events {
				if e.Feed.Name != "jsonl" {
					t.Errorf("feed %q", e.Feed.Name)
				}
			}
		})
	}
}

func FuzzCSVMap(f *testing.F) {
	for _, p := range []string{"testdata/csvmap/blocklist.csv", "testdata/csvmap/phish.csv", "testdata/csvmap/scanners.tsv"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	m := &Mapping{Classification: "c2-server", Columns: map[string]string{
		"ip": "source.ip", "port": "source.port", "first_seen": "time.source", "family": "malware.name",
		"t": "classification.type", "tlp": "tlp", "note": "extra.note",
	}}
	f.Add([]byte("ip,port,first_seen,family,t,tlp,note\n192.0.2.1,443,2024-01-01,x,scanner,red,n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		format, _ := Lookup("csv")
		dec, err := format.New(Options{Mapping: m})
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		err = dec.Decode(t.Context(), bytes.NewReader(data), rec)
		mapCheckEvents(t, rec)
		if err != nil || bytes.ContainsAny(data, "\"\r") || bytes.HasPrefix(data, feodoBOM) {
			return
		}
		// Without quotes every data line but the header is one record.
		lines := 0
		for _, l := range bytes.Split(data, []byte{'\n'}) {
			if !isBlank(l) && !bytes.HasPrefix(l, []byte{'#'}) {
				lines++
			}
		}
		if lines > 0 && rec.records() != lines-1 {
			t.Fatalf("%d data lines, %d events + %d rejects", lines, len(rec.events), len(rec.rejects))
		}
	})
}

func FuzzJSONLMap(f *testing.F) {
	b, err := os.ReadFile("testdata/csvmap/alerts.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"a":{"b":"192.0.2.1"},"c":[1,{"d":null}],"e":"\u00e9"}`))
	m := loadTestMapping(f, "testdata/csvmap/alerts.jsonl")
	f.Fuzz(func(t *testing.T, data []byte) {
		format, _ := Lookup("jsonl")
		dec, err := format.New(Options{Mapping: m})
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		if err := dec.Decode(t.Context(), bytes.NewReader(data), rec); err != nil {
			return
		}
		mapCheckEvents(t, rec)
		lines := 0
		for _, l := range bytes.Split(data, []byte{'\n'}) {
			if !isBlank(bytes.TrimRight(l, "\r")) {
				lines++
			}
		}
		if rec.records() != lines {
			t.Fatalf("%d non-blank lines, %d events + %d rejects", lines, len(rec.events), len(rec.rejects))
		}
	})
}

// mapCheckEvents asserts what every emitted event must satisfy.
func mapCheckEvents(t *testing.T, rec *recorder) {
	t.Helper()
	for i := range rec.events {
		e := &rec.events[i]
		if err := e.Validate(); err != nil {
			t.Fatalf("emitted invalid event: %v", err)
		}
		if len(e.Extra) > 0 && !json.Valid(e.Extra) {
			t.Fatalf("extra is not JSON: %q", e.Extra)
		}
		if e.Line < 1 || len(e.Raw) == 0 {
			t.Fatalf("line %d raw %q", e.Line, e.Raw)
		}
	}
}

func BenchmarkCSVMap(b *testing.B) {
	const n = 20000
	var csv, jl bytes.Buffer
	csv.WriteString("ip,port,first_seen,family,confidence,note\n")
	for i := range n {
		ip := fmt.Sprintf("%d.%d.%d.%d", 11+i%200, i/256%256, i%256, 1+i%250)
		fmt.Fprintf(&csv, "%s,%d,2024-03-%02dT10:%02d:00Z,Dridex,high,\"seen, twice\"\n", ip, 443+i%3, 1+i%28, i%60)
		fmt.Fprintf(&jl, `{"timestamp":"2024-03-%02dT10:%02d:00.123456+01:00","src":{"ip":"%s","port":%d},"dest":{"ip":"192.0.2.80","port":443},"proto":"TCP","alert":{"signature":"ET MALWARE Dridex CnC","signature_id":2030001,"category":"c2-server","severity":1,"meta":{"family":"Dridex"}},"sensor":"edge-1","flow_id":%d}`+"\n",
			1+i%28, i%60, ip, 1024+i%60000, i)
	}
	runs := []struct {
		format string
		m      *Mapping
		data   []byte
	}{
		{"csv", loadTestMapping(b, "testdata/csvmap/blocklist.csv"), csv.Bytes()},
		{"jsonl", loadTestMapping(b, "testdata/csvmap/alerts.jsonl"), jl.Bytes()},
	}
	for _, r := range runs {
		b.Run(r.format, func(b *testing.B) {
			benchDecoder(b, r.format, Options{Mapping: r.m}, r.data, n)
		})
	}
}
