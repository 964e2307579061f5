package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	cooperation "github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/feed"
	"github.com/concord-cert/concord/internal/ingest"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/vault"
)

// ingestCounts are the counters of `concord ingest --json`, per file and
// in total.
type ingestCounts struct {
	Records      int64 `json:"records"`
	Accepted     int64 `json:"accepted"`
	Duplicates   int64 `json:"duplicates"`
	Rejected     int64 `json:"rejected"`
	Observations int64 `json:"observations"`
	// Kept counts records kept only as received objects (a STIX
	// bundle's threat actors, relationships, ...).
	Kept             int64            `json:"kept"`
	ByClassification map[string]int64 `json:"by_classification"`
}

// add adds c's counters to t.
func (t *ingestCounts) add(c ingestCounts) {
	t.Records += c.Records
	t.Accepted += c.Accepted
	t.Duplicates += c.Duplicates
	t.Rejected += c.Rejected
	t.Observations += c.Observations
	t.Kept += c.Kept
	for k, v := range c.ByClassification {
		t.ByClassification[k] += v
	}
}

// ingestFile is one file's entry in `concord ingest --json`.
type ingestFile struct {
	Path   string `json:"path"`
	Format string `json:"format"`
	ingestCounts
	Rejections        []ingestReject `json:"rejections"`
	RejectionsOmitted int64          `json:"rejections_omitted,omitempty"`
	Error             string         `json:"error,omitempty"`
	// Evidence is the evidence record the file was kept as (--case).
	Evidence *ingestEvidence `json:"evidence,omitempty"`
}

type ingestReject struct {
	Line   int64  `json:"line"`
	Reason string `json:"reason"`
}

// ingestTotals sums the files.
type ingestTotals struct {
	Files int `json:"files"`
	ingestCounts
}

type ingestReport struct {
	Files  []ingestFile `json:"files"`
	Totals ingestTotals `json:"totals"`
}

func newIngestReport() ingestReport {
	return ingestReport{Files: []ingestFile{}, Totals: ingestTotals{ingestCounts: ingestCounts{ByClassification: map[string]int64{}}}}
}

func runIngest(ctx context.Context, e *env, args []string) int {
	fs := e.newFlags("ingest", "[flags] FILE... | -")
	db := fs.String("db", e.cfg.DB, "database `path`")
	format := fs.String("format", "", "force the input `format` (see concord formats); default: detect from content")
	feedName := fs.String("feed", "", "feed `name` recorded on every event (default: the format's own, e.g. suricata)")
	report := fs.String("report", "", "Shadowserver report `type`, when the file name does not say")
	mapping := fs.String("mapping", "", "mapping `file` for the csv and jsonl formats")
	tlp := fs.String("tlp", e.cfg.TLP, "TLP `label` for records whose feed carries none")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a summary")
	strict := fs.Bool("strict", false, "exit 2 when any record is rejected")
	to := fs.String("to", "", "publish the decoded events to a NATS JetStream `url` (nats://host:4222[/stream]) for `concord worker` to store, instead of storing them here")
	caseID := fs.Int64("case", 0, "keep each file as evidence of case `id` too, and read the events from the copy in the vault")
	data := fs.String("data", "", "data `directory` of the evidence vault, with --case (default as for concord evidence)")
	files, err := parse(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(files) == 0 {
		fs.Usage()
		return exitUsage
	}
	if *caseID != 0 && (*to != "" || slices.Contains(files, "-")) {
		return e.fail(exitUsage, "--case keeps files as evidence: name files, not standard input, and store them here rather than --to a stream")
	}
	marking, err := event.ParseTLP(*tlp)
	if err != nil {
		return e.fail(exitUsage, "%v", err)
	}
	fo := feed.Options{Feed: *feedName, Report: *report, TLP: &marking}
	if *mapping != "" {
		if fo.Mapping, err = feed.LoadMapping(*mapping); err != nil {
			return e.fail(exitUsage, "%v", err)
		}
	}
	if *format != "" {
		if _, err := feed.Lookup(*format); err != nil {
			return e.fail(exitUsage, "%v", err)
		}
	}
	if *to != "" {
		return e.publish(ctx, *to, files, *format, fo, *asJSON, *strict)
	}
	s, err := node.Open(ctx, *db)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer s.Close()
	if err := s.LoadLists(ctx, time.Time{}, time.Time{}); err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	limitMemory()

	var cn *cooperation.Node
	if *caseID != 0 {
		if cn, err = e.evidenceNode(s, *db, *data); err != nil {
			return e.fail(exitUsage, "%v", err)
		}
	}
	rep := newIngestReport()
	code := exitOK
	for _, path := range files {
		var res ingest.Result
		var ev *ingestEvidence
		if cn != nil {
			ev, res, err = ingestAsEvidence(ctx, e, s, cn, *caseID, path, ingest.Options{Format: *format, Feed: fo, IPDB: s.GeoID}, !*asJSON)
		} else {
			res, err = ingestOne(ctx, e, s, path, ingest.Options{Format: *format, Feed: fo, IPDB: s.GeoID}, !*asJSON)
		}
		f := fileReport(res)
		f.Evidence = ev
		if err != nil {
			if ctx.Err() != nil {
				return e.fail(exitFailure, "interrupted; what was read is stored, and running the same command again adds only what is missing")
			}
			f.Error = strings.TrimPrefix(err.Error(), ingest.ErrUnreadable.Error()+": ")
			if !errors.Is(err, ingest.ErrUnreadable) {
				// A store failure is not the file's fault: stop here.
				rep.add(f)
				e.writeIngest(rep, *asJSON)
				return e.fail(exitFailure, "%v", err)
			}
			code = exitFailure
		}
		rep.add(f)
	}
	e.writeIngest(rep, *asJSON)
	if code == exitOK && *strict && rep.Totals.Rejected > 0 {
		code = exitRejected
	}
	return code
}

// limitMemory keeps an ingest within its memory budget (200 MB whatever the
// input's size): the pipeline's live data is bounded (three batches, the IP
// database), and a soft limit makes the garbage collector run before the
// heap's headroom grows past it. GOMEMLIMIT, when set, wins.
func limitMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(150 << 20)
	}
}

