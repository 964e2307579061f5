package ipdb

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// LoadCSV reads an operator's range file and returns a DB named name at
// version. Each row maps a range to a country or to an AS:
//
//	start,end,CC             start,end,ASN[,AS name]
//	CIDR,CC                  CIDR,ASN[,AS name]
//
// start and end are inclusive and written as IP addresses, or as decimal
// numbers (ip-location-db's -num files): numbers below 2^32 are IPv4,
// larger ones IPv6. CC is two letters; ASN is digits with an optional "AS"
// prefix, and AS0 (not announced) rows add nothing. The first row decides
// whether the file holds countries or ASNs, and every row must agree.
// Fields may be quoted as in RFC 4180, so names can contain commas.
//
// Blank lines, lines starting with '#', and a header row (a first row
// whose first two fields are neither addresses nor numbers) are skipped.
// Any other malformed row, or two rows whose ranges overlap, is an error
// naming the line: a file with bad rows should be fixed rather than half
// loaded. Rows need not be sorted.
func LoadCSV(r io.Reader, name, version string) (*DB, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true

	type line struct {
		span
		line int
		fam  int
	}
	var (
		rows    []line
		kind    string // "country" or "ASN", set by the first data row
		kindAt  int
		b       Builder
		dataRow bool
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("ipdb: csv line %d: %w", pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("ipdb: csv: %w", err)
		}
		n, _ := cr.FieldPos(0)
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
		}
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("ipdb: csv line %d: %s", n, fmt.Sprintf(format, args...))
		}

		var fam int
		var first, last u128
		var rest []string
		if strings.Contains(rec[0], "/") {
			p, err := netip.ParsePrefix(rec[0])
			if err != nil {
				return nil, bad("bad CIDR %q", rec[0])
			}
			if p.Masked() != p {
				return nil, bad("CIDR %s has host bits set (did you mean %s?)", p, p.Masked())
			}
			if p.Addr().Is4In6() {
				// Masked, so at least /96: ::ffff:1.2.3.0/120 is 1.2.3.0/24.
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			fam, first, last = prefixRange(p)
			rest = rec[1:]
		} else {
			f1, k1, err1 := parseBound(rec[0])
			if err1 != nil && !dataRow && isHeader(rec) {
				dataRow = true // a header row: skip it, but only once
				continue
			}
			if err1 != nil {
				return nil, bad("start %q: %v", rec[0], err1)
			}
			if len(rec) < 3 {
				return nil, bad("%d fields; want start,end,value or CIDR,value", len(rec))
			}
			f2, k2, err := parseBound(rec[1])
			if err != nil {
				return nil, bad("end %q: %v", rec[1], err)
			}
			if f1 != f2 {
				return nil, bad("start %s and end %s are of different address families", rec[0], rec[1])
			}
			if k2.cmp(k1) < 0 {
				return nil, bad("range %s-%s ends before it starts", rec[0], rec[1])
			}
			fam, first, last = f1, k1, k2
			rest = rec[2:]
		}
		dataRow = true
		if len(rest) == 0 || rest[0] == "" {
			return nil, bad("missing value (a country code or an ASN)")
		}

		var v val
		rowKind := "ASN"
		if len(rest[0]) == 2 && isLetter(rest[0][0]) && isLetter(rest[0][1]) {
			rowKind = "country"
		}
		if kind == "" {
			kind, kindAt = rowKind, n
		} else if rowKind != kind {
			return nil, bad("value %q is not like line %d's: this file maps ranges to %s values", rest[0], kindAt, kind)
		}
		if kind == "country" {
			if len(rest) > 1 {
				return nil, bad("%d fields after the range; a country file has only the country code", len(rest))
			}
			v.cc = strings.ToUpper(rest[0])
		} else {
			asn, err := parseASN(rest[0])
			if err != nil {
				return nil, bad("%v", err)
			}
			if len(rest) > 2 {
				return nil, bad("%d fields after the range; want ASN and an optional AS name", len(rest))
			}
			if asn == 0 {
				continue
			}
			v.asn = asn
			if len(rest) == 2 {
				if nm := cleanName(rest[1]); nm != "" {
					if b.names == nil {
						b.names = make(map[uint32]string)
					}
					if _, ok := b.names[asn]; !ok {
						b.names[asn] = nm
					}
				}
			}
		}
		rows = append(rows, line{span{first, last, v}, n, fam})
	}
	if len(rows) == 0 {
		return nil, errors.New("ipdb: csv: no ranges (only blank lines, comments or a header)")
	}

	// Report overlaps with both lines before the Builder sees them.
	slices.SortStableFunc(rows, func(a, b line) int {
		if a.fam != b.fam {
			return a.fam - b.fam
		}
		return a.first.cmp(b.first)
	})
	for i := 1; i < len(rows); i++ {
		p, c := rows[i-1], rows[i]
		if p.fam == c.fam && c.first.cmp(p.last) <= 0 {
			return nil, fmt.Errorf("ipdb: csv line %d: range %s-%s overlaps line %d's %s-%s", c.line,
				keyAddr(c.fam, c.first), keyAddr(c.fam, c.last), p.line, keyAddr(p.fam, p.first), keyAddr(p.fam, p.last))
		}
	}
	for _, r := range rows {
		switch {
		case r.fam == 4 && kind == "country":
			b.cc4 = append(b.cc4, r.span)
		case r.fam == 4:
			b.as4 = append(b.as4, r.span)
		case kind == "country":
			b.cc6 = append(b.cc6, r.span)
		default:
			b.as6 = append(b.as6, r.span)
		}
	}
	return b.Build(Info{Name: name, Version: version})
}

