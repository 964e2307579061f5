package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	cooperation "github.com/concord-cert/concord/internal/coop"
)

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
	na := cooperation.NewAgency{ID: *id, Name: *name, Country: *country, Self: *self, Key: *key, Contact: *contact, Channels: *channels}
	if err := cooperation.CheckAgency(na); err != nil {
		return e.coopError(*cf.asJSON, err)
	}
	return e.withCoop(ctx, cf, func(c *coop) int {
		if na.Key != "" && !strings.HasPrefix(na.Key, "ed25519:") {
			b, err := os.ReadFile(na.Key)
			if err != nil {
				return e.fail(exitUsage, "--key: %v", err)
			}
			na.Key = strings.TrimSpace(string(b))
		}
		v, err := c.n.AddAgency(ctx, na)
		if err != nil {
			return e.coopError(*cf.asJSON, err)
		}
		return e.result(*cf.asJSON, v, func() {
			fmt.Fprintf(e.stdout, "agency %s (%s, %s) stored", v.ID, v.Name, v.Country)
			if v.Self {
				fmt.Fprint(e.stdout, " as this node's agency")
			}
			fmt.Fprintln(e.stdout)
			if v.Fingerprint != "" {
				fmt.Fprintf(e.stdout, "signing key fingerprint: %s\n", v.Fingerprint)
			}
			if v.KeyCreated {
				fmt.Fprintf(e.stdout, "a new signing key was written to %s (mode 0600); back it up safely\n", c.n.KeyPath(v.ID))
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
		v := cooperation.ViewAgency(a)
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
		views := make([]cooperation.AgencyView, len(as))
		for i, a := range as {
			views[i] = cooperation.ViewAgency(a)
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
