package coop

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/casework"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/federation"
	"github.com/concord-cert/concord/internal/store"
)

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
	History        []ChangeView `json:"history"`
}

// MaxPackage bounds a package read by import.
const MaxPackage = 256 << 20

// SigningKey loads this agency's signing key and checks it is the one
// registered for it.
func (n *Node) SigningKey(self store.Agency) (ed25519.PrivateKey, error) {
	key, err := federation.LoadKey(n.KeyPath(self.ID))
	if err != nil {
		return nil, fmt.Errorf("this agency's signing key: %w", err)
	}
	if federation.EncodePublicKey(key.Public().(ed25519.PublicKey)) != self.PublicKey {
		return nil, fmt.Errorf("the signing key in %s is not the one registered for %s; run `concord agency add --self` again or restore the key", n.KeyPath(self.ID), self.ID)
	}
	return key, nil
}

// Export is a sealed package and what it was made from.
type Export struct {
	Package *federation.Package
	// File is the signed package as sent.
	File    []byte
	Self    store.Agency
	Partner store.Agency
	// Request is the request as stored after the export.
	Request store.Request
}

// ExportRequest seals the package that carries request id to the partner:
// for an outgoing draft or submitted request, the request with its case
// and the evidence no stricter than the request (the files themselves
// with withFiles, else their hashes; what is stricter stays home and the
// package says so); for an incoming request, its status going back.
// deliver receives the package file before anything is recorded; then a
// draft becomes submitted, each evidence record sent gets a "transferred"
// custody entry, and the export is audited, all in one transaction. An
// error after deliver returned means the package must not be sent.
func (n *Node) ExportRequest(ctx context.Context, id int64, withFiles bool, deliver func(file []byte) error) (Export, error) {
	var x Export
	self, err := n.St.SelfAgency(ctx)
	if err != nil {
		return x, err
	}
	key, err := n.SigningKey(self)
	if err != nil {
		return x, err
	}
	r, err := n.Request(ctx, id)
	if err != nil {
		return x, err
	}
	partnerID := r.To
	if r.Direction == store.Incoming {
		partnerID = r.From
	}
	partner, err := n.St.Agency(ctx, partnerID)
	if err != nil {
		return x, err
	}
	at := n.now()
	var pkg *federation.Package
	var sent []store.EvidenceRecord
	moveToSubmitted := false
	if r.Direction == store.Outgoing {
		if r.Status != string(casework.StatusDraft) && r.Status != string(casework.StatusSubmitted) {
			return x, problem("", "request %d is %s: only a draft or submitted request is sent; its status comes back from %s", r.ID, r.Status, partner.ID)
		}
		var p requestPayload
		p.Request.ID, p.Request.Type, p.Request.Fields, p.Request.TLP, p.Request.Created = r.ID, r.Type, r.Fields, r.TLP.String(), r.Created
		var atts []federation.Attachment
		tlp := r.TLP
		if r.CaseID != 0 {
			cs, err := n.Case(ctx, r.CaseID)
			if err != nil {
				return x, err
			}
			p.Case.ID, p.Case.Title, p.Case.TLP, p.Case.PAP = cs.ID, cs.Title, cs.TLP.String(), cs.PAP
			evs, err := n.St.EvidenceList(ctx, cs.ID)
			if err != nil {
				return x, err
			}
			v, err := n.Vault()
			if err != nil {
				return x, err
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
				if withFiles {
					if err := v.Export(ev.SHA256, &buf); err != nil {
						return x, fmt.Errorf("evidence %d: %w", ev.ID, err)
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
			return x, err
		}
		pkg.Attachments = atts
		moveToSubmitted = r.Status == string(casework.StatusDraft)
		if moveToSubmitted {
			fields, err := DecodeFields(r.Fields)
			if err != nil {
				return x, err
			}
			if err := CheckFields(casework.RequestType(r.Type), fields); err != nil {
				return x, err
			}
		}
	} else {
		remote, err := remoteNumber(r.RemoteID)
		if err != nil {
			return x, fmt.Errorf("request %d: %w", r.ID, err)
		}
		h, err := n.St.RequestHistory(ctx, r.ID)
		if err != nil {
			return x, err
		}
		sp := statusPayload{Request: remote, Status: r.Status, PreservedUntil: Stamp(r.PreservedUntil), History: ViewChanges(h)}
		for _, c := range h {
			sp.Reason = c.Reason
		}
		pkg, err = federation.NewPackage(federation.KindStatus, federation.Party{Agency: self.ID, Country: self.Country},
			federation.Party{Agency: partner.ID, Country: partner.Country}, r.TLP.String(), sp)
		if err != nil {
			return x, err
		}
	}
	file, err := federation.Seal(pkg, key)
	if err != nil {
		return x, err
	}
	if err := deliver(file); err != nil {
		return x, err
	}
	err = n.Change(ctx, func(tx store.CaseTx) error {
		if moveToSubmitted {
			from := r.Status
			ApplyStatus(n.Deadlines, &r, casework.StatusSubmitted, at, false)
			if err := tx.UpdateRequest(r, store.RequestChange{Time: at, From: from, To: r.Status, Reason: "sent as package " + pkg.ID}); err != nil {
				return err
			}
			r.Version++
		}
		for _, ev := range sent {
			purpose := fmt.Sprintf("hash sent to %s with request %d (package %s)", partner.ID, r.ID, pkg.ID)
			if withFiles {
				purpose = fmt.Sprintf("sent to %s with request %d (package %s)", partner.ID, r.ID, pkg.ID)
			}
			if err := tx.AddCustody(store.CustodyEntry{EvidenceID: ev.ID, Time: at, Action: "transferred", Actor: n.Actor, Purpose: purpose}); err != nil {
				return err
			}
		}
		return tx.Record("package.export", "package/"+pkg.ID, map[string]any{"kind": pkg.Kind, "request": r.ID, "to": partner.ID, "tlp": pkg.TLP, "sha256_attachments": len(pkg.Attachments)})
	})
	if err != nil {
		return x, err
	}
	return Export{Package: pkg, File: file, Self: self, Partner: partner, Request: r}, nil
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

// Import is what importing a package did.
type Import struct {
	Package *federation.Package
	// Request is the request the package created or updated, Status its
	// status now.
	Request int64
	Status  string
	// Case and Due are set for a new request: the case opened for it and
	// when its answer is due.
	Case int64
	Due  time.Time
}

// Import verifies a package file (signature by a registered partner's
// key, this node as recipient, attachments, never seen before) and
// imports it: a request opens a case with the request and the files that
// came with it; a status moves the request it answers. A package that
// fails a check, or was imported before, is a *Problem.
func (n *Node) Import(ctx context.Context, data []byte) (Import, error) {
	self, err := n.St.SelfAgency(ctx)
	if err != nil {
		return Import{}, err
	}
	keyOf := func(agency string) (ed25519.PublicKey, error) {
		a, err := n.St.Agency(ctx, agency)
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
		return Import{}, &Problem{Msg: err.Error(), err: err}
	}
	at := n.now()
	res := Import{Package: pkg}
	switch pkg.Kind {
	case federation.KindRequest:
		err = n.importRequest(ctx, pkg, at, &res)
	case federation.KindStatus:
		err = n.importStatus(ctx, pkg, at, &res)
	default:
		return res, problem("", "a %q package is not one this version imports", pkg.Kind)
	}
	if errors.Is(err, store.ErrReplay) {
		return res, &Problem{Msg: fmt.Sprintf("package %s from %s was imported before; a replayed package is refused", pkg.ID, pkg.From.Agency), err: err}
	}
	return res, err
}

func (n *Node) importRequest(ctx context.Context, pkg *federation.Package, at time.Time, res *Import) error {
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
	v, err := n.Vault()
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
	ApplyStatus(n.Deadlines, &r, casework.StatusSubmitted, pkg.Created, false)
	return n.Change(ctx, func(tx store.CaseTx) error {
		if err := tx.MarkPackageSeen(pkg.ID, pkg.From.Agency, pkg.Kind, at); err != nil {
			return err
		}
		if have, err := n.St.RequestByRemote(ctx, remote); err == nil {
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
				TLP: etlp, Acquired: at, AcquiredBy: n.Actor}, fmt.Sprintf("received from %s in package %s", pkg.From.Agency, pkg.ID))
			if err != nil {
				return err
			}
			if err := tx.AddCustody(store.CustodyEntry{EvidenceID: rec.ID, Time: at, Action: "transferred", Actor: pkg.From.Agency, Purpose: "handed over with request " + r.RemoteID}); err != nil {
				return err
			}
		}
		res.Request, res.Case, res.Status, res.Due = r.ID, caseID, r.Status, r.Due
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

func (n *Node) importStatus(ctx context.Context, pkg *federation.Package, at time.Time, res *Import) error {
	var sp statusPayload
	if err := pkg.DecodePayload(&sp); err != nil {
		return err
	}
	status, err := casework.ParseStatus(sp.Status)
	if err != nil {
		return err
	}
	r, err := n.Request(ctx, sp.Request)
	if err != nil {
		return err
	}
	if r.Direction != store.Outgoing || r.To != pkg.From.Agency {
		return fmt.Errorf("%w: request %d was not sent to %s", store.ErrNotFound, r.ID, pkg.From.Agency)
	}
	from := r.Status
	ApplyStatus(n.Deadlines, &r, status, at, n.followUpOpen(ctx, r))
	if sp.PreservedUntil != "" {
		if t, err := time.Parse(time.RFC3339, sp.PreservedUntil); err == nil {
			r.PreservedUntil = t
		}
	}
	return n.Change(ctx, func(tx store.CaseTx) error {
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
		res.Request, res.Status = r.ID, r.Status
		return nil
	})
}
