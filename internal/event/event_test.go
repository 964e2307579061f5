package event

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func sample() Event {
	e := Event{
		TimeSource: time.Date(2024, 3, 12, 10, 0, 0, 123456000, time.UTC),
		Feed:       Feed{Name: "suricata"},
		Source:     Endpoint{IP: netip.MustParseAddr("192.0.2.7"), Port: 49175},
		Destination: Endpoint{IP: netip.MustParseAddr("203.0.113.5"), Port: 443,
			Role: RoleC2},
		Malware: "emotet",
		Text:    "ET CNC Feodo Tracker Reported CnC Server",
		Raw:     []byte(`{"raw":1}`),
	}
	e.SetClass(ClassInfected)
	return e
}

func TestHashIgnoresWhatConcordAdds(t *testing.T) {
	var h Hasher
	a := sample()
	want := h.Sum(&a)
	b := sample()
	b.TimeObservation = time.Now().UTC()
	b.Source.CC, b.Source.ASN, b.Source.ASName, b.Source.Flags = "PL", 8308, "NASK", FlagTor
	b.TLP = TLPRed
	b.Raw = []byte("a different spelling of the same record")
	b.Line = 99
	b.IPDB = "x@1"
	if got := h.Sum(&b); got != want {
		t.Error("hash changed with fields Concord adds")
	}
	c := sample()
	c.Source.IP = netip.MustParseAddr("::ffff:192.0.2.7")
	if got := h.Sum(&c); got != want {
		t.Error("IPv4-mapped address hashes differently from plain IPv4")
	}
}

func TestHashCoversWhatTheFeedSaid(t *testing.T) {
	var h Hasher
	base := sample()
	want := h.Sum(&base)
	for name, mutate := range map[string]func(*Event){
		"time":        func(e *Event) { e.TimeSource = e.TimeSource.Add(time.Microsecond) },
		"feed":        func(e *Event) { e.Feed.Name = "zeek" },
		"class":       func(e *Event) { e.Class = ClassScanner },
		"src ip":      func(e *Event) { e.Source.IP = netip.MustParseAddr("192.0.2.8") },
		"src port":    func(e *Event) { e.Source.Port++ },
		"dst role":    func(e *Event) { e.Destination.Role = RoleNone },
		"malware":     func(e *Event) { e.Malware = "qakbot" },
		"extra":       func(e *Event) { e.PutInt("flow_id", 1) },
		"text":        func(e *Event) { e.Text = "" },
		"field shift": func(e *Event) { e.Malware, e.Transport = "", e.Malware },
	} {
		e := sample()
		mutate(&e)
		if h.Sum(&e) == want {
			t.Errorf("%s: hash unchanged", name)
		}
	}
}

func TestExtraIsValidJSON(t *testing.T) {
	var e Event
	e.PutString("sig", "quote \" newline \n bad \xff utf8")
	e.PutInt("flow_id", 1676750115612680)
	e.PutFloat("duration", 0.004266)
	e.PutFloat("nan", 0)
	e.PutBool("local_orig", true)
	e.PutJSON("meta", []byte(`{"a":[1,2]}`))
	e.PutStrings("tags", []string{"a", "b"})
	var m map[string]any
	if err := json.Unmarshal(e.Extra, &m); err != nil {
		t.Fatalf("Extra %s: %v", e.Extra, err)
	}
	if m["sig"] != "quote \" newline \n bad \ufffd utf8" || m["flow_id"] != 1676750115612680.0 || m["local_orig"] != true {
		t.Errorf("Extra decoded to %v", m)
	}
	e.Reset()
	if len(e.Extra) != 0 {
		t.Error("Reset kept extras")
	}
}

func TestAppendJSONUsesIntelMQNames(t *testing.T) {
	e := sample()
	e.Source.CC, e.Source.ASN, e.Source.Flags = "PL", 8308, FlagTor|FlagHosting
	e.PutString("sid", "2045001")
	var m map[string]any
	out := e.AppendJSON(nil)
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	for k, want := range map[string]any{
		"classification.taxonomy": "malicious-code", "classification.type": "infected-system",
		"source.ip": "192.0.2.7", "source.port": 49175.0, "source.geolocation.cc": "PL", "source.asn": 8308.0,
		"source.tor_node": true, "destination.role": "c2-server", "source.role": "infected-host",
		"time.source": "2024-03-12T10:00:00.123456+00:00", "feed.name": "suricata", "tlp": "TLP:CLEAR",
		"raw": "eyJyYXciOjF9",
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if !strings.Contains(string(out), `"source.flags":["tor-exit","hosting"]`) {
		t.Errorf("flags missing from %s", out)
	}
}

func TestValidate(t *testing.T) {
	ok := sample()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Event){
		"no class":       func(e *Event) { e.Class = Class{} },
		"bad class":      func(e *Event) { e.Class = Class{"malicious-code", "scanner"} },
		"no address":     func(e *Event) { e.Source, e.Destination = Endpoint{}, Endpoint{} },
		"no feed":        func(e *Event) { e.Feed.Name = "" },
		"local time":     func(e *Event) { e.TimeSource = e.TimeSource.In(time.FixedZone("X", 3600)) },
		"obs with class": func(e *Event) { e.Kind = Observation },
		"no kind":        func(e *Event) { e.Kind = 0 },
	} {
		e := sample()
		mutate(&e)
		if err := e.Validate(); err == nil {
			t.Errorf("%s: Validate accepted", name)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	e := sample()
	e.Extra = []byte(`{"flow_id":1676750115612680,"signature_id":2045001,"severity":1}`)
	var h Hasher
	for b.Loop() {
		h.Sum(&e)
	}
}

func TestValidateRefusesTextThatIsNotText(t *testing.T) {
	for _, m := range []string{"emo\x00tet", "emo\xfftet"} {
		e := Event{Kind: Incident, Feed: Feed{Name: "f"}, Malware: m, Source: Endpoint{IP: netip.MustParseAddr("192.0.2.1")}}
		e.SetClass(ClassInfected)
		if err := e.Validate(); err == nil || !strings.Contains(err.Error(), "malware.name") {
			t.Errorf("malware %q: %v", m, err)
		}
	}
}
