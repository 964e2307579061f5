package feed

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

// abuse.ch's Feodo Tracker lists botnet command-and-control servers (Dridex,
// Emotet, TrickBot, QakBot, BazarLoader, Bumblebee, Pikabot, ...) in three
// shapes, all read by the one "feodo" format:
//
//   - CSV (ipblocklist.csv, the aggressive list, and the older layout):
//     a "#" comment block with "# Last updated: ... UTC", a header row
//     "first_seen_utc","dst_ip","dst_port","c2_status","last_online","malware"
//     (older files: Firstseen,DstIP,DstPort,LastOnline,Family, sometimes as a
//     comment), rows, and "# END (n) entries".
//   - JSON (ipblocklist.json): one pretty-printed array of flat objects with
//     ip_address, port, status, hostname, as_number, as_name, country,
//     first_seen, last_online and malware.
//   - Plain text (ipblocklist.txt, ipblocklist_recommended.txt): the comment
//     block, then one IP address per line.
//
// Every entry is a C2 server; following IntelMQ, the listed address is the
// source. abuse.ch's own AS and country go to extra only: Concord enriches
// addresses from its own database so figures name the database they came
// from.

const (
	feodoFeedName = "feodo-tracker"
	feodoProvider = "abuse.ch"
	// feodoMaxJSON bounds the JSON export, which is read whole; the real
	// one is a few megabytes.
	feodoMaxJSON = 256 << 20
	// feodoMaxObject bounds one element of the JSON export; real ones are
	// about 300 bytes.
	feodoMaxObject = 64 << 10
)

func init() {
	register(Format{
		Name:        "feodo",
		Description: "abuse.ch Feodo Tracker botnet C2 IP blocklist (CSV, JSON or plain IP list)",
		Sniff:       sniffFeodo,
		New: func(opts Options) (Decoder, error) {
			return &feodoDecoder{opts: opts}, nil
		},
	})
}

// feodoRole is what a Feodo CSV column holds.
type feodoRole uint8

const (
	feodoExtra feodoRole = iota // kept in extra under its header name
	feodoIP
	feodoPort
	feodoStatus
	feodoFirstSeen
	feodoLastOnline
	feodoMalware
	feodoHostname
	feodoASN
	feodoASName
	feodoCountry
)

// feodoColumnRoles maps header names, lower-cased with everything but
// letters and digits removed, to roles. It covers the current CSV, the older
// "Firstseen,DstIP,DstPort,LastOnline,Family" layout and the JSON member
// names, so that a CSV converted from the JSON export reads the same.
var feodoColumnRoles = map[string]feodoRole{
	"firstseenutc": feodoFirstSeen, "firstseen": feodoFirstSeen,
	"dstip": feodoIP, "ipaddress": feodoIP, "ip": feodoIP,
	"dstport": feodoPort, "port": feodoPort,
	"c2status": feodoStatus, "status": feodoStatus,
	"lastonline": feodoLastOnline,
	"malware":    feodoMalware, "family": feodoMalware,
	"hostname": feodoHostname,
	"asnumber": feodoASN, "asn": feodoASN,
	"asname":  feodoASName,
	"country": feodoCountry,
}

// Rows without a header row are read in the column order abuse.ch used.
var (
	feodoLayout6 = []feodoRole{feodoFirstSeen, feodoIP, feodoPort, feodoStatus, feodoLastOnline, feodoMalware}
	feodoLayout5 = []feodoRole{feodoFirstSeen, feodoIP, feodoPort, feodoLastOnline, feodoMalware}
)

func feodoNormHeader(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		}
	}
	return b.String()
}

// feodoHeaderRoles returns the roles of a header row's columns, or nil when
// fields is not a header (it names no IP address column).
func feodoHeaderRoles(fields []string) []feodoRole {
	if len(fields) < 2 {
		return nil
	}
	roles := make([]feodoRole, len(fields))
	hasIP := false
	for i, f := range fields {
		r, ok := feodoColumnRoles[feodoNormHeader(f)]
		if !ok {
			r = feodoExtra
		}
		if r == feodoIP {
			hasIP = true
		}
		roles[i] = r
	}
	if !hasIP {
		return nil
	}
	return roles
}

// feodoRecord holds one entry's values before they become an event. Empty
// strings mean absent.
type feodoRecord struct {
	ip, port, status, firstSeen, lastOnline, malware string
	hostname, asName, country                        string
	asn                                              string // CSV: text; JSON: the raw number
	extras                                           []feodoExtraValue
}

