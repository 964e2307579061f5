package admin

import (
	"context"
	"embed"
	"errors"
	"net/http"
	"time"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
)

//go:embed templates/*.tmpl
var templates embed.FS

// maxForm bounds the body of a form or JSON request; uploads set more.
const maxForm = 64 << 10

type handler struct {
	pages web.Pages
}

// Register adds the admin pages, the account token pages and their JSON
// twins to s.
func Register(s *web.Server) error {
	h := &handler{pages: s.MustParsePages(templates, "templates/*.tmpl")}
	routes := []web.Route{
		{Method: "GET", Path: "/admin", Action: auth.ManageUsers, Summary: "Administration overview", Handler: h.overview},
		{Method: "GET", Path: "/api/v1/admin", Action: auth.ManageUsers, Summary: "Administration overview: accounts, tokens, agencies, data and audit head", Handler: h.apiOverview},

		{Method: "GET", Path: "/admin/users", Action: auth.ManageUsers, Summary: "Staff accounts, and the form to add one", Handler: h.users},
		{Method: "POST", Path: "/admin/users", Action: auth.ManageUsers, Summary: "Add a staff account; shows its one-time password once", Handler: h.createUser},
		{Method: "GET", Path: "/admin/users/{name}", Action: auth.ManageUsers, Summary: "A staff account and the form to change it", Handler: h.user},
		{Method: "POST", Path: "/admin/users/{name}", Action: auth.ManageUsers, Summary: "Change a staff account's full name, agency, roles and clearance", Handler: h.updateUser},
		{Method: "POST", Path: "/admin/users/{name}/disable", Action: auth.ManageUsers, Summary: "Disable a staff account and end its sessions", Handler: h.disableUser},
		{Method: "POST", Path: "/admin/users/{name}/enable", Action: auth.ManageUsers, Summary: "Enable a staff account", Handler: h.enableUser},
		{Method: "POST", Path: "/admin/users/{name}/password", Action: auth.ManageUsers, Summary: "Reset a password: a one-time password shown once, sessions ended", Handler: h.resetPassword},
		{Method: "GET", Path: "/api/v1/admin/users", Action: auth.ManageUsers, Summary: "List staff accounts", Handler: h.apiUsers},
		{Method: "POST", Path: "/api/v1/admin/users", Action: auth.ManageUsers, Summary: "Add a staff account; the answer holds its one-time password", Handler: h.apiCreateUser},
		{Method: "GET", Path: "/api/v1/admin/users/{name}", Action: auth.ManageUsers, Summary: "One staff account", Handler: h.apiUser},
		{Method: "PATCH", Path: "/api/v1/admin/users/{name}", Action: auth.ManageUsers, Summary: "Change a staff account: full name, agency, roles, clearance, disabled", Handler: h.apiUpdateUser},
		{Method: "POST", Path: "/api/v1/admin/users/{name}/password", Action: auth.ManageUsers, Summary: "Reset a password; the answer holds the one-time password", Handler: h.apiResetPassword},

		{Method: "GET", Path: "/admin/tokens", Action: auth.ManageUsers, Summary: "Every API token, and the form to create one for a user", Handler: h.tokens},
		{Method: "POST", Path: "/admin/tokens", Action: auth.ManageUsers, Summary: "Create an API token for a user; shows it once", Handler: h.createToken},
		{Method: "POST", Path: "/admin/tokens/{id}/revoke", Action: auth.ManageUsers, Summary: "Revoke an API token", Handler: h.revokeToken},
		{Method: "GET", Path: "/api/v1/admin/tokens", Action: auth.ManageUsers, Summary: "List every API token (never the secret)", Handler: h.apiTokens},
		{Method: "POST", Path: "/api/v1/admin/tokens", Action: auth.ManageUsers, Summary: "Create an API token for a user; the answer holds it once", Handler: h.apiCreateToken},
		{Method: "POST", Path: "/api/v1/admin/tokens/{id}/revoke", Action: auth.ManageUsers, Summary: "Revoke an API token", Handler: h.apiRevokeToken},

		{Method: "GET", Path: "/account/tokens", Action: auth.ReadReports, Summary: "The caller's own API tokens", Handler: h.ownTokens},
		{Method: "POST", Path: "/account/tokens", Action: auth.ReadReports, Summary: "Create an API token for oneself; shows it once", Handler: h.createOwnToken},
		{Method: "POST", Path: "/account/tokens/{id}/revoke", Action: auth.ReadReports, Summary: "Revoke one of one's own API tokens", Handler: h.revokeOwnToken},
		{Method: "GET", Path: "/api/v1/account/tokens", Action: auth.ReadReports, Summary: "List the caller's own API tokens", Handler: h.apiOwnTokens},
		{Method: "POST", Path: "/api/v1/account/tokens", Action: auth.ReadReports, Summary: "Create an API token for oneself; the answer holds it once", Handler: h.apiCreateOwnToken},
		{Method: "POST", Path: "/api/v1/account/tokens/{id}/revoke", Action: auth.ReadReports, Summary: "Revoke one of one's own API tokens", Handler: h.apiRevokeOwnToken},

		{Method: "GET", Path: "/admin/agencies", Action: auth.ManageAgencies, Summary: "Agencies: this node's and its partners, with their keys", Handler: h.agencies},
		{Method: "POST", Path: "/admin/agencies", Action: auth.ManageAgencies, Summary: "Add a partner agency", Handler: h.addAgency},
		{Method: "GET", Path: "/admin/agencies/{id}", Action: auth.ManageAgencies, Summary: "An agency and the form to change it", Handler: h.agency},
		{Method: "POST", Path: "/admin/agencies/{id}", Action: auth.ManageAgencies, Summary: "Change an agency: name, country, 24/7 contact, channels, public key", Handler: h.updateAgency},
		{Method: "GET", Path: "/api/v1/admin/agencies", Action: auth.ManageAgencies, Summary: "List agencies with their key fingerprints", Handler: h.apiAgencies},
		{Method: "POST", Path: "/api/v1/admin/agencies", Action: auth.ManageAgencies, Summary: "Add a partner agency", Handler: h.apiAddAgency},
		{Method: "PUT", Path: "/api/v1/admin/agencies/{id}", Action: auth.ManageAgencies, Summary: "Change an agency; an empty public key keeps the current one", Handler: h.apiUpdateAgency},

		{Method: "GET", Path: "/admin/data", Action: auth.ManageData, Summary: "The IP database and relay lists in use, and the forms to update them", Handler: h.data},
		{Method: "POST", Path: "/admin/data/ipdb", Action: auth.ManageData, Summary: "Load IP database files (.mmdb or CSV ranges) as concord ipdb load does", Handler: h.loadIPDB, MaxBody: maxDataUpload},
		{Method: "POST", Path: "/admin/data/lists", Action: auth.ManageData, Summary: "Import a relay or hosting list as concord lists import does", Handler: h.importList, MaxBody: maxDataUpload},
		{Method: "GET", Path: "/api/v1/admin/data", Action: auth.ManageData, Summary: "The IP database and relay lists in use", Handler: h.apiData},
		{Method: "POST", Path: "/api/v1/admin/ipdb", Action: auth.ManageData, Summary: "Load one IP database file sent as the body (query: file, name, version)", Handler: h.apiLoadIPDB, MaxBody: maxDataUpload},
		{Method: "POST", Path: "/api/v1/admin/lists/{kind}", Action: auth.ManageData, Summary: "Import a relay or hosting list sent as the body (query: file, from, to, fetched)", Handler: h.apiImportList, MaxBody: maxDataUpload},

		{Method: "GET", Path: "/admin/audit", Action: auth.VerifyAudit, Summary: "The audit log's head and the button to verify its chain", Handler: h.auditPage},
		{Method: "POST", Path: "/admin/audit/verify", Action: auth.VerifyAudit, Summary: "Verify the audit chain end to end, as concord audit verify does", Handler: h.auditVerify},
		{Method: "POST", Path: "/api/v1/admin/audit/verify", Action: auth.VerifyAudit, Summary: "Verify the audit chain: entries checked, head, first broken entry", Handler: h.apiAuditVerify},
	}
	for _, rt := range routes {
		if rt.MaxBody == 0 {
			rt.MaxBody = maxForm
		}
		s.Handle(rt)
	}
	return nil
}

