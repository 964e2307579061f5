package vault

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"testing"
)

const benchSize = 16 << 20

// BenchmarkPut stores a new 16 MiB object per iteration, fsyncs included.
func BenchmarkPut(b *testing.B) {
	v, dir := newVault(b)
	data := evidence(benchSize)
	b.SetBytes(benchSize)
	var i uint64
	for b.Loop() {
		i++
		binary.LittleEndian.PutUint64(data, i) // new content, not the idempotent path
		obj, err := v.Put(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := os.Remove(objectFile(dir, obj.SHA256)); err != nil { // keep the disk from filling
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkPutExisting stores bytes the vault already holds: write,
// hash, then verify the stored copy.
func BenchmarkPutExisting(b *testing.B) {
	v, _ := newVault(b)
	data := evidence(benchSize)
	put(b, v, data)
	b.SetBytes(benchSize)
	for b.Loop() {
		if _, err := v.Put(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenRead reads a 16 MiB object through its verifying reader.
func BenchmarkOpenRead(b *testing.B) {
	v, _ := newVault(b)
	obj := put(b, v, evidence(benchSize))
	buf := make([]byte, copyBufSize)
	b.SetBytes(benchSize)
	for b.Loop() {
		rc, err := v.Open(obj.SHA256)
		if err != nil {
			b.Fatal(err)
		}
		// A plain Writer, so io.CopyBuffer uses buf and not io.Discard's
		// small ReadFrom buffer.
		if _, err := io.CopyBuffer(struct{ io.Writer }{io.Discard}, rc, buf); err != nil {
			b.Fatal(err)
		}
		rc.Close()
	}
}