type feodoExtraValue struct {
	key string
	str string // a CSV value or decoded JSON string
	raw []byte // a JSON value other than a string, already checked
}

func (r *feodoRecord) reset() {
	ex := r.extras[:0]
	*r = feodoRecord{extras: ex}
}

type feodoDecoder struct {
	opts Options
	e    event.Event
	rec  feodoRecord
	// updated is the "# Last updated" time of the export.
	updated time.Time
	// Line mode: the header's roles and names once known.
	roles     []feodoRole
	headerRow []string // the header's fields, trimmed
	header    []string // extra keys: headerRow with names for empty ones
	plain     bool
	seen      bool // a data record (or header) was read
	// malware caches normalized family names, so the common few cost no
	// allocation and kept strings never alias the input.
	malware map[string]string
	tbuf    []byte // scratch for formatting times into extra
}

// Decode implements Decoder.
func (d *feodoDecoder) Decode(ctx context.Context, r io.Reader, sink Sink) error {
	// What one input's header said must not carry over to the next.
	d.updated, d.roles, d.headerRow, d.header, d.plain, d.seen = time.Time{}, nil, nil, nil, false, false
	br := mapPeekable(r)
	head, err := br.Peek(SniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return fmt.Errorf("feed: feodo: read: %w", err)
	}
	if bytes.HasPrefix(head, feodoBOM) {
		br.Discard(len(feodoBOM))
		head = head[len(feodoBOM):]
	}
	if looksBinary(head) {
		return fmt.Errorf("feed: feodo: input looks binary (NUL bytes), not a Feodo Tracker export")
	}
	p := skipWS(head, 0)
	if p < len(head) {
		switch head[p] {
		case '[':
			return d.decodeJSON(ctx, br, sink)
		case '{':
			return fmt.Errorf("feed: feodo: input is a JSON object; Feodo Tracker's ipblocklist.json is an array of objects")
		case '<':
			return fmt.Errorf("feed: feodo: input looks like HTML or XML (a web page?), not a Feodo Tracker export; download ipblocklist.csv, .json or .txt")
		}
	}
	return d.decodeLines(ctx, br, sink)
}

var feodoBOM = []byte{0xef, 0xbb, 0xbf}

// decodeLines reads the CSV and plain-text shapes, which differ only in
// their rows: the first data row decides which one the file is.
func (d *feodoDecoder) decodeLines(ctx context.Context, r io.Reader, sink Sink) error {
	cr := newCSVReader(r, ',', "#")
	cr.onComment = d.comment
	return cr.eachRecord(ctx, sink, "feodo", func(fields []string) (string, error) {
		if !d.seen {
			d.seen = true
			if roles := feodoHeaderRoles(fields); roles != nil {
				d.setHeader(fields, roles)
				return "", nil
			}
			if d.roles == nil && len(fields) == 1 {
				d.plain = true
			}
		} else if d.header != nil && feodoSameFields(fields, d.headerRow) {
			return "", nil // a repeated header from concatenated downloads
		}
		if reason := d.lineRecord(fields); reason != "" {
			return reason, nil
		}
		return "", d.emit(sink, cr.line, cr.raw)
	})
}

// comment reads the export time, and a header row written as a comment
// ("# Firstseen,DstIP,..."), from the comment block.
func (d *feodoDecoder) comment(line []byte) {
	s := strings.Trim(string(line), "# \t")
	if rest, ok := feodoCutPrefixFold(s, "last updated:"); ok {
		rest = strings.TrimRight(rest, "# \t")
		if t, err := parseTime([]byte(rest)); err == nil {
			d.updated = t
		}
		return
	}
	if d.seen || d.roles != nil || strings.IndexByte(s, ',') < 0 {
		return
	}
	fields := strings.Split(s, ",")
	if len(fields) < 3 {
		return
	}
	for i, f := range fields {
		fields[i] = strings.Trim(f, "\" \t")
	}
	if roles := feodoHeaderRoles(fields); roles != nil {
		d.setHeader(fields, roles)
	}
}

func feodoCutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return "", false
}

func (d *feodoDecoder) setHeader(fields []string, roles []feodoRole) {
	d.roles = roles
	d.headerRow = make([]string, len(fields))
	d.header = make([]string, len(fields))
	for i, f := range fields {
		d.headerRow[i] = strings.TrimSpace(f)
		d.header[i] = d.headerRow[i]
		if d.header[i] == "" {
			d.header[i] = fmt.Sprintf("column_%d", i+1)
		}
	}
}

