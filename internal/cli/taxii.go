package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/stix"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web/taxii"
)

// taxiiCommands are the subcommands of `concord taxii`, one per file.
var taxiiCommands = []command{
	{"publish", "put this node's STIX objects for a period into a collection of concord serve's TAXII server", runTAXIIPublish},
	{"pull", "read what a partner's TAXII 2.1 collection (or another Concord node's) gained since the last pull, once or --every DURATION", runTAXIIPull},
}

func runTAXII(ctx context.Context, e *env, args []string) int {
	if len(args) > 0 {
		for _, c := range taxiiCommands {
			if c.name == args[0] {
				return c.run(ctx, e, args[1:])
			}
		}
	}
	fmt.Fprintln(e.stderr, "Usage: concord taxii COMMAND [flags]\n\nCommands:")
	for _, c := range taxiiCommands {
		fmt.Fprintf(e.stderr, "  %-9s %s\n", c.name, c.summary)
	}
	return exitUsage
}

// publishBatch is how many objects one store transaction adds. On SQLite
// 200,008 objects took 13.2 s in batches of 1,000, 10.0 s in batches of
// 5,000 (84 MB RSS) and 8.8 s in batches of 10,000 (127 MB RSS); a batch
// holds the write lock a POST to the server waits for, about a quarter of
// a second at 5,000. A variable so that the tests can publish in several
// batches.
var publishBatch = 5000

// publishSummary is what one publication did.
type publishSummary struct {
	Collection string `json:"collection"`
	From       string `json:"from"`
	To         string `json:"to"`
	// Objects is how many objects the export made; each was added, held
	// already, withheld or rejected.
	Objects  int64            `json:"objects"`
	Types    map[string]int64 `json:"types"`
	Added    int64            `json:"added"`
	Present  int64            `json:"already_present"`
	Withheld int64            `json:"withheld"`
	Rejected int64            `json:"rejected"`
	// Superseded objects were not added: the collection holds a later
	// version of them, published from a later period.
	Superseded int64 `json:"superseded"`
	// Facts were exported; FactsWithheld were not, because their day is
	// marked above the collection's limit.
	Facts         int64   `json:"facts"`
	FactsWithheld int64   `json:"facts_withheld"`
	Strictest     string  `json:"strictest_tlp"`
	Seconds       float64 `json:"seconds"`
	// Rejections are the first reasons objects were rejected (at most 10).
	Rejections []string `json:"rejections,omitempty"`
}

