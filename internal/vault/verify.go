package vault

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// VerifyAll verifies every object in the vault, in address order, and calls
// fn (if not nil) once for each with its address and the result of Verify.
// A file in the object tree that is not where an object belongs is reported
// to fn too, by its path relative to the objects directory, with an error
// saying so.
//
// checked is the number of objects verified. err is nil only when every
// object is intact and nothing stray was found; otherwise it summarises the
// failures (wrapping ErrCorrupt when an object is damaged) or says why the
// walk stopped. VerifyAll cannot see objects that were deleted: compare the
// addresses recorded in cases against Has for that.
func (v *Vault) VerifyAll(fn func(sha string, err error)) (checked int, err error) {
	if fn == nil {
		fn = func(string, error) {}
	}
	var corrupt, other, stray int
	report := func(name string, err error) {
		switch {
		case err == nil:
		case errors.Is(err, ErrCorrupt):
			corrupt++
		default:
			other++
		}
		fn(name, err)
	}
	fanouts, err := os.ReadDir(v.objects)
	if err != nil {
		return 0, fmt.Errorf("vault: verify: %w", err)
	}
	for _, d := range fanouts {
		if !d.IsDir() || !isLowerHex(d.Name(), 2) {
			stray++
			fn(d.Name(), fmt.Errorf("vault: objects/%s does not belong in the vault's object tree; move it out", d.Name()))
			continue
		}
		files, err := os.ReadDir(filepath.Join(v.objects, d.Name()))
		if err != nil {
			return checked, fmt.Errorf("vault: verify: %w", err)
		}
		for _, f := range files {
			name := f.Name()
			if !isLowerHex(name, 64) || !strings.HasPrefix(name, d.Name()) {
				stray++
				rel := d.Name() + "/" + name
				fn(rel, fmt.Errorf("vault: objects/%s is not an object address; move it out of the vault", rel))
				continue
			}
			checked++
			report(name, v.Verify(name))
		}
	}
	if corrupt+other+stray == 0 {
		return checked, nil
	}
	var parts []string
	if corrupt > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d objects are corrupt", corrupt, checked))
	}
	if other > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d objects could not be read", other, checked))
	}
	switch {
	case stray == 1:
		parts = append(parts, "1 stray file")
	case stray > 1:
		parts = append(parts, fmt.Sprintf("%d stray files", stray))
	}
	msg := "vault: " + strings.Join(parts, ", ")
	if corrupt > 0 {
		return checked, corruptf("%s", msg)
	}
	return checked, errors.New(msg)
}

// isLowerHex reports whether s is n lower-case hexadecimal digits, the only
// names the object tree holds.
func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
