package golden

import "testing"

func TestFirstDiff(t *testing.T) {
	for _, c := range []struct {
		a, b   string
		line   int
		la, lb string
	}{
		{"x\ny\nz\n", "x\nY\nz\n", 2, "y", "Y"},
		{"x\ny\n", "x\ny\nz\n", 3, "", "z"},
		{"x\ny", "x\ny\n", 2, "y", "y"}, // only the final newline differs
		{"", "a", 1, "", "a"},
	} {
		line, la, lb := firstDiff([]byte(c.a), []byte(c.b))
		if line != c.line || la != c.la || lb != c.lb {
			t.Errorf("firstDiff(%q, %q) = %d, %q, %q; want %d, %q, %q", c.a, c.b, line, la, lb, c.line, c.la, c.lb)
		}
	}
}

func TestCheckReportsADifference(t *testing.T) {
	path := t.TempDir() + "/want.txt"
	*update = true
	Check(t, path, []byte("a\nb\n"))
	*update = false
	var rec recorder
	Check(&rec, path, []byte("a\nb\n"))
	if rec.failed {
		t.Fatal("equal output reported as different")
	}
	Check(&rec, path, []byte("a\nc\n"))
	if !rec.failed {
		t.Fatal("a difference went unreported")
	}
}

// recorder is a testing.TB that notes failures instead of stopping.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
