package public

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/vault"
	"github.com/concord-cert/concord/internal/web"
)

// Limits of one submission. The body as a whole is bounded by the route
// (maxBody); a bigger one is refused with 413 before it is read to the end.
const (
	maxFiles     = 5
	maxFileSize  = 10 << 20
	maxFieldSize = 64 << 10
	maxFields    = 100
	maxBody      = maxFiles*maxFileSize + 1<<20
)

// allowedTypes are the content types, as http.DetectContentType names them
// from a file's first bytes, that a victim may send: screenshots, PDF
// documents, saved e-mails and logs as text. Anything that a browser could
// run or render as a page (HTML, SVG, scripts) or that hides other files
// (archives, office documents) is refused.
var allowedTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}

const allowedTypesText = "screenshots (PNG, JPEG, GIF or WebP), PDF documents, or plain text such as saved e-mails (.eml) and logs (.txt, .log)"

// upload is one file received, staged on disk until the report is valid.
type upload struct {
	Name string
	Type string
	Size int64
	path string
}

// submission is a form as received: its fields, the files accepted, and
// why any file was refused.
type submission struct {
	values url.Values
	files  []upload
	// fileErrors say, for each refused file, why.
	fileErrors []string
	// tooLarge is true when a file was over maxFileSize.
	tooLarge bool
}

// remove deletes the staged files.
func (s *submission) remove() {
	for _, f := range s.files {
		os.Remove(f.path)
	}
}

// readSubmission reads a form body: multipart with files staged in dir, or
// URL-encoded without files. It fails only when the body itself is bad
// (too large as a whole, malformed); a refused file is a fileError, so the
// form can come back with what the victim typed.
func readSubmission(r *http.Request, dir string) (*submission, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		if err := r.ParseForm(); err != nil {
			return nil, bodyError(err)
		}
		return &submission{values: r.PostForm}, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, web.Errorf(http.StatusBadRequest, "the form could not be read: %v", err)
	}
	sub := &submission{values: url.Values{}}
	fields := 0
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return sub, nil
		}
		if err != nil {
			sub.remove()
			return nil, bodyError(err)
		}
		if part.FileName() == "" && part.FormName() != "files" {
			if fields++; fields > maxFields {
				sub.remove()
				return nil, web.Errorf(http.StatusBadRequest, "the form has too many fields")
			}
			b, err := io.ReadAll(io.LimitReader(part, maxFieldSize+1))
			if err != nil {
				sub.remove()
				return nil, bodyError(err)
			}
			if len(b) > maxFieldSize {
				sub.remove()
				return nil, web.Errorf(http.StatusRequestEntityTooLarge, "the field %q is longer than %d KiB", part.FormName(), maxFieldSize>>10)
			}
			sub.values.Add(part.FormName(), string(b))
			continue
		}
		if err := sub.stage(part, dir); err != nil {
			sub.remove()
			return nil, err
		}
	}
}

// stage keeps one file part in dir if it is acceptable, and drains it
// otherwise.
func (s *submission) stage(part *multipart.Part, dir string) error {
	defer part.Close()
	name := cleanName(part.FileName())
	if part.FormName() != "files" {
		_, err := io.Copy(io.Discard, part)
		return bodyError(err)
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(part, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return bodyError(err)
	}
	head = head[:n]
	switch {
	case n == 0 && name == "":
		return nil // a file input left empty
	case name == "":
		name = "A file without a name"
	}
	switch {
	case n == 0:
		s.fileErrors = append(s.fileErrors, fmt.Sprintf("%s is empty.", name))
		return nil
	case len(s.files) >= maxFiles:
		s.fileErrors = append(s.fileErrors, fmt.Sprintf("%s was not taken: send at most %d files.", name, maxFiles))
		_, err := io.Copy(io.Discard, part)
		return bodyError(err)
	}
	ctype := http.DetectContentType(head)
	if !allowedType(ctype) {
		s.fileErrors = append(s.fileErrors, fmt.Sprintf("%s is not a file type we accept (it looks like %s). Send %s.", name, strings.SplitN(ctype, ";", 2)[0], allowedTypesText))
		_, err := io.Copy(io.Discard, part)
		return bodyError(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "report-*")
	if err != nil {
		return err
	}
	up := upload{Name: name, Type: ctype, path: f.Name()}
	size, err := io.Copy(f, io.LimitReader(io.MultiReader(bytes.NewReader(head), part), maxFileSize+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(up.path)
		return bodyError(err)
	}
	if size > maxFileSize {
		os.Remove(up.path)
		s.tooLarge = true
		s.fileErrors = append(s.fileErrors, fmt.Sprintf("%s is larger than %d MiB; send a smaller file or a screenshot of the important part.", name, maxFileSize>>20))
		_, err := io.Copy(io.Discard, part)
		return bodyError(err)
	}
	up.Size = size
	s.files = append(s.files, up)
	return nil
}

// removeStale deletes staged files older than an hour: what a request cut
// short by a crash left behind. Younger ones may belong to a request in
// flight in another process sharing the data directory.
func removeStale(dir string, now time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > time.Hour {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// keep moves the staged files into the vault and returns them as the
// report's attachments.
func (s *submission) keep(v *vault.Vault) ([]node.Attachment, error) {
	var out []node.Attachment
	for _, f := range s.files {
		obj, err := v.PutFile(f.path)
		if err != nil {
			return nil, err
		}
		out = append(out, node.Attachment{SHA256: obj.SHA256, Name: f.Name, Type: f.Type, Size: obj.Size})
	}
	return out, nil
}

func allowedType(ctype string) bool {
	base := strings.TrimSpace(strings.SplitN(ctype, ";", 2)[0])
	for _, t := range allowedTypes {
		if base == t {
			return true
		}
	}
	return false
}

// cleanName keeps a file name fit for a message and the audit log: its
// last element, without control characters, at most 120 characters.
func cleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 120 {
		name = string(r[:120]) + "…"
	}
	if name == "." || name == "/" {
		return ""
	}
	return name
}

// bodyError keeps a too-large body a *http.MaxBytesError (the core answers
// 413) and makes anything else a 400.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if err == nil || errors.As(err, &mbe) {
		return err
	}
	return web.Errorf(http.StatusBadRequest, "the form could not be read: %v", err)
}
