// Package store defines what Concord keeps and how the rest of the code asks
// for it, independent of the database behind it. Backends live in
// subpackages (store/sqlite is the embedded default) and must all pass the
// conformance suite in store/storetest, so code written against these types
// behaves the same on a laptop and on a shared server.
package store

import (
	"bytes"
	"context"
	"errors"
	"math"
	"net/netip"
	"sort"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

// KeySize is the length of the de-duplication key kept for each event.
const KeySize = 16

// Key is an event's de-duplication key: six bytes of its source time in
// seconds, then the first ten bytes of its content hash. Leading with time
// keeps the key index append-mostly for time-ordered input (sensors write in
// time order), which keeps ingest fast as the store grows: random keys would
// touch a different index page with every insert. Eighty bits of hash within
// one second of source time leave no practical chance of two different
// records colliding.
type Key [KeySize]byte

// KeyOf makes the key of an event with content hash h and source time t
// (zero when the feed gave none). It must not depend on anything that
// changes between runs, so it never uses time.observation.
func KeyOf(h [event.HashSize]byte, t time.Time) Key {
	var sec int64
	if !t.IsZero() && t.Unix() > 0 {
		sec = t.Unix()
	}
	k := keyAt(sec)
	copy(k[6:], h[:KeySize-6])
	return k
}

// keyAt is the lowest key of source time sec (seconds; 0 for events
// without one).
func keyAt(sec int64) Key {
	var k Key
	k[0], k[1], k[2], k[3], k[4], k[5] = byte(sec>>40), byte(sec>>32), byte(sec>>24), byte(sec>>16), byte(sec>>8), byte(sec)
	return k
}

// KeyTime returns the source time in seconds that leads k (0: none):
// PostgreSQL's partition column.
func KeyTime(k Key) int64 {
	return int64(k[0])<<40 | int64(k[1])<<32 | int64(k[2])<<24 | int64(k[3])<<16 | int64(k[4])<<8 | int64(k[5])
}

// KeyOrder returns the indexes of keys in key order, stable: backends
// insert a batch in this order so that each index page it touches is
// visited once, however random the keys.
func KeyOrder(keys []Key) []int {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return bytes.Compare(keys[idx[a]][:], keys[idx[b]][:]) < 0 })
	return idx
}

// Batch is a group of events stored in one transaction: either all of its
// effects are visible afterwards or none are.
type Batch struct {
	// IngestID is the run the events belong to (see BeginIngest).
	IngestID int64
	// Events are enriched and valid; Keys[i] is Events[i]'s key.
	Events []event.Event
	Keys   []Key
	// Docs, when not nil, holds each event's document (DocEncoder), which
	// callers prepare off the writer's critical path; the events' Raw and
	// Extra may then be nil. Otherwise the store builds the documents.
	Docs [][]byte
	// IPDB is the database id (from RegisterIPDB) that enriched the events.
	IPDB int64
	// Rejects are the rejections seen since the previous batch of the run;
	// they are stored in the same transaction as the events, and the run's
	// counters grow by what the batch held, so an interrupted run still
	// says exactly how far it got.
	Rejects []Rejection
	// Objects are input records kept as they were received — the STIX
	// objects of an imported bundle — stored into their collection by
	// AddTAXIIObjects' rules, in the same transaction as the events.
	Objects []KeptObject
}

// KeptObject is an object a run keeps as received.
type KeptObject struct {
	TAXIIObject
	// Record is true when keeping the object is all that became of its
	// input record (no event was made of it): the run then counts the
	// record, as kept when the version is new and as a duplicate when it
	// was held already. An object that also became an event is counted
	// through the event.
	Record bool
}

// ImportedCollection is the collection that holds the objects ingest
// runs keep (STIX bundles, TAXII pulls). The TAXII server does not offer
// it; `concord export stix` writes it out again.
const ImportedCollection = "concord-imported"

