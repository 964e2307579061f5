package coop

import (
	"context"
	"encoding/hex"
	"errors"
	"net/netip"
	"time"

	"github.com/concord-cert/concord/internal/assess"
	"github.com/concord-cert/concord/internal/enrich"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/store"
)

// Background answers an assessment's questions (assess.Background) from
// the IP database, the relay lists and the store: what `concord assess`
// and the web's assessment page consult.
type Background struct {
	// Geo places addresses.
	Geo *ipdb.DB
	// Enricher flags relays from the lists loaded (enrich.New(Geo, nil)
	// for none).
	Enricher *enrich.Enricher
	// ListKinds counts the loaded list entries by kind, for the record.
	ListKinds map[string]int
	// Store holds the stored feeds, nil when none is consulted; Path
	// names it in the record.
	Store store.Reader
	Path  string
}

// Place implements assess.Background.
func (b *Background) Place(ip netip.Addr) assess.Place {
	r := b.Geo.Lookup(ip)
	return assess.Place{CC: r.CC, ASN: r.ASN, ASName: r.ASName}
}

// Flags implements assess.Background.
func (b *Background) Flags(ip netip.Addr, t time.Time) event.Flags {
	if t.IsZero() {
		t = time.Now().UTC()
	}
	_, f := b.Enricher.Lookup(ip, t)
	return f
}

// History implements assess.Background.
func (b *Background) History(ctx context.Context, ip netip.Addr, from, to int32) ([]store.Fact, error) {
	if b.Store == nil {
		return nil, nil
	}
	return b.Store.FactsOfIP(ctx, ip, from, to)
}

// EventTLP implements assess.Background.
func (b *Background) EventTLP(ctx context.Context, key string) (event.TLP, bool, bool, error) {
	if b.Store == nil {
		return 0, false, false, nil
	}
	raw, err := hex.DecodeString(key)
	if err != nil || len(raw) != store.KeySize {
		return 0, false, true, nil
	}
	ev, err := b.Store.EventByKey(ctx, store.Key(raw))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 0, false, true, nil
	case err != nil:
		return 0, false, true, err
	}
	return ev.TLP, true, true, nil
}

// Consulted implements assess.Background.
func (b *Background) Consulted() assess.Sources {
	return assess.Sources{IPDB: b.Geo.ID(), Lists: b.ListKinds, Store: b.Path}
}
