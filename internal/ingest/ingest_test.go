package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/enrich"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/feed"
	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/store/sqlite"
)

func openTest(t testing.TB) (store.Store, *enrich.Enricher) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	geo, err := ipdb.Default()
	if err != nil {
		t.Fatal(err)
	}
	return st, enrich.New(geo, nil)
}

// eveLines makes n EVE records: every tenth an alert to a C&C server in
// a public range, the rest flows; bad lines at the given positions.
func eveLines(n int, bad map[int]string) []byte {
	var b bytes.Buffer
	t0 := time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		if s, ok := bad[i]; ok {
			b.WriteString(s + "\n")
			continue
		}
		ts := t0.Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000000-0700")
		if i%10 == 0 {
			fmt.Fprintf(&b, `{"timestamp":"%s","flow_id":%d,"event_type":"alert","src_ip":"10.0.%d.%d","src_port":50000,"dest_ip":"8.8.%d.8","dest_port":443,"proto":"TCP","alert":{"signature_id":2404301,"signature":"ET CNC Feodo Tracker Reported CnC Server group 1","category":"A Network Trojan was detected"}}`+"\n", ts, i, i/250%250, i%250, i%7)
		} else {
			fmt.Fprintf(&b, `{"timestamp":"%s","flow_id":%d,"event_type":"flow","src_ip":"10.0.0.1","src_port":%d,"dest_ip":"1.1.1.1","dest_port":443,"proto":"TCP","flow":{"pkts_toserver":3}}`+"\n", ts, i, 1024+i%60000)
		}
	}
	return b.Bytes()
}

func TestRunCountsEveryRecord(t *testing.T) {
	st, en := openTest(t)
	ctx := context.Background()
	data := eveLines(1000, map[int]string{5: `{"timestamp":"2024-03-12T00:00:05`, 17: "not json", 999: `{"timestamp":"2024-03-12T00:00:00Z","event_type":"flow","src_ip":"148.81.111.11.12"}`})
	res, err := Run(ctx, st, en, "eve.json", bytes.NewReader(data), Options{BatchSize: 64}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != "eve" || res.Records != 1000 || res.Rejected != 3 || res.Accepted != 997 || res.Duplicates != 0 {
		t.Fatalf("result %+v", res.Counts)
	}
	var incidents int64
	for _, n := range res.ByClass {
		incidents += n
	}
	if incidents+res.Observations != res.Accepted || res.ByClass["malicious-code/infected-system"] != 100 {
		t.Fatalf("by class %v + observations %d != accepted %d", res.ByClass, res.Observations, res.Accepted)
	}
	if len(res.Rejections) != 3 || res.Rejections[0].Line != 6 || res.Rejections[2].Line != 1000 {
		t.Fatalf("rejections %+v", res.Rejections)
	}
	run, err := st.Ingest(ctx, res.RunID)
	if err != nil || run.Status != "done" || run.Counts != res.Counts {
		t.Fatalf("stored run %+v (%v), want counts %+v", run, err, res.Counts)
	}
	stored, _ := st.Rejections(ctx, res.RunID)
	if len(stored) != 3 {
		t.Fatalf("stored rejections %v", stored)
	}
	// The same input again adds nothing.
	again, err := Run(ctx, st, en, "eve.json", bytes.NewReader(data), Options{BatchSize: 50}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Accepted != 0 || again.Duplicates != 997 || again.Rejected != 3 {
		t.Fatalf("second run %+v", again.Counts)
	}
	if len(again.ByClass) != 0 {
		t.Fatalf("duplicates counted by class: %v", again.ByClass)
	}
}

func TestRunEnrichesAndKeepsEverything(t *testing.T) {
	st, en := openTest(t)
	ctx := context.Background()
	res, err := Run(ctx, st, en, "eve.json", bytes.NewReader(eveLines(1, nil)), Options{}, nil)
	if err != nil || res.Accepted != 1 {
		t.Fatal(err, res.Counts)
	}
	facts, err := st.Facts(ctx, store.DayOf(time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC)), store.DayOf(time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC)))
	if err != nil || len(facts) != 2 {
		t.Fatalf("facts %+v %v", facts, err)
	}
	c2 := facts[0]
	if c2.IP.String() != "8.8.0.8" || c2.ASN == 0 || c2.CC == "" {
		t.Fatalf("C&C fact not enriched: %+v", c2)
	}
	if facts[1].PeerCC != c2.CC || facts[1].CC != "" {
		t.Fatalf("infected-host fact %+v: peer country must be the C&C's, a private address has none", facts[1])
	}
}

