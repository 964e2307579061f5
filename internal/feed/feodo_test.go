package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/golden"
)

func TestFeodoGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/feodo/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".golden") {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			rec := decodeFile(t, "feodo", Options{TLP: tlpOf(event.TLPClear)}, f)
			golden.Check(t, f+".golden", rec.golden())
			for i := range rec.events {
				if err := rec.events[i].Validate(); err != nil {
					t.Errorf("event %d: %v", i, err)
				}
			}
		})
	}
	if n < 6 {
		t.Fatalf("found %d samples in testdata/feodo", n)
	}
}

// TestFeodoCounts pins what each sample yields, so a golden file rewritten
// by mistake with -update still has to agree with these numbers.
func TestFeodoCounts(t *testing.T) {
	tests := []struct {
		file             string
		events, rejects  int
		firstIP          string
		firstLine        int64
		firstMalware     string
		firstTime        string
		rejectSubstrings []string
	}{
		{"ipblocklist.csv", 8, 7, "192.0.2.15", 10, "dridex", "2024-03-11T00:00:00Z",
			[]string{`invalid IP address "198.51.100.300"`, `invalid port "70000"`, "no C2 IP address",
				`first_seen: invalid time "yesterday"`, "last_online: invalid time", "row has 4 fields, the header has 6", "row has 7 fields"}},
		{"ipblocklist_reordered.csv", 3, 0, "192.0.2.31", 3, "dridex", "2024-03-12T00:00:00Z", nil},
		{"ipblocklist_old.csv", 2, 1, "192.0.2.144", 9, "emotet", "2020-06-11T00:00:00Z",
			[]string{"row has 3 fields, the header has 5"}},
		{"ipblocklist_recommended.txt", 4, 2, "192.0.2.15", 10, "", "2024-03-12T10:05:11Z",
			[]string{`invalid IP address "203.0.113.300"`, "expected one IP address per line"}},
		{"ipblocklist.json", 4, 6, "192.0.2.15", 2, "dridex", "2024-03-11T00:00:00Z",
			[]string{`invalid IP address "198.51.100.300"`, "port: invalid port true", "no C2 IP address",
				"invalid JSON object: expected ':'", "array element is a number", "malware: want a string, got a number"}},
		{"ipblocklist_truncated.json", 1, 1, "192.0.2.90", 2, "bumblebee", "2024-03-12T00:00:00Z",
			[]string{"invalid JSON object: unexpected end of JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rec := decodeFile(t, "feodo", Options{}, filepath.Join("testdata/feodo", tt.file))
			if len(rec.events) != tt.events || len(rec.rejects) != tt.rejects {
				t.Fatalf("got %d events, %d rejects %v; want %d, %d", len(rec.events), len(rec.rejects), rec.rejects, tt.events, tt.rejects)
			}
			e := rec.events[0]
			if e.Source.IP.String() != tt.firstIP || e.Line != tt.firstLine || e.Malware != tt.firstMalware ||
				e.TimeSource.Format(time.RFC3339) != tt.firstTime {
				t.Errorf("first event: ip %s line %d malware %q time %s", e.Source.IP, e.Line, e.Malware, e.TimeSource.Format(time.RFC3339))
			}
			if e.Class != event.ClassC2 || e.Source.Role != event.RoleC2 || e.Feed.Name != "feodo-tracker" || e.Feed.Provider != "abuse.ch" {
				t.Errorf("first event: class %s role %s feed %+v", e.Class, e.Source.Role, e.Feed)
			}
			for i, want := range tt.rejectSubstrings {
				if !strings.Contains(rec.rejects[i].Reason, want) {
					t.Errorf("reject %d = %q, want it to mention %q", i, rec.rejects[i].Reason, want)
				}
			}
		})
	}
}

