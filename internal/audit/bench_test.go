package audit

import "testing"

func BenchmarkSeal(b *testing.B) {
	e := chain(2)[1]
	for b.Loop() {
		e.Seal(e.Prev)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

func BenchmarkVerify(b *testing.B) {
	log := chain(10_000)
	for b.Loop() {
		if _, err := Verify(entries(log)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(log))/b.Elapsed().Seconds(), "entries/s")
}
