package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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
func fromMicro(v *int64) time.Time {
	if v == nil {
		return time.Time{}
	}
	return time.UnixMicro(*v).UTC()
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// caseTx is one Change: the transaction and the audit chain's head, which
// each change advances.
type caseTx struct {
	ctx   context.Context
	tx    pgx.Tx
	actor string
	head  audit.Head
	moved bool
}

// Change implements store.Casework. Each change first takes the casework
// lock, a transaction-level advisory lock, and only then reads the audit
// head: changes from any number of processes run one after the other, so
// each entry is sealed onto the one committed before it and the chain stays
// linear. The lock also makes MAX(id)+1 a safe id for new cases, evidence
// and requests (SQLite's rowids, which leave no gap when a change fails).
//
// Where SQLite rejects a duplicate with the statement alone, PostgreSQL
// aborts the whole transaction; so the expected duplicates (a victim
// report, a remote request, a package seen before) are found with ON
// CONFLICT DO NOTHING instead, and fn may go on after ErrExists or
// ErrReplay as it can with SQLite.
func (s *Store) Change(ctx context.Context, actor string, fn func(tx store.CaseTx) error) error {
	if strings.TrimSpace(actor) == "" {
		return errors.New("store: a change needs an actor (who makes it)")
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store: begin change: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockCasework); err != nil {
		return fmt.Errorf("store: wait for other changes: %w", err)
	}
	ct := &caseTx{ctx: ctx, tx: tx, actor: actor}
	var hash []byte
	switch err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&ct.head.Seq, &hash); {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return fmt.Errorf("store: read audit head: %w", err)
	default:
		copy(ct.head.Hash[:], hash)
	}
	if err := fn(ct); err != nil {
		return err
	}
	if ct.moved {
		if _, err := tx.Exec(ctx, `INSERT INTO audit_head (id, seq, hash) VALUES (1, $1, $2)
			ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, ct.head.Seq, ct.head.Hash[:]); err != nil {
			return fmt.Errorf("store: write audit head: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
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
	if _, err := t.tx.Exec(t.ctx, `INSERT INTO audit (seq, time, actor, action, object, detail, prev, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.Seq, e.Time.UnixMicro(), e.Actor, e.Action, e.Object, e.Detail, e.Prev[:], e.Hash[:]); err != nil {
		return fmt.Errorf("store: append audit entry: %w", err)
	}
	t.head = audit.Head{Seq: e.Seq, Hash: e.Hash}
	t.moved = true
	return nil
}

// exec runs a statement of the change; a unique violation is ErrExists.
func (t *caseTx) exec(what, query string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.tx.Exec(t.ctx, query, args...)
	if err != nil {
		if isCode(err, uniqueViolation) {
			return tag, fmt.Errorf("%w: %s", store.ErrExists, what)
		}
		return tag, fmt.Errorf("store: %s: %w", what, err)
	}
	return tag, nil
}

// insertID runs an INSERT ... RETURNING id; no row returned (ON CONFLICT
// DO NOTHING) is ErrExists.
func (t *caseTx) insertID(what, query string, args ...any) (int64, error) {
	var id int64
	err := t.tx.QueryRow(t.ctx, query, args...).Scan(&id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, fmt.Errorf("%w: %s", store.ErrExists, what)
	case isCode(err, uniqueViolation):
		return 0, fmt.Errorf("%w: %s", store.ErrExists, what)
	case err != nil:
		return 0, fmt.Errorf("store: %s: %w", what, err)
	}
	return id, nil
}

// PutAgency implements store.CaseTx.
func (t *caseTx) PutAgency(a store.Agency) error {
	if a.Created.IsZero() {
		a.Created = time.Now().UTC()
	}
	if a.Self {
		if _, err := t.exec("clear the previous self agency", `UPDATE agencies SET self = false WHERE self AND id <> $1`, a.ID); err != nil {
			return err
		}
	}
	if _, err := t.exec("agency "+a.ID, `INSERT INTO agencies (id, name, country, self, contact, channels, public_key, created)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, country = excluded.country, self = excluded.self, contact = excluded.contact,
		channels = excluded.channels, public_key = CASE WHEN excluded.public_key = '' THEN agencies.public_key ELSE excluded.public_key END`,
		a.ID, a.Name, a.Country, a.Self, a.Contact, a.Channels, a.PublicKey, a.Created.UnixMicro()); err != nil {
		return err
	}
	return t.Record("agency.put", "agency/"+a.ID, map[string]any{"name": a.Name, "country": a.Country, "self": a.Self, "public_key": a.PublicKey})
}

// AddVictimReport implements store.CaseTx.
func (t *caseTx) AddVictimReport(r store.VictimReport) error {
	tag, err := t.exec("victim report "+r.Reference, `INSERT INTO victim_reports (reference, received, status, status_changed, tlp, body)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (reference) DO NOTHING`,
		r.Reference, r.Received.UnixMicro(), r.Status, r.Received.UnixMicro(), int16(r.TLP), string(r.Body))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: victim report %s", store.ErrExists, r.Reference)
	}
	return t.Record("report.submit", "report/"+r.Reference, map[string]any{"status": r.Status})
}

// SetVictimReportStatus implements store.CaseTx.
func (t *caseTx) SetVictimReportStatus(ref, status string, at time.Time) error {
	tag, err := t.exec("victim report status", `UPDATE victim_reports SET status = $1, status_changed = $2 WHERE reference = $3`, status, at.UnixMicro(), ref)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: victim report %s", store.ErrNotFound, ref)
	}
	return t.Record("report.status", "report/"+ref, map[string]any{"status": status})
}

