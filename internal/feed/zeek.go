package feed

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/concord-cert/concord/internal/event"
)

// Zeek writes one file per log stream (conn.log, notice.log, ssh.log, ...)
// in one of two serializations:
//
//   - TSV, the default: a header of "#"-directives (#separator, #set_separator,
//     #empty_field, #unset_field, #path, #open, #fields, #types, #close), then
//     one row per record. Values holding the separator (or bytes that are not
//     printable) are escaped as \xNN; set and vector elements are joined by
//     the set separator; "-" means unset and "(empty)" an empty set or string.
//     Rotated logs are often concatenated, so a header may start again in the
//     middle of a file, with other columns.
//   - JSON (LogAscii::use_json): one object per line with dotted member names
//     ("id.orig_h"); unset fields are left out (or null); ts is epoch seconds,
//     epoch milliseconds or ISO 8601 text depending on
//     LogAscii::json_timestamps.
//
// The decoder reads both, even mixed in one stream, and turns the same log in
// either form into identical events (equal event.Hasher sums). For that, each
// record is first read into a list of typed fields that does not depend on
// the form, and a single mapping turns that list into an event:
//
//   - TSV types count, int and port, and JSON numbers without '.' or an
//     exponent, become integers; double, interval and time, and JSON numbers
//     with a fraction, become floats rounded to microseconds, because that is
//     all the TSV writer prints (it writes 0.206964 where the JSON writer
//     writes 0.20696377754211426); bool T/F and true/false become booleans;
//     sets and vectors and JSON arrays become string arrays; everything else
//     is a string. JSON strings in Zeek's ISO 8601 time form become floats
//     too, as the TSV writer prints every time as epoch seconds.
//   - Unset values are left out; empty sets become empty arrays.
//   - Extra holds the fields the event has no place for, sorted by name, so
//     that the order of TSV columns and JSON members cannot matter. Names are
//     Zeek's own ("remote_location.country_code"): an analyst searches for
//     what Zeek calls the field.
//
// The forms can still differ where the TSV writer keeps information the JSON
// writer drops, or the reverse: a TSV log without #types reads every value as
// a string; under JSON::TS_MILLIS, times other than ts are integers; and bytes
// that are not UTF-8 are kept as "\xNN" text in both forms (Zeek's JSON
// writer spells them that way, so the TSV reader does too).
//
// The log type (event feed.code) comes from #path, or JSON's "_path" member,
// else the file name (conn.log, notice.2024-03-01.log, conn.00:00:00-01:00:00
// .log.gz, Slips' "test9__conn.log"), else the fields present (note → notice;
// conn_state or history → conn). Only notice records can be incidents (see
// classifyNote); every other log is context and becomes an Observation with
// the connection's addresses mapped and every other field in Extra.
//
// Times are taken as written: Stratosphere's sample captures were replayed
// with relative timestamps (ts 22.335172), which become instants in the first
// minutes of 1970. That is what the log says, so it is kept rather than
// rejected; the year makes such records easy to spot.

func init() {
	register(Format{
		Name:        "zeek",
		Description: "Zeek logs (conn, notice and any other log), TSV or JSON",
		Sniff:       sniffZeek,
		New: func(opts Options) (Decoder, error) {
			return &zeekDecoder{
				feed:     opts.feedName("zeek"),
				tlp:      opts.Marking(),
				namePath: zeekPathFromName(opts.Path),
				intern:   make(map[string]string),
			}, nil
		},
	})
}

// sniffZeek recognizes a TSV header (even after a stray leading tab, seen in
// a real Slips sample) or JSON lines with Zeek's characteristic members. A
// ".log" name alone says nothing: half of /var/log ends in .log.
func sniffZeek(name string, head []byte) int {
	rest := head
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte{'\n'})
		line = bytes.TrimLeft(line, " \t\ufeff")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		switch {
		case bytes.HasPrefix(line, []byte("#separator ")):
			return 100
		case bytes.HasPrefix(line, []byte("#fields\t")):
			return 90
		case line[0] == '#':
			continue // a comment, or another directive: look further
		case line[0] == '{':
			if !bytes.Contains(line, []byte(`"ts":`)) {
				return 0
			}
			if bytes.Contains(line, []byte(`"uid":`)) || bytes.Contains(line, []byte(`"id.orig_h":`)) ||
				bytes.Contains(line, []byte(`"_path":`)) {
				return 90
			}
			if bytes.Contains(line, []byte(`"note":`)) {
				return 80
			}
			if zeekPathFromName(name) != "" {
				return 40
			}
			return 0
		}
		return 0
	}
	return 0
}

// zeekPathFromName derives the log type from a file name as Zeek and the
// tools around it name files: conn.log, conn.log.gz, notice.2024-03-01.log,
// conn.00:00:00-01:00:00.log.gz (log-archive), "capture__conn.log" (Slips).
// Names not ending in .log give nothing: "zeek.json" is not a log type.
func zeekPathFromName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSuffix(name, ".gz")
	base, ok := strings.CutSuffix(name, ".log")
	if !ok {
		return ""
	}
	if i := strings.LastIndex(base, "__"); i >= 0 {
		base = base[i+2:]
	}
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	if base == "" {
		return ""
	}
	for i := 0; i < len(base); i++ {
		c := base[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return ""
		}
	}
	return base
}

// zkind is the form-independent type of one field value.
type zkind uint8

const (
	zStr    zkind = iota
	zInt          // count, int, port; JSON integers
	zFloat        // double, interval, time; JSON numbers with a fraction
	zBool         // T/F, true/false
	zStrs         // set, vector; JSON arrays
	zBigInt       // an integer beyond int64 (Zeek counts are unsigned): its digits
)

// zval is one field of a record. String values may alias the input line and
// are valid only while the record is being decoded.
type zval struct {
	key    string
	kind   zkind
	used   bool // mapped onto an event field, so not repeated in Extra
	b      bool
	s      string
	n      int64
	f      float64
	lo, hi int // zStrs: zeekDecoder.strs[lo:hi]
	// rank orders fields by name without comparing strings: for TSV the
	// column's zcol.rank, for JSON an index into zeekDecoder.keys, or -1.
	rank int
}

// ztype is a TSV column type from #types, reduced to what decoding needs.
type ztype uint8

