package vault

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	random := make([]byte, 3*copyBufSize+17)
	rand.NewChaCha8([32]byte{1}).Read(random)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"one byte", []byte{0}},
		{"text", []byte("victim report: phishing mail attached\n")},
		{"one buffer", random[:copyBufSize]},
		{"one buffer and a byte", random[:copyBufSize+1]},
		{"several buffers", random},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, dir := newVault(t)
			obj := put(t, v, tt.data)

			info, err := os.Stat(objectFile(dir, obj.SHA256))
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm() != 0o400 {
				t.Errorf("object file mode %v, want 0400", info.Mode().Perm())
			}
			if !v.Has(obj.SHA256) {
				t.Error("Has = false")
			}
			if err := v.Verify(obj.SHA256); err != nil {
				t.Errorf("Verify: %v", err)
			}

			rc, err := v.Open(obj.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, tt.data) {
				t.Errorf("Open read %d bytes, err %v; want the %d bytes put", len(got), err, len(tt.data))
			}

			var out bytes.Buffer
			if err := v.Export(obj.SHA256, &out); err != nil || !bytes.Equal(out.Bytes(), tt.data) {
				t.Errorf("Export wrote %d bytes, err %v; want the %d bytes put", out.Len(), err, len(tt.data))
			}
			if files := listTree(t, filepath.Join(dir, "tmp")); len(files) != 0 {
				t.Errorf("temporary files left: %v", files)
			}
		})
	}
}

func TestUpperCaseAddressIsAccepted(t *testing.T) {
	v, _ := newVault(t)
	obj := put(t, v, []byte("evidence"))
	if err := v.Verify(strings.ToUpper(obj.SHA256)); err != nil {
		t.Errorf("Verify(upper case) = %v", err)
	}
}

func TestPutIsIdempotent(t *testing.T) {
	v, dir := newVault(t)
	data := []byte("the same capture, uploaded twice")
	first := put(t, v, data)
	second := put(t, v, data)
	if first != second {
		t.Errorf("second Put = %+v, want %+v", second, first)
	}
	want := []string{first.SHA256[:2] + "/" + first.SHA256}
	if files := listTree(t, filepath.Join(dir, "objects")); !slices.Equal(files, want) {
		t.Errorf("objects = %v, want %v", files, want)
	}
	if files := listTree(t, filepath.Join(dir, "tmp")); len(files) != 0 {
		t.Errorf("temporary files left: %v", files)
	}
}

func TestPutFile(t *testing.T) {
	v, _ := newVault(t)
	path := filepath.Join(t.TempDir(), "capture.pcap")
	data := []byte("\xd4\xc3\xb2\xa1 not really a pcap")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	obj, err := v.PutFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if obj.SHA256 != sha256Hex(data) || obj.Size != int64(len(data)) {
		t.Errorf("PutFile = %+v", obj)
	}
	if _, err := v.PutFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("PutFile(missing) = %v, want ErrNotExist", err)
	}
}

// failingReader yields some bytes, then fails, like an upload cut short.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("connection reset")
	}
	n := min(len(p), r.n)
	r.n -= n
	return n, nil
}

func TestFailedPutLeavesNothing(t *testing.T) {
	v, dir := newVault(t)
	if _, err := v.Put(&failingReader{n: 3 * copyBufSize}); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("Put = %v, want the reader's error", err)
	}
	if files := listTree(t, dir); len(files) != 0 {
		t.Errorf("files left: %v", files)
	}
}

func TestConcurrentPutsOfSameContent(t *testing.T) {
	v, dir := newVault(t)
	data := bytes.Repeat([]byte("same evidence from many uploads "), 32<<10)
	const workers = 16
	objs := make([]Object, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			objs[i], errs[i] = v.Put(bytes.NewReader(data))
		})
	}
	wg.Wait()
	for i := range workers {
		if errs[i] != nil {
			t.Errorf("Put %d: %v", i, errs[i])
		}
		if objs[i] != objs[0] {
			t.Errorf("Put %d = %+v, want %+v", i, objs[i], objs[0])
		}
	}
	if files := listTree(t, filepath.Join(dir, "objects")); len(files) != 1 {
		t.Errorf("objects = %v, want one", files)
	}
	if files := listTree(t, filepath.Join(dir, "tmp")); len(files) != 0 {
		t.Errorf("temporary files left: %v", files)
	}
	if err := v.Verify(objs[0].SHA256); err != nil {
		t.Error(err)
	}
}

// patternReader yields n bytes of a repeating pattern without holding them.
type patternReader struct{ off, n int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	for i := range p {
		x := r.off + int64(i)
		p[i] = byte(x ^ x>>8 ^ x>>16)
	}
	r.off += int64(len(p))
	return len(p), nil
}

func TestPutStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MiB")
	}
	const size = 64 << 20
	v, _ := newVault(t)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	obj, err := v.Put(&patternReader{n: size})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Size != size {
		t.Fatalf("Size = %d, want %d", obj.Size, size)
	}
	// TotalAlloc counts every byte allocated, freed or not: streaming
	// through a fixed buffer keeps it to a few hundred KiB at most.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("Put of %d MiB allocated %d KiB; it must stream", size>>20, alloc>>10)
	}

	runtime.GC()
	runtime.ReadMemStats(&before)
	err = v.Verify(obj.SHA256)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("Verify of %d MiB allocated %d KiB; it must stream", size>>20, alloc>>10)
	}
}
