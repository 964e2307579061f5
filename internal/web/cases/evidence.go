package cases

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/vault"
	"github.com/concord-cert/concord/internal/web"
)

// maxField bounds one text field of a multipart form.
const maxField = 64 << 10

// addEvidence streams an uploaded file into the vault and records it as
// evidence of the case. The file goes to the vault as it arrives, whatever
// the order of the form's parts (the vault is content-addressed, so a
// failed upload leaves at most an unreferenced copy); the record and its
// "acquired" custody entry follow in one transaction.
func (a *area) addEvidence(c *web.Ctx) error {
	id, err := c.PathInt("id")
	if err != nil {
		return err
	}
	n := workflow(c)
	if _, err := n.Case(c.R.Context(), id); err != nil {
		return fail(err)
	}
	v, err := n.Vault()
	if err != nil {
		return err
	}
	var ne coop.NewEvidence
	var obj vault.Object
	got := false
	if mr, err := c.R.MultipartReader(); err == nil {
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return bodyError(err)
			}
			if part.FormName() == "file" && part.FileName() != "" {
				if got {
					return web.Errorf(http.StatusBadRequest, "send one file per upload")
				}
				if obj, err = v.Put(part); err != nil {
					return bodyError(err)
				}
				ne.Name, got = path.Base(strings.ReplaceAll(part.FileName(), `\`, "/")), true
				continue
			}
			val, err := fieldValue(part)
			if err != nil {
				return err
			}
			setEvidenceField(&ne, part.FormName(), val)
		}
	} else if api(c) {
		// A script may send the file as the body and the rest in the query.
		q := c.R.URL.Query()
		for _, k := range []string{"name", "description", "tlp", "purpose"} {
			setEvidenceField(&ne, k, q.Get(k))
		}
		if obj, err = v.Put(c.R.Body); err != nil {
			return bodyError(err)
		}
		got = true
	}
	if !got {
		return web.Errorf(http.StatusBadRequest, "choose a file to upload")
	}
	if ne.Name == "" {
		ne.Name = "evidence-" + obj.SHA256[:12]
	}
	rec, isNew, err := n.AddEvidence(c.R.Context(), id, ne, func(*vault.Vault) (vault.Object, error) { return obj, nil })
	if err != nil {
		return fail(err)
	}
	if api(c) {
		status := http.StatusCreated
		if !isNew {
			status = http.StatusOK
		}
		return c.JSON(status, map[string]any{"id": rec.ID, "sha256": rec.SHA256, "size": rec.Size, "new": isNew, "evidence": coop.ViewEvidence(rec)})
	}
	return redirect(c, "/evidence/%d", rec.ID)
}

func setEvidenceField(ne *coop.NewEvidence, name, val string) {
	switch name {
	case "name":
		if val != "" {
			ne.Name = path.Base(val)
		}
	case "description":
		ne.Description = strings.TrimSpace(val)
	case "tlp":
		ne.TLP = strings.TrimSpace(val)
	case "purpose":
		ne.Purpose = strings.TrimSpace(val)
	}
}

// fieldValue reads a text part of a multipart form, bounded.
func fieldValue(p *multipart.Part) (string, error) {
	b, err := io.ReadAll(io.LimitReader(p, maxField+1))
	if err != nil {
		return "", bodyError(err)
	}
	if len(b) > maxField {
		return "", web.Errorf(http.StatusBadRequest, "the field %s is longer than %d bytes", p.FormName(), maxField)
	}
	return string(b), nil
}

// bodyError keeps a request body that was too large a 413 and makes any
// other read failure a 400.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return web.Errorf(http.StatusBadRequest, "the upload could not be read: %v", err)
}

// evidenceDetail is an evidence record with its chain of custody.
type evidenceDetail struct {
	Evidence coop.EvidenceView  `json:"evidence"`
	Custody  []coop.CustodyView `json:"custody"`

	rec     store.EvidenceRecord
	entries []store.CustodyEntry
	cs      store.Case
}

func loadEvidence(c *web.Ctx) (*evidenceDetail, error) {
	id, err := c.PathInt("id")
	if err != nil {
		return nil, err
	}
	n := workflow(c)
	rec, entries, err := n.Custody(c.R.Context(), id)
	if err != nil {
		return nil, fail(err)
	}
	cs, err := n.Case(c.R.Context(), rec.CaseID)
	if err != nil {
		return nil, fail(err)
	}
	return &evidenceDetail{Evidence: coop.ViewEvidence(rec), Custody: coop.ViewCustody(entries), rec: rec, entries: entries, cs: cs}, nil
}

func (a *area) evidenceAPI(c *web.Ctx) error {
	d, err := loadEvidence(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

type evidencePage struct {
	Rec      store.EvidenceRecord
	Case     store.Case
	Custody  []store.CustodyEntry
	Verified string
	// What the caller may do here.
	CanDownload, CanHold bool
}

func (a *area) evidencePage(c *web.Ctx) error {
	d, err := loadEvidence(c)
	if err != nil {
		return err
	}
	p := evidencePage{Rec: d.rec, Case: d.cs, Custody: d.entries, Verified: c.R.URL.Query().Get("verified"),
		CanDownload: c.P.Can(auth.ExportEvidence), CanHold: c.P.Can(auth.WriteCases)}
	return c.Render(a.pages, "evidence", "Evidence "+strconv.FormatInt(d.rec.ID, 10)+": "+d.rec.Name, p)
}

// evidenceFile sends an evidence file. The bytes are verified before the
// answer starts and again as they are sent; the download is an "exported"
// entry in the file's chain of custody (and so in the audit log) before
// the first byte leaves. A copy found damaged while being sent ends the
// connection, so the client cannot take a partial file for a whole one.
func (a *area) evidenceFile(c *web.Ctx) error {
	id, err := c.PathInt("id")
	if err != nil {
		return err
	}
	n := workflow(c)
	rec, err := n.Evidence(c.R.Context(), id)
	if err != nil {
		return fail(err)
	}
	purpose := strings.TrimSpace(c.R.URL.Query().Get("purpose"))
	if purpose == "" {
		purpose = "downloaded through the web interface"
	}
	w := &download{c: c, name: rec.Name, size: rec.Size}
	if _, err := n.ExportEvidence(c.R.Context(), id, w, purpose); err != nil {
		if w.started {
			panic(http.ErrAbortHandler)
		}
		if errors.Is(err, vault.ErrCorrupt) || errors.Is(err, vault.ErrNotFound) {
			return web.Errorf(http.StatusConflict, "evidence %d failed verification and was not sent: %v", id, err)
		}
		return fail(err)
	}
	w.start()
	return nil
}

// download writes the answer's headers when its first byte is written, so
// that an error found before then is still answered as an error page.
type download struct {
	c       *web.Ctx
	name    string
	size    int64
	started bool
}

func (d *download) start() {
	if d.started {
		return
	}
	d.started = true
	d.c.Download("application/octet-stream", d.name)
	d.c.W.Header().Set("Content-Length", strconv.FormatInt(d.size, 10))
	d.c.W.WriteHeader(http.StatusOK)
}

func (d *download) Write(p []byte) (int, error) {
	d.start()
	return d.c.W.Write(p)
}

func (a *area) verifyEvidence(c *web.Ctx) error {
	id, err := c.PathInt("id")
	if err != nil {
		return err
	}
	checked, failed, err := workflow(c).VerifyEvidence(c.R.Context(), 0, id)
	if err != nil {
		return fail(err)
	}
	if api(c) {
		return c.JSON(http.StatusOK, map[string]any{"checked": checked, "failed": failed})
	}
	if len(failed) > 0 {
		return web.Errorf(http.StatusConflict, "evidence %d failed verification: %s", id, failed[0].Error)
	}
	return redirect(c, "/evidence/%d?verified=intact", id)
}

// holdForm sets (hold true) or releases a legal hold.
type holdForm struct {
	Hold   bool   `json:"hold"`
	Reason string `json:"reason"`
}

func (a *area) legalHold(c *web.Ctx) error {
	id, err := c.PathInt("id")
	if err != nil {
		return err
	}
	var f holdForm
	if err := read(c, &f, func() error {
		f = holdForm{Hold: c.R.PostFormValue("hold") == "set", Reason: c.R.PostFormValue("reason")}
		return nil
	}); err != nil {
		return err
	}
	if err := workflow(c).SetLegalHold(c.R.Context(), id, f.Hold, strings.TrimSpace(f.Reason)); err != nil {
		return fail(err)
	}
	if api(c) {
		return c.JSON(http.StatusOK, map[string]any{"id": id, "legal_hold": f.Hold})
	}
	return redirect(c, "/evidence/%d", id)
}