func feodoSameFields(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.TrimSpace(a[i]) != b[i] {
			return false
		}
	}
	return true
}

// lineRecord fills d.rec from a CSV row or a plain-list line and returns a
// rejection reason, or "".
func (d *feodoDecoder) lineRecord(fields []string) string {
	r := &d.rec
	r.reset()
	if d.plain {
		if len(fields) != 1 {
			return fmt.Sprintf("expected one IP address per line (plain Feodo Tracker list), found %d comma-separated fields", len(fields))
		}
		r.ip = strings.TrimSpace(fields[0])
		return ""
	}
	roles := d.roles
	switch {
	case roles != nil:
		if len(fields) != len(roles) {
			return fmt.Sprintf("row has %d fields, the header has %d (truncated line or unquoted comma?)", len(fields), len(roles))
		}
	case len(fields) == len(feodoLayout6):
		roles = feodoLayout6
	case len(fields) == len(feodoLayout5):
		roles = feodoLayout5
	default:
		return fmt.Sprintf("row has %d fields and the file has no header row naming them (expected first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware)", len(fields))
	}
	for i, f := range fields {
		v := strings.TrimSpace(f)
		switch roles[i] {
		case feodoIP:
			r.ip = v
		case feodoPort:
			r.port = v
		case feodoStatus:
			r.status = v
		case feodoFirstSeen:
			r.firstSeen = v
		case feodoLastOnline:
			r.lastOnline = v
		case feodoMalware:
			r.malware = v
		case feodoHostname:
			r.hostname = v
		case feodoASN:
			r.asn = v
		case feodoASName:
			r.asName = v
		case feodoCountry:
			r.country = v
		default:
			if f != "" {
				r.extras = append(r.extras, feodoExtraValue{key: d.header[i], str: f})
			}
		}
	}
	return ""
}

// emit turns d.rec into an event and hands it to the sink, or rejects it.
func (d *feodoDecoder) emit(sink Sink, line int64, raw []byte) error {
	if reason := d.build(line, raw); reason != "" {
		sink.Reject(line, reason)
		return nil
	}
	return sink.Event(&d.e)
}

// build fills d.e from d.rec and returns a rejection reason, or "".
func (d *feodoDecoder) build(line int64, raw []byte) string {
	r := &d.rec
	e := &d.e
	e.Reset()
	e.Raw = append(e.Raw, raw...)
	e.Line = line
	e.Feed = event.Feed{Name: d.opts.feedName(feodoFeedName), Provider: feodoProvider}
	e.TLP = d.opts.Marking()

	if r.ip == "" {
		return "no C2 IP address (dst_ip / ip_address is empty or missing)"
	}
	ip, err := parseIP([]byte(r.ip))
	if err != nil {
		return err.Error()
	}
	e.Source.IP = ip
	if r.port != "" {
		port, err := parsePort([]byte(r.port))
		if err != nil {
			return err.Error()
		}
		e.Source.Port = port
	}
	var first, last time.Time
	if r.firstSeen != "" {
		if first, err = parseTime([]byte(r.firstSeen)); err != nil {
			return "first_seen: " + err.Error()
		}
	}
	if r.lastOnline != "" {
		if last, err = parseTime([]byte(r.lastOnline)); err != nil {
			return "last_online: " + err.Error()
		}
	}
	// time.source is the last time abuse.ch confirmed the C2 answering
	// (last_online, a date meaning that day, 00:00 UTC). Statistics count
	// active C2 servers per period, and a C2 first seen in 2021 that still
	// answers in 2024 must count in 2024, not in 2021. Without last_online
	// (never confirmed online, or the plain list) the fallbacks are
	// first_seen, then the export's "Last updated" time, then none.
	switch {
	case !last.IsZero():
		e.TimeSource = last
	case !first.IsZero():
		e.TimeSource = first
	default:
		e.TimeSource = d.updated
	}
	if r.malware != "" {
		e.Malware = d.family(r.malware)
	}
	e.Source.Role = event.RoleC2
	e.SetClass(event.ClassC2)

	if r.status != "" {
		e.PutString("status", r.status)
	}
	if !first.IsZero() {
		d.tbuf = feodoAppendTime(d.tbuf[:0], first, r.firstSeen)
		e.PutString("first_seen", bstr(d.tbuf))
	}
	if !last.IsZero() {
		d.tbuf = feodoAppendTime(d.tbuf[:0], last, r.lastOnline)
		e.PutString("last_online", bstr(d.tbuf))
	}
	if r.hostname != "" {
		e.PutString("hostname", r.hostname)
	}
	if r.asn != "" {
		n, ok := jsonInt([]byte(r.asn))
		if !ok || n < 0 || n > 1<<32-1 {
			return fmt.Sprintf("as_number: invalid AS number %q", truncate(r.asn, 32))
		}
		e.PutInt("as_number", n)
	}
	if r.asName != "" {
		e.PutString("as_name", r.asName)
	}
	if r.country != "" {
		e.PutString("country", r.country)
	}
	for _, x := range r.extras {
		if x.raw != nil {
			e.PutJSON(x.key, x.raw)
		} else {
			e.PutString(x.key, x.str)
		}
	}
	if err := e.Validate(); err != nil {
		return err.Error()
	}
	return ""
}