// BatchResult says what happened to each event of a batch.
type BatchResult struct {
	// New[i] is true when Events[i] was stored and false when an event with
	// the same key was already there (a duplicate).
	New []bool
	// Kept[i] is true when Objects[i] was stored and false when that
	// version of the object was held already.
	Kept []bool
	// Counts is what the batch added to its run's counters.
	Counts Counts
}

// Rejection is one input record Concord could not use.
type Rejection struct {
	Line   int64
	Reason string
	// Key, when set, names the rejection across deliveries: a rejection
	// whose key is already stored is not stored again (a stream message
	// redelivered after its worker died). Empty for a file's own read.
	Key []byte
}

// Counts are the counters of an ingest run.
type Counts struct {
	Records      int64
	Accepted     int64
	Duplicates   int64
	Rejected     int64
	Observations int64
	// Kept counts records kept only as received objects (Batch.Objects
	// with Record set), such as a bundle's threat actors and
	// relationships.
	Kept int64
}

// IngestRun describes one input read by `concord ingest`.
type IngestRun struct {
	ID       int64
	Path     string
	Format   string
	Feed     string
	Started  time.Time
	Finished time.Time // zero while running or when interrupted
	Status   string    // "running", "done", "failed"
	Counts   Counts
}

// ListEntry is one address range on a relay list during a period.
type ListEntry struct {
	Kind  event.Flags // exactly one flag: FlagTor, FlagProxy, ...
	Range Range
	// From and To bound when the range was on the list, inclusive, in UTC.
	// Zero From means "since ever", zero To "until further notice".
	From, To time.Time
	Source   string // the list or file it came from
}

// ListRange is a list entry in the compact form indexes are built from:
// From and To are Unix seconds, inclusive, SinceEver and UntilEver when the
// period is unbounded.
type ListRange struct {
	Kind     event.Flags
	Lo, Hi   netip.Addr
	From, To int64
}

// The bounds of an unbounded list period.
const (
	SinceEver int64 = math.MinInt64 / 2
	UntilEver int64 = math.MaxInt64 / 2
)

// Range is an inclusive address range within one family.
type Range struct{ Lo, Hi netip.Addr }

// Contains reports whether a is in r.
func (r Range) Contains(a netip.Addr) bool {
	return a.BitLen() == r.Lo.BitLen() && r.Lo.Compare(a) <= 0 && a.Compare(r.Hi) <= 0
}

// IPDBRecord is an IP database known to the store.
type IPDBRecord struct {
	ID     int64
	Name   string // "name@version"
	Loaded time.Time
	// Data is the encoded database (ipdb.DB.Encode) for operator-loaded
	// databases, nil for the snapshot embedded in the binary.
	Data []byte
}

// ErrNotFound is returned when a requested item does not exist.
var ErrNotFound = errors.New("store: not found")

// Events stores normalized events and the distinct-address facts derived
// from them.
type Events interface {
	// WriteBatch stores the batch's new events, skips those whose key is
	// already stored, adds the facts of the new events, the rejections and
	// the run's progress — all in one transaction. On error nothing of the
	// batch is stored.
	WriteBatch(ctx context.Context, b *Batch) (BatchResult, error)
}