// OpenCase implements store.CaseTx.
func (t *caseTx) OpenCase(c store.Case) (int64, error) {
	if c.Status == "" {
		c.Status = "open"
	}
	id, err := t.insertID("open case", `INSERT INTO cases (id, title, tlp, pap, status, opened)
		VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM cases), $1, $2, $3, $4, $5) RETURNING id`,
		c.Title, int16(c.TLP), c.PAP, c.Status, c.Opened.UnixMicro())
	if err != nil {
		return 0, err
	}
	return id, t.Record("case.open", "case/"+strconv.FormatInt(id, 10), map[string]any{"title": c.Title, "tlp": c.TLP.String(), "pap": c.PAP})
}

// AddCaseItem implements store.CaseTx.
func (t *caseTx) AddCaseItem(it store.CaseItem) error {
	tag, err := t.exec("link to case", `INSERT INTO case_items (case_id, kind, ref, added, tlp, note) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`, it.CaseID, it.Kind, it.Ref, it.Added.UnixMicro(), int16(it.TLP), it.Note)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	return t.Record("case.link", "case/"+strconv.FormatInt(it.CaseID, 10), map[string]any{"kind": it.Kind, "ref": it.Ref})
}

// AddEvidence implements store.CaseTx.
func (t *caseTx) AddEvidence(e store.EvidenceRecord, purpose string) (store.EvidenceRecord, bool, error) {
	var id int64
	err := t.tx.QueryRow(t.ctx, `SELECT id FROM evidence WHERE case_id = $1 AND sha256 = $2`, e.CaseID, e.SHA256).Scan(&id)
	switch {
	case err == nil:
		rec, err := scanEvidence(t.tx.QueryRow(t.ctx, evidenceQuery+` WHERE id = $1`, id))
		return rec, false, err
	case !errors.Is(err, pgx.ErrNoRows):
		return e, false, fmt.Errorf("store: find evidence: %w", err)
	}
	e.ID, err = t.insertID("add evidence", `INSERT INTO evidence (id, case_id, sha256, size, name, description, tlp, acquired, acquired_by, legal_hold)
		VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM evidence), $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		e.CaseID, e.SHA256, e.Size, e.Name, e.Description, int16(e.TLP), e.Acquired.UnixMicro(), e.AcquiredBy, e.LegalHold)
	if err != nil {
		return e, false, err
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
		VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM custody WHERE evidence_id = $1), $2, $3, $4, $5)`,
		c.EvidenceID, c.Time.UnixMicro(), c.Action, c.Actor, c.Purpose); err != nil {
		return err
	}
	return t.Record("evidence."+c.Action, "evidence/"+strconv.FormatInt(c.EvidenceID, 10), map[string]any{"actor": c.Actor, "purpose": c.Purpose})
}

