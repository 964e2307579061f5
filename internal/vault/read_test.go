package vault

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// evidence returns n reproducible random bytes, several read buffers long
// for the sizes the tests use.
func evidence(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{7}).Read(b)
	return b
}

// rewrite replaces the object file at path with data, as someone with the
// owner's rights could.
func rewrite(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
}

func flip(data []byte, i int) []byte {
	d := bytes.Clone(data)
	d[i] ^= 0x01
	return d
}

func TestDamageIsDetected(t *testing.T) {
	data := evidence(3*copyBufSize + 100)
	tests := []struct {
		name    string
		damaged []byte // what the object file holds after the damage
		damage  func(t *testing.T, path string)
		want    error
	}{
		{name: "first byte flipped", damaged: flip(data, 0), want: ErrCorrupt},
		{name: "middle byte flipped", damaged: flip(data, len(data)/2), want: ErrCorrupt},
		{name: "last byte flipped", damaged: flip(data, len(data)-1), want: ErrCorrupt},
		{name: "last byte cut", damaged: data[:len(data)-1], want: ErrCorrupt},
		{name: "truncated to a buffer", damaged: data[:copyBufSize], want: ErrCorrupt},
		{name: "emptied", damaged: []byte{}, want: ErrCorrupt},
		{name: "byte appended", damaged: append(bytes.Clone(data), 0), want: ErrCorrupt},
		{
			name: "deleted",
			damage: func(t *testing.T, path string) {
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
			},
			want: ErrNotFound,
		},
		{
			name: "replaced by a directory",
			damage: func(t *testing.T, path string) {
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			},
			want: ErrCorrupt,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, dir := newVault(t)
			obj := put(t, v, data)
			path := objectFile(dir, obj.SHA256)
			if tt.damage != nil {
				tt.damage(t, path)
			} else {
				rewrite(t, path, tt.damaged)
			}

			// Reading to the end fails, naming both hashes.
			rc, err := v.Open(obj.SHA256)
			if err == nil {
				_, err = io.ReadAll(rc)
				rc.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("reading = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), obj.SHA256) {
				t.Errorf("error %q does not name the object", err)
			}
			if tt.damaged != nil && len(tt.damaged) <= len(data) && !strings.Contains(err.Error(), sha256Hex(tt.damaged)) {
				t.Errorf("error %q does not name the actual hash %s", err, sha256Hex(tt.damaged))
			}

			// A caller reading exactly the recorded size gets either an
			// error or the original bytes, never wrong bytes.
			if rc, err := v.Open(obj.SHA256); err == nil {
				got := make([]byte, obj.Size)
				_, err := io.ReadFull(rc, got)
				rc.Close()
				if err == nil && !bytes.Equal(got, data) {
					t.Error("io.ReadFull of the recorded size returned damaged bytes without an error")
				}
			}

			if err := v.Verify(obj.SHA256); !errors.Is(err, tt.want) || !strings.Contains(err.Error(), obj.SHA256) {
				t.Errorf("Verify = %v, want %v naming %s", err, tt.want, obj.SHA256)
			}

			var out bytes.Buffer
			if err := v.Export(obj.SHA256, &out); !errors.Is(err, tt.want) || out.Len() != 0 {
				t.Errorf("Export = %v after writing %d bytes, want %v and nothing written", err, out.Len(), tt.want)
			}

			var reported []string
			checked, err := v.VerifyAll(func(sha string, err error) {
				if err != nil {
					reported = append(reported, sha)
				}
			})
			if tt.want == ErrCorrupt {
				if checked != 1 || !errors.Is(err, ErrCorrupt) || len(reported) != 1 || reported[0] != obj.SHA256 {
					t.Errorf("VerifyAll = %d, %v, reporting %v; want 1 checked, ErrCorrupt, reporting %s", checked, err, reported, obj.SHA256)
				}
			}

			// Putting the evidence again reports the damaged copy and
			// leaves it for examination; a deleted one is simply stored.
			_, err = v.Put(bytes.NewReader(data))
			if tt.want == ErrNotFound {
				if err != nil {
					t.Errorf("Put after deletion = %v", err)
				}
				if err := v.Verify(obj.SHA256); err != nil {
					t.Errorf("Verify after Put = %v", err)
				}
				return
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Put over a damaged copy = %v, want ErrCorrupt", err)
			}
			if tt.damaged != nil {
				if now, _ := os.ReadFile(path); !bytes.Equal(now, tt.damaged) {
					t.Error("Put replaced the damaged copy")
				}
			}
		})
	}
}

func TestReaderDetectsChangeWhileReading(t *testing.T) {
	data := evidence(3 * copyBufSize)
	tests := []struct {
		name   string
		change func(path string) error
		want   string
	}{
		{"truncated", func(path string) error { return os.Truncate(path, copyBufSize+1) }, "truncated while being read"},
		{"grown", func(path string) error {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.Write([]byte("appended"))
			return err
		}, "grew"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, dir := newVault(t)
			obj := put(t, v, data)
			path := objectFile(dir, obj.SHA256)
			rc, err := v.Open(obj.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if _, err := io.ReadFull(rc, make([]byte, copyBufSize)); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := tt.change(path); err != nil {
				t.Fatal(err)
			}
			_, err = io.ReadAll(rc)
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("reading on = %v, want ErrCorrupt saying %q", err, tt.want)
			}
		})
	}
}

func TestReaderKeepsFailing(t *testing.T) {
	v, dir := newVault(t)
	data := evidence(1000)
	obj := put(t, v, data)
	rewrite(t, objectFile(dir, obj.SHA256), flip(data, 10))
	rc, err := v.Open(obj.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("first read to the end = %v", err)
	}
	if n, err := rc.Read(make([]byte, 10)); n != 0 || !errors.Is(err, ErrCorrupt) {
		t.Errorf("read after failure = %d, %v; want 0 and the same error", n, err)
	}
}
