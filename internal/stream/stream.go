package stream

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DefaultStream is the stream name used when a URL names none.
const DefaultStream = "concord"

// The headers every message carries besides Nats-Msg-Id. They repeat what
// the payload holds (or, for rejections, are all there is) so that an
// operator can inspect a stream with the nats CLI, and so that a worker can
// say where a record came from even when the payload cannot be decoded.
const (
	// HeaderFeed is the feed name of the record (feed.name).
	HeaderFeed = "Concord-Feed"
	// HeaderSource is the file (or "-" for standard input) the record was
	// read from, as the publisher named it.
	HeaderSource = "Concord-Source"
	// HeaderLine is the 1-based line of the source where the record starts:
	// the feed's position.
	HeaderLine = "Concord-Line"
	// HeaderFormat is the input format the publisher decoded, e.g. "eve".
	HeaderFormat = "Concord-Format"
)

// ParseURL splits a stream address such as "nats://host:4222/concord" into
// the server URL to connect to and the stream name (its path, DefaultStream
// when empty). Several servers may be given comma-separated, as nats.Connect
// accepts them; the stream name is taken from the last one.
func ParseURL(raw string) (server, stream string, err error) {
	stream = DefaultStream
	servers := strings.Split(raw, ",")
	last := servers[len(servers)-1]
	u, err := url.Parse(last)
	if err != nil {
		return "", "", fmt.Errorf("stream: bad address %q: %w", redact(raw), err)
	}
	switch u.Scheme {
	case "nats", "tls", "ws", "wss":
	default:
		return "", "", fmt.Errorf("stream: address %q must start with nats:// (or tls://)", redact(raw))
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		stream = p
		u.Path = ""
		servers[len(servers)-1] = u.String()
	}
	if err := checkStreamName(stream); err != nil {
		return "", "", err
	}
	return strings.Join(servers, ","), stream, nil
}

// checkStreamName rejects names JetStream refuses, and names that would
// break the subjects derived from them.
func checkStreamName(name string) error {
	if name == "" || strings.ContainsAny(name, ".*>/\\ \t\r\n") {
		return fmt.Errorf("stream: %q is not a valid stream name (no dots, wildcards, slashes or spaces)", name)
	}
	return nil
}

// redact removes credentials from a URL before it is shown or stored.
func redact(raw string) string {
	parts := strings.Split(raw, ",")
	for i, p := range parts {
		if u, err := url.Parse(p); err == nil && u.User != nil {
			u.User = nil
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}

// eventSubject is where the events of one feed are published.
func eventSubject(stream, feed string) string { return stream + ".events." + token(feed) }

// rejectSubject is where the rejections of one feed are published.
func rejectSubject(stream, feed string) string { return stream + ".rejects." + token(feed) }

// token makes a feed name usable as one subject token: anything that is not
// a letter, digit, '-' or '_' becomes '_'.
func token(s string) string {
	if s == "" {
		return "_"
	}
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// StreamOptions configure the stream when Concord creates it. A stream that
// already exists is used as it is: changing its limits is an operator's
// decision (nats stream edit), not something a publisher does in passing.
type StreamOptions struct {
	// MaxBytes bounds the stream's disk use (default 8 GiB). When the
	// stream is full, publishing fails (discard policy "new") instead of
	// dropping events no worker has stored yet.
	MaxBytes int64
	// MaxAge is how long an event nobody consumed is kept (default seven
	// days). It is the one way the stream can drop an event: a backlog that
	// no worker took for this long means the workers are gone, and the age
	// bound keeps a forgotten stream from holding its disk forever. A
	// negative value keeps events until they are stored.
	MaxAge time.Duration
	// DuplicateWindow is how long the stream remembers message ids to drop
	// re-sent events (default two minutes, the server's own default). It
	// saves workers the work of re-storing a quick re-send; the store's
	// content keys make any later re-send harmless anyway. The server keeps
	// every id of the window in memory (about 100 bytes each), so a long
	// window at a high event rate costs the server memory.
	DuplicateWindow time.Duration
	// Replicas is the number of servers holding the stream (default 1; use
	// 3 on a cluster so that an acknowledged event survives a lost server).
	Replicas int
}

func (o StreamOptions) withDefaults() StreamOptions {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 8 << 30
	}
	if o.MaxAge == 0 {
		o.MaxAge = 7 * 24 * time.Hour
	}
	if o.MaxAge < 0 {
		o.MaxAge = 0
	}
	if o.DuplicateWindow <= 0 {
		o.DuplicateWindow = 2 * time.Minute
	}
	if o.MaxAge > 0 && o.DuplicateWindow > o.MaxAge {
		o.DuplicateWindow = o.MaxAge
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	return o
}

// StreamConfig returns the JetStream configuration of a Concord stream
// called name: file storage; work-queue retention, so that an event leaves
// the stream once a worker has stored it and acknowledged it, and the
// stream's disk holds only the backlog; discard "new" when full, so that
// the publisher fails rather than the server dropping events that were
// never stored; and two subjects, one for events and one for rejections.
func StreamConfig(name string, o StreamOptions) jetstream.StreamConfig {
	o = o.withDefaults()
	return jetstream.StreamConfig{
		Name:        name,
		Description: "Concord ingest: decoded events and rejected records, waiting for a worker to store them",
		Subjects:    streamSubjects(name),
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardNew,
		MaxBytes:    o.MaxBytes,
		MaxAge:      o.MaxAge,
		Duplicates:  o.DuplicateWindow,
		Replicas:    o.Replicas,
	}
}

func streamSubjects(name string) []string {
	return []string{name + ".events.>", name + ".rejects.>"}
}

// connect opens a connection that reconnects for as long as the process
// lives: a worker or publisher should outlast a server restart.
func connect(serverURL, name string) (*nats.Conn, error) {
	nc, err := nats.Connect(serverURL, nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
	if err != nil {
		return nil, fmt.Errorf("stream: connect to %s: %w (is the NATS server running, with JetStream enabled?)", redact(serverURL), err)
	}
	return nc, nil
}

// ensureStream returns the stream called name, creating it with o when it
// does not exist. An existing stream must carry Concord's subjects and
// work-queue retention; otherwise it belongs to something else.
func ensureStream(ctx context.Context, js jetstream.JetStream, name string, o StreamOptions) (jetstream.Stream, error) {
	s, err := js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = js.CreateStream(ctx, StreamConfig(name, o))
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s, err = js.Stream(ctx, name) // another process created it first
		}
	}
	if err != nil {
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
			return nil, fmt.Errorf("stream: JetStream is not enabled on the server; start nats-server with -js")
		}
		return nil, fmt.Errorf("stream: open stream %s: %w", name, err)
	}
	cfg := s.CachedInfo().Config
	for _, want := range streamSubjects(name) {
		if !slices.Contains(cfg.Subjects, want) {
			return nil, fmt.Errorf("stream: stream %s exists with subjects %v, not Concord's %v; name another stream in the URL (nats://host:4222/NAME)",
				name, cfg.Subjects, streamSubjects(name))
		}
	}
	if cfg.Retention != jetstream.WorkQueuePolicy {
		return nil, fmt.Errorf("stream: stream %s has %s retention, not work queue; it was not created by Concord", name, cfg.Retention)
	}
	return s, nil
}
