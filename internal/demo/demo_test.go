package demo

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/concord-cert/concord/internal/ipdb"
)

func generate(t *testing.T, seed uint64) Files {
	t.Helper()
	geo, err := ipdb.Default()
	if err != nil {
		t.Fatal(err)
	}
	f, err := Generate(geo, Options{Dir: t.TempDir(), EVE: 2000, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSameSeedSameFiles(t *testing.T) {
	a, b, c := generate(t, 1), generate(t, 1), generate(t, 2)
	for i, pa := range append(a.All(), a.TorExits, a.Hosting) {
		pb := append(b.All(), b.TorExits, b.Hosting)[i]
		pc := append(c.All(), c.TorExits, c.Hosting)[i]
		if !bytes.Equal(read(t, pa), read(t, pb)) {
			t.Errorf("%s differs between two runs with the same seed", pa)
		}
		if strings.HasSuffix(pa, "eve.json") && bytes.Equal(read(t, pa), read(t, pc)) {
			t.Errorf("%s is the same with another seed", pa)
		}
	}
}

func TestEVELooksLikeASensor(t *testing.T) {
	f := generate(t, 1)
	lines := bytes.Split(bytes.TrimSpace(read(t, f.EVE)), []byte("\n"))
	if len(lines) != 2000 {
		t.Fatalf("%d lines", len(lines))
	}
	types := map[string]int{}
	prev := ""
	for _, l := range lines {
		for _, typ := range []string{"flow", "dns", "http", "tls", "alert", "fileinfo", "anomaly"} {
			if bytes.Contains(l, []byte(`"event_type":"`+typ+`"`)) {
				types[typ]++
			}
		}
		// Sensors write in time order.
		ts := string(l[len(`{"timestamp":"`) : len(`{"timestamp":"`)+26])
		if ts < prev {
			t.Fatalf("records out of time order: %s after %s", ts, prev)
		}
		prev = ts
	}
	if types["flow"] < types["dns"] || types["alert"] == 0 || types["alert"] > types["flow"]/5 {
		t.Fatalf("unrealistic mix %v", types)
	}
}
