package cases

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/web"
)

// exportRequest answers with the request's signed package, as `concord
// request export` writes it: a draft is submitted by sending it, the
// evidence stricter than the request stays home and the package says so,
// and the export is in the audit log and the evidence's chain of custody.
func (a *area) exportRequest(c *web.Ctx) error {
	id, err := c.PathInt("id")
	if err != nil {
		return err
	}
	withFiles := c.R.URL.Query().Get("with_files") != ""
	if !api(c) {
		withFiles = withFiles || c.R.PostFormValue("with_files") != ""
	}
	var file []byte
	x, err := workflow(c).ExportRequest(c.R.Context(), id, withFiles, func(b []byte) error {
		file = b
		return nil
	})
	if err != nil {
		return a.requestFailed(c, fail(err))
	}
	c.Download("application/json", fmt.Sprintf("%s-%s-request-%d-%s.concord", x.Self.ID, x.Package.Kind, x.Request.ID, x.Package.ID))
	h := c.W.Header()
	h.Set("X-Concord-Package", x.Package.ID)
	h.Set("X-Concord-Request-Status", x.Request.Status)
	c.W.WriteHeader(http.StatusOK)
	_, err = c.W.Write(file)
	return err
}

type importPage struct {
	Error string
}

func (a *area) importPage(c *web.Ctx) error {
	return c.Render(a.pages, "import", "Import a package", importPage{})
}

// importPackage verifies and imports a package a partner sent: as the
// multipart field "package", or as the raw body (API). A package that
// fails a check (unknown signer, an altered byte, another recipient, a
// replay) is refused with the reason.
func (a *area) importPackage(c *web.Ctx) error {
	data, err := packageBody(c)
	if err != nil {
		return a.importFailed(c, err)
	}
	in, err := workflow(c).Import(c.R.Context(), data)
	if err != nil {
		return a.importFailed(c, fail(err))
	}
	if api(c) {
		pkg := in.Package
		res := map[string]any{"package": pkg.ID, "kind": pkg.Kind, "from": pkg.From.Agency, "tlp": pkg.TLP, "request": in.Request, "status": in.Status}
		if in.Case != 0 {
			res["case"], res["due"] = in.Case, coop.Stamp(in.Due)
		}
		return c.JSON(http.StatusOK, res)
	}
	return redirect(c, "/requests/%d?imported=%s", in.Request, in.Package.ID)
}

func (a *area) importFailed(c *web.Ctx, err error) error {
	e := shown(c, err)
	if e == nil {
		return err
	}
	return c.RenderStatus(e.Status, a.pages, "import", "Import a package", importPage{Error: e.Message})
}

// packageBody reads the uploaded package, at most coop.MaxPackage bytes.
func packageBody(c *web.Ctx) ([]byte, error) {
	var r io.Reader = c.R.Body
	if mr, err := c.R.MultipartReader(); err == nil {
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil, web.Errorf(http.StatusBadRequest, "choose the package file to import")
			}
			if err != nil {
				return nil, bodyError(err)
			}
			if part.FormName() == "package" {
				r = part
				break
			}
		}
	} else if !api(c) {
		return nil, web.Errorf(http.StatusBadRequest, "upload the package file with the form")
	}
	data, err := io.ReadAll(io.LimitReader(r, coop.MaxPackage+1))
	if err != nil {
		return nil, bodyError(err)
	}
	if len(data) > coop.MaxPackage {
		return nil, web.Errorf(http.StatusRequestEntityTooLarge, "a package is at most %d bytes", coop.MaxPackage)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil, web.Errorf(http.StatusBadRequest, "the package file is empty")
	}
	return data, nil
}

func (a *area) partnersPage(c *web.Ctx) error {
	views, err := partners(c)
	if err != nil {
		return err
	}
	return c.Render(a.pages, "partners", "Partner directory", views)
}

func (a *area) partnersAPI(c *web.Ctx) error {
	views, err := partners(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"agencies": views})
}

// partners returns every registered agency, this node's first.
func partners(c *web.Ctx) ([]coop.AgencyView, error) {
	as, err := c.S.Store.Agencies(c.R.Context())
	if err != nil {
		return nil, err
	}
	views := make([]coop.AgencyView, len(as))
	for i, ag := range as {
		views[i] = coop.ViewAgency(ag)
	}
	slices.SortStableFunc(views, func(a, b coop.AgencyView) int {
		if a.Self != b.Self {
			if a.Self {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return views, nil
}
