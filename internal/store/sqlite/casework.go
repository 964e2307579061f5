package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/audit"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/store"
)

var _ store.CaseStore = (*Store)(nil)

// micro stores a time as Unix microseconds; the zero time is NULL.
func micro(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// fromMicro reads a time stored by micro.
func fromMicro(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// caseTx is one Change: the transaction and the audit chain's head, which
// each change advances.
type caseTx struct {
	ctx   context.Context
	tx    *sql.Tx
	actor string
	head  audit.Head
	moved bool
}

// Change implements store.Casework. The connection takes SQLite's write
// lock when the transaction begins (_txlock=immediate), so two processes'
// changes never interleave and the chain stays linear.
func (s *Store) Change(ctx context.Context, actor string, fn func(tx store.CaseTx) error) error {
	if strings.TrimSpace(actor) == "" {
		return errors.New("store: a change needs an actor (who makes it)")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin change: %w", err)
	}
	defer tx.Rollback()
	ct := &caseTx{ctx: ctx, tx: tx, actor: actor}
	var hash []byte
	switch err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&ct.head.Seq, &hash); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("store: read audit head: %w", err)
	default:
		copy(ct.head.Hash[:], hash)
	}
	if err := fn(ct); err != nil {
		return err
	}
	if ct.moved {
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)
			ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, ct.head.Seq, ct.head.Hash[:]); err != nil {
			return fmt.Errorf("store: write audit head: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit change: %w", err)
	}
	return nil
}