// SetLegalHold implements store.CaseTx.
func (t *caseTx) SetLegalHold(id int64, hold bool, reason string, at time.Time) error {
	tag, err := t.exec("legal hold", `UPDATE evidence SET legal_hold = $1 WHERE id = $2`, hold, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
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
	id, err := t.insertID("create request", `INSERT INTO requests (id, case_id, direction, type, from_agency, to_agency, status, fields, tlp, created,
		submitted, accepted, due, preserved_until, extensions, follow_up, remote_id, updated)
		VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM requests), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $9)
		ON CONFLICT (remote_id) DO NOTHING RETURNING id`,
		nullID(r.CaseID), r.Direction, r.Type, r.From, r.To, r.Status, string(r.Fields), int16(r.TLP), r.Created.UnixMicro(),
		micro(r.Submitted), micro(r.Accepted), micro(r.Due), micro(r.PreservedUntil), r.Extensions, nullID(r.FollowUp), str(r.RemoteID))
	if err != nil {
		return 0, err
	}
	if err := t.Record("request.create", "request/"+strconv.FormatInt(id, 10), map[string]any{"type": r.Type, "direction": r.Direction, "from": r.From, "to": r.To, "status": r.Status, "remote": r.RemoteID}); err != nil {
		return 0, err
	}
	if r.CaseID != 0 {
		return id, t.AddCaseItem(store.CaseItem{CaseID: r.CaseID, Kind: "request", Ref: strconv.FormatInt(id, 10), Added: r.Created, TLP: r.TLP})
	}
	return id, nil
}

// UpdateRequest implements store.CaseTx.
func (t *caseTx) UpdateRequest(r store.Request, change store.RequestChange) error {
	tag, err := t.exec("update request", `UPDATE requests SET case_id = $1, status = $2, fields = $3, tlp = $4, submitted = $5, accepted = $6, due = $7,
		preserved_until = $8, extensions = $9, follow_up = $10, remote_id = $11, version = version + 1, updated = $12
		WHERE id = $13 AND version = $14`,
		nullID(r.CaseID), r.Status, string(r.Fields), int16(r.TLP), micro(r.Submitted), micro(r.Accepted), micro(r.Due),
		micro(r.PreservedUntil), r.Extensions, nullID(r.FollowUp), str(r.RemoteID), time.Now().UTC().UnixMicro(), r.ID, r.Version)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		var one int
		if err := t.tx.QueryRow(t.ctx, `SELECT 1 FROM requests WHERE id = $1`, r.ID).Scan(&one); errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: request %d", store.ErrNotFound, r.ID)
		}
		return fmt.Errorf("%w (request %d)", store.ErrConflict, r.ID)
	}
	detail := map[string]any{"status": r.Status}
	if change.To != "" {
		if _, err := t.exec("request history", `INSERT INTO request_history (request_id, seq, time, from_status, to_status, reason, actor)
			VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM request_history WHERE request_id = $1), $2, $3, $4, $5, $6)`,
			r.ID, change.Time.UnixMicro(), change.From, change.To, change.Reason, t.actor); err != nil {
			return err
		}
		detail = map[string]any{"from": change.From, "to": change.To, "reason": change.Reason}
	}
	return t.Record("request.update", "request/"+strconv.FormatInt(r.ID, 10), detail)
}

// MarkPackageSeen implements store.CaseTx.
func (t *caseTx) MarkPackageSeen(id, from, kind string, at time.Time) error {
	tag, err := t.exec("package "+id, `INSERT INTO packages_seen (id, from_agency, kind, imported) VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO NOTHING`, id, from, kind, at.UnixMicro())
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("%w: package %s from %s", store.ErrReplay, id, from)
	}
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: package %s from %s", store.ErrReplay, id, from)
	}
	return t.Record("package.import", "package/"+id, map[string]any{"from": from, "kind": kind})
}

// Agency implements store.Casework.
func (s *Store) Agency(ctx context.Context, id string) (store.Agency, error) {
	as, err := s.agencies(ctx, `WHERE id = $1`, id)
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
	as, err := s.agencies(ctx, `WHERE self`)
	if err != nil {
		return store.Agency{}, err
	}
	if len(as) == 0 {
		return store.Agency{}, fmt.Errorf("%w: this node's agency is not set up (concord agency add --self)", store.ErrNotFound)
	}
	return as[0], nil
}

