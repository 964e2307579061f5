package feed

import (
	"bytes"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"
)

// parseTime reads the timestamp spellings found in real feeds and returns
// UTC with microsecond precision:
//
//	2017-04-07T22:24:37.251547+0100   Suricata (zone without colon)
//	2024-03-12T10:00:00Z              RFC 3339
//	2021-01-17 07:30:05               Feodo Tracker, Shadowserver (UTC)
//	2021-01-17 07:30:05 UTC           Feodo Tracker JSON
//	2021-02-10                        dates
//
// A time without a zone is UTC, which is what every feed above means.
func parseTime(b []byte) (time.Time, error) {
	s := bytes.TrimSpace(b)
	bad := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("invalid time %q: %s", b, why)
	}
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return bad("want YYYY-MM-DD[Thh:mm:ss[.ffffff]][zone]")
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return bad("date is not numeric")
	}
	var hour, min, sec, nsec int
	rest := s[10:]
	if len(rest) > 0 && (rest[0] == 'T' || rest[0] == 't' || rest[0] == ' ') && len(rest) >= 6 && rest[3] == ':' {
		var ok bool
		if hour, ok = digits(rest[1:3]); !ok {
			return bad("hour is not numeric")
		}
		if min, ok = digits(rest[4:6]); !ok {
			return bad("minute is not numeric")
		}
		rest = rest[6:]
		if len(rest) >= 3 && rest[0] == ':' {
			if sec, ok = digits(rest[1:3]); !ok {
				return bad("second is not numeric")
			}
			rest = rest[3:]
			if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
				i := 1
				scale := 100000000
				for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
					nsec += int(rest[i]-'0') * scale
					scale /= 10
					i++
				}
				if i == 1 {
					return bad("empty fraction of a second")
				}
				rest = rest[i:]
			}
		}
	}
	offset, err := parseZone(rest)
	if err != nil {
		return bad(err.Error())
	}
	if month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 {
		return bad("field out of range")
	}
	t := time.Date(year, time.Month(month), day, hour, min, sec, nsec, time.UTC)
	if t.Day() != day {
		return bad("no such day")
	}
	return t.Add(-time.Duration(offset) * time.Second).Truncate(time.Microsecond), nil
}

// parseZone reads "", "Z", "+01:00", "+0100", "+01", " UTC", " GMT" and
// returns the offset east of UTC in seconds.
func parseZone(z []byte) (int, error) {
	z = bytes.TrimLeft(z, " ")
	switch string(z) {
	case "", "Z", "z", "UTC", "GMT", "utc":
		return 0, nil
	}
	if z[0] != '+' && z[0] != '-' {
		return 0, fmt.Errorf("unknown zone %q", z)
	}
	sign := 1
	if z[0] == '-' {
		sign = -1
	}
	d := z[1:]
	var h, m int
	var ok bool
	switch {
	case len(d) == 2:
		h, ok = digits(d)
	case len(d) == 4:
		h, ok = digits(d[:2])
		if ok {
			m, ok = digits(d[2:])
		}
	case len(d) == 5 && d[2] == ':':
		h, ok = digits(d[:2])
		if ok {
			m, ok = digits(d[3:])
		}
	}
	if !ok || h > 23 || m > 59 {
		return 0, fmt.Errorf("unknown zone %q", z)
	}
	return sign * (h*3600 + m*60), nil
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

// parseEpoch reads seconds since 1970 with an optional fraction, as Zeek
// writes them ("1521911721.255387"), exactly: no float rounding, so the TSV
// and JSON forms of one log give identical times.
func parseEpoch(b []byte) (time.Time, error) {
	s := bytes.TrimSpace(b)
	intPart, frac, _ := bytes.Cut(s, []byte{'.'})
	neg := len(intPart) > 0 && intPart[0] == '-'
	if neg {
		intPart = intPart[1:]
	}
	if len(intPart) == 0 || len(intPart) > 12 {
		return time.Time{}, fmt.Errorf("invalid epoch time %q", b)
	}
	sec, ok := digits(intPart)
	if !ok {
		return time.Time{}, fmt.Errorf("invalid epoch time %q", b)
	}
	usec := 0
	for i, c := range frac {
		if c < '0' || c > '9' {
			// Exponent forms (1.5e9) come from careless JSON writers.
			if c == 'e' || c == 'E' {
				if f, ok := jsonFloat(s); ok {
					return time.UnixMicro(int64(math.Round(f * 1e6))).UTC(), nil
				}
			}
			return time.Time{}, fmt.Errorf("invalid epoch time %q", b)
		}
		if i < 6 {
			usec = usec*10 + int(c-'0')
		}
	}
	for i := len(frac); i < 6; i++ {
		usec *= 10
	}
	total := int64(sec)*1e6 + int64(usec)
	if neg {
		total = -total
	}
	return time.UnixMicro(total).UTC(), nil
}

// parseIP parses one IPv4 or IPv6 address, refusing anything else (such as
// "148.81.111.11.12", seen in real Shadowserver rows) with a reason.
// IPv4-mapped IPv6 addresses become plain IPv4.
func parseIP(b []byte) (netip.Addr, error) {
	s := bytes.TrimSpace(b)
	if len(s) == 0 {
		return netip.Addr{}, fmt.Errorf("empty IP address")
	}
	var a netip.Addr
	var err error
	if bytes.IndexByte(s, '%') >= 0 {
		a, err = netip.ParseAddr(string(s)) // the zone is retained: copy
	} else {
		a, err = netip.ParseAddr(bstr(s))
	}
	if err != nil {
		return netip.Addr{}, fmt.Errorf("invalid IP address %q", truncate(string(s), 64))
	}
	return a.Unmap(), nil
}

// parsePort parses a TCP/UDP port, 0–65535.
func parsePort(b []byte) (uint16, error) {
	s := bytes.TrimSpace(b)
	n, ok := parseInt(s)
	if !ok || n < 0 || n > 65535 {
		return 0, fmt.Errorf("invalid port %q", truncate(string(s), 32))
	}
	return uint16(n), nil
}

// truncate shortens s for inclusion in a rejection reason.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