// feodoAppendTime writes a time for extra in Concord's layout, and a date
// (last_online usually is one) as a date, so it does not claim a midnight.
func feodoAppendTime(b []byte, t time.Time, in string) []byte {
	if len(strings.TrimSpace(in)) == len(time.DateOnly) {
		return t.AppendFormat(b, time.DateOnly)
	}
	return t.AppendFormat(b, event.TimeLayout)
}

// family normalizes a malware family name: lower case, and Feodo Tracker's
// old name "Heodo" for Emotet (abuse.ch: "Emotet (aka Heodo)") becomes
// "emotet" so counts per family do not split.
func (d *feodoDecoder) family(s string) string {
	if f, ok := d.malware[s]; ok {
		return f
	}
	f := strings.ToLower(strings.TrimSpace(s))
	if f == "heodo" {
		f = "emotet"
	}
	f = strings.Clone(f)
	if d.malware == nil {
		d.malware = make(map[string]string)
	}
	if len(d.malware) < 1000 {
		d.malware[strings.Clone(s)] = f
	}
	return f
}

// decodeJSON reads ipblocklist.json: an array of objects, one per C2. The
// export is read whole (it is small); elements are walked in place so each
// keeps its exact bytes and the line it starts on. An element that is not
// valid JSON is rejected and reading resumes at the next element.
func (d *feodoDecoder) decodeJSON(ctx context.Context, r io.Reader, sink Sink) error {
	data, err := io.ReadAll(io.LimitReader(r, feodoMaxJSON+1))
	if err != nil {
		return fmt.Errorf("feed: feodo: read: %w", err)
	}
	if len(data) > feodoMaxJSON {
		return fmt.Errorf("feed: feodo: JSON export larger than %d MiB; the real ipblocklist.json is a few MiB", feodoMaxJSON>>20)
	}
	ln := feodoLines{data: data, line: 1}
	p := skipWS(data, 0)
	var n int64
	wasted := 0     // bytes scanned for elements that turned out broken
	broken := false // the last element read was skipped by resync
	// Several arrays in a row (concatenated downloads) are read in turn.
	for p < len(data) {
		if data[p] != '[' {
			// Text after the last array is not a record of the export,
			// but it is input: account for it rather than drop it.
			sink.Reject(ln.at(p), fmt.Sprintf("unexpected %s after the end of the JSON array", describeByte(data[p])))
			return nil
		}
		p = skipWS(data, p+1)
		first := true
		for {
			if p >= len(data) {
				if first && n == 0 {
					return fmt.Errorf("feed: feodo: JSON array is not closed (empty or truncated file)")
				}
				// Cut after a complete element: nothing to reject, but the
				// operator must learn that entries may be missing. (After
				// a broken element, its rejection already said so.)
				if !broken {
					sink.Reject(ln.at(len(data)), "JSON array is not closed: the file is truncated and later entries may be missing")
				}
				return nil
			}
			if data[p] == ']' {
				p = skipWS(data, p+1)
				break
			}
			if !first {
				if data[p] == ',' {
					p = skipWS(data, p+1)
					if p < len(data) && data[p] == ']' {
						continue // a trailing comma
					}
				} else if data[p] != '{' {
					// Tolerate a missing comma before an object; anything
					// else is a broken element.
					n++
					sink.Reject(ln.at(p), fmt.Sprintf("expected ',' or ']' between array elements, found %s", describeByte(data[p])))
					p, broken = feodoResync(data, p), true
					continue
				}
				if p >= len(data) {
					continue
				}
			}
			if first && n == 0 && data[p] != '{' {
				return fmt.Errorf("feed: feodo: JSON array holds %s, not Feodo Tracker objects (ip_address, port, malware, ...)", describeByte(data[p]))
			}
			first = false
			n++
			if err := checkCtx(ctx, n); err != nil {
				return err
			}
			line := ln.at(p)
			// Bounding each element keeps a file full of broken ones
			// linear: an unbalanced quote would otherwise make every
			// element scan to the end of the input.
			lim := min(len(data), p+feodoMaxObject)
			end, err := skipValue(data[:lim], p)
			if err != nil && lim < len(data) {
				err = fmt.Errorf("no end within %d KiB (unbalanced quote or brace?)", feodoMaxObject>>10)
			}
			if err != nil {
				// Unbalanced quotes or braces: the element's end is
				// unknown, so resume at the next object. Each such
				// element may cost a scan of feodoMaxObject bytes; past a
				// budget proportional to the input, the rest of the input
				// becomes one rejection instead of hours of scanning.
				wasted += lim - p
				if wasted > 4*len(data)+(1<<20) {
					sink.Reject(line, fmt.Sprintf("invalid JSON object: %v; too many broken elements, the remaining %d bytes are skipped", err, len(data)-p))
					return nil
				}
				sink.Reject(line, "invalid JSON object: "+err.Error())
				p, broken = feodoResync(data, p), true
				continue
			}
			switch {
			case data[p] != '{':
				sink.Reject(line, fmt.Sprintf("array element is %s, not a JSON object", mapJSONKind(data[p])))
			default:
				// A syntax error inside a balanced object leaves its end
				// where skipValue found it.
				reason, err := d.jsonRecord(data[p:end])
				if err != nil {
					sink.Reject(line, "invalid JSON object: "+err.Error())
				} else if reason != "" {
					sink.Reject(line, reason)
				} else if err := d.emit(sink, line, data[p:end]); err != nil {
					return err
				}
			}
			p, broken = skipWS(data, end), false
		}
	}
	return nil
}

