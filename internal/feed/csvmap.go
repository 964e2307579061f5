package feed

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

// The "csv" and "jsonl" formats read feeds that have no decoder of their
// own, guided by a Mapping (see mapping.go) that names which column or
// member holds which IntelMQ field. They are never auto-detected: without a
// mapping there is no telling what a column means.
//
// Nothing is lost: columns and members the mapping does not name are kept
// in extra under their own names, and the raw record is kept whole.

func init() {
	register(Format{
		Name:        "csv",
		Description: "generic CSV or TSV feed read through a mapping file (--mapping)",
		Sniff:       func(string, []byte) int { return 0 },
		New: func(opts Options) (Decoder, error) {
			s, err := newMapSpec("csv", opts)
			if err != nil {
				return nil, err
			}
			return &csvMapDecoder{spec: s}, nil
		},
	})
	register(Format{
		Name:        "jsonl",
		Description: "generic JSON-lines feed (one object per line) read through a mapping file (--mapping)",
		Sniff:       func(string, []byte) int { return 0 },
		New: func(opts Options) (Decoder, error) {
			s, err := newMapSpec("jsonl", opts)
			if err != nil {
				return nil, err
			}
			d := &jsonlMapDecoder{spec: s, root: &mapPathNode{}}
			for _, col := range s.columns {
				n := d.root
				for _, seg := range strings.Split(col, ".") {
					if n.kids == nil {
						n.kids = make(map[string]*mapPathNode)
					}
					k := n.kids[seg]
					if k == nil {
						k = &mapPathNode{}
						n.kids[seg] = k
					}
					n = k
				}
				t := s.targets[col]
				n.tgt = &t
			}
			return d, nil
		},
	})
}

// mapField is an IntelMQ field a mapping can target.
type mapField uint8

const (
	mapExtra mapField = iota
	mapSrcIP
	mapSrcPort
	mapSrcFQDN
	mapSrcURL
	mapDstIP
	mapDstPort
	mapDstFQDN
	mapDstURL
	mapTaxonomy
	mapType
	mapIdentifier
	mapMalware
	mapTime
	mapTransport
	mapApplication
	mapText
	mapFeedName
	mapFeedProvider
	mapTLP
)

var mapFieldIDs = map[string]mapField{
	"source.ip": mapSrcIP, "source.port": mapSrcPort, "source.fqdn": mapSrcFQDN, "source.url": mapSrcURL,
	"destination.ip": mapDstIP, "destination.port": mapDstPort, "destination.fqdn": mapDstFQDN, "destination.url": mapDstURL,
	"classification.taxonomy": mapTaxonomy, "classification.type": mapType, "classification.identifier": mapIdentifier,
	"malware.name": mapMalware, "time.source": mapTime, "protocol.transport": mapTransport,
	"protocol.application": mapApplication, "event_description.text": mapText,
	"feed.name": mapFeedName, "feed.provider": mapFeedProvider, "tlp": mapTLP,
}

// mapTarget is where one column's value goes.
type mapTarget struct {
	field mapField
	extra string // the extra key when field is mapExtra
}

// mapSpec is a validated mapping, ready for decoding.
type mapSpec struct {
	format   string
	m        *Mapping
	optFeed  string // Options.Feed
	feed     string // the mapping's feed, or the format's name
	provider string
	class    event.Class // zero when the mapping sets none
	tlp      event.TLP
	comma    byte
	comment  string
	targets  map[string]mapTarget
	columns  []string // keys of targets, sorted
}

// mapMaxColumn bounds column numbers in a no_header mapping.
const mapMaxColumn = 4096

// mapErrNoClass is the rejection for records the mapping cannot classify.
const mapErrNoClass = `no classification: set "classification" in the mapping or map a column to classification.type`

