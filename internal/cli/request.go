package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/federation"
	"github.com/concord-cert/concord/internal/store"
)

func runRequest(ctx context.Context, e *env, args []string) int {
	return e.subcommand(ctx, "request", args, map[string]func(context.Context, []string) int{
		"create": e.requestCreate,
		"move":   e.requestMove,
		"list":   e.requestList,
		"show":   e.requestShow,
		"export": e.requestExport,
		"import": e.requestImport,
	})
}

// requestView is a request in `--json` output.
type requestView struct {
	ID             int64           `json:"id"`
	Case           int64           `json:"case,omitempty"`
	Direction      string          `json:"direction"`
	Type           string          `json:"type"`
	From           string          `json:"from"`
	To             string          `json:"to"`
	Status         string          `json:"status"`
	TLP            string          `json:"tlp"`
	Created        string          `json:"created"`
	Submitted      string          `json:"submitted,omitempty"`
	Due            string          `json:"due,omitempty"`
	Overdue        bool            `json:"overdue"`
	PreservedUntil string          `json:"preserved_until,omitempty"`
	Expiring       bool            `json:"expiring,omitempty"`
	RemoteID       string          `json:"remote_id,omitempty"`
	Version        int64           `json:"version"`
	Fields         json.RawMessage `json:"fields,omitempty"`
	History        []changeView    `json:"history,omitempty"`
}

type changeView struct {
	Time   string `json:"time"`
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason,omitempty"`
	Actor  string `json:"actor"`
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// expiringDays is how far ahead `request list` warns of preservations
// about to lapse.
const expiringDays = 14

func viewRequest(r store.Request, at time.Time, dl casework.Deadlines) requestView {
	v := requestView{ID: r.ID, Case: r.CaseID, Direction: r.Direction, Type: r.Type, From: r.From, To: r.To, Status: r.Status, TLP: r.TLP.String(),
		Created: stamp(r.Created), Submitted: stamp(r.Submitted), Due: stamp(r.Due), PreservedUntil: stamp(r.PreservedUntil), RemoteID: r.RemoteID, Version: r.Version}
	v.Overdue = casework.Overdue(r.Due, at, casework.Status(r.Status))
	if !r.PreservedUntil.IsZero() && (r.Status == string(casework.StatusPreserved) || r.Status == string(casework.StatusExtended)) {
		v.Expiring = casework.ExpiringWithin(r.PreservedUntil, r.FollowUp != 0, at, expiringDays)
	}
	return v
}

// decodeFields reads a request's fields: one JSON object.
func decodeFields(data []byte) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("the fields must be one JSON object: %w", err)
	}
	if m == nil {
		return nil, errors.New("the fields must be one JSON object")
	}
	return m, nil
}

