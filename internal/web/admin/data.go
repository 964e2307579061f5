package admin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"time"

	"github.com/concord-cert/concord/internal/enrich"
	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
)

// maxDataUpload bounds an IP database or list upload: a country and AS
// database in MaxMind format is well under 100 MiB.
const maxDataUpload = 256 << 20

// dataPage shows the IP database and lists in use, and what an update did.
type dataPage struct {
	IPDB  node.IPDBInfo
	Lists []node.ListSummary
	Kinds []string
	// Loaded describes each IP database file of an update; Imported is
	// what a list import did.
	Loaded   []string
	Imported *node.ListResult
	Error    string
}

// session opens the node's IP database as enrichment sees it, and says
// where it comes from.
func session(ctx context.Context, c *web.Ctx) (*node.Session, string, error) {
	s := &node.Session{St: c.S.Store}
	if err := s.LoadGeo(ctx); err != nil {
		return nil, "", err
	}
	source := "embedded in the concord binary"
	if rec, err := c.S.Store.ActiveIPDB(ctx); err == nil && rec.Data != nil {
		source = "loaded on " + rec.Loaded.UTC().Format(time.DateOnly)
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, "", err
	}
	return s, source, nil
}

func (h *handler) dataState(ctx context.Context, c *web.Ctx) (*dataPage, error) {
	s, source, err := session(ctx, c)
	if err != nil {
		return nil, err
	}
	lists, err := node.SummarizeLists(ctx, c.S.Store)
	if err != nil {
		return nil, err
	}
	return &dataPage{IPDB: node.DescribeIPDB(s.Geo, source), Lists: lists, Kinds: slices.Sorted(maps.Keys(enrich.ListKinds))}, nil
}

// showData renders the data page, with what an update did or why it
// failed.
func (h *handler) showData(c *web.Ctx, status int, fill func(*dataPage)) error {
	p, err := h.dataState(c.R.Context(), c)
	if err != nil {
		return err
	}
	fill(p)
	return c.RenderStatus(status, h.pages, "data", "IP database and relay lists", p)
}

func (h *handler) data(c *web.Ctx) error {
	return h.showData(c, http.StatusOK, func(*dataPage) {})
}

func (h *handler) apiData(c *web.Ctx) error {
	p, err := h.dataState(c.R.Context(), c)
	if err != nil {
		return err
	}
	lists := p.Lists
	if lists == nil {
		lists = []node.ListSummary{}
	}
	return c.JSON(http.StatusOK, map[string]any{"ipdb": p.IPDB, "lists": lists})
}

// upload is a file received in a form.
type upload struct {
	name string
	data []byte
}

// readUpload reads a multipart form: its fields and its files.
func readUpload(c *web.Ctx) (url.Values, []upload, error) {
	if ct, _, _ := mime.ParseMediaType(c.R.Header.Get("Content-Type")); ct != "multipart/form-data" {
		return nil, nil, web.Errorf(http.StatusUnsupportedMediaType, "send the form as multipart/form-data")
	}
	mr, err := c.R.MultipartReader()
	if err != nil {
		return nil, nil, web.Errorf(http.StatusBadRequest, "the form could not be read: %v", err)
	}
	fields := url.Values{}
	var files []upload
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return fields, files, nil
		}
		if err != nil {
			return nil, nil, readError(err)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			return nil, nil, readError(err)
		}
		if part.FileName() == "" {
			fields.Add(part.FormName(), string(b))
		} else if len(b) > 0 {
			files = append(files, upload{filepath.Base(part.FileName()), b})
		}
	}
}

// readError keeps a body over the limit a 413 and makes anything else 400.
func readError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return err
	}
	return web.Errorf(http.StatusBadRequest, "the upload could not be read: %v", err)
}