func newMapSpec(format string, opts Options) (*mapSpec, error) {
	m := opts.Mapping
	if m == nil {
		return nil, fmt.Errorf("feed: format %s needs a mapping file: --mapping FILE (see docs/formats.md)", format)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("feed: %s mapping: %w", format, err)
	}
	s := &mapSpec{
		format:   format,
		m:        m,
		optFeed:  opts.Feed,
		feed:     m.Feed,
		provider: m.Provider,
		tlp:      opts.Marking(),
		comma:    ',',
		comment:  m.Comment,
		targets:  make(map[string]mapTarget, len(m.Columns)),
	}
	if s.feed == "" {
		s.feed = format
	}
	if m.Classification != "" {
		s.class, _ = event.ParseClass(m.Classification) // Validate checked it
	}
	if m.TLP != "" {
		s.tlp, _ = event.ParseTLP(m.TLP)
	}
	switch d := m.Delimiter; {
	case d == "":
	case d == `\t` || d == "\t":
		s.comma = '\t'
	case len(d) != 1 || d[0] == '"' || d[0] == '\r' || d[0] == '\n' || d[0] >= 0x80:
		return nil, fmt.Errorf("feed: %s mapping: delimiter %q must be one ASCII character other than a quote or line break", format, d)
	default:
		s.comma = d[0]
	}
	if format == "csv" && s.comment == "" {
		s.comment = "#"
	}
	// One field from two columns would silently keep whichever came last.
	byField := map[string][]string{}
	for col, field := range m.Columns {
		byField[field] = append(byField[field], col)
		s.columns = append(s.columns, col)
		if id, ok := mapFieldIDs[field]; ok {
			s.targets[col] = mapTarget{field: id}
		} else {
			s.targets[col] = mapTarget{field: mapExtra, extra: strings.TrimPrefix(field, "extra.")}
		}
	}
	sort.Strings(s.columns)
	var dups []string
	for field, cols := range byField {
		if len(cols) > 1 {
			sort.Strings(cols)
			dups = append(dups, fmt.Sprintf("%s ← %s", field, strings.Join(cols, ", ")))
		}
	}
	if len(dups) > 0 {
		sort.Strings(dups)
		return nil, fmt.Errorf("feed: %s mapping: several columns map to one field: %s", format, strings.Join(dups, "; "))
	}
	for _, col := range s.columns {
		switch {
		case format == "csv" && m.NoHeader:
			if n, err := strconv.Atoi(col); err != nil || n < 1 {
				return nil, fmt.Errorf("feed: csv mapping: with no_header the columns are numbered from 1, not named: %q", col)
			} else if n > mapMaxColumn {
				return nil, fmt.Errorf("feed: csv mapping: column %d is beyond the %d columns Concord reads by number", n, mapMaxColumn)
			}
		case format == "jsonl":
			for _, seg := range strings.Split(col, ".") {
				if seg == "" {
					return nil, fmt.Errorf("feed: jsonl mapping: member path %q has an empty part", col)
				}
			}
		case col == "":
			return nil, fmt.Errorf("feed: csv mapping: empty column name")
		}
	}
	return s, nil
}

// mapRecord gathers one record's classification, marking and feed values,
// which are settled once all its columns are read.
type mapRecord struct {
	tax, typ       string
	tlp            string
	feed, provider string
}

