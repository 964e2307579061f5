package admin

import (
	"errors"
	"net/http"
	"strings"

	"github.com/concord-cert/concord/internal/coop"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
)

// agencyForm is an agency as the form and the API send it.
type agencyForm struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Country   string `json:"country"`
	Contact   string `json:"contact"`
	Channels  string `json:"channels"`
	PublicKey string `json:"public_key"`
}

// agencyPage is the list of agencies with the add form, or one agency
// with its change form.
type agencyPage struct {
	Agencies []coop.AgencyView
	// Agency is the agency shown (nil on the list).
	Agency       *coop.AgencyView
	Form         agencyForm
	Error, Field string
}

func (p *agencyPage) setError(err error) {
	if err == nil {
		return
	}
	p.Error = err.Error()
	var pr *coop.Problem
	if errors.As(err, &pr) {
		p.Field, p.Error = pr.Field, pr.Msg
	}
}

// fixable reports whether err is a mistake in what the admin typed.
func fixable(err error) bool {
	var pr *coop.Problem
	return errors.As(err, &pr) || errors.Is(err, store.ErrExists)
}

func cooperation(c *web.Ctx) *coop.Node {
	return &coop.Node{St: c.S.Store, Data: c.S.Cfg.Data, Actor: c.P.User, Now: c.S.Cfg.Now}
}

func readAgencyForm(c *web.Ctx) agencyForm {
	v := func(k string) string { return strings.TrimSpace(c.R.PostFormValue(k)) }
	return agencyForm{ID: v("id"), Name: v("name"), Country: v("country"), Contact: v("contact"), Channels: v("channels"), PublicKey: v("public_key")}
}

// save adds a partner (cur nil) or changes the agency cur, as `concord
// agency add` does. A partner's key left empty keeps the one it has; this
// node's own key is its signing key and cannot be replaced here.
func save(c *web.Ctx, cur *store.Agency, f agencyForm) (coop.AgencyView, error) {
	if f.Name == "" {
		return coop.AgencyView{}, &coop.Problem{Field: "name", Msg: "give the agency's name"}
	}
	na := coop.NewAgency{ID: f.ID, Name: f.Name, Country: f.Country, Key: f.PublicKey, Contact: f.Contact, Channels: f.Channels}
	if cur != nil {
		na.ID, na.Self = cur.ID, cur.Self
		switch {
		case cur.Self && f.PublicKey != "" && f.PublicKey != cur.PublicKey:
			return coop.AgencyView{}, &coop.Problem{Field: "public_key", Msg: "this node's key is its signing key, kept in the data directory; it is not replaced from here"}
		case cur.Self:
			na.Key = ""
		case f.PublicKey == "":
			na.Key = cur.PublicKey
		}
	}
	return cooperation(c).AddAgency(c.R.Context(), na)
}

// taken refuses to add an agency whose id is registered: adding would
// replace it unseen.
func taken(c *web.Ctx, id string) error {
	_, err := c.S.Store.Agency(c.R.Context(), id)
	switch {
	case err == nil:
		return &coop.Problem{Field: "id", Msg: "an agency with this id exists; change it from its own page"}
	case errors.Is(err, store.ErrNotFound):
		return nil
	}
	return err
}

func (h *handler) showAgencies(c *web.Ctx, status int, form agencyForm, err error) error {
	as, aerr := c.S.Store.Agencies(c.R.Context())
	if aerr != nil {
		return aerr
	}
	p := agencyPage{Form: form}
	for _, a := range as {
		p.Agencies = append(p.Agencies, coop.ViewAgency(a))
	}
	p.setError(err)
	return c.RenderStatus(status, h.pages, "agencies", "Agencies", p)
}

func (h *handler) agencies(c *web.Ctx) error {
	return h.showAgencies(c, http.StatusOK, agencyForm{}, nil)
}

func (h *handler) addAgency(c *web.Ctx) error {
	f := readAgencyForm(c)
	if err := taken(c, f.ID); err != nil {
		if fixable(err) {
			return h.showAgencies(c, http.StatusConflict, f, err)
		}
		return err
	}
	v, err := save(c, nil, f)
	if fixable(err) {
		return h.showAgencies(c, http.StatusBadRequest, f, err)
	}
	if err != nil {
		return err
	}
	return see(c, "/admin/agencies/"+v.ID)
}

func (h *handler) showAgency(c *web.Ctx, status int, a store.Agency, form agencyForm, err error) error {
	v := coop.ViewAgency(a)
	p := agencyPage{Agency: &v, Form: form}
	p.setError(err)
	return c.RenderStatus(status, h.pages, "agencies", "Agency "+a.ID, p)
}

func (h *handler) agency(c *web.Ctx) error {
	a, err := c.S.Store.Agency(c.R.Context(), c.R.PathValue("id"))
	if err != nil {
		return err
	}
	return h.showAgency(c, http.StatusOK, a, agencyForm{ID: a.ID, Name: a.Name, Country: a.Country, Contact: a.Contact, Channels: a.Channels}, nil)
}

func (h *handler) updateAgency(c *web.Ctx) error {
	a, err := c.S.Store.Agency(c.R.Context(), c.R.PathValue("id"))
	if err != nil {
		return err
	}
	f := readAgencyForm(c)
	f.ID = a.ID
	_, err = save(c, &a, f)
	if fixable(err) {
		return h.showAgency(c, http.StatusBadRequest, a, f, err)
	}
	if err != nil {
		return err
	}
	return see(c, "/admin/agencies/"+a.ID)
}

func (h *handler) apiAgencies(c *web.Ctx) error {
	as, err := c.S.Store.Agencies(c.R.Context())
	if err != nil {
		return err
	}
	out := make([]coop.AgencyView, len(as))
	for i, a := range as {
		out[i] = coop.ViewAgency(a)
	}
	return c.JSON(http.StatusOK, map[string]any{"agencies": out})
}

// agencyAPIError makes a fixable mistake a 400.
func agencyAPIError(err error) error {
	if fixable(err) {
		return web.Errorf(http.StatusBadRequest, "%v", err)
	}
	return err
}

func (h *handler) apiAddAgency(c *web.Ctx) error {
	var f agencyForm
	if err := c.DecodeJSON(&f); err != nil {
		return err
	}
	if err := taken(c, f.ID); err != nil {
		if fixable(err) {
			return web.Errorf(http.StatusConflict, "%v", err)
		}
		return err
	}
	v, err := save(c, nil, f)
	if err != nil {
		return agencyAPIError(err)
	}
	return c.JSON(http.StatusCreated, v)
}

func (h *handler) apiUpdateAgency(c *web.Ctx) error {
	a, err := c.S.Store.Agency(c.R.Context(), c.R.PathValue("id"))
	if err != nil {
		return err
	}
	var f agencyForm
	if err := c.DecodeJSON(&f); err != nil {
		return err
	}
	if f.ID != "" && f.ID != a.ID {
		return web.Errorf(http.StatusBadRequest, "id: an agency's id cannot change")
	}
	v, err := save(c, &a, f)
	if err != nil {
		return agencyAPIError(err)
	}
	return c.JSON(http.StatusOK, v)
}