const (
	ztString ztype = iota // string, enum, pattern, and types we do not know
	ztAddr
	ztSubnet
	ztCount // count (unsigned)
	ztInt
	ztPort
	ztDouble // double, interval
	ztTime
	ztBool
)

type zcol struct {
	name string
	typ  ztype // for lists, the element type
	list bool  // set[...], vector[...]
	ts   bool  // the record's timestamp
	rank int   // position of name among the block's field names, sorted
}

func parseZeekType(s string) (typ ztype, list bool) {
	for _, p := range []string{"set[", "vector[", "table["} {
		if inner, ok := strings.CutPrefix(s, p); ok {
			t, _ := parseZeekType(strings.TrimSuffix(inner, "]"))
			return t, true
		}
	}
	switch s {
	case "addr":
		return ztAddr, false
	case "subnet":
		return ztSubnet, false
	case "count":
		return ztCount, false
	case "int":
		return ztInt, false
	case "port":
		return ztPort, false
	case "double", "interval":
		return ztDouble, false
	case "time":
		return ztTime, false
	case "bool":
		return ztBool, false
	}
	return ztString, false
}

// zeekHeader is the state set by TSV directives.
type zeekHeader struct {
	started bool // a Zeek directive has been read
	sep     []byte
	setSep  []byte
	empty   []byte
	unset   []byte
	path    string
	cols    []zcol
	line    int64  // line of #fields
	sepErr  string // the #separator block is unusable
	colErr  string // #fields/#types are unusable
}

func (h *zeekHeader) reset() {
	*h = zeekHeader{sep: []byte{'\t'}, setSep: []byte{','}, empty: []byte("(empty)"), unset: []byte{'-'}}
}

type zeekDecoder struct {
	feed     string
	tlp      event.TLP
	namePath string

	h    zeekHeader
	seen bool // a Zeek header or a JSON object has been read

	vals    []zval
	strs    []string
	order   []int
	cells   [][]byte
	ts      time.Time
	hasTS   bool
	recPath string // the record's own _path
	intern  map[string]string
	keyBuf  []byte
	ranked  bool  // d.vals carry TSV column ranks
	slots   []int // scratch for ordering ranked fields
	// keys are the JSON member names seen so far, with their rank among
	// each other (-1 until ranked again after a new name).
	keys     []zeekKey
	keyIdx   map[string]int
	keysDirt bool
	unesc    []byte
	e        event.Event
}