// set puts one column's text value into e. Empty values are absent.
func (s *mapSpec) set(e *event.Event, rec *mapRecord, t mapTarget, v string) error {
	if t.field == mapExtra {
		if v != "" {
			e.PutString(t.extra, v)
		}
		return nil
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	var err error
	switch t.field {
	case mapSrcIP:
		e.Source.IP, err = parseIP([]byte(v))
	case mapDstIP:
		e.Destination.IP, err = parseIP([]byte(v))
	case mapSrcPort:
		e.Source.Port, err = parsePort([]byte(v))
	case mapDstPort:
		e.Destination.Port, err = parsePort([]byte(v))
	case mapSrcFQDN:
		e.Source.FQDN = strings.TrimSuffix(strings.ToLower(v), ".")
	case mapDstFQDN:
		e.Destination.FQDN = strings.TrimSuffix(strings.ToLower(v), ".")
	case mapSrcURL:
		e.Source.URL = v
	case mapDstURL:
		e.Destination.URL = v
	case mapTaxonomy:
		rec.tax = v
	case mapType:
		rec.typ = v
	case mapIdentifier:
		e.Identifier = v
	case mapMalware:
		e.Malware = strings.ToLower(v)
	case mapTime:
		e.TimeSource, err = s.parseTime(v)
	case mapTransport:
		e.Transport = strings.ToLower(v)
	case mapApplication:
		e.Application = strings.ToLower(v)
	case mapText:
		e.Text = v
	case mapFeedName:
		rec.feed = v
	case mapFeedProvider:
		rec.provider = v
	case mapTLP:
		rec.tlp = v
	}
	return err
}

// parseTime reads a time.source value: with the mapping's layout when it
// has one, else any spelling parseTime knows, else epoch seconds (13 digits
// without a fraction are milliseconds, as JavaScript writes them).
func (s *mapSpec) parseTime(v string) (time.Time, error) {
	if s.m.TimeFormat != "" {
		t, err := time.Parse(s.m.TimeFormat, v)
		if err != nil {
			return time.Time{}, fmt.Errorf("invalid time %q: does not match time_format %q", truncate(v, 64), s.m.TimeFormat)
		}
		return t.UTC().Truncate(time.Microsecond), nil
	}
	if t, err := parseTime([]byte(v)); err == nil {
		return t, nil
	}
	if len(v) == 13 && v[0] != '-' {
		if ms, ok := parseInt([]byte(v)); ok {
			return time.UnixMilli(ms).UTC(), nil
		}
	}
	if t, err := parseEpoch([]byte(v)); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("invalid time %q: want RFC 3339, \"YYYY-MM-DD hh:mm:ss\", a date, epoch seconds or milliseconds, or set time_format in the mapping", truncate(v, 64))
}

// finish settles classification, marking and feed, and validates e. It
// returns a rejection reason, or "".
func (s *mapSpec) finish(e *event.Event, rec *mapRecord) string {
	class := s.class
	switch {
	case rec.typ != "":
		v := rec.typ
		if rec.tax != "" {
			v = rec.tax + "/" + rec.typ
		}
		c, err := event.ParseClass(v)
		if err != nil {
			var relay *event.ErrRelayClass
			if errors.As(err, &relay) {
				return err.Error()
			}
			return "classification: " + strings.TrimPrefix(err.Error(), "event: ")
		}
		class = c
	case rec.tax != "" && class.IsZero():
		return fmt.Sprintf("classification.taxonomy %q names no type: map a column to classification.type or set \"classification\" in the mapping", truncate(rec.tax, 64))
	}
	if class.IsZero() {
		return mapErrNoClass
	}
	e.SetClass(class)
	e.TLP = s.tlp
	if rec.tlp != "" {
		t, err := event.ParseTLP(rec.tlp)
		if err != nil {
			return "tlp: " + strings.TrimPrefix(err.Error(), "event: ")
		}
		e.TLP = t
	}
	// The operator's --feed wins, then a feed.name column, then the
	// mapping's "feed", then the format's name.
	switch {
	case s.optFeed != "":
		e.Feed.Name = s.optFeed
	case rec.feed != "":
		e.Feed.Name = rec.feed
	default:
		e.Feed.Name = s.feed
	}
	e.Feed.Provider = s.provider
	if rec.provider != "" {
		e.Feed.Provider = rec.provider
	}
	if err := e.Validate(); err != nil {
		return err.Error()
	}
	return ""
}

// csvMapDecoder is the "csv" format.
type csvMapDecoder struct {
	spec *mapSpec
	e    event.Event
	// cols[i] is where column i goes; built from the header row, or from
	// the mapping's numbers without one.
	cols     []mapTarget
	header   []string
	maxCol   int // without a header: the highest mapped column number
	haveCols bool
}

// Decode implements Decoder.
func (d *csvMapDecoder) Decode(ctx context.Context, r io.Reader, sink Sink) error {
	br := mapPeekable(r)
	if err := mapCheckText(br); err != nil {
		return err
	}
	cr := newCSVReader(br, d.spec.comma, d.spec.comment)
	// Each input has its own header row.
	d.cols, d.header, d.maxCol, d.haveCols = nil, nil, 0, false
	if d.spec.m.NoHeader {
		d.numberedColumns()
	}
	var rec mapRecord
	return cr.eachRecord(ctx, sink, "csv", func(fields []string) (string, error) {
		if !d.haveCols {
			return "", d.headerRow(fields)
		}
		if reason := d.row(fields, cr.raw, cr.line, &rec); reason != "" {
			return reason, nil
		}
		return "", sink.Event(&d.e)
	})
}

// mapPeekable returns r as a bufio.Reader that can peek SniffSize bytes,
// reusing the buffer of an Input or a large enough bufio.Reader.
func mapPeekable(r io.Reader) *bufio.Reader {
	switch b := r.(type) {
	case *Input:
		if b.Size() >= SniffSize {
			return b.Reader
		}
	case *bufio.Reader:
		if b.Size() >= SniffSize {
			return b
		}
	}
	return bufio.NewReaderSize(r, SniffSize)
}

// mapCheckText refuses input that is binary, and skips a UTF-8 byte order
// mark.
func mapCheckText(br *bufio.Reader) error {
	head, err := br.Peek(SniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return fmt.Errorf("feed: read: %w", err)
	}
	if looksBinary(head) {
		return fmt.Errorf("feed: input looks binary (NUL bytes), not a text feed")
	}
	if bytes.HasPrefix(head, feodoBOM) {
		br.Discard(len(feodoBOM))
	}
	return nil
}

func (d *csvMapDecoder) numberedColumns() {
	for _, col := range d.spec.columns {
		n, _ := strconv.Atoi(col)
		if n > d.maxCol {
			d.maxCol = n
		}
	}
	d.cols = make([]mapTarget, d.maxCol)
	mapped := make([]bool, d.maxCol)
	for col, t := range d.spec.targets {
		n, _ := strconv.Atoi(col)
		d.cols[n-1] = t
		mapped[n-1] = true
	}
	for i := range d.cols {
		if !mapped[i] {
			d.cols[i] = mapTarget{field: mapExtra, extra: fmt.Sprintf("column_%d", i+1)}
		}
	}
	d.haveCols = true
}

// headerRow maps the header's columns to targets. A column the mapping
// names but the header lacks makes the whole input unreadable: every record
// would miss it.
func (d *csvMapDecoder) headerRow(fields []string) error {
	d.header = make([]string, len(fields))
	index := make(map[string]int, len(fields))
	fold := make(map[string]int, len(fields))
	for i, f := range fields {
		h := strings.TrimSpace(f)
		d.header[i] = h
		if _, dup := index[h]; !dup {
			index[h] = i
		}
		if _, dup := fold[strings.ToLower(h)]; !dup {
			fold[strings.ToLower(h)] = i
		}
	}
	d.cols = make([]mapTarget, len(fields))
	mapped := make([]bool, len(fields))
	var missing []string
	for _, col := range d.spec.columns {
		i, ok := index[col]
		if !ok {
			i, ok = fold[strings.ToLower(strings.TrimSpace(col))]
		}
		if !ok {
			missing = append(missing, strconv.Quote(col))
			continue
		}
		d.cols[i] = d.spec.targets[col]
		mapped[i] = true
	}
	if len(missing) > 0 {
		return fmt.Errorf("feed: csv: the header row has no column %s named in the mapping (header: %s); fix the mapping's column names, or set \"no_header\" and number them",
			strings.Join(missing, ", "), truncate(strings.Join(d.header, string(d.spec.comma)), 300))
	}
	// Unmapped columns keep their header name in extra, made unique.
	used := map[string]bool{}
	for _, t := range d.spec.targets {
		if t.field == mapExtra {
			used[t.extra] = true
		}
	}
	for i, h := range d.header {
		if mapped[i] {
			continue
		}
		key := h
		if key == "" || used[key] {
			key = fmt.Sprintf("column_%d", i+1)
		}
		used[key] = true
		d.cols[i] = mapTarget{field: mapExtra, extra: key}
	}
	d.haveCols = true
	return nil
}

// row fills d.e from one record and returns a rejection reason, or "".
func (d *csvMapDecoder) row(fields []string, raw []byte, line int64, rec *mapRecord) string {
	s := d.spec
	switch {
	case d.header != nil && len(fields) != len(d.header):
		return fmt.Sprintf("row has %d fields, the header has %d (truncated line or unquoted %q in a value?)", len(fields), len(d.header), s.comma)
	case d.header == nil && len(fields) < d.maxCol:
		return fmt.Sprintf("row has %d fields, the mapping reads column %d", len(fields), d.maxCol)
	}
	e := &d.e
	e.Reset()
	e.Raw = append(e.Raw, raw...)
	e.Line = line
	*rec = mapRecord{}
	for len(d.cols) < len(fields) {
		// Without a header, columns past the mapped ones are kept by number.
		d.cols = append(d.cols, mapTarget{field: mapExtra, extra: fmt.Sprintf("column_%d", len(d.cols)+1)})
	}
	for i, f := range fields {
		if err := s.set(e, rec, d.cols[i], f); err != nil {
			return d.columnName(i) + ": " + err.Error()
		}
	}
	return s.finish(e, rec)
}

func (d *csvMapDecoder) columnName(i int) string {
	if d.header != nil && i < len(d.header) && d.header[i] != "" {
		return "column " + strconv.Quote(d.header[i])
	}
	return fmt.Sprintf("column %d", i+1)
}

// jsonlMapDecoder is the "jsonl" format.
type jsonlMapDecoder struct {
	spec *mapSpec
	root *mapPathNode
	e    event.Event
	rec  mapRecord
	path []byte // the dotted name of the member being read, for extra keys
}

// mapPathNode is one step of the mapping's member paths: "alert.signature"
// is root → alert → signature.
type mapPathNode struct {
	tgt  *mapTarget
	kids map[string]*mapPathNode
}

// Decode implements Decoder.
func (d *jsonlMapDecoder) Decode(ctx context.Context, r io.Reader, sink Sink) error {
	br := mapPeekable(r)
	if err := mapCheckText(br); err != nil {
		return err
	}
	lr := newLineReader(br)
	comment := []byte(d.spec.comment)
	var n int64
	for {
		l, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("feed: jsonl: %w", err)
		}
		if isBlank(l) || (len(comment) > 0 && bytes.HasPrefix(l, comment)) {
			continue
		}
		n++
		if err := checkCtx(ctx, n); err != nil {
			return err
		}
		if lr.tooLong {
			sink.Reject(lr.num, tooLongReason)
			continue
		}
		if reason := d.record(l, lr.num); reason != "" {
			sink.Reject(lr.num, reason)
			continue
		}
		if err := sink.Event(&d.e); err != nil {
			return err
		}
	}
}

