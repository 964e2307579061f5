package taxii

import (
	"strings"
	"testing"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/stix"
)

func TestParseObject(t *testing.T) {
	now := time.Date(2026, 5, 1, 8, 0, 0, 123456789, time.UTC)
	green, amber := TLPMarking(event.TLPGreen), TLPMarking(event.TLPAmber)
	tests := []struct {
		name, obj string
		want      parsed
		err       bool
	}{
		{"modified wins", `{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","spec_version":"2.1","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.123456Z","object_marking_refs":["` + green + `"]}`,
			parsed{ID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Type: "indicator", SpecVersion: "2.1", Version: time.Date(2016, 4, 6, 20, 3, 48, 123456000, time.UTC), TLP: event.TLPGreen}, false},
		{"created without modified", `{"type":"malware","id":"malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48Z"}`,
			parsed{ID: "malware--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Type: "malware", SpecVersion: "2.1", Version: time.Date(2016, 4, 6, 20, 3, 48, 0, time.UTC), TLP: DefaultTLP}, false},
		{"neither: the date added", `{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3","object_marking_refs":["` + green + `","` + amber + `","marking-definition--00000000-0000-4000-8000-000000000000"]}`,
			parsed{ID: "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", Type: "ipv4-addr", SpecVersion: "2.1", Version: now.Truncate(time.Microsecond), TLP: event.TLPAmber}, false},
		{"a TLP definition is public", `{"type":"marking-definition","id":"` + green + `","created":"2022-10-01T00:00:00.000Z"}`,
			parsed{ID: green, Type: "marking-definition", SpecVersion: "2.1", Version: time.Date(2022, 10, 1, 0, 0, 0, 0, time.UTC), TLP: event.TLPClear}, false},
		{"no type", `{"id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`, parsed{}, true},
		{"id of another type", `{"type":"malware","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`, parsed{}, true},
		{"id without a UUID", `{"type":"indicator","id":"indicator--1"}`, parsed{}, true},
		{"bad timestamp", `{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","modified":"yesterday"}`, parsed{}, true},
		{"not an object", `[1]`, parsed{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := stix.ReadHead([]byte(tc.obj))
			got, err := parsedOf(h, err, now)
			if (err != nil) != tc.err {
				t.Fatalf("error %v, want one: %v", err, tc.err)
			}
			if !tc.err && got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// FuzzParseObject feeds arbitrary JSON to the object reader: it must not
// panic, and what it accepts must have a STIX id of its type and a
// version.
func FuzzParseObject(f *testing.F) {
	f.Add(`{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","modified":"2016-04-06T20:03:48.123Z"}`)
	f.Add(`{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","object_marking_refs":["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"]}`)
	f.Add(`{"objects":[]}`)
	f.Add(`null`)
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		h, err := stix.ReadHead([]byte(s))
		p, err := parsedOf(h, err, now)
		if err != nil {
			return
		}
		if !strings.HasPrefix(p.ID, p.Type+"--") || len(p.ID) != len(p.Type)+38 || p.Version.IsZero() || p.SpecVersion == "" || p.TLP > event.TLPRed {
			t.Fatalf("accepted %q as %+v", s, p)
		}
	})
}
