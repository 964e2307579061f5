package storetest

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// SyntheticBatch makes n distinct events numbered from start, as a sensor
// writes them: one in ten a C&C alert, the others flows. Every backend's
// benchmarks use it, so their numbers compare.
func SyntheticBatch(start, n int) *store.Batch {
	b := &store.Batch{}
	var h event.Hasher
	var docs store.DocEncoder
	raw := []byte(`{"timestamp":"2024-03-01T00:00:00.000000+0000","flow_id":1676750115612680,"in_iface":"eth0","event_type":"flow","src_ip":"10.0.0.1","src_port":51234,"dest_ip":"203.0.113.7","dest_port":443,"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":12,"pkts_toclient":14,"bytes_toserver":1890,"bytes_toclient":9870,"start":"2024-03-01T00:00:00.000000+0000","end":"2024-03-01T00:00:10.000000+0000","age":10,"state":"closed","reason":"timeout","alerted":false}}`)
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := start; i < start+n; i++ {
		var src, dst [4]byte
		binary.BigEndian.PutUint32(src[:], 0x0a000000+uint32(i%50000))
		binary.BigEndian.PutUint32(dst[:], 0xcb007100+uint32(i%200))
		e := event.Event{
			TimeSource:      t0.Add(time.Duration(i) * time.Second),
			TimeObservation: t0,
			Feed:            event.Feed{Name: "suricata"},
			Source:          event.Endpoint{IP: netip.AddrFrom4(src), Port: uint16(1024 + i%60000), CC: "PL", ASN: 5617},
			Destination:     event.Endpoint{IP: netip.AddrFrom4(dst), Port: 443, Role: event.RoleC2, CC: "US", ASN: 16509},
			Malware:         "emotet",
			Transport:       "tcp",
			Text:            "ET CNC Feodo Tracker Reported CnC Server group 1",
			Identifier:      "2404301",
			Extra:           []byte(fmt.Sprintf(`{"flow_id":%d,"severity":1}`, i)),
			Raw:             raw,
		}
		if i%10 == 0 {
			e.SetClass(event.ClassInfected)
		} else {
			e.Kind = event.Observation
			e.Destination.Role = event.RoleNone
		}
		b.Events = append(b.Events, e)
		b.Keys = append(b.Keys, store.KeyOf(h.Sum(&e), e.TimeSource))
		b.Docs = append(b.Docs, docs.AppendDoc(nil, &e))
	}
	return b
}

// BenchWriteBatch measures ingest from one process into s: batches of 2,000
// new events written one after the other, as `concord ingest` writes them,
// reported as events/s.
func BenchWriteBatch(b *testing.B, s store.Events) {
	ctx := context.Background()
	const size = 2000
	n := 0
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		bt := SyntheticBatch(i*size, size)
		b.StartTimer()
		if _, err := s.WriteBatch(ctx, bt); err != nil {
			b.Fatal(err)
		}
		n += size
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchSearchEventsEnv names the variable that sets how many events
// BenchSearchEvents stores first (default 200,000; the figures quoted for
// the search are on 1,000,000).
const BenchSearchEventsEnv = "CONCORD_BENCH_SEARCH_EVENTS"

// The search benchmark's rare values: a malware family on one event in
// 10,000, and an infected host on one in 250,000 (four days of a million
// events).
const (
	rareMalware = "trickbot"
	rareHost    = "198.51.100.77"
)

// BenchSearchEvents measures the first page of searches the web pages
// make, on SyntheticBatch data (one event in ten an incident, one a second
// of source time: 86,400 a day) with a rare malware family and a rare
// infected host: no filter, a class, the rare host (which scans its whole
// budget), the same host in its role (which reads the days of its facts
// only), a host seen every day in its role, and the rare family (which
// scans its budget too). Each reports the events examined and found per
// page.
func BenchSearchEvents(b *testing.B, s SearchStore) {
	ctx := context.Background()
	n := 200_000
	if v := os.Getenv(BenchSearchEventsEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("%s: %v", BenchSearchEventsEnv, err)
		}
	}
	const size = 2000
	var h event.Hasher
	var docs store.DocEncoder
	for start := 0; start < n; start += size {
		bt := SyntheticBatch(start, min(size, n-start))
		for i := range bt.Events {
			e := &bt.Events[i]
			switch j := start + i; {
			case j%250_000 == 120_000:
				e.Source.IP = netip.MustParseAddr(rareHost)
			case j%10_000 == 1234:
				e.Malware = rareMalware
			default:
				continue
			}
			bt.Keys[i] = store.KeyOf(h.Sum(e), e.TimeSource)
			bt.Docs[i] = docs.AppendDoc(nil, e)
		}
		if _, err := s.WriteBatch(ctx, bt); err != nil {
			b.Fatal(err)
		}
	}
	rare := netip.PrefixFrom(netip.MustParseAddr(rareHost), 32)
	daily := netip.MustParsePrefix("10.0.0.10/32")
	for _, c := range []struct {
		name string
		q    store.EventQuery
	}{
		{"NoFilter", store.EventQuery{}},
		{"Class", store.EventQuery{Class: event.ClassInfected.String()}},
		{"OneAddress", store.EventQuery{Prefix: rare}},
		{"OneAddressInRole", store.EventQuery{Prefix: rare, Role: event.RoleInfected}},
		{"DailyAddressInRole", store.EventQuery{Prefix: daily, Role: event.RoleInfected}},
		{"RareMalware", store.EventQuery{Malware: rareMalware}},
	} {
		b.Run(c.name, func(b *testing.B) {
			c.q.TLPs = allTLPs
			var scanned, found int
			for b.Loop() {
				page, err := s.SearchEvents(ctx, c.q)
				if err != nil {
					b.Fatal(err)
				}
				scanned, found = int(page.Scanned), len(page.Events)
			}
			b.ReportMetric(float64(scanned), "scanned/op")
			b.ReportMetric(float64(found), "found/op")
		})
	}
}

// BenchAddTAXIIObjects measures adding objects to a TAXII collection in
// calls of 5,000, as `concord taxii publish` adds them, reported as
// objects/s: objects new to the collection, then a new version of objects
// it holds (each call moves their last version). Every run (-count) takes
// objects of its own, so none measures versions held already.
func BenchAddTAXIIObjects(b *testing.B, s store.TAXII) {
	ctx := context.Background()
	const size = 5000
	next := 0 // the first object number no run has used
	batch := func(start, version int) []store.TAXIIObject {
		objs := make([]store.TAXIIObject, size)
		for i := range objs {
			objs[i] = taxiiObj("bench", start+i, version, "indicator", event.TLP(i%2))
		}
		return objs
	}
	b.Run("New", func(b *testing.B) {
		n := 0
		for b.Loop() {
			b.StopTimer()
			objs := batch(next, 0)
			next += size
			b.StartTimer()
			if _, err := s.AddTAXIIObjects(ctx, objs, time.Now()); err != nil {
				b.Fatal(err)
			}
			n += size
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
	})
	b.Run("NewVersions", func(b *testing.B) {
		start := next
		next += size
		if _, err := s.AddTAXIIObjects(ctx, batch(start, 0), time.Now()); err != nil {
			b.Fatal(err)
		}
		n := 0
		for v := 1; b.Loop(); v++ {
			b.StopTimer()
			objs := batch(start, v)
			b.StartTimer()
			if _, err := s.AddTAXIIObjects(ctx, objs, time.Now()); err != nil {
				b.Fatal(err)
			}
			n += size
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
	})
}