// now is the time of a change, in UTC with the precision the store keeps.
func now(c *web.Ctx) time.Time { return c.S.Cfg.Now().UTC().Truncate(time.Microsecond) }

// see redirects to path after a change (post, redirect, get).
func see(c *web.Ctx, path string) error {
	http.Redirect(c.W, c.R, path, http.StatusSeeOther)
	return nil
}

// problem is a mistake the admin can fix, with the field it concerns, or
// nil when err is something else.
func problem(err error) *node.InvalidError {
	var ie *node.InvalidError
	if errors.As(err, &ie) {
		return ie
	}
	return nil
}

// apiError turns the errors of account changes into the API's answers:
// 400 for an invalid value, 409 for a taken name or the last admin.
func apiError(err error) error {
	switch {
	case problem(err) != nil:
		return web.Errorf(http.StatusBadRequest, "%v", err)
	case errors.Is(err, node.ErrLastAdmin):
		return web.Errorf(http.StatusConflict, "%v", err)
	case errors.Is(err, store.ErrExists):
		return web.Errorf(http.StatusConflict, "%v", err)
	}
	return err
}

// summary is the overview of the node's administration.
type summary struct {
	Users        int         `json:"users"`
	Disabled     int         `json:"disabled"`
	Admins       int         `json:"admins"`
	MustChange   int         `json:"must_change_password"`
	ActiveTokens int         `json:"active_tokens"`
	Agencies     int         `json:"agencies"`
	Self         string      `json:"self_agency"`
	IPDB         string      `json:"ipdb"`
	Lists        int         `json:"list_entries"`
	AuditHead    int64       `json:"audit_head"`
	Sections     []navigable `json:"-"`
}

