package admin

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
)

func viewTokens(ts []store.APIToken, at time.Time) []node.TokenView {
	out := make([]node.TokenView, len(ts))
	for i, t := range ts {
		out[i] = node.ViewToken(t, at)
	}
	return out
}

// tokenPage is the token list with the form to make one: every token for
// an administrator (Own false), the caller's own at /account/tokens.
type tokenPage struct {
	Own    bool
	Tokens []node.TokenView
	// Users are the accounts an administrator may make a token for.
	Users []choice
	// Form holds the values typed.
	Form struct{ User, Name, Expires string }
	// Base is the path the forms post to.
	Base         string
	Error, Field string
}

// showTokens renders the tokens of owner ("" for every account).
func (h *handler) showTokens(c *web.Ctx, status int, owner string, p tokenPage, err error) error {
	ctx := c.R.Context()
	ts, terr := c.S.Store.Tokens(ctx, owner)
	if terr != nil {
		return terr
	}
	p.Own, p.Tokens, p.Base = owner != "", viewTokens(ts, c.S.Cfg.Now()), "/admin/tokens"
	title := "API tokens"
	if p.Own {
		p.Base, title = "/account/tokens", "Your API tokens"
	} else {
		users, uerr := c.S.Store.Users(ctx)
		if uerr != nil {
			return uerr
		}
		for _, u := range users {
			if !u.Disabled {
				p.Users = append(p.Users, choice{u.Name, u.Name + " (" + u.Agency + ")", u.Name == p.Form.User})
			}
		}
	}
	if err != nil {
		p.Error = err.Error()
		if ie := problem(err); ie != nil {
			p.Field, p.Error = ie.Field, ie.Message
		}
	}
	return c.RenderStatus(status, h.pages, "tokens", title, p)
}

// makeToken creates a token for user from the name and expiry typed.
func makeToken(ctx context.Context, c *web.Ctx, user, name, expires string) (string, store.APIToken, error) {
	at := now(c)
	exp, err := node.ParseExpiry(expires, at)
	if err != nil {
		return "", store.APIToken{}, err
	}
	return node.CreateToken(ctx, c.S.Store, c.P.User, user, name, exp, at)
}

// createFor makes a token for user from the form; owner is "" on the
// administrator's page.
func (h *handler) createFor(c *web.Ctx, user, owner string) error {
	var p tokenPage
	p.Form.User, p.Form.Name, p.Form.Expires = user, strings.TrimSpace(c.R.PostFormValue("name")), c.R.PostFormValue("expires")
	plain, t, err := makeToken(c.R.Context(), c, user, p.Form.Name, p.Form.Expires)
	if problem(err) != nil {
		return h.showTokens(c, http.StatusBadRequest, owner, p, err)
	}
	if err != nil {
		return err
	}
	back := "/admin/tokens"
	if owner != "" {
		back = "/account/tokens"
	}
	return h.secret(c, http.StatusCreated, secret{Title: "API token " + t.Name, Kind: "token", Value: plain, For: user, Back: back})
}

func (h *handler) tokens(c *web.Ctx) error {
	return h.showTokens(c, http.StatusOK, "", tokenPage{}, nil)
}

func (h *handler) createToken(c *web.Ctx) error {
	return h.createFor(c, c.R.PostFormValue("user"), "")
}

func (h *handler) revokeToken(c *web.Ctx) error {
	if err := node.RevokeToken(c.R.Context(), c.S.Store, c.P.User, c.R.PathValue("id"), ""); err != nil {
		return err
	}
	return see(c, "/admin/tokens")
}

func (h *handler) ownTokens(c *web.Ctx) error {
	return h.showTokens(c, http.StatusOK, c.P.User, tokenPage{}, nil)
}

// createOwnToken makes a token for the caller, whatever the form says.
func (h *handler) createOwnToken(c *web.Ctx) error {
	return h.createFor(c, c.P.User, c.P.User)
}

func (h *handler) revokeOwnToken(c *web.Ctx) error {
	if err := node.RevokeToken(c.R.Context(), c.S.Store, c.P.User, c.R.PathValue("id"), c.P.User); err != nil {
		return err
	}
	return see(c, "/account/tokens")
}

// newTokenJSON is the body that asks for a token; User is ignored on
// /api/v1/account/tokens.
type newTokenJSON struct {
	User string `json:"user"`
	Name string `json:"name"`
	// Expires is "90d", "12h", "4w", a date, or empty for never.
	Expires string `json:"expires"`
}

// createdToken is the answer holding the token, the only time it is
// shown.
type createdToken struct {
	node.TokenView
	Token string `json:"token"`
}

func (h *handler) apiCreate(c *web.Ctx, own bool) error {
	var in newTokenJSON
	if err := c.DecodeJSON(&in); err != nil {
		return err
	}
	if own {
		in.User = c.P.User
	}
	plain, t, err := makeToken(c.R.Context(), c, in.User, in.Name, in.Expires)
	if err != nil {
		return apiError(err)
	}
	return c.JSON(http.StatusCreated, createdToken{node.ViewToken(t, c.S.Cfg.Now()), plain})
}

func (h *handler) apiList(c *web.Ctx, owner string) error {
	ts, err := c.S.Store.Tokens(c.R.Context(), owner)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": viewTokens(ts, c.S.Cfg.Now())})
}

func (h *handler) apiRevoke(c *web.Ctx, owner string) error {
	id := c.R.PathValue("id")
	if err := node.RevokeToken(c.R.Context(), c.S.Store, c.P.User, id, owner); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"id": id, "state": "revoked"})
}

func (h *handler) apiTokens(c *web.Ctx) error         { return h.apiList(c, "") }
func (h *handler) apiCreateToken(c *web.Ctx) error    { return h.apiCreate(c, false) }
func (h *handler) apiRevokeToken(c *web.Ctx) error    { return h.apiRevoke(c, "") }
func (h *handler) apiOwnTokens(c *web.Ctx) error      { return h.apiList(c, c.P.User) }
func (h *handler) apiCreateOwnToken(c *web.Ctx) error { return h.apiCreate(c, true) }
func (h *handler) apiRevokeOwnToken(c *web.Ctx) error { return h.apiRevoke(c, c.P.User) }