// activate loads files (each an .mmdb or CSV) over the IP database in use,
// as `concord ipdb load` does, and records who did it in the audit log.
// version labels CSV files (default: today).
func activate(c *web.Ctx, files []upload, name, version string) (loaded []string, merged *ipdb.DB, err error) {
	ctx := c.R.Context()
	s, _, err := session(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	if version == "" {
		version = c.S.Cfg.Now().UTC().Format(time.DateOnly)
	}
	var dbs []*ipdb.DB
	for _, f := range files {
		db, err := node.ParseIPDB(f.data, f.name, name, version)
		if err != nil {
			return nil, nil, web.Errorf(http.StatusBadRequest, "%s: %v", f.name, err)
		}
		in := db.Info()
		loaded = append(loaded, fmt.Sprintf("%s: %s, %d IPv4 and %d IPv6 ranges (country: %v, AS: %v)", f.name, db.ID(), in.Ranges4, in.Ranges6, in.HasCountry, in.HasASN))
		dbs = append(dbs, db)
	}
	if merged, err = s.ActivateIPDB(ctx, dbs...); err != nil {
		return nil, nil, err
	}
	return loaded, merged, c.Audit("ipdb.load", "ipdb/"+merged.ID(), map[string]any{"files": loaded})
}

func (h *handler) loadIPDB(c *web.Ctx) error {
	fields, files, err := readUpload(c)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return h.showData(c, http.StatusBadRequest, func(p *dataPage) { p.Error = "Choose one or more IP database files." })
	}
	loaded, merged, err := activate(c, files, fields.Get("name"), fields.Get("version"))
	var e *web.Error
	if errors.As(err, &e) {
		return h.showData(c, e.Status, func(p *dataPage) { p.Error = e.Message })
	}
	if err != nil {
		return err
	}
	return h.showData(c, http.StatusOK, func(p *dataPage) {
		p.Loaded = append(loaded, "Now enriching with "+merged.ID()+"; events already stored keep the database that enriched them.")
	})
}

func (h *handler) apiLoadIPDB(c *web.Ctx) error {
	q := c.R.URL.Query()
	b, err := io.ReadAll(c.R.Body)
	if err != nil {
		return readError(err)
	}
	if len(b) == 0 {
		return web.Errorf(http.StatusBadRequest, "send the IP database file as the request body")
	}
	file := q.Get("file")
	if file == "" {
		file = "upload.csv"
	}
	loaded, merged, err := activate(c, []upload{{filepath.Base(file), b}}, q.Get("name"), q.Get("version"))
	if err != nil {
		return err
	}
	active := node.DescribeIPDB(merged, "loaded on "+c.S.Cfg.Now().UTC().Format(time.DateOnly))
	return c.JSON(http.StatusOK, map[string]any{"loaded": loaded, "active": active})
}

// importList imports one list file as `concord lists import` does, and
// records who did it in the audit log.
func importList(c *web.Ctx, kind string, f upload, from, to, fetched string) (node.ListResult, error) {
	imp := node.ListImport{Kind: kind, Source: f.name, Modified: c.S.Cfg.Now(), From: from, To: to, Fetched: fetched}
	opts, err := imp.Options()
	if err != nil {
		return node.ListResult{}, web.Errorf(http.StatusBadRequest, "%v", err)
	}
	res, err := node.ImportList(c.R.Context(), c.S.Store, bytes.NewReader(f.data), kind, f.name, opts)
	if err != nil {
		return node.ListResult{}, err
	}
	return res, c.Audit("lists.import", "lists/"+kind, map[string]any{"file": f.name, "entries": res.Entries,
		"added": res.Added, "extended": res.Extended, "rejected": len(res.Rejected)})
}

func (h *handler) importList(c *web.Ctx) error {
	fields, files, err := readUpload(c)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return h.showData(c, http.StatusBadRequest, func(p *dataPage) { p.Error = "Choose one list file." })
	}
	res, err := importList(c, fields.Get("kind"), files[0], fields.Get("from"), fields.Get("to"), fields.Get("fetched"))
	var e *web.Error
	if errors.As(err, &e) {
		return h.showData(c, e.Status, func(p *dataPage) { p.Error = e.Message })
	}
	if err != nil {
		return err
	}
	return h.showData(c, http.StatusOK, func(p *dataPage) { p.Imported = &res })
}

func (h *handler) apiImportList(c *web.Ctx) error {
	q := c.R.URL.Query()
	b, err := io.ReadAll(c.R.Body)
	if err != nil {
		return readError(err)
	}
	file := q.Get("file")
	if file == "" {
		file = c.R.PathValue("kind") + ".txt"
	}
	res, err := importList(c, c.R.PathValue("kind"), upload{filepath.Base(file), b}, q.Get("from"), q.Get("to"), q.Get("fetched"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
