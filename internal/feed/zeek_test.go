package feed

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/golden"
)

// zeekRecords counts the record lines of a Zeek log: neither blank nor a
// "#" line (after leading white space, as one real header has a stray tab).
func zeekRecords(data []byte) int {
	n := 0
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		t := bytes.TrimLeft(line, " \t")
		if len(bytes.TrimSpace(t)) > 0 && t[0] != '#' {
			n++
		}
	}
	return n
}

// checkZeek checks the invariants every decode must hold and returns the
// recorder.
func checkZeek(t *testing.T, name string, data []byte, rec *recorder) {
	t.Helper()
	if got, want := rec.records(), zeekRecords(data); got != want {
		t.Errorf("%s: %d events + %d rejects = %d, want %d records", name, len(rec.events), len(rec.rejects), got, want)
	}
	for i := range rec.events {
		e := &rec.events[i]
		if err := e.Validate(); err != nil {
			t.Errorf("%s: event at line %d: %v", name, e.Line, err)
		}
		if e.Feed.Name != "zeek" {
			t.Errorf("%s: line %d: feed.name %q", name, e.Line, e.Feed.Name)
		}
		if len(e.Raw) == 0 || !bytes.Contains(data, e.Raw) {
			t.Errorf("%s: line %d: raw is not the input record", name, e.Line)
		}
		if len(e.Extra) > 0 && !json.Valid(e.Extra) {
			t.Errorf("%s: line %d: extra is not JSON: %s", name, e.Line, e.Extra)
		}
	}
}

func TestZeekGolden(t *testing.T) {
	for _, c := range []struct {
		file            string
		events, rejects int
	}{
		{"conn.log", 7, 0},
		{"conn.json", 7, 0},
		{"notice.log", 17, 0},
		{"notice.json", 17, 0},
		{"other.log", 10, 0},
		{"bad.log", 3, 14},
		{"bad.json", 6, 12},
	} {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata", "zeek", c.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			rec := decodeFile(t, "zeek", Options{}, path)
			checkZeek(t, c.file, data, rec)
			if len(rec.events) != c.events || len(rec.rejects) != c.rejects {
				t.Errorf("%d events, %d rejects; want %d, %d", len(rec.events), len(rec.rejects), c.events, c.rejects)
			}
			golden.Check(t, path+".golden", rec.golden())
		})
	}
}

// eventsAgree reports the first difference between two event sequences that
// should be the same log in two forms, ignoring how each was spelled.
func eventsAgree(a, b []event.Event) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d events against %d", len(a), len(b))
	}
	var h event.Hasher
	for i := range a {
		x, y := a[i], b[i]
		if x.TimeSource.Equal(y.TimeSource) {
			y.TimeSource = x.TimeSource
		}
		x.Raw, y.Raw, x.Line, y.Line = nil, nil, 0, 0
		if string(x.AppendJSON(nil)) != string(y.AppendJSON(nil)) {
			return fmt.Errorf("event %d (lines %d and %d) differs:\n%s\n%s", i, a[i].Line, b[i].Line, x.AppendJSON(nil), y.AppendJSON(nil))
		}
		if h.Sum(&a[i]) != h.Sum(&b[i]) {
			return fmt.Errorf("event %d: content hashes differ", i)
		}
	}
	return nil
}

func TestZeekFormsAgree(t *testing.T) {
	for _, pair := range [][2]string{{"conn.log", "conn.json"}, {"notice.log", "notice.json"}} {
		tsv := decodeFile(t, "zeek", Options{}, filepath.Join("testdata", "zeek", pair[0]))
		js := decodeFile(t, "zeek", Options{}, filepath.Join("testdata", "zeek", pair[1]))
		if err := eventsAgree(tsv.events, js.events); err != nil {
			t.Errorf("%s and %s: %v", pair[0], pair[1], err)
		}
	}
}

