package feed

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

// Sink receives what a Decoder makes of its input.
type Sink interface {
	// Event receives one decoded record. The decoder owns e and its byte
	// slices (Raw, Extra) and reuses them after Event returns, so a sink
	// that keeps the event must copy those slices; strings are immutable
	// and may be kept. A non-nil error stops decoding and is returned by
	// Decode unchanged.
	Event(e *event.Event) error
	// Reject records that the input record starting at line (1-based) could
	// not be decoded, with a reason a person can act on.
	Reject(line int64, reason string)
}

// Object is an input record kept as it was received: a STIX object,
// which other objects may refer to by its id, and which an export gives
// out again unchanged.
type Object struct {
	Line int64
	// ID, Type, SpecVersion and Version name the object's version; an
	// object without a modified or created time has the zero Version.
	ID, Type, SpecVersion string
	Version               time.Time
	// TLP is the object's marking, the default when it names none.
	TLP event.TLP
	// JSON is the object, compacted. The decoder owns it, as Event's Raw.
	JSON []byte
	// Event is true when the decoder hands the record to Event next; when
	// false, keeping the object is all that becomes of the record.
	Event bool
}

// ObjectSink is a Sink that also keeps objects. A decoder whose records
// are objects (STIX) hands each readable one to Object, and then either
// to Event or to nothing more; with a plain Sink it rejects the records
// that make no event instead, with the reason.
type ObjectSink interface {
	Sink
	Object(o *Object) error
}

// Decoder turns one input stream in one format into events.
type Decoder interface {
	// Decode reads r to its end, calling sink.Event for every record it
	// decodes and sink.Reject for every record it cannot, so that each
	// record of the input reaches the sink exactly once. Header, comment
	// and blank lines are not records. Decode returns an error only when
	// the input as a whole cannot be read (an I/O error, or an input that
	// is not in this format at all) or when the sink or ctx stops it.
	Decode(ctx context.Context, r io.Reader, sink Sink) error
}

// Options configure a decoder. The zero value is valid: each decoder then
// uses its own feed name and the default TLP.
type Options struct {
	// Feed overrides feed.name.
	Feed string
	// Path is the input's file name, which some formats use as a hint
	// (Shadowserver report files are named after their report type).
	Path string
	// Report forces the Shadowserver report type.
	Report string
	// Mapping describes a generic CSV or JSON-lines input.
	Mapping *Mapping
	// TLP marks records whose input carries no marking of its own; nil
	// means event.DefaultTLP. (A pointer, because the zero TLP is CLEAR,
	// the least restrictive marking: forgetting to set it must not publish
	// anything.)
	TLP *event.TLP
}

// Marking returns the TLP for records without a marking of their own.
func (o Options) Marking() event.TLP {
	if o.TLP == nil {
		return event.DefaultTLP
	}
	return *o.TLP
}

// feedName returns the configured feed name or def.
func (o Options) feedName(def string) string {
	if o.Feed != "" {
		return o.Feed
	}
	return def
}

// Format describes one input format Concord can read.
type Format struct {
	// Name is what --format accepts, e.g. "eve".
	Name string
	// Description is one line for `concord ingest --help` and docs.
	Description string
	// Sniff returns how confident it is (0 none, 100 certain) that an input
	// whose file name is name and which starts with head is in this format.
	Sniff func(name string, head []byte) int
	// New returns a decoder configured by opts, or an error naming what the
	// options lack (a generic CSV needs a mapping).
	New func(opts Options) (Decoder, error)
}

var formats = map[string]Format{}

// register adds a format; each decoder file calls it from init.
func register(f Format) {
	if _, dup := formats[f.Name]; dup {
		panic("feed: format registered twice: " + f.Name)
	}
	formats[f.Name] = f
}

// Formats returns the known formats sorted by name.
func Formats() []Format {
	out := make([]Format, 0, len(formats))
	for _, f := range formats {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the format called name.
func Lookup(name string) (Format, error) {
	f, ok := formats[name]
	if !ok {
		names := make([]string, 0, len(formats))
		for _, f := range Formats() {
			names = append(names, f.Name)
		}
		return Format{}, fmt.Errorf("feed: unknown format %q (known: %s)", name, strings.Join(names, ", "))
	}
	return f, nil
}

// SniffSize is how many leading bytes Detect looks at.
const SniffSize = 64 << 10

// ErrUnknownFormat is returned by Detect when no format recognizes the input.
var ErrUnknownFormat = errors.New("feed: cannot tell the input's format from its content; name it with --format")

// Detect picks the format that is most confident about head. Ties go to the
// alphabetically first name so detection is deterministic.
func Detect(name string, head []byte) (Format, error) {
	if looksBinary(head) {
		return Format{}, fmt.Errorf("feed: input looks binary (NUL bytes or invalid text), not a feed export")
	}
	best, bestScore := Format{}, 0
	for _, f := range Formats() {
		if s := f.Sniff(name, head); s > bestScore {
			best, bestScore = f, s
		}
	}
	if bestScore == 0 {
		return Format{}, ErrUnknownFormat
	}
	return best, nil
}

// looksBinary reports whether head contains NUL bytes, which no text feed
// does; UTF-16 exports are the usual culprit.
func looksBinary(head []byte) bool {
	return bytes.IndexByte(head, 0) >= 0
}

// Input is an opened input stream, decompressed when it was gzip-compressed,
// with its first bytes available for format detection.
type Input struct {
	*bufio.Reader
	closer io.Closer
}

// Open wraps r for decoding: it transparently decompresses gzip (feeds are
// often downloaded as .gz) and buffers enough to sniff the format.
func Open(r io.Reader) (*Input, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("feed: corrupt gzip stream: %w", err)
		}
		return &Input{Reader: bufio.NewReaderSize(zr, 1<<20), closer: zr}, nil
	}
	return &Input{Reader: br}, nil
}

// Head returns up to SniffSize leading bytes without consuming them.
func (in *Input) Head() ([]byte, error) {
	head, err := in.Peek(SniffSize)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return head, fmt.Errorf("feed: read: %w", err)
	}
	return head, nil
}

// Close releases the decompressor, if any; it does not close the
// underlying reader.
func (in *Input) Close() error {
	if in.closer != nil {
		return in.closer.Close()
	}
	return nil
}

// checkCtx returns ctx.Err() every 4096 records, so decoders notice
// cancellation without paying for it on every line.
func checkCtx(ctx context.Context, n int64) error {
	if n&4095 == 0 {
		return ctx.Err()
	}
	return nil
}
