package events

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/feed"
	"github.com/concord-cert/concord/internal/ingest"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
)

// runJSON is an ingest run as pages and the API show it.
type runJSON struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	Format       string     `json:"format"`
	Feed         string     `json:"feed"`
	Status       string     `json:"status"`
	Started      time.Time  `json:"started"`
	Finished     *time.Time `json:"finished"`
	Records      int64      `json:"records"`
	Accepted     int64      `json:"accepted"`
	Duplicates   int64      `json:"duplicates"`
	Rejected     int64      `json:"rejected"`
	Observations int64      `json:"observations"`
	// Kept counts records kept only as received STIX objects.
	Kept int64 `json:"kept"`
	// TLP labels the run's records that carry none of their own; empty
	// for runs this server did not start.
	TLP     string    `json:"tlp,omitempty"`
	Marking event.TLP `json:"-"`
	Known   bool      `json:"-"`
	By      string    `json:"uploaded_by,omitempty"`
	Error   string    `json:"error,omitempty"`
	// Read and Size say how far a run of this server has read its
	// upload, while it runs.
	Read int64 `json:"bytes_read,omitempty"`
	Size int64 `json:"bytes,omitempty"`
}

// Running is whether the run has not ended.
func (r runJSON) Running() bool { return r.Status == "running" }

// runMarkings returns the marking of a run's summary (name, counters) and
// of its rejections, which quote records. Runs the server started carry
// the label their records were given; for others (`concord ingest`, a
// worker) the summary takes the default label of unmarked records and the
// rejections, whose records' labels are unknown, TLP:RED: withheld on the
// web, listed by `concord ingest --json` on the node itself.
func runMarkings(m runMeta, known bool) (summary, rejections event.TLP) {
	if !known {
		return event.DefaultTLP, event.TLPRed
	}
	return m.TLP, m.RejectionsTLP
}

func (in *ingester) view(r store.IngestRun) runJSON {
	v := runJSON{ID: r.ID, Name: r.Path, Format: r.Format, Feed: r.Feed, Status: r.Status, Started: r.Started,
		Records: r.Counts.Records, Accepted: r.Counts.Accepted, Duplicates: r.Counts.Duplicates,
		Rejected: r.Counts.Rejected, Observations: r.Counts.Observations, Kept: r.Counts.Kept}
	if !r.Finished.IsZero() {
		f := r.Finished
		v.Finished = &f
	}
	m, known := in.meta(r.ID)
	v.Marking, _ = runMarkings(m, known)
	v.Known = known
	if known {
		v.TLP, v.By, v.Error = m.TLP.String(), m.User, m.Error
	}
	v.Read, v.Size, _ = in.progress(r.ID)
	return v
}

// recent returns up to n of the latest runs whose summary the caller may
// receive.
func (in *ingester) recent(c *web.Ctx, n int) ([]runJSON, error) {
	runs, err := c.S.Store.IngestRuns(c.R.Context(), 5*n)
	if err != nil {
		return nil, err
	}
	self := c.Self()
	out := []runJSON{}
	for _, r := range runs {
		v := in.view(r)
		if len(out) < n && c.MayReceive(casework.Marking{TLP: v.Marking}, self, nil) {
			out = append(out, v)
		}
	}
	return out, nil
}

// runOf returns run id if the caller may receive its summary, with the
// marking of its rejections.
func (a *area) runOf(c *web.Ctx) (runJSON, event.TLP, error) {
	id, err := c.PathInt("id")
	if err != nil {
		return runJSON{}, 0, err
	}
	r, err := c.S.Store.Ingest(c.R.Context(), id)
	if err != nil {
		return runJSON{}, 0, err
	}
	v := a.ingests.view(r)
	if err := c.Receive(casework.Marking{TLP: v.Marking}, c.Self(), nil); err != nil {
		return runJSON{}, 0, err
	}
	m, known := a.ingests.meta(id)
	_, rej := runMarkings(m, known)
	return v, rej, nil
}

// ingestView is the upload page.
type ingestView struct {
	Formats   []feed.Format
	TLPs      []string
	Form      ingestForm
	Error     string
	Runs      []runJSON
	MaxUpload int64
}

