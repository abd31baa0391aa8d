package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
)

const tokenCols = "id, org_id, user_id, name, role, prefix, created_at, expires_at, revoked_at, last_used_at"

func scanToken(row interface{ Scan(...any) error }) (access.APIToken, error) {
	var (
		t                  access.APIToken
		c                  int64
		exp, rev, lastUsed sql.NullInt64
	)
	err := row.Scan(&t.ID, &t.OrgID, &t.UserID, &t.Name, &t.Role, &t.Prefix, &c, &exp, &rev, &lastUsed)
	t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt = fromTS(c), fromNullTS(exp), fromNullTS(rev), fromNullTS(lastUsed)
	return t, err
}

// CreateToken stores a new API token (its hash only) for the principal's
// organisation, with a role no higher than the creator's.
func (tx *Tx) CreateToken(ctx context.Context, p access.Principal, t *access.APIToken, hash string) error {
	if err := access.Authorize(p, access.ActAdmin, p.OrgID); err != nil {
		return err
	}
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || len(t.Name) > 100 {
		return aceso.Errorf(aceso.EINVALID, "token name must be 1 to 100 characters")
	}
	if !t.Role.Valid() {
		return aceso.Errorf(aceso.EINVALID, "role %q is not one of admin, analyst, reporter, viewer", t.Role)
	}
	if !p.Role.AtLeast(t.Role) {
		return aceso.Errorf(aceso.EFORBIDDEN, "a token cannot have a role above yours")
	}
	t.OrgID, t.UserID, t.CreatedAt = p.OrgID, p.UserID, tx.now
	err := tx.queryRow(ctx, `INSERT INTO api_tokens (org_id, user_id, name, role, prefix, token_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		t.OrgID, t.UserID, t.Name, t.Role, t.Prefix, hash, ts(t.CreatedAt), tsPtr(t.ExpiresAt)).Scan(&t.ID)
	if err != nil {
		return err
	}
	return tx.Audit(ctx, p, t.OrgID, "token.create", "api_token", t.ID, audit.Change(nil, map[string]any{"name": t.Name, "role": t.Role, "prefix": t.Prefix}))
}

// RevokeToken revokes one of the organisation's tokens.
func (tx *Tx) RevokeToken(ctx context.Context, p access.Principal, id int64) error {
	t, err := scanToken(tx.queryRow(ctx, "SELECT "+tokenCols+" FROM api_tokens WHERE org_id = $1 AND id = $2", p.OrgID, id))
	if err == sql.ErrNoRows {
		return aceso.Errorf(aceso.ENOTFOUND, "token %d not found", id)
	}
	if err != nil {
		return err
	}
	if err := access.Authorize(p, access.ActAdmin, t.OrgID); err != nil {
		return err
	}
	if t.RevokedAt != nil {
		return nil
	}
	if _, err := tx.exec(ctx, "UPDATE api_tokens SET revoked_at = $3 WHERE org_id = $1 AND id = $2", p.OrgID, id, ts(tx.now)); err != nil {
		return err
	}
	return tx.Audit(ctx, p, t.OrgID, "token.revoke", "api_token", id, audit.Change(nil, map[string]any{"name": t.Name, "prefix": t.Prefix}))
}

// Tokens lists the organisation's API tokens (never their secrets).
func (d *DB) Tokens(ctx context.Context, p access.Principal) ([]access.APIToken, error) {
	if err := access.Authorize(p, access.ActAdmin, p.OrgID); err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, "SELECT "+tokenCols+" FROM api_tokens WHERE org_id = $1 ORDER BY id DESC", p.OrgID)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	var out []access.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, d.translate(err)
		}
		out = append(out, t)
	}
	return out, d.translate(rows.Err())
}

// TokenPrincipal authenticates an API token by its hash: it must exist, be
// unrevoked, unexpired, and its creator still enabled. It records the use.
func (d *DB) TokenPrincipal(ctx context.Context, hash string, now time.Time) (access.Principal, error) {
	var (
		p        access.Principal
		exp      sql.NullInt64
		disabled bool
		lastUsed sql.NullInt64
	)
	err := d.db.QueryRowContext(ctx, `SELECT t.id, t.org_id, t.role, t.expires_at, t.last_used_at, u.id, u.email, u.disabled, o.kind
		FROM api_tokens t JOIN users u ON u.id = t.user_id JOIN orgs o ON o.id = t.org_id
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL`, hash).
		Scan(&p.TokenID, &p.OrgID, &p.Role, &exp, &lastUsed, &p.UserID, &p.UserName, &disabled, &p.OrgKind)
	if err == sql.ErrNoRows || (err == nil && (disabled || (exp.Valid && exp.Int64 <= ts(now)))) {
		return access.Principal{}, aceso.Errorf(aceso.EUNAUTHORIZED, "invalid, expired or revoked API token")
	}
	if err != nil {
		return access.Principal{}, d.translate(err)
	}
	p.UserName += " (token " + orgKey(p.TokenID) + ")"
	// Record the use at most once a minute: a busy script should not turn
	// every read into a write.
	if !lastUsed.Valid || ts(now)-lastUsed.Int64 > int64(time.Minute/time.Microsecond) {
		if _, err := d.db.ExecContext(ctx, "UPDATE api_tokens SET last_used_at = $2 WHERE id = $1", p.TokenID, ts(now)); err != nil {
			return access.Principal{}, d.translate(err)
		}
	}
	return p, nil
}
