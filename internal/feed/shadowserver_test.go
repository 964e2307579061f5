package feed

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/golden"
)

const shadowTestdata = "testdata/shadowserver"

// shadowDecode runs the decoder over an in-memory report.
func shadowDecode(t testing.TB, opts Options, data string) (*recorder, error) {
	t.Helper()
	return decodeBytes(t, "shadowserver", opts, []byte(data))
}

func TestShadowserverGolden(t *testing.T) {
	tests := []struct {
		file            string
		events, rejects int
	}{
		{"2024-03-12-event4_sinkhole_http-country-asn.csv", 3, 5},
		{"2024-03-12-event4_sinkhole-country-asn.csv", 2, 0},
		{"2024-03-12-scan_ntp-organisation-geo.csv", 2, 0},
		{"2024-03-12-event4_honeypot_ddos-asn.csv", 1, 0},
		{"botnet_drone.csv", 2, 1},
		{"compromised_account.csv", 1, 1},
		{"compromised_website.csv", 2, 0},
		{"event4_honeypot_ddos_amp.csv", 1, 0},
		{"event4_honeypot_http_scan.csv", 2, 0},
		{"event4_sinkhole_http_referer.csv", 1, 0},
		{"sandbox_conn.csv", 2, 0},
		{"scan_smb.csv", 2, 0},
		{"scan_ssl.csv", 3, 0},
	}
	files, err := filepath.Glob(filepath.Join(shadowTestdata, "*.csv"))
	if err != nil || len(files) != len(tests) {
		t.Fatalf("testdata has %d .csv files, the table %d: keep them in step", len(files), len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join(shadowTestdata, tc.file)
			rec := decodeFile(t, "shadowserver", Options{}, path)
			if len(rec.events) != tc.events || len(rec.rejects) != tc.rejects {
				t.Errorf("got %d events, %d rejects; want %d, %d (rejects: %v)",
					len(rec.events), len(rec.rejects), tc.events, tc.rejects, rec.rejects)
			}
			shadowCheckEvents(t, rec, path)
			golden.Check(t, strings.TrimSuffix(path, ".csv")+".golden", rec.golden())
		})
	}
}

// shadowCheckEvents checks what must hold for every event: it validates,
// its Raw is the record's exact line in the input, Extra is JSON, feed and
// identifier are set, and no sinkhole is ever a C&C.
func shadowCheckEvents(t *testing.T, rec *recorder, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i := range rec.events {
		e := &rec.events[i]
		if err := e.Validate(); err != nil {
			t.Errorf("line %d: %v", e.Line, err)
		}
		if e.Line < 2 || int(e.Line) > len(lines) || !bytes.HasPrefix(e.Raw, []byte(lines[e.Line-1])) {
			t.Errorf("line %d: raw %q is not the input line", e.Line, e.Raw)
		}
		if len(e.Extra) > 0 && !json.Valid(e.Extra) {
			t.Errorf("line %d: extra is not JSON: %s", e.Line, e.Extra)
		}
		if e.Feed.Name != "shadowserver" || e.Feed.Provider != "Shadowserver Foundation" || e.Feed.Code == "" || e.Identifier != e.Feed.Code {
			t.Errorf("line %d: feed %+v identifier %q", e.Line, e.Feed, e.Identifier)
		}
		if e.Destination.Flags&event.FlagSinkhole != 0 && e.Destination.Role != event.RoleNone {
			t.Errorf("line %d: sinkhole destination has role %s", e.Line, e.Destination.Role)
		}
		if e.Source.Flags != 0 || e.Source.ASN != 0 || e.Destination.ASN != 0 || e.Source.CC != "" {
			t.Errorf("line %d: decoder set enrichment fields", e.Line)
		}
	}
}

// TestShadowserverSinkholeIsNeverC2 pins DOMAIN.md §5: in sinkhole reports
// the destination is the sinkhole, flagged as such and playing no role,
// even when the row also names a C&C.
func TestShadowserverSinkholeIsNeverC2(t *testing.T) {
	rec := decodeFile(t, "shadowserver", Options{}, filepath.Join(shadowTestdata, "2024-03-12-event4_sinkhole_http-country-asn.csv"))
	if len(rec.events) == 0 {
		t.Fatal("no events")
	}
	for _, e := range rec.events {
		if e.Class != event.ClassInfected || e.Source.Role != event.RoleInfected {
			t.Errorf("line %d: class %s source role %s; want infected-system, infected-host", e.Line, e.Class, e.Source.Role)
		}
		if e.Destination.Role != event.RoleNone || e.Destination.Flags != event.FlagSinkhole {
			t.Errorf("line %d: destination role %q flags %q; want none, sinkhole", e.Line, e.Destination.Role, e.Destination.Flags)
		}
	}
	first := rec.events[0]
	if first.Source.IP != netip.MustParseAddr("203.0.113.45") || first.Destination.IP != netip.MustParseAddr("198.51.100.10") ||
		first.Malware != "andromeda" || first.Application != "http" || first.Transport != "tcp" {
		t.Errorf("first event: %s", first.AppendJSON(nil))
	}

	// A sinkhole row with a C&C column keeps that column in extra.
	in := "timestamp,src_ip,dst_ip,dst_port,cc_ip,infection\n" +
		"2024-03-12 00:00:00,192.0.2.1,198.51.100.10,80,203.0.113.9,zeus\n"
	rec, err := shadowDecode(t, Options{Report: "event4_sinkhole"}, in)
	if err != nil || len(rec.events) != 1 {
		t.Fatalf("err %v, %d events, rejects %v", err, len(rec.events), rec.rejects)
	}
	e := rec.events[0]
	if e.Destination.IP != netip.MustParseAddr("198.51.100.10") || e.Destination.Role != event.RoleNone ||
		e.Destination.Flags != event.FlagSinkhole || !bytes.Contains(e.Extra, []byte(`"cc_ip":"203.0.113.9"`)) {
		t.Errorf("got %s", e.AppendJSON(nil))
	}
}