// The raw bytes of a JSON record are its object, and its line the line
// where the object starts, so an analyst can find it in the file.
func TestFeodoJSONRawAndLine(t *testing.T) {
	data, err := os.ReadFile("testdata/feodo/ipblocklist.json")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := decodeBytes(t, "feodo", Options{}, data)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(data, []byte{'\n'})
	for _, e := range rec.events {
		if !bytes.HasPrefix(e.Raw, []byte("{")) || !bytes.HasSuffix(e.Raw, []byte("}")) || !json.Valid(e.Raw) {
			t.Errorf("line %d: raw is not one object: %q", e.Line, e.Raw)
		}
		if got := strings.TrimSpace(string(lines[e.Line-1])); got != "{" {
			t.Errorf("line %d holds %q, not the object's start", e.Line, got)
		}
		if !bytes.Contains(data, e.Raw) {
			t.Errorf("line %d: raw is not a slice of the input", e.Line)
		}
	}
	e := rec.events[1]
	want := `{"status":"online","first_seen":"2023-12-30T13:56:31+00:00","last_online":"2024-03-12","hostname":"c2.example.net","as_number":64511,"as_name":"DOC-AS","country":"NL"}`
	if string(e.Extra) != want {
		t.Errorf("extra\n got %s\nwant %s", e.Extra, want)
	}
	if e.Source.ASN != 0 || e.Source.CC != "" || e.Source.ASName != "" {
		t.Errorf("abuse.ch's AS/country leaked into enrichment fields: %+v", e.Source)
	}
	if e := rec.events[2]; string(e.Extra) != `{"status":"online","first_seen":"2024-02-20T06:30:55+00:00","tags":["loader", "beacon"],"confidence":90}` {
		t.Errorf("unknown members: extra %s", e.Extra)
	}
}

// The same C2 from the CSV and the JSON export gives the same facts.
func TestFeodoFormsAgree(t *testing.T) {
	csv := "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)\n" +
		`"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"` + "\n" +
		`"2021-01-17 07:30:05","192.0.2.15","443","offline","2024-03-11","Dridex"` + "\n"
	js := `[{"ip_address":"192.0.2.15","port":443,"status":"offline","hostname":null,"first_seen":"2021-01-17 07:30:05 UTC","last_online":"2024-03-11","malware":"Dridex"}]`
	a, err := decodeBytes(t, "feodo", Options{}, []byte(csv))
	if err != nil {
		t.Fatal(err)
	}
	b, err := decodeBytes(t, "feodo", Options{}, []byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.events) != 1 || len(b.events) != 1 {
		t.Fatalf("events: csv %d, json %d", len(a.events), len(b.events))
	}
	ea, eb := a.events[0], b.events[0]
	ea.Raw, eb.Raw, ea.Line, eb.Line = nil, nil, 0, 0
	ja, jb := ea.AppendJSON(nil), eb.AppendJSON(nil)
	if !bytes.Equal(ja, jb) {
		t.Errorf("csv  %s\njson %s", ja, jb)
	}
}

func TestFeodoTimeSource(t *testing.T) {
	head := "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist\n# Last updated: 2024-03-12 10:05:11 UTC #\n"
	hdr := `"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"` + "\n"
	tests := []struct {
		name, in, want string
	}{
		{"last_online wins over an old first_seen", head + hdr + `"2021-01-17 07:30:05","192.0.2.1","443","online","2024-03-11","Dridex"`, "2024-03-11T00:00:00Z"},
		{"first_seen when never online", head + hdr + `"2021-01-17 07:30:05","192.0.2.1","443","offline","","Dridex"`, "2021-01-17T07:30:05Z"},
		{"Last updated when neither", head + hdr + `"","192.0.2.1","443","offline","","Dridex"`, "2024-03-12T10:05:11Z"},
		{"plain list: Last updated", head + "192.0.2.1\n", "2024-03-12T10:05:11Z"},
		{"plain list without header time", "# abuse.ch Feodo Tracker\n192.0.2.1\n", "0001-01-01T00:00:00Z"},
		{"JSON last_online", `[{"ip_address":"192.0.2.1","first_seen":"2021-01-17 07:30:05","last_online":"2024-01-02","malware":"x"}]`, "2024-01-02T00:00:00Z"},
		{"JSON null last_online", `[{"ip_address":"192.0.2.1","first_seen":"2021-01-17 07:30:05 UTC","last_online":null,"malware":"x"}]`, "2021-01-17T07:30:05Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := decodeBytes(t, "feodo", Options{}, []byte(tt.in))
			if err != nil || len(rec.events) != 1 {
				t.Fatalf("err %v, events %d, rejects %v", err, len(rec.events), rec.rejects)
			}
			if got := rec.events[0].TimeSource.Format(time.RFC3339); got != tt.want {
				t.Errorf("time.source %s, want %s", got, tt.want)
			}
			if loc := rec.events[0].TimeSource.Location(); loc != time.UTC {
				t.Errorf("location %v", loc)
			}
		})
	}
}

