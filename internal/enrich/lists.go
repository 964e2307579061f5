package enrich

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// ListKinds maps the names `concord lists import` accepts to flags.
var ListKinds = map[string]event.Flags{
	"tor":      event.FlagTor,
	"proxy":    event.FlagProxy,
	"vpn":      event.FlagVPN,
	"hosting":  event.FlagHosting,
	"sinkhole": event.FlagSinkhole,
}

// ListOptions say how to date a list whose lines carry no dates.
type ListOptions struct {
	// Kind is the flag the entries get.
	Kind event.Flags
	// Source names the list in the store ("exit-addresses", a file name).
	Source string
	// From and To bound the period for undated lines. For Tor bulk lists,
	// which name today's exits, both default to the day the list was
	// fetched (Fetched); for other lists, zero means unbounded.
	From, To time.Time
	// Fetched is when the list was downloaded (the file's modification
	// time, unless the operator says otherwise).
	Fetched time.Time
}

// ListError is one line of a list file that could not be read.
type ListError struct {
	Line   int
	Reason string
}

// ParseList reads a relay or hosting list. It understands Tor's
// exit-addresses format (ExitNode/Published/LastStatus/ExitAddress blocks,
// dated per address) and plain lists of addresses, CIDR prefixes, "lo-hi"
// ranges or "ip:port" proxies, one per line, with "#" comments and an
// optional ",from,to" date pair per line. Bad lines are returned with their
// number and reason; the rest are parsed.
func ParseList(r io.Reader, opts ListOptions) ([]store.ListEntry, []ListError, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(4096)
	if bytes.Contains(head, []byte("ExitNode ")) && bytes.Contains(head, []byte("ExitAddress ")) {
		return parseExitAddresses(br, opts)
	}
	return parsePlainList(br, opts)
}