// zeekToJSON rewrites a TSV log as Zeek's JSON writer would: unset fields
// left out, counts as integers, doubles in full precision (a little noise
// below the microsecond, as real durations have), times as epoch numbers
// or, with iso, as JSON::TS_ISO8601 text, and the log type in "_path".
func zeekToJSON(t *testing.T, data []byte, iso bool) []byte {
	t.Helper()
	var out bytes.Buffer
	var fields, types []string
	path := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if h := strings.TrimLeft(line, " \t"); strings.HasPrefix(h, "#") {
			parts := strings.Split(h, "\t")
			switch parts[0] {
			case "#fields":
				fields = parts[1:]
			case "#types":
				types = parts[1:]
			case "#path":
				path = parts[1]
			}
			continue
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		vals := strings.Split(line, "\t")
		if len(vals) != len(fields) {
			continue // the TSV decoder rejects it
		}
		out.WriteString(`{"_path":`)
		out.Write(jsonString(path))
		for i, v := range vals {
			if v == "-" {
				continue
			}
			fmt.Fprintf(&out, ",%s:", jsonString(fields[i]))
			typ := types[i]
			if inner, ok := strings.CutPrefix(typ, "set["); ok {
				typ = "list:" + strings.TrimSuffix(inner, "]")
			} else if inner, ok := strings.CutPrefix(typ, "vector["); ok {
				typ = "list:" + strings.TrimSuffix(inner, "]")
			}
			if elem, ok := strings.CutPrefix(typ, "list:"); ok {
				out.WriteByte('[')
				if v != "(empty)" {
					for j, el := range strings.Split(v, ",") {
						if j > 0 {
							out.WriteByte(',')
						}
						out.Write(jsonScalar(t, elem, el, iso))
					}
				}
				out.WriteByte(']')
				continue
			}
			if v == "(empty)" && typ == "string" {
				out.WriteString(`""`)
				continue
			}
			out.Write(jsonScalar(t, typ, v, iso))
		}
		out.WriteString("}\n")
	}
	return out.Bytes()
}

var zeekEscape = regexp.MustCompile(`\\x[0-9a-fA-F]{2}`)

func jsonScalar(t *testing.T, typ, v string, iso bool) []byte {
	double := func(f float64) []byte {
		s := strconv.FormatFloat(f, 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return []byte(s)
	}
	switch typ {
	case "count", "int", "port":
		return []byte(v)
	case "bool":
		return []byte(strconv.FormatBool(v == "T"))
	case "double":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("double %q: %v", v, err)
		}
		return double(f)
	case "interval":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("interval %q: %v", v, err)
		}
		if f != 0 {
			f += 2e-9
		}
		return double(f)
	case "time":
		if iso {
			sec, frac, _ := strings.Cut(v, ".")
			n, _ := strconv.ParseInt(sec, 10, 64)
			frac = (frac + "000000")[:6]
			return jsonString(time.Unix(n, 0).UTC().Format("2006-01-02T15:04:05") + "." + frac + "Z")
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("time %q: %v", v, err)
		}
		return double(f)
	}
	// Strings: undo \xNN, and spell bytes that are not UTF-8 as "\xNN"
	// text, as Zeek's JSON writer does.
	raw := zeekEscape.ReplaceAllStringFunc(v, func(m string) string {
		b, _ := strconv.ParseUint(m[2:], 16, 8)
		return string([]byte{byte(b)})
	})
	var s strings.Builder
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRuneInString(raw[i:])
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(&s, `\x%02x`, raw[i])
		} else {
			s.WriteString(raw[i : i+size])
		}
		i += size
	}
	return jsonString(s.String())
}

