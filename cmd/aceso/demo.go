package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
)

// demoSector is Aceso's own demo data (fictitious organisations and people,
// clearly marked as demo): three hospitals of different sizes and the
// CSIRT's analysts, enough to click through every page at once.
var demoSector = []struct {
	org   string
	kind  access.OrgKind
	users []demoUser
}{
	{"", access.KindCSIRT, []demoUser{{"analyst@csirt.demo", "Noor Haddad (demo)", access.RoleAnalyst}}},
	{"St. Anna Hospital (demo)", access.KindMember, []demoUser{
		{"ciso@st-anna.demo", "Marta Kovács (demo)", access.RoleAdmin},
		{"biomed@st-anna.demo", "Jonas Weber (demo)", access.RoleReporter},
	}},
	{"Klinikum Nord (demo)", access.KindMember, []demoUser{
		{"it-security@klinikum-nord.demo", "Lena Schulz (demo)", access.RoleAdmin},
		{"soc@klinikum-nord.demo", "Ahmed Yilmaz (demo)", access.RoleAnalyst},
	}},
	{"Hôpital Saint-Luc (demo)", access.KindMember, []demoUser{
		{"rssi@saint-luc.demo", "Claire Dubois (demo)", access.RoleAdmin},
		{"direction@saint-luc.demo", "Paul Martin (demo)", access.RoleViewer},
	}},
}

type demoUser struct {
	email, name string
	role        access.Role
}

// loadDemo adds the demo sector once; on later starts it finds the
// organisations present and does nothing. New users' one-time passwords are
// printed once, like the administrator's.
func loadDemo(ctx context.Context, db *store.DB, stdout io.Writer) error {
	csirt, err := db.CSIRT(ctx)
	if err != nil {
		return err
	}
	type created struct{ org, email, role, pw string }
	var out []created
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for _, o := range demoSector {
			org := csirt
			if o.kind != access.KindCSIRT {
				if _, err := db.OrgByName(ctx, o.org); err == nil {
					continue
				} else if aceso.ErrorCode(err) != aceso.ENOTFOUND {
					return err
				}
				org = access.Org{Name: o.org, Kind: o.kind}
				if err := tx.CreateOrg(ctx, access.System, &org); err != nil {
					return err
				}
			}
			for _, du := range o.users {
				if _, err := db.UserByEmail(ctx, du.email); err == nil {
					continue
				}
				pw, hash, err := access.NewOneTimePassword()
				if err != nil {
					return err
				}
				u := access.User{OrgID: org.ID, Email: du.email, Name: du.name, Role: du.role, PasswordHash: hash, MustChangePassword: true}
				if err := tx.CreateUser(ctx, access.System, &u); err != nil {
					return err
				}
				out = append(out, created{org.Name, du.email, string(du.role), pw})
			}
		}
		return nil
	})
	if err == nil {
		err = loadDemoInventory(ctx, db, stdout)
	}
	if err == nil {
		err = loadDemoIncidents(ctx, db, stdout)
	}
	if err == nil {
		err = loadDemoAdvisories(ctx, db, stdout) // after the demo inventory: it matches against it
	}
	if err == nil {
		err = loadDemoAlerts(ctx, db, stdout) // after the advisories: it alerts their affected members
	}
	if err != nil || len(out) == 0 {
		return err
	}
	fmt.Fprintln(stdout, "Demo sector loaded (fictitious data). Demo accounts, one-time passwords shown only now:")
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ORGANISATION\tE-MAIL\tROLE\tONE-TIME PASSWORD")
	for _, c := range out {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.org, c.email, c.role, c.pw)
	}
	tw.Flush()
	fmt.Fprintln(stdout)
	return nil
}