// Decode implements Decoder. The first line that is neither blank nor a
// "#" line decides whether the input is Zeek at all: it must be a JSON
// object, or follow a #fields header.
func (d *zeekDecoder) Decode(ctx context.Context, r io.Reader, sink Sink) error {
	d.h.reset()
	d.seen = false
	lr := newLineReader(r)
	var n int64
	for {
		line, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if lr.num == 1 {
			// Zeek writes no byte order mark, but editors on Windows do.
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		if lr.tooLong {
			n++
			sink.Reject(lr.num, tooLongReason)
			continue
		}
		t := bytes.TrimLeft(line, " \t")
		if len(bytes.TrimSpace(t)) == 0 {
			continue
		}
		if t[0] == '#' {
			if d.header(t, lr.num) {
				d.seen = true
			}
			continue
		}
		n++
		if err := checkCtx(ctx, n); err != nil {
			return err
		}
		var reason string
		switch {
		case t[0] == '{':
			d.seen = true
			reason = d.jsonRecord(line)
		case d.h.cols != nil || d.h.colErr != "" || d.h.sepErr != "":
			reason = d.tsvRecord(line)
		case !d.seen:
			return fmt.Errorf("zeek: line %d is neither a JSON object nor a row under a #fields header: not a Zeek log (check --format)", lr.num)
		case d.h.started:
			reason = "row before any #fields header names its columns"
		default:
			reason = "not a JSON object; a Zeek JSON log holds one object per line"
		}
		if reason == "" {
			reason = d.build(&d.e, line, lr.num)
		}
		if reason != "" {
			sink.Reject(lr.num, reason)
			continue
		}
		if err := sink.Event(&d.e); err != nil {
			return err
		}
	}
}

// header reads one "#" line and reports whether it is a Zeek directive;
// other "#" lines are comments.
func (d *zeekDecoder) header(t []byte, num int64) bool {
	h := &d.h
	if rest, ok := bytes.CutPrefix(t, []byte("#separator")); ok {
		// The separator itself is not known yet, so Zeek puts a space here.
		h.reset()
		h.started = true
		if len(rest) < 2 || (rest[0] != ' ' && rest[0] != '\t') {
			h.sepErr = fmt.Sprintf("the #separator header at line %d gives no separator", num)
			return true
		}
		h.sep = zeekUnescapeBytes(nil, bytes.TrimRight(rest[1:], "\r"))
		if len(h.sep) == 0 {
			h.sepErr = fmt.Sprintf("the #separator header at line %d gives no separator", num)
		}
		return true
	}
	name, rest, _ := bytes.Cut(t, h.sep)
	switch string(name) {
	case "#set_separator":
		if s := zeekUnescapeBytes(nil, rest); len(s) > 0 {
			h.setSep = s
		}
	case "#empty_field":
		h.empty = zeekUnescapeBytes(nil, rest)
	case "#unset_field":
		h.unset = zeekUnescapeBytes(nil, rest)
	case "#path":
		h.path = d.internBytes(zeekUnescapeBytes(d.unesc[:0], rest))
	case "#open", "#close":
	case "#fields":
		h.cols = h.cols[:0:0] // rows already read keep nothing of the old slice
		h.line = num
		h.colErr = ""
		seen := make(map[string]bool)
		for f := range bytes.SplitSeq(rest, h.sep) {
			name := string(f)
			if name == "" {
				h.colErr = fmt.Sprintf("the #fields header at line %d has an empty field name", num)
			} else if seen[name] {
				h.colErr = fmt.Sprintf("the #fields header at line %d names the field %q twice", num, truncate(name, 64))
			}
			seen[name] = true
			h.cols = append(h.cols, zcol{name: name, ts: name == "ts"})
		}
		ranks := make([]int, len(h.cols))
		for i := range ranks {
			ranks[i] = i
		}
		slices.SortFunc(ranks, func(a, b int) int { return strings.Compare(h.cols[a].name, h.cols[b].name) })
		for r, i := range ranks {
			h.cols[i].rank = r
		}
	case "#types":
		if h.cols == nil {
			h.colErr = fmt.Sprintf("the #types header at line %d comes before any #fields header", num)
			return true
		}
		types := bytes.Split(rest, h.sep)
		if len(types) != len(h.cols) {
			h.colErr = fmt.Sprintf("the #types header at line %d names %d types for the %d fields of line %d", num, len(types), len(h.cols), h.line)
			return true
		}
		for i, t := range types {
			h.cols[i].typ, h.cols[i].list = parseZeekType(string(t))
		}
	default:
		return false
	}
	h.started = true
	return true
}

func (d *zeekDecoder) resetRecord() {
	d.vals = d.vals[:0]
	d.strs = d.strs[:0]
	d.ts = time.Time{}
	d.hasTS = false
	d.recPath = ""
	d.ranked = false
}

// tsvRecord reads one TSV row into d.vals, checking each value against its
// column's type.
func (d *zeekDecoder) tsvRecord(line []byte) string {
	h := &d.h
	if h.sepErr != "" {
		return h.sepErr
	}
	if h.colErr != "" {
		return h.colErr
	}
	d.resetRecord()
	d.ranked = true
	d.recPath = h.path
	d.cells = d.cells[:0]
	for c := range bytes.SplitSeq(line, h.sep) {
		d.cells = append(d.cells, c)
	}
	if len(d.cells) != len(h.cols) {
		return fmt.Sprintf("row has %d fields; the #fields header at line %d names %d", len(d.cells), h.line, len(h.cols))
	}
	for i, c := range d.cells {
		col := &h.cols[i]
		if bytes.Equal(c, h.unset) {
			continue
		}
		if col.ts {
			t, err := parseZeekEpoch(c)
			if err != nil && len(c) >= 10 && c[4] == '-' {
				t, err = parseTime(c) // a converter's ISO 8601 column
			}
			if err != nil {
				return "field ts: " + err.Error()
			}
			d.ts, d.hasTS = t, true
			continue
		}
		v := zval{key: col.name, rank: col.rank}
		if col.list {
			v.kind = zStrs
			v.lo = len(d.strs)
			if !bytes.Equal(c, h.empty) {
				for el := range bytes.SplitSeq(c, h.setSep) {
					s, err := d.tsvElem(col.typ, el)
					if err != "" {
						return fmt.Sprintf("field %s: %s", col.name, err)
					}
					d.strs = append(d.strs, s)
				}
			}
			v.hi = len(d.strs)
			d.vals = append(d.vals, v)
			continue
		}
		switch col.typ {
		case ztString, ztAddr, ztSubnet:
			v.kind = zStr
			if !bytes.Equal(c, h.empty) {
				v.s = d.zeekString(c)
			}
			if col.typ == ztAddr {
				if _, err := zeekAddr(v.s); err != nil {
					return fmt.Sprintf("field %s: %v", col.name, err)
				}
			} else if col.typ == ztSubnet {
				if _, err := netip.ParsePrefix(v.s); err != nil {
					return fmt.Sprintf("field %s: invalid subnet %q", col.name, truncate(v.s, 64))
				}
			}
		case ztCount, ztInt, ztPort:
			if !zeekInteger(&v, c) || (col.typ != ztInt && v.n < 0) ||
				(col.typ == ztPort && (v.kind != zInt || v.n > 65535)) {
				return fmt.Sprintf("field %s: invalid %s %q", col.name, ztypeName(col.typ), truncate(string(c), 32))
			}
		case ztDouble:
			f, err := strconv.ParseFloat(bstr(c), 64)
			if err != nil {
				return fmt.Sprintf("field %s: invalid number %q", col.name, truncate(string(c), 32))
			}
			v.kind, v.f = zFloat, roundMicro(f)
		case ztTime:
			t, err := parseZeekEpoch(c)
			if err != nil {
				return fmt.Sprintf("field %s: %v", col.name, err)
			}
			v.kind, v.f = zFloat, float64(t.UnixMicro())/1e6
		case ztBool:
			switch string(c) {
			case "T":
				v.b = true
			case "F":
			default:
				return fmt.Sprintf("field %s: invalid bool %q (want T or F)", col.name, truncate(string(c), 32))
			}
			v.kind = zBool
		}
		d.vals = append(d.vals, v)
	}
	return ""
}

func ztypeName(t ztype) string {
	switch t {
	case ztCount:
		return "count"
	case ztInt:
		return "integer"
	case ztPort:
		return "port"
	}
	return "value"
}

// tsvElem normalizes one set or vector element so that it reads the same as
// the JSON writer's array element.
func (d *zeekDecoder) tsvElem(typ ztype, el []byte) (string, string) {
	switch typ {
	case ztDouble:
		f, err := strconv.ParseFloat(bstr(el), 64)
		if err != nil {
			return "", fmt.Sprintf("invalid number %q", truncate(string(el), 32))
		}
		return strconv.FormatFloat(roundMicro(f), 'g', -1, 64), ""
	case ztTime:
		t, err := parseZeekEpoch(el)
		if err != nil {
			return "", err.Error()
		}
		return strconv.FormatFloat(float64(t.UnixMicro())/1e6, 'g', -1, 64), ""
	case ztBool:
		switch string(el) {
		case "T":
			return "true", ""
		case "F":
			return "false", ""
		}
		return "", fmt.Sprintf("invalid bool %q (want T or F)", truncate(string(el), 32))
	case ztAddr:
		s := d.zeekString(el)
		if _, err := zeekAddr(s); err != nil {
			return "", err.Error()
		}
		return s, ""
	}
	return d.zeekString(el), ""
}

// zeekInteger reads an integer into v: zInt, or zBigInt for unsigned counts
// beyond int64.
func zeekInteger(v *zval, b []byte) bool {
	if n, ok := parseInt(b); ok {
		v.kind, v.n = zInt, n
		return true
	}
	if len(b) == 0 || len(b) > 20 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	v.kind, v.s = zBigInt, bstr(b)
	return true
}

// zeekString undoes the TSV writer's \xNN escapes. Bytes that do not form
// UTF-8 are spelled \xNN again, which is how Zeek's JSON writer writes them,
// so that both forms carry the same text.
func (d *zeekDecoder) zeekString(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b) {
		return bstr(b)
	}
	d.unesc = zeekUnescapeBytes(d.unesc[:0], b)
	if utf8.Valid(d.unesc) {
		return string(d.unesc)
	}
	out := make([]byte, 0, len(d.unesc)+16)
	for s := d.unesc; len(s) > 0; {
		r, size := utf8.DecodeRune(s)
		if r == utf8.RuneError && size == 1 {
			out = append(out, '\\', 'x', hexLower[s[0]>>4], hexLower[s[0]&0xf])
		} else {
			out = append(out, s[:size]...)
		}
		s = s[size:]
	}
	return string(out)
}