type navigable struct{ Label, Href, About string }

func (h *handler) summarize(ctx context.Context, c *web.Ctx) (summary, error) {
	var sm summary
	users, err := c.S.Store.Users(ctx)
	if err != nil {
		return sm, err
	}
	for _, u := range users {
		sm.Users++
		if u.Disabled {
			sm.Disabled++
		}
		if u.MustChange {
			sm.MustChange++
		}
		if !u.Disabled && hasRole(u, auth.RoleAdmin) {
			sm.Admins++
		}
	}
	tokens, err := c.S.Store.Tokens(ctx, "")
	if err != nil {
		return sm, err
	}
	t := c.S.Cfg.Now()
	for _, tok := range tokens {
		if node.ViewToken(tok, t).State == "active" {
			sm.ActiveTokens++
		}
	}
	agencies, err := c.S.Store.Agencies(ctx)
	if err != nil {
		return sm, err
	}
	sm.Agencies = len(agencies)
	for _, a := range agencies {
		if a.Self {
			sm.Self = a.ID
		}
	}
	switch rec, err := c.S.Store.ActiveIPDB(ctx); {
	case err == nil:
		sm.IPDB = rec.Name
	case errors.Is(err, store.ErrNotFound):
		sm.IPDB = "the snapshot embedded in concord"
	default:
		return sm, err
	}
	lists, err := node.SummarizeLists(ctx, c.S.Store)
	if err != nil {
		return sm, err
	}
	for _, l := range lists {
		sm.Lists += l.Entries
	}
	head, err := c.S.Store.AuditHead(ctx)
	if err != nil {
		return sm, err
	}
	sm.AuditHead = head.Seq
	for _, n := range []struct {
		navigable
		action auth.Action
	}{
		{navigable{"Users", "/admin/users", "Staff accounts, roles, clearance, passwords"}, auth.ManageUsers},
		{navigable{"API tokens", "/admin/tokens", "Tokens scripts use, by user"}, auth.ManageUsers},
		{navigable{"Agencies", "/admin/agencies", "This node's agency and its partners, with their keys"}, auth.ManageAgencies},
		{navigable{"Data", "/admin/data", "IP database and relay lists"}, auth.ManageData},
		{navigable{"Audit", "/admin/audit", "Verify the hash-chained audit log"}, auth.VerifyAudit},
	} {
		if c.P.Can(n.action) {
			sm.Sections = append(sm.Sections, n.navigable)
		}
	}
	return sm, nil
}

func (h *handler) overview(c *web.Ctx) error {
	sm, err := h.summarize(c.R.Context(), c)
	if err != nil {
		return err
	}
	return c.Render(h.pages, "overview", "Administration", sm)
}

func (h *handler) apiOverview(c *web.Ctx) error {
	sm, err := h.summarize(c.R.Context(), c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sm)
}
