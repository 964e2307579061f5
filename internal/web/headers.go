package web

import (
	"net/http"
	"strings"
)

// contentSecurityPolicy allows nothing from elsewhere and no inline
// script or style: every script and stylesheet is a file under /assets/.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// DocumentCSP is the policy of downloaded standalone documents (a report
// or an assessment as one HTML file, an SVG chart): their own inline
// styles apply, and nothing can run.
const DocumentCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"

// secureHeaders sets the headers every response carries.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if !strings.HasPrefix(r.URL.Path, "/assets/") {
			// Pages and API answers hold marked data: never cache them
			// where another user of the machine could read them.
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// DownloadCSP is the policy of a file the browser saves: should a
// browser show it anyway, nothing in it runs or loads; the sandbox still
// allows the download itself (a plain sandbox would block it).
const DownloadCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox allow-downloads"

// Download sets the headers of a file the browser saves rather than shows.
func (c *Ctx) Download(contentType, filename string) {
	h := c.W.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="`+strings.Map(safeFileRune, filename)+`"`)
	h.Set("Content-Security-Policy", DownloadCSP)
}

// Document sets the headers of a standalone document shown in the browser
// (a report or an assessment page with its own inline styles).
func (c *Ctx) Document(contentType string) {
	c.W.Header().Set("Content-Type", contentType)
	c.W.Header().Set("Content-Security-Policy", DocumentCSP)
}

func safeFileRune(r rune) rune {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
		return r
	}
	return '_'
}
