package store

import (
	"context"

	"github.com/concord-cert/concord/internal/event"
)

// Markings tells what marking data derived from stored events inherits.
type Markings interface {
	// StrictestTLP returns the most restrictive TLP among the events
	// stored for the days from..to (inclusive), and false when there are
	// none. Its cost grows with the number of days and feeds, not with
	// the number of events.
	StrictestTLP(ctx context.Context, from, to int32) (event.TLP, bool, error)
}

// DayFeed is one row of the per-day feed counts.
type DayFeed struct {
	Day  int32
	Feed string
}

// FeedDayCount is what a batch adds to one DayFeed row.
type FeedDayCount struct {
	Incidents, Observations int64
	MaxTLP                  event.TLP
}

// CountFeedDays counts a batch's new events per day and feed, with the
// strictest marking among them; order lists the rows as first seen.
func CountFeedDays(b *Batch, isNew []bool) (counts map[DayFeed]*FeedDayCount, order []DayFeed) {
	counts = map[DayFeed]*FeedDayCount{}
	for i, n := range isNew {
		if !n {
			continue
		}
		e := &b.Events[i]
		k := DayFeed{DayOf(e.Time()), e.Feed.Name}
		c := counts[k]
		if c == nil {
			c = &FeedDayCount{}
			counts[k] = c
			order = append(order, k)
		}
		if e.Kind == event.Incident {
			c.Incidents++
		} else {
			c.Observations++
		}
		c.MaxTLP = c.MaxTLP.Stricter(e.TLP)
	}
	return counts, order
}