func runTAXIIPublish(ctx context.Context, e *env, args []string) int {
	fs := e.newFlags("taxii publish", "--db PATH [--collection community|agency] [--from DATE --to DATE | --days N] [--every DURATION] [--json]")
	db := fs.String("db", e.cfg.DB, "database `path` or postgres:// URL (the one concord serve uses)")
	name := fs.String("collection", "agency", "`collection` to publish into: community (up to TLP:GREEN) or agency (up to TLP:AMBER+STRICT)")
	fromS := fs.String("from", "", "first `day` of the period, YYYY-MM-DD (with --to; default: the last --days days)")
	toS := fs.String("to", "", "last `day` of the period, inclusive")
	days := fs.Int("days", 7, "publish the last `N` days, today included, when --from and --to are not given")
	every := fs.Duration("every", 0, "publish again after each `interval` (e.g. 1h), the last --days days each time, until interrupted")
	asJSON := fs.Bool("json", false, "print a JSON summary of each publication")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	col, ok := taxii.CollectionNamed(*name)
	if !ok {
		var names []string
		for _, c := range taxii.Collections() {
			names = append(names, c.Alias)
		}
		return e.fail(exitUsage, "no collection %q: name one of %s", *name, joinComma(names))
	}
	if *db == "" {
		return e.fail(exitUsage, "name the database with --db PATH")
	}
	if (*fromS == "") != (*toS == "") {
		return e.fail(exitUsage, "give both --from and --to, or neither to publish the last --days days")
	}
	if *every < 0 || (*every > 0 && *every < time.Second) {
		return e.fail(exitUsage, "--every %s is too short: give an interval of a second or more, e.g. 1h", *every)
	}
	if *every > 0 && *fromS != "" {
		return e.fail(exitUsage, "--every publishes the last --days days each time; leave out --from and --to")
	}
	if *days < 1 {
		return e.fail(exitUsage, "--days %d: give at least 1", *days)
	}
	var from, to time.Time
	if *fromS != "" {
		var code int
		if from, to, code = exportPeriod(e, *fromS, *toS); code != exitOK {
			return code
		}
	}
	if !node.IsPostgres(*db) {
		if _, err := os.Stat(*db); err != nil {
			return e.fail(exitFailure, "no database at %s: ingest something first, or name it with --db", *db)
		}
	}
	st, err := node.OpenStore(ctx, *db)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer st.Close()
	ts, ok := st.(store.TAXII)
	if !ok {
		return e.fail(exitFailure, "this database backend keeps no TAXII collections")
	}
	agency, err := st.SelfAgency(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return e.fail(exitFailure, "this node has no agency to name as the objects' creator: register it with `concord agency add --self --id ID --name NAME --country CC`")
	}
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	p := &publisher{st: st, ts: ts, agency: agency, col: col}
	for {
		if *fromS == "" {
			today := time.Now().UTC().Truncate(24 * time.Hour)
			from, to = today.AddDate(0, 0, 1-*days), today
		}
		sum, err := p.publish(ctx, from, to)
		switch {
		case err != nil && ctx.Err() != nil:
			fmt.Fprintln(e.stderr, "concord taxii publish: stopped")
			if *every > 0 {
				return exitOK
			}
			return exitFailure
		case err != nil:
			fmt.Fprintf(e.stderr, "concord: publish %s..%s to %s: %v\n", sum.From, sum.To, col.Alias, err)
			if *every == 0 {
				return exitFailure
			}
		case *asJSON:
			e.printJSON(sum)
		default:
			printPublished(e, sum, col)
		}
		if *every == 0 {
			if sum.Rejected > 0 {
				return exitFailure
			}
			return exitOK
		}
		select {
		case <-ctx.Done():
			fmt.Fprintln(e.stderr, "concord taxii publish: stopped")
			return exitOK
		case <-time.After(*every):
		}
	}
}

// revise keeps the versions of objects the collection holds consistent.
// An export makes an indicator anew from the period's facts, created on
// the first day it was seen within the period; a moving window therefore
// makes another version of the same object with another created time,
// which STIX forbids (created is the same in every version). For each
// object of which the collection holds another version, revise takes the
// created time of the version held, and drops the object when it is
// older than that version: it comes from an earlier period. Most objects
// of a publication are held at the same version, so the versions held are
// read first without their JSON, and the JSON only of those that differ.
func (p *publisher) revise(ctx context.Context, batch []taxii.Read, sum *publishSummary) ([]taxii.Read, error) {
	ids := make([]string, 0, len(batch))
	for _, r := range batch {
		if r.Err == nil && !r.Head.Version.IsZero() {
			ids = append(ids, r.Head.ID)
		}
	}
	held, err := p.ts.LatestTAXIIVersions(ctx, p.col.Alias, ids, false)
	if err != nil {
		return nil, fmt.Errorf("read the versions held: %w", err)
	}
	last := make(map[string]time.Time, len(held))
	for _, o := range held {
		last[o.ID] = o.Version
	}
	ids = ids[:0]
	for _, r := range batch {
		if v, ok := last[r.Head.ID]; ok && r.Err == nil && !r.Head.Version.Equal(v) {
			ids = append(ids, r.Head.ID)
		}
	}
	if len(ids) == 0 {
		return batch, nil
	}
	if held, err = p.ts.LatestTAXIIVersions(ctx, p.col.Alias, ids, true); err != nil {
		return nil, fmt.Errorf("read the versions held: %w", err)
	}
	created := make(map[string]json.RawMessage, len(held))
	for _, o := range held {
		var d struct {
			Created json.RawMessage `json:"created"`
		}
		if json.Unmarshal(o.JSON, &d) == nil && len(d.Created) > 0 {
			created[o.ID] = d.Created
		}
	}
	out := make([]taxii.Read, 0, len(batch))
	for _, r := range batch {
		c, ok := created[r.Head.ID]
		switch {
		case !ok:
			out = append(out, r)
		case r.Head.Version.Before(last[r.Head.ID]):
			sum.Superseded++
		default:
			if revised, err := stix.SetProperty(r.JSON, "created", c); err == nil {
				r.JSON = revised
			} // else Add rejects it, with the reason
			out = append(out, r)
		}
	}
	return out, nil
}

