// Package golden compares test output with files kept in testdata, and
// rewrites them when the tests run with -update. Only tests import it.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// Check compares got with the file at path; under -update it writes got
// there instead. A difference is reported at its first differing line,
// so that a large file (an SVG, a report) does not flood the log.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	line, g, w := firstDiff(got, want)
	t.Errorf("%s differs from line %d (run go test -update after checking the change):\ngot:  %q\nwant: %q", path, line, g, w)
}

// firstDiff returns the first line, counted from 1, where a and b differ,
// and that line of each ("" past the end).
func firstDiff(a, b []byte) (int, string, string) {
	for n := 1; ; n++ {
		la, ra, oka := bytes.Cut(a, []byte("\n"))
		lb, rb, okb := bytes.Cut(b, []byte("\n"))
		if !bytes.Equal(la, lb) || oka != okb || (!oka && !okb) {
			return n, string(la), string(lb)
		}
		a, b = ra, rb
	}
}