// TestShadowserverDroneC2 checks the one case where a destination is a
// C&C: a drone report that names it in its own column.
func TestShadowserverDroneC2(t *testing.T) {
	rec := decodeFile(t, "shadowserver", Options{}, filepath.Join(shadowTestdata, "botnet_drone.csv"))
	if len(rec.events) != 2 {
		t.Fatalf("%d events, rejects %v", len(rec.events), rec.rejects)
	}
	byIP := rec.events[0]
	if byIP.Destination.IP != netip.MustParseAddr("198.51.100.201") || byIP.Destination.Port != 16471 ||
		byIP.Destination.Role != event.RoleC2 || byIP.Destination.Flags != 0 ||
		byIP.Source.Role != event.RoleInfected || byIP.Malware != "zeroaccess" {
		t.Errorf("cc by address: %s", byIP.AppendJSON(nil))
	}
	byName := rec.events[1]
	if byName.Destination.FQDN != "irc.example-c2.biz" || byName.Destination.Role != event.RoleC2 {
		t.Errorf("cc by name: %s", byName.AppendJSON(nil))
	}
	if len(rec.rejects) != 1 || rec.rejects[0].Line != 4 || !strings.Contains(rec.rejects[0].Reason, "cc: invalid IP address") {
		t.Errorf("rejects %v", rec.rejects)
	}
}

func TestShadowserverRoles(t *testing.T) {
	tests := []struct {
		file     string
		line     int64
		class    event.Class
		src, dst event.Role
		check    func(e *event.Event) bool
	}{
		// The C&C issued the attack command; dst is the victim it named.
		{"2024-03-12-event4_honeypot_ddos-asn.csv", 2, event.ClassC2, event.RoleC2, event.RoleTarget,
			func(e *event.Event) bool {
				return e.Source.IP == netip.MustParseAddr("203.0.113.200") && e.Destination.IP == netip.MustParseAddr("192.0.2.150") && e.Malware == "mirai"
			}},
		// Reflection: the spoofed source is the victim.
		{"event4_honeypot_ddos_amp.csv", 2, event.ClassDDoS, event.RoleTarget, event.RoleNone,
			func(e *event.Event) bool {
				return e.Source.IP == netip.MustParseAddr("192.0.2.33") && e.Destination.Port == 389 && e.Malware == ""
			}},
		{"event4_honeypot_http_scan.csv", 2, event.ClassScanner, event.RoleAttacker, event.RoleNone, nil},
		// A request naming a CVE is an exploit attempt.
		{"event4_honeypot_http_scan.csv", 3, event.ClassExploit, event.RoleAttacker, event.RoleNone,
			func(e *event.Event) bool {
				return bytes.Contains(e.Extra, []byte(`"vulnerability_id":"CVE-2023-1389"`))
			}},
		{"event4_sinkhole_http_referer.csv", 2, event.ClassCompromised, event.RoleInfected, event.RoleNone,
			func(e *event.Event) bool {
				return e.Source.IP == netip.MustParseAddr("203.0.113.130") && e.Source.FQDN == "www.example.se" &&
					e.Destination.Flags == event.FlagSinkhole && e.Malware == "iframe exploit"
			}},
		{"compromised_website.csv", 2, event.ClassCompromised, event.RoleInfected, event.RoleC2,
			func(e *event.Event) bool {
				return e.Destination.URL == "https://cdn.example-skimmer.net/jquery.min.js" && e.Source.URL == "" &&
					bytes.Contains(e.Extra, []byte(`"url":"/checkout/"`)) && e.Malware == "magecart"
			}},
		{"compromised_website.csv", 3, event.ClassCompromised, event.RoleInfected, event.RoleNone, nil},
		{"scan_ssl.csv", 3, event.ClassWeakCrypto, event.RoleVulnerable, event.RoleNone, nil},
		{"scan_ssl.csv", 4, event.ClassWeakCrypto, event.RoleVulnerable, event.RoleNone, nil},
		{"scan_smb.csv", 2, event.ClassAccessible, event.RoleVulnerable, event.RoleNone, nil},
		{"scan_smb.csv", 3, event.ClassCompromised, event.RoleInfected, event.RoleNone, nil},
		{"compromised_account.csv", 2, classDataLeak, event.RoleTarget, event.RoleNone,
			func(e *event.Event) bool { return e.Source.FQDN == "example.pl" && e.Malware == "redline" }},
		{"2024-03-12-scan_ntp-organisation-geo.csv", 3, event.ClassAmplifier, event.RoleVulnerable, event.RoleNone,
			func(e *event.Event) bool {
				return e.Source.IP == netip.MustParseAddr("2001:db8:1f::123") && e.Source.Port == 123 && e.Transport == "udp"
			}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s:%d", tc.file, tc.line), func(t *testing.T) {
			rec := decodeFile(t, "shadowserver", Options{}, filepath.Join(shadowTestdata, tc.file))
			for i := range rec.events {
				e := &rec.events[i]
				if e.Line != tc.line {
					continue
				}
				if e.Kind != event.Incident || e.Class != tc.class || e.Source.Role != tc.src || e.Destination.Role != tc.dst {
					t.Errorf("got %s %s src %q dst %q; want %s src %q dst %q", e.Kind, e.Class, e.Source.Role, e.Destination.Role, tc.class, tc.src, tc.dst)
				}
				if tc.check != nil && !tc.check(e) {
					t.Errorf("fields: %s", e.AppendJSON(nil))
				}
				return
			}
			t.Errorf("no event for line %d (rejects %v)", tc.line, rec.rejects)
		})
	}
}

