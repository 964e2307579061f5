package store

import (
	"context"
	"time"

	"github.com/concord-cert/concord/internal/event"
)

// TAXIIObject is one version of a STIX object held in a TAXII collection.
type TAXIIObject struct {
	// Collection is the collection's id.
	Collection string
	// ID is the STIX identifier ("indicator--<uuid>").
	ID string
	// Version is the object's modified time, else its created time, else
	// the time it was added (TAXII 2.1 §3.4), to the microsecond.
	Version time.Time
	// Type and SpecVersion are the object's STIX type and spec_version.
	Type, SpecVersion string
	// Added is when the collection received this version; set by the store,
	// strictly increasing within a collection.
	Added time.Time
	// TLP is the strictest TLP among the object's object_marking_refs.
	TLP event.TLP
	// JSON is the object as received.
	JSON []byte
	// Seq is the row's number, set by the store: with Added it orders a
	// collection's pages.
	Seq int64
}

// TAXIICursor is where a page of a collection ends: the next page starts
// after the row added at Added with Seq.
type TAXIICursor struct {
	Added time.Time
	Seq   int64
}

// TAXIIQuery selects object versions of one collection. Empty filters
// select everything; a filter's values are alternatives.
type TAXIIQuery struct {
	Collection string
	// TLPs are the labels the caller may receive; no labels select
	// nothing.
	TLPs []event.TLP
	// AddedAfter, when set, keeps versions added strictly after it.
	AddedAfter time.Time
	// After, when set, keeps versions after the cursor (paging).
	After TAXIICursor
	// IDs, Types and SpecVersions keep versions whose field is one of
	// them.
	IDs, Types, SpecVersions []string
	// First, Last and Versions select versions: the first, the last, or
	// those modified at one of Versions. With none set, every version.
	First, Last bool
	Versions    []time.Time
	// Limit bounds the page (at most 10,000; 0 means 10,000).
	Limit int
	// NoJSON leaves TAXIIObject.JSON empty (manifests and version lists).
	NoJSON bool
}

// MaxTAXIIPage is the largest page a TAXII query returns.
const MaxTAXIIPage = 10_000

// PageLimit returns the query's effective limit.
func (q *TAXIIQuery) PageLimit() int {
	if q.Limit <= 0 || q.Limit > MaxTAXIIPage {
		return MaxTAXIIPage
	}
	return q.Limit
}

// TAXIIPage is one page of a TAXII query, in the order the versions were
// added.
type TAXIIPage struct {
	Objects []TAXIIObject
	// More is true when versions beyond Next match the query.
	More bool
	// Next is the cursor after the page's last version.
	Next TAXIICursor
}

// TAXIIStatus is what became of one envelope POSTed to a collection.
type TAXIIStatus struct {
	ID         string
	Collection string
	User       string
	Requested  time.Time
	// Status is "complete" or "pending".
	Status                        string
	Successes, Failures, Pendings []TAXIIStatusDetail
}

// TAXIIStatusDetail is the fate of one object of an envelope.
type TAXIIStatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// TAXII keeps the objects of the TAXII server's collections and the
// status of POSTed envelopes. Both backends implement it.
type TAXII interface {
	// AddTAXIIObjects stores objs (each naming its collection) in one
	// transaction, giving each new version its Added time (at least now,
	// and later than any version the collection has held) and Seq, and
	// reports which were new: a version already held (same collection,
	// ID and Version) is not stored again and reports false. Writers to
	// one collection are serialized, so a reader paging by Added never
	// misses a version that commits later.
	AddTAXIIObjects(ctx context.Context, objs []TAXIIObject, now time.Time) (added []bool, err error)
	// TAXIIObjects returns the first page of versions matching q after
	// q.After, ordered by Added then Seq.
	TAXIIObjects(ctx context.Context, q TAXIIQuery) (TAXIIPage, error)
	// DeleteTAXIIObjects deletes every version matching q (Limit, After
	// and AddedAfter are ignored; IDs must name at least one object) and
	// returns how many it deleted. The remaining versions of those
	// objects keep their Added time; which is first and last is
	// recomputed.
	DeleteTAXIIObjects(ctx context.Context, q TAXIIQuery) (int64, error)
	// LatestTAXIIVersions returns the last version the collection holds
	// of each of ids that it holds, in no order, with its JSON when
	// withJSON is set. It reads by object, whatever the labels: it is for
	// the node's own bookkeeping, never for a reader.
	LatestTAXIIVersions(ctx context.Context, collection string, ids []string, withJSON bool) ([]TAXIIObject, error)
	// PutTAXIIStatus stores st, replacing the status with its ID.
	PutTAXIIStatus(ctx context.Context, st TAXIIStatus) error
	// TAXIIStatus returns the status with id, or ErrNotFound.
	TAXIIStatus(ctx context.Context, id string) (TAXIIStatus, error)
}