const hexLower = "0123456789abcdef"

// zeekUnescapeBytes appends b to dst with every \xNN replaced by its byte.
func zeekUnescapeBytes(dst, b []byte) []byte {
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+3 < len(b) && b[i+1] == 'x' {
			hi, ok1 := unhex(b[i+2])
			lo, ok2 := unhex(b[i+3])
			if ok1 && ok2 {
				dst = append(dst, hi<<4|lo)
				i += 3
				continue
			}
		}
		dst = append(dst, b[i])
	}
	return dst
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// roundMicro rounds to six decimals, the precision of the TSV writer, so
// that a JSON double and its TSV spelling give the same float. Values too
// large to round exactly are left alone.
func roundMicro(f float64) float64 {
	if math.Abs(f) >= 9e9 {
		return f
	}
	return math.Round(f*1e6) / 1e6
}

// parseZeekEpoch reads a Zeek time in epoch seconds. Digits beyond the
// microsecond are rounded (the JSON writer prints the shortest spelling of
// the double, which may have a seventh digit); a JSON integer of twelve or
// more digits is LogAscii::json_timestamps=JSON::TS_MILLIS.
func parseZeekEpoch(b []byte) (time.Time, error) {
	if len(b) > 0 && b[0] == '-' {
		return time.Time{}, fmt.Errorf("negative time %q", truncate(string(b), 32))
	}
	intPart, frac, dot := bytes.Cut(b, []byte{'.'})
	if !dot && len(intPart) >= 12 && !bytes.ContainsAny(b, "eE") {
		ms, ok := parseInt(intPart)
		if !ok || len(intPart) > 15 {
			return time.Time{}, fmt.Errorf("invalid epoch time %q", truncate(string(b), 32))
		}
		return time.UnixMilli(ms).UTC(), nil
	}
	t, err := parseEpoch(b)
	if err != nil {
		return t, err
	}
	if len(frac) > 6 && frac[6] >= '5' && frac[6] <= '9' && !bytes.ContainsAny(frac, "eE") {
		t = t.Add(time.Microsecond)
	}
	return t, nil
}

// isZeekISOTime reports whether s is a time as Zeek's JSON writer spells it
// under JSON::TS_ISO8601 ("2024-03-01T12:00:00.123456Z"): strict enough that
// an ordinary string field is never mistaken for one.
func isZeekISOTime(s []byte) bool {
	if len(s) < 20 || s[len(s)-1] != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
		s[13] != ':' || s[16] != ':' {
		return false
	}
	if len(s) > 20 && s[19] != '.' {
		return false
	}
	for i, c := range s[:len(s)-1] {
		switch i {
		case 4, 7, 10, 13, 16, 19:
			continue
		}
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func zeekAddr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("invalid IP address %q", truncate(s, 64))
	}
	return a.Unmap(), nil
}

// jsonRecord reads one JSON object into d.vals.
func (d *zeekDecoder) jsonRecord(line []byte) string {
	d.resetRecord()
	var it objIter
	if !it.reset(line) {
		return "invalid JSON: " + it.err.Error()
	}
	return d.jsonObject(&it, "", 0)
}

// maxZeekDepth bounds nested objects; Zeek itself writes none, but some
// shippers nest "id": {"orig_h": ...}, which is flattened to "id.orig_h".
const maxZeekDepth = 4

func (d *zeekDecoder) jsonObject(it *objIter, prefix string, depth int) string {
	for it.next() {
		kb := it.key
		if it.keyEsc {
			s, ok := unescape(kb)
			if !ok {
				return fmt.Sprintf("invalid escape in member name %q", truncate(string(kb), 64))
			}
			kb = []byte(s)
		}
		if prefix != "" {
			d.keyBuf = append(append(append(d.keyBuf[:0], prefix...), '.'), kb...)
			kb = d.keyBuf
		}
		key, kidx := d.keyName(kb)
		val := it.val
		if len(val) == 0 {
			return fmt.Sprintf("member %q has no value", truncate(key, 64))
		}
		if key == "ts" {
			if d.hasTS {
				return `duplicate member "ts"`
			}
			if jsonIsNull(val) {
				continue
			}
			b := val
			var t time.Time
			var err error
			if s, ok := jsonStrBytes(val); ok {
				b = s
				if len(b) > 0 && b[0] >= '0' && b[0] <= '9' && bytes.IndexByte(b, '-') < 0 {
					t, err = parseZeekEpoch(b)
				} else {
					t, err = parseTime(b)
				}
			} else {
				t, err = parseZeekEpoch(b)
			}
			if err != nil {
				return "field ts: " + err.Error()
			}
			d.ts, d.hasTS = t, true
			continue
		}
		if key == "_path" && prefix == "" {
			// The TSV form carries this in #path, not in a column.
			if s, ok := jsonStrBytes(val); ok {
				d.recPath = d.internBytes(s)
				continue
			}
		}
		v := zval{key: key, rank: kidx}
		switch c := val[0]; {
		case c == '{':
			if depth >= maxZeekDepth {
				return fmt.Sprintf("member %q is nested too deeply", truncate(key, 64))
			}
			var sub objIter
			sub.reset(val)
			if r := d.jsonObject(&sub, key, depth+1); r != "" {
				return r
			}
			continue
		case c == '"':
			body := val[1 : len(val)-1]
			if isZeekISOTime(body) {
				t, err := parseTime(body)
				if err != nil {
					return fmt.Sprintf("field %s: %v", key, err)
				}
				v.kind, v.f = zFloat, float64(t.UnixMicro())/1e6
				break
			}
			v.kind = zStr
			if bytes.IndexByte(body, '\\') < 0 {
				v.s = bstr(body)
			} else {
				s, ok := unescape(body)
				if !ok {
					return fmt.Sprintf("field %s: invalid escape in string", truncate(key, 64))
				}
				v.s = s
			}
		case c == '[':
			v.kind = zStrs
			v.lo = len(d.strs)
			var ai arrIter
			ai.reset(val)
			for ai.next() {
				s, ok := jsonElem(ai.val)
				if !ok {
					return fmt.Sprintf("field %s: invalid array element %q", truncate(key, 64), truncate(string(ai.val), 32))
				}
				d.strs = append(d.strs, s)
			}
			if ai.err != nil {
				return fmt.Sprintf("field %s: %v", truncate(key, 64), ai.err)
			}
			v.hi = len(d.strs)
		case c == 't':
			v.kind, v.b = zBool, true
		case c == 'f':
			v.kind = zBool
		case c == 'n':
			continue // null: unset
		default:
			if !jsonNumber(&v, val) {
				return fmt.Sprintf("field %s: invalid number %q", truncate(key, 64), truncate(string(val), 32))
			}
		}
		d.vals = append(d.vals, v)
	}
	if it.err != nil {
		return "invalid JSON: " + it.err.Error()
	}
	return ""
}