func TestShadowserverObservations(t *testing.T) {
	rec := decodeFile(t, "shadowserver", Options{}, filepath.Join(shadowTestdata, "sandbox_conn.csv"))
	for _, e := range rec.events {
		if e.Kind != event.Observation || e.Source.IP.IsValid() || !e.Destination.IP.IsValid() ||
			e.Destination.Role != event.RoleNone || e.Destination.FQDN == "" {
			t.Errorf("sandbox: %s", e.AppendJSON(nil))
		}
	}
	rec = decodeFile(t, "shadowserver", Options{}, filepath.Join(shadowTestdata, "scan_ssl.csv"))
	if e := rec.events[0]; e.Kind != event.Observation || !e.Class.IsZero() || e.Source.Role != event.RoleNone {
		t.Errorf("accessible SSL without a weakness: %s", e.AppendJSON(nil))
	}
}

func TestShadowserverRejects(t *testing.T) {
	const hdr = "timestamp,ip,port,hostname,asn\n"
	tests := []struct {
		name, in string
		line     int64
		reason   string
	}{
		{"five-part address", hdr + "2024-03-12 00:00:00,148.81.111.11.12,80,,64500\n", 2, `ip: invalid IP address "148.81.111.11.12"`},
		{"network", hdr + "2024-03-12 00:00:00,198.51.100.0/24,,,64500\n", 2, "198.51.100.0/24 is a network"},
		{"port too large", hdr + "2024-03-12 00:00:00,192.0.2.1,65536,,64500\n", 2, `port: invalid port "65536"`},
		{"port not a number", hdr + "2024-03-12 00:00:00,192.0.2.1,http,,64500\n", 2, `port: invalid port "http"`},
		{"bad month", hdr + "2024-13-12 00:00:00,192.0.2.1,80,,64500\n", 2, "timestamp: invalid time"},
		{"not a time", hdr + "yesterday,192.0.2.1,80,,64500\n", 2, "timestamp: invalid time"},
		{"too few fields", hdr + "2024-03-12 00:00:00,192.0.2.1,80\n", 2, "row has 3 fields, the header has 5"},
		{"too many fields", hdr + "2024-03-12 00:00:00,192.0.2.1,80,a,b,c\n", 2, "row has 6 fields, the header has 5"},
		{"no address", hdr + "2024-03-12 00:00:00,,80,,64500\n", 2, "names no IP address"},
		{"unterminated quote", hdr + "\n\n2024-03-12 00:00:00,\"192.0.2.1,80,,64500\n", 4, "unterminated quoted field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := shadowDecode(t, Options{Report: "scan_telnet"}, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.events) != 0 || len(rec.rejects) != 1 {
				t.Fatalf("got %d events, rejects %v", len(rec.events), rec.rejects)
			}
			if rj := rec.rejects[0]; rj.Line != tc.line || !strings.Contains(rj.Reason, tc.reason) {
				t.Errorf("got line %d %q; want line %d containing %q", rj.Line, rj.Reason, tc.line, tc.reason)
			}
		})
	}
}