// Record implements store.CaseTx.
func (t *caseTx) Record(action, object string, detail any) error {
	e, err := store.NextAuditEntry(t.head, t.actor, action, object, detail)
	if err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO audit (seq, time, actor, action, object, detail, prev, hash) VALUES (?,?,?,?,?,?,?,?)`,
		e.Seq, e.Time.UnixMicro(), e.Actor, e.Action, e.Object, e.Detail, e.Prev[:], e.Hash[:]); err != nil {
		return fmt.Errorf("store: append audit entry: %w", err)
	}
	t.head = audit.Head{Seq: e.Seq, Hash: e.Hash}
	t.moved = true
	return nil
}

func (t *caseTx) exec(what, query string, args ...any) (sql.Result, error) {
	r, err := t.tx.ExecContext(t.ctx, query, args...)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return nil, fmt.Errorf("%w: %s", store.ErrExists, what)
		}
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return r, nil
}

// PutAgency implements store.CaseTx.
func (t *caseTx) PutAgency(a store.Agency) error {
	if a.Created.IsZero() {
		a.Created = time.Now().UTC()
	}
	if a.Self {
		if _, err := t.exec("clear the previous self agency", `UPDATE agencies SET self = 0 WHERE self = 1 AND id <> ?`, a.ID); err != nil {
			return err
		}
	}
	if _, err := t.exec("agency "+a.ID, `INSERT INTO agencies (id, name, country, self, contact, channels, public_key, created) VALUES (?,?,?,?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, country = excluded.country, self = excluded.self, contact = excluded.contact,
		channels = excluded.channels, public_key = CASE WHEN excluded.public_key = '' THEN agencies.public_key ELSE excluded.public_key END`,
		a.ID, a.Name, a.Country, boolInt(a.Self), a.Contact, a.Channels, a.PublicKey, a.Created.UnixMicro()); err != nil {
		return err
	}
	return t.Record("agency.put", "agency/"+a.ID, map[string]any{"name": a.Name, "country": a.Country, "self": a.Self, "public_key": a.PublicKey})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// AddVictimReport implements store.CaseTx.
func (t *caseTx) AddVictimReport(r store.VictimReport) error {
	if _, err := t.exec("victim report "+r.Reference, `INSERT INTO victim_reports (reference, received, status, status_changed, tlp, body) VALUES (?,?,?,?,?,?)`,
		r.Reference, r.Received.UnixMicro(), r.Status, r.Received.UnixMicro(), int64(r.TLP), string(r.Body)); err != nil {
		return err
	}
	return t.Record("report.submit", "report/"+r.Reference, map[string]any{"status": r.Status})
}

// SetVictimReportStatus implements store.CaseTx.
func (t *caseTx) SetVictimReportStatus(ref, status string, at time.Time) error {
	res, err := t.exec("victim report status", `UPDATE victim_reports SET status = ?, status_changed = ? WHERE reference = ?`, status, at.UnixMicro(), ref)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: victim report %s", store.ErrNotFound, ref)
	}
	return t.Record("report.status", "report/"+ref, map[string]any{"status": status})
}

// OpenCase implements store.CaseTx.
func (t *caseTx) OpenCase(c store.Case) (int64, error) {
	if c.Status == "" {
		c.Status = "open"
	}
	res, err := t.exec("open case", `INSERT INTO cases (title, tlp, pap, status, opened) VALUES (?,?,?,?,?)`,
		c.Title, int64(c.TLP), c.PAP, c.Status, c.Opened.UnixMicro())
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("store: open case: %w", err)
	}
	return id, t.Record("case.open", "case/"+strconv.FormatInt(id, 10), map[string]any{"title": c.Title, "tlp": c.TLP.String(), "pap": c.PAP})
}

// AddCaseItem implements store.CaseTx.
func (t *caseTx) AddCaseItem(it store.CaseItem) error {
	res, err := t.exec("link to case", `INSERT INTO case_items (case_id, kind, ref, added, tlp, note) VALUES (?,?,?,?,?,?)
		ON CONFLICT DO NOTHING`, it.CaseID, it.Kind, it.Ref, it.Added.UnixMicro(), int64(it.TLP), it.Note)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return t.Record("case.link", "case/"+strconv.FormatInt(it.CaseID, 10), map[string]any{"kind": it.Kind, "ref": it.Ref})
}

// AddEvidence implements store.CaseTx.
func (t *caseTx) AddEvidence(e store.EvidenceRecord, purpose string) (store.EvidenceRecord, bool, error) {
	var id int64
	err := t.tx.QueryRowContext(t.ctx, `SELECT id FROM evidence WHERE case_id = ? AND sha256 = ?`, e.CaseID, e.SHA256).Scan(&id)
	switch {
	case err == nil:
		rec, err := scanEvidence(t.tx.QueryRowContext(t.ctx, evidenceQuery+` WHERE id = ?`, id))
		return rec, false, err
	case !errors.Is(err, sql.ErrNoRows):
		return e, false, fmt.Errorf("store: find evidence: %w", err)
	}
	res, err := t.exec("add evidence", `INSERT INTO evidence (case_id, sha256, size, name, description, tlp, acquired, acquired_by, legal_hold) VALUES (?,?,?,?,?,?,?,?,?)`,
		e.CaseID, e.SHA256, e.Size, e.Name, e.Description, int64(e.TLP), e.Acquired.UnixMicro(), e.AcquiredBy, boolInt(e.LegalHold))
	if err != nil {
		return e, false, err
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return e, false, fmt.Errorf("store: add evidence: %w", err)
	}
	if err := t.Record("evidence.add", "evidence/"+strconv.FormatInt(e.ID, 10), map[string]any{"case": e.CaseID, "sha256": e.SHA256, "size": e.Size, "name": e.Name}); err != nil {
		return e, false, err
	}
	if err := t.AddCaseItem(store.CaseItem{CaseID: e.CaseID, Kind: "evidence", Ref: strconv.FormatInt(e.ID, 10), Added: e.Acquired, TLP: e.TLP}); err != nil {
		return e, false, err
	}
	return e, true, t.AddCustody(store.CustodyEntry{EvidenceID: e.ID, Time: e.Acquired, Action: "acquired", Actor: e.AcquiredBy, Purpose: purpose})
}

// AddCustody implements store.CaseTx.
func (t *caseTx) AddCustody(c store.CustodyEntry) error {
	if _, err := t.exec("custody entry", `INSERT INTO custody (evidence_id, seq, time, action, actor, purpose)
		VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM custody WHERE evidence_id = ?), ?, ?, ?, ?)`,
		c.EvidenceID, c.EvidenceID, c.Time.UnixMicro(), c.Action, c.Actor, c.Purpose); err != nil {
		return err
	}
	return t.Record("evidence."+c.Action, "evidence/"+strconv.FormatInt(c.EvidenceID, 10), map[string]any{"actor": c.Actor, "purpose": c.Purpose})
}

// SetLegalHold implements store.CaseTx.
func (t *caseTx) SetLegalHold(id int64, hold bool, reason string, at time.Time) error {
	res, err := t.exec("legal hold", `UPDATE evidence SET legal_hold = ? WHERE id = ?`, boolInt(hold), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: evidence %d", store.ErrNotFound, id)
	}
	action := "hold-released"
	if hold {
		action = "hold-set"
	}
	return t.AddCustody(store.CustodyEntry{EvidenceID: id, Time: at, Action: action, Actor: t.actor, Purpose: reason})
}

// CreateRequest implements store.CaseTx.
func (t *caseTx) CreateRequest(r store.Request) (int64, error) {
	res, err := t.exec("create request", `INSERT INTO requests (case_id, direction, type, from_agency, to_agency, status, fields, tlp, created,
		submitted, accepted, due, preserved_until, extensions, follow_up, remote_id, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		nullID(r.CaseID), r.Direction, r.Type, r.From, r.To, r.Status, string(r.Fields), int64(r.TLP), r.Created.UnixMicro(),
		micro(r.Submitted), micro(r.Accepted), micro(r.Due), micro(r.PreservedUntil), r.Extensions, nullID(r.FollowUp), nullStr(r.RemoteID), r.Created.UnixMicro())
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("store: create request: %w", err)
	}
	if err := t.Record("request.create", "request/"+strconv.FormatInt(id, 10), map[string]any{"type": r.Type, "direction": r.Direction, "from": r.From, "to": r.To, "status": r.Status, "remote": r.RemoteID}); err != nil {
		return 0, err
	}
	if r.CaseID != 0 {
		return id, t.AddCaseItem(store.CaseItem{CaseID: r.CaseID, Kind: "request", Ref: strconv.FormatInt(id, 10), Added: r.Created, TLP: r.TLP})
	}
	return id, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// UpdateRequest implements store.CaseTx.
