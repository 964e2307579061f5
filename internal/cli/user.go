package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/concord-cert/concord/internal/event"
	"github.com/concord-cert/concord/internal/node"
	"github.com/concord-cert/concord/internal/store"
	"github.com/concord-cert/concord/internal/web"
)

// accountFlags are the flags every user and token command takes.
type accountFlags struct {
	db     *string
	asJSON *bool
}

func (e *env) accountFlags(fs *flag.FlagSet) accountFlags {
	return accountFlags{
		db:     fs.String("db", e.cfg.DB, "database `path` or postgres:// URL"),
		asJSON: fs.Bool("json", false, "print one JSON object"),
	}
}

// withAccounts opens the database for an account command, runs fn with it
// and closes it; fn's result is the command's exit code.
func (e *env) withAccounts(ctx context.Context, f accountFlags, fn func(st store.CaseStore) int) int {
	st, err := node.OpenStore(ctx, *f.db)
	if err != nil {
		return e.fail(exitFailure, "%v", err)
	}
	defer st.Close()
	return fn(st)
}

// accountError turns the errors of account changes into a message naming
// the flag at fault and the exit code.
func (e *env) accountError(err error) int {
	var ie *node.InvalidError
	switch {
	case errors.As(err, &ie):
		flagName := map[string]string{"roles": "role", "full_name": "full-name"}[ie.Field]
		if flagName == "" {
			flagName = ie.Field
		}
		return e.fail(exitUsage, "--%s: %s", flagName, ie.Message)
	case errors.Is(err, node.ErrLastAdmin):
		return e.fail(exitUsage, "%v", err)
	}
	return e.storeError(err)
}

func runUser(ctx context.Context, e *env, args []string) int {
	return e.subcommand(ctx, "user", args, map[string]func(context.Context, []string) int{
		"add":     e.userAdd,
		"list":    e.userList,
		"reset":   e.userReset,
		"disable": func(ctx context.Context, args []string) int { return e.userSetDisabled(ctx, args, true) },
		"enable":  func(ctx context.Context, args []string) int { return e.userSetDisabled(ctx, args, false) },
	})
}

// printPassword shows a one-time password, the only time it is shown.
func (e *env) printPassword(asJSON bool, u store.User, pw string) int {
	return e.result(asJSON, map[string]any{"user": node.ViewUser(u), "one_time_password": pw}, func() {
		fmt.Fprintf(e.stdout, "one-time password for %s: %s\n", u.Name, pw)
		fmt.Fprintln(e.stdout, "Give it to the person over a separate channel; they must choose their own password when they first log in. It is not shown again.")
	})
}

func (e *env) userAdd(ctx context.Context, args []string) int {
	fs := e.newFlags("user add", "--name NAME --role ROLE[,ROLE] [--agency ID] [--clearance TLP] [--full-name NAME]")
	af := e.accountFlags(fs)
	name := fs.String("name", "", "login `name` (letters, digits, '.', '-', '_', '@')")
	fullName := fs.String("full-name", "", "the person's full `name`")
	agency := fs.String("agency", "", "agency `id` the person works for (default: this node's agency)")
	roles := fs.String("role", "", "`roles`, comma-separated: admin, analyst, liaison, viewer")
	clearance := fs.String("clearance", "TLP:AMBER", "the most restrictive `TLP` label the person may see")
	if _, err := parse(fs, args); err != nil || !e.need(fs, "name", "role") {
		return exitUsage
	}
	cl, err := event.ParseTLP(*clearance)
	if err != nil {
		return e.fail(exitUsage, "--clearance: %v", err)
	}
	rs, err := node.ParseRoles(*roles)
	if err != nil {
		return e.accountError(err)
	}
	return e.withAccounts(ctx, af, func(st store.CaseStore) int {
		if *agency == "" {
			self, err := st.SelfAgency(ctx)
			if errors.Is(err, store.ErrNotFound) {
				return e.fail(exitUsage, "--agency: name the person's agency, or register this node's with `concord agency add --self`")
			} else if err != nil {
				return e.fail(exitFailure, "%v", err)
			}
			*agency = self.ID
		}
		u := store.User{Name: *name, FullName: *fullName, Agency: *agency, Roles: rs, Clearance: cl}
		pw := web.OneTimePassword()
		if err := node.CreateUser(ctx, st, actor(), u, pw, now()); err != nil {
			return e.accountError(err)
		}
		stored, err := st.User(ctx, u.Name)
		if err != nil {
			return e.storeError(err)
		}
		if !*af.asJSON {
			fmt.Fprintf(e.stdout, "user %s added: agency %s, roles %s, clearance %s\n", stored.Name, stored.Agency, joinComma(stored.Roles), stored.Clearance)
		}
		return e.printPassword(*af.asJSON, stored, pw)
	})
}

func (e *env) userList(ctx context.Context, args []string) int {
	fs := e.newFlags("user list", "")
	af := e.accountFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	return e.withAccounts(ctx, af, func(st store.CaseStore) int {
		users, err := st.Users(ctx)
		if err != nil {
			return e.storeError(err)
		}
		views := make([]node.UserView, len(users))
		for i, u := range users {
			views[i] = node.ViewUser(u)
		}
		return e.result(*af.asJSON, map[string]any{"users": views}, func() {
			w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "name\tfull name\tagency\troles\tclearance\tstate")
			for _, v := range views {
				state := "active"
				switch {
				case v.Disabled:
					state = "disabled"
				case v.MustChange:
					state = "must change password"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", v.Name, dash(v.FullName), v.Agency, joinComma(v.Roles), v.Clearance, state)
			}
			w.Flush()
		})
	})
}