// fieldsProblem prints what is missing or wrong in a request's fields and
// returns the usage exit code.
func (e *env) fieldsProblem(asJSON bool, t casework.RequestType, missing, problems []string) int {
	if asJSON {
		e.printJSON(map[string]any{"missing": nonNil(missing), "problems": nonNil(problems)})
		return exitUsage
	}
	msg := fmt.Sprintf("a %s request is not complete", t)
	if len(missing) > 0 {
		msg += "\n  missing: " + strings.Join(missing, ", ")
	}
	for _, p := range problems {
		msg += "\n  " + p
	}
	return e.fail(exitUsage, "%s", msg)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (e *env) requestCreate(ctx context.Context, args []string) int {
	fs := e.newFlags("request create", "--case ID --type TYPE --to AGENCY FIELDS.json [--tlp LABEL]\n\nTYPE: preservation, traffic-disclosure, stored-data, subscriber-info, emergency, mla, takedown")
	cf := e.coopFlags(fs)
	caseID := fs.Int64("case", 0, "case `id`")
	typS := fs.String("type", "", "request `type`")
	to := fs.String("to", "", "the requested `agency` (its id)")
	tlpS := fs.String("tlp", "", "`marking` (default: the case's; never less strict)")
	files, err := parse(fs, args)
	if err != nil || len(files) != 1 || *caseID == 0 || !e.need(fs, "type", "to") {
		fs.Usage()
		return exitUsage
	}
	typ, err := casework.ParseRequestType(*typS)
	if err != nil {
		return e.fail(exitUsage, "--type: %v", err)
	}
	data, err := readLimited(e.stdin, files[0], 1<<20)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	fields, err := decodeFields(data)
	if err != nil {
		return e.fail(exitUsage, "%s: %v", files[0], err)
	}
	if missing, problems := casework.Validate(typ, fields); len(missing)+len(problems) > 0 {
		return e.fieldsProblem(*cf.asJSON, typ, missing, problems)
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		self, err := c.st.SelfAgency(ctx)
		if err != nil {
			return e.storeError(err)
		}
		partner, err := c.st.Agency(ctx, *to)
		if err != nil {
			return e.storeError(err)
		}
		if partner.ID == self.ID {
			return e.fail(exitUsage, "--to %s is this node's own agency", partner.ID)
		}
		cs, err := c.st.Case(ctx, *caseID)
		if err != nil {
			return e.storeError(err)
		}
		tlp := cs.TLP
		if *tlpS != "" {
			t, err := event.ParseTLP(*tlpS)
			if err != nil {
				return e.fail(exitUsage, "--tlp: %v", err)
			}
			tlp = tlp.Stricter(t)
		}
		at := now()
		raw, _ := json.Marshal(fields)
		r := store.Request{CaseID: cs.ID, Direction: store.Outgoing, Type: string(typ), From: self.ID, To: partner.ID, Status: string(casework.StatusDraft),
			Fields: raw, TLP: tlp, Created: at, Due: e.cfg.deadlines().Due(typ, at)}
		if err := c.change(ctx, func(tx store.CaseTx) error {
			var err error
			r.ID, err = tx.CreateRequest(r)
			return err
		}); err != nil {
			return e.storeError(err)
		}
		return e.result(*cf.asJSON, map[string]any{"id": r.ID, "status": r.Status, "due": stamp(r.Due)}, func() {
			fmt.Fprintf(e.stdout, "request %d: %s to %s (%s), status %s; due %s if sent now\n", r.ID, typ, partner.ID, partner.Country, r.Status, stamp(r.Due))
		})
	})
}

// applyStatus moves r to status to at time at and keeps its timers: the
// due date runs from submission, preservation from acceptance.
func applyStatus(dl casework.Deadlines, r *store.Request, to casework.Status, at time.Time, followUpOpen bool) {
	r.Status = string(to)
	switch to {
	case casework.StatusSubmitted:
		r.Submitted = at
		r.Due = dl.Due(casework.RequestType(r.Type), at)
	case casework.StatusAccepted, casework.StatusPartiallyAccepted:
		r.Accepted = at
	case casework.StatusPreserved:
		if r.Accepted.IsZero() {
			r.Accepted = at
		}
		r.PreservedUntil, _ = dl.PreservedUntil(r.Accepted, r.Extensions, followUpOpen, at)
	case casework.StatusExtended:
		r.Extensions++
		r.PreservedUntil, _ = dl.PreservedUntil(r.Accepted, r.Extensions, followUpOpen, at)
	}
}

func (c *coop) followUpOpen(ctx context.Context, r store.Request) bool {
	if r.FollowUp == 0 {
		return false
	}
	f, err := c.st.Request(ctx, r.FollowUp)
	return err == nil && casework.Status(f.Status).Open()
}