func (t *caseTx) UpdateRequest(r store.Request, change store.RequestChange) error {
	res, err := t.exec("update request", `UPDATE requests SET case_id = ?, status = ?, fields = ?, tlp = ?, submitted = ?, accepted = ?, due = ?,
		preserved_until = ?, extensions = ?, follow_up = ?, remote_id = ?, version = version + 1, updated = ?
		WHERE id = ? AND version = ?`,
		nullID(r.CaseID), r.Status, string(r.Fields), int64(r.TLP), micro(r.Submitted), micro(r.Accepted), micro(r.Due),
		micro(r.PreservedUntil), r.Extensions, nullID(r.FollowUp), nullStr(r.RemoteID), time.Now().UTC().UnixMicro(), r.ID, r.Version)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var one int
		if err := t.tx.QueryRowContext(t.ctx, `SELECT 1 FROM requests WHERE id = ?`, r.ID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: request %d", store.ErrNotFound, r.ID)
		}
		return fmt.Errorf("%w (request %d)", store.ErrConflict, r.ID)
	}
	detail := map[string]any{"status": r.Status}
	if change.To != "" {
		if _, err := t.exec("request history", `INSERT INTO request_history (request_id, seq, time, from_status, to_status, reason, actor)
			VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM request_history WHERE request_id = ?), ?, ?, ?, ?, ?)`,
			r.ID, r.ID, change.Time.UnixMicro(), change.From, change.To, change.Reason, t.actor); err != nil {
			return err
		}
		detail = map[string]any{"from": change.From, "to": change.To, "reason": change.Reason}
	}
	return t.Record("request.update", "request/"+strconv.FormatInt(r.ID, 10), detail)
}