func (d *jsonlMapDecoder) record(l []byte, line int64) string {
	e := &d.e
	e.Reset()
	e.Raw = append(e.Raw, l...)
	e.Line = line
	d.rec = mapRecord{}
	d.path = d.path[:0]
	if reason := d.object(l, d.root); reason != "" {
		return reason
	}
	return d.spec.finish(e, &d.rec)
}

// object reads the members of one object whose mapping paths continue at
// node. Members outside the mapping go to extra under their dotted path.
func (d *jsonlMapDecoder) object(data []byte, node *mapPathNode) string {
	var it objIter
	if !it.reset(data) {
		return "invalid JSON: " + it.err.Error()
	}
	for it.next() {
		key := it.key
		if it.keyEsc {
			s, ok := unescape(key)
			if !ok {
				return fmt.Sprintf("invalid JSON: bad escape in member name %q", truncate(string(key), 64))
			}
			key = []byte(s)
		}
		mark := len(d.path)
		if mark > 0 {
			d.path = append(d.path, '.')
		}
		d.path = append(d.path, key...)
		reason := d.member(node.lookup(key), it.val)
		d.path = d.path[:mark]
		if reason != "" {
			return reason
		}
	}
	if it.err != nil {
		return "invalid JSON: " + it.err.Error()
	}
	return ""
}