// MaxUploadText is the upload limit for people: "1 GiB", "300 MiB".
func (v ingestView) MaxUploadText() string {
	n := v.MaxUpload
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.size {
			return fmt.Sprintf("%.4g %s", float64(n)/float64(u.size), u.name)
		}
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func (a *area) renderIngest(c *web.Ctx, status int, f ingestForm, msg string) error {
	runs, err := a.ingests.recent(c, 20)
	if err != nil {
		return err
	}
	if f.TLP == "" {
		f.TLP = event.DefaultTLP.String()
	}
	v := ingestView{Formats: feed.Formats(), Form: f, Error: msg, Runs: runs, MaxUpload: c.S.Cfg.MaxUpload}
	for t := event.TLPClear; t <= event.TLPRed; t++ {
		v.TLPs = append(v.TLPs, t.String())
	}
	return c.RenderStatus(status, a.pages, "ingest", "Ingest", v)
}

func (a *area) ingestPage(c *web.Ctx) error {
	return a.renderIngest(c, http.StatusOK, ingestForm{}, "")
}

// upload is a received upload, spooled, with its form.
type upload struct {
	form ingestForm
	file string
	size int64
}

// readMultipart streams a multipart upload: small fields are read as
// they come, the "file" part goes to the spool. Fields after the file
// are read too; the form puts the file last so that a bad field is
// refused before the upload is read.
func (a *area) readMultipart(c *web.Ctx) (upload, error) {
	var u upload
	mr, err := c.R.MultipartReader()
	if err != nil {
		return u, badRequest("send the upload as multipart/form-data with a part named file")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return u, bodyError(err)
		}
		switch part.FormName() {
		case "file":
			if u.file != "" {
				part.Close()
				return u, badRequest("send one file per upload")
			}
			u.form.Name = part.FileName()
			if u.file, u.size, err = a.ingests.receive(part); err != nil {
				return u, bodyError(err)
			}
		case "mapping":
			if u.form.mapping, err = readField(part, 64<<10); err != nil {
				return u, err
			}
		case "format", "feed", "tlp", "name":
			b, err := readField(part, 1<<10)
			if err != nil {
				return u, err
			}
			switch part.FormName() {
			case "format":
				u.form.Format = string(b)
			case "feed":
				u.form.Feed = string(b)
			case "tlp":
				u.form.TLP = string(b)
			case "name":
				if s := strings.TrimSpace(string(b)); s != "" {
					u.form.Name = s
				}
			}
		default:
			if _, err := io.Copy(io.Discard, part); err != nil {
				return u, bodyError(err)
			}
		}
		part.Close()
	}
	if u.file == "" {
		return u, badRequest("choose a file to upload")
	}
	return u, nil
}

func readField(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, bodyError(err)
	}
	if int64(len(b)) > max {
		return nil, badRequest("a form field is longer than %d bytes", max)
	}
	return b, nil
}

// bodyError keeps a too-large body's error (413) and makes any other
// error reading the body a 400.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return badRequest("the upload was cut short: %v", err)
}

// begin starts ingesting u and returns the run id, or an error for the
// user (the input cannot be read, the form is wrong).
func (a *area) begin(c *web.Ctx, u upload) (int64, error) {
	opts, meta, err := u.form.options(a.ingests.spool)
	if err != nil {
		os.Remove(u.file)
		return 0, err
	}
	meta.User, meta.Agency, meta.Size = c.P.User, c.P.Agency, u.size
	id, err := a.ingests.start(c.R.Context(), job{file: u.file, name: u.form.Name, opts: opts, meta: meta})
	switch {
	case errors.Is(err, ingest.ErrUnreadable):
		return 0, web.Errorf(http.StatusUnprocessableEntity, "%s", unreadable(err))
	case errors.Is(err, errEmpty):
		return 0, web.Errorf(http.StatusUnprocessableEntity, "%s", err)
	}
	return id, err
}