func jsonString(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// TestZeekTSVToJSON converts every TSV sample, ours and the real ones, to
// Zeek JSON in both timestamp styles and checks that the events agree.
func TestZeekTSVToJSON(t *testing.T) {
	files := []string{
		filepath.Join("testdata", "zeek", "conn.log"),
		filepath.Join("testdata", "zeek", "notice.log"),
		filepath.Join("testdata", "zeek", "other.log"),
	}
	if dir := os.Getenv("CONCORD_INTEROP_DIR"); dir != "" {
		for _, f := range []string{
			"zeek/wrccdc2018-conn-100lines.log", "zeek/wrccdc2018-known_hosts.log", "zeek/wrccdc2018-ssh.log",
			"zeek/slips/port-scans__horizontal__conn.log", "zeek/slips/test10-mixed-zeek-dir__conn.log",
			"zeek/slips/test10-mixed-zeek-dir__notice.log",
		} {
			files = append(files, interopPath(t, f))
		}
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tsv, err := decodeBytes(t, "zeek", Options{}, data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, iso := range []bool{false, true} {
			js, err := decodeBytes(t, "zeek", Options{}, zeekToJSON(t, data, iso))
			if err != nil {
				t.Fatalf("%s as JSON: %v", f, err)
			}
			if len(js.rejects) > 0 {
				t.Errorf("%s as JSON (iso %v): rejected %v", f, iso, js.rejects[0])
			}
			if err := eventsAgree(tsv.events, js.events); err != nil {
				t.Errorf("%s as JSON (iso %v): %v", filepath.Base(f), iso, err)
			}
		}
	}
}

func TestZeekRejectReasons(t *testing.T) {
	for _, c := range []struct {
		file string
		line int64
		want string
	}{
		{"bad.log", 10, "row has 6 fields; the #fields header at line 7 names 11"},
		{"bad.log", 11, `field id.orig_h: invalid IP address "192.0.2.300"`},
		{"bad.log", 12, `invalid IP address "148.81.111.11.12"`},
		{"bad.log", 13, `field id.resp_p: invalid port "70000"`},
		{"bad.log", 14, `field ts: invalid epoch time "yesterday"`},
		{"bad.log", 15, "negative time"},
		{"bad.log", 16, `field local_orig: invalid bool "Y"`},
		{"bad.log", 17, `field orig_bytes: invalid count "12a"`},
		{"bad.log", 18, `invalid count "-1"`},
		{"bad.log", 19, `field duration: invalid number "fast"`},
		{"bad.log", 20, "row has 12 fields"},
		{"bad.log", 25, "the #types header at line 24 names 2 types for the 3 fields of line 23"},
		{"bad.log", 28, `names the field "host" twice`},
		{"bad.log", 30, "the #separator header at line 29 gives no separator"},
		{"bad.json", 2, `field id.orig_h: invalid IP address "192.0.2.999"`},
		{"bad.json", 3, `field ts: invalid time "yesterday"`},
		{"bad.json", 4, "field id.orig_p: invalid port"},
		{"bad.json", 5, "field id.resp_p: invalid port"},
		{"bad.json", 6, `duplicate field "uid"`},
		{"bad.json", 7, "truncated record"},
		{"bad.json", 8, "not a JSON object"},
		{"bad.json", 9, "not a JSON object"},
		{"bad.json", 10, "after the end of the JSON object"},
		{"bad.json", 11, `field orig_bytes: invalid number "1.2.3"`},
		{"bad.json", 12, `duplicate field "id.orig_h"`},
		{"bad.json", 13, "negative time"},
	} {
		rec := decodeFile(t, "zeek", Options{}, filepath.Join("testdata", "zeek", c.file))
		found := false
		for _, r := range rec.rejects {
			if r.Line == c.line {
				found = true
				if !strings.Contains(r.Reason, c.want) {
					t.Errorf("%s:%d: reason %q, want it to contain %q", c.file, c.line, r.Reason, c.want)
				}
			}
		}
		if !found {
			t.Errorf("%s:%d: not rejected (want %q)", c.file, c.line, c.want)
		}
	}
}

func TestZeekNotZeek(t *testing.T) {
	for _, c := range []struct {
		name, in string
		fails    bool
	}{
		{"empty", "", false},
		{"blank lines", "\n\n  \n", false},
		{"header only", "#separator \\x09\n#fields\tts\n#types\ttime\n", false},
		{"csv with comments", "# Feodo Tracker\n\"first_seen_utc\",\"dst_ip\"\n\"2021-01-17 07:30:05\",\"192.0.2.1\"\n", true},
		{"binary", "\x7fELF\x02\x01\x01\x00\x00\x00\n", true},
		{"eve-like text", "Mar  1 00:00:00 host sshd[1]: Accepted password\n", true},
	} {
		rec, err := decodeBytes(t, "zeek", Options{}, []byte(c.in))
		if (err != nil) != c.fails {
			t.Errorf("%s: err = %v, want failure %v", c.name, err, c.fails)
		}
		if err == nil && rec.records() != 0 {
			t.Errorf("%s: %d records, want none", c.name, rec.records())
		}
	}
}

func TestZeekOptions(t *testing.T) {
	line := `{"ts":1709251200.5,"uid":"C1","id.orig_h":"192.0.2.1","id.orig_p":1,"id.resp_h":"192.0.2.2","id.resp_p":2,"name":"bad_TCP_checksum"}` + "\n"
	rec, err := decodeBytes(t, "zeek", Options{Feed: "sensor-7", TLP: tlpOf(event.TLPGreen), Path: "/var/log/zeek/2024-03-01/weird.00:00:00-01:00:00.log.gz"}, []byte(line))
	if err != nil || len(rec.events) != 1 {
		t.Fatalf("err %v, %d events", err, len(rec.events))
	}
	e := rec.events[0]
	if e.Feed.Name != "sensor-7" || e.TLP != event.TLPGreen || e.Feed.Code != "weird" || e.Kind != event.Observation {
		t.Errorf("got feed %q, TLP %s, code %q, kind %s", e.Feed.Name, e.TLP, e.Feed.Code, e.Kind)
	}
}

func TestZeekPathFromName(t *testing.T) {
	for name, want := range map[string]string{
		"conn.log":                         "conn",
		"/data/zeek/notice.2024-03-01.log": "notice",
		"conn.00:00:00-01:00:00.log.gz":    "conn",
		"test9-mixed-zeek-dir__conn.log":   "conn",
		"known_hosts.log":                  "known_hosts",
		`C:\zeek\ssl.log`:                  "ssl",
		"zeek.json":                        "",
		"conn":                             "",
		".log":                             "",
		"Conn.log":                         "",
		"":                                 "",
	} {
		if got := zeekPathFromName(name); got != want {
			t.Errorf("zeekPathFromName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestZeekSniff(t *testing.T) {
	for _, c := range []struct {
		name, head string
		min, max   int
	}{
		{"conn.log", "#separator \\x09\n#set_separator\t,\n", 100, 100},
		{"x", "\t#separator \\x09\n#set_separator\t,\n", 100, 100},
		{"x", "#fields\tts\tuid\n#types\ttime\tstring\n", 90, 90},
		{"x", `{"ts":1700828217.314165,"uid":"CfykLO1IT1nVRJhLA3","id.orig_h":"192.168.1.9"}` + "\n", 90, 90},
		{"x", `{"ts":1664459365.848468,"note":"ICMP::ICMPAddressScan","src":"192.168.1.15"}` + "\n", 80, 80},
		{"known_hosts.log", `{"ts":1664459365.848468,"host":"192.0.2.1"}` + "\n", 40, 40},
		{"x", `{"ts":1664459365.848468,"host":"192.0.2.1"}` + "\n", 0, 0},
		{"eve.json", `{"timestamp":"2017-04-07T22:24:37.251547+0100","event_type":"alert","src_ip":"192.0.2.1"}` + "\n", 0, 0},
		{"syslog.log", "Mar  1 00:00:00 host sshd[1]: Accepted password\n", 0, 0},
		{"feodo.csv", "# comment\nfirst_seen_utc,dst_ip\n", 0, 0},
		{"empty.log", "", 0, 0},
	} {
		if got := sniffZeek(c.name, []byte(c.head)); got < c.min || got > c.max {
			t.Errorf("sniffZeek(%q, %q) = %d, want %d..%d", c.name, c.head, got, c.min, c.max)
		}
	}
}

func TestZeekClassifyNote(t *testing.T) {
	obs := noticeRule{obs: true}
	for note, want := range map[string]noticeRule{
		"Scan::Port_Scan":                     {class: event.ClassScanner},
		"Scan::Address_Scan":                  {class: event.ClassScanner},
		"Scan::Random_Scan":                   {class: event.ClassScanner},
		"ICMP::ICMPAddressScan":               {class: event.ClassScanner},
		"ICMP::AddressMaskScan":               {class: event.ClassScanner},
		"SSH::Password_Guessing":              {class: event.ClassBruteForce},
		"FTP::Bruteforcing":                   {class: event.ClassBruteForce},
		"Site::RDP_Brute_Force":               {class: event.ClassBruteForce},
		"HTTP::SQL_Injection_Attacker":        {class: event.ClassExploit},
		"HTTP::SQL_Injection_Victim":          {class: event.ClassExploit, layout: layoutVictim},
		"Heartbleed::SSL_Heartbeat_Attack":    {class: event.ClassExploit},
		"ShellShock::Exploit":                 {class: event.ClassExploit},
		"SSL::Invalid_Server_Cert":            {class: event.ClassWeakCrypto, layout: layoutServer},
		"SSL::Certificate_Expired":            {class: event.ClassWeakCrypto, layout: layoutServer},
		"SSL::Weak_Key":                       {class: event.ClassWeakCrypto, layout: layoutServer},
		"SSL::Old_Version":                    {class: event.ClassWeakCrypto, layout: layoutServer},
		"SSL::Weak_Cipher":                    {class: event.ClassWeakCrypto, layout: layoutServer},
		"SSL::Certificate_Expires_Soon":       obs,
		"Software::Vulnerable_Version":        {class: event.ClassVulnerable},
		"TeamCymruMalwareHashRegistry::Match": {class: event.ClassMalwareDist, layout: layoutFile},
		"Intel::Notice":                       {class: event.ClassIDSAlert, layout: layoutIntel},
		"CaptureLoss::Too_Much_Loss":          obs,
		"PacketFilter::Dropped_Packets":       obs,
		"Weird::Activity":                     obs,
		"Notice::Tally":                       obs,
		"Signatures::Signature_Summary":       obs,
		"Signatures::Count_Signature":         {class: event.ClassIDSAlert},
		"Conn::Retransmission_Inconsistency":  obs,
		"DNS::External_Name":                  {class: event.ClassIDSAlert},
		"":                                    {class: event.ClassIDSAlert},
	} {
		if got := classifyNote(note); got != want {
			t.Errorf("classifyNote(%q) = %+v, want %+v", note, got, want)
		}
	}
}

// TestZeekNoticeRoles pins who is who in the notices whose address is not
// simply the attacker.
func TestZeekNoticeRoles(t *testing.T) {
	rec := decodeFile(t, "zeek", Options{}, filepath.Join("testdata", "zeek", "notice.log"))
	byNote := map[string][]event.Event{}
	for _, e := range rec.events {
		byNote[e.Identifier] = append(byNote[e.Identifier], e)
	}
	ip := netip.MustParseAddr
	type side struct {
		ip   string
		port uint16
		role event.Role
	}
	check := func(note string, i int, src, dst side) {
		t.Helper()
		if len(byNote[note]) <= i {
			t.Errorf("%s: no event %d", note, i)
			return
		}
		e := byNote[note][i]
		for _, c := range []struct {
			got  event.Endpoint
			want side
			name string
		}{{e.Source, src, "source"}, {e.Destination, dst, "destination"}} {
			wantIP := netip.Addr{}
			if c.want.ip != "" {
				wantIP = ip(c.want.ip)
			}
			if c.got.IP != wantIP || c.got.Port != c.want.port || c.got.Role != c.want.role {
				t.Errorf("%s: %s = %s:%d %s, want %s:%d %s", note, c.name, c.got.IP, c.got.Port, c.got.Role, c.want.ip, c.want.port, c.want.role)
			}
		}
	}
	check("Scan::Port_Scan", 0, side{"203.0.113.50", 0, event.RoleAttacker}, side{"192.0.2.20", 0, event.RoleTarget})
	check("Scan::Address_Scan", 0, side{"198.51.100.23", 0, event.RoleAttacker}, side{"", 23, event.RoleNone})
	check("HTTP::SQL_Injection_Victim", 0, side{}, side{"192.0.2.80", 0, event.RoleTarget})
	check("SSL::Invalid_Server_Cert", 0, side{"198.51.100.44", 443, event.RoleVulnerable}, side{"192.0.2.10", 51500, event.RoleNone})
	check("Software::Vulnerable_Version", 0, side{"192.0.2.30", 0, event.RoleVulnerable}, side{})
	check("TeamCymruMalwareHashRegistry::Match", 0, side{"198.51.100.99", 80, event.RoleMalicious}, side{"192.0.2.40", 52000, event.RoleNone})
	check("TeamCymruMalwareHashRegistry::Match", 1, side{"2001:db8:5::10", 25123, event.RoleMalicious}, side{"2001:db8:1::25", 25, event.RoleNone})
	check("Intel::Notice", 0, side{"203.0.113.13", 443, event.RoleAttacker}, side{"192.0.2.41", 53000, event.RoleTarget})
	check("CaptureLoss::Too_Much_Loss", 0, side{}, side{})
	if e := byNote["TeamCymruMalwareHashRegistry::Match"][0]; e.Source.URL != "http://198.51.100.99/update/setup.exe" {
		t.Errorf("MHR source URL %q", e.Source.URL)
	}
	if e := byNote["CaptureLoss::Too_Much_Loss"][0]; e.Kind != event.Observation {
		t.Errorf("CaptureLoss is %s", e.Kind)
	}
	if e := byNote["Site::Unusual_DNS_Server"][0]; e.Text != "Client used an external DNS server:\t203.0.113.53 (café \\xff)" {
		t.Errorf("unescaped msg %q", e.Text)
	}
}

func TestZeekInterop(t *testing.T) {
	type want struct {
		file            string
		events, rejects int
		check           func(t *testing.T, rec *recorder)
	}
	field := func(e event.Event, key string) string {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(e.Extra, &m); err != nil {
			return "<" + err.Error() + ">"
		}
		return string(m[key])
	}
	for _, c := range []want{
		{"slips/port-scans__horizontal__conn.log", 41, 0, func(t *testing.T, rec *recorder) {
			e := rec.events[0]
			// Relative timestamps of a replayed capture: 928.943457 s after the epoch.
			if e.TimeSource != time.Date(1970, 1, 1, 0, 15, 28, 943457000, time.UTC) || e.Source.IP.String() != "10.0.2.112" ||
				e.Destination.Port != 80 || e.Application != "http" || e.Feed.Code != "conn" || field(e, "tunnel_parents") != "[]" {
				t.Errorf("first event: %s", e.AppendJSON(nil))
			}
		}},
		{"slips/port-scans__vertical__conn.log", 50, 0, func(t *testing.T, rec *recorder) {
			e := rec.events[0]
			if e.Source.IP.String() != "192.168.1.9" || e.Destination.IP.String() != "45.33.32.156" || e.Destination.Port != 443 ||
				e.Transport != "tcp" || field(e, "duration") != "0.206964" || field(e, "local_orig") != "true" || field(e, "orig_l2_addr") != `"c4:23:60:3d:fd:d3"` {
				t.Errorf("first event: %s", e.AppendJSON(nil))
			}
		}},
		{"slips/test10-mixed-zeek-dir__conn.log", 141, 0, func(t *testing.T, rec *recorder) {
			e := rec.events[0]
			if e.Source.IP.String() != "2001:718:2:1663:dc58:6d9:ef13:51a5" || e.Destination.Port != 53 || e.Application != "dns" ||
				e.TimeSource.Format(time.RFC3339Nano) != "2020-10-06T15:32:46.785668Z" {
				t.Errorf("first event: %s", e.AppendJSON(nil))
			}
		}},
		{"slips/test10-mixed-zeek-dir__notice.log", 12, 1, func(t *testing.T, rec *recorder) {
			e := rec.events[0]
			if e.Kind != event.Incident || e.Class != event.ClassScanner || e.Identifier != "Scan::Address_Scan" ||
				e.Source.IP.String() != "147.32.83.156" || e.Source.Role != event.RoleAttacker || e.Destination.Port != 23 {
				t.Errorf("first event: %s", e.AppendJSON(nil))
			}
			// The last row lost a tab between proto and note.
			if r := rec.rejects[0]; r.Line != 21 || !strings.Contains(r.Reason, "row has 23 fields; the #fields header at line 7 names 26") {
				t.Errorf("reject: %+v", r)
			}
		}},
		{"slips/test9-mixed-zeek-dir__conn.log", 576, 0, func(t *testing.T, rec *recorder) {
			e := rec.events[0]
			if e.TimeSource != time.Date(1970, 1, 1, 0, 0, 22, 335172000, time.UTC) || e.Source.IP.String() != "fe80::1cf4:44d2:904a:14f7" ||
				e.Destination.Port != 5355 || e.Feed.Code != "conn" {
				t.Errorf("first event: %s", e.AppendJSON(nil))
			}
			last := rec.events[len(rec.events)-1]
			if last.Transport != "icmp" || last.Source.Port != 0 || field(last, "id.orig_p") != "11" {
				t.Errorf("ICMP event: %s", last.AppendJSON(nil))
			}
		}},
		{"slips/test9-mixed-zeek-dir__notice.log", 18, 0, func(t *testing.T, rec *recorder) {
			for _, e := range rec.events {
				if e.Class != event.ClassScanner || e.Source.IP.String() != "192.168.1.15" {
					t.Errorf("event: %s", e.AppendJSON(nil))
				}
			}
			if e := rec.events[0]; e.Identifier != "ICMP::ICMPAddressScan" || field(e, "n") != "5" ||
				field(e, "actions") != `["Notice::ACTION_LOG"]` || field(e, "email_dest") != "[]" || field(e, "suppress_for") != "3600" {
				t.Errorf("first event: %s", e.AppendJSON(nil))
			}
		}},
		{"wrccdc2018-conn-100lines.log", 92, 0, func(t *testing.T, rec *recorder) {
			e := rec.events[0]
			if e.TimeSource.Format(time.RFC3339Nano) != "2018-03-24T17:15:21.255387Z" || e.Source.IP.String() != "10.164.94.120" ||
				e.Destination.Port != 3389 || e.Application != "" || field(e, "uid") != `"C8Tful1TvM3Zf5x8fl"` || field(e, "orig_bytes") != "97" {
				t.Errorf("first event: %s", e.AppendJSON(nil))
			}
		}},
		{"wrccdc2018-known_hosts.log", 253, 0, func(t *testing.T, rec *recorder) {
			e := rec.events[0]
			if e.Source.IP.String() != "10.164.94.120" || e.Feed.Code != "known_hosts" || len(e.Extra) != 0 {
				t.Errorf("first event: %s", e.AppendJSON(nil))
			}
		}},
		{"wrccdc2018-ssh.log", 22, 0, func(t *testing.T, rec *recorder) {
			e := rec.events[0]
			if e.Application != "ssh" || e.Destination.Port != 22 || field(e, "auth_success") != "true" ||
				field(e, "server") != `"SSH-2.0-OpenSSH_7.4p1 Raspbian-10+deb9u3"` || field(e, "version") != "2" {
				t.Errorf("first event: %s", e.AppendJSON(nil))
			}
		}},
	} {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			path := interopPath(t, "zeek", c.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			rec := decodeFile(t, "zeek", Options{}, path)
			checkZeek(t, c.file, data, rec)
			if len(rec.events) != c.events || len(rec.rejects) != c.rejects {
				t.Fatalf("%d events, %d rejects; want %d, %d (first reject %v)", len(rec.events), len(rec.rejects), c.events, c.rejects, rec.rejects)
			}
			c.check(t, rec)
		})
	}
}

func FuzzZeek(f *testing.F) {
	for _, name := range []string{"conn.log", "conn.json", "notice.log", "notice.json", "other.log", "bad.log", "bad.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "zeek", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := decodeBytes(t, "zeek", Options{}, data)
		if err != nil {
			return // not Zeek at all: nothing may reach the sink
		}
		if got, want := rec.records(), zeekRecords(data); got != want {
			t.Fatalf("%d events + %d rejects, want %d records", len(rec.events), len(rec.rejects), want)
		}
		for i := range rec.events {
			if err := rec.events[i].Validate(); err != nil {
				t.Fatalf("invalid event: %v", err)
			}
			if e := rec.events[i].Extra; len(e) > 0 && !json.Valid(e) {
				t.Fatalf("extra is not JSON: %s", e)
			}
		}
	})
}

func BenchmarkZeek(b *testing.B) {
	conn, err := os.ReadFile(filepath.Join("testdata", "zeek", "conn.log"))
	if err != nil {
		b.Fatal(err)
	}
	// A realistic hour of conn.log: the header once, then many rows.
	var tsv bytes.Buffer
	header, rows, _ := bytes.Cut(conn, []byte("1709251200.000123"))
	rows = append([]byte("1709251200.000123"), rows[:bytes.Index(rows, []byte("#close"))]...)
	tsv.Write(header)
	for tsv.Len() < 4<<20 {
		tsv.Write(rows)
	}
	js, err := os.ReadFile(filepath.Join("testdata", "zeek", "conn.json"))
	if err != nil {
		b.Fatal(err)
	}
	js = bytes.Repeat(js, (4<<20)/len(js))
	for _, c := range []struct {
		name string
		data []byte
	}{{"tsv", tsv.Bytes()}, {"json", js}} {
		b.Run(c.name, func(b *testing.B) {
			benchDecoder(b, "zeek", Options{Path: "conn.log"}, c.data, 0)
		})
	}
}

func TestZeekEdgeInputs(t *testing.T) {
	for _, c := range []struct {
		name, in        string
		events, rejects int
		check           func(t *testing.T, e event.Event)
	}{
		{"byte order mark", "\ufeff#separator \\x09\n#path\tknown_hosts\n#fields\tts\thost\n#types\ttime\taddr\n1.5\t192.0.2.1\n", 1, 0, func(t *testing.T, e event.Event) {
			if e.Source.IP.String() != "192.0.2.1" {
				t.Errorf("source %s", e.Source.IP)
			}
		}},
		{"CRLF", "#separator \\x09\r\n#fields\tts\tid.orig_h\r\n#types\ttime\taddr\r\n1.5\t192.0.2.1\r\n", 1, 0, func(t *testing.T, e event.Event) {
			if string(e.Raw) != "1.5\t192.0.2.1" {
				t.Errorf("raw %q", e.Raw)
			}
		}},
		{"comma separator", "#separator \\x2c\n#set_separator,;\n#path,tags\n#fields,ts,id.orig_h,tags,note\n#types,time,addr,set[string],string\n1.5,192.0.2.1,a;b\\x2cc,x\\x2cy\n", 1, 0, func(t *testing.T, e event.Event) {
			if e.Feed.Code != "tags" || string(e.Extra) != `{"note":"x,y","tags":["a","b,c"]}` {
				t.Errorf("code %q extra %s", e.Feed.Code, e.Extra)
			}
		}},
		{"no #types: strings", "#separator \\x09\n#fields\tts\tid.orig_h\tn\n1.5\t192.0.2.1\t7\n", 1, 0, func(t *testing.T, e event.Event) {
			if string(e.Extra) != `{"n":"7"}` {
				t.Errorf("extra %s", e.Extra)
			}
		}},
		{"empty separator", "#separator \n#fields\tts\n1.5\n", 0, 1, nil},
		{"row before #fields", "#separator \\x09\n#path\tconn\n1.5\t192.0.2.1\n", 0, 1, nil},
		{"JSON notice named by its fields", `{"ts":1.5,"note":"Scan::Port_Scan","src":"192.0.2.1","dst":"192.0.2.2"}` + "\n", 1, 0, func(t *testing.T, e event.Event) {
			if e.Feed.Code != "notice" || e.Class != event.ClassScanner || e.Destination.Role != event.RoleTarget {
				t.Errorf("%s", e.AppendJSON(nil))
			}
		}},
		{"JSON nested too deeply", `{"ts":1.5,"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}` + "\n", 0, 1, nil},
		{"JSON empty object", "{}\n", 1, 0, func(t *testing.T, e event.Event) {
			if e.Kind != event.Observation || len(e.Extra) != 0 {
				t.Errorf("%s", e.AppendJSON(nil))
			}
		}},
		{"JSON then TSV block", `{"ts":1.5,"uid":"C1","id.orig_h":"192.0.2.1"}` + "\n#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\n#types\ttime\tstring\taddr\n1.5\tC1\t192.0.2.1\n", 2, 0, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec, err := decodeBytes(t, "zeek", Options{}, []byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			checkZeek(t, c.name, []byte(c.in), rec)
			if len(rec.events) != c.events || len(rec.rejects) != c.rejects {
				t.Fatalf("%d events, %d rejects (%v); want %d, %d", len(rec.events), len(rec.rejects), rec.rejects, c.events, c.rejects)
			}
			if c.check != nil {
				c.check(t, rec.events[0])
			}
		})
	}
}