func TestRunUnreadableInputs(t *testing.T) {
	st, en := openTest(t)
	ctx := context.Background()
	for name, c := range map[string]struct {
		data   []byte
		format string
	}{
		"binary":          {[]byte("\x7fELF\x02\x01\x01\x00\x00\x00"), ""},
		"unknown text":    {[]byte("hello\nworld\n"), ""},
		"unknown format":  {[]byte("x"), "nosuch"},
		"corrupt gzip":    {[]byte("\x1f\x8b\x08\x00garbage"), ""},
		"csv needs a map": {[]byte("a,b\n"), "csv"},
	} {
		_, err := Run(ctx, st, en, name, bytes.NewReader(c.data), Options{Format: c.format}, nil)
		if !errors.Is(err, ErrUnreadable) {
			t.Errorf("%s: err %v, want ErrUnreadable", name, err)
		}
	}
	res, err := Run(ctx, st, en, "empty", bytes.NewReader(nil), Options{}, nil)
	if err != nil || res.Records != 0 {
		t.Errorf("empty input: %+v %v", res, err)
	}
}

// trickle delivers its lines one at a time with pauses, like a live tail.
type trickle struct {
	lines [][]byte
	pause time.Duration
}

func (t *trickle) Read(p []byte) (int, error) {
	if len(t.lines) == 0 {
		return 0, io.EOF
	}
	time.Sleep(t.pause)
	n := copy(p, t.lines[0])
	t.lines[0] = t.lines[0][n:]
	if len(t.lines[0]) == 0 {
		t.lines = t.lines[1:]
	}
	return n, nil
}

func TestSlowStreamIsStoredAsItArrives(t *testing.T) {
	st, en := openTest(t)
	ctx := context.Background()
	lines := bytes.SplitAfter(eveLines(3, nil), []byte("\n"))
	tr := &trickle{lines: lines[:3], pause: 300 * time.Millisecond}
	done := make(chan Result)
	go func() {
		res, _ := Run(ctx, st, en, "-", tr, Options{FlushAfter: 100 * time.Millisecond}, nil)
		done <- res
	}()
	// Before the stream ends, the first record must already be stored.
	deadline := time.Now().Add(5 * time.Second)
	for {
		tot, _ := st.Stats(ctx)
		if tot.Events >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing stored while the stream was still open")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if res := <-done; res.Accepted != 3 {
		t.Fatalf("%+v", res.Counts)
	}
}

func TestCancelKeepsCommittedBatches(t *testing.T) {
	st, en := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	data := eveLines(20000, nil)
	r := &cancelAfter{r: bytes.NewReader(data), n: len(data) / 2, cancel: cancel}
	_, err := Run(ctx, st, en, "eve.json", r, Options{BatchSize: 100}, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	tot, _ := st.Stats(context.Background())
	if tot.Events == 0 || tot.Events >= 20000 {
		t.Fatalf("after cancel %d events stored", tot.Events)
	}
	// Finishing the job stores exactly the rest.
	res, err := Run(context.Background(), st, en, "eve.json", bytes.NewReader(data), Options{}, nil)
	if err != nil || res.Accepted+res.Duplicates != 20000 || res.Duplicates != tot.Events {
		t.Fatalf("rerun %+v %v (had %d)", res.Counts, err, tot.Events)
	}
}

type cancelAfter struct {
	r      io.Reader
	n      int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
		time.Sleep(10 * time.Millisecond)
	}
	n, err := c.r.Read(p[:min(len(p), 4096)])
	c.n -= n
	return n, err
}

