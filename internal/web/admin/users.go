package admin

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/concord-cert/concord/internal/auth"
	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
)

func hasRole(u store.User, r auth.Role) bool { return slices.Contains(u.Roles, string(r)) }

// roleAbout says in a line what each role may do.
var roleAbout = map[auth.Role]string{
	auth.RoleAdmin:   "runs the node: accounts, agencies, data, audit — reads no case content by itself",
	auth.RoleAnalyst: "ingests, assesses, works cases and evidence",
	auth.RoleLiaison: "reads cases to answer partners; requests for assistance and packages",
	auth.RoleViewer:  "reads events and reports only",
}

// choice is an option of a select, a checkbox or a radio button.
type choice struct {
	Value, Label string
	Selected     bool
}

// userPage is the users list, a user's page, and their forms.
type userPage struct {
	Users []node.UserView
	// User is the account shown (nil on the list).
	User *node.UserView
	// Form holds the values of the add or change form.
	Form      node.UserView
	Agencies  []choice
	Roles     []choice
	Clearance []choice
	Error     string
	Field     string
}

func (h *handler) userPage(ctx context.Context, c *web.Ctx, form node.UserView) (*userPage, error) {
	p := &userPage{Form: form}
	agencies, err := c.S.Store.Agencies(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range agencies {
		label := a.Name + " (" + a.ID + ")"
		if a.Self {
			label += " — this node"
		}
		p.Agencies = append(p.Agencies, choice{a.ID, label, a.ID == form.Agency || form.Agency == "" && a.Self})
	}
	for _, r := range auth.Roles {
		p.Roles = append(p.Roles, choice{string(r), roleAbout[r], slices.Contains(form.Roles, string(r))})
	}
	cl := form.Clearance
	if cl == "" {
		cl = event.TLPAmber.String()
	}
	for t := event.TLPClear; t <= event.TLPRed; t++ {
		p.Clearance = append(p.Clearance, choice{t.String(), t.String(), t.String() == cl})
	}
	return p, nil
}

// showUsers renders the list with the add form holding form.
func (h *handler) showUsers(c *web.Ctx, status int, form node.UserView, err error) error {
	ctx := c.R.Context()
	p, perr := h.userPage(ctx, c, form)
	if perr != nil {
		return perr
	}
	users, perr := c.S.Store.Users(ctx)
	if perr != nil {
		return perr
	}
	for _, u := range users {
		p.Users = append(p.Users, node.ViewUser(u))
	}
	p.setError(err)
	return c.RenderStatus(status, h.pages, "users", "Users", p)
}

// showUser renders one account's page with its forms.
func (h *handler) showUser(c *web.Ctx, status int, u store.User, form node.UserView, err error) error {
	p, perr := h.userPage(c.R.Context(), c, form)
	if perr != nil {
		return perr
	}
	v := node.ViewUser(u)
	p.User = &v
	p.setError(err)
	return c.RenderStatus(status, h.pages, "users", "User "+u.Name, p)
}

func (p *userPage) setError(err error) {
	if err == nil {
		return
	}
	p.Error = err.Error()
	if ie := problem(err); ie != nil {
		p.Field, p.Error = ie.Field, ie.Message
	}
}

// statusOf is the status of a page that shows err beside the form.
func statusOf(err error) int {
	if errors.Is(err, node.ErrLastAdmin) || errors.Is(err, store.ErrExists) {
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

// formUser reads the add and change forms.
func formUser(c *web.Ctx) (store.User, node.UserView, error) {
	r := c.R
	if err := r.ParseForm(); err != nil {
		return store.User{}, node.UserView{}, web.Errorf(http.StatusBadRequest, "the form could not be read: %v", err)
	}
	v := node.UserView{Name: strings.TrimSpace(r.PostFormValue("name")), FullName: strings.TrimSpace(r.PostFormValue("full_name")),
		Agency: r.PostFormValue("agency"), Roles: r.PostForm["roles"], Clearance: r.PostFormValue("clearance")}
	u, err := userOf(v)
	return u, v, err
}

// userOf returns the account a form or a JSON body describes.
func userOf(v node.UserView) (store.User, error) {
	u := store.User{Name: v.Name, FullName: v.FullName, Agency: v.Agency, Roles: v.Roles, Disabled: v.Disabled}
	t, err := event.ParseTLP(v.Clearance)
	if err != nil {
		return u, &node.InvalidError{Field: "clearance", Message: "choose a TLP label: the most restrictive marking the person may see"}
	}
	u.Clearance = t
	return u, nil
}

func (h *handler) users(c *web.Ctx) error {
	return h.showUsers(c, http.StatusOK, node.UserView{}, nil)
}

func (h *handler) createUser(c *web.Ctx) error {
	u, form, err := formUser(c)
	if err == nil {
		pw := web.OneTimePassword()
		if err = node.CreateUser(c.R.Context(), c.S.Store, c.P.User, u, pw, now(c)); err == nil {
			return h.secret(c, http.StatusCreated, secret{
				Title: "User " + u.Name + " added", Kind: "password", Value: pw, For: u.Name, Back: "/admin/users/" + u.Name})
		}
	}
	switch {
	case errors.Is(err, store.ErrExists):
		return h.showUsers(c, http.StatusConflict, form, &node.InvalidError{Field: "name", Message: "an account with this name exists; choose another name"})
	case problem(err) != nil:
		return h.showUsers(c, http.StatusBadRequest, form, err)
	}
	return err
}

func (h *handler) user(c *web.Ctx) error {
	u, err := c.S.Store.User(c.R.Context(), c.R.PathValue("name"))
	if err != nil {
		return err
	}
	return h.showUser(c, http.StatusOK, u, node.ViewUser(u), nil)
}

func (h *handler) updateUser(c *web.Ctx) error {
	ctx := c.R.Context()
	cur, err := c.S.Store.User(ctx, c.R.PathValue("name"))
	if err != nil {
		return err
	}
	change, form, err := formUser(c)
	change.Name, form.Name, change.Disabled = cur.Name, cur.Name, cur.Disabled
	if err == nil {
		if _, err = node.UpdateUser(ctx, c.S.Store, c.P.User, change, now(c)); err == nil {
			return see(c, "/admin/users/"+cur.Name)
		}
	}
	if problem(err) == nil && !errors.Is(err, node.ErrLastAdmin) {
		return err
	}
	return h.showUser(c, statusOf(err), cur, form, err)
}

func (h *handler) disableUser(c *web.Ctx) error { return h.setDisabled(c, true) }
func (h *handler) enableUser(c *web.Ctx) error  { return h.setDisabled(c, false) }

func (h *handler) setDisabled(c *web.Ctx, disabled bool) error {
	ctx := c.R.Context()
	name := c.R.PathValue("name")
	err := node.SetDisabled(ctx, c.S.Store, c.P.User, name, disabled, now(c))
	if errors.Is(err, node.ErrLastAdmin) {
		u, uerr := c.S.Store.User(ctx, name)
		if uerr != nil {
			return uerr
		}
		return h.showUser(c, http.StatusConflict, u, node.ViewUser(u), err)
	}
	if err != nil {
		return err
	}
	return see(c, "/admin/users/"+name)
}

func (h *handler) resetPassword(c *web.Ctx) error {
	name := c.R.PathValue("name")
	pw := web.OneTimePassword()
	if err := node.ResetPassword(c.R.Context(), c.S.Store, c.P.User, name, pw, now(c)); err != nil {
		return err
	}
	return h.secret(c, http.StatusOK, secret{Title: "New password for " + name, Kind: "password", Value: pw, For: name, Back: "/admin/users/" + name})
}

// secret is a one-time password or an API token, shown once.
type secret struct {
	Title string
	// Kind is password or token.
	Kind  string
	Value string
	// For is the account it belongs to; Back where to go next.
	For, Back string
}

func (h *handler) secret(c *web.Ctx, status int, s secret) error {
	return c.RenderStatus(status, h.pages, "secret", s.Title, s)
}

func (h *handler) apiUsers(c *web.Ctx) error {
	users, err := c.S.Store.Users(c.R.Context())
	if err != nil {
		return err
	}
	out := make([]node.UserView, len(users))
	for i, u := range users {
		out[i] = node.ViewUser(u)
	}
	return c.JSON(http.StatusOK, map[string]any{"users": out})
}

func (h *handler) apiUser(c *web.Ctx) error {
	u, err := c.S.Store.User(c.R.Context(), c.R.PathValue("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, node.ViewUser(u))
}

// newUserJSON is the body of POST /api/v1/admin/users.
type newUserJSON struct {
	Name      string   `json:"name"`
	FullName  string   `json:"full_name"`
	Agency    string   `json:"agency"`
	Roles     []string `json:"roles"`
	Clearance string   `json:"clearance"`
}

func (h *handler) apiCreateUser(c *web.Ctx) error {
	var in newUserJSON
	if err := c.DecodeJSON(&in); err != nil {
		return err
	}
	u, err := userOf(node.UserView{Name: in.Name, FullName: in.FullName, Agency: in.Agency, Roles: in.Roles, Clearance: in.Clearance})
	if err != nil {
		return apiError(err)
	}
	ctx := c.R.Context()
	pw := web.OneTimePassword()
	if err := node.CreateUser(ctx, c.S.Store, c.P.User, u, pw, now(c)); err != nil {
		return apiError(err)
	}
	stored, err := c.S.Store.User(ctx, u.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"user": node.ViewUser(stored), "one_time_password": pw})
}

// userPatch is the body of PATCH /api/v1/admin/users/{name}: the fields
// to change.
type userPatch struct {
	FullName  *string  `json:"full_name"`
	Agency    *string  `json:"agency"`
	Roles     []string `json:"roles"`
	Clearance *string  `json:"clearance"`
	Disabled  *bool    `json:"disabled"`
}

func (h *handler) apiUpdateUser(c *web.Ctx) error {
	ctx := c.R.Context()
	cur, err := c.S.Store.User(ctx, c.R.PathValue("name"))
	if err != nil {
		return err
	}
	var in userPatch
	if err := c.DecodeJSON(&in); err != nil {
		return err
	}
	v := node.ViewUser(cur)
	if in.FullName != nil {
		v.FullName = *in.FullName
	}
	if in.Agency != nil {
		v.Agency = *in.Agency
	}
	if in.Roles != nil {
		v.Roles = in.Roles
	}
	if in.Clearance != nil {
		v.Clearance = *in.Clearance
	}
	if in.Disabled != nil {
		v.Disabled = *in.Disabled
	}
	change, err := userOf(v)
	if err != nil {
		return apiError(err)
	}
	u, err := node.UpdateUser(ctx, c.S.Store, c.P.User, change, now(c))
	if err != nil {
		return apiError(err)
	}
	return c.JSON(http.StatusOK, node.ViewUser(u))
}

func (h *handler) apiResetPassword(c *web.Ctx) error {
	name := c.R.PathValue("name")
	pw := web.OneTimePassword()
	if err := node.ResetPassword(c.R.Context(), c.S.Store, c.P.User, name, pw, now(c)); err != nil {
		return apiError(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"user": name, "one_time_password": pw, "must_change_password": true})
}
