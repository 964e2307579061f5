package store

import (
	"bytes"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

func TestDocRoundTripAndSize(t *testing.T) {
	raw := []byte(`{"timestamp":"2026-10-03T10:00:01.532140+0000","flow_id":1000000007919,"in_iface":"ens1f0","event_type":"flow","src_ip":"83.24.112.9","src_port":51234,"dest_ip":"104.18.32.7","dest_port":443,"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":12,"pkts_toclient":14,"bytes_toserver":1890,"bytes_toclient":9870,"start":"2026-10-03T09:59:51.123456+0000","end":"2026-10-03T10:00:01.432100+0000","age":10,"state":"closed","reason":"timeout","alerted":false},"tcp":{"tcp_flags":"1b","tcp_flags_ts":"1b","tcp_flags_tc":"1b","syn":true,"fin":true,"psh":true,"ack":true,"state":"closed"}}`)
	e := event.Event{
		Kind: event.Observation, TimeSource: time.Date(2026, 10, 3, 10, 0, 1, 532140000, time.UTC),
		TimeObservation: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), Feed: event.Feed{Name: "suricata"},
		Source:      event.Endpoint{IP: netip.MustParseAddr("83.24.112.9"), Port: 51234, CC: "PL", ASN: 5617, ASName: "Orange Polska Spolka Akcyjna"},
		Destination: event.Endpoint{IP: netip.MustParseAddr("104.18.32.7"), Port: 443, CC: "US", ASN: 13335, ASName: "Cloudflare, Inc."},
		Transport:   "tcp", Application: "tls", TLP: event.TLPAmber, Raw: raw, Line: 7, IPDB: "ip-location-db@2.3.2026061719",
	}
	e.PutString("event_type", "flow")
	e.PutInt("flow_id", 1000000007919)
	e.PutInt("pkts_toserver", 12)
	e.PutString("flow_state", "closed")
	var enc DocEncoder
	doc := enc.AppendDoc(nil, &e)
	var got event.Event
	if err := DecodeDoc(doc, &got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, e)
	}
	plain := len(e.AppendBinary(nil))
	t.Logf("document %d bytes, %d uncompressed, raw %d", len(doc), plain, len(raw))
	if len(doc)*2 > plain {
		t.Errorf("document %d bytes of %d: compression below 2x", len(doc), plain)
	}
	// A plain document (codec 0) decodes too; an unknown codec does not.
	if err := DecodeDoc(append([]byte{docPlain}, e.AppendBinary(nil)...), &got); err != nil || !bytes.Equal(got.Raw, raw) {
		t.Fatalf("plain doc: %v", err)
	}
	if err := DecodeDoc([]byte{9, 1, 2}, &got); err == nil {
		t.Fatal("unknown codec accepted")
	}
}

func FuzzDecodeDoc(f *testing.F) {
	var enc DocEncoder
	e := event.Event{Kind: event.Observation, Feed: event.Feed{Name: "x"}, Raw: []byte("raw")}
	f.Add(enc.AppendDoc(nil, &e))
	f.Add([]byte{1, 5, 0x50, 'a', 'b', 'c', 'd', 'e'})
	f.Fuzz(func(t *testing.T, doc []byte) {
		var e event.Event
		DecodeDoc(doc, &e) // must not panic
	})
}
