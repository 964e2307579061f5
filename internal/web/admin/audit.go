package admin

import (
	"encoding/hex"
	"net/http"

	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/web"
)

// auditPage shows the recorded head of the audit log and, after a check,
// its result.
type auditPage struct {
	Head     int64
	HeadHash string
	Check    *node.AuditCheck
}

func (h *handler) auditPage(c *web.Ctx) error {
	head, err := c.S.Store.AuditHead(c.R.Context())
	if err != nil {
		return err
	}
	return c.Render(h.pages, "audit", "Audit log", auditPage{Head: head.Seq, HeadHash: hex.EncodeToString(head.Hash[:])})
}

// verify checks the chain as `concord audit verify` does. The check is
// logged, not appended to the audit log: an entry sealed onto a log that
// just failed would cover a truncated tail with a fresh head.
func verify(c *web.Ctx) (node.AuditCheck, error) {
	res, err := node.VerifyAudit(c.R.Context(), c.S.Store)
	if err != nil {
		return res, err
	}
	c.S.Cfg.Log.Info("audit verified", "user", c.P.User, "intact", res.Intact, "entries", res.Entries, "first_bad_entry", res.FirstBad)
	return res, nil
}

func (h *handler) auditVerify(c *web.Ctx) error {
	res, err := verify(c)
	if err != nil {
		return err
	}
	return c.Render(h.pages, "audit", "Audit log", auditPage{Head: res.Head, HeadHash: res.HeadHash, Check: &res})
}

func (h *handler) apiAuditVerify(c *web.Ctx) error {
	res, err := verify(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