// oneUser parses the flags of a command that names one account.
func (e *env) oneUser(name string, args []string) (accountFlags, string, bool) {
	fs := e.newFlags(name, "NAME")
	af := e.accountFlags(fs)
	pos, err := parse(fs, args)
	if err != nil || len(pos) != 1 {
		fs.Usage()
		return af, "", false
	}
	return af, pos[0], true
}

func (e *env) userReset(ctx context.Context, args []string) int {
	af, name, ok := e.oneUser("user reset", args)
	if !ok {
		return exitUsage
	}
	return e.withAccounts(ctx, af, func(st store.CaseStore) int {
		pw := web.OneTimePassword()
		if err := node.ResetPassword(ctx, st, actor(), name, pw, now()); err != nil {
			return e.accountError(err)
		}
		u, err := st.User(ctx, name)
		if err != nil {
			return e.storeError(err)
		}
		if !*af.asJSON {
			fmt.Fprintf(e.stdout, "password of %s reset; their sessions are ended\n", name)
		}
		return e.printPassword(*af.asJSON, u, pw)
	})
}

func (e *env) userSetDisabled(ctx context.Context, args []string, disabled bool) int {
	verb := map[bool]string{true: "disable", false: "enable"}[disabled]
	af, name, ok := e.oneUser("user "+verb, args)
	if !ok {
		return exitUsage
	}
	return e.withAccounts(ctx, af, func(st store.CaseStore) int {
		if err := node.SetDisabled(ctx, st, actor(), name, disabled, now()); err != nil {
			return e.accountError(err)
		}
		u, err := st.User(ctx, name)
		if err != nil {
			return e.storeError(err)
		}
		return e.result(*af.asJSON, node.ViewUser(u), func() {
			fmt.Fprintf(e.stdout, "user %s %sd\n", name, verb)
		})
	})
}

func runToken(ctx context.Context, e *env, args []string) int {
	return e.subcommand(ctx, "token", args, map[string]func(context.Context, []string) int{
		"create": e.tokenCreate,
		"list":   e.tokenList,
		"revoke": e.tokenRevoke,
	})
}

func (e *env) tokenCreate(ctx context.Context, args []string) int {
	fs := e.newFlags("token create", "--user NAME --name WHAT [--expires 90d]")
	af := e.accountFlags(fs)
	user := fs.String("user", "", "the account the token acts as")
	name := fs.String("name", "", "what the token is for (e.g. nightly feed import)")
	expires := fs.String("expires", "", "when it expires: days (90d), weeks (4w), hours (12h) or a date; default never")
	if _, err := parse(fs, args); err != nil || !e.need(fs, "user", "name") {
		return exitUsage
	}
	at := now()
	exp, err := node.ParseExpiry(*expires, at)
	if err != nil {
		return e.accountError(err)
	}
	return e.withAccounts(ctx, af, func(st store.CaseStore) int {
		plain, t, err := node.CreateToken(ctx, st, actor(), *user, *name, exp, at)
		if err != nil {
			return e.accountError(err)
		}
		v := node.ViewToken(t, at)
		return e.result(*af.asJSON, map[string]any{"token": plain, "id": v.ID, "user": v.User, "name": v.Name, "expires": v.Expires}, func() {
			fmt.Fprintln(e.stdout, plain)
			until := "until revoked"
			if v.Expires != nil {
				until = "until " + v.Expires.UTC().Format(time.DateOnly)
			}
			fmt.Fprintf(e.stderr, "token %s for %s, valid %s. It is not shown again: store it now; send it as Authorization: Bearer <token>.\n", v.ID, v.User, until)
		})
	})
}

func (e *env) tokenList(ctx context.Context, args []string) int {
	fs := e.newFlags("token list", "[--user NAME]")
	af := e.accountFlags(fs)
	user := fs.String("user", "", "only the tokens of this `account`")
	if _, err := parse(fs, args); err != nil {
		return exitUsage
	}
	return e.withAccounts(ctx, af, func(st store.CaseStore) int {
		ts, err := st.Tokens(ctx, *user)
		if err != nil {
			return e.storeError(err)
		}
		at := time.Now()
		views := make([]node.TokenView, len(ts))
		for i, t := range ts {
			views[i] = node.ViewToken(t, at)
		}
		return e.result(*af.asJSON, map[string]any{"tokens": views}, func() {
			w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "id\tuser\tfor\tcreated\texpires\tstate")
			for _, v := range views {
				exp := "never"
				if v.Expires != nil {
					exp = v.Expires.UTC().Format(time.DateOnly)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, v.User, v.Name, v.Created.UTC().Format(time.DateOnly), exp, v.State)
			}
			w.Flush()
		})
	})
}

func (e *env) tokenRevoke(ctx context.Context, args []string) int {
	fs := e.newFlags("token revoke", "ID")
	af := e.accountFlags(fs)
	pos, err := parse(fs, args)
	if err != nil || len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	// Accept the whole token as well as its id: cnc_<id>_<secret>.
	id := pos[0]
	if rest, ok := strings.CutPrefix(id, "cnc_"); ok {
		id, _, _ = strings.Cut(rest, "_")
	}
	return e.withAccounts(ctx, af, func(st store.CaseStore) int {
		if err := node.RevokeToken(ctx, st, actor(), id, ""); err != nil {
			return e.accountError(err)
		}
		return e.result(*af.asJSON, map[string]string{"id": id, "state": "revoked"}, func() {
			fmt.Fprintf(e.stdout, "token %s revoked\n", id)
		})
	})
}