// Reader reads back what Events stored.
type Reader interface {
	// EventByKey returns the stored event with key k, or ErrNotFound.
	EventByKey(ctx context.Context, k Key) (event.Event, error)
	// Facts returns the facts of the days from..to (inclusive), ordered by
	// their key.
	Facts(ctx context.Context, from, to int32) ([]Fact, error)
	// EachFact calls fn with each fact of the days from..to in key order,
	// without holding them all in memory. fn must not keep the pointer; an
	// error from fn stops the scan and is returned.
	EachFact(ctx context.Context, from, to int32, fn func(*Fact) error) error
	// EachFactOfRole is EachFact for the facts of one role, with only the
	// fields its statistics use filled: Day, IP and CC always; Malware, ASN
	// and ASName for C&C servers; Malware, Peer and PeerCC for infected hosts;
	// Class and Flags for the others. Scans may run concurrently.
	EachFactOfRole(ctx context.Context, from, to int32, role event.Role, fn func(*Fact) error) error
	// FeedDays returns how many events each feed stored for the days
	// from..to, per IP database that enriched them.
	FeedDays(ctx context.Context, from, to int32) ([]FeedCount, error)
	// CountDistinct counts the distinct addresses of the facts q selects.
	CountDistinct(ctx context.Context, q DistinctQuery) (int64, error)
	// EachC2 calls fn with every address stored as a C&C server and each
	// day it was one, in no particular order.
	EachC2(ctx context.Context, fn func(ip netip.Addr, day int32)) error
	// FactsOfIP returns the facts of one address for the days from..to
	// (inclusive), in key order: what the feeds saw it do and when. Its
	// cost grows with the number of days, not with the store's size.
	FactsOfIP(ctx context.Context, ip netip.Addr, from, to int32) ([]Fact, error)
}

// FeedCount is how many events a feed stored, enriched by one IP database.
type FeedCount struct {
	Feed         string
	IPDB         string // "name@version"
	Incidents    int64
	Observations int64
}

// DistinctQuery selects facts for CountDistinct.
type DistinctQuery struct {
	From, To int32 // days, inclusive
	Role     event.Role
	CC       string // only addresses in this country, when set
}

// Ingests records ingest runs.
type Ingests interface {
	// BeginIngest records the start of a run and returns its id.
	BeginIngest(ctx context.Context, run IngestRun) (int64, error)
	// FinishIngest records the end of a run ("done" or "failed"). Its
	// counters are those its batches added.
	FinishIngest(ctx context.Context, id int64, status string) error
	// Ingest returns one run.
	Ingest(ctx context.Context, id int64) (IngestRun, error)
	// Rejections returns a run's rejections in input order.
	Rejections(ctx context.Context, id int64) ([]Rejection, error)
}

// IPDBs keeps the IP databases that enriched events.
type IPDBs interface {
	// RegisterIPDB records a database by name; data is nil for the embedded
	// snapshot. Registering the same name again returns the existing id.
	// When activate is true it becomes the database new ingests use.
	RegisterIPDB(ctx context.Context, name string, data []byte, activate bool) (int64, error)
	// ActiveIPDB returns the database operators loaded last, or ErrNotFound
	// when none was loaded (the embedded snapshot applies).
	ActiveIPDB(ctx context.Context) (IPDBRecord, error)
}

// Lists keeps relay and hosting lists with the periods their entries were
// valid.
type Lists interface {
	// ImportList adds entries, extending the period of an entry already
	// present for the same kind and range when the periods touch or
	// overlap. It returns how many entries were added and extended.
	ImportList(ctx context.Context, entries []ListEntry) (added, extended int, err error)
	// ListEntries returns every entry, for building the in-memory index.
	ListEntries(ctx context.Context) ([]ListEntry, error)
	// EachListRange calls fn with each entry whose period overlaps from..to
	// (zero times: every entry), in the compact form, for building an
	// index without holding the entries.
	EachListRange(ctx context.Context, from, to time.Time, fn func(ListRange)) error
}

// Store is everything a backend provides.
type Store interface {
	Events
	Reader
	Ingests
	IPDBs
	Lists
	// Stats returns totals for status displays and tests.
	Stats(ctx context.Context) (Totals, error)
	// Digest returns a hash of the stored events (their keys) and facts,
	// independent of insertion order, run ids and observation times: two
	// stores with the same content have the same digest.
	Digest(ctx context.Context) (string, error)
	Close() error
}

// Totals summarizes a store's content.
type Totals struct {
	Events       int64
	Incidents    int64
	Observations int64
	Facts        int64
	Ingests      int64
	Rejections   int64
	ListEntries  int64
}