// jsonNumber reads a JSON number into v the way zeekInteger and the TSV
// double types do.
func jsonNumber(v *zval, b []byte) bool {
	if !bytes.ContainsAny(b, ".eE") {
		return zeekInteger(v, b)
	}
	f, err := strconv.ParseFloat(bstr(b), 64)
	if err != nil {
		return false
	}
	v.kind, v.f = zFloat, roundMicro(f)
	return true
}

// jsonElem turns one array element into the text tsvElem gives for it.
func jsonElem(b []byte) (string, bool) {
	switch b[0] {
	case '"':
		body := b[1 : len(b)-1]
		if isZeekISOTime(body) {
			if t, err := parseTime(body); err == nil {
				return strconv.FormatFloat(float64(t.UnixMicro())/1e6, 'g', -1, 64), true
			}
		}
		if bytes.IndexByte(body, '\\') < 0 {
			return bstr(body), true
		}
		return unescape(body)
	case 't':
		return "true", true
	case 'f':
		return "false", true
	case 'n':
		return "-", true
	case '{', '[':
		return bstr(b), true
	}
	var v zval
	if !jsonNumber(&v, b) {
		return "", false
	}
	if v.kind == zFloat {
		return strconv.FormatFloat(v.f, 'g', -1, 64), true
	}
	return bstr(b), true
}

// internBytes returns b as a string that may be kept, sharing the storage of
// names and values that repeat (field names, notes, log types).
func (d *zeekDecoder) internBytes(b []byte) string {
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.intern) < 4096 && len(s) <= 256 {
		d.intern[s] = s
	}
	return s
}

func (d *zeekDecoder) internStr(s string) string {
	if k, ok := d.intern[s]; ok {
		return k
	}
	s = strings.Clone(s)
	if len(d.intern) < 4096 && len(s) <= 256 {
		d.intern[s] = s
	}
	return s
}

type zeekKey struct {
	name string
	rank int
}

// maxZeekKeys bounds the JSON member names ranked; a log has a few dozen,
// so more means hostile input, which falls back to sorting.
const maxZeekKeys = 1024

// keyName returns a member name as a string that may be kept, and its index
// in d.keys (-1 when there are too many names to track).
func (d *zeekDecoder) keyName(b []byte) (string, int) {
	if i, ok := d.keyIdx[string(b)]; ok {
		return d.keys[i].name, i
	}
	if d.keyIdx == nil {
		d.keyIdx = make(map[string]int)
	}
	s := string(b)
	if len(d.keys) >= maxZeekKeys {
		return s, -1
	}
	d.keyIdx[s] = len(d.keys)
	d.keys = append(d.keys, zeekKey{name: s, rank: -1})
	d.keysDirt = true
	return s, len(d.keys) - 1
}

// find returns the index of the field named key that is not yet mapped,
// or -1.
func (d *zeekDecoder) find(key string) int {
	for i := range d.vals {
		if d.vals[i].key == key && !d.vals[i].used {
			return i
		}
	}
	return -1
}

func (d *zeekDecoder) str(i int) (string, bool) {
	if i < 0 || d.vals[i].kind != zStr {
		return "", false
	}
	return d.vals[i].s, true
}

// addr reads the address field named key, if present.
func (d *zeekDecoder) addr(key string) (int, netip.Addr, string) {
	i := d.find(key)
	if i < 0 {
		return -1, netip.Addr{}, ""
	}
	s, ok := d.str(i)
	if !ok {
		return -1, netip.Addr{}, fmt.Sprintf("field %s: want an IP address string", key)
	}
	a, err := zeekAddr(s)
	if err != nil {
		return -1, netip.Addr{}, fmt.Sprintf("field %s: %v", key, err)
	}
	return i, a, ""
}

// port reads the port field named key, if present.
func (d *zeekDecoder) port(key string) (int, uint16, string) {
	i := d.find(key)
	if i < 0 {
		return -1, 0, ""
	}
	v := &d.vals[i]
	switch v.kind {
	case zInt:
		if v.n >= 0 && v.n <= 65535 {
			return i, uint16(v.n), ""
		}
	case zStr:
		p, err := parsePort([]byte(v.s))
		if err == nil {
			return i, p, ""
		}
		return -1, 0, fmt.Sprintf("field %s: %v", key, err)
	}
	return -1, 0, fmt.Sprintf("field %s: invalid port %s", key, d.describe(v))
}

// describe spells a value for a rejection reason.
func (d *zeekDecoder) describe(v *zval) string {
	switch v.kind {
	case zInt:
		return strconv.FormatInt(v.n, 10)
	case zFloat:
		return strconv.FormatFloat(v.f, 'g', -1, 64)
	case zBool:
		return strconv.FormatBool(v.b)
	case zStrs:
		return "(an array)"
	}
	return strconv.Quote(truncate(v.s, 32))
}

