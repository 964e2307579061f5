package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/event"
)

//go:embed templates/*.tmpl
var coreTemplates embed.FS

//go:embed assets
var assets embed.FS

// Funcs are the template functions every page may use.
var Funcs = template.FuncMap{
	"tlp":      func(t event.TLP) string { return t.String() },
	"tlpClass": tlpClass,
	"when":     func(t time.Time) string { return formatTime(t) },
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format(time.DateOnly)
	},
	"num": func(n any) string { return groupDigits(fmt.Sprint(n)) },
	"pct": func(f float64) string { return fmt.Sprintf("%.1f %%", 100*f) },
}

func tlpClass(t event.TLP) string {
	return "tlp-" + strings.ToLower(strings.NewReplacer("TLP:", "", "+", "-").Replace(t.String()))
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// groupDigits writes 1234567 as 1,234,567.
func groupDigits(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if len(s) <= 3 || strings.ContainsAny(s, ".e") {
		if neg {
			return "-" + s
		}
		return s
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	pre := len(s) % 3
	b.WriteString(s[:pre])
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 && !(neg && b.Len() == 1) {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

func parseLayout() (*template.Template, error) {
	return template.New("core").Funcs(Funcs).ParseFS(coreTemplates, "templates/*.tmpl")
}

// Pages are one area's page templates, each parsed with the layout.
type Pages map[string]*template.Template

// ParsePages parses every file matching pattern in fsys as a page: each
// defines a "content" template (and may define "head" additions); the page
// is named by its file name without extension.
func (s *Server) ParsePages(fsys fs.FS, pattern string) (Pages, error) {
	files, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	out := Pages{}
	for _, f := range files {
		t, err := s.layout.Clone()
		if err != nil {
			return nil, err
		}
		if t, err = t.ParseFS(fsys, f); err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(path.Base(f), path.Ext(f))] = t
	}
	return out, nil
}

// MustParsePages is ParsePages for templates embedded in the binary,
// whose errors are programming errors.
func (s *Server) MustParsePages(fsys fs.FS, pattern string) Pages {
	p, err := s.ParsePages(fsys, pattern)
	if err != nil {
		panic(err)
	}
	return p
}

// PageData is what the layout receives.
type PageData struct {
	Title string
	P     auth.Principal
	CSRF  string
	Nav   []NavItem
	Path  string
	Data  any
}

// NavItem is one entry of the navigation bar.
type NavItem struct {
	Label, Href string
	Current     bool
}

// nav lists the areas p may use.
var nav = []struct {
	label, href string
	action      auth.Action
}{
	{"Dashboard", "/", auth.ReadReports},
	{"Events", "/events", auth.ReadEvents},
	{"Ingest", "/ingest", auth.Ingest},
	{"Reports", "/reports", auth.ReadReports},
	{"Assess", "/assess", auth.Assess},
	{"Cases", "/cases", auth.ReadCases},
	{"Requests", "/requests", auth.ReadRequests},
	{"Partners", "/partners", auth.ReadRequests},
	{"Admin", "/admin", auth.ManageUsers},
}

func (c *Ctx) pageData(title string, data any) PageData {
	pd := PageData{Title: title, P: c.P, CSRF: c.CSRF, Path: c.R.URL.Path, Data: data}
	if c.User != nil {
		for _, n := range nav {
			if c.P.Can(n.action) {
				cur := n.href == c.R.URL.Path || (n.href != "/" && strings.HasPrefix(c.R.URL.Path, n.href))
				pd.Nav = append(pd.Nav, NavItem{Label: n.label, Href: n.href, Current: cur})
			}
		}
	}
	return pd
}

// Render writes page name of pages with status 200.
func (c *Ctx) Render(pages Pages, name, title string, data any) error {
	return c.RenderStatus(http.StatusOK, pages, name, title, data)
}

// RenderStatus writes page name of pages with status. The page is
// rendered to memory first, so a template error becomes a clean 500
// instead of half a page.
func (c *Ctx) RenderStatus(status int, pages Pages, name, title string, data any) error {
	t := pages[name]
	if t == nil {
		return fmt.Errorf("web: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", c.pageData(title, data)); err != nil {
		return err
	}
	c.W.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.W.WriteHeader(status)
	_, err := c.W.Write(buf.Bytes())
	return err
}

// Page renders one of the core pages.
func (c *Ctx) Page(name, title string, data any) error {
	return c.PageStatus(http.StatusOK, name, title, data)
}

// PageStatus renders one of the core pages with status.
func (c *Ctx) PageStatus(status int, name, title string, data any) error {
	return c.RenderStatus(status, c.S.core, name, title, data)
}
