package postgres

import (
	"testing"

	"github.com/concord-cert/concord/internal/store/storetest"
)

func TestTAXIIConformance(t *testing.T) {
	storetest.RunTAXII(t, func(t *testing.T) storetest.TAXIIStore { return openTest(t) })
}

func TestKeptConformance(t *testing.T) {
	storetest.RunKept(t, func(t *testing.T) storetest.KeptStore { return openTest(t) })
}