// zeekEnds are the two sides of a record: the originator and the responder
// of its connection, or for a notice its src and dst.
type zeekEnds struct {
	orig, resp         netip.Addr
	origPort, respPort uint16
}

// ends reads the connection's addresses. For notices, src, dst and p come
// first (Zeek fills them from the connection when the script gave none);
// an id.* value they contradict stays in Extra. For ICMP, Zeek stores the
// message type and code in the port fields; they are not ports, so they stay
// in Extra too.
func (d *zeekDecoder) ends(notice bool, icmp bool) (zeekEnds, string) {
	var z zeekEnds
	oi, oh, r1 := d.addr("id.orig_h")
	ri, rh, r2 := d.addr("id.resp_h")
	opi, op, r3 := d.port("id.orig_p")
	rpi, rp, r4 := d.port("id.resp_p")
	for _, r := range []string{r1, r2, r3, r4} {
		if r != "" {
			return z, r
		}
	}
	var si, di, pi = -1, -1, -1
	var src, dst netip.Addr
	var p uint16
	if notice {
		var r5, r6, r7 string
		si, src, r5 = d.addr("src")
		di, dst, r6 = d.addr("dst")
		pi, p, r7 = d.port("p")
		for _, r := range []string{r5, r6, r7} {
			if r != "" {
				return z, r
			}
		}
	}
	use := func(i int) {
		if i >= 0 {
			d.vals[i].used = true
		}
	}
	// An id.* address belongs to the notice's side when src/dst is absent
	// or names the same address; its port then belongs there too.
	origID := oi >= 0 && (si < 0 || oh == src)
	respID := ri >= 0 && (di < 0 || rh == dst)
	switch {
	case si >= 0:
		z.orig = src
		use(si)
	case oi >= 0:
		z.orig = oh
	}
	if origID {
		use(oi)
	}
	if !icmp && opi >= 0 && (origID || (oi < 0 && si < 0)) {
		z.origPort = op
		use(opi)
	}
	switch {
	case di >= 0:
		z.resp = dst
		use(di)
	case ri >= 0:
		z.resp = rh
	}
	if respID {
		use(ri)
	}
	portSide := respID || (ri < 0 && di < 0)
	switch {
	case pi >= 0:
		z.respPort = p
		use(pi)
		if rpi >= 0 && rp == p && portSide {
			use(rpi)
		}
	case !icmp && rpi >= 0 && portSide:
		z.respPort = rp
		use(rpi)
	}
	return z, ""
}

// zeekHostLogs name the address a log is about when it has no connection.
var zeekHostLogs = map[string]struct{ host, port string }{
	"known_hosts":    {"host", ""},
	"known_services": {"host", "port_num"},
	"known_certs":    {"host", "port_num"},
	"software":       {"host", "host_p"},
}

// zeekAppLogs are protocol logs whose name is the application protocol.
var zeekAppLogs = map[string]string{
	"dns": "dns", "http": "http", "ssh": "ssh", "ssl": "ssl", "smtp": "smtp", "ftp": "ftp",
	"rdp": "rdp", "sip": "sip", "snmp": "snmp", "dhcp": "dhcp", "ntp": "ntp", "irc": "irc",
	"mysql": "mysql", "radius": "radius", "kerberos": "krb", "modbus": "modbus", "dnp3": "dnp3",
	"quic": "quic", "smb_files": "smb", "smb_mapping": "smb", "socks": "socks", "rfb": "rfb",
}

func zeekTransport(s string) string {
	switch s {
	case "tcp":
		return "tcp"
	case "udp":
		return "udp"
	case "icmp":
		return "icmp"
	}
	return ""
}

// build turns d.vals into d.e. It returns a rejection reason, or "".
func (d *zeekDecoder) build(e *event.Event, line []byte, num int64) string {
	e.Reset()
	e.Raw = append(e.Raw, line...)
	e.Line = num
	e.Feed.Name = d.feed
	e.TLP = d.tlp
	if d.hasTS {
		e.TimeSource = d.ts
	}

	if reason := d.sortFields(); reason != "" {
		return reason
	}

	path := d.recPath
	if path == "" {
		path = d.namePath
	}
	if path == "" {
		switch {
		case d.find("note") >= 0:
			path = "notice"
		case d.find("conn_state") >= 0 || d.find("history") >= 0:
			path = "conn"
		}
	}
	e.Feed.Code = path

	transport := ""
	if i := d.find("proto"); i >= 0 {
		if s, ok := d.str(i); ok {
			if transport = zeekTransport(s); transport != "" {
				d.vals[i].used = true
			}
		}
	}
	e.Transport = transport

	var reason string
	if path == "notice" || path == "notice_alarm" {
		reason = d.mapNotice(e)
	} else {
		reason = d.mapObservation(e, path)
	}
	if reason != "" {
		return reason
	}

	for _, i := range d.order {
		v := &d.vals[i]
		if v.used {
			continue
		}
		switch v.kind {
		case zStr:
			e.PutString(v.key, v.s)
		case zInt:
			e.PutInt(v.key, v.n)
		case zFloat:
			e.PutFloat(v.key, v.f)
		case zBool:
			e.PutBool(v.key, v.b)
		case zStrs:
			e.PutStrings(v.key, d.strs[v.lo:v.hi])
		case zBigInt:
			e.PutJSON(v.key, []byte(v.s))
		}
	}
	if err := e.Validate(); err != nil {
		return err.Error()
	}
	return ""
}

// sortFields puts in d.order the fields sorted by name: Extra is written
// in that order, and duplicates are found on the way. Names carry a rank
// (the TSV column's, or the JSON member name's among all names seen), so
// ordering is a bucket pass; sorting is only the fallback.
func (d *zeekDecoder) sortFields() string {
	vals := d.vals
	d.order = d.order[:0]
	n := len(d.h.cols)
	if !d.ranked {
		if d.keysDirt {
			idx := make([]int, len(d.keys))
			for i := range idx {
				idx[i] = i
			}
			slices.SortFunc(idx, func(a, b int) int { return strings.Compare(d.keys[a].name, d.keys[b].name) })
			for r, i := range idx {
				d.keys[i].rank = r
			}
			d.keysDirt = false
		}
		n = len(d.keys)
		for i := range vals {
			if vals[i].rank < 0 {
				return d.sortSlow()
			}
		}
	}
	d.slots = slices.Grow(d.slots[:0], n)[:n]
	for i := range d.slots {
		d.slots[i] = -1
	}
	for i := range vals {
		r := vals[i].rank
		if !d.ranked {
			r = d.keys[r].rank
		}
		if d.slots[r] >= 0 {
			return fmt.Sprintf("duplicate field %q", truncate(vals[i].key, 64))
		}
		d.slots[r] = i
	}
	for _, i := range d.slots {
		if i >= 0 {
			d.order = append(d.order, i)
		}
	}
	return ""
}