func TestShadowserverWholeInput(t *testing.T) {
	tests := []struct {
		name, in string
		opts     Options
		err      string // "" when Decode must succeed with no records
	}{
		{"empty", "", Options{Report: "scan_ntp"}, ""},
		{"blank lines only", "\n\n  \n", Options{Report: "scan_ntp"}, ""},
		{"header only", "\"timestamp\",\"ip\"\n", Options{Report: "scan_ntp"}, ""},
		{"not a report", "ip,port\n192.0.2.1,80\n", Options{Report: "scan_ntp"}, `no "timestamp" column`},
		{"binary", "\x00\x01\x02PK\x03\x04\n\xff\xfe", Options{Report: "scan_ntp"}, `no "timestamp" column`},
		{"no report type", "timestamp,ip\n", Options{}, "pass --report"},
		{"file name says nothing", "timestamp,ip\n", Options{Path: "/tmp/export.csv"}, `file name "export.csv"`},
		{"unknown report", "timestamp,ip\n", Options{Report: "weather_report"}, `unknown report type "weather_report"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := shadowDecode(t, tc.opts, tc.in)
			if tc.err == "" {
				if err != nil || rec.records() != 0 {
					t.Errorf("err %v, %d records", err, rec.records())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("err %v; want one containing %q", err, tc.err)
			}
			if err != nil && strings.Contains(tc.err, "report") && !strings.Contains(err.Error(), "scan_ntp") {
				t.Errorf("the error should list known report types: %v", err)
			}
		})
	}
}

// TestShadowserverColumnDrift decodes one row under two headers that
// order, add and drop columns differently: the fields come out the same.
func TestShadowserverColumnDrift(t *testing.T) {
	a := "\"timestamp\",\"ip\",\"protocol\",\"port\",\"hostname\",\"tag\",\"asn\",\"geo\"\n" +
		"\"2024-03-12 04:12:55\",\"198.51.100.7\",\"udp\",161,\"r1.example.net\",\"snmp\",64500,\"PL\"\n"
	b := "\"geo\",\"severity\",\"port\",\"ip\",\"timestamp\",\"hostname_source\",\"protocol\",\"hostname\",\"asn\",\"tag\",\"brand_new_column\"\n" +
		"\"PL\",\"high\",161,\"198.51.100.7\",\"2024-03-12 04:12:55\",\"rdns\",\"udp\",\"r1.example.net\",64500,\"snmp\",\"x\"\n"
	var got []event.Event
	for _, in := range []string{a, b} {
		rec, err := shadowDecode(t, Options{Report: "scan_snmp"}, in)
		if err != nil || len(rec.events) != 1 {
			t.Fatalf("err %v, %d events, rejects %v", err, len(rec.events), rec.rejects)
		}
		got = append(got, rec.events[0])
	}
	for i := range got {
		var m map[string]string
		if err := json.Unmarshal(got[i].Extra, &m); err != nil {
			t.Fatal(err)
		}
		if m["asn"] != "64500" || m["geo"] != "PL" || m["tag"] != "snmp" {
			t.Errorf("extra %s", got[i].Extra)
		}
		got[i].Extra, got[i].Raw = nil, nil
	}
	if ja, jb := got[0].AppendJSON(nil), got[1].AppendJSON(nil); !bytes.Equal(ja, jb) {
		t.Errorf("drifted header changed the event:\n%s\n%s", ja, jb)
	}
	want := time.Date(2024, 3, 12, 4, 12, 55, 0, time.UTC)
	if e := got[0]; e.TimeSource != want || e.Source.IP != netip.MustParseAddr("198.51.100.7") ||
		e.Source.Port != 161 || e.Source.FQDN != "r1.example.net" || e.Transport != "udp" || e.Class != event.ClassAmplifier {
		t.Errorf("got %s", e.AppendJSON(nil))
	}
}

func TestShadowserverOddHeaders(t *testing.T) {
	in := "timestamp,ip,tag,tag,,tag_2,ip\n" +
		"2024-03-12 00:00:00,192.0.2.1,a,b,c,d,192.0.2.99\n"
	rec, err := shadowDecode(t, Options{Report: "scan_vnc"}, in)
	if err != nil || len(rec.events) != 1 {
		t.Fatalf("err %v, rejects %v", err, rec.rejects)
	}
	e := rec.events[0]
	want := `{"tag":"a","tag_2":"b","column_5":"c","tag_2_2":"d","ip_2":"192.0.2.99"}`
	if string(e.Extra) != want || e.Source.IP != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("extra %s, source %s; want %s", e.Extra, e.Source.IP, want)
	}
}

// TestShadowserverRepeatedHeader reads two concatenated daily files whose
// headers differ: the second header is not a record and renames columns.
func TestShadowserverRepeatedHeader(t *testing.T) {
	in := "\ufeff\"timestamp\",\"ip\",\"port\"\n" +
		"\"2024-03-12 00:00:00\",\"192.0.2.1\",23\n" +
		"\"timestamp\",\"port\",\"ip\",\"tag\"\n" +
		"\"2024-03-13 00:00:00\",2323,\"192.0.2.2\",\"telnet-alt\"\n"
	rec, err := shadowDecode(t, Options{Report: "scan_telnet"}, in)
	if err != nil || len(rec.events) != 2 || len(rec.rejects) != 0 {
		t.Fatalf("err %v, %d events, rejects %v", err, len(rec.events), rec.rejects)
	}
	if e := rec.events[1]; e.Line != 4 || e.Source.Port != 2323 || e.Source.IP != netip.MustParseAddr("192.0.2.2") {
		t.Errorf("got %s", e.AppendJSON(nil))
	}
}

func TestShadowserverOptions(t *testing.T) {
	in := "timestamp,ip\n2024-03-12 00:00:00,192.0.2.1\n"
	rec, err := shadowDecode(t, Options{Report: "Scan6-RDP", Feed: "ss-national", TLP: tlpOf(event.TLPGreen)}, in)
	if err != nil || len(rec.events) != 1 {
		t.Fatalf("err %v, rejects %v", err, rec.rejects)
	}
	e := rec.events[0]
	if e.Feed.Name != "ss-national" || e.Feed.Code != "scan6_rdp" || e.Identifier != "scan6_rdp" ||
		e.TLP != event.TLPGreen || e.Class != event.ClassAccessible {
		t.Errorf("got %s", e.AppendJSON(nil))
	}
	// --report wins over the file name.
	rec, err = shadowDecode(t, Options{Report: "scan_vnc", Path: "2024-03-12-scan_ntp-org.csv"}, in)
	if err != nil || rec.events[0].Feed.Code != "scan_vnc" {
		t.Errorf("err %v, events %v", err, rec.events)
	}
}

func TestShadowserverReportFromPath(t *testing.T) {
	tests := []struct{ path, want string }{
		{"2024-03-12-scan_ftp-organisation-geo.csv", "scan_ftp"},
		{"/var/spool/ss/2024-03-12-event4_sinkhole_http-country-asn.csv.gz", "event4_sinkhole_http"},
		{"2024-03-12-event4_sinkhole-country-asn.csv", "event4_sinkhole"},
		{"scan_ftp.csv", "scan_ftp"},
		{"scan_mqtt_anon.csv", "scan_mqtt_anon"},
		{"event4_honeypot_ddos_amp.csv", "event4_honeypot_ddos_amp"},
		{"2024-03-12-scan6_ssl_poodle-national.csv", "scan6_ssl_poodle"},
		{"2024-03-12-compromised_website6-org.csv", "compromised_website6"},
		{"shadowserver_scan_mqtt_anon_20240312.csv", "scan_mqtt_anon"},
		{"2024-03-12-scan_newprotocol-org.csv", "scan_newprotocol"}, // inferred from its prefix
		{"2024-03-12-event4_sinkhole_tls-org.csv", "event4_sinkhole_tls"},
		{"scan_ssl_newthing.csv", "scan_ssl_newthing"},
		{"drone_brute_force.csv", "drone_brute_force"},
		{"export.csv", ""},
		{"", ""},
		{"2024-03-12.csv", ""},
	}
	for _, tc := range tests {
		got, ok := shadowReportFromPath(tc.path)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%q: got %q %v; want %q", tc.path, got, ok, tc.want)
		}
	}
}

func TestShadowserverClassification(t *testing.T) {
	tests := []struct {
		report   string
		class    event.Class // zero: observation
		src, dst event.Role
		sinkhole bool
	}{
		{"scan_ntp", event.ClassAmplifier, event.RoleVulnerable, event.RoleNone, false},
		{"scan6_snmp", event.ClassAmplifier, event.RoleVulnerable, event.RoleNone, false},
		{"scan_rdp", event.ClassAccessible, event.RoleVulnerable, event.RoleNone, false},
		{"scan_redis", event.ClassInfoDisc, event.RoleVulnerable, event.RoleNone, false},
		{"scan_exchange", event.ClassVulnerable, event.RoleVulnerable, event.RoleNone, false},
		{"scan_ssl_freak", event.ClassWeakCrypto, event.RoleVulnerable, event.RoleNone, false},
		{"scan_ssh", event.Class{}, event.RoleNone, event.RoleNone, false},
		{"population_bgp", event.Class{}, event.RoleNone, event.RoleNone, false},
		{"event4_sinkhole", event.ClassInfected, event.RoleInfected, event.RoleNone, true},
		{"event6_sinkhole_http", event.ClassInfected, event.RoleInfected, event.RoleNone, true},
		{"event4_microsoft_sinkhole_http", event.ClassInfected, event.RoleInfected, event.RoleNone, true},
		{"event4_sinkhole_dns", event.Class{}, event.RoleNone, event.RoleNone, false},
		{"event4_honeypot_brute_force", event.ClassBruteForce, event.RoleAttacker, event.RoleNone, false},
		{"event4_honeypot_darknet", event.ClassScanner, event.RoleAttacker, event.RoleNone, false},
		{"event4_honeypot_ddos", event.ClassC2, event.RoleC2, event.RoleTarget, false},
		{"event4_honeypot_ddos_target", event.ClassDDoS, event.RoleC2, event.RoleTarget, false},
		{"event4_honeypot_ddos_amp", event.ClassDDoS, event.RoleTarget, event.RoleNone, false},
		{"event4_ddos_participant", event.ClassDDoS, event.RoleAttacker, event.RoleTarget, false},
		{"compromised_website", event.ClassCompromised, event.RoleInfected, event.RoleNone, false},
		{"compromised_iot6", event.ClassCompromised, event.RoleInfected, event.RoleNone, false},
		{"phish_url", event.ClassPhishing, event.RoleMalicious, event.RoleNone, false},
		{"malware_url", event.ClassMalwareDist, event.RoleMalicious, event.RoleNone, false},
		{"sandbox_conn", event.Class{}, event.RoleNone, event.RoleNone, false},
		{"scan_post_exploitation_framework", event.ClassC2, event.RoleC2, event.RoleNone, false},
		{"outdated_dnssec_key", classMisconfigured, event.RoleVulnerable, event.RoleNone, false},
		// New report types of a known family.
		{"event4_honeypot_ssh_scan", event.ClassScanner, event.RoleAttacker, event.RoleNone, false},
		{"event4_sinkhole_tls", event.ClassInfected, event.RoleInfected, event.RoleNone, true},
		{"scan_gopher", event.ClassAccessible, event.RoleVulnerable, event.RoleNone, false},
	}
	for _, tc := range tests {
		p, _, ok := shadowLookup(tc.report)
		if !ok || p.class != tc.class || p.src != tc.src || p.dst != tc.dst || p.sinkhole != tc.sinkhole {
			t.Errorf("%s: got %+v (ok %v)", tc.report, p, ok)
		}
		if !p.class.IsZero() && !p.class.Valid() {
			t.Errorf("%s: %s is not RSIT", tc.report, p.class)
		}
	}
	for _, n := range shadowReportNames() {
		p := shadowReports[n]
		if !p.class.IsZero() && !p.class.Valid() {
			t.Errorf("%s: %s is not RSIT", n, p.class)
		}
		if p.sinkhole && (p.dst != event.RoleNone || p.c2) {
			t.Errorf("%s: a sinkhole destination must play no role", n)
		}
	}
	for _, n := range []string{"weather", "scan_", "event4_", ""} {
		if _, _, ok := shadowLookup(n); ok {
			t.Errorf("%q: should be unknown", n)
		}
	}
}

func TestShadowserverSniff(t *testing.T) {
	scan := []byte(`"timestamp","ip","protocol","port","hostname","tag","asn","geo","region","city","naics"` + "\n")
	event4 := []byte(`"timestamp","protocol","src_ip","src_port","src_asn","src_geo"` + "\n")
	tests := []struct {
		name string
		head []byte
		min  int
		max  int
	}{
		{"2024-03-12-scan_ftp-org-geo.csv", scan, 90, 100},
		{"upload.csv", scan, 80, 89},
		{"upload.csv", append([]byte("\xef\xbb\xbf"), event4...), 80, 89},
		{"sandbox_dns.csv", []byte(`"timestamp","md5hash","request","type","response"` + "\n"), 60, 79},
		{"upload.csv", []byte("timestamp,ip,port\n"), 0, 0},               // nothing Shadowserver-specific
		{"upload.csv", []byte("ip,timestamp,asn,geo\n"), 0, 0},            // timestamp not first
		{"upload.csv", []byte(`{"timestamp":"x","ip":"y"}` + "\n"), 0, 0}, // JSON
		{"export.json", []byte(`{"a":1}`), 0, 0},
		{"x.csv", nil, 0, 0},
	}
	for _, tc := range tests {
		if got := sniffShadowserver(tc.name, tc.head); got < tc.min || got > tc.max {
			t.Errorf("%s %q: %d, want %d..%d", tc.name, tc.head, got, tc.min, tc.max)
		}
	}
}

// shadowInteropCounts are the records each third-party sample holds. The
// rejects are deliberate faults in the samples: a five-part address
// (event4_honeypot_ddos_amp), a network in the ip column (blocklist) and
// rows one field shorter than their header (event4_honeypot_ddos,
// scan_rdp, scan_synfulknock: hand-edited samples that lost a column).
var shadowInteropCounts = map[string][2]int{
	"blocklist.csv": {2, 1}, "event4_honeypot_ddos.csv": {0, 3},
	"event4_honeypot_ddos_amp.csv": {4, 1}, "scan_rdp.csv": {0, 2}, "scan_synfulknock.csv": {2, 1},
	"event4_honeypot_brute_force.csv": {6, 0}, "event4_honeypot_darknet.csv": {8, 0},
	"event4_ip_spoofer.csv": {6, 0}, "scan_dns.csv": {100, 0}, "scan_exchange.csv": {7, 0},
	"scan_ipmi.csv": {95, 0}, "scan_mongodb.csv": {10, 0}, "scan_radmin.csv": {9, 0},
	"scan_redis.csv": {93, 0}, "scan_ssl_freak.csv": {45, 0}, "scan_ssl_poodle.csv": {31, 0},
	"event4_honeypot_http_scan.csv": {2, 0}, "scan_adb.csv": {2, 0}, "scan_afp.csv": {2, 0},
	"scan_cisco_smart_install.csv": {2, 0}, "scan_cwmp.csv": {2, 0}, "scan_db2.csv": {2, 0},
	"scan_ftp.csv": {2, 0}, "scan_hadoop.csv": {2, 0}, "scan_isakmp.csv": {2, 0},
	"scan_smtp_vulnerable.csv": {2, 0}, "scan_telnet.csv": {2, 0}, "scan_vnc.csv": {2, 0},
	"scan_ipp.csv": {1, 0}, "scan_mqtt.csv": {1, 0},
}

func TestShadowserverInterop(t *testing.T) {
	dir := interopPath(t, "shadowserver", "samples")
	files, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil || len(files) < 80 {
		t.Fatalf("found %d samples in %s: %v", len(files), dir, err)
	}
	got := map[string]*recorder{}
	total := 0
	for _, path := range files {
		name := filepath.Base(path)
		rec := decodeFile(t, "shadowserver", Options{}, path)
		got[name] = rec
		rows := shadowCountRows(t, path)
		total += rows
		if rec.records() != rows {
			t.Errorf("%s: %d events + %d rejects, but %d data rows", name, len(rec.events), len(rec.rejects), rows)
		}
		want, ok := shadowInteropCounts[name]
		if !ok {
			want = [2]int{3, 0} // most samples hold three clean rows
		}
		if len(rec.events) != want[0] || len(rec.rejects) != want[1] {
			t.Errorf("%s: %d events, %d rejects; want %d, %d (%v)", name, len(rec.events), len(rec.rejects), want[0], want[1], rec.rejects)
		}
		shadowCheckEvents(t, rec, path)
	}
	t.Logf("%d samples, %d data rows", len(files), total)

	find := func(file string, line int64) *event.Event {
		t.Helper()
		for i := range got[file].events {
			if got[file].events[i].Line == line {
				return &got[file].events[i]
			}
		}
		t.Fatalf("%s: no event at line %d", file, line)
		return nil
	}
	ip := netip.MustParseAddr
	// A scan: an NTP server that amplifies.
	if e := find("scan_ntp.csv", 2); e.Class != event.ClassAmplifier || e.Source.IP != ip("192.168.0.1") ||
		e.Source.Port != 123 || e.Source.FQDN != "node01.example.com" || e.Transport != "udp" ||
		e.Source.Role != event.RoleVulnerable || e.Destination.IP.IsValid() ||
		!bytes.Contains(e.Extra, []byte(`"asn":"64512"`)) || !bytes.Contains(e.Extra, []byte(`"geo":"ZZ"`)) {
		t.Errorf("scan_ntp: %s", e.AppendJSON(nil))
	}
	if e := find("scan_ssl_poodle.csv", 2); e.Class != event.ClassWeakCrypto || e.Source.IP != ip("203.0.113.85") || e.Source.Port != 8443 {
		t.Errorf("scan_ssl_poodle: %s", e.AppendJSON(nil))
	}
	// A honeypot: SSH brute force against a sensor.
	if e := find("event4_honeypot_brute_force.csv", 2); e.Class != event.ClassBruteForce ||
		e.Source.IP != ip("141.98.1.2") || e.Source.Port != 30123 || e.Source.Role != event.RoleAttacker ||
		e.Destination.IP != ip("162.250.1.2") || e.Destination.Port != 22 || e.Destination.Role != event.RoleNone ||
		e.Application != "ssh" || e.TimeSource != time.Date(2021, 3, 27, 0, 0, 0, 0, time.UTC) ||
		!bytes.Contains(e.Extra, []byte(`"infection":"ssh-brute-force"`)) || e.Malware != "" {
		t.Errorf("brute force: %s", e.AppendJSON(nil))
	}
	if e := find("event4_honeypot_darknet.csv", 2); e.Class != event.ClassScanner || e.Malware != "mirai" || e.Destination.Port != 23 {
		t.Errorf("darknet: %s", e.AppendJSON(nil))
	}
	// Reflected DDoS: the spoofed source is the victim; line 6 has a
	// five-part address.
	if e := find("event4_honeypot_ddos_amp.csv", 2); e.Class != event.ClassDDoS || e.Source.Role != event.RoleTarget ||
		e.Source.IP != ip("107.141.1.2") || e.Destination.Port != 389 {
		t.Errorf("ddos amp: %s", e.AppendJSON(nil))
	}
	if rj := got["event4_honeypot_ddos_amp.csv"].rejects; len(rj) != 1 || rj[0].Line != 6 || !strings.Contains(rj[0].Reason, "37.120.178.9.10") {
		t.Errorf("ddos amp rejects: %v", rj)
	}
	// A DDoS participant and its victim.
	if e := find("event4_ddos_participant.csv", 3); e.Class != event.ClassDDoS || e.Source.IP != ip("192.168.0.2") ||
		e.Source.Port != 53 || e.Source.Role != event.RoleAttacker || e.Destination.IP != ip("172.16.0.2") ||
		e.Destination.Role != event.RoleTarget || e.Transport != "udp" || e.Application != "dns" {
		t.Errorf("ddos participant: %s", e.AppendJSON(nil))
	}
	if e := find("event4_honeypot_ddos_target.csv", 2); e.Class != event.ClassDDoS || e.Source.Role != event.RoleC2 ||
		e.Destination.IP != ip("172.16.0.1") || e.Destination.Role != event.RoleTarget || e.Malware != "mirai" {
		t.Errorf("ddos target: %s", e.AppendJSON(nil))
	}
	// Phishing.
	if e := find("phish_url.csv", 2); e.Class != event.ClassPhishing || e.Source.Role != event.RoleMalicious ||
		e.Source.URL != "https://priceless-pare.example.net/Postal-/acec6/" || e.Source.FQDN != "priceless-pare.example.net" ||
		e.Source.IP != ip("172.245.0.0") || !bytes.Contains(e.Extra, []byte(`"source":"openphish.com"`)) {
		t.Errorf("phish_url: %s", e.AppendJSON(nil))
	}
	// The malware URL's host is an address, so there is no host name.
	if e := find("malware_url.csv", 2); e.Class != event.ClassMalwareDist || e.Source.URL != "http://41.86.0.0:50008/Mozi.m" ||
		e.Source.FQDN != "" || !bytes.Contains(e.Extra, []byte(`"tag":"CVE-2016-10372"`)) {
		t.Errorf("malware_url: %s", e.AppendJSON(nil))
	}
	// Webshell tags mean the Exchange server is already compromised.
	if e := find("scan_exchange.csv", 3); e.Class != event.ClassCompromised || e.Source.Role != event.RoleInfected {
		t.Errorf("scan_exchange webshell: %s", e.AppendJSON(nil))
	}
	if e := find("scan_exchange.csv", 2); e.Class != event.ClassVulnerable {
		t.Errorf("scan_exchange: %s", e.AppendJSON(nil))
	}
	if e := find("compromised_website.csv", 4); e.Destination.URL != "https://lolfree.pw/ads.txt" || e.Destination.Role != event.RoleC2 {
		t.Errorf("compromised_website cc_url: %s", e.AppendJSON(nil))
	}
	if e := find("sandbox_conn.csv", 2); e.Kind != event.Observation || e.Destination.FQDN != "time.windows.com" || e.Source.IP.IsValid() {
		t.Errorf("sandbox_conn: %s", e.AppendJSON(nil))
	}
	if e := find("special.csv", 2); e.Class != event.ClassCompromised {
		t.Errorf("special: %s", e.AppendJSON(nil))
	}
	if rj := got["blocklist.csv"].rejects; len(rj) != 1 || rj[0].Line != 4 || !strings.Contains(rj[0].Reason, "network") {
		t.Errorf("blocklist rejects: %v", rj)
	}
}

// shadowCountRows counts a CSV's data rows with encoding/csv, independent
// of the decoder's reader.
func shadowCountRows(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	n := 0
	for {
		_, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		n++
	}
	return n - 1
}

// TestShadowserverTypesCovered reads Shadowserver's list of report types
// and checks that each has an entry of its own in the table, not only a
// prefix guess.
func TestShadowserverTypesCovered(t *testing.T) {
	data, err := os.ReadFile(interopPath(t, "shadowserver", "shadowserver-types.md"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^\| ([a-z0-9_]+) \|`)
	n := 0
	for _, m := range re.FindAllSubmatch(data, -1) {
		name := string(m[1])
		n++
		if _, exact, ok := shadowLookup(name); !ok || !exact {
			t.Errorf("report type %s has no entry in the classification table", name)
		}
	}
	if n < 150 {
		t.Errorf("found only %d report types in the list", n)
	}
}

func FuzzShadowserver(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(shadowTestdata, "*.csv"))
	for i, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(i))
	}
	f.Add([]byte("timestamp,ip\n\"2024-03-12 00:00:00\",\"192.0.2.1\n"), uint8(0))
	reports := []string{"event4_sinkhole_http", "scan_ntp", "botnet_drone", "sandbox_dns", "event4_honeypot_ddos",
		"compromised_account", "scan_ssl", "event4_sinkhole_http_referer", "ransomware_victim", "event4_honeypot_http_scan"}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		dec, _ := formats["shadowserver"].New(Options{Report: reports[int(which)%len(reports)]})
		rec := &recorder{}
		// A 64 KiB buffer, not Open's 1 MiB one: the fuzzer runs this
		// thousands of times a second.
		err := dec.Decode(context.Background(), bufio.NewReaderSize(bytes.NewReader(data), 64<<10), rec)
		want, headerOK := shadowFuzzRecords(data)
		if err != nil {
			if headerOK || rec.records() != 0 {
				t.Fatalf("whole-input error %v after a good header, or with %d records emitted", err, rec.records())
			}
			return
		}
		if rec.records() != want {
			t.Fatalf("%d events + %d rejects, want %d records", len(rec.events), len(rec.rejects), want)
		}
		for i := range rec.events {
			e := &rec.events[i]
			if err := e.Validate(); err != nil {
				t.Fatalf("line %d: %v", e.Line, err)
			}
			if e.Line < 2 || len(e.Raw) == 0 || (len(e.Extra) > 0 && !json.Valid(e.Extra)) {
				t.Fatalf("line %d: raw %q extra %q", e.Line, e.Raw, e.Extra)
			}
			if e.Destination.Flags&event.FlagSinkhole != 0 && e.Destination.Role != event.RoleNone {
				t.Fatalf("line %d: sinkhole with role %s", e.Line, e.Destination.Role)
			}
		}
	})
}

