package coop

import (
	"context"
	"crypto/ed25519"
	"strings"

	"github.com/concord-cert/concord/internal/federation"
	"github.com/concord-cert/concord/internal/store"
)

// NewAgency is an agency to register: this node's own (Self) or a
// partner.
type NewAgency struct {
	ID, Name string
	// Country is an ISO 3166-1 alpha-2 code, in any case.
	Country string
	// Self registers this node's own agency, whose signing key is created
	// on first use.
	Self bool
	// Key is a partner's public key, "ed25519:...".
	Key string
	// Contact is the 24/7 contact; Channels the channels it takes
	// requests by, comma-separated.
	Contact, Channels string
}

// CheckAgency reports the first problem with a, nil when there is none.
func CheckAgency(a NewAgency) error {
	cc := strings.ToUpper(a.Country)
	if len(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' {
		return problemWith("country", "%q is not an ISO 3166-1 alpha-2 code", a.Country)
	}
	if !ValidID(a.ID) {
		return problemWith("id", "%q: use letters, digits, '-' and '_' (it names the agency in packages and key files)", a.ID)
	}
	if a.Self && a.Key != "" {
		return problemWith("self", "creates this agency's own key; --key is for partners' public keys")
	}
	return nil
}

// AddAgency stores an agency, or updates the one with the same id. For
// this node's own agency it creates the signing key on first use (written
// under the data directory, mode 0600) and reports whether it did.
func (n *Node) AddAgency(ctx context.Context, na NewAgency) (AgencyView, error) {
	if err := CheckAgency(na); err != nil {
		return AgencyView{}, err
	}
	a := store.Agency{ID: na.ID, Name: na.Name, Country: strings.ToUpper(na.Country), Self: na.Self, Contact: na.Contact, Channels: na.Channels, Created: n.now()}
	created := false
	switch {
	case na.Self:
		priv, made, err := federation.LoadOrCreateKey(n.KeyPath(a.ID))
		if err != nil {
			return AgencyView{}, err
		}
		a.PublicKey, created = federation.EncodePublicKey(priv.Public().(ed25519.PublicKey)), made
	case na.Key != "":
		pub, err := federation.ParsePublicKey(na.Key)
		if err != nil {
			return AgencyView{}, problem("key", "%v", err)
		}
		a.PublicKey = federation.EncodePublicKey(pub)
	}
	if err := n.Change(ctx, func(tx store.CaseTx) error { return tx.PutAgency(a) }); err != nil {
		return AgencyView{}, err
	}
	stored, err := n.St.Agency(ctx, a.ID)
	if err != nil {
		return AgencyView{}, err
	}
	v := ViewAgency(stored)
	v.KeyCreated = created
	return v, nil
}

// ValidID reports whether id can name an agency: letters, digits, '-'
// and '_', at most 64.
func ValidID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