func (s *Store) agencies(ctx context.Context, where string, args ...any) ([]store.Agency, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, name, country, self, contact, channels, public_key, created FROM agencies `+where, args...)
	out, err := collect(rows, func(row pgx.CollectableRow) (store.Agency, error) {
		var a store.Agency
		var created int64
		err := row.Scan(&a.ID, &a.Name, &a.Country, &a.Self, &a.Contact, &a.Channels, &a.PublicKey, &created)
		a.Created = time.UnixMicro(created).UTC()
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read agencies: %w", err)
	}
	return out, nil
}

// VictimReport implements store.Casework.
func (s *Store) VictimReport(ctx context.Context, ref string) (store.VictimReport, error) {
	rs, err := s.victimReports(ctx, `WHERE reference = $1`, ref)
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
	rows, _ := s.pool.Query(ctx, `SELECT reference, received, status, status_changed, tlp, body FROM victim_reports `+where, args...)
	out, err := collect(rows, func(row pgx.CollectableRow) (store.VictimReport, error) {
		var r store.VictimReport
		var received, changed, tlp int64
		var body string
		err := row.Scan(&r.Reference, &received, &r.Status, &changed, &tlp, &body)
		r.Received, r.StatusChanged, r.TLP, r.Body = time.UnixMicro(received).UTC(), time.UnixMicro(changed).UTC(), event.TLP(tlp), []byte(body)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read victim reports: %w", err)
	}
	return out, nil
}

// Case implements store.Casework.
func (s *Store) Case(ctx context.Context, id int64) (store.Case, error) {
	cs, err := s.cases(ctx, `WHERE id = $1`, id)
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
	rows, _ := s.pool.Query(ctx, `SELECT id, title, tlp, pap, status, opened, closed, version FROM cases `+where, args...)
	out, err := collect(rows, func(row pgx.CollectableRow) (store.Case, error) {
		var c store.Case
		var tlp, opened int64
		var closed *int64
		err := row.Scan(&c.ID, &c.Title, &tlp, &c.PAP, &c.Status, &opened, &closed, &c.Version)
		c.TLP, c.Opened, c.Closed = event.TLP(tlp), time.UnixMicro(opened).UTC(), fromMicro(closed)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read cases: %w", err)
	}
	return out, nil
}

// CaseItems implements store.Casework.
func (s *Store) CaseItems(ctx context.Context, caseID int64) ([]store.CaseItem, error) {
	rows, _ := s.pool.Query(ctx, `SELECT case_id, kind, ref, added, tlp, note FROM case_items WHERE case_id = $1 ORDER BY added, kind, ref`, caseID)
	out, err := collect(rows, func(row pgx.CollectableRow) (store.CaseItem, error) {
		var it store.CaseItem
		var added, tlp int64
		err := row.Scan(&it.CaseID, &it.Kind, &it.Ref, &added, &tlp, &it.Note)
		it.Added, it.TLP = time.UnixMicro(added).UTC(), event.TLP(tlp)
		return it, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read case items: %w", err)
	}
	return out, nil
}

const evidenceQuery = `SELECT id, case_id, sha256, size, name, description, tlp, acquired, acquired_by, legal_hold FROM evidence`

func scanEvidence(r pgx.Row) (store.EvidenceRecord, error) {
	var e store.EvidenceRecord
	var tlp, acquired int64
	err := r.Scan(&e.ID, &e.CaseID, &e.SHA256, &e.Size, &e.Name, &e.Description, &tlp, &acquired, &e.AcquiredBy, &e.LegalHold)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, store.ErrNotFound
	}
	if err != nil {
		return e, fmt.Errorf("store: read evidence: %w", err)
	}
	e.TLP, e.Acquired = event.TLP(tlp), time.UnixMicro(acquired).UTC()
	return e, nil
}

// Evidence implements store.Casework.
func (s *Store) Evidence(ctx context.Context, id int64) (store.EvidenceRecord, error) {
	e, err := scanEvidence(s.pool.QueryRow(ctx, evidenceQuery+` WHERE id = $1`, id))
	if errors.Is(err, store.ErrNotFound) {
		return e, fmt.Errorf("%w: evidence %d", store.ErrNotFound, id)
	}
	return e, err
}

// EvidenceList implements store.Casework.
func (s *Store) EvidenceList(ctx context.Context, caseID int64) ([]store.EvidenceRecord, error) {
	q, args := evidenceQuery+` ORDER BY id`, []any{}
	if caseID != 0 {
		q, args = evidenceQuery+` WHERE case_id = $1 ORDER BY id`, []any{caseID}
	}
	rows, _ := s.pool.Query(ctx, q, args...)
	out, err := collect(rows, func(row pgx.CollectableRow) (store.EvidenceRecord, error) { return scanEvidence(row) })
	if err != nil {
		return nil, fmt.Errorf("store: read evidence: %w", err)
	}
	return out, nil
}

// Custody implements store.Casework.
func (s *Store) Custody(ctx context.Context, evidenceID int64) ([]store.CustodyEntry, error) {
	rows, _ := s.pool.Query(ctx, `SELECT evidence_id, seq, time, action, actor, purpose FROM custody WHERE evidence_id = $1 ORDER BY seq`, evidenceID)
	out, err := collect(rows, func(row pgx.CollectableRow) (store.CustodyEntry, error) {
		var c store.CustodyEntry
		var at int64
		err := row.Scan(&c.EvidenceID, &c.Seq, &at, &c.Action, &c.Actor, &c.Purpose)
		c.Time = time.UnixMicro(at).UTC()
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read custody: %w", err)
	}
	return out, nil
}

const requestQuery = `SELECT id, case_id, direction, type, from_agency, to_agency, status, fields, tlp, created, submitted, accepted, due,
	preserved_until, extensions, follow_up, remote_id, version, updated FROM requests`

func (s *Store) requests(ctx context.Context, where string, args ...any) ([]store.Request, error) {
	rows, _ := s.pool.Query(ctx, requestQuery+" "+where, args...)
	out, err := collect(rows, func(row pgx.CollectableRow) (store.Request, error) {
		var r store.Request
		var caseID, followUp, submitted, accepted, due, until *int64
		var remote *string
		var fields string
		var tlp, created, updated int64
		if err := row.Scan(&r.ID, &caseID, &r.Direction, &r.Type, &r.From, &r.To, &r.Status, &fields, &tlp, &created, &submitted, &accepted, &due,
			&until, &r.Extensions, &followUp, &remote, &r.Version, &updated); err != nil {
			return r, err
		}
		if caseID != nil {
			r.CaseID = *caseID
		}
		if followUp != nil {
			r.FollowUp = *followUp
		}
		if remote != nil {
			r.RemoteID = *remote
		}
		r.Fields, r.TLP = []byte(fields), event.TLP(tlp)
		r.Created, r.Updated = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
		r.Submitted, r.Accepted, r.Due, r.PreservedUntil = fromMicro(submitted), fromMicro(accepted), fromMicro(due), fromMicro(until)
		return r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read requests: %w", err)
	}
	return out, nil
}

// Request implements store.Casework.
func (s *Store) Request(ctx context.Context, id int64) (store.Request, error) {
	rs, err := s.requests(ctx, `WHERE id = $1`, id)
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
	rs, err := s.requests(ctx, `WHERE remote_id = $1`, remote)
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
	rows, _ := s.pool.Query(ctx, `SELECT request_id, seq, time, from_status, to_status, reason, actor FROM request_history
		WHERE request_id = $1 ORDER BY seq`, id)
	out, err := collect(rows, func(row pgx.CollectableRow) (store.RequestChange, error) {
		var c store.RequestChange
		var at int64
		err := row.Scan(&c.RequestID, &c.Seq, &at, &c.From, &c.To, &c.Reason, &c.Actor)
		c.Time = time.UnixMicro(at).UTC()
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: read request history: %w", err)
	}
	return out, nil
}

// EachAudit implements store.Casework. An error from fn stops the scan
// and is returned as it is.
func (s *Store) EachAudit(ctx context.Context, fn func(audit.Entry) error) error {
	var e audit.Entry
	var at int64
	var prev, hash []byte
	var fnErr error
	rows, _ := s.pool.Query(ctx, `SELECT seq, time, actor, action, object, detail, prev, hash FROM audit ORDER BY seq`)
	_, err := pgx.ForEachRow(rows, []any{&e.Seq, &at, &e.Actor, &e.Action, &e.Object, &e.Detail, &prev, &hash}, func() error {
		e.Time = time.UnixMicro(at).UTC()
		e.Prev, e.Hash = [32]byte{}, [32]byte{}
		copy(e.Prev[:], prev)
		copy(e.Hash[:], hash)
		fnErr = fn(e)
		return fnErr
	})
	switch {
	case fnErr != nil:
		return fnErr
	case err != nil:
		return fmt.Errorf("store: read audit log: %w", err)
	}
	return nil
}

// AuditHead implements store.Casework.
func (s *Store) AuditHead(ctx context.Context) (audit.Head, error) {
	var h audit.Head
	var hash []byte
	err := s.pool.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&h.Seq, &hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, nil
	}
	if err != nil {
		return h, fmt.Errorf("store: read audit head: %w", err)
	}
	copy(h.Hash[:], hash)
	return h, nil
}
