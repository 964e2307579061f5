package cli

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/concord-cert/concord/internal/federation"
	"github.com/concord-cert/concord/internal/store"
)

// agencyView is an agency in `--json` output.
type agencyView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Country     string `json:"country"`
	Self        bool   `json:"self"`
	Contact     string `json:"contact,omitempty"`
	Channels    string `json:"channels,omitempty"`
	PublicKey   string `json:"public_key,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	KeyCreated  bool   `json:"key_created,omitempty"`
}

func viewAgency(a store.Agency) agencyView {
	v := agencyView{ID: a.ID, Name: a.Name, Country: a.Country, Self: a.Self, Contact: a.Contact, Channels: a.Channels, PublicKey: a.PublicKey}
	if pub, err := federation.ParsePublicKey(a.PublicKey); err == nil {
		v.Fingerprint = federation.Fingerprint(pub)
	}
	return v
}

func runAgency(ctx context.Context, e *env, args []string) int {
	return e.subcommand(ctx, "agency", args, map[string]func(context.Context, []string) int{
		"add":  e.agencyAdd,
		"key":  e.agencyKey,
		"list": e.agencyList,
	})
}

func (e *env) agencyAdd(ctx context.Context, args []string) int {
	fs := e.newFlags("agency add", "--id ID --name NAME --country CC [--self] [--key FILE|ed25519:...] [--contact C] [--channels C]")
	cf := e.coopFlags(fs)
	id := fs.String("id", "", "agency `id`, short and stable (e.g. de-bka)")
	name := fs.String("name", "", "agency `name`")
	country := fs.String("country", "", "ISO 3166-1 alpha-2 `country` code")
	self := fs.Bool("self", false, "this node's own agency: creates its signing key on first use")
	key := fs.String("key", "", "a partner's public key: a `file` holding \"ed25519:...\", or the text itself")
	contact := fs.String("contact", "", "24/7 `contact` (phone, e-mail)")
	channels := fs.String("channels", "", "`channels` it takes requests by, comma-separated (e-mail, SIENA, I-24/7)")
	if _, err := parse(fs, args); err != nil || !e.need(fs, "id", "name", "country") {
		return exitUsage
	}
	cc := strings.ToUpper(*country)
	if len(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' {
		return e.fail(exitUsage, "--country %q is not an ISO 3166-1 alpha-2 code", *country)
	}
	if !validID(*id) {
		return e.fail(exitUsage, "--id %q: use letters, digits, '-' and '_' (it names the agency in packages and key files)", *id)
	}
	if *self && *key != "" {
		return e.fail(exitUsage, "--self creates this agency's own key; --key is for partners' public keys")
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		a := store.Agency{ID: *id, Name: *name, Country: cc, Self: *self, Contact: *contact, Channels: *channels, Created: now()}
		created := false
		switch {
		case *self:
			priv, made, err := federation.LoadOrCreateKey(c.keyPath(a.ID))
			if err != nil {
				return e.fail(exitFailure, "%v", err)
			}
			a.PublicKey, created = federation.EncodePublicKey(priv.Public().(ed25519.PublicKey)), made
		case *key != "":
			text := *key
			if !strings.HasPrefix(text, "ed25519:") {
				b, err := os.ReadFile(*key)
				if err != nil {
					return e.fail(exitUsage, "--key: %v", err)
				}
				text = strings.TrimSpace(string(b))
			}
			pub, err := federation.ParsePublicKey(text)
			if err != nil {
				return e.fail(exitUsage, "--key: %v", err)
			}
			a.PublicKey = federation.EncodePublicKey(pub)
		}
		if err := c.change(ctx, func(tx store.CaseTx) error { return tx.PutAgency(a) }); err != nil {
			return e.storeError(err)
		}
		stored, err := c.st.Agency(ctx, a.ID)
		if err != nil {
			return e.storeError(err)
		}
		v := viewAgency(stored)
		v.KeyCreated = created
		return e.result(*cf.asJSON, v, func() {
			fmt.Fprintf(e.stdout, "agency %s (%s, %s) stored", v.ID, v.Name, v.Country)
			if v.Self {
				fmt.Fprint(e.stdout, " as this node's agency")
			}
			fmt.Fprintln(e.stdout)
			if v.Fingerprint != "" {
				fmt.Fprintf(e.stdout, "signing key fingerprint: %s\n", v.Fingerprint)
			}
			if created {
				fmt.Fprintf(e.stdout, "a new signing key was written to %s (mode 0600); back it up safely\n", c.keyPath(a.ID))
			}
		})
	})
}

func (e *env) agencyKey(ctx context.Context, args []string) int {
	fs := e.newFlags("agency key", "--id ID")
	cf := e.coopFlags(fs)
	id := fs.String("id", "", "agency `id`")
	if _, err := parse(fs, args); err != nil || !e.need(fs, "id") {
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		a, err := c.st.Agency(ctx, *id)
		if err != nil {
			return e.storeError(err)
		}
		if a.PublicKey == "" {
			return e.fail(exitUsage, "agency %s has no key: add this node's agency with --self, or a partner's with --key", a.ID)
		}
		v := viewAgency(a)
		return e.result(*cf.asJSON, map[string]string{"id": v.ID, "public_key": v.PublicKey, "fingerprint": v.Fingerprint}, func() {
			fmt.Fprintln(e.stdout, v.PublicKey)
			fmt.Fprintf(e.stderr, "fingerprint %s — read it to the partner over a second channel before they trust the key\n", v.Fingerprint)
		})
	})
}

func (e *env) agencyList(ctx context.Context, args []string) int {
	fs := e.newFlags("agency list", "")
	cf := e.coopFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		as, err := c.st.Agencies(ctx)
		if err != nil {
			return e.storeError(err)
		}
		views := make([]agencyView, len(as))
		for i, a := range as {
			views[i] = viewAgency(a)
		}
		return e.result(*cf.asJSON, map[string]any{"agencies": views}, func() {
			w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "id\tname\tcountry\tself\tcontact\tkey fingerprint")
			for _, v := range views {
				self := ""
				if v.Self {
					self = "yes"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.Name, v.Country, self, dash(v.Contact), dash(v.Fingerprint))
			}
			w.Flush()
		})
	})
}

func validID(id string) bool {
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