func (a *area) ingestUpload(c *web.Ctx) error {
	u, err := a.readMultipart(c)
	if err == nil {
		var id int64
		if id, err = a.begin(c, u); err == nil {
			http.Redirect(c.W, c.R, "/ingest/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
			return nil
		}
	} else if u.file != "" {
		os.Remove(u.file)
	}
	var e *web.Error
	if errors.As(err, &e) && e.Status < 500 && e.Status != http.StatusRequestEntityTooLarge {
		return a.renderIngest(c, e.Status, u.form, e.Message)
	}
	return err
}

// ingestStream takes the request body as the input, or a multipart
// upload like the form's.
func (a *area) ingestStream(c *web.Ctx) error {
	var u upload
	var err error
	if mt, _, _ := mime.ParseMediaType(c.R.Header.Get("Content-Type")); strings.HasPrefix(mt, "multipart/") {
		if u, err = a.readMultipart(c); err != nil {
			if u.file != "" {
				os.Remove(u.file)
			}
			return err
		}
	} else {
		q := c.R.URL.Query()
		u.form = ingestForm{Name: q.Get("name"), Format: q.Get("format"), Feed: q.Get("feed"), TLP: q.Get("tlp")}
		if u.form.Name == "" {
			u.form.Name = "stream"
		}
		// Check the options before reading what may be a long stream.
		if _, _, err := u.form.options(a.ingests.spool); err != nil {
			return err
		}
		if u.file, u.size, err = a.ingests.receive(c.R.Body); err != nil {
			return bodyError(err)
		}
	}
	id, err := a.begin(c, u)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"id": id, "status": "running",
		"url": fmt.Sprintf("/api/v1/ingest/%d", id), "rejections": fmt.Sprintf("/api/v1/ingest/%d/rejections", id)})
}

// runView is one run's page.
type runView struct {
	Run        runJSON
	Rejections []store.Rejection
	More       int
	// Withheld is set when the caller may not receive the rejections.
	Withheld      bool
	RejectionsTLP event.TLP
}

// pageRejections is how many rejections a run's page lists.
const pageRejections = 1000

func (a *area) runPage(c *web.Ctx) error {
	v, rej, err := a.runOf(c)
	if err != nil {
		return err
	}
	rv := runView{Run: v, RejectionsTLP: rej}
	if v.Rejected > 0 {
		if c.MayReceive(casework.Marking{TLP: rej}, c.Self(), nil) {
			rs, err := c.S.Store.Rejections(c.R.Context(), v.ID)
			if err != nil {
				return err
			}
			if len(rs) > pageRejections {
				rv.More, rs = len(rs)-pageRejections, rs[:pageRejections]
			}
			rv.Rejections = rs
		} else {
			rv.Withheld = true
		}
	}
	return c.Render(a.pages, "run", fmt.Sprintf("Ingest run %d", v.ID), rv)
}

func (a *area) runAPI(c *web.Ctx) error {
	v, _, err := a.runOf(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// rejectionJSON is one rejected record.
type rejectionJSON struct {
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
}

// rejectionsAPI lists a run's rejections, offset and limit (default
// 1,000, at most 10,000) paging through them.
func (a *area) rejectionsAPI(c *web.Ctx) error {
	v, rej, err := a.runOf(c)
	if err != nil {
		return err
	}
	if err := c.Receive(casework.Marking{TLP: rej}, c.Self(), nil); err != nil {
		return err
	}
	q := c.R.URL.Query()
	offset, limit := 0, 1000
	if s := q.Get("offset"); s != "" {
		if offset, err = strconv.Atoi(s); err != nil || offset < 0 {
			return badRequest("offset must be a number from 0")
		}
	}
	if s := q.Get("limit"); s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 10000 {
			return badRequest("limit must be a number from 1 to 10000")
		}
	}
	rs, err := c.S.Store.Rejections(c.R.Context(), v.ID)
	if err != nil {
		return err
	}
	out := []rejectionJSON{}
	for _, r := range rs[min(offset, len(rs)):min(offset+limit, len(rs))] {
		out = append(out, rejectionJSON{r.Line, r.Reason})
	}
	return c.JSON(http.StatusOK, map[string]any{"run": v.ID, "total": len(rs), "offset": offset,
		"tlp": rej.String(), "rejections": out})
}

func (a *area) runsAPI(c *web.Ctx) error {
	n := 50
	if s := c.R.URL.Query().Get("limit"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 || n > 500 {
			return badRequest("limit must be a number from 1 to 500")
		}
	}
	runs, err := a.ingests.recent(c, n)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"runs": runs})
}

func (a *area) formatsAPI(c *web.Ctx) error {
	type format struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	out := []format{}
	for _, f := range feed.Formats() {
		out = append(out, format{f.Name, f.Description})
	}
	return c.JSON(http.StatusOK, map[string]any{"formats": out, "tlps": []string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"},
		"default_tlp": event.DefaultTLP.String(), "max_upload": c.S.Cfg.MaxUpload})
}
