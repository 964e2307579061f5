package feed

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"2017-04-07T22:24:37.251547+0100", "2017-04-07T21:24:37.251547Z"},
		{"2016-01-02T19:08:01.310448+0000", "2016-01-02T19:08:01.310448Z"},
		{"2024-03-12T10:00:00Z", "2024-03-12T10:00:00Z"},
		{"2024-03-12T10:00:00.5-05:30", "2024-03-12T15:30:00.5Z"},
		{"2021-01-17 07:30:05", "2021-01-17T07:30:05Z"},
		{"2021-01-17 07:30:05 UTC", "2021-01-17T07:30:05Z"},
		{"2021-02-10", "2021-02-10T00:00:00Z"},
		{"2010-02-10 00:00:01", "2010-02-10T00:00:01Z"},
		{"2024-02-29T23:59:59.1234567Z", "2024-02-29T23:59:59.123456Z"},
		{"2024-03-12T10:00", "2024-03-12T10:00:00Z"},
		{"  2024-03-12T10:00:00+02  ", "2024-03-12T08:00:00Z"},
	} {
		got, err := parseTime([]byte(c.in))
		if err != nil {
			t.Errorf("parseTime(%q): %v", c.in, err)
			continue
		}
		want, _ := time.Parse(time.RFC3339Nano, c.want)
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseTime(%q) = %s, want %s", c.in, got.Format(time.RFC3339Nano), c.want)
		}
	}
	for _, in := range []string{"", "yesterday", "2021-13-01", "2021-02-30", "2021-02-10T25:00:00", "2021-02-10T10:00:00+2500", "2021-02-10T10:00:00 CEST", "2021-02-10T10:00:00.", "20210210"} {
		if got, err := parseTime([]byte(in)); err == nil {
			t.Errorf("parseTime(%q) = %s, want error", in, got)
		}
	}
}

func TestParseEpoch(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64 // microseconds
	}{
		{"1521911721.255387", 1521911721255387},
		{"1700828217.314165", 1700828217314165},
		{"22.335172", 22335172},
		{"1664459365", 1664459365000000},
		{"1664459365.8", 1664459365800000},
		{"1664459365.123456789", 1664459365123456},
		{"1.6644593658e9", 1664459365800000},
	} {
		got, err := parseEpoch([]byte(c.in))
		if err != nil || got.UnixMicro() != c.want || got.Location() != time.UTC {
			t.Errorf("parseEpoch(%q) = %d, %v; want %d", c.in, got.UnixMicro(), err, c.want)
		}
	}
	for _, in := range []string{"", "-", "abc", "12.3x", "1234567890123456"} {
		if _, err := parseEpoch([]byte(in)); err == nil {
			t.Errorf("parseEpoch(%q) accepted", in)
		}
	}
}

func TestParseIP(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{" 2001:db8::1 ", "2001:db8::1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2a03:b0c0:0002:00d0:0000:0000:0bd3:4001", "2a03:b0c0:2:d0::bd3:4001"},
		{"fe80::1%eth0", "fe80::1%eth0"},
	} {
		got, err := parseIP([]byte(c.in))
		if err != nil || got.String() != c.want {
			t.Errorf("parseIP(%q) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "148.81.111.11.12", "256.1.1.1", "010.1.1.1", "example.com", "1.2.3"} {
		if _, err := parseIP([]byte(in)); err == nil {
			t.Errorf("parseIP(%q) accepted", in)
		}
	}
}

func TestParsePort(t *testing.T) {
	for in, want := range map[string]uint16{"0": 0, "443": 443, "65535": 65535, " 80 ": 80} {
		if got, err := parsePort([]byte(in)); err != nil || got != want {
			t.Errorf("parsePort(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "-1", "65536", "http", "1.5"} {
		if _, err := parsePort([]byte(in)); err == nil {
			t.Errorf("parsePort(%q) accepted", in)
		}
	}
}

func BenchmarkParseTimeSuricata(b *testing.B) {
	in := []byte("2023-09-18T06:13:41.532140+0000")
	for b.Loop() {
		if _, err := parseTime(in); err != nil {
			b.Fatal(err)
		}
	}
}
