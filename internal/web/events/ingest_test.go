package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
	"github.com/concord-cert/concord/internal/web/events"
	"github.com/concord-cert/concord/internal/web/webtest"
)

// TestAMappingWithALabelColumnWithholdsRejections uploads a CSV whose
// rows carry their own TLP: the events keep their labels, and the
// rejection reasons, which quote rows of unknown label, are withheld.
func TestAMappingWithALabelColumnWithholdsRejections(t *testing.T) {
	env := webtest.New(t, events.Register)
	c := env.Login("analyst")
	mapping := `{"feed": "acme-c2", "classification": "malicious-code/c2-server", "columns": {"ip": "source.ip", "seen": "time.source", "tlp": "tlp"}}`
	day := time.Now().UTC().AddDate(0, 0, -3).Format(time.DateOnly)
	csv := "ip,seen,tlp\n198.51.100.20," + day + ",GREEN\n198.51.100.21," + day + ",AMBER\nnot-an-address," + day + ",RED\n"
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField("format", "csv")
	w.WriteField("tlp", "TLP:CLEAR")
	mw, _ := w.CreateFormFile("mapping", "acme.mapping.json")
	mw.Write([]byte(mapping))
	fw, _ := w.CreateFormFile("file", "acme.csv")
	fw.Write([]byte(csv))
	w.Close()
	resp, body, err := c.Do("POST", "/ingest?csrf="+url.QueryEscape(c.CSRF), &b, w.FormDataContentType())
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("upload: %v %s\n%.500s", err, resp.Status, body)
	}
	var id int64
	fmt.Sscanf(strings.TrimPrefix(resp.Request.URL.Path, "/ingest/"), "%d", &id)
	r := waitRun(t, c, id)
	if r.Accepted != 2 || r.Rejected != 1 {
		t.Fatalf("run %+v", r)
	}
	if code, _ := c.Get(fmt.Sprintf("/api/v1/ingest/%d/rejections", id)); code != http.StatusNotFound {
		t.Errorf("rejections of rows with their own labels: %d, want 404", code)
	}
	if _, page := c.Get(fmt.Sprintf("/ingest/%d", id)); !strings.Contains(page, "withheld") || strings.Contains(page, "not-an-address") {
		t.Errorf("the run page shows rejections of unknown label")
	}
	for user, want := range map[string]int{"analyst": 2, "green": 1, "partner": 1} {
		var res searchAnswer
		if err := env.WithToken(user).GetJSON("/api/v1/events?feed=acme-c2", &res); err != nil {
			t.Fatal(err)
		}
		if len(res.Events) != want {
			t.Errorf("%s sees %d of the rows, want %d", user, len(res.Events), want)
		}
	}
	// A broken mapping is refused before the file is read.
	b.Reset()
	w = multipart.NewWriter(&b)
	w.WriteField("format", "csv")
	mw, _ = w.CreateFormFile("mapping", "bad.json")
	mw.Write([]byte(`{"columns": {"ip": "source.nowhere"}}`))
	fw, _ = w.CreateFormFile("file", "acme.csv")
	fw.Write([]byte(csv))
	w.Close()
	resp, body, _ = c.Do("POST", "/ingest?csrf="+url.QueryEscape(c.CSRF), &b, w.FormDataContentType())
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "source.nowhere") {
		t.Errorf("broken mapping: %s\n%.300s", resp.Status, body)
	}
}

// endlessAlerts is an input of n EVE alerts made as it is read.
type endlessAlerts struct {
	n, i int
	buf  []byte
}

func (e *endlessAlerts) Read(p []byte) (int, error) {
	for len(e.buf) < len(p) && e.i < e.n {
		e.buf = fmt.Appendf(e.buf, `{"timestamp":"2026-01-01T00:%02d:%02d.%06d+0000","event_type":"alert","src_ip":"198.51.%d.%d","src_port":%d,"dest_ip":"192.0.2.10","dest_port":22,"proto":"TCP","alert":{"signature_id":2001219,"signature":"ET SCAN Potential SSH Scan","category":"Attempted Information Leak","severity":2}}`+"\n",
			e.i/60000%60, e.i/1000%60, e.i%1000000, e.i/256%256, e.i%256, 1024+e.i%60000)
		e.i++
	}
	if len(e.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, e.buf)
	e.buf = e.buf[n:]
	return n, nil
}

// TestShutdownInterruptsARunningIngest stops the server while an ingest
// runs: the run ends as failed, says it was interrupted, keeps what its
// batches stored, and leaves nothing in the spool.
func TestShutdownInterruptsARunningIngest(t *testing.T) {
	dir := t.TempDir()
	env := webtest.New(t) // the store and users; the server is started here
	srv, err := web.New(env.Store, web.Config{Data: filepath.Join(dir, "data"), Home: "PL"})
	if err != nil {
		t.Fatal(err)
	}
	if err := events.Register(srv); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln, 30*time.Second) }()
	local := &webtest.Env{T: t, Store: env.Store, Server: srv, HTTP: &httptest.Server{URL: "http://" + ln.Addr().String()}, Dir: dir}
	c := local.WithToken("analyst")

	resp, body, err := c.Do("POST", "/api/v1/ingest?format=eve&tlp=GREEN", &endlessAlerts{n: 400_000}, "application/x-ndjson")
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("stream: %v %v %s", err, resp.Status, body)
	}
	var r runAnswer
	json.Unmarshal(body, &r)
	stop()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	run, err := env.Store.Ingest(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status == "done" {
		t.Skipf("the ingest of %d records ended before the server stopped", run.Counts.Records)
	}
	if run.Status != "failed" || run.Finished.IsZero() {
		t.Errorf("interrupted run: %+v", run)
	}
	meta, err := os.ReadFile(filepath.Join(dir, "data", "ingests", fmt.Sprint(r.ID)+".json"))
	if err != nil || !strings.Contains(string(meta), "interrupted") {
		t.Errorf("the run's record does not say it was interrupted: %s %v", meta, err)
	}
	page, err := env.Store.SearchEvents(context.Background(), store.EventQuery{TLPs: []event.TLP{event.TLPGreen}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(page.Events)) != min(run.Counts.Accepted, 1000) {
		t.Errorf("the run counted %d accepted, the store holds %d", run.Counts.Accepted, len(page.Events))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "data", "spool", "*")); len(left) != 0 {
		t.Errorf("left in the spool: %v", left)
	}
}
