package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
)

const orgCols = "id, name, kind, require_totp, created_at"

func scanOrg(row interface{ Scan(...any) error }) (access.Org, error) {
	var (
		o  access.Org
		at int64
	)
	err := row.Scan(&o.ID, &o.Name, &o.Kind, &o.RequireTOTP, &at)
	o.CreatedAt = fromTS(at)
	return o, err
}

// CreateOrg stores a new organisation. Only the CSIRT's administrators (or
// the system at first start) create organisations.
func (tx *Tx) CreateOrg(ctx context.Context, p access.Principal, o *access.Org) error {
	if err := access.Authorize(p, access.ActManageOrgs, p.OrgID); err != nil {
		return err
	}
	o.Name = strings.TrimSpace(o.Name)
	if err := o.Validate(); err != nil {
		return err
	}
	o.CreatedAt = tx.now
	err := tx.queryRow(ctx, "INSERT INTO orgs (name, kind, require_totp, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
		o.Name, o.Kind, o.RequireTOTP, ts(o.CreatedAt)).Scan(&o.ID)
	if err != nil {
		if aceso.ErrorCode(tx.db.translate(err)) == aceso.ECONFLICT {
			if o.Kind == access.KindCSIRT {
				return aceso.Errorf(aceso.ECONFLICT, "a CSIRT organisation exists already; a deployment has exactly one")
			}
			return aceso.Errorf(aceso.ECONFLICT, "an organisation named %q exists already", o.Name)
		}
		return err
	}
	return tx.Audit(ctx, p, o.ID, "org.create", "org", o.ID, audit.Change(nil, o))
}

// SetOrgRequireTOTP makes a second factor mandatory (or optional) for an
// organisation's users.
func (tx *Tx) SetOrgRequireTOTP(ctx context.Context, p access.Principal, orgID int64, require bool) error {
	if err := access.Authorize(p, access.ActAdmin, orgID); err != nil {
		return err
	}
	res, err := tx.exec(ctx, "UPDATE orgs SET require_totp = $2 WHERE id = $1", orgID, require)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return aceso.Errorf(aceso.ENOTFOUND, "organisation %d not found", orgID)
	}
	return tx.Audit(ctx, p, orgID, "org.require_totp", "org", orgID, audit.Change(nil, map[string]bool{"require_totp": require}))
}

// Org returns one organisation the principal may see: its own, or any for
// the CSIRT's administrators.
func (d *DB) Org(ctx context.Context, p access.Principal, id int64) (access.Org, error) {
	if err := access.Authorize(p, access.ActRead, id); err != nil {
		if err2 := access.Authorize(p, access.ActManageOrgs, id); err2 != nil {
			return access.Org{}, err
		}
	}
	o, err := scanOrg(d.db.QueryRowContext(ctx, "SELECT "+orgCols+" FROM orgs WHERE id = $1", id))
	if err == sql.ErrNoRows {
		return o, aceso.Errorf(aceso.ENOTFOUND, "organisation %d not found", id)
	}
	return o, d.translate(err)
}

// Orgs lists the organisations the principal may see.
func (d *DB) Orgs(ctx context.Context, p access.Principal) ([]access.Org, error) {
	q, args := "SELECT "+orgCols+" FROM orgs WHERE id = $1 ORDER BY name", []any{p.OrgID}
	if access.Authorize(p, access.ActManageOrgs, p.OrgID) == nil {
		q, args = "SELECT "+orgCols+" FROM orgs ORDER BY kind = 'csirt' DESC, name", nil
	}
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	var out []access.Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, d.translate(err)
		}
		out = append(out, o)
	}
	return out, d.translate(rows.Err())
}

// CSIRT returns the deployment's CSIRT organisation, or ENOTFOUND before
// the first start has created it.
func (d *DB) CSIRT(ctx context.Context) (access.Org, error) {
	o, err := scanOrg(d.db.QueryRowContext(ctx, "SELECT "+orgCols+" FROM orgs WHERE kind = 'csirt'"))
	if err == sql.ErrNoRows {
		return o, aceso.Errorf(aceso.ENOTFOUND, "no CSIRT organisation yet")
	}
	return o, d.translate(err)
}

// OrgByName finds an organisation by name, for the CLI (`--org NAME`).
func (d *DB) OrgByName(ctx context.Context, name string) (access.Org, error) {
	o, err := scanOrg(d.db.QueryRowContext(ctx, "SELECT "+orgCols+" FROM orgs WHERE lower(name) = lower($1)", strings.TrimSpace(name)))
	if err == sql.ErrNoRows {
		return o, aceso.Errorf(aceso.ENOTFOUND, "no organisation named %q", name)
	}
	return o, d.translate(err)
}
