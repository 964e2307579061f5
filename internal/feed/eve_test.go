package feed

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/golden"
)

func TestEVEGolden(t *testing.T) {
	for _, name := range []string{"sample", "bad"} {
		t.Run(name, func(t *testing.T) {
			rec := decodeFile(t, "eve", Options{TLP: tlpOf(event.TLPGreen)}, "testdata/eve/"+name+".json")
			golden.Check(t, "testdata/eve/"+name+".golden", rec.golden())
		})
	}
}

func TestEVEClassifiesAlerts(t *testing.T) {
	rec := decodeFile(t, "eve", Options{}, "testdata/eve/sample.json")
	if len(rec.rejects) != 0 {
		t.Fatalf("sample rejected: %v", rec.rejects)
	}
	type want struct {
		class            event.Class
		src, dst         string
		srcRole, dstRole event.Role
		malware          string
	}
	byLine := map[int64]want{
		// Alert on the response packet: the flow object says who opened
		// the connection, so the infected client is the source and the
		// C&C server the destination.
		1: {event.ClassInfected, "192.0.2.10", "203.0.113.50", event.RoleInfected, event.RoleC2, "emotet"},
		2: {event.ClassInfected, "192.0.2.11", "198.51.100.77", event.RoleInfected, event.RoleC2, ""},
		3: {event.ClassIDSAlert, "192.0.2.12", "198.51.100.20", event.RoleAttacker, event.RoleTarget, ""},
		4: {event.ClassScanner, "203.0.113.99", "192.0.2.20", event.RoleAttacker, event.RoleTarget, ""},
		// The rule's source/target keywords name the attacker even though
		// the packet went the other way.
		5: {event.ClassExploit, "2001:db8:bad::1", "192.0.2.30", event.RoleAttacker, event.RoleTarget, ""},
		// Phishing is about the server that hosts the page.
		6: {event.ClassPhishing, "203.0.113.8", "192.0.2.40", event.RoleMalicious, event.RoleNone, ""},
		7: {event.ClassBruteForce, "203.0.113.200", "192.0.2.50", event.RoleAttacker, event.RoleTarget, ""},
		8: {event.ClassInfected, "192.0.2.60", "198.51.100.60", event.RoleInfected, event.RoleNone, ""},
	}
	seen := 0
	for _, e := range rec.events {
		w, ok := byLine[e.Line]
		if !ok {
			if e.Kind != event.Observation {
				t.Errorf("line %d: %v is an incident; only alerts are", e.Line, e.Class)
			}
			continue
		}
		seen++
		got := want{e.Class, e.Source.IP.String(), e.Destination.IP.String(), e.Source.Role, e.Destination.Role, e.Malware}
		if got != w {
			t.Errorf("line %d:\n got %+v\nwant %+v", e.Line, got, w)
		}
	}
	if seen != len(byLine) {
		t.Fatalf("saw %d alerts, want %d", seen, len(byLine))
	}
	first := rec.events[0]
	if first.Destination.FQDN != "update-check.example" || first.Destination.Port != 443 || first.Transport != "tcp" || first.Identifier != "2404301" {
		t.Errorf("first alert destination %+v transport %q id %q", first.Destination, first.Transport, first.Identifier)
	}
	if got := first.TimeSource.Format("2006-01-02T15:04:05.999999Z07:00"); got != "2024-03-12T10:00:00.123456Z" {
		t.Errorf("time %s", got)
	}
	// "+0100" is an offset, not decoration.
	if got := rec.events[1].TimeSource.Format("15:04"); got != "09:01" {
		t.Errorf("second alert time %s, want 09:01 UTC", got)
	}
}

func TestEVEDNSVersionsAgree(t *testing.T) {
	rec := decodeFile(t, "eve", Options{}, "testdata/eve/sample.json")
	var v2, v3 string
	for _, e := range rec.events {
		switch e.Line {
		case 10:
			v2 = string(e.Extra)
		case 11:
			v3 = string(e.Extra)
		}
	}
	for _, s := range []string{v2, v3} {
		if !strings.Contains(s, `"dns_rrname":"update-check.example"`) || !strings.Contains(s, `"dns_rrtype":"A"`) {
			t.Errorf("DNS question missing from %s", s)
		}
	}
	if !strings.Contains(v2, `"dns_type":"query"`) || !strings.Contains(v3, `"dns_type":"answer"`) {
		t.Errorf("DNS types not normalized: %s / %s", v2, v3)
	}
}

