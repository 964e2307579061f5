package node

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/concord-cert/concord/internal/stats"
	"github.com/concord-cert/concord/internal/store"
)

// Report computes the statistics of opts' period from st: the facts, the
// relay lists valid in the period (loaded while the facts are scanned; the
// IP database is not needed, facts carry their country and AS) and, when
// st keeps casework, the cooperation figures.
func Report(ctx context.Context, st store.Store, opts stats.Options) (*stats.Report, error) {
	s := &Session{St: st}
	return stats.Compute(ctx, stats.Inputs{
		Store: st,
		Lists: func(ctx context.Context) (stats.RelayLists, []stats.ListKind, error) {
			if err := s.LoadLists(ctx, opts.From, opts.To.Add(24*time.Hour-time.Second)); err != nil {
				return nil, nil, err
			}
			var kinds []stats.ListKind
			for _, k := range slices.Sorted(maps.Keys(s.ListKinds)) {
				kinds = append(kinds, stats.ListKind{Kind: k, Entries: s.ListKinds[k]})
			}
			return s.Lists, kinds, nil
		},
		Cooperation: cooperationSource(st),
	}, opts)
}

// cooperationSource reads what the report's cooperation section counts:
// every request for assistance with its status history, the agencies and
// the victim reports. It returns nil, and the report says cooperation is
// not tracked, when the store keeps no casework.
func cooperationSource(st store.Store) func(context.Context) (stats.CooperationData, error) {
	cw, ok := st.(store.Casework)
	if !ok {
		return nil
	}
	return func(ctx context.Context) (stats.CooperationData, error) {
		var d stats.CooperationData
		var err error
		if d.Requests, err = cw.Requests(ctx); err != nil {
			return d, err
		}
		d.History = make(map[int64][]store.RequestChange, len(d.Requests))
		for _, r := range d.Requests {
			if d.History[r.ID], err = cw.RequestHistory(ctx, r.ID); err != nil {
				return d, err
			}
		}
		if d.Agencies, err = cw.Agencies(ctx); err != nil {
			return d, err
		}
		d.VictimReports, err = cw.VictimReports(ctx)
		return d, err
	}
}