func (d *zeekDecoder) sortSlow() string {
	vals := d.vals
	for i := range vals {
		d.order = append(d.order, i)
	}
	slices.SortFunc(d.order, func(a, b int) int { return strings.Compare(vals[a].key, vals[b].key) })
	for k := 1; k < len(d.order); k++ {
		if vals[d.order[k]].key == vals[d.order[k-1]].key {
			return fmt.Sprintf("duplicate field %q", truncate(vals[d.order[k]].key, 64))
		}
	}
	return ""
}

// mapObservation maps a context log: conn, and every log but notice.
func (d *zeekDecoder) mapObservation(e *event.Event, path string) string {
	e.Kind = event.Observation
	z, reason := d.ends(false, e.Transport == "icmp")
	if reason != "" {
		return reason
	}
	if spec, ok := zeekHostLogs[path]; ok && !z.orig.IsValid() {
		i, a, reason := d.addr(spec.host)
		if reason != "" {
			return reason
		}
		if i >= 0 {
			z.orig = a
			d.vals[i].used = true
			if spec.port != "" {
				pi, p, reason := d.port(spec.port)
				if reason != "" {
					return reason
				}
				if pi >= 0 {
					z.origPort = p
					d.vals[pi].used = true
				}
			}
		}
		if e.Transport == "" {
			if pi := d.find("port_proto"); pi >= 0 {
				if s, ok := d.str(pi); ok && zeekTransport(s) != "" {
					e.Transport = zeekTransport(s)
					d.vals[pi].used = true
				}
			}
		}
	}
	e.Source.IP, e.Source.Port = z.orig, z.origPort
	e.Destination.IP, e.Destination.Port = z.resp, z.respPort
	if path == "conn" {
		// The full service list stays in Extra ("ssl,http"); the event
		// names the first analyzer that confirmed the protocol. Zeek 6
		// marks analyzers that failed with a leading '-'.
		if s, ok := d.str(d.find("service")); ok {
			for el := range strings.SplitSeq(s, ",") {
				if el != "" && el[0] != '-' {
					e.Application = d.internStr(el)
					break
				}
			}
		}
	} else if app, ok := zeekAppLogs[path]; ok {
		e.Application = app
	}
	return ""
}

// noticeLayout says which side of a notice the incident is about.
type noticeLayout uint8

const (
	// layoutOrig: the originator (src) is the actor, e.g. the scanner.
	layoutOrig noticeLayout = iota
	// layoutServer: the incident is about the responder (dst), the server
	// of a TLS connection whose certificate or parameters are weak.
	layoutServer
	// layoutVictim: src names the victim of the attack.
	layoutVictim
	// layoutFile: the host that sent a malicious file (see mapNotice).
	layoutFile
	// layoutIntel: the side that matched the intelligence indicator.
	layoutIntel
)

// noticeRule is what a note means. obs marks operational notes, which
// become observations.
type noticeRule struct {
	class  event.Class
	obs    bool
	layout noticeLayout
}

// zeekNotes classifies the notes of Zeek's own scripts and of common
// packages. Reasons for the less obvious entries:
//
//   - Scan::* (Port_Scan, Address_Scan) and ICMP scans: src is the scanner,
//     dst (Port_Scan) the scanned host, p (Address_Scan) the scanned port.
//   - SSH::Password_Guessing, FTP::Bruteforcing, and SSH::Login_By_Password_
//     Guesser (a guesser that then logged in): brute force by src.
//   - HTTP::SQL_Injection_Attacker: src sent SQL injection attempts.
//     HTTP::SQL_Injection_Victim is the same attack seen from the other
//     side: Zeek puts the attacked server in src. Classed as exploit, with
//     that address as the destination (the target): naming it the source
//     would count the victim as an attacker, and calling it vulnerable
//     would claim more than the notice knows (it was attacked, not
//     necessarily breached).
//   - Heartbleed::*: the originator sent malformed heartbeats; the rare
//     case of a malicious server attacking a client is not told apart.
//   - SSL::Invalid_Server_Cert, Certificate_Expired, Certificate_Not_Valid_Yet,
//     Weak_Key, Old_Version, Weak_Cipher: Zeek raises them with the
//     connection, so src is the client and dst the server; the weakness is
//     the server's, so the server becomes the source of a vulnerable/weak-
//     crypto event and the client the (roleless) destination.
//     SSL::Certificate_Expires_Soon is not yet a weakness: observation.
//   - Software::Vulnerable_Version: src runs the vulnerable software.
//   - TeamCymruMalwareHashRegistry::Match: a file whose hash the registry
//     knows as malware crossed the connection; the sender of the file is
//     the distribution point (see mapNotice for which side that is).
//   - Intel::Notice: an indicator matched; the matching address is the
//     source when the message names it.
//   - Signatures::Sensitive_Signature, Multiple_Signatures, Count_Signature,
//     Multiple_Sig_Responders are signature hits about a host: ids-alert.
//     Signatures::Signature_Summary is a periodic summary: observation.
//   - Operational notes say something about the sensor or benign network
//     behaviour, not an attack: CaptureLoss::*, PacketFilter::*, Weird::*,
//     Reporter::*, Notice::Tally, Conn::Retransmission_Inconsistency,
//     Conn::Content_Gap, ProtocolDetector::*, Software::Software_Version_
//     Change, Traceroute::Detected (path diagnostics, run daily by
//     administrators; counting it as scanning would inflate the figures).
//
// Notes not listed are matched by name (zeekNoteByName), and anything else
// is intrusion-attempts/ids-alert: a notice is something a Zeek script
// thought worth raising.
var zeekNotes = map[string]noticeRule{
	"Scan::Port_Scan":                     {class: event.ClassScanner},
	"Scan::Address_Scan":                  {class: event.ClassScanner},
	"SSH::Password_Guessing":              {class: event.ClassBruteForce},
	"SSH::Login_By_Password_Guesser":      {class: event.ClassBruteForce},
	"FTP::Bruteforcing":                   {class: event.ClassBruteForce},
	"HTTP::SQL_Injection_Attacker":        {class: event.ClassExploit},
	"HTTP::SQL_Injection_Victim":          {class: event.ClassExploit, layout: layoutVictim},
	"SSL::Invalid_Server_Cert":            {class: event.ClassWeakCrypto, layout: layoutServer},
	"SSL::Certificate_Expired":            {class: event.ClassWeakCrypto, layout: layoutServer},
	"SSL::Certificate_Not_Valid_Yet":      {class: event.ClassWeakCrypto, layout: layoutServer},
	"SSL::Weak_Key":                       {class: event.ClassWeakCrypto, layout: layoutServer},
	"SSL::Old_Version":                    {class: event.ClassWeakCrypto, layout: layoutServer},
	"SSL::Weak_Cipher":                    {class: event.ClassWeakCrypto, layout: layoutServer},
	"SSL::Certificate_Expires_Soon":       {obs: true},
	"Software::Vulnerable_Version":        {class: event.ClassVulnerable},
	"Software::Software_Version_Change":   {obs: true},
	"TeamCymruMalwareHashRegistry::Match": {class: event.ClassMalwareDist, layout: layoutFile},
	"Intel::Notice":                       {class: event.ClassIDSAlert, layout: layoutIntel},
	"Signatures::Signature_Summary":       {obs: true},
	"Notice::Tally":                       {obs: true},
	"Conn::Retransmission_Inconsistency":  {obs: true},
	"Conn::Content_Gap":                   {obs: true},
	"Traceroute::Detected":                {obs: true},
}