// isHeader reports whether a first row names its columns: its first two
// fields are neither addresses, numbers nor CIDRs. A data row with a typo
// in one bound is not taken for a header.
func isHeader(rec []string) bool {
	for _, f := range rec[:min(2, len(rec))] {
		if _, _, err := parseBound(f); err == nil {
			return false
		}
		if _, err := netip.ParsePrefix(f); err == nil {
			return false
		}
	}
	return true
}

// prefixRange returns the family and the first and last address of p,
// which must not be IPv4-mapped.
func prefixRange(p netip.Prefix) (int, u128, u128) {
	fam, first := addrKey(p.Addr())
	host := 128 - p.Bits()
	if fam == 4 {
		host = 32 - p.Bits()
	}
	last := first
	switch {
	case host >= 128:
		last = max6
	case host >= 64:
		last.lo = ^uint64(0)
		last.hi |= 1<<(host-64) - 1
	default:
		last.lo |= 1<<host - 1
	}
	return fam, first, last
}

// parseBound parses a range bound: an IP address or a decimal number.
func parseBound(s string) (int, u128, error) {
	if s == "" {
		return 0, u128{}, errors.New("empty")
	}
	if s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, ".:") {
		n, err := parseDec128(s)
		if err != nil {
			return 0, u128{}, err
		}
		if n.hi == 0 && n.lo <= 0xffffffff {
			return 4, n, nil
		}
		return 6, n, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return 0, u128{}, errors.New("not an IP address or a decimal number")
	}
	if a.Zone() != "" {
		return 0, u128{}, errors.New("address has a zone")
	}
	fam, k := addrKey(a)
	return fam, k, nil
}

// parseDec128 parses a decimal number below 2^128.
func parseDec128(s string) (u128, error) {
	var n u128
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return u128{}, errors.New("not a decimal number")
		}
		// n = n*10 + c
		hiHi, hiLo := bits.Mul64(n.hi, 10)
		loHi, loLo := bits.Mul64(n.lo, 10)
		lo, carry := bits.Add64(loLo, uint64(c-'0'), 0)
		hi, carry2 := bits.Add64(hiLo, loHi, carry)
		if hiHi != 0 || carry2 != 0 {
			return u128{}, errors.New("number too large for an address")
		}
		n = u128{hi, lo}
	}
	return n, nil
}

// parseASN parses "13335", "AS13335" or "as13335".
func parseASN(s string) (uint32, error) {
	d := s
	if len(d) > 2 && strings.EqualFold(d[:2], "AS") {
		d = d[2:]
	}
	if d == "" || d[0] < '0' || d[0] > '9' {
		return 0, fmt.Errorf("%q is neither a country code nor an ASN", s)
	}
	n, err := strconv.ParseUint(d, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("ASN %q is not a 32-bit number", s)
	}
	return uint32(n), nil
}