func TestFeodoMalwareNames(t *testing.T) {
	var b strings.Builder
	b.WriteString(`"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"` + "\n")
	in := []string{"Dridex", "Emotet", "Heodo", "QakBot", "TrickBot", "BazarLoader", "Bumblebee", "Pikabot", " IcedID "}
	want := []string{"dridex", "emotet", "emotet", "qakbot", "trickbot", "bazarloader", "bumblebee", "pikabot", "icedid"}
	for i, m := range in {
		fmt.Fprintf(&b, "\"2024-01-01 00:00:00\",\"192.0.2.%d\",\"443\",\"online\",\"2024-01-02\",\"%s\"\n", i+1, m)
	}
	rec, err := decodeBytes(t, "feodo", Options{}, []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.events) != len(want) {
		t.Fatalf("%d events, rejects %v", len(rec.events), rec.rejects)
	}
	for i, w := range want {
		if rec.events[i].Malware != w {
			t.Errorf("%q → %q, want %q", in[i], rec.events[i].Malware, w)
		}
	}
}

func TestFeodoOptions(t *testing.T) {
	in := []byte("# abuse.ch Feodo Tracker\n192.0.2.1\n")
	rec, err := decodeBytes(t, "feodo", Options{Feed: "feodo-mirror", TLP: tlpOf(event.TLPGreen)}, in)
	if err != nil || len(rec.events) != 1 {
		t.Fatalf("%v %v", err, rec.rejects)
	}
	e := rec.events[0]
	if e.Feed.Name != "feodo-mirror" || e.Feed.Provider != "abuse.ch" || e.TLP != event.TLPGreen {
		t.Errorf("feed %+v tlp %s", e.Feed, e.TLP)
	}
	if string(e.Raw) != "192.0.2.1" || e.Line != 2 {
		t.Errorf("raw %q line %d", e.Raw, e.Line)
	}
}

// Inputs that are not a Feodo export at all fail as a whole; inputs that
// are one but have nothing in them give nothing.
func TestFeodoWholeInput(t *testing.T) {
	tests := []struct {
		name            string
		in              string
		err             string // substring; "" means no error
		events, rejects int
	}{
		{"empty file", "", "", 0, 0},
		{"comments only", "# abuse.ch Feodo Tracker\n# END (0) entries\n", "", 0, 0},
		{"empty JSON array", "[\n]\n", "", 0, 0},
		{"byte order mark", "\ufeff# abuse.ch Feodo Tracker\n192.0.2.1\n", "", 1, 0},
		{"CRLF line ends", "# abuse.ch Feodo Tracker\r\n192.0.2.1\r\n198.51.100.1\r\n", "", 2, 0},
		{"binary", "\x00\x01\x02PK\x03\x04", "binary", 0, 0},
		{"HTML", "<!DOCTYPE html>\n<html><title>Feodo Tracker | Browse</title>", "HTML", 0, 0},
		{"JSON object", `{"ip_address":"192.0.2.1"}`, "array of objects", 0, 0},
		{"JSON array of numbers", `[1, 2, 3]`, "not Feodo Tracker objects", 0, 0},
		{"JSON array never closed", `[`, "not closed", 0, 0},
		{"garbage after the array", "[{\"ip_address\":\"192.0.2.1\"}]\nEOF\n", "", 1, 1},
		{"two arrays", "[{\"ip_address\":\"192.0.2.1\"}]\n[{\"ip_address\":\"192.0.2.2\"}]", "", 2, 0},
		{"trailing comma", "[{\"ip_address\":\"192.0.2.1\"},\n]", "", 1, 0},
		{"array cut after an element", "[{\"ip_address\":\"192.0.2.1\"},\n", "", 1, 1},
		{"missing comma", "[{\"ip_address\":\"192.0.2.1\"}\n{\"ip_address\":\"192.0.2.2\"}]", "", 2, 0},
		{"junk between elements", "[{\"ip_address\":\"192.0.2.1\"} x, {\"ip_address\":\"192.0.2.2\"}]", "", 2, 1},
		{"broken string resyncs", "[{\"ip_address\":\"192.0.2.1\", \"port\": \"44}, {\"ip_address\":\"192.0.2.2\"}, {\"ip_address\":\"192.0.2.3\"}]", "", 2, 1},
		{"bad escape in a string", `[{"ip_address":"192.0.2.1","status":"on\qline"}]`, "", 0, 1},
		{"bad extra value", `[{"ip_address":"192.0.2.1","score":1.2.3}]`, "", 0, 1},
		{"bad AS number", `[{"ip_address":"192.0.2.1","as_number":"AS64496"}]`, "", 0, 1},
		{"escaped member name", `[{"ip_\u0061ddress":"192.0.2.1"}]`, "", 1, 0},
		{"headerless 6 columns", "2021-01-17 07:30:05,192.0.2.1,443,online,2021-02-10,Dridex\n", "", 1, 0},
		{"headerless odd row", "2021-01-17 07:30:05,192.0.2.1,443\n", "", 0, 1},
		{"unterminated quote", "\"2021-01-17 07:30:05\",\"192.0.2.1\n", "", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := decodeBytes(t, "feodo", Options{}, []byte(tt.in))
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want one mentioning %q", err, tt.err)
			}
			if len(rec.events) != tt.events || len(rec.rejects) != tt.rejects {
				t.Errorf("got %d events, %d rejects %v; want %d, %d", len(rec.events), len(rec.rejects), rec.rejects, tt.events, tt.rejects)
			}
		})
	}
}