// shadowFuzzRecords counts what the decoder must account for: every CSV
// record after the first that is not itself a header.
func shadowFuzzRecords(data []byte) (n int, headerOK bool) {
	cr := newCSVReader(bufio.NewReaderSize(bytes.NewReader(data), 64<<10), ',', "#")
	first := true
	for {
		f, err := cr.next()
		if errors.Is(err, io.EOF) {
			return n, headerOK || first
		}
		if err != nil && !isRecordError(err) {
			return n, false
		}
		if first {
			first = false
			if err != nil || !newShadowPlan(f, shadowProfile{}).has("timestamp") {
				return 0, false
			}
			headerOK = true
			continue
		}
		if err == nil && shadowIsHeader(f) {
			continue
		}
		n++
	}
}

func BenchmarkShadowserver(b *testing.B) {
	gen := func(header string, row func(i int) string, n int) []byte {
		var sb strings.Builder
		sb.WriteString(header)
		for i := 0; i < n; i++ {
			sb.WriteString(row(i))
		}
		return []byte(sb.String())
	}
	const rows = 20000
	inputs := []struct {
		name, report string
		data         []byte
	}{
		{"event4_sinkhole_http", "event4_sinkhole_http", gen(
			`"timestamp","protocol","src_ip","src_port","src_asn","src_geo","src_region","src_city","src_hostname","src_naics","src_sector","device_vendor","device_type","device_model","severity","dst_ip","dst_port","dst_asn","dst_geo","dst_region","dst_city","dst_hostname","dst_naics","dst_sector","public_source","infection","family","tag","application","version","event_id","http_url","http_host","http_agent","forwarded_by","ssl_cipher","http_referer","ssl_servername","machine_name"`+"\n",
			func(i int) string {
				return fmt.Sprintf(`"2024-03-12 %02d:%02d:%02d","tcp","203.0.%d.%d",%d,64500,"PL","MAZOWIECKIE","WARSZAWA","host-%d.example.net",517311,"Communications, Service Provider, and Hosting Service",,,,"critical","198.51.100.10",80,64511,"US","CALIFORNIA","SAN FRANCISCO","sinkhole.example.org",,,"SISSDEN","andromeda","andromeda","andromeda","http",,,"/image.php","b.example-c2.com","Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)",,,,,`+"\n",
					i/3600%24, i/60%60, i%60, i/256%256, i%256, 1024+i%60000, i)
			}, rows)},
		{"scan_ntp", "scan_ntp", gen(
			`"timestamp","severity","ip","protocol","port","hostname","tag","asn","geo","region","city","naics","hostname_source","sector","version","clk_wander","clock","error","frequency","jitter","leap","mintc","noise","offset","peer","phase","poll","precision","processor","refid","reftime","rootdelay","rootdispersion","stability","state","stratum","system","tai","tc","response_size","amplification"`+"\n",
			func(i int) string {
				return fmt.Sprintf(`"2024-03-12 04:12:55","medium","198.51.%d.%d","udp",123,"ntp%d.example.net","ntpversion",64503,"DE","BAYERN","MUENCHEN",517311,"rdns","Communications, Service Provider, and Hosting Service",4,,"0xe9a7c4d1.5b0e9c2a",,"-11.222",0.114,"0",,,"-0.044",42123,,10,-23,"x86_64","192.0.2.1","0xe9a7c3f0.0a3d70a4",1.9,24.5,,,2,"Linux/5.15.0",37,10,468,48.75`+"\n",
					i/256%256, i%256, i)
			}, rows)},
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			benchDecoder(b, "shadowserver", Options{Report: in.report}, in.data, rows)
		})
	}
}
