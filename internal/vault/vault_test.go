package vault

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newVault opens a vault in a fresh directory and returns it with the
// directory.
func newVault(t testing.TB) (*Vault, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "vault")
	v, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return v, dir
}

// put stores data and checks the Object it gets back.
func put(t testing.TB, v *Vault, data []byte) Object {
	t.Helper()
	obj, err := v.Put(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256Hex(data); obj.SHA256 != want || obj.Size != int64(len(data)) {
		t.Fatalf("Put = %+v, want {%s %d}", obj, want, len(data))
	}
	return obj
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// objectFile returns the path of sha's file in the vault at dir.
func objectFile(dir, sha string) string {
	return filepath.Join(dir, "objects", sha[:2], sha)
}

// listTree returns the regular files under root, relative to it.
func listTree(t testing.TB, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestOpenCreatesLayout(t *testing.T) {
	_, dir := newVault(t)
	for _, d := range []string{dir, filepath.Join(dir, "objects"), filepath.Join(dir, "tmp")} {
		info, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if !info.IsDir() || info.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, want a directory with 0700", d, info.Mode())
		}
	}
}

func TestOpenRemovesStaleTempFiles(t *testing.T) {
	_, dir := newVault(t)
	tmp := filepath.Join(dir, "tmp")
	stale := filepath.Join(tmp, "put-crashed")
	fresh := filepath.Join(tmp, "put-in-progress") // another process's Put
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("half an object"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * staleAfter)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}

	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temporary file still there (err %v)", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temporary file removed: %v", err)
	}
	if files := listTree(t, filepath.Join(dir, "objects")); len(files) != 0 {
		t.Errorf("objects appeared: %v", files)
	}
}

func TestMalformedAddressIsRefused(t *testing.T) {
	v, _ := newVault(t)
	hex64 := strings.Repeat("ab", 32)
	for _, sha := range []string{
		"",
		"../../etc/passwd",
		"../" + hex64[3:],
		"ab/" + hex64[3:],
		hex64[:63],
		hex64 + "a",
		strings.Repeat("g", 64),
		hex64[:62] + "\x00a",
		" " + hex64[1:],
	} {
		if _, err := v.Open(sha); !errors.Is(err, ErrBadAddress) {
			t.Errorf("Open(%q) = %v, want ErrBadAddress", sha, err)
		}
		if err := v.Verify(sha); !errors.Is(err, ErrBadAddress) {
			t.Errorf("Verify(%q) = %v, want ErrBadAddress", sha, err)
		}
		if err := v.Export(sha, new(strings.Builder)); !errors.Is(err, ErrBadAddress) {
			t.Errorf("Export(%q) = %v, want ErrBadAddress", sha, err)
		}
		if v.Has(sha) {
			t.Errorf("Has(%q) = true", sha)
		}
	}
}

func TestUnknownAddressIsNotFound(t *testing.T) {
	v, _ := newVault(t)
	sha := sha256Hex([]byte("never stored"))
	if _, err := v.Open(sha); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), sha) {
		t.Errorf("Open = %v, want ErrNotFound naming %s", err, sha)
	}
	if err := v.Verify(sha); !errors.Is(err, ErrNotFound) {
		t.Errorf("Verify = %v, want ErrNotFound", err)
	}
	if v.Has(sha) {
		t.Error("Has = true")
	}
}