func printPublished(e *env, sum publishSummary, col taxii.Collection) {
	fmt.Fprintf(e.stderr, "published %s..%s to %s: %s objects — %s added, %s already present, %s withheld by marking",
		sum.From, sum.To, sum.Collection, thousands(sum.Objects), thousands(sum.Added), thousands(sum.Present), thousands(sum.Withheld))
	if sum.FactsWithheld > 0 {
		fmt.Fprintf(e.stderr, " (and %s facts left out: their days are marked above %s)", thousands(sum.FactsWithheld), col.MaxTLP)
	}
	if sum.Superseded > 0 {
		fmt.Fprintf(e.stderr, "; %s left out, the collection holding later versions of them", thousands(sum.Superseded))
	}
	if sum.Rejected > 0 {
		fmt.Fprintf(e.stderr, "; %s rejected: %s", thousands(sum.Rejected), strings.Join(sum.Rejections, "; "))
	}
	fmt.Fprintf(e.stderr, " (%.1f s)\n", sum.Seconds)
}

// publisher puts this node's STIX export into one TAXII collection.
type publisher struct {
	st     store.CaseStore
	ts     store.TAXII
	agency store.Agency
	col    taxii.Collection
}

// publish exports the facts of from..to as STIX objects and adds them to
// the collection. The export's objects are spooled to a temporary file
// first: the store is not asked to write while its fact scan is open,
// and the spool keeps memory flat however large the period. Days marked
// above the collection's limit are left out of the export, as `concord
// export stix --tlp-max` leaves them out, so that an address seen on a
// GREEN day and an AMBER day still reaches the community collection; the
// collection's own check then withholds any object marked above it.
func (p *publisher) publish(ctx context.Context, from, to time.Time) (publishSummary, error) {
	start := time.Now()
	sum := publishSummary{Collection: p.col.Alias, From: from.Format(time.DateOnly), To: to.Format(time.DateOnly)}
	spool, err := os.CreateTemp("", "concord-taxii-*.jsonl")
	if err != nil {
		return sum, fmt.Errorf("spool: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	bw := bufio.NewWriterSize(spool, 256<<10)
	x := &stix.Exporter{Store: p.st, Markings: p.st, Agency: p.agency, From: from, To: to, TLPMax: p.col.MaxTLP}
	xs, err := x.Each(ctx, func(_ string, obj []byte) error {
		bw.Write(obj)
		return bw.WriteByte('\n')
	})
	if err != nil {
		return sum, err
	}
	if err := bw.Flush(); err != nil {
		return sum, fmt.Errorf("spool: %w", err)
	}
	sum.Objects, sum.Types, sum.Facts, sum.FactsWithheld, sum.Strictest = xs.Objects, xs.Types, xs.Facts, xs.Withheld, xs.Strictest
	if _, err := spool.Seek(0, 0); err != nil {
		return sum, fmt.Errorf("spool: %w", err)
	}
	sc := bufio.NewScanner(spool)
	sc.Buffer(make([]byte, 0, 64<<10), taxii.MaxObjectSize)
	batch := make([]json.RawMessage, 0, publishBatch)
	// A batch's lines are copied into one arena, since the scanner reuses
	// its buffer; Add keeps nothing of them, so the arena is reused too.
	var arena []byte
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		revised, err := p.revise(ctx, taxii.ReadHeads(batch), &sum)
		if err != nil {
			return err
		}
		out, err := taxii.AddRead(ctx, p.ts, p.col, revised, time.Now().UTC())
		if err != nil {
			return err
		}
		for _, o := range out {
			switch {
			case o.New:
				sum.Added++
			case o.Stored:
				sum.Present++
			case o.Withheld:
				sum.Withheld++
			default:
				sum.Rejected++
				if len(sum.Rejections) < 10 {
					sum.Rejections = append(sum.Rejections, o.ID+": "+o.Message)
				}
			}
		}
		batch, arena = batch[:0], arena[:0]
		return nil
	}
	for sc.Scan() {
		n := len(arena)
		arena = append(arena, sc.Bytes()...)
		batch = append(batch, arena[n:len(arena):len(arena)])
		if len(batch) == publishBatch {
			if err := flush(); err != nil {
				return sum, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return sum, fmt.Errorf("spool: %w", err)
	}
	if err := flush(); err != nil {
		return sum, err
	}
	sum.Seconds = time.Since(start).Seconds()
	return sum, nil
}
