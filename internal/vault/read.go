package vault

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
)

// Open opens the object at address sha for reading. The reader hashes what
// it returns. It returns the object's last chunk only once the whole
// content has been checked against the address: if the check fails, the
// reader returns, instead of that chunk or io.EOF, an error wrapping
// ErrCorrupt that names the expected and the actual hash. So no caller can
// read a tampered object to the end without being told, whether it reads to
// io.EOF or stops after the expected number of bytes. The same error
// reports a file that shrinks or grows while it is being read.
//
// Open returns an error wrapping ErrNotFound for an address that holds no
// object and one wrapping ErrBadAddress for a malformed address. The
// caller must Close the reader.
func (v *Vault) Open(sha string) (io.ReadCloser, error) {
	sha, err := address(sha)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(v.path(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, sha)
	}
	if err != nil {
		return nil, fmt.Errorf("vault: open %s: %w", sha, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("vault: open %s: %w", sha, err)
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, corruptf("vault: object %s is corrupt: it is not a regular file but %v", sha, info.Mode().Type())
	}
	return &reader{f: f, h: sha256.New(), sha: sha, size: info.Size()}, nil
}

// reader verifies an object while it is read. It never reads past the size
// the file had when opened, and checks the hash before handing out the
// bytes that complete the object.
type reader struct {
	f    *os.File
	h    hash.Hash
	sha  string
	size int64 // at open
	n    int64 // bytes read so far
	err  error // sticky: io.EOF once verified, or the failure
}

func (r *reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if rest := r.size - r.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	var n int
	if len(p) > 0 {
		var err error
		n, err = r.f.Read(p)
		r.h.Write(p[:n])
		r.n += int64(n)
		if err == io.EOF && r.n < r.size {
			r.err = corruptf("vault: object %s is corrupt: the file ended after %d of its %d bytes (truncated while being read)", r.sha, r.n, r.size)
			return 0, r.err
		}
		if err != nil && err != io.EOF {
			r.err = fmt.Errorf("vault: read %s: %w", r.sha, err)
			return 0, r.err
		}
	}
	if r.n < r.size {
		return n, nil
	}
	// This read completes the object: release it only if it is intact.
	if err := r.finish(); err != nil {
		r.err = err
		return 0, err
	}
	r.err = io.EOF
	return n, nil
}

// finish checks a completely read object: nothing may follow its last
// byte, and its content must hash to its address.
func (r *reader) finish() error {
	var probe [1]byte
	if m, _ := r.f.Read(probe[:]); m > 0 {
		return corruptf("vault: object %s is corrupt: the file grew beyond its %d bytes while being read", r.sha, r.size)
	}
	if got := hex.EncodeToString(r.h.Sum(nil)); got != r.sha {
		return corruptf("vault: object %s is corrupt: its %d bytes hash to %s", r.sha, r.n, got)
	}
	return nil
}

func (r *reader) Close() error {
	return r.f.Close()
}

// Verify reads the object at address sha and reports whether it is intact:
// nil, or an error wrapping ErrCorrupt, ErrNotFound or ErrBadAddress.
func (v *Vault) Verify(sha string) error {
	rc, err := v.Open(sha)
	if err != nil {
		return err
	}
	defer rc.Close()
	// Read directly: io.Copy to io.Discard would read in 8 KiB chunks.
	buf := copyBufs.Get().(*[copyBufSize]byte)
	defer copyBufs.Put(buf)
	for {
		_, err := rc.Read(buf[:])
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Has reports whether an object is stored at address sha, without reading
// it; use Verify to know whether it is intact.
func (v *Vault) Has(sha string) bool {
	sha, err := address(sha)
	if err != nil {
		return false
	}
	info, err := os.Stat(v.path(sha))
	return err == nil && info.Mode().IsRegular()
}

// Export writes the object at address sha to w. It verifies the object
// before writing anything, so a damaged object is reported without a byte
// reaching w, then copies through a verifying reader; only if the file
// changes between the two passes does w receive part of it before the
// error, so a caller writing to a file should discard it on any error.
func (v *Vault) Export(sha string, w io.Writer) error {
	if err := v.Verify(sha); err != nil {
		return err
	}
	rc, err := v.Open(sha)
	if err != nil {
		return err
	}
	defer rc.Close()
	buf := copyBufs.Get().(*[copyBufSize]byte)
	defer copyBufs.Put(buf)
	if _, err := io.CopyBuffer(w, rc, buf[:]); err != nil {
		if errors.Is(err, ErrCorrupt) {
			return err
		}
		return fmt.Errorf("vault: export %s: %w", sha, err)
	}
	return nil
}