// A file full of elements with unbalanced quotes must not take quadratic
// time: past a budget the rest becomes one rejection.
func TestFeodoJSONBrokenBudget(t *testing.T) {
	in := "[" + strings.Repeat(`{"ip_address":"192.0.2.1", "status":"x, `, 50000)
	start := time.Now()
	rec, err := decodeBytes(t, "feodo", Options{}, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	last := rec.rejects[len(rec.rejects)-1]
	if len(rec.events) != 0 || !strings.Contains(last.Reason, "too many broken elements") {
		t.Errorf("%d events, last reject %+v", len(rec.events), last)
	}
}

func TestFeodoSniff(t *testing.T) {
	csvHeader := `"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"`
	tests := []struct {
		name string
		head string
		min  int // the score must be at least min ...
		max  int // ... and at most max
	}{
		{"CSV with comment block", "#####\n# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV) #\n# Last updated: 2024-03-12 10:05:11 UTC\n#\n" + csvHeader + "\n", 100, 100},
		{"exact CSV header alone", csvHeader + "\n\"2021-01-17 07:30:05\",\"192.0.2.1\",\"443\",\"online\",\"2021-02-10\",\"Dridex\"\n", 100, 100},
		{"old CSV with comment header", "# Feodo Tracker Botnet C2 IP Blocklist\n# Firstseen,DstIP,DstPort,LastOnline,Family\n2019-05-27 15:00:35,192.0.2.1,443,2020-06-11,Heodo\n", 100, 100},
		{"plain list", "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (Recommended)\n# Last updated: 2024-03-12 10:05:11 UTC\n# DstIP\n192.0.2.1\n", 100, 100},
		{"JSON export", "[\n    {\n        \"ip_address\": \"192.0.2.1\",\n        \"port\": 443,\n        \"first_seen\": \"2021-01-17 07:30:05\",\n        \"malware\": \"Dridex\"\n    }\n]", 60, 90},
		{"plain IP list without the header", "192.0.2.1\n198.51.100.2\n", 0, 0},
		{"other abuse.ch list", "# SSLBL IP blacklist (CSV)\n# Firstseen,DstIP,DstPort\n2024-01-01 10:00:00,192.0.2.1,443\n", 0, 0},
		{"firewall script quoting the header", "# Maintainer : Feodo Tracker by Abuse.ch\n/ip firewall address-list\nadd list=X address=192.0.2.1\n", 0, 0},
		{"HTML page", "<!DOCTYPE html>\n<html><head><title>Feodo Tracker | Browse Botnet C&amp;Cs</title>", 0, 0},
		{"other JSON array", `[{"ip":"192.0.2.1","malware":"x"}]`, 0, 0},
		{"generic CSV", "ip,port,family\n192.0.2.1,443,dridex\n", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sniffFeodo("", []byte(tt.head)); got < tt.min || got > tt.max {
				t.Errorf("sniff = %d, want %d..%d", got, tt.min, tt.max)
			}
		})
	}
}

