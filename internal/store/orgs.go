package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
)

const orgCols = "id, name, kind, require_totp, created_at, client_of"

func scanOrg(row interface{ Scan(...any) error }) (access.Org, error) {
	var (
		o      access.Org
		at     int64
		parent sql.NullInt64
	)
	err := row.Scan(&o.ID, &o.Name, &o.Kind, &o.RequireTOTP, &at, &parent)
	o.CreatedAt = fromTS(at)
	if parent.Valid {
		o.ClientOf = &parent.Int64
	}
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
	if o.ClientOf != nil {
		parent, err := tx.clientParent(ctx, *o.ClientOf)
		if err != nil {
			return err
		}
		// A new organisation has no id yet and no clients: only the
		// parent's side of the rules can fail.
		if err := access.ValidateClientOf(*o, &parent, false); err != nil {
			return err
		}
	}
	o.CreatedAt = tx.now
	parent := sql.NullInt64{}
	if o.ClientOf != nil {
		parent = sql.NullInt64{Int64: *o.ClientOf, Valid: true}
	}
	err := tx.queryRow(ctx, "INSERT INTO orgs (name, kind, require_totp, created_at, client_of) VALUES ($1, $2, $3, $4, $5) RETURNING id",
		o.Name, o.Kind, o.RequireTOTP, ts(o.CreatedAt), parent).Scan(&o.ID)
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

// clientParent loads the organisation named as a serving organisation, for
// validation; an unknown one is EINVALID (the caller named it in a field).
func (tx *Tx) clientParent(ctx context.Context, id int64) (access.Org, error) {
	o, err := scanOrg(tx.queryRow(ctx, "SELECT "+orgCols+" FROM orgs WHERE id = $1", id))
	if err == sql.ErrNoRows {
		return o, aceso.Errorf(aceso.EINVALID, "client_of: organisation %d does not exist", id)
	}
	return o, err
}

// SetOrgClientOf records which organisation serves orgID as its client
// (parent nil: none), for the TLP:AMBER rule (see access.ValidateClientOf).
// Only the CSIRT's administrators set it; the change is audited with its
// before and after values.
func (tx *Tx) SetOrgClientOf(ctx context.Context, p access.Principal, orgID int64, parent *int64) (access.Org, error) {
	if err := access.Authorize(p, access.ActManageOrgs, orgID); err != nil {
		return access.Org{}, err
	}
	// Lock the rows the rules read, lowest id first, before reading them:
	// two concurrent changes (A becomes a client of B while B becomes a
	// client of C) then meet on B, and the second one sees the first and
	// refuses the two-level chain. The no-op UPDATE locks on PostgreSQL;
	// SQLite runs one writer at a time anyway.
	lock := []int64{orgID}
	if parent != nil && *parent != orgID {
		lock = append(lock, *parent)
		slices.Sort(lock)
	}
	for _, id := range lock {
		if _, err := tx.exec(ctx, "UPDATE orgs SET client_of = client_of WHERE id = $1", id); err != nil {
			return access.Org{}, err
		}
	}
	o, err := scanOrg(tx.queryRow(ctx, "SELECT "+orgCols+" FROM orgs WHERE id = $1", orgID))
	if err == sql.ErrNoRows {
		return o, aceso.Errorf(aceso.ENOTFOUND, "organisation %d not found", orgID)
	}
	if err != nil {
		return o, err
	}
	var parentOrg *access.Org
	if parent != nil {
		po, err := tx.clientParent(ctx, *parent)
		if err != nil {
			return o, err
		}
		parentOrg = &po
	}
	var clients int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM orgs WHERE client_of = $1", orgID).Scan(&clients); err != nil {
		return o, err
	}
	if err := access.ValidateClientOf(o, parentOrg, clients > 0); err != nil {
		return o, err
	}
	if ptrEq(o.ClientOf, parent) {
		return o, nil
	}
	before := o.ClientOf
	val := sql.NullInt64{}
	if parent != nil {
		val = sql.NullInt64{Int64: *parent, Valid: true}
	}
	if _, err := tx.exec(ctx, "UPDATE orgs SET client_of = $2 WHERE id = $1", orgID, val); err != nil {
		return o, err
	}
	// Organisation channels carry what is addressed to the serving
	// organisation: the exporters' caches must see the change.
	if err := tx.bumpSharing(ctx); err != nil {
		return o, err
	}
	o.ClientOf = parent
	type view struct {
		ClientOf *int64 `json:"client_of"`
	}
	return o, tx.Audit(ctx, p, orgID, "org.client_of", "org", orgID, audit.Change(view{before}, view{parent}))
}

func ptrEq(a, b *int64) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

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