// MarkPackageSeen implements store.CaseTx.
func (t *caseTx) MarkPackageSeen(id, from, kind string, at time.Time) error {
	if _, err := t.exec("package "+id, `INSERT INTO packages_seen (id, from_agency, kind, imported) VALUES (?,?,?,?)`, id, from, kind, at.UnixMicro()); err != nil {
		if errors.Is(err, store.ErrExists) {
			return fmt.Errorf("%w: package %s from %s", store.ErrReplay, id, from)
		}
		return err
	}
	return t.Record("package.import", "package/"+id, map[string]any{"from": from, "kind": kind})
}

// Agency implements store.Casework.
func (s *Store) Agency(ctx context.Context, id string) (store.Agency, error) {
	as, err := s.agencies(ctx, `WHERE id = ?`, id)
	if err != nil {
		return store.Agency{}, err
	}
	if len(as) == 0 {
		return store.Agency{}, fmt.Errorf("%w: agency %q", store.ErrNotFound, id)
	}
	return as[0], nil
}

// Agencies implements store.Casework.
func (s *Store) Agencies(ctx context.Context) ([]store.Agency, error) {
	return s.agencies(ctx, `ORDER BY self DESC, id`)
}

// SelfAgency implements store.Casework.
func (s *Store) SelfAgency(ctx context.Context) (store.Agency, error) {
	as, err := s.agencies(ctx, `WHERE self = 1`)
	if err != nil {
		return store.Agency{}, err
	}
	if len(as) == 0 {
		return store.Agency{}, fmt.Errorf("%w: this node's agency is not set up (concord agency add --self)", store.ErrNotFound)
	}
	return as[0], nil
}

func (s *Store) agencies(ctx context.Context, where string, args ...any) ([]store.Agency, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, country, self, contact, channels, public_key, created FROM agencies `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read agencies: %w", err)
	}
	defer rows.Close()
	var out []store.Agency
	for rows.Next() {
		var a store.Agency
		var self int
		var created int64
		if err := rows.Scan(&a.ID, &a.Name, &a.Country, &self, &a.Contact, &a.Channels, &a.PublicKey, &created); err != nil {
			return nil, fmt.Errorf("store: read agencies: %w", err)
		}
		a.Self, a.Created = self == 1, time.UnixMicro(created).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// VictimReport implements store.Casework.
func (s *Store) VictimReport(ctx context.Context, ref string) (store.VictimReport, error) {
	rs, err := s.victimReports(ctx, `WHERE reference = ?`, ref)
	if err != nil {
		return store.VictimReport{}, err
	}
	if len(rs) == 0 {
		return store.VictimReport{}, fmt.Errorf("%w: victim report %s", store.ErrNotFound, ref)
	}
	return rs[0], nil
}

// VictimReports implements store.Casework.
func (s *Store) VictimReports(ctx context.Context) ([]store.VictimReport, error) {
	return s.victimReports(ctx, `ORDER BY received, reference`)
}

func (s *Store) victimReports(ctx context.Context, where string, args ...any) ([]store.VictimReport, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT reference, received, status, status_changed, tlp, body FROM victim_reports `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read victim reports: %w", err)
	}
	defer rows.Close()
	var out []store.VictimReport
	for rows.Next() {
		var r store.VictimReport
		var received, changed, tlp int64
		var body string
		if err := rows.Scan(&r.Reference, &received, &r.Status, &changed, &tlp, &body); err != nil {
			return nil, fmt.Errorf("store: read victim reports: %w", err)
		}
		r.Received, r.StatusChanged, r.TLP, r.Body = time.UnixMicro(received).UTC(), time.UnixMicro(changed).UTC(), event.TLP(tlp), []byte(body)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Case implements store.Casework.
func (s *Store) Case(ctx context.Context, id int64) (store.Case, error) {
	cs, err := s.cases(ctx, `WHERE id = ?`, id)
	if err != nil {
		return store.Case{}, err
	}
	if len(cs) == 0 {
		return store.Case{}, fmt.Errorf("%w: case %d", store.ErrNotFound, id)
	}
	return cs[0], nil
}

// Cases implements store.Casework.
func (s *Store) Cases(ctx context.Context) ([]store.Case, error) { return s.cases(ctx, `ORDER BY id`) }

func (s *Store) cases(ctx context.Context, where string, args ...any) ([]store.Case, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, title, tlp, pap, status, opened, closed, version FROM cases `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read cases: %w", err)
	}
	defer rows.Close()
	var out []store.Case
	for rows.Next() {
		var c store.Case
		var tlp, opened int64
		var closed sql.NullInt64
		if err := rows.Scan(&c.ID, &c.Title, &tlp, &c.PAP, &c.Status, &opened, &closed, &c.Version); err != nil {
			return nil, fmt.Errorf("store: read cases: %w", err)
		}
		c.TLP, c.Opened, c.Closed = event.TLP(tlp), time.UnixMicro(opened).UTC(), fromMicro(closed)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CaseItems implements store.Casework.
func (s *Store) CaseItems(ctx context.Context, caseID int64) ([]store.CaseItem, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT case_id, kind, ref, added, tlp, note FROM case_items WHERE case_id = ? ORDER BY added, kind, ref`, caseID)
	if err != nil {
		return nil, fmt.Errorf("store: read case items: %w", err)
	}
	defer rows.Close()
	var out []store.CaseItem
	for rows.Next() {
		var it store.CaseItem
		var added, tlp int64
		if err := rows.Scan(&it.CaseID, &it.Kind, &it.Ref, &added, &tlp, &it.Note); err != nil {
			return nil, fmt.Errorf("store: read case items: %w", err)
		}
		it.Added, it.TLP = time.UnixMicro(added).UTC(), event.TLP(tlp)
		out = append(out, it)
	}
	return out, rows.Err()
}