func TestEVEInterop(t *testing.T) {
	for _, c := range []struct {
		file             string
		events, rejected int
	}{
		{"fever-alertify_input.json", 3, 0},
		{"fever-jsonparse_eve.json", 3, 0},
		{"fever-jsonparse_eve_broken1.json", 2, 1},
		{"fever-jsonparse_eve_nulls.json", 1, 0},
	} {
		t.Run(c.file, func(t *testing.T) {
			path := interopPath(t, "suricata", c.file)
			data, _ := os.ReadFile(path)
			if f, err := Detect(path, data); err != nil || f.Name != "eve" {
				t.Fatalf("detected %q, %v", f.Name, err)
			}
			rec := decodeFile(t, "eve", Options{}, path)
			if len(rec.events) != c.events || len(rec.rejects) != c.rejected {
				t.Fatalf("events %d rejects %v; want %d and %d", len(rec.events), rec.rejects, c.events, c.rejected)
			}
			for _, e := range rec.events {
				if e.Kind != event.Observation {
					t.Errorf("line %d is %v; these samples hold no alerts", e.Line, e.Kind)
				}
			}
			if c.rejected > 0 && (rec.rejects[0].Line != 2 || !strings.Contains(rec.rejects[0].Reason, "truncated")) {
				t.Errorf("rejection %+v, want line 2 truncated", rec.rejects[0])
			}
		})
	}
	rec := decodeFile(t, "eve", Options{}, interopPath(t, "suricata", "fever-alertify_input.json"))
	tls := rec.events[2]
	if tls.Source.IP != netip.MustParseAddr("2a03:b0c0:2:d0::bd3:4001") || tls.Destination.FQDN != "example.com" {
		t.Errorf("IPv6 TLS record: %+v → %+v", tls.Source, tls.Destination)
	}
}

func TestEVEDocumentationExamples(t *testing.T) {
	// The EVE documentation's pretty-printed alert (Suricata 7, alert on
	// the response with a flow object), flattened to one line.
	path := interopPath(t, "suricata", "suricata-doc-eve-json-format.rst")
	doc, _ := os.ReadFile(path)
	start := bytes.Index(doc, []byte("Event type: ``alert``::"))
	if start < 0 {
		t.Fatal("alert example not found in the documentation")
	}
	body := doc[start:]
	open := bytes.IndexByte(body, '{')
	end := bytes.Index(body, []byte("\n    }\n"))
	var line bytes.Buffer
	for _, l := range bytes.Split(body[open:end+6], []byte("\n")) {
		line.Write(bytes.TrimSpace(l))
	}
	rec, err := decodeBytes(t, "eve", Options{}, line.Bytes())
	if err != nil || len(rec.events) != 1 {
		t.Fatalf("doc alert: %v %v", err, rec.rejects)
	}
	e := rec.events[0]
	// "ET ATTACK_RESPONSE Win32/LeftHook Stealer ..." in "A Network Trojan
	// was detected": the monitored client is infected.
	if e.Class != event.ClassInfected || e.Source.IP.String() != "192.168.100.237" || e.Source.Role != event.RoleInfected {
		t.Errorf("doc alert normalized to %v %+v", e.Class, e.Source)
	}
}

func TestEVEAccountsForEveryLine(t *testing.T) {
	for _, f := range []string{"testdata/eve/sample.json", "testdata/eve/bad.json"} {
		data, _ := os.ReadFile(f)
		lines := 0
		for _, l := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(l)) > 0 {
				lines++
			}
		}
		rec := decodeFile(t, "eve", Options{}, f)
		if rec.records() != lines {
			t.Errorf("%s: %d records accounted for, file has %d", f, rec.records(), lines)
		}
	}
}

func FuzzEVE(f *testing.F) {
	for _, p := range []string{"testdata/eve/sample.json", "testdata/eve/bad.json"} {
		data, _ := os.ReadFile(p)
		for _, l := range bytes.Split(data, []byte("\n")) {
			f.Add(l)
		}
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		rec, err := decodeBytes(t, "eve", Options{}, line)
		if err != nil {
			t.Fatalf("whole-input error on one line: %v", err)
		}
		want := 0
		for _, l := range bytes.Split(line, []byte("\n")) {
			if len(bytes.TrimSpace(bytes.TrimSuffix(l, []byte("\r")))) > 0 {
				want++
			}
		}
		if rec.records() != want {
			t.Fatalf("%d records accounted for, input has %d lines", rec.records(), want)
		}
		for _, e := range rec.events {
			if err := e.Validate(); err != nil {
				t.Fatalf("emitted invalid event: %v", err)
			}
		}
	})
}

// evePopulation is a realistic mix of EVE records: mostly flows and DNS,
// some HTTP and TLS, a few alerts.
func evePopulation() [][]byte {
	data, _ := os.ReadFile("testdata/eve/sample.json")
	var lines [][]byte
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(l) > 0 {
			lines = append(lines, l)
		}
	}
	return lines
}

func BenchmarkEVEAlerts(b *testing.B) {
	benchEVE(b, func(l []byte) bool { return bytes.Contains(l, []byte(`"event_type":"alert"`)) })
}

func BenchmarkEVEMix(b *testing.B) { benchEVE(b, func([]byte) bool { return true }) }

func benchEVE(b *testing.B, keep func([]byte) bool) {
	var input bytes.Buffer
	n := 0
	for i := 0; input.Len() < 8<<20; i++ {
		for _, l := range evePopulation() {
			if keep(l) {
				// Vary the flow id so records differ as in a real file.
				l = bytes.Replace(l, []byte(`"timestamp"`), []byte(fmt.Sprintf(`"flow_id":%d,"timestamp"`, i)), 1)
				input.Write(l)
				input.WriteByte('\n')
				n++
			}
		}
	}
	benchDecoder(b, "eve", Options{}, input.Bytes(), n)
}
