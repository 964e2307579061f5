package migrate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/concord-cert/concord/internal/store/postgres/pgtest"

	"github.com/concord-cert/concord/internal/demo"
	"github.com/concord-cert/concord/internal/enrich"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/feed"
	"github.com/concord-cert/concord/internal/ingest"
	"github.com/concord-cert/concord/internal/ipdb"
	"github.com/concord-cert/concord/internal/stats"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/store/postgres"
	"github.com/concord-cert/concord/internal/store/sqlite"
)

// openDest opens a store on a fresh PostgreSQL database.
func openDest(t *testing.T) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), pgtest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var t0 = time.Date(2026, 10, 20, 9, 30, 0, 0, time.UTC)

// ingestFiles ingests files into st as `concord ingest` does: enriched
// with the embedded IP database and st's relay lists.
func ingestFiles(t *testing.T, st store.Store, files ...string) []ingest.Result {
	t.Helper()
	ctx := context.Background()
	geo, err := ipdb.Default()
	if err != nil {
		t.Fatal(err)
	}
	geoID, err := st.RegisterIPDB(ctx, geo.ID(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	var b enrich.IndexBuilder
	if err := st.EachListRange(ctx, time.Time{}, time.Time{}, b.Add); err != nil {
		t.Fatal(err)
	}
	c2 := enrich.NewC2Index()
	if err := st.EachC2(ctx, c2.Add); err != nil {
		t.Fatal(err)
	}
	en := enrich.New(geo, b.Index()).WithC2(c2)
	marking := event.TLPAmber
	var out []ingest.Result
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ingest.Run(ctx, st, en, path, f, ingest.Options{Feed: feed.Options{TLP: &marking}, IPDB: geoID}, nil)
		f.Close()
		if err != nil {
			t.Fatalf("ingest %s: %v", path, err)
		}
		out = append(out, res)
	}
	return out
}

// buildSource makes a realistic SQLite database: the demo month's feeds
// ingested, the Tor and hosting lists imported, and casework whose changes
// fill the audit log.
func buildSource(t *testing.T, eve int) (*sqlite.Store, demo.Files) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	geo, err := ipdb.Default()
	if err != nil {
		t.Fatal(err)
	}
	files, err := demo.Generate(geo, demo.Options{Dir: dir, EVE: eve})
	if err != nil {
		t.Fatal(err)
	}
	src, err := sqlite.Open(ctx, filepath.Join(dir, "concord.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	for _, l := range []struct {
		kind event.Flags
		path string
	}{{event.FlagTor, files.TorExits}, {event.FlagHosting, files.Hosting}} {
		f, err := os.Open(l.path)
		if err != nil {
			t.Fatal(err)
		}
		entries, _, err := enrich.ParseList(f, enrich.ListOptions{Kind: l.kind, Source: filepath.Base(l.path)})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := src.ImportList(ctx, entries); err != nil {
			t.Fatal(err)
		}
	}
	ingestFiles(t, src, files.All()...)
	addCasework(t, src)
	return src, files
}

// addCasework records an agency and a partner, a victim report, a case
// with an item and evidence, a request with a move, and a package seen.
func addCasework(t *testing.T, st store.CaseStore) {
	t.Helper()
	ctx := context.Background()
	must := func(fn func(tx store.CaseTx) error) {
		t.Helper()
		if err := st.Change(ctx, "analyst", fn); err != nil {
			t.Fatal(err)
		}
	}
	must(func(tx store.CaseTx) error {
		if err := tx.PutAgency(store.Agency{ID: "pl-cert", Name: "CERT Polska", Country: "PL", Self: true, Contact: "+48 22 380 82 74", Channels: "e-mail", PublicKey: "ed25519:AAAA", Created: t0}); err != nil {
			return err
		}
		return tx.PutAgency(store.Agency{ID: "de-bka", Name: "Bundeskriminalamt — Cybercrime", Country: "DE", Created: t0})
	})
	must(func(tx store.CaseTx) error {
		return tx.AddVictimReport(store.VictimReport{Reference: "VR-2026-7K4M-Q9XD", Received: t0, Status: "received", StatusChanged: t0, TLP: event.TLPAmber, Body: []byte(`{"description":"ransomware, żółć"}`)})
	})
	var caseID, reqID int64
	must(func(tx store.CaseTx) error {
		var err error
		if caseID, err = tx.OpenCase(store.Case{Title: "Ransomware at a hospital", TLP: event.TLPAmber, PAP: "AMBER", Opened: t0}); err != nil {
			return err
		}
		if err := tx.AddCaseItem(store.CaseItem{CaseID: caseID, Kind: "report", Ref: "VR-2026-7K4M-Q9XD", Added: t0, TLP: event.TLPAmber}); err != nil {
			return err
		}
		ev, _, err := tx.AddEvidence(store.EvidenceRecord{CaseID: caseID, SHA256: strings.Repeat("ab", 32), Size: 10, Name: "mail.eml", TLP: event.TLPRed, Acquired: t0, AcquiredBy: "investigator"}, "the victim's e-mail")
		if err != nil {
			return err
		}
		return tx.SetLegalHold(ev.ID, true, "court order 12/24", t0.Add(time.Minute))
	})
	fields, _ := json.Marshal(map[string]any{"offence": "fraud"})
	must(func(tx store.CaseTx) error {
		var err error
		reqID, err = tx.CreateRequest(store.Request{CaseID: caseID, Direction: store.Outgoing, Type: "preservation", From: "pl-cert", To: "de-bka", Status: "draft", Fields: fields, TLP: event.TLPAmber, Created: t0})
		return err
	})
	r, err := st.Request(ctx, reqID)
	if err != nil {
		t.Fatal(err)
	}
	r.Status, r.Submitted, r.Due = "submitted", t0.Add(time.Hour), t0.Add(73*time.Hour)
	must(func(tx store.CaseTx) error {
		return tx.UpdateRequest(r, store.RequestChange{Time: t0.Add(time.Hour), From: "draft", To: "submitted", Reason: "sent"})
	})
	must(func(tx store.CaseTx) error { return tx.MarkPackageSeen("0123abcd", "de-bka", "request", t0) })
	must(func(tx store.CaseTx) error {
		if err := tx.PutUser(store.User{Name: "analyst", FullName: "Anna Łęcka", Agency: "pl-cert", Roles: []string{"analyst", "admin"},
			Clearance: event.TLPAmber, PasswordHash: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", MustChange: true, Created: t0, Updated: t0}); err != nil {
			return err
		}
		if err := tx.PutUser(store.User{Name: "script", Agency: "pl-cert", Clearance: event.TLPGreen, Disabled: true, Created: t0, Updated: t0}); err != nil {
			return err
		}
		if err := tx.AddToken(store.APIToken{ID: "k7f3a9", User: "script", Name: "misp sync", Hash: bytes.Repeat([]byte{0xa5}, 32), Created: t0}); err != nil {
			return err
		}
		if err := tx.AddToken(store.APIToken{ID: "b2c4d6", User: "analyst", Hash: bytes.Repeat([]byte{0x5a}, 32), Created: t0, Expires: t0.AddDate(0, 3, 0)}); err != nil {
			return err
		}
		return tx.RevokeToken("k7f3a9")
	})
	if err := st.CreateSession(ctx, store.Session{IDHash: bytes.Repeat([]byte{1}, 32), User: "analyst", CSRF: "c", Created: t0, Expires: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
}

// tableHashes hashes each table's rows, read through a query per table,
// as a sorted list of row hashes: equal for two databases holding the same
// rows, whatever order each returns them in. Values are normalized to
// what both databases agree on: integers (booleans as 0 and 1), text,
// bytes, and NULL apart from the empty string and the empty blob.
func tableHashes(t *testing.T, query func(tbl *table) [][]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for i := range tables {
		tbl := &tables[i]
		var rowHashes [][32]byte
		for _, row := range query(tbl) {
			var b bytes.Buffer
			for _, v := range row {
				switch x := v.(type) {
				case nil:
					b.WriteString("n|")
				case int64:
					fmt.Fprintf(&b, "i%d|", x)
				case int32:
					fmt.Fprintf(&b, "i%d|", x)
				case int16:
					fmt.Fprintf(&b, "i%d|", x)
				case bool:
					if x {
						b.WriteString("i1|")
					} else {
						b.WriteString("i0|")
					}
				case string:
					fmt.Fprintf(&b, "s%q|", x)
				case []byte:
					fmt.Fprintf(&b, "b%x|", x)
				default:
					t.Fatalf("%s: a value of type %T", tbl.name, v)
				}
			}
			rowHashes = append(rowHashes, sha256.Sum256(b.Bytes()))
		}
		slices.SortFunc(rowHashes, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
		h := sha256.New()
		for _, r := range rowHashes {
			h.Write(r[:])
		}
		out[tbl.name] = fmt.Sprintf("%d rows, %x", len(rowHashes), h.Sum(nil))
	}
	return out
}

func sqliteRows(t *testing.T, db *sql.DB) func(tbl *table) [][]any {
	return func(tbl *table) [][]any {
		rows, err := db.Query(tbl.selectSQL())
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out [][]any
		for rows.Next() {
			row := make([]any, len(tbl.cols))
			ptrs := make([]any, len(row))
			for i := range row {
				ptrs[i] = &row[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			// SQLite may return text as either type: compare by the
			// column's declared kind.
			for i, c := range tbl.cols {
				switch x := row[i].(type) {
				case []byte:
					if c.kind == text {
						row[i] = string(x)
					} else if x == nil {
						row[i] = []byte{}
					}
				case string:
					if c.kind == blob {
						row[i] = []byte(x)
					}
				}
			}
			out = append(out, row)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
}

func postgresRows(t *testing.T, dst *postgres.Store) func(tbl *table) [][]any {
	return func(tbl *table) [][]any {
		names := make([]string, len(tbl.cols))
		for i, c := range tbl.cols {
			names[i] = c.name
		}
		rows, err := dst.Pool().Query(context.Background(), "SELECT "+strings.Join(names, ", ")+" FROM "+tbl.name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
}

// report computes the month's report from st, as JSON.
func report(t *testing.T, st store.Store) []byte {
	t.Helper()
	r, err := stats.Compute(context.Background(), stats.Inputs{
		Store: st,
		Lists: func(ctx context.Context) (stats.RelayLists, []stats.ListKind, error) {
			var b enrich.IndexBuilder
			kinds := map[string]int{}
			err := st.EachListRange(ctx, time.Time{}, time.Time{}, func(r store.ListRange) {
				b.Add(r)
				for _, n := range r.Kind.Names() {
					kinds[n]++
				}
			})
			var out []stats.ListKind
			for _, k := range []string{"hosting", "tor-exit"} {
				out = append(out, stats.ListKind{Kind: k, Entries: kinds[k]})
			}
			return b.Index(), out, err
		},
	}, stats.Options{From: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC),
		Home: "PL", Bucket: "week", Generated: t0})
	if err != nil {
		t.Fatal(err)
	}
	b, err := stats.MarshalJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMigrationMovesEverythingAndVerifies(t *testing.T) {
	dst := openDest(t) // skips first when there is no server
	ctx := context.Background()
	src, files := buildSource(t, 3000)
	before := tableHashes(t, sqliteRows(t, src.DB()))
	srcHead, _ := src.AuditHead(ctx)
	if srcHead.Seq < 7 {
		t.Fatalf("the source's audit log has %d entries; the test needs casework in it", srcHead.Seq)
	}

	var seen []string
	start := time.Now()
	rep, err := SQLiteToPostgres(ctx, src, dst, func(table string, rows int64) {
		if !slices.Contains(seen, table) {
			seen = append(seen, table)
		}
	})
	if err != nil {
		t.Fatalf("migrate: %v\n%+v", err, rep)
	}
	t.Logf("moved %s events in %s", rowsOf(rep, "events"), time.Since(start).Round(time.Millisecond))
	if len(seen) != len(tables) {
		t.Errorf("progress named %d tables, want %d: %v", len(seen), len(tables), seen)
	}
	if len(rep.Checks) != 4 {
		t.Fatalf("checks %+v", rep.Checks)
	}
	for _, c := range rep.Checks {
		if !c.OK {
			t.Errorf("check %s failed: %s", c.Name, c.Detail)
		}
	}
	for _, want := range []string{"events", "facts", "rejections", "list_entries", "list_snapshot", "audit", "audit_head", "evidence", "custody", "request_history", "packages_seen", "users", "api_tokens"} {
		if rowsOf(rep, want) == "0" {
			t.Errorf("the source holds no %s: the test does not exercise it", want)
		}
	}

	// Every table holds the same rows, value for value.
	after := tableHashes(t, sqliteRows(t, src.DB()))
	moved := tableHashes(t, postgresRows(t, dst))
	for name, h := range before {
		if after[name] != h {
			t.Errorf("the source's %s changed: %s, now %s", name, h, after[name])
		}
		if moved[name] != h {
			t.Errorf("%s differs: source %s, destination %s", name, h, moved[name])
		}
	}
	// Accounts move and work; sessions end with the move.
	if u, err := dst.User(ctx, "analyst"); err != nil || u.FullName != "Anna Łęcka" || len(u.Roles) != 2 || !u.MustChange {
		t.Errorf("the analyst after the move: %+v %v", u, err)
	}
	if tok, err := dst.Token(ctx, "k7f3a9"); err != nil || !tok.Revoked || tok.User != "script" {
		t.Errorf("a token after the move: %+v %v", tok, err)
	}
	if _, err := dst.Session(ctx, bytes.Repeat([]byte{1}, 32), t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a browser session was moved: %v", err)
	}
	sd, _ := src.Digest(ctx)
	dd, _ := dst.Digest(ctx)
	if sd != dd || rep.Digest != dd {
		t.Errorf("digests: source %s, destination %s, report %s", sd, dd, rep.Digest)
	}
	dstHead, _ := dst.AuditHead(ctx)
	if dstHead != srcHead || rep.AuditHead != headOf(srcHead) {
		t.Errorf("audit heads: source %+v, destination %+v, report %+v", srcHead, dstHead, rep.AuditHead)
	}
	if n, err := verifyChain(ctx, dst, dstHead); err != nil || n != srcHead.Seq {
		t.Errorf("the destination's chain: %d entries, %v", n, err)
	}
	if a, b := report(t, src), report(t, dst); !bytes.Equal(a, b) {
		t.Errorf("the month's report differs between the databases:\n%s\n%s", a, b)
	}

	// The destination goes on: a new change and a new ingest get fresh ids
	// and keep the chain whole.
	cases, _ := src.Cases(ctx)
	var caseID int64
	if err := dst.Change(ctx, "analyst", func(tx store.CaseTx) error {
		var err error
		caseID, err = tx.OpenCase(store.Case{Title: "After the move", TLP: event.TLPGreen, PAP: "GREEN", Opened: t0})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if caseID != cases[len(cases)-1].ID+1 {
		t.Errorf("the new case got id %d after %d", caseID, cases[len(cases)-1].ID)
	}
	if h, _ := dst.AuditHead(ctx); h.Seq != srcHead.Seq+1 {
		t.Errorf("head after a change: %+v", h)
	} else if _, err := verifyChain(ctx, dst, h); err != nil {
		t.Errorf("the chain after a change: %v", err)
	}
	var maxIngest, maxRejection int64
	src.DB().QueryRow(`SELECT MAX(id) FROM ingests`).Scan(&maxIngest)
	src.DB().QueryRow(`SELECT MAX(rowid) FROM rejections`).Scan(&maxRejection)
	extra := filepath.Join(t.TempDir(), "eve.json")
	os.WriteFile(extra, []byte(`{"timestamp":"2026-11-02T10:00:00.000000+0000","event_type":"alert","src_ip":"10.1.1.1","src_port":50000,"dest_ip":"8.8.8.8","dest_port":443,"proto":"TCP","alert":{"signature_id":2404301,"signature":"ET CNC Feodo Tracker Reported CnC Server group 1","category":"A Network Trojan was detected"}}
{"timestamp":"2026-11-02T10:00:04
`), 0o644)
	res := ingestFiles(t, dst, extra, files.EVE)
	if res[0].RunID != maxIngest+1 || res[1].RunID != maxIngest+2 {
		t.Errorf("new runs got ids %d and %d after %d", res[0].RunID, res[1].RunID, maxIngest)
	}
	if res[0].Accepted != 1 || res[0].Rejected != 1 || res[1].Accepted != 0 || res[1].Duplicates == 0 {
		t.Errorf("ingests after the move: %+v, %+v", res[0].Counts, res[1].Counts)
	}
	var rejID int64
	if err := dst.Pool().QueryRow(ctx, `SELECT id FROM rejections WHERE ingest_id = $1`, res[0].RunID).Scan(&rejID); err != nil || rejID != maxRejection+1 {
		t.Errorf("the new rejection got id %d after %d: %v", rejID, maxRejection, err)
	}
}

func rowsOf(rep Report, table string) string {
	for _, c := range rep.Tables {
		if c.Table == table {
			return fmt.Sprint(c.Destination)
		}
	}
	return "0"
}

func TestMigrationRefusesANonEmptyDestination(t *testing.T) {
	dst := openDest(t)
	other := openDest(t)
	ctx := context.Background()
	src, _ := buildSource(t, 500)
	if _, err := SQLiteToPostgres(ctx, src, dst, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := dst.Digest(ctx)
	_, err := SQLiteToPostgres(ctx, src, dst, nil)
	if !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "events (") {
		t.Fatalf("a second move into the same database: %v", err)
	}
	if after, _ := dst.Digest(ctx); after != before {
		t.Error("the refused move changed the destination")
	}
	// Casework alone (an audit entry) is enough to refuse.
	if err := other.Change(ctx, "analyst", func(tx store.CaseTx) error { return tx.Record("note", "x", nil) }); err != nil {
		t.Fatal(err)
	}
	if _, err := SQLiteToPostgres(ctx, src, other, nil); !errors.Is(err, ErrNotEmpty) || !strings.Contains(err.Error(), "audit (1)") {
		t.Fatalf("a destination with an audit entry: %v", err)
	}
}

func TestMigrationRefusesATamperedSourceAuditLog(t *testing.T) {
	dst := openDest(t)
	ctx := context.Background()
	src, _ := buildSource(t, 500)
	if _, err := src.DB().Exec(`UPDATE audit SET detail = '{"name":"someone else"}' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	_, err := SQLiteToPostgres(ctx, src, dst, nil)
	var ce *CheckError
	if !errors.As(err, &ce) || ce.Check != CheckSourceAudit || !strings.Contains(err.Error(), "entry 2 was altered") {
		t.Fatalf("got %v, want the source audit check to fail at entry 2", err)
	}
	if err := checkEmpty(ctx, dst.Pool(), dst); err != nil {
		t.Errorf("a refused move left rows behind: %v", err)
	}
}

// TestVerificationCatchesADamagedCopy damages the destination after a
// good move and runs the checks again: each damage fails its check.
func TestVerificationCatchesADamagedCopy(t *testing.T) {
	dst := openDest(t)
	ctx := context.Background()
	src, _ := buildSource(t, 500)
	rep, err := SQLiteToPostgres(ctx, src, dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	copied := map[string]int64{}
	for _, c := range rep.Tables {
		copied[c.Table] = c.Copied
	}
	for _, tc := range []struct {
		check  string
		damage string
	}{
		{CheckAudit, `UPDATE audit SET actor = 'mallory' WHERE seq = 3`},
		{CheckAudit, `DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)`},
		{CheckDigest, `UPDATE facts SET events = events + 1 WHERE ctid = (SELECT ctid FROM facts LIMIT 1)`},
		{CheckRows, `DELETE FROM rejections`},
		{CheckIDs, `SELECT setval(pg_get_serial_sequence('ingests', 'id'), 1, false)`},
	} {
		t.Run(tc.check, func(t *testing.T) {
			if _, err := dst.Pool().Exec(ctx, tc.damage); err != nil {
				t.Fatal(err)
			}
			var got Report
			err = verify(ctx, src, dst, copied, &got)
			var ce *CheckError
			if !errors.As(err, &ce) {
				t.Errorf("damage %q: got %v, want a failed check", tc.damage, err)
			}
			// The error names the first failed check; the report has them all.
			failed := false
			for _, c := range got.Checks {
				failed = failed || c.Name == tc.check && !c.OK
			}
			if !failed {
				t.Errorf("damage %q: check %q passed: %+v", tc.damage, tc.check, got.Checks)
			}
			restore(t, src, dst)
		})
	}
}

// restore empties dst and moves src into it again.
func restore(t *testing.T, src *sqlite.Store, dst *postgres.Store) {
	t.Helper()
	ctx := context.Background()
	names := []string{"sessions"} // not moved, but it refers to users
	for i := range tables {
		names = append(names, tables[i].name)
	}
	if _, err := dst.Pool().Exec(ctx, "TRUNCATE "+strings.Join(names, ", ")); err != nil {
		t.Fatal(err)
	}
	if _, err := SQLiteToPostgres(ctx, src, dst, nil); err != nil {
		t.Fatalf("move again: %v", err)
	}
}
