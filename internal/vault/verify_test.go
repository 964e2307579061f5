package vault

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestVerifyAll(t *testing.T) {
	v, dir := newVault(t)
	var shas []string
	for i := range 20 {
		shas = append(shas, put(t, v, fmt.Appendf(nil, "evidence item %d", i)).SHA256)
	}
	slices.Sort(shas)

	var seen []string
	checked, err := v.VerifyAll(func(sha string, err error) {
		if err != nil {
			t.Errorf("%s: %v", sha, err)
		}
		seen = append(seen, sha)
	})
	if err != nil || checked != len(shas) || !slices.Equal(seen, shas) {
		t.Fatalf("intact vault: VerifyAll = %d, %v, visiting %d; want %d, nil, all in address order", checked, err, len(seen), len(shas))
	}

	bad := shas[7]
	rewrite(t, objectFile(dir, bad), []byte("forged"))
	strays := []string{
		filepath.Join(dir, "objects", "notes.txt"),
		filepath.Join(dir, "objects", shas[0][:2], "copy of evidence"),
	}
	for _, p := range strays {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	failed := map[string]error{}
	checked, err = v.VerifyAll(func(sha string, err error) {
		if err != nil {
			failed[sha] = err
		}
	})
	if checked != len(shas) {
		t.Errorf("checked = %d, want %d", checked, len(shas))
	}
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "1 of 20 objects are corrupt, 2 stray files") {
		t.Errorf("VerifyAll = %v, want ErrCorrupt counting one corrupt object and two strays", err)
	}
	if !errors.Is(failed[bad], ErrCorrupt) {
		t.Errorf("damaged object reported as %v", failed[bad])
	}
	for _, name := range []string{"notes.txt", shas[0][:2] + "/copy of evidence"} {
		if failed[name] == nil {
			t.Errorf("stray %s not reported", name)
		}
	}
	if len(failed) != 3 {
		t.Errorf("reported %d failures, want 3: %v", len(failed), failed)
	}
}

func TestVerifyAllEmptyVault(t *testing.T) {
	v, _ := newVault(t)
	if checked, err := v.VerifyAll(nil); checked != 0 || err != nil {
		t.Errorf("VerifyAll = %d, %v", checked, err)
	}
}
