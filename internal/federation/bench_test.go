package federation

import (
	"crypto/rand"
	"testing"
)

// benchPackage returns a request carrying a 1 MiB attachment, the size of a
// modest packet capture or log excerpt.
func benchPackage(b *testing.B) *Package {
	b.Helper()
	data := make([]byte, 1<<20)
	rand.Read(data)
	p := samplePackage(b)
	p.Attachments = []Attachment{NewAttachment("capture.pcap", data, true)}
	return p
}

func BenchmarkSeal1MiB(b *testing.B) {
	p := benchPackage(b)
	b.SetBytes(1 << 20)
	for b.Loop() {
		if _, err := Seal(p, keyBKA); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen1MiB(b *testing.B) {
	file := seal(b, benchPackage(b), keyBKA)
	b.SetBytes(1 << 20)
	b.ReportMetric(float64(len(file)), "file-bytes")
	for b.Loop() {
		if _, err := Open(file, partners, "NCA"); err != nil {
			b.Fatal(err)
		}
	}
}
