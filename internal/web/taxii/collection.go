package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/stix"
	"github.com/concord-cert/concord/internal/store"
)

// Collection is one TAXII collection: the objects shared with one
// audience.
type Collection struct {
	// ID is the collection's identifier in URLs; Alias names it in the
	// store and may stand for the ID in URLs too.
	ID, Alias, Title, Description string
	// MaxTLP is the strictest label the collection holds: an object
	// marked beyond it is refused.
	MaxTLP event.TLP
	// Agency restricts the collection to users of this node's agency.
	Agency bool
}

// collections are the node's collections, one per sharing audience.
var collections = []Collection{
	{ID: "4bd2e8e5-1f6c-4d1a-9d1e-3f0b6a7c2e11", Alias: "community", Title: "Community",
		Description: "Objects marked TLP:CLEAR or TLP:GREEN, for every staff user of every agency with an account on this node.",
		MaxTLP:      event.TLPGreen},
	{ID: "9a6f0c3d-7b2e-4e85-a1c4-5d8e2f7b9c60", Alias: "agency", Title: "Agency",
		Description: "Objects up to TLP:AMBER+STRICT, for the users of this node's agency, each up to their clearance.",
		MaxTLP:      event.TLPAmberStrict, Agency: true},
}

// Collections returns the node's collections, in the order discovery
// lists them.
func Collections() []Collection { return append([]Collection(nil), collections...) }

// CollectionNamed returns the collection whose ID or alias is name, and
// false when there is none.
func CollectionNamed(name string) (Collection, bool) {
	for _, col := range collections {
		if col.ID == name || col.Alias == name {
			return col, true
		}
	}
	return Collection{}, false
}

// Outcome is what became of one object handed to Add.
type Outcome struct {
	// ID is the object's id as given (possibly not a STIX identifier
	// when the object was refused as unreadable).
	ID string
	// Version is the version the object was read as; zero when the
	// object could not be read.
	Version time.Time
	// TLP is the strictest TLP of the object's markings.
	TLP event.TLP
	// Stored is true when the collection holds this version after Add;
	// New is true when Add stored it, false when it was held already.
	Stored, New bool
	// Withheld is true when the object was refused because it is marked
	// above the collection's limit.
	Withheld bool
	// Message says why an object was refused.
	Message string
}

// Add adds the STIX objects objs (each one JSON object) to col in one
// store transaction, as a TAXII POST to the collection does, and returns
// one outcome per object, in order. Each object is read for its id,
// type, version and markings; an unreadable object and one marked above
// col.MaxTLP are refused and reported, not stored; a version the
// collection holds already is not stored again and reports Stored but
// not New. Objects are stored compacted. The error is the store's: when
// it is set, nothing was stored. Checking the caller's right to write
// to col is the caller's duty.
func Add(ctx context.Context, st store.TAXII, col Collection, objs []json.RawMessage, now time.Time) ([]Outcome, error) {
	return AddRead(ctx, st, col, ReadHeads(objs), now)
}

// Read is an object with its head read (ReadHeads): what AddRead takes,
// so that a caller that needs the heads first reads each object once.
type Read struct {
	JSON json.RawMessage
	Head stix.Head
	// Err says why the head could not be read.
	Err error
}

// ReadHeads reads the head of each object.
func ReadHeads(objs []json.RawMessage) []Read {
	out := make([]Read, len(objs))
	for i, raw := range objs {
		h, err := stix.ReadHead(raw)
		out[i] = Read{raw, h, err}
	}
	return out
}

// AddRead is Add for objects whose heads were read.
func AddRead(ctx context.Context, st store.TAXII, col Collection, objs []Read, now time.Time) ([]Outcome, error) {
	out := make([]Outcome, len(objs))
	rows := make([]store.TAXIIObject, 0, len(objs))
	at := make([]int, 0, len(objs)) // index in out of each row
	for i, r := range objs {
		raw := r.JSON
		p, err := parsedOf(r.Head, r.Err, now)
		o := &out[i]
		o.ID = p.ID
		if err != nil {
			o.Message = err.Error()
			continue
		}
		o.Version, o.TLP = p.Version, p.TLP
		if p.TLP > col.MaxTLP {
			o.Withheld = true
			o.Message = fmt.Sprintf("marked %s; the collection %s holds objects up to %s", p.TLP, col.Alias, col.MaxTLP)
			continue
		}
		var compact bytes.Buffer
		compact.Grow(len(raw))
		if err := json.Compact(&compact, raw); err != nil {
			o.Message = fmt.Sprintf("not a STIX object: %v", err)
			continue
		}
		rows = append(rows, store.TAXIIObject{Collection: col.Alias, ID: p.ID, Version: p.Version, Type: p.Type,
			SpecVersion: p.SpecVersion, TLP: p.TLP, JSON: compact.Bytes()})
		at = append(at, i)
	}
	if len(rows) == 0 {
		return out, nil
	}
	added, err := st.AddTAXIIObjects(ctx, rows, now)
	if err != nil {
		return nil, fmt.Errorf("taxii: add to %s: %w", col.Alias, err)
	}
	for k, i := range at {
		out[i].Stored, out[i].New = true, added[k]
	}
	return out, nil
}
