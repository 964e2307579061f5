package feed

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestObjIterMembers(t *testing.T) {
	in := ` {"a": 1, "b" : "x\"y", "c":{"d":[1,{"e":"}"}]}, "f":null ,"g":true,"h":-1.5e3} `
	var it objIter
	if !it.reset([]byte(in)) {
		t.Fatal(it.err)
	}
	want := []struct{ k, v string }{
		{"a", "1"}, {"b", `"x\"y"`}, {"c", `{"d":[1,{"e":"}"}]}`}, {"f", "null"}, {"g", "true"}, {"h", "-1.5e3"},
	}
	i := 0
	for it.next() {
		if i >= len(want) {
			t.Fatalf("extra member %s", it.key)
		}
		if string(it.key) != want[i].k || string(it.val) != want[i].v {
			t.Errorf("member %d = %s:%s, want %s:%s", i, it.key, it.val, want[i].k, want[i].v)
		}
		i++
	}
	if it.err != nil {
		t.Fatal(it.err)
	}
	if i != len(want) {
		t.Fatalf("got %d members, want %d", i, len(want))
	}
}

func TestObjIterErrors(t *testing.T) {
	for _, in := range []string{
		``,
		`[1,2]`,
		`{"timestamp":"2017-03-06T06:54:10`, // truncated, as in fever's broken sample
		`{"a":1`,
		`{"a":1,}`,
		`{"a" 1}`,
		`{"a":1 "b":2}`,
		`{"a":{"b":[1,2}`,
		`{"a":tru}`,
		`{"a":1} trailing`,
		`{,"a":1}`,
		`{"a":@}`,
		`{a:1}`,
	} {
		var it objIter
		ok := it.reset([]byte(in))
		for ok && it.next() {
		}
		if it.err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestObjIterEmpty(t *testing.T) {
	var it objIter
	if !it.reset([]byte(`{}`)) {
		t.Fatal(it.err)
	}
	if it.next() || it.err != nil {
		t.Fatalf("next on {} = true or err %v", it.err)
	}
}

func TestArrIter(t *testing.T) {
	var it arrIter
	if !it.reset([]byte(`[ {"a":1}, "x", [2] ]`)) {
		t.Fatal(it.err)
	}
	var got []string
	for it.next() {
		got = append(got, string(it.val))
	}
	if it.err != nil || len(got) != 3 || got[0] != `{"a":1}` || got[2] != `[2]` {
		t.Fatalf("got %q err %v", got, it.err)
	}
	if !it.reset([]byte(`[1 2]`)) {
		t.Fatal(it.err)
	}
	for it.next() {
	}
	if it.err == nil {
		t.Fatal("missing comma not detected")
	}
}

func TestJSONStrMatchesEncodingJSON(t *testing.T) {
	for _, lit := range []string{
		`"plain"`, `"\/jokes\/random"`, `"tab\there"`, `"\u00e9t\u00E9"`, `"\ud83d\ude00"`,
		`"lone \ud83d surrogate"`, `"quote \" and backslash \\"`, `""`,
	} {
		var want string
		if err := json.Unmarshal([]byte(lit), &want); err != nil {
			t.Fatal(err)
		}
		got, ok := jsonStr([]byte(lit))
		if !ok || got != want {
			t.Errorf("jsonStr(%s) = %q, %v; want %q", lit, got, ok, want)
		}
	}
	if _, ok := jsonStr([]byte(`"bad \x escape"`)); ok {
		t.Error("invalid escape accepted")
	}
	if _, ok := jsonStr([]byte(`12`)); ok {
		t.Error("number accepted as string")
	}
}

func TestJSONNumbers(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{{"443", 443, true}, {`"443"`, 443, true}, {"-7", -7, true}, {"1.5", 0, false}, {"null", 0, false}, {"", 0, false}, {"-", 0, false}} {
		got, ok := jsonInt([]byte(c.in))
		if got != c.want || ok != c.ok {
			t.Errorf("jsonInt(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	if f, ok := jsonFloat([]byte("0.0018720000000023163")); !ok || f != 0.0018720000000023163 {
		t.Errorf("jsonFloat = %v, %v", f, ok)
	}
}

func BenchmarkObjIterEVE(b *testing.B) {
	line := []byte(`{"timestamp":"2023-09-18T06:13:41.532140+0000","flow_id":1676750115612680,"pcap_cnt":130,"event_type":"alert","src_ip":"142.11.240.191","src_port":35361,"dest_ip":"192.168.100.237","dest_port":49175,"proto":"TCP","pkt_src":"wire/pcap","ether":{"src_mac":"52:54:00:36:3e:ff","dest_mac":"12:a9:86:6c:77:de"},"tx_id":1,"alert":{"action":"allowed","gid":1,"signature_id":2045001,"rev":1,"signature":"ET ATTACK_RESPONSE Win32/LeftHook Stealer Browser Extension Config Inbound","category":"A Network Trojan was detected","severity":1,"metadata":{"affected_product":["Windows_XP_Vista_7_8_10_Server_32_64_Bit"],"attack_target":["Client_Endpoint"],"created_at":["2023_04_17"],"deployment":["Perimeter"],"former_category":["ATTACK_RESPONSE"],"signature_severity":["Major"],"updated_at":["2023_04_18"]}},"http":{"hostname":"142.11.240.191","http_port":35361,"url":"/","http_content_type":"text/xml","http_method":"POST","protocol":"HTTP/1.1","status":200,"length":5362},"app_proto":"http","direction":"to_client","flow":{"pkts_toserver":13,"pkts_toclient":12,"bytes_toserver":1616,"bytes_toclient":8044,"start":"2023-09-18T06:13:33.324862+0000","src_ip":"192.168.100.237","dest_ip":"142.11.240.191","src_port":49175,"dest_port":35361}}`)
	b.SetBytes(int64(len(line)))
	var it objIter
	for b.Loop() {
		it.reset(line)
		for it.next() {
		}
		if it.err != nil {
			b.Fatal(it.err)
		}
	}
}

func FuzzObjIter(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":{"c":[1,"x"]}}`))
	f.Add([]byte(`{"a":"\u00e9\"","b":null}`))
	f.Add([]byte(`{"a":`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var it objIter
		if !it.reset(data) {
			return
		}
		n := 0
		for it.next() {
			n++
			jsonStr(it.val)
			jsonInt(it.val)
			var sub objIter
			if sub.reset(it.val) {
				for sub.next() {
				}
			}
		}
		// Every object encoding/json accepts, the scanner must accept too,
		// and read its string members the same way.
		if !json.Valid(data) {
			return
		}
		if it.err != nil {
			t.Fatalf("scanner rejects valid JSON %q: %v", data, it.err)
		}
		var m map[string]any
		if json.Unmarshal(data, &m) != nil {
			return
		}
		it.reset(data)
		for it.next() {
			k, _ := jsonStr(append(append([]byte{'"'}, it.key...), '"'))
			want, isStr := m[k].(string)
			// Raw invalid UTF-8 is kept as is; encoding/json replaces it.
			if got, ok := jsonStr(it.val); ok && isStr && got != want && utf8.ValidString(got) {
				t.Fatalf("member %q: scanner read %q, encoding/json %q", k, got, want)
			}
		}
	})
}