// zeekOpsModules are modules whose every note is operational.
var zeekOpsModules = map[string]bool{
	"CaptureLoss": true, "PacketFilter": true, "Weird": true, "Reporter": true,
	"ProtocolDetector": true, "Cluster": true, "Broker": true,
}

func classifyNote(note string) noticeRule {
	if r, ok := zeekNotes[note]; ok {
		return r
	}
	module, name, _ := strings.Cut(note, "::")
	switch {
	case zeekOpsModules[module]:
		return noticeRule{obs: true}
	case module == "Scan":
		return noticeRule{class: event.ClassScanner}
	case module == "Heartbleed":
		return noticeRule{class: event.ClassExploit}
	}
	return zeekNoteByName(name)
}

// zeekNoteByName classifies notes of site scripts and packages by the words
// their authors use: ICMP::ICMPAddressScan, SSH::Bruteforcing, a package's
// ShellShock::Exploit.
func zeekNoteByName(name string) noticeRule {
	low := strings.ToLower(name)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(low, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("scan"):
		return noticeRule{class: event.ClassScanner}
	case has("guess", "brute"):
		return noticeRule{class: event.ClassBruteForce}
	case has("exploit", "injection", "shellshock", "log4j", "heartbleed"):
		return noticeRule{class: event.ClassExploit}
	}
	return noticeRule{class: event.ClassIDSAlert}
}

// zeekMailPorts carry SMTP, where the originator sends the files.
var zeekMailPorts = map[uint16]bool{25: true, 465: true, 587: true}

// mapNotice maps a notice.log record; see zeekNotes for the classification.
func (d *zeekDecoder) mapNotice(e *event.Event) string {
	note := ""
	if i := d.find("note"); i >= 0 {
		if s, ok := d.str(i); ok {
			note = d.internStr(s)
			d.vals[i].used = true
		}
	}
	e.Identifier = note
	if i := d.find("msg"); i >= 0 {
		if s, ok := d.str(i); ok {
			e.Text = strings.Clone(s)
			d.vals[i].used = true
		}
	}
	z, reason := d.ends(true, e.Transport == "icmp")
	if reason != "" {
		return reason
	}
	rule := classifyNote(note)
	src := event.Endpoint{IP: z.orig, Port: z.origPort}
	dst := event.Endpoint{IP: z.resp, Port: z.respPort}
	switch rule.layout {
	case layoutOrig:
		// The originator is the actor: the connection's sides as read.
	case layoutServer, layoutVictim:
		src, dst = dst, src
	case layoutFile:
		// The registry matched a file seen on the connection. Files
		// mostly flow from responder to originator (HTTP and FTP
		// downloads), so the responder sent it; over SMTP the
		// originator does. A URL in file_desc (HTTP) names the source.
		if !z.resp.IsValid() || zeekMailPorts[z.respPort] {
			break
		}
		src, dst = dst, src
	case layoutIntel:
		// Zeek's message is "Intel hit on <indicator> at <where>".
		if rest, ok := strings.CutPrefix(e.Text, "Intel hit on "); ok {
			ind, _, _ := strings.Cut(rest, " ")
			if a, err := netip.ParseAddr(ind); err == nil && a.Unmap() == z.resp && z.resp != z.orig {
				src, dst = dst, src
			}
		}
	}
	if rule.layout == layoutFile {
		if i := d.find("file_desc"); i >= 0 {
			if s, ok := d.str(i); ok && (strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "ftp://")) {
				src.URL = strings.Clone(s)
				d.vals[i].used = true
			}
		}
	}
	e.Source, e.Destination = src, dst
	if rule.obs || (!src.IP.IsValid() && !dst.IP.IsValid() && src.URL == "") {
		// An incident needs an address; a notice without one (a script
		// that raised it for a whole network) stays as context, its note
		// in the identifier.
		e.Kind = event.Observation
		return ""
	}
	if rule.layout == layoutVictim {
		e.Destination.Role = event.RoleTarget
	}
	e.SetClass(rule.class)
	// Roles belong to addresses; a side the notice leaves empty plays none.
	if !e.Source.IP.IsValid() && e.Source.URL == "" {
		e.Source.Role = event.RoleNone
	}
	if !e.Destination.IP.IsValid() {
		e.Destination.Role = event.RoleNone
	}
	return ""
}
