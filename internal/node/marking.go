package node

import (
	"context"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// ReportMarking returns the TLP a report, a chart or an address history
// over the days from..to inherits: the strictest marking among the events
// stored for those days (DESIGN.md: derived items carry the strictest
// marking of their inputs). A period with no events is TLP:CLEAR: it
// reveals nothing. A store that cannot say fails closed with TLP:RED.
func ReportMarking(ctx context.Context, st store.Store, from, to time.Time) (event.TLP, error) {
	m, ok := st.(store.Markings)
	if !ok {
		return event.TLPRed, nil
	}
	t, found, err := m.StrictestTLP(ctx, store.DayOf(from), store.DayOf(to))
	if err != nil || !found {
		return event.TLPClear, err
	}
	return t, nil
}