// ingestOne opens and ingests one file (or stdin for "-"), showing a
// progress bar when stderr is a terminal.
// ingestEvidence is the evidence record a file was kept as (--case).
type ingestEvidence struct {
	Case   int64  `json:"case"`
	ID     int64  `json:"id"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	New    bool   `json:"new"`
}

// evidenceNode is the cooperation node that keeps ingested files as
// evidence, in the vault of the data directory of db.
func (e *env) evidenceNode(s *node.Session, db, data string) (*cooperation.Node, error) {
	dir := dataDir(db, data)
	if dir == "" {
		return nil, errors.New("with a PostgreSQL database, name the data directory of the evidence vault with --data (or CONCORD_DATA)")
	}
	cs, ok := s.St.(store.CaseStore)
	if !ok {
		return nil, errors.New("this database backend keeps no cases")
	}
	return &cooperation.Node{St: cs, Data: dir, Actor: actor(), Deadlines: e.cfg.deadlines()}, nil
}

// ingestAsEvidence keeps the file at path as evidence of case caseID
// (the vault hashes it, and the chain of custody records who acquired it
// and why), then ingests the copy in the vault, whose hash is checked as
// it is read: the events come from exactly the bytes kept.
func ingestAsEvidence(ctx context.Context, e *env, s *node.Session, cn *cooperation.Node, caseID int64, path string, opts ingest.Options, interactive bool) (*ingestEvidence, ingest.Result, error) {
	res := ingest.Result{Path: path}
	ne := cooperation.NewEvidence{Name: filepath.Base(path), Description: "input read by concord ingest",
		Purpose: "imported with concord ingest: its records are stored as events and objects"}
	rec, isNew, err := cn.AddEvidence(ctx, caseID, ne, func(v *vault.Vault) (vault.Object, error) { return v.PutFile(path) })
	if err != nil {
		return nil, res, fmt.Errorf("%w: %s: keep as evidence of case %d: %v", ingest.ErrUnreadable, path, caseID, err)
	}
	ev := &ingestEvidence{Case: caseID, ID: rec.ID, SHA256: rec.SHA256, Size: rec.Size, New: isNew}
	v, err := cn.Vault()
	if err != nil {
		return ev, res, err
	}
	r, err := v.Open(rec.SHA256)
	if err != nil {
		return ev, res, fmt.Errorf("%w: %s: evidence %d: %v", ingest.ErrUnreadable, path, rec.ID, err)
	}
	defer r.Close()
	res, err = ingestReader(ctx, e, s, path, r, rec.Size, opts, interactive)
	return ev, res, err
}

func ingestOne(ctx context.Context, e *env, s *node.Session, path string, opts ingest.Options, interactive bool) (ingest.Result, error) {
	r, size, closeInput, err := node.OpenInput(path, e.stdin)
	if err != nil {
		return ingest.Result{Path: path}, err
	}
	defer closeInput()
	return ingestReader(ctx, e, s, path, r, size, opts, interactive)
}

// ingestReader ingests r, size bytes read from path, with a progress bar
// when interactive and standard error is a terminal.
func ingestReader(ctx context.Context, e *env, s *node.Session, path string, r io.Reader, size int64, opts ingest.Options, interactive bool) (ingest.Result, error) {
	prog := &ingest.Progress{}
	stop := func() {}
	if interactive && isTerminal(e.stderr) {
		stop = e.showProgress(path, size, prog)
	}
	res, err := s.Ingest(ctx, node.Input{Name: path, R: r, Opts: opts, Progress: prog})
	stop()
	return res, err
}

// showProgress redraws a one-line progress bar until the returned function
// is called.
func (e *env) showProgress(path string, size int64, prog *ingest.Progress) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	start := time.Now()
	go func() {
		defer wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(e.stderr, "\r\033[K")
				return
			case <-tick.C:
				fmt.Fprint(e.stderr, "\r\033[K"+progressLine(path, size, prog.Bytes(), prog.Records(), time.Since(start)))
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// progressLine renders "eve.json [#####     ] 45% 1.2 GB 210,000 rec/s ETA 12s".
func progressLine(path string, size, read, records int64, elapsed time.Duration) string {
	rate := float64(records) / max(elapsed.Seconds(), 0.001)
	name := path
	if len(name) > 24 {
		name = "…" + name[len(name)-23:]
	}
	if size <= 0 {
		return fmt.Sprintf("%s %s %s rec %s rec/s", name, humanBytes(read), thousands(records), thousands(int64(rate)))
	}
	frac := min(float64(read)/float64(size), 1)
	const width = 24
	bar := strings.Repeat("#", int(frac*width)) + strings.Repeat(" ", width-int(frac*width))
	eta := "--"
	if frac > 0.01 {
		eta = (time.Duration(float64(elapsed)/frac) - elapsed).Round(time.Second).String()
	}
	return fmt.Sprintf("%s [%s] %3.0f%% %s/%s %s rec/s ETA %s", name, bar, frac*100, humanBytes(read), humanBytes(size), thousands(int64(rate)), eta)
}

func fileReport(r ingest.Result) ingestFile {
	f := ingestFile{
		Path: r.Path, Format: r.Format,
		ingestCounts: ingestCounts{
			Records: r.Records, Accepted: r.Accepted, Duplicates: r.Duplicates, Rejected: r.Rejected, Observations: r.Observations,
			Kept: r.Kept, ByClassification: r.ByClass,
		},
		Rejections: []ingestReject{}, RejectionsOmitted: r.RejectionsOmitted,
	}
	if f.ByClassification == nil {
		f.ByClassification = map[string]int64{}
	}
	for _, rj := range r.Rejections {
		f.Rejections = append(f.Rejections, ingestReject{rj.Line, rj.Reason})
	}
	return f
}

func (r *ingestReport) add(f ingestFile) {
	r.Files = append(r.Files, f)
	r.Totals.Files++
	r.Totals.add(f.ingestCounts)
}

func (e *env) writeIngest(rep ingestReport, asJSON bool) {
	if asJSON {
		e.printJSON(rep)
		return
	}
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "records\taccepted\tduplicates\trejected\tobservations\t  format\t  file")
	for _, f := range rep.Files {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t  %s\t  %s\n", thousands(f.Records), thousands(f.Accepted),
			thousands(f.Duplicates), thousands(f.Rejected), thousands(f.Observations), dash(f.Format), f.Path)
	}
	if len(rep.Files) > 1 {
		t := rep.Totals
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t  \t  total\n", thousands(t.Records), thousands(t.Accepted), thousands(t.Duplicates),
			thousands(t.Rejected), thousands(t.Observations))
	}
	w.Flush()
	for _, f := range rep.Files {
		if ev := f.Evidence; ev != nil {
			what := "kept as evidence"
			if !ev.New {
				what = "already held as evidence"
			}
			fmt.Fprintf(e.stdout, "%s: %s %d of case %d, sha256 %s\n", f.Path, what, ev.ID, ev.Case, ev.SHA256)
		}
	}
	if k := rep.Totals.Kept; k > 0 {
		fmt.Fprintf(e.stdout, "\n%s records kept as received STIX objects without an event (threat actors, relationships, ...); `concord export stix` gives them out again\n", thousands(k))
	}
	if len(rep.Totals.ByClassification) > 0 {
		fmt.Fprintln(e.stdout, "\nincidents stored, by classification:")
		for _, k := range slices.Sorted(maps.Keys(rep.Totals.ByClassification)) {
			fmt.Fprintf(e.stdout, "  %-50s %10s\n", k, thousands(rep.Totals.ByClassification[k]))
		}
	}
	for _, f := range rep.Files {
		if f.Error != "" {
			fmt.Fprintf(e.stdout, "\n%s: NOT READ: %s\n", f.Path, f.Error)
		}
		if len(f.Rejections) == 0 {
			continue
		}
		fmt.Fprintf(e.stdout, "\n%s: %s rejected:\n", f.Path, plural(f.Rejected, "record"))
		for i, r := range f.Rejections {
			if i == 10 {
				fmt.Fprintf(e.stdout, "  ... %d more (concord ingest --json lists %d; the database keeps all)\n", f.Rejected-10, len(f.Rejections))
				break
			}
			fmt.Fprintf(e.stdout, "  line %d: %s\n", r.Line, r.Reason)
		}
	}
}

// plural writes "1 record", "2 records".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return thousands(n) + " " + noun + "s"
}

// thousands formats n with separators: 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

func feedFormats() [][2]string {
	var out [][2]string
	for _, f := range feed.Formats() {
		out = append(out, [2]string{f.Name, f.Description})
	}
	return out
}
