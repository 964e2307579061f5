package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/concord-cert/concord/internal/enrich"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

// ListImport is a relay or hosting list file to import, as an operator
// describes it on the command line or in the admin page.
type ListImport struct {
	// Kind is tor, proxy, vpn, hosting or sinkhole.
	Kind string
	// Source names the list in the store: the file's name.
	Source string
	// Modified is when the file was last changed: the day it was fetched
	// unless Fetched says otherwise.
	Modified time.Time
	// From and To bound the period undated entries were listed; Fetched
	// is the day the list was downloaded. Dates as typed; empty: the
	// default.
	From, To, Fetched string
}

// ErrListKind is wrapped by the error for an unknown list kind.
var ErrListKind = errors.New("unknown list kind")

// Options checks l and returns how to parse the list. Its errors are the
// operator's: an unknown kind, a date that does not parse, a period that
// ends before it starts.
func (l ListImport) Options() (enrich.ListOptions, error) {
	kind, ok := enrich.ListKinds[l.Kind]
	if !ok {
		return enrich.ListOptions{}, fmt.Errorf("%w %q (use tor, proxy, vpn, hosting or sinkhole)", ErrListKind, l.Kind)
	}
	opts := enrich.ListOptions{Kind: kind, Source: l.Source, Fetched: l.Modified.UTC()}
	for _, fv := range []struct {
		val string
		dst *time.Time
		end bool
	}{{l.From, &opts.From, false}, {l.To, &opts.To, true}, {l.Fetched, &opts.Fetched, false}} {
		if fv.val == "" {
			continue
		}
		var err error
		if *fv.dst, err = enrich.ParseDate(fv.val, fv.end); err != nil {
			return enrich.ListOptions{}, err
		}
	}
	if !opts.To.IsZero() && !opts.From.IsZero() && opts.To.Before(opts.From) {
		return enrich.ListOptions{}, errors.New("the end of the period (to) is before its start (from)")
	}
	return opts, nil
}

// ListResult is what importing one list did.
type ListResult struct {
	Kind     string          `json:"kind"`
	File     string          `json:"file"`
	Entries  int             `json:"entries"`
	Added    int             `json:"added"`
	Extended int             `json:"extended"`
	Rejected []ListRejection `json:"rejected"`
}

// ListRejection is a line of a list that could not be read.
type ListRejection struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// ImportList reads the list r holds with opts and stores its entries;
// kind and file name it in the result.
func ImportList(ctx context.Context, st store.Store, r io.Reader, kind, file string, opts enrich.ListOptions) (ListResult, error) {
	entries, bad, err := enrich.ParseList(r, opts)
	if err != nil {
		return ListResult{}, err
	}
	added, extended, err := st.ImportList(ctx, entries)
	if err != nil {
		return ListResult{}, err
	}
	res := ListResult{Kind: kind, File: file, Entries: len(entries), Added: added, Extended: extended, Rejected: []ListRejection{}}
	for _, b := range bad {
		res.Rejected = append(res.Rejected, ListRejection{b.Line, b.Reason})
	}
	return res, nil
}

// ListSummary is what the store holds of one kind of list.
type ListSummary struct {
	Kind    string `json:"kind"`
	Entries int    `json:"entries"`
	// Earliest and Latest bound the entries' periods; zero: unbounded.
	Earliest time.Time `json:"earliest"`
	Latest   time.Time `json:"latest"`
	Sources  []string  `json:"sources"`
}

// SummarizeLists returns, for each kind of list the store holds, how many
// entries, over which period, from which files, in the order of the
// kinds' names.
func SummarizeLists(ctx context.Context, st store.Store) ([]ListSummary, error) {
	entries, err := st.ListEntries(ctx)
	if err != nil {
		return nil, err
	}
	type agg struct {
		ListSummary
		sources map[string]bool
	}
	byKind := map[event.Flags]*agg{}
	for _, en := range entries {
		a := byKind[en.Kind]
		if a == nil {
			a = &agg{sources: map[string]bool{}}
			byKind[en.Kind] = a
		}
		a.Entries++
		a.sources[en.Source] = true
		if !en.From.IsZero() && (a.Earliest.IsZero() || en.From.Before(a.Earliest)) {
			a.Earliest = en.From
		}
		if en.To.After(a.Latest) {
			a.Latest = en.To
		}
	}
	var out []ListSummary
	for _, name := range slices.Sorted(maps.Keys(enrich.ListKinds)) {
		a := byKind[enrich.ListKinds[name]]
		if a == nil {
			continue
		}
		a.Kind, a.Sources = name, slices.Sorted(maps.Keys(a.sources))
		out = append(out, a.ListSummary)
	}
	return out, nil
}