func TestFeodoInterop(t *testing.T) {
	p := interopPath(t, "abusech", "feodotracker-ipblocklist-legacy-format.from-intelmq.txt")
	head, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := Detect(p, head); err != nil || f.Name != "feodo" {
		t.Errorf("Detect: %v %v", f.Name, err)
	}
	rec := decodeFile(t, "feodo", Options{}, p)
	if len(rec.events) != 2 || len(rec.rejects) != 0 {
		t.Fatalf("got %d events, rejects %v; want 2, 0", len(rec.events), rec.rejects)
	}
	want := []struct {
		ip    string
		line  int64
		first string
	}{
		{"10.213.75.205", 10, "2021-01-17T07:30:05+00:00"},
		{"192.16.238.101", 11, "2021-01-17T07:44:46+00:00"},
	}
	for i, w := range want {
		e := rec.events[i]
		if e.Source.IP != netip.MustParseAddr(w.ip) || e.Source.Port != 443 || e.Line != w.line || e.Malware != "dridex" ||
			!e.TimeSource.Equal(time.Date(2021, 2, 10, 0, 0, 0, 0, time.UTC)) || e.Class != event.ClassC2 {
			t.Errorf("event %d: %s:%d line %d malware %q time %s class %s", i, e.Source.IP, e.Source.Port, e.Line, e.Malware, e.TimeSource, e.Class)
		}
		wantExtra := `{"status":"online","first_seen":"` + w.first + `","last_online":"2021-02-10"}`
		if string(e.Extra) != wantExtra {
			t.Errorf("event %d extra %s", i, e.Extra)
		}
		if !bytes.HasPrefix(e.Raw, []byte(`"2021-01-17 `)) || bytes.ContainsAny(e.Raw, "\r\n") {
			t.Errorf("event %d raw %q", i, e.Raw)
		}
	}
}

// abuse.ch's browse page mentions Feodo Tracker, Dridex and Emotet all over
// but is not an export: it must not be detected as one, and forcing the
// format must fail as a whole rather than reject a thousand lines.
func TestFeodoInteropHTMLNotDetected(t *testing.T) {
	p := interopPath(t, "abusech", "feodotracker-browse-page.from-intelmq.html")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if s := sniffFeodo(p, data); s != 0 {
		t.Errorf("sniff = %d, want 0", s)
	}
	if f, err := Detect(p, data); err == nil && f.Name == "feodo" {
		t.Errorf("Detect picked feodo for an HTML page")
	}
	rec, err := decodeBytes(t, "feodo", Options{}, data)
	if err == nil || !strings.Contains(err.Error(), "HTML") || rec.records() != 0 {
		t.Errorf("decode HTML: err %v, records %d", err, rec.records())
	}
}

// A decoder used for a second input forgets the first one's header.
func TestFeodoDecoderReuse(t *testing.T) {
	f, _ := Lookup("feodo")
	dec, _ := f.New(Options{})
	first := "# abuse.ch Feodo Tracker\n# Last updated: 2024-03-12 10:05:11 UTC\ndst_ip,malware,port\n192.0.2.1,Dridex,443\n"
	second := "# abuse.ch Feodo Tracker\n192.0.2.2\n"
	for i, in := range []string{first, second} {
		rec := &recorder{}
		if err := dec.Decode(t.Context(), strings.NewReader(in), rec); err != nil || len(rec.events) != 1 {
			t.Fatalf("input %d: %v, rejects %v", i, err, rec.rejects)
		}
		if i == 1 && !rec.events[0].TimeSource.IsZero() {
			t.Errorf("second input took the first one's Last updated time")
		}
	}
}

type feodoStopSink struct{ n int }

func (s *feodoStopSink) Event(*event.Event) error {
	s.n++
	if s.n == 2 {
		return errFeodoSinkFull
	}
	return nil
}
func (s *feodoStopSink) Reject(int64, string) {}

var errFeodoSinkFull = errors.New("sink full")

func TestFeodoSinkErrorStops(t *testing.T) {
	for _, name := range []string{"ipblocklist.csv", "ipblocklist.json"} {
		data, err := os.ReadFile(filepath.Join("testdata/feodo", name))
		if err != nil {
			t.Fatal(err)
		}
		f, _ := Lookup("feodo")
		dec, _ := f.New(Options{})
		s := &feodoStopSink{}
		if err := dec.Decode(t.Context(), bytes.NewReader(data), s); !errors.Is(err, errFeodoSinkFull) || s.n != 2 {
			t.Errorf("%s: err %v after %d events", name, err, s.n)
		}
	}
}

// feodoDataLines counts what a line-shaped input holds that is not blank
// or a comment.
func feodoDataLines(data []byte) [][]byte {
	var out [][]byte
	for _, l := range bytes.Split(data, []byte{'\n'}) {
		l = bytes.TrimRight(l, "\r")
		if isBlank(l) || bytes.HasPrefix(l, []byte{'#'}) {
			continue
		}
		out = append(out, l)
	}
	return out
}