// feodoResync finds where reading can resume after a broken element or
// junk that starts at p: the next object that follows a comma, or the end
// of the input when there is none. Feodo objects are flat, so a comma
// before an opening brace only occurs between elements.
func feodoResync(data []byte, p int) int {
	for q := p + 1; q < len(data); q++ {
		if data[q] != ',' {
			continue
		}
		if o := skipWS(data, q+1); o < len(data) && data[o] == '{' {
			return o
		}
	}
	return len(data)
}

// feodoLines converts increasing byte offsets to line numbers.
type feodoLines struct {
	data []byte
	off  int
	line int64
}

func (l *feodoLines) at(p int) int64 {
	if p < l.off {
		l.off, l.line = 0, 1
	}
	l.line += int64(bytes.Count(l.data[l.off:p], []byte{'\n'}))
	l.off = p
	return l.line
}

func mapJSONKind(c byte) string {
	switch c {
	case '"':
		return "a string"
	case '[':
		return "an array"
	case '{':
		return "an object"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// jsonRecord fills d.rec from one JSON object. It returns a rejection
// reason for a well-formed object with bad values, or an error when the
// object is not valid JSON.
func (d *feodoDecoder) jsonRecord(obj []byte) (string, error) {
	r := &d.rec
	r.reset()
	var it objIter
	if !it.reset(obj) {
		return "", it.err
	}
	for it.next() {
		key := bstr(it.key)
		if it.keyEsc {
			s, ok := unescape(it.key)
			if !ok {
				return "", fmt.Errorf("invalid escape in member name %q", truncate(string(it.key), 64))
			}
			key = s
		}
		v := it.val
		var dst *string
		switch key {
		case "ip_address":
			dst = &r.ip
		case "port":
			if !jsonIsNull(v) && string(v) != `""` {
				if n, ok := jsonInt(v); !ok || n < 0 || n > 65535 {
					return fmt.Sprintf("port: invalid port %s", truncate(string(v), 32)), nil
				}
				r.port = bstr(bytes.Trim(v, `"`))
			}
			continue
		case "as_number":
			if !jsonIsNull(v) && string(v) != `""` {
				r.asn = bstr(v)
			}
			continue
		case "status":
			dst = &r.status
		case "first_seen":
			dst = &r.firstSeen
		case "last_online":
			dst = &r.lastOnline
		case "malware":
			dst = &r.malware
		case "hostname":
			dst = &r.hostname
		case "as_name":
			dst = &r.asName
		case "country":
			dst = &r.country
		default:
			x, reason := feodoJSONExtra(key, v)
			if reason != "" {
				return reason, nil
			}
			if x.key != "" {
				r.extras = append(r.extras, x)
			}
			continue
		}
		if jsonIsNull(v) {
			continue
		}
		s, ok := jsonStrBytes(v)
		if !ok {
			if len(v) > 0 && v[0] == '"' {
				return fmt.Sprintf("%s: invalid string escape in %s", key, truncate(string(v), 64)), nil
			}
			return fmt.Sprintf("%s: want a string, got %s", key, mapJSONKind(v[0])), nil
		}
		// The input buffer is never modified, so views into it stay valid.
		*dst = bstr(s)
	}
	if it.err != nil {
		return "", it.err
	}
	return "", nil
}

// feodoJSONExtra turns an unknown JSON member into an extra value, checking that
// it is valid JSON (the scanner only checked its structure). Null is absent.
func feodoJSONExtra(key string, v []byte) (feodoExtraValue, string) {
	if jsonIsNull(v) {
		return feodoExtraValue{}, ""
	}
	key = strings.Clone(key)
	if v[0] == '"' {
		s, ok := jsonStr(v)
		if !ok {
			return feodoExtraValue{}, fmt.Sprintf("%s: invalid string escape in %s", key, truncate(string(v), 64))
		}
		return feodoExtraValue{key: key, str: s}, ""
	}
	if !json.Valid(v) {
		return feodoExtraValue{}, fmt.Sprintf("%s: invalid JSON value %s", key, truncate(string(v), 64))
	}
	return feodoExtraValue{key: key, raw: v}, ""
}

// sniffFeodo recognizes Feodo Tracker's comment header followed by data it
// can read, its exact CSV header row, or the JSON export's shape. It never
// claims HTML: abuse.ch's web pages mention "Feodo Tracker" too.
func sniffFeodo(name string, head []byte) int {
	head = bytes.TrimPrefix(head, feodoBOM)
	p := skipWS(head, 0)
	if p < len(head) && head[p] == '[' {
		return sniffFeodoJSON(head[p+1:])
	}
	feodoComment := false
	for i := 0; i < 64 && len(head) > 0; i++ {
		var line []byte
		line, head, _ = bytes.Cut(head, []byte{'\n'})
		l := bytes.TrimSpace(line)
		if len(l) == 0 {
			continue
		}
		if l[0] == '#' {
			if feodoContainsFold(l, "feodo tracker") {
				feodoComment = true
			}
			continue
		}
		if feodoCSVHeader(l) {
			return 100
		}
		if !feodoComment {
			return 0
		}
		// The comment header alone is not enough (firewall scripts built
		// from the list quote it too): the first data line must be an
		// address or a row with an address in its second column.
		if _, err := parseIP(l); err == nil {
			return 100
		}
		if feodoHeaderRoles(strings.Split(strings.ReplaceAll(string(l), `"`, ""), ",")) != nil {
			return 100
		}
		if f := bytes.Split(l, []byte{','}); len(f) >= 5 {
			if _, err := parseIP(bytes.Trim(f[1], `" `)); err == nil {
				return 100
			}
		}
		return 0
	}
	if feodoComment {
		return 100 // only comments: an empty list
	}
	return 0
}

func feodoCSVHeader(l []byte) bool {
	s := string(bytes.ReplaceAll(l, []byte{'"'}, nil))
	return s == "first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware" ||
		strings.EqualFold(s, "Firstseen,DstIP,DstPort,LastOnline,Family")
}

func feodoContainsFold(b []byte, sub string) bool {
	return bytes.Contains(bytes.ToLower(b), []byte(sub))
}

// sniffFeodoJSON looks for the first array element to be an object with
// the export's distinctive members.
func sniffFeodoJSON(rest []byte) int {
	p := skipWS(rest, 0)
	if p >= len(rest) || rest[p] != '{' {
		return 0
	}
	end := bytes.IndexByte(rest[p:], '}')
	if end < 0 {
		return 0
	}
	obj := rest[p : p+end]
	for _, k := range []string{`"ip_address"`, `"malware"`, `"first_seen"`} {
		if !bytes.Contains(obj, []byte(k)) {
			return 0
		}
	}
	return 80
}