// exit-addresses dates: a relay is an exit from its descriptor's publication
// (or the first time it was seen exiting) through the last consensus that
// listed it (or the last time it was seen exiting). Those are snapshot
// times, so the period is widened to whole UTC days: a relay seen at 09:00
// was an exit that day.
func parseExitAddresses(r io.Reader, opts ListOptions) ([]store.ListEntry, []ListError, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var (
		out       []store.ListEntry
		bad       []ListError
		published time.Time
		lastSeen  time.Time
		pending   []store.ListEntry // this relay's addresses, dated at its end
	)
	flush := func() {
		for _, e := range pending {
			if !published.IsZero() && published.Before(e.From) {
				e.From = published
			}
			if lastSeen.After(e.To) {
				e.To = lastSeen
			}
			e.From, e.To = dayStart(e.From), dayEnd(e.To)
			out = append(out, e)
		}
		pending, published, lastSeen = pending[:0], time.Time{}, time.Time{}
	}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		key, rest, _ := strings.Cut(line, " ")
		switch key {
		case "ExitNode":
			flush()
		case "Published", "LastStatus":
			t, err := parseListTime(rest)
			if err != nil {
				bad = append(bad, ListError{n, fmt.Sprintf("%s: invalid time %q", key, rest)})
				continue
			}
			if key == "Published" {
				published = t
			} else {
				lastSeen = t
			}
		case "ExitAddress":
			ipText, when, _ := strings.Cut(strings.TrimSpace(rest), " ")
			ip, err := netip.ParseAddr(ipText)
			if err != nil {
				bad = append(bad, ListError{n, fmt.Sprintf("invalid exit address %q", ipText)})
				continue
			}
			t, err := parseListTime(when)
			if err != nil {
				bad = append(bad, ListError{n, fmt.Sprintf("invalid exit address time %q", when)})
				continue
			}
			ip = ip.Unmap()
			pending = append(pending, store.ListEntry{Kind: opts.Kind, Range: store.Range{Lo: ip, Hi: ip}, From: t, To: t, Source: opts.Source})
		case "":
		default:
			if !strings.HasPrefix(line, "#") {
				bad = append(bad, ListError{n, fmt.Sprintf("unknown exit-addresses keyword %q", key)})
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("enrich: read exit list: %w", err)
	}
	flush()
	return out, bad, nil
}

func parsePlainList(r io.Reader, opts ListOptions) ([]store.ListEntry, []ListError, error) {
	from, to := opts.From, opts.To
	if opts.Kind == event.FlagTor && from.IsZero() && to.IsZero() && !opts.Fetched.IsZero() {
		// A bulk exit list names the exits of the day it was fetched.
		from, to = dayStart(opts.Fetched), dayEnd(opts.Fetched)
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []store.ListEntry
	var bad []ListError
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		fields := strings.Split(line, ",")
		rng, err := parseRange(strings.TrimSpace(fields[0]))
		if err != nil {
			bad = append(bad, ListError{n, err.Error()})
			continue
		}
		e := store.ListEntry{Kind: opts.Kind, Range: rng, From: from, To: to, Source: opts.Source}
		if len(fields) >= 2 {
			if e.From, err = ParseDate(fields[1], false); err != nil {
				bad = append(bad, ListError{n, err.Error()})
				continue
			}
		}
		if len(fields) >= 3 {
			if e.To, err = ParseDate(fields[2], true); err != nil {
				bad = append(bad, ListError{n, err.Error()})
				continue
			}
		}
		if len(fields) > 3 {
			bad = append(bad, ListError{n, "too many fields (want ADDRESS[,FROM[,TO]])"})
			continue
		}
		if !e.From.IsZero() && !e.To.IsZero() && e.To.Before(e.From) {
			bad = append(bad, ListError{n, "period ends before it starts"})
			continue
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("enrich: read list: %w", err)
	}
	return out, bad, nil
}

// parseRange reads "192.0.2.1", "192.0.2.0/24", "192.0.2.1-192.0.2.9",
// "192.0.2.1:8080" or "[2001:db8::1]:8080".
func parseRange(s string) (store.Range, error) {
	if lo, hi, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(strings.TrimSpace(lo))
		b, err2 := netip.ParseAddr(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil || a.Unmap().BitLen() != b.Unmap().BitLen() || b.Unmap().Less(a.Unmap()) {
			return store.Range{}, fmt.Errorf("invalid range %q", s)
		}
		return store.Range{Lo: a.Unmap(), Hi: b.Unmap()}, nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return store.Range{}, fmt.Errorf("invalid prefix %q", s)
		}
		return prefixRange(p), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			return store.Range{}, fmt.Errorf("invalid address %q", s)
		}
		a = ap.Addr()
	}
	a = a.Unmap()
	return store.Range{Lo: a, Hi: a}, nil
}

// prefixRange returns the first and last address of p, unmapping
// IPv4-mapped prefixes.
func prefixRange(p netip.Prefix) store.Range {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	p = p.Masked()
	return store.Range{Lo: p.Addr(), Hi: lastAddr(p)}
}

// ParseDate reads a list date: RFC 3339, "YYYY-MM-DD hh:mm:ss" or a date,
// which means the start of that day (UTC), or its last second when end is
// set. The empty string is the zero Time.
func ParseDate(s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, time.DateTime, time.DateOnly} {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if err := plausible(t); err != nil {
			return time.Time{}, err
		}
		if layout == time.DateOnly && end {
			return dayEnd(t), nil
		}
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("invalid date %q (want YYYY-MM-DD or RFC 3339)", s)
}

// parseListTime reads exit-addresses times ("2024-03-12 09:11:17").
func parseListTime(s string) (time.Time, error) {
	t, err := time.Parse(time.DateTime, strings.TrimSpace(s))
	if err != nil {
		return t, err
	}
	return t, plausible(t)
}

// plausible rejects dates no relay list can carry; they would also be
// mistaken for "unbounded", which the zero time means.
func plausible(t time.Time) error {
	if t.Year() < 1990 || t.Year() > 9999 {
		return fmt.Errorf("implausible date %s", t.Format(time.DateOnly))
	}
	return nil
}

func dayStart(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

func dayEnd(t time.Time) time.Time { return dayStart(t).Add(24*time.Hour - time.Second) }