const evidenceQuery = `SELECT id, case_id, sha256, size, name, description, tlp, acquired, acquired_by, legal_hold FROM evidence`

type rowScanner interface{ Scan(dest ...any) error }

func scanEvidence(r rowScanner) (store.EvidenceRecord, error) {
	var e store.EvidenceRecord
	var tlp, acquired int64
	var hold int
	err := r.Scan(&e.ID, &e.CaseID, &e.SHA256, &e.Size, &e.Name, &e.Description, &tlp, &acquired, &e.AcquiredBy, &hold)
	if errors.Is(err, sql.ErrNoRows) {
		return e, store.ErrNotFound
	}
	if err != nil {
		return e, fmt.Errorf("store: read evidence: %w", err)
	}
	e.TLP, e.Acquired, e.LegalHold = event.TLP(tlp), time.UnixMicro(acquired).UTC(), hold == 1
	return e, nil
}

// Evidence implements store.Casework.
func (s *Store) Evidence(ctx context.Context, id int64) (store.EvidenceRecord, error) {
	e, err := scanEvidence(s.db.QueryRowContext(ctx, evidenceQuery+` WHERE id = ?`, id))
	if errors.Is(err, store.ErrNotFound) {
		return e, fmt.Errorf("%w: evidence %d", store.ErrNotFound, id)
	}
	return e, err
}