func TestGzipInput(t *testing.T) {
	st, en := openTest(t)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(eveLines(50, nil))
	zw.Close()
	res, err := Run(context.Background(), st, en, "eve.json.gz", &z, Options{}, nil)
	if err != nil || res.Accepted != 50 || res.Format != "eve" {
		t.Fatalf("%+v %v", res, err)
	}
}

func BenchmarkRunEVE(b *testing.B) {
	data := eveLines(100000, nil)
	b.SetBytes(int64(len(data)))
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		st, en := openTest(b)
		b.StartTimer()
		res, err := Run(context.Background(), st, en, "eve.json", bytes.NewReader(data), Options{}, nil)
		if err != nil || res.Accepted != 100000 {
			b.Fatal(err, res.Counts)
		}
	}
	b.ReportMetric(float64(100000*b.N)/b.Elapsed().Seconds(), "records/s")
}

// alertLines makes n EVE alerts between hosts of a monitored network and
// public C&C addresses, as a sensor logs them.
func alertLines(n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 900)
	t0 := time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		ts := t0.Add(time.Duration(i) * time.Millisecond).Format("2006-01-02T15:04:05.000000-0700")
		fmt.Fprintf(&b, `{"timestamp":"%s","flow_id":%d,"in_iface":"eth0","event_type":"alert","src_ip":"83.%d.%d.%d","src_port":%d,"dest_ip":"%d.%d.%d.%d","dest_port":443,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2404301,"rev":3,"signature":"ET CNC Feodo Tracker Reported CnC Server group 1","category":"A Network Trojan was detected","severity":1,"metadata":{"malware_family":["QakBot"],"signature_severity":["Major"]}},"app_proto":"tls","direction":"to_server","flow":{"pkts_toserver":5,"pkts_toclient":4,"bytes_toserver":900,"bytes_toclient":4800,"start":"%s","src_ip":"83.%d.%d.%d","dest_ip":"%d.%d.%d.%d","src_port":%d,"dest_port":443}}`+"\n",
			ts, i, i>>16&255, i>>8&255, i&255, 1024+i%60000, 45+i%150, i%251, i%241, 1+i%250, ts, i>>16&255, i>>8&255, i&255, 45+i%150, i%251, i%241, 1+i%250, 1024+i%60000)
	}
	return b.Bytes()
}

// enrichSink does what the pipeline does to each event short of storing
// it: enrich and, when encode is set, hash and build the document.
type enrichSink struct {
	en     *enrich.Enricher
	encode bool
	h      event.Hasher
	docs   store.DocEncoder
	doc    []byte
	events int
}

func (s *enrichSink) Event(e *event.Event) error {
	s.en.Enrich(e)
	if s.encode {
		store.KeyOf(s.h.Sum(e), e.TimeSource)
		s.doc = s.docs.AppendDoc(s.doc[:0], e)
	}
	s.events++
	return nil
}

func (s *enrichSink) Reject(int64, string) {}

// BenchmarkDecodeEnrichAlerts measures decoding EVE alerts and enriching
// both addresses (country, AS, relay lists) on one core.
func BenchmarkDecodeEnrichAlerts(b *testing.B) { benchDecode(b, false) }

// BenchmarkDecodeEnrichEncodeAlerts adds what the ingest pipeline does
// before the store: the content hash and the compressed document.
func BenchmarkDecodeEnrichEncodeAlerts(b *testing.B) { benchDecode(b, true) }

func benchDecode(b *testing.B, encode bool) {
	data := alertLines(100000)
	_, en := openTest(b)
	f, _ := feed.Lookup("eve")
	dec, _ := f.New(feed.Options{})
	sink := &enrichSink{en: en, encode: encode}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := dec.Decode(context.Background(), bytes.NewReader(data), sink); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(sink.events)/b.Elapsed().Seconds(), "records/s")
}
