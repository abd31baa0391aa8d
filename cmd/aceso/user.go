package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
)

const userUsage = `Usage: aceso user <action> [flags]

Actions:
  orgs                                          list organisations
  create-org     --name NAME --kind KIND        create an organisation (member, supplier, authority)
  list           --org ORG                      list an organisation's users
  create         --org ORG --email E --role R   create a user; prints a one-time password once
  reset-password --email E                      give a user a new one-time password
  disable        --email E                      disable a user (ends sessions, revokes tokens)
  enable         --email E                      enable a disabled user
  token create   --email E --name N [--role R] [--days D]   issue an API token for the user's organisation; printed once
  token list     --org ORG                      list API tokens
  token revoke   --org ORG --id ID              revoke an API token

Every action also takes --db (and --config); changes are recorded in the audit log as "system".
`

func cmdUser(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, userUsage)
		if len(args) == 0 {
			return usageError{fmt.Errorf("missing action")}
		}
		return nil
	}
	action, rest := args[0], args[1:]
	if action == "token" {
		if len(rest) == 0 {
			return usageError{fmt.Errorf("missing token action: create, list or revoke")}
		}
		action, rest = "token "+rest[0], rest[1:]
	}
	fs := newFlagSet("user "+action, "user "+action+" [flags]", stderr)
	var (
		org, email, name, role, kind string
		id, days                     int64
	)
	fs.StringVar(&org, "org", "", "organisation `name`")
	fs.StringVar(&email, "email", "", "user's e-mail `address`")
	fs.StringVar(&name, "name", "", "`name` of the organisation, user or token")
	fs.StringVar(&role, "role", "viewer", "`role`: admin, analyst, reporter or viewer")
	fs.StringVar(&kind, "kind", "member", "organisation `kind`: member, supplier or authority")
	fs.Int64Var(&id, "id", 0, "token `id`")
	fs.Int64Var(&days, "days", 0, "token lifetime in `days` (0: no expiry)")
	cfg, err := parseConfig(fs, rest, getenv)
	if err != nil {
		return err
	}
	need := func(vals ...string) error {
		for i := 0; i < len(vals); i += 2 {
			if strings.TrimSpace(vals[i+1]) == "" {
				return usageError{fmt.Errorf("user %s needs --%s", action, vals[i])}
			}
		}
		return nil
	}
	db, err := openDB(ctx, cfg, cfg.AutoMigrate, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	sys := access.System
	tx := func(fn func(tx *store.Tx) error) error { return db.InTx(ctx, fn) }
	userByEmail := func() (access.User, error) {
		if err := need("email", email); err != nil {
			return access.User{}, err
		}
		return db.UserByEmail(ctx, email)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	defer tw.Flush()

	switch action {
	case "orgs":
		orgs, err := db.Orgs(ctx, sys)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "ID\tNAME\tKIND\tTOTP REQUIRED")
		for _, o := range orgs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%v\n", o.ID, o.Name, o.Kind, o.RequireTOTP)
		}
	case "create-org":
		if err := need("name", name); err != nil {
			return err
		}
		o := access.Org{Name: name, Kind: access.OrgKind(kind)}
		if err := tx(func(tx *store.Tx) error { return tx.CreateOrg(ctx, sys, &o) }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created organisation %d %q (%s)\n", o.ID, o.Name, o.Kind)
	case "list":
		if err := need("org", org); err != nil {
			return err
		}
		o, err := db.OrgByName(ctx, org)
		if err != nil {
			return err
		}
		users, err := db.Users(ctx, sys, o.ID)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "ID\tE-MAIL\tNAME\tROLE\tSTATUS")
		for _, u := range users {
			status := "active"
			if u.Disabled {
				status = "disabled"
			} else if u.MustChangePassword {
				status = "one-time password"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, u.Role, status)
		}
	case "create":
		if err := need("org", org, "email", email); err != nil {
			return err
		}
		o, err := db.OrgByName(ctx, org)
		if err != nil {
			return err
		}
		pw, hash, err := access.NewOneTimePassword()
		if err != nil {
			return err
		}
		u := access.User{OrgID: o.ID, Email: email, Name: name, Role: access.Role(role), PasswordHash: hash, MustChangePassword: true}
		if err := tx(func(tx *store.Tx) error { return tx.CreateUser(ctx, sys, &u) }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created user %s (%s) in %s\none-time password: %s\n(shown only now; to be changed at first sign-in)\n", u.Email, u.Role, o.Name, pw)
	case "reset-password":
		u, err := userByEmail()
		if err != nil {
			return err
		}
		pw, hash, err := access.NewOneTimePassword()
		if err != nil {
			return err
		}
		if err := tx(func(tx *store.Tx) error { return tx.SetPassword(ctx, sys, u.ID, hash, true) }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new one-time password for %s: %s\n(shown only now; all sessions of the user ended)\n", u.Email, pw)
	case "disable", "enable":
		u, err := userByEmail()
		if err != nil {
			return err
		}
		if err := tx(func(tx *store.Tx) error { return tx.SetUserDisabled(ctx, sys, u.ID, action == "disable") }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%sd %s\n", action, u.Email)
	case "token create":
		u, err := userByEmail()
		if err != nil {
			return err
		}
		if err := need("name", name); err != nil {
			return err
		}
		p, err := db.PrincipalFor(ctx, u)
		if err != nil {
			return err
		}
		t := access.APIToken{Name: name, Role: access.Role(role)}
		if days > 0 {
			exp := time.Now().UTC().AddDate(0, 0, int(days))
			t.ExpiresAt = &exp
		}
		secret, hash, err := access.NewToken("aceso")
		if err != nil {
			return err
		}
		t.Prefix = secret[:12]
		if err := tx(func(tx *store.Tx) error { return tx.CreateToken(ctx, p, &t, hash) }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "API token %d (%s, role %s) for %s:\n%s\n(shown only now; use it as 'Authorization: Bearer TOKEN')\n", t.ID, t.Name, t.Role, u.Email, secret)
	case "token list", "token revoke":
		if err := need("org", org); err != nil {
			return err
		}
		o, err := db.OrgByName(ctx, org)
		if err != nil {
			return err
		}
		// Act as the organisation's own administrator: tokens are scoped to it.
		p := access.Principal{UserName: "system", OrgID: o.ID, OrgKind: o.Kind, Role: access.RoleAdmin}
		if action == "token revoke" {
			if id <= 0 {
				return usageError{fmt.Errorf("token revoke needs --id")}
			}
			if err := tx(func(tx *store.Tx) error { return tx.RevokeToken(ctx, p, id) }); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "revoked token %d of %s\n", id, o.Name)
			return nil
		}
		toks, err := db.Tokens(ctx, p)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tROLE\tCREATED\tLAST USED\tREVOKED")
		for _, t := range toks {
			fmt.Fprintf(tw, "%d\t%s\t%s…\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Prefix, t.Role, t.CreatedAt.Format(time.DateOnly), fmtTime(t.LastUsedAt), fmtTime(t.RevokedAt))
		}
	default:
		fmt.Fprint(stderr, userUsage)
		return usageError{fmt.Errorf("unknown user action %q", action)}
	}
	return nil
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.DateTime)
}
