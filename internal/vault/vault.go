package vault

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// ErrNotFound is returned for an address that holds no object.
var ErrNotFound = errors.New("vault: object not found")

// ErrCorrupt is wrapped by every error reporting that an object's bytes no
// longer hash to its address, or changed size while being read.
var ErrCorrupt = errors.New("vault: corrupt object")

// ErrBadAddress is wrapped by the error for an address that is not 64
// hexadecimal digits; no file is touched for such an address.
var ErrBadAddress = errors.New("vault: malformed address")

// corruptf returns an error wrapping ErrCorrupt with its own message, which
// names the object.
func corruptf(format string, args ...any) error {
	return &corruptError{fmt.Sprintf(format, args...)}
}

type corruptError struct{ msg string }

func (e *corruptError) Error() string { return e.msg }
func (e *corruptError) Unwrap() error { return ErrCorrupt }

// Object is what the vault knows about stored evidence: the lower-case hex
// SHA-256 of its bytes, which is its address, and its length in bytes.
type Object struct {
	SHA256 string
	Size   int64
}

// Vault is a content-addressed store of evidence files in one directory.
// It holds no state beyond the directory's name, so any number of
// goroutines, and of processes, may use the same vault at once.
type Vault struct {
	objects string
	tmp     string
}

// staleAfter is how long a temporary file may go unmodified before Open
// takes it for the leftover of a crashed Put. Another process may be
// writing into the same vault, so fresh files are left alone; an active Put
// writes far more often than this.
const staleAfter = time.Hour

// Open opens the vault in dir, creating dir (mode 0700) and its layout if
// needed, and removes temporary files left behind by interrupted writes.
func Open(dir string) (*Vault, error) {
	v := &Vault{
		objects: filepath.Join(dir, "objects"),
		tmp:     filepath.Join(dir, "tmp"),
	}
	for _, d := range []string{dir, v.objects, v.tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("vault: open %s: %w", dir, err)
		}
	}
	if err := syncDir(dir); err != nil { // make objects/ and tmp/ durable
		return nil, fmt.Errorf("vault: open %s: %w", dir, err)
	}
	if err := v.removeStale(time.Now().Add(-staleAfter)); err != nil {
		return nil, err
	}
	return v, nil
}

// removeStale deletes temporary files last modified before cutoff. They are
// never under an address, so removing them loses nothing that was stored.
func (v *Vault) removeStale(cutoff time.Time) error {
	entries, err := os.ReadDir(v.tmp)
	if err != nil {
		return fmt.Errorf("vault: cleaning %s: %w", v.tmp, err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue // finished or cleaned by someone else meanwhile
		}
		if err != nil {
			return fmt.Errorf("vault: cleaning %s: %w", v.tmp, err)
		}
		if info.ModTime().After(cutoff) {
			continue
		}
		p := filepath.Join(v.tmp, e.Name())
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("vault: removing stale temporary file %s: %w", p, err)
		}
	}
	return nil
}

// address returns the canonical (lower-case) form of sha, or an error
// wrapping ErrBadAddress. Only hex digits pass, so an address can never
// name a path outside the vault.
func address(sha string) (string, error) {
	if len(sha) != 64 {
		return "", fmt.Errorf("%w %q: want the 64 hex digits of a SHA-256", ErrBadAddress, sha)
	}
	b := []byte(sha)
	for i, c := range b {
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			b[i] = c + 'a' - 'A' // PowerShell's Get-FileHash prints upper case
		default:
			return "", fmt.Errorf("%w %q: want the 64 hex digits of a SHA-256", ErrBadAddress, sha)
		}
	}
	return string(b), nil
}

// path returns the file of a canonical address.
func (v *Vault) path(sha string) string {
	return filepath.Join(v.objects, sha[:2], sha)
}

// syncDir makes a directory's entries (a new link, a removed file) durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be opened for Sync there; NTFS journals its metadata
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
