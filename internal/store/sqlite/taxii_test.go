package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/concord-cert/concord/internal/store/storetest"
)

func TestTAXIIConformance(t *testing.T) {
	storetest.RunTAXII(t, func(t *testing.T) storetest.TAXIIStore {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "concord.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestKeptConformance(t *testing.T) {
	storetest.RunKept(t, func(t *testing.T) storetest.KeptStore {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "concord.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