// lookup follows a member name, which may itself contain dots, from n.
func (n *mapPathNode) lookup(key []byte) *mapPathNode {
	for n != nil {
		seg, rest, more := bytes.Cut(key, []byte{'.'})
		n = n.kids[bstr(seg)]
		if !more {
			return n
		}
		key = rest
	}
	return nil
}

// member handles one member's value v; node is its place in the mapping's
// paths, nil when the mapping does not mention it.
func (d *jsonlMapDecoder) member(node *mapPathNode, v []byte) string {
	if node != nil && node.tgt != nil {
		if reason := d.mapped(*node.tgt, v); reason != "" {
			return reason
		}
		if node.kids == nil {
			return ""
		}
	}
	if node != nil && node.kids != nil && len(v) > 0 && v[0] == '{' {
		return d.object(v, node)
	}
	if node != nil && node.tgt != nil {
		return ""
	}
	// Not in the mapping: keep it in extra as the JSON value it is.
	return d.putExtra(bstr(d.path), v)
}

// putExtra keeps a JSON value in extra under key, checking it is valid
// JSON (the scanner only checked its structure). Null is absent.
func (d *jsonlMapDecoder) putExtra(key string, v []byte) string {
	if jsonIsNull(v) {
		return ""
	}
	if v[0] == '"' {
		b, ok := jsonStrBytes(v)
		if !ok {
			return fmt.Sprintf("member %q: invalid string escape", truncate(string(d.path), 64))
		}
		d.e.PutString(key, bstr(b))
		return ""
	}
	if !json.Valid(v) {
		return fmt.Sprintf("member %q: invalid JSON value %s", truncate(string(d.path), 64), truncate(string(v), 64))
	}
	d.e.PutJSON(key, v)
	return ""
}

