// Package app assembles a Concord node's web server: the core of package
// web and every area's routes. `concord serve`, the end-to-end browser
// tests and the authorization matrix test all build the server here, so
// they exercise the same routes.
package app

import (
	"github.com/concord-cert/concord/internal/web"
	"github.com/concord-cert/concord/internal/web/admin"
	"github.com/concord-cert/concord/internal/web/cases"
	"github.com/concord-cert/concord/internal/web/events"
	"github.com/concord-cert/concord/internal/web/public"
	"github.com/concord-cert/concord/internal/web/taxii"
)

// Areas are the route registrations of every area, in menu order.
var Areas = []func(*web.Server) error{
	events.Register,
	cases.Register,
	public.Register,
	admin.Register,
	taxii.Register,
}

// New returns the node's server over st with every area registered.
func New(st web.Store, cfg web.Config) (*web.Server, error) {
	s, err := web.New(st, cfg)
	if err != nil {
		return nil, err
	}
	for _, register := range Areas {
		if err := register(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}