func (e *env) requestMove(ctx context.Context, args []string) int {
	fs := e.newFlags("request move", "--id ID --to STATUS [--reason R] [--consulted] [--follow-up ID]")
	cf := e.coopFlags(fs)
	id := fs.Int64("id", 0, "request `id`")
	toS := fs.String("to", "", "the new `status`")
	reason := fs.String("reason", "", "why (required to refuse, postpone, partially accept or ask for information)")
	consulted := fs.Bool("consulted", false, "the requesting side was consulted (required to refuse, postpone or partially accept)")
	followUp := fs.Int64("follow-up", 0, "the `request` that follows this one (an MLA after a preservation)")
	if _, err := parse(fs, args); err != nil || *id == 0 || !e.need(fs, "to") {
		fs.Usage()
		return exitUsage
	}
	to, err := casework.ParseStatus(*toS)
	if err != nil {
		return e.fail(exitUsage, "--to: %v", err)
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		r, err := c.st.Request(ctx, *id)
		if err != nil {
			return e.storeError(err)
		}
		typ := casework.RequestType(r.Type)
		from := casework.Status(r.Status)
		if err := casework.CheckTransition(typ, from, to, *reason, *consulted); err != nil {
			hint := ""
			switch {
			case errors.Is(err, casework.ErrReasonRequired):
				hint = " (give --reason)"
			case errors.Is(err, casework.ErrConsultationRequired):
				hint = " (once you have, add --consulted)"
			}
			return e.fail(exitUsage, "request %d: %v%s", r.ID, err, hint)
		}
		if to == casework.StatusSubmitted {
			fields, err := decodeFields(r.Fields)
			if err != nil {
				return e.fail(exitFailure, "request %d: %v", r.ID, err)
			}
			if missing, problems := casework.Validate(typ, fields); len(missing)+len(problems) > 0 {
				return e.fieldsProblem(*cf.asJSON, typ, missing, problems)
			}
		}
		if *followUp != 0 {
			if _, err := c.st.Request(ctx, *followUp); err != nil {
				return e.storeError(err)
			}
			r.FollowUp = *followUp
		}
		at := now()
		applyStatus(e.cfg.deadlines(), &r, to, at, c.followUpOpen(ctx, r))
		if err := c.change(ctx, func(tx store.CaseTx) error {
			return tx.UpdateRequest(r, store.RequestChange{Time: at, From: string(from), To: string(to), Reason: *reason})
		}); err != nil {
			return e.storeError(err)
		}
		r.Version++
		v := viewRequest(r, at, e.cfg.deadlines())
		return e.result(*cf.asJSON, v, func() {
			fmt.Fprintf(e.stdout, "request %d: %s → %s", r.ID, from, to)
			if v.Due != "" && casework.Status(r.Status).AwaitsRequestedSide() {
				fmt.Fprintf(e.stdout, "; due %s", v.Due)
			}
			if v.PreservedUntil != "" {
				fmt.Fprintf(e.stdout, "; preserved until %s", v.PreservedUntil)
			}
			fmt.Fprintln(e.stdout)
		})
	})
}

func (e *env) requestList(ctx context.Context, args []string) int {
	fs := e.newFlags("request list", "[--overdue] [--expiring]")
	cf := e.coopFlags(fs)
	overdue := fs.Bool("overdue", false, "only requests past their due date that still await the requested side")
	expiring := fs.Bool("expiring", false, fmt.Sprintf("only preservations that lapse within %d days", expiringDays))
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		rs, err := c.st.Requests(ctx)
		if err != nil {
			return e.storeError(err)
		}
		at := now()
		views := []requestView{}
		for _, r := range rs {
			v := viewRequest(r, at, e.cfg.deadlines())
			if (*overdue && !v.Overdue) || (*expiring && !v.Expiring) {
				continue
			}
			views = append(views, v)
		}
		return e.result(*cf.asJSON, map[string]any{"requests": views}, func() {
			w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "id\tdirection\ttype\tfrom\tto\tstatus\tdue\t")
			for _, v := range views {
				flag := ""
				if v.Overdue {
					flag = "OVERDUE"
				}
				if v.Expiring {
					flag = "preservation lapses " + v.PreservedUntil
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Direction, v.Type, v.From, v.To, v.Status, dash(v.Due), flag)
			}
			w.Flush()
		})
	})
}

func (e *env) requestShow(ctx context.Context, args []string) int {
	fs := e.newFlags("request show", "--id ID")
	cf := e.coopFlags(fs)
	id := fs.Int64("id", 0, "request `id`")
	if _, err := parse(fs, args); err != nil || *id == 0 {
		fs.Usage()
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		r, err := c.st.Request(ctx, *id)
		if err != nil {
			return e.storeError(err)
		}
		h, err := c.st.RequestHistory(ctx, r.ID)
		if err != nil {
			return e.storeError(err)
		}
		v := viewRequest(r, now(), e.cfg.deadlines())
		v.Fields = r.Fields
		for _, x := range h {
			v.History = append(v.History, changeView{stamp(x.Time), x.From, x.To, x.Reason, x.Actor})
		}
		return e.result(*cf.asJSON, v, func() {
			fmt.Fprintf(e.stdout, "request %d (%s): %s from %s to %s, %s, %s\n", v.ID, v.Direction, v.Type, v.From, v.To, v.Status, v.TLP)
			if v.Due != "" {
				fmt.Fprintf(e.stdout, "due %s", v.Due)
				if v.Overdue {
					fmt.Fprint(e.stdout, " — OVERDUE")
				}
				fmt.Fprintln(e.stdout)
			}
			if v.PreservedUntil != "" {
				fmt.Fprintf(e.stdout, "data preserved until %s\n", v.PreservedUntil)
			}
			for _, x := range v.History {
				fmt.Fprintf(e.stdout, "  %s  %s → %s  %s  %s\n", x.Time, x.From, x.To, x.Actor, x.Reason)
			}
		})
	})
}