// mapKeeps reports whether a field's value is stored in the event as a
// string, which must then not alias the reused line buffer.
func mapKeeps(f mapField) bool {
	switch f {
	case mapSrcFQDN, mapDstFQDN, mapSrcURL, mapDstURL, mapIdentifier, mapMalware,
		mapTransport, mapApplication, mapText, mapFeedName, mapFeedProvider:
		return true
	}
	return false
}

// mapped puts a member the mapping names into its target.
func (d *jsonlMapDecoder) mapped(t mapTarget, v []byte) string {
	if jsonIsNull(v) {
		return ""
	}
	if t.field == mapExtra {
		return d.putExtra(t.extra, v)
	}
	var b []byte
	switch v[0] {
	case '"':
		var ok bool
		if b, ok = jsonStrBytes(v); !ok {
			return fmt.Sprintf("member %q: invalid string escape", truncate(string(d.path), 64))
		}
	case '{', '[':
		return fmt.Sprintf("member %q: want a string or number, got %s", truncate(string(d.path), 64), mapJSONKind(v[0]))
	default:
		if !json.Valid(v) {
			return fmt.Sprintf("member %q: invalid JSON value %s", truncate(string(d.path), 64), truncate(string(v), 64))
		}
		b = v
	}
	s := bstr(b) // parsed at once, or copied below when kept
	if mapKeeps(t.field) {
		s = string(b)
	}
	if err := d.spec.set(&d.e, &d.rec, t, s); err != nil {
		return fmt.Sprintf("member %q: %v", truncate(string(d.path), 64), err)
	}
	return ""
}