func FuzzFeodo(f *testing.F) {
	files, _ := filepath.Glob("testdata/feodo/*")
	for _, p := range files {
		if strings.HasSuffix(p, ".golden") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`[{"ip_address":"192.0.2.1","port":443}, {"ip_address":"x"}]`))
	f.Add([]byte("1.2.3.4\n\"a\",\"b\n"))
	format, _ := Lookup("feodo")
	f.Fuzz(func(t *testing.T, data []byte) {
		dec, err := format.New(Options{})
		if err != nil {
			t.Fatal(err)
		}
		rec := &recorder{}
		err = dec.Decode(t.Context(), bytes.NewReader(data), rec)
		seen := map[int64]bool{}
		for i := range rec.events {
			e := &rec.events[i]
			if err := e.Validate(); err != nil {
				t.Fatalf("emitted invalid event: %v", err)
			}
			if e.Line < 1 || seen[e.Line] && !feodoIsJSON(data) {
				t.Fatalf("event line %d reported twice or out of range", e.Line)
			}
			seen[e.Line] = true
		}
		if err != nil {
			return
		}
		// Independent accounts of the records in the input:
		if feodoIsJSON(data) {
			// A valid JSON array: one record per element.
			var elems []json.RawMessage
			if json.Unmarshal(data, &elems) == nil && rec.records() != len(elems) {
				t.Fatalf("%d elements, %d events + %d rejects", len(elems), len(rec.events), len(rec.rejects))
			}
			return
		}
		if bytes.IndexByte(data, '"') >= 0 || bytes.IndexByte(data, '\r') >= 0 || bytes.HasPrefix(data, feodoBOM) {
			return // quoted fields may span lines
		}
		// Line shapes: every data line is a record, except the header row
		// and exact repeats of it. (A header written as a comment is left
		// out of this account.)
		for _, l := range bytes.Split(data, []byte{'\n'}) {
			if bytes.HasPrefix(l, []byte{'#'}) && bytes.IndexByte(l, ',') >= 0 {
				return
			}
		}
		lines := feodoDataLines(data)
		var hdr feodoDecoder
		headers := 0
		for i, l := range lines {
			fields := strings.Split(string(l), ",")
			if i == 0 {
				if roles := feodoHeaderRoles(fields); roles != nil {
					hdr.setHeader(fields, roles)
					headers++
				}
			} else if hdr.header != nil && feodoSameFields(fields, hdr.headerRow) {
				headers++
			}
		}
		if rec.records() != len(lines)-headers {
			t.Fatalf("%d data lines (%d headers), %d events + %d rejects", len(lines), headers, len(rec.events), len(rec.rejects))
		}
	})
}

func feodoIsJSON(data []byte) bool {
	data = bytes.TrimPrefix(data, feodoBOM)
	p := skipWS(data, 0)
	return p < len(data) && data[p] == '['
}

func BenchmarkFeodo(b *testing.B) {
	const n = 20000
	families := []string{"Dridex", "Emotet", "QakBot", "TrickBot", "BazarLoader", "Bumblebee", "Pikabot"}
	var csv, js bytes.Buffer
	csv.WriteString("################################################################\n# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)          #\n# Last updated: 2024-03-12 10:05:11 UTC                        #\n################################################################\n")
	csv.WriteString(`"first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"` + "\n")
	js.WriteString("[\n")
	for i := range n {
		ip := fmt.Sprintf("%d.%d.%d.%d", 11+i%200, i/256%256, i%256, 1+i%250)
		fam := families[i%len(families)]
		fmt.Fprintf(&csv, "\"2023-%02d-%02d 07:30:05\",\"%s\",\"443\",\"online\",\"2024-03-%02d\",\"%s\"\n", 1+i%12, 1+i%28, ip, 1+i%12, fam)
		if i > 0 {
			js.WriteString(",\n")
		}
		fmt.Fprintf(&js, "    {\n        \"ip_address\": \"%s\",\n        \"port\": 443,\n        \"status\": \"online\",\n        \"hostname\": null,\n        \"as_number\": %d,\n        \"as_name\": \"EXAMPLE-AS\",\n        \"country\": \"US\",\n        \"first_seen\": \"2023-%02d-%02d 07:30:05\",\n        \"last_online\": \"2024-03-%02d\",\n        \"malware\": \"%s\"\n    }", ip, 64496+i%10, 1+i%12, 1+i%28, 1+i%12, fam)
	}
	js.WriteString("\n]\n")
	csv.WriteString("# END (20000) entries\n")
	for _, in := range []struct {
		name string
		data []byte
	}{{"csv", csv.Bytes()}, {"json", js.Bytes()}} {
		b.Run(in.name, func(b *testing.B) {
			benchDecoder(b, "feodo", Options{}, in.data, n)
		})
	}
}