// requestPayload is what a "request" package carries.
type requestPayload struct {
	Request struct {
		ID      int64           `json:"id"`
		Type    string          `json:"type"`
		Fields  json.RawMessage `json:"fields"`
		TLP     string          `json:"tlp"`
		Created time.Time       `json:"created"`
	} `json:"request"`
	Case struct {
		ID       int64             `json:"id"`
		Title    string            `json:"title"`
		TLP      string            `json:"tlp"`
		PAP      string            `json:"pap"`
		Evidence []evidenceExcerpt `json:"evidence"`
		Withheld []string          `json:"withheld,omitempty"`
	} `json:"case"`
}

type evidenceExcerpt struct {
	Name        string `json:"name"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	Description string `json:"description,omitempty"`
	TLP         string `json:"tlp"`
}

// statusPayload is what a "status" package carries back.
type statusPayload struct {
	// Request is the id of the request at the agency that sent it.
	Request        int64        `json:"request"`
	Status         string       `json:"status"`
	Reason         string       `json:"reason,omitempty"`
	PreservedUntil string       `json:"preserved_until,omitempty"`
	History        []changeView `json:"history"`
}

// maxPackage bounds a package read by import.
const maxPackage = 256 << 20

func (e *env) signingKey(c *coop, self store.Agency) (ed25519.PrivateKey, error) {
	key, err := federation.LoadKey(c.keyPath(self.ID))
	if err != nil {
		return nil, fmt.Errorf("this agency's signing key: %w", err)
	}
	if federation.EncodePublicKey(key.Public().(ed25519.PublicKey)) != self.PublicKey {
		return nil, fmt.Errorf("the signing key in %s is not the one registered for %s; run `concord agency add --self` again or restore the key", c.keyPath(self.ID), self.ID)
	}
	return key, nil
}

func (e *env) requestExport(ctx context.Context, args []string) int {
	fs := e.newFlags("request export", "--id ID --out FILE [--with-files]")
	cf := e.coopFlags(fs)
	id := fs.Int64("id", 0, "request `id`")
	out := fs.String("out", "", "package `file` to write")
	withFiles := fs.Bool("with-files", false, "carry the evidence files, not only their hashes")
	if _, err := parse(fs, args); err != nil || *id == 0 || !e.need(fs, "out") {
		fs.Usage()
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		self, err := c.st.SelfAgency(ctx)
		if err != nil {
			return e.storeError(err)
		}
		key, err := e.signingKey(c, self)
		if err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		r, err := c.st.Request(ctx, *id)
		if err != nil {
			return e.storeError(err)
		}
		partnerID := r.To
		if r.Direction == store.Incoming {
			partnerID = r.From
		}
		partner, err := c.st.Agency(ctx, partnerID)
		if err != nil {
			return e.storeError(err)
		}
		at := now()
		var pkg *federation.Package
		var sent []store.EvidenceRecord
		moveToSubmitted := false
		if r.Direction == store.Outgoing {
			if r.Status != string(casework.StatusDraft) && r.Status != string(casework.StatusSubmitted) {
				return e.fail(exitUsage, "request %d is %s: only a draft or submitted request is sent; its status comes back from %s", r.ID, r.Status, partner.ID)
			}
			var p requestPayload
			p.Request.ID, p.Request.Type, p.Request.Fields, p.Request.TLP, p.Request.Created = r.ID, r.Type, r.Fields, r.TLP.String(), r.Created
			var atts []federation.Attachment
			tlp := r.TLP
			if r.CaseID != 0 {
				cs, err := c.st.Case(ctx, r.CaseID)
				if err != nil {
					return e.storeError(err)
				}
				p.Case.ID, p.Case.Title, p.Case.TLP, p.Case.PAP = cs.ID, cs.Title, cs.TLP.String(), cs.PAP
				evs, err := c.st.EvidenceList(ctx, cs.ID)
				if err != nil {
					return e.storeError(err)
				}
				v, err := c.vault()
				if err != nil {
					return e.fail(exitFailure, "%v", err)
				}
				for _, ev := range evs {
					// A marking is never weakened on the way out: what is
					// stricter than the request stays home, and says so.
					if ev.TLP.Stricter(r.TLP) != r.TLP {
						p.Case.Withheld = append(p.Case.Withheld, fmt.Sprintf("%s (%s, stricter than the request's %s)", ev.Name, ev.TLP, r.TLP))
						continue
					}
					p.Case.Evidence = append(p.Case.Evidence, evidenceExcerpt{ev.Name, ev.SHA256, ev.Size, ev.Description, ev.TLP.String()})
					var buf bytes.Buffer
					if *withFiles {
						if err := v.Export(ev.SHA256, &buf); err != nil {
							return e.fail(exitFailure, "evidence %d: %v", ev.ID, err)
						}
						atts = append(atts, federation.NewAttachment(fmt.Sprintf("%d-%s", ev.ID, sanitizeName(ev.Name)), buf.Bytes(), true))
					} else {
						atts = append(atts, federation.Attachment{Name: fmt.Sprintf("%d-%s", ev.ID, sanitizeName(ev.Name)), SHA256: ev.SHA256, Size: ev.Size})
					}
					sent = append(sent, ev)
				}
				tlp = tlp.Stricter(cs.TLP)
			}
			pkg, err = federation.NewPackage(federation.KindRequest, federation.Party{Agency: self.ID, Country: self.Country},
				federation.Party{Agency: partner.ID, Country: partner.Country}, tlp.String(), p)
			if err != nil {
				return e.fail(exitFailure, "%v", err)
			}
			pkg.Attachments = atts
			moveToSubmitted = r.Status == string(casework.StatusDraft)
			if moveToSubmitted {
				fields, err := decodeFields(r.Fields)
				if err != nil {
					return e.fail(exitFailure, "%v", err)
				}
				if missing, problems := casework.Validate(casework.RequestType(r.Type), fields); len(missing)+len(problems) > 0 {
					return e.fieldsProblem(*cf.asJSON, casework.RequestType(r.Type), missing, problems)
				}
			}
		} else {
			remote, err := remoteNumber(r.RemoteID)
			if err != nil {
				return e.fail(exitFailure, "request %d: %v", r.ID, err)
			}
			h, err := c.st.RequestHistory(ctx, r.ID)
			if err != nil {
				return e.storeError(err)
			}
			sp := statusPayload{Request: remote, Status: r.Status, PreservedUntil: stamp(r.PreservedUntil), History: []changeView{}}
			for _, x := range h {
				sp.History = append(sp.History, changeView{stamp(x.Time), x.From, x.To, x.Reason, x.Actor})
				sp.Reason = x.Reason
			}
			pkg, err = federation.NewPackage(federation.KindStatus, federation.Party{Agency: self.ID, Country: self.Country},
				federation.Party{Agency: partner.ID, Country: partner.Country}, r.TLP.String(), sp)
			if err != nil {
				return e.fail(exitFailure, "%v", err)
			}
		}
		file, err := federation.Seal(pkg, key)
		if err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		if err := writeFileAtomic(*out, file); err != nil {
			return e.fail(exitFailure, "%v", err)
		}
		err = c.change(ctx, func(tx store.CaseTx) error {
			if moveToSubmitted {
				from := r.Status
				applyStatus(e.cfg.deadlines(), &r, casework.StatusSubmitted, at, false)
				if err := tx.UpdateRequest(r, store.RequestChange{Time: at, From: from, To: r.Status, Reason: "sent as package " + pkg.ID}); err != nil {
					return err
				}
			}
			for _, ev := range sent {
				purpose := fmt.Sprintf("hash sent to %s with request %d (package %s)", partner.ID, r.ID, pkg.ID)
				if *withFiles {
					purpose = fmt.Sprintf("sent to %s with request %d (package %s)", partner.ID, r.ID, pkg.ID)
				}
				if err := tx.AddCustody(store.CustodyEntry{EvidenceID: ev.ID, Time: at, Action: "transferred", Actor: c.actor, Purpose: purpose}); err != nil {
					return err
				}
			}
			return tx.Record("package.export", "package/"+pkg.ID, map[string]any{"kind": pkg.Kind, "request": r.ID, "to": partner.ID, "tlp": pkg.TLP, "sha256_attachments": len(pkg.Attachments)})
		})
		if err != nil {
			os.Remove(*out)
			return e.storeError(err)
		}
		res := map[string]any{"package": pkg.ID, "kind": pkg.Kind, "to": partner.ID, "request": r.ID, "status": r.Status, "tlp": pkg.TLP, "out": *out, "attachments": len(pkg.Attachments)}
		return e.result(*cf.asJSON, res, func() {
			fmt.Fprintf(e.stdout, "package %s (%s, %s) for %s written to %s, signed by %s\n", pkg.ID, pkg.Kind, pkg.TLP, partner.ID, *out, self.ID)
			channel := "your usual channel"
			if partner.Channels != "" {
				channel = "one of " + partner.Channels
			}
			fmt.Fprintf(e.stdout, "send it to %s by %s; request %d is %s\n", partner.ID, channel, r.ID, r.Status)
		})
	})
}

func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < 32 {
			return '_'
		}
		return r
	}, strings.ReplaceAll(s, "..", "_"))
}

// remoteNumber reads the partner's request number from "AGENCY:ID".
func remoteNumber(remote string) (int64, error) {
	i := strings.LastIndexByte(remote, ':')
	if i < 0 {
		return 0, fmt.Errorf("no partner reference (%q)", remote)
	}
	return strconv.ParseInt(remote[i+1:], 10, 64)
}

func (e *env) requestImport(ctx context.Context, args []string) int {
	fs := e.newFlags("request import", "FILE")
	cf := e.coopFlags(fs)
	files, err := parse(fs, args)
	if err != nil || len(files) != 1 {
		fs.Usage()
		return exitUsage
	}
	data, err := readLimited(e.stdin, files[0], maxPackage)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		self, err := c.st.SelfAgency(ctx)
		if err != nil {
			return e.storeError(err)
		}
		keyOf := func(agency string) (ed25519.PublicKey, error) {
			a, err := c.st.Agency(ctx, agency)
			if err != nil {
				return nil, fmt.Errorf("%s is not a registered partner (concord agency add --id %s ... --key FILE): %w", agency, agency, err)
			}
			if a.PublicKey == "" {
				return nil, fmt.Errorf("partner %s has no registered key", agency)
			}
			return federation.ParsePublicKey(a.PublicKey)
		}
		pkg, err := federation.Open(data, keyOf, self.ID)
		if err != nil {
			return e.fail(exitUsage, "%s: %v", files[0], err)
		}
		at := now()
		res := map[string]any{"package": pkg.ID, "kind": pkg.Kind, "from": pkg.From.Agency, "tlp": pkg.TLP}
		switch pkg.Kind {
		case federation.KindRequest:
			err = e.importRequest(ctx, c, pkg, at, res)
		case federation.KindStatus:
			err = e.importStatus(ctx, c, pkg, at, res)
		default:
			return e.fail(exitUsage, "%s: a %q package is not one this version imports", files[0], pkg.Kind)
		}
		if err != nil {
			if errors.Is(err, store.ErrReplay) {
				return e.fail(exitUsage, "%s: package %s from %s was imported before; a replayed package is refused", files[0], pkg.ID, pkg.From.Agency)
			}
			return e.storeError(err)
		}
		return e.result(*cf.asJSON, res, func() {
			fmt.Fprintf(e.stdout, "package %s from %s verified (signature, sender, recipient, attachments) and imported: request %v is %v\n",
				pkg.ID, pkg.From.Agency, res["request"], res["status"])
		})
	})
}

func (e *env) importRequest(ctx context.Context, c *coop, pkg *federation.Package, at time.Time, res map[string]any) error {
	var p requestPayload
	if err := pkg.DecodePayload(&p); err != nil {
		return fmt.Errorf("the package's request: %w", err)
	}
	typ, err := casework.ParseRequestType(p.Request.Type)
	if err != nil {
		return err
	}
	tlp, err := event.ParseTLP(pkg.TLP)
	if err != nil {
		return err
	}
	remote := fmt.Sprintf("%s:%d", pkg.From.Agency, p.Request.ID)
	v, err := c.vault()
	if err != nil {
		return err
	}
	// Carried files go to the vault before the transaction: the vault is
	// content-addressed, so a failed import leaves at most an unreferenced
	// copy, never a record without its file.
	carried := map[string]bool{}
	for _, a := range pkg.Attachments {
		if a.Data == nil {
			continue
		}
		obj, err := v.Put(bytes.NewReader(a.Data))
		if err != nil {
			return err
		}
		carried[obj.SHA256] = true
	}
	r := store.Request{Direction: store.Incoming, Type: string(typ), From: pkg.From.Agency, To: pkg.To.Agency, Status: string(casework.StatusSubmitted),
		Fields: p.Request.Fields, TLP: tlp, Created: at, RemoteID: remote}
	applyStatus(e.cfg.deadlines(), &r, casework.StatusSubmitted, pkg.Created, false)
	return c.change(ctx, func(tx store.CaseTx) error {
		if err := tx.MarkPackageSeen(pkg.ID, pkg.From.Agency, pkg.Kind, at); err != nil {
			return err
		}
		if have, err := c.st.RequestByRemote(ctx, remote); err == nil {
			return fmt.Errorf("%w: %s's request %d is already here as request %d (sent again in a new package); nothing was imported", store.ErrExists, pkg.From.Agency, p.Request.ID, have.ID)
		}
		caseID, err := tx.OpenCase(store.Case{Title: fmt.Sprintf("%s request %d from %s: %s", typ, p.Request.ID, pkg.From.Agency, p.Case.Title), TLP: tlp, PAP: p.Case.PAP, Opened: at})
		if err != nil {
			return err
		}
		r.CaseID = caseID
		if r.ID, err = tx.CreateRequest(r); err != nil {
			return err
		}
		for _, a := range pkg.Attachments {
			ex := excerptFor(p.Case.Evidence, a.SHA256)
			if !carried[a.SHA256] {
				if err := tx.AddCaseItem(store.CaseItem{CaseID: caseID, Kind: "evidence-hash", Ref: a.SHA256, Added: at, TLP: tlp, Note: a.Name}); err != nil {
					return err
				}
				continue
			}
			etlp := tlp
			if t, err := event.ParseTLP(ex.TLP); err == nil {
				etlp = t.Stricter(tlp)
			}
			rec, _, err := tx.AddEvidence(store.EvidenceRecord{CaseID: caseID, SHA256: a.SHA256, Size: a.Size, Name: a.Name, Description: ex.Description,
				TLP: etlp, Acquired: at, AcquiredBy: c.actor}, fmt.Sprintf("received from %s in package %s", pkg.From.Agency, pkg.ID))
			if err != nil {
				return err
			}
			if err := tx.AddCustody(store.CustodyEntry{EvidenceID: rec.ID, Time: at, Action: "transferred", Actor: pkg.From.Agency, Purpose: "handed over with request " + r.RemoteID}); err != nil {
				return err
			}
		}
		res["request"], res["case"], res["status"], res["due"] = r.ID, caseID, r.Status, stamp(r.Due)
		return nil
	})
}

func excerptFor(evs []evidenceExcerpt, sha string) evidenceExcerpt {
	for _, x := range evs {
		if x.SHA256 == sha {
			return x
		}
	}
	return evidenceExcerpt{}
}

func (e *env) importStatus(ctx context.Context, c *coop, pkg *federation.Package, at time.Time, res map[string]any) error {
	var sp statusPayload
	if err := pkg.DecodePayload(&sp); err != nil {
		return err
	}
	status, err := casework.ParseStatus(sp.Status)
	if err != nil {
		return err
	}
	r, err := c.st.Request(ctx, sp.Request)
	if err != nil {
		return err
	}
	if r.Direction != store.Outgoing || r.To != pkg.From.Agency {
		return fmt.Errorf("%w: request %d was not sent to %s", store.ErrNotFound, r.ID, pkg.From.Agency)
	}
	from := r.Status
	applyStatus(e.cfg.deadlines(), &r, status, at, c.followUpOpen(ctx, r))
	if sp.PreservedUntil != "" {
		if t, err := time.Parse(time.RFC3339, sp.PreservedUntil); err == nil {
			r.PreservedUntil = t
		}
	}
	return c.change(ctx, func(tx store.CaseTx) error {
		if err := tx.MarkPackageSeen(pkg.ID, pkg.From.Agency, pkg.Kind, at); err != nil {
			return err
		}
		reason := sp.Reason
		if reason == "" {
			reason = "reported by " + pkg.From.Agency
		}
		if err := tx.UpdateRequest(r, store.RequestChange{Time: at, From: from, To: r.Status, Reason: reason + " (package " + pkg.ID + ")"}); err != nil {
			return err
		}
		res["request"], res["status"] = r.ID, r.Status
		return nil
	})
}