// EvidenceList implements store.Casework.
func (s *Store) EvidenceList(ctx context.Context, caseID int64) ([]store.EvidenceRecord, error) {
	q, args := evidenceQuery+` ORDER BY id`, []any{}
	if caseID != 0 {
		q, args = evidenceQuery+` WHERE case_id = ? ORDER BY id`, []any{caseID}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read evidence: %w", err)
	}
	defer rows.Close()
	var out []store.EvidenceRecord
	for rows.Next() {
		e, err := scanEvidence(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Custody implements store.Casework.
func (s *Store) Custody(ctx context.Context, evidenceID int64) ([]store.CustodyEntry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT evidence_id, seq, time, action, actor, purpose FROM custody WHERE evidence_id = ? ORDER BY seq`, evidenceID)
	if err != nil {
		return nil, fmt.Errorf("store: read custody: %w", err)
	}
	defer rows.Close()
	var out []store.CustodyEntry
	for rows.Next() {
		var c store.CustodyEntry
		var at int64
		if err := rows.Scan(&c.EvidenceID, &c.Seq, &at, &c.Action, &c.Actor, &c.Purpose); err != nil {
			return nil, fmt.Errorf("store: read custody: %w", err)
		}
		c.Time = time.UnixMicro(at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

const requestQuery = `SELECT id, case_id, direction, type, from_agency, to_agency, status, fields, tlp, created, submitted, accepted, due,
	preserved_until, extensions, follow_up, remote_id, version, updated FROM requests`

func scanRequests(rows *sql.Rows) ([]store.Request, error) {
	defer rows.Close()
	var out []store.Request
	for rows.Next() {
		var r store.Request
		var caseID, followUp, submitted, accepted, due, until sql.NullInt64
		var remote sql.NullString
		var fields string
		var tlp, created, updated int64
		if err := rows.Scan(&r.ID, &caseID, &r.Direction, &r.Type, &r.From, &r.To, &r.Status, &fields, &tlp, &created, &submitted, &accepted, &due,
			&until, &r.Extensions, &followUp, &remote, &r.Version, &updated); err != nil {
			return nil, fmt.Errorf("store: read requests: %w", err)
		}
		r.CaseID, r.FollowUp, r.RemoteID, r.Fields, r.TLP = caseID.Int64, followUp.Int64, remote.String, []byte(fields), event.TLP(tlp)
		r.Created, r.Updated = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
		r.Submitted, r.Accepted, r.Due, r.PreservedUntil = fromMicro(submitted), fromMicro(accepted), fromMicro(due), fromMicro(until)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) requests(ctx context.Context, where string, args ...any) ([]store.Request, error) {
	rows, err := s.db.QueryContext(ctx, requestQuery+" "+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read requests: %w", err)
	}
	return scanRequests(rows)
}

// Request implements store.Casework.
func (s *Store) Request(ctx context.Context, id int64) (store.Request, error) {
	rs, err := s.requests(ctx, `WHERE id = ?`, id)
	if err != nil {
		return store.Request{}, err
	}
	if len(rs) == 0 {
		return store.Request{}, fmt.Errorf("%w: request %d", store.ErrNotFound, id)
	}
	return rs[0], nil
}

// RequestByRemote implements store.Casework.
func (s *Store) RequestByRemote(ctx context.Context, remote string) (store.Request, error) {
	rs, err := s.requests(ctx, `WHERE remote_id = ?`, remote)
	if err != nil {
		return store.Request{}, err
	}
	if len(rs) == 0 {
		return store.Request{}, fmt.Errorf("%w: request %s", store.ErrNotFound, remote)
	}
	return rs[0], nil
}

// Requests implements store.Casework.
func (s *Store) Requests(ctx context.Context) ([]store.Request, error) {
	return s.requests(ctx, `ORDER BY id`)
}

// RequestHistory implements store.Casework.
func (s *Store) RequestHistory(ctx context.Context, id int64) ([]store.RequestChange, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT request_id, seq, time, from_status, to_status, reason, actor FROM request_history WHERE request_id = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("store: read request history: %w", err)
	}
	defer rows.Close()
	var out []store.RequestChange
	for rows.Next() {
		var c store.RequestChange
		var at int64
		if err := rows.Scan(&c.RequestID, &c.Seq, &at, &c.From, &c.To, &c.Reason, &c.Actor); err != nil {
			return nil, fmt.Errorf("store: read request history: %w", err)
		}
		c.Time = time.UnixMicro(at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// EachAudit implements store.Casework.
func (s *Store) EachAudit(ctx context.Context, fn func(audit.Entry) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, time, actor, action, object, detail, prev, hash FROM audit ORDER BY seq`)
	if err != nil {
		return fmt.Errorf("store: read audit log: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e audit.Entry
		var at int64
		var prev, hash []byte
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Object, &e.Detail, &prev, &hash); err != nil {
			return fmt.Errorf("store: read audit log: %w", err)
		}
		e.Time = time.UnixMicro(at).UTC()
		copy(e.Prev[:], prev)
		copy(e.Hash[:], hash)
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AuditHead implements store.Casework.
func (s *Store) AuditHead(ctx context.Context) (audit.Head, error) {
	var h audit.Head
	var hash []byte
	err := s.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&h.Seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return h, nil
	}
	if err != nil {
		return h, fmt.Errorf("store: read audit head: %w", err)
	}
	copy(h.Hash[:], hash)
	return h, nil
}
