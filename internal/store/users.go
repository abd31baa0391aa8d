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

const userCols = `id, org_id, email, name, role, password_hash, must_change_password, totp_secret, totp_enabled,
	totp_last_step, disabled, created_at, updated_at, last_login_at`

func scanUser(row interface{ Scan(...any) error }) (access.User, error) {
	var (
		u         access.User
		c, up     int64
		lastLogin sql.NullInt64
	)
	err := row.Scan(&u.ID, &u.OrgID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.MustChangePassword, &u.TOTPSecret,
		&u.TOTPEnabled, &u.TOTPLastStep, &u.Disabled, &c, &up, &lastLogin)
	u.CreatedAt, u.UpdatedAt, u.LastLoginAt = fromTS(c), fromTS(up), fromNullTS(lastLogin)
	return u, err
}

// userView is what the audit log keeps of a user: never secrets.
func userView(u *access.User) map[string]any {
	return map[string]any{"email": u.Email, "name": u.Name, "role": u.Role, "org_id": u.OrgID,
		"disabled": u.Disabled, "totp_enabled": u.TOTPEnabled, "must_change_password": u.MustChangePassword}
}

// CreateUser stores a new user with an already hashed password. An
// administrator may not create a user with a role above their own.
func (tx *Tx) CreateUser(ctx context.Context, p access.Principal, u *access.User) error {
	if err := access.Authorize(p, access.ActAdmin, u.OrgID); err != nil {
		return err
	}
	u.Email = strings.TrimSpace(u.Email)
	u.Name = strings.TrimSpace(u.Name)
	if err := u.Validate(); err != nil {
		return err
	}
	if !p.IsSystem() && !p.Role.AtLeast(u.Role) {
		return aceso.Errorf(aceso.EFORBIDDEN, "you may not create a user with a role above your own")
	}
	if u.PasswordHash == "" {
		return aceso.Errorf(aceso.EINTERNAL, "user without password hash")
	}
	u.CreatedAt, u.UpdatedAt = tx.now, tx.now
	err := tx.queryRow(ctx, `INSERT INTO users (org_id, email, name, role, password_hash, must_change_password, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		u.OrgID, u.Email, u.Name, u.Role, u.PasswordHash, u.MustChangePassword, ts(u.CreatedAt), ts(u.UpdatedAt)).Scan(&u.ID)
	if err != nil {
		if aceso.ErrorCode(tx.db.translate(err)) == aceso.ECONFLICT {
			return aceso.Errorf(aceso.ECONFLICT, "a user with e-mail %s exists already", u.Email)
		}
		return err
	}
	return tx.Audit(ctx, p, u.OrgID, "user.create", "user", u.ID, audit.Change(nil, userView(u)))
}

// User returns a user the principal may administer (or the principal itself).
func (d *DB) User(ctx context.Context, p access.Principal, id int64) (access.User, error) {
	u, err := scanUser(d.db.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE id = $1", id))
	if err == sql.ErrNoRows {
		return u, aceso.Errorf(aceso.ENOTFOUND, "user %d not found", id)
	}
	if err != nil {
		return u, d.translate(err)
	}
	if id == p.UserID && p.TokenID == 0 {
		return u, nil
	}
	if err := access.Authorize(p, access.ActAdmin, u.OrgID); err != nil {
		if aceso.ErrorCode(err) == aceso.ENOTFOUND {
			return access.User{}, aceso.Errorf(aceso.ENOTFOUND, "user %d not found", id)
		}
		return access.User{}, err
	}
	return u, nil
}

// Users lists an organisation's users.
func (d *DB) Users(ctx context.Context, p access.Principal, orgID int64) ([]access.User, error) {
	if err := access.Authorize(p, access.ActAdmin, orgID); err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, "SELECT "+userCols+" FROM users WHERE org_id = $1 ORDER BY email", orgID)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	var out []access.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, d.translate(err)
		}
		out = append(out, u)
	}
	return out, d.translate(rows.Err())
}

// UserByEmail finds a user for login. It is not scoped: the caller has no
// principal yet, and it returns ENOTFOUND for unknown addresses.
func (d *DB) UserByEmail(ctx context.Context, email string) (access.User, error) {
	u, err := scanUser(d.db.QueryRowContext(ctx, "SELECT "+userCols+" FROM users WHERE lower(email) = lower($1)", strings.TrimSpace(email)))
	if err == sql.ErrNoRows {
		return u, aceso.Errorf(aceso.ENOTFOUND, "no such user")
	}
	return u, d.translate(err)
}

// PrincipalFor builds the principal of a logged-in user.
func (d *DB) PrincipalFor(ctx context.Context, u access.User) (access.Principal, error) {
	var kind access.OrgKind
	if err := d.db.QueryRowContext(ctx, "SELECT kind FROM orgs WHERE id = $1", u.OrgID).Scan(&kind); err != nil {
		return access.Principal{}, d.translate(err)
	}
	return access.Principal{UserID: u.ID, UserName: u.Email, OrgID: u.OrgID, OrgKind: kind, Role: u.Role}, nil
}

// SetPassword stores a new password hash for a user and ends all their
// sessions. mustChange marks a one-time password set by an administrator.
func (tx *Tx) SetPassword(ctx context.Context, p access.Principal, userID int64, hash string, mustChange bool) error {
	u, err := tx.lockUser(ctx, p, userID)
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "UPDATE users SET password_hash = $2, must_change_password = $3, updated_at = $4 WHERE id = $1",
		userID, hash, mustChange, ts(tx.now)); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "DELETE FROM sessions WHERE user_id = $1", userID); err != nil {
		return err
	}
	action := "user.password_change"
	if mustChange {
		action = "user.password_reset"
	}
	return tx.Audit(ctx, p, u.OrgID, action, "user", userID, audit.Change(nil, map[string]any{"email": u.Email, "must_change_password": mustChange}))
}

// SetTOTP stores (enabled) or clears (disabled) a user's second factor.
func (tx *Tx) SetTOTP(ctx context.Context, p access.Principal, userID int64, secret string, enabled bool, lastStep int64) error {
	u, err := tx.lockUser(ctx, p, userID)
	if err != nil {
		return err
	}
	if !enabled {
		secret, lastStep = "", 0
	}
	if _, err := tx.exec(ctx, "UPDATE users SET totp_secret = $2, totp_enabled = $3, totp_last_step = $4, updated_at = $5 WHERE id = $1",
		userID, secret, enabled, lastStep, ts(tx.now)); err != nil {
		return err
	}
	return tx.Audit(ctx, p, u.OrgID, "user.totp", "user", userID, audit.Change(map[string]bool{"totp_enabled": u.TOTPEnabled}, map[string]bool{"totp_enabled": enabled}))
}

// UseTOTPStep records the last accepted TOTP time step so a code cannot be replayed.
func (tx *Tx) UseTOTPStep(ctx context.Context, userID, step int64) error {
	res, err := tx.exec(ctx, "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2", userID, step)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return aceso.Errorf(aceso.EUNAUTHORIZED, "code already used")
	}
	return nil
}

// SetUserDisabled disables or re-enables an account; disabling ends its sessions.
func (tx *Tx) SetUserDisabled(ctx context.Context, p access.Principal, userID int64, disabled bool) error {
	u, err := tx.lockUser(ctx, p, userID)
	if err != nil {
		return err
	}
	if userID == p.UserID && disabled {
		return aceso.Errorf(aceso.EINVALID, "you cannot disable your own account")
	}
	if _, err := tx.exec(ctx, "UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1", userID, disabled, ts(tx.now)); err != nil {
		return err
	}
	if disabled {
		if _, err := tx.exec(ctx, "DELETE FROM sessions WHERE user_id = $1", userID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL", userID, ts(tx.now)); err != nil {
			return err
		}
	}
	return tx.Audit(ctx, p, u.OrgID, "user.disable", "user", userID, audit.Change(map[string]bool{"disabled": u.Disabled}, map[string]bool{"disabled": disabled}))
}

// RecordLogin notes a successful login (not audited as a change; the access log has it).
func (tx *Tx) RecordLogin(ctx context.Context, userID int64) error {
	_, err := tx.exec(ctx, "UPDATE users SET last_login_at = $2 WHERE id = $1", userID, ts(tx.now))
	return err
}

// lockUser reads a user the principal may change: themselves, or one they administer.
func (tx *Tx) lockUser(ctx context.Context, p access.Principal, userID int64) (access.User, error) {
	u, err := scanUser(tx.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE id = $1", userID))
	if err == sql.ErrNoRows {
		return u, aceso.Errorf(aceso.ENOTFOUND, "user %d not found", userID)
	}
	if err != nil {
		return u, err
	}
	if userID == p.UserID && p.TokenID == 0 {
		return u, nil
	}
	if err := access.Authorize(p, access.ActAdmin, u.OrgID); err != nil {
		if aceso.ErrorCode(err) == aceso.ENOTFOUND {
			return access.User{}, aceso.Errorf(aceso.ENOTFOUND, "user %d not found", userID)
		}
		return access.User{}, err
	}
	if !p.IsSystem() && !p.Role.AtLeast(u.Role) {
		return access.User{}, aceso.Errorf(aceso.EFORBIDDEN, "you may not change a user with a role above your own")
	}
	return u, nil
}

// Session is a server-side login session; the cookie holds only the id,
// the store only its hash.
type Session struct {
	IDHash     string
	UserID     int64
	CSRFToken  string
	MFAPending bool // password accepted, second factor still owed
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
}

// CreateSession stores a new session.
func (tx *Tx) CreateSession(ctx context.Context, s *Session) error {
	s.CreatedAt, s.LastSeenAt = tx.now, tx.now
	_, err := tx.exec(ctx, `INSERT INTO sessions (id_hash, user_id, csrf_token, mfa_pending, created_at, expires_at, last_seen_at, ip, user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		s.IDHash, s.UserID, s.CSRFToken, s.MFAPending, ts(s.CreatedAt), ts(s.ExpiresAt), ts(s.LastSeenAt), s.IP, s.UserAgent)
	return err
}

// DeleteSession ends a session (logout, rotation).
func (tx *Tx) DeleteSession(ctx context.Context, idHash string) error {
	_, err := tx.exec(ctx, "DELETE FROM sessions WHERE id_hash = $1", idHash)
	return err
}

// SessionUser returns an unexpired session with its user. Expired sessions
// are ENOTFOUND.
func (d *DB) SessionUser(ctx context.Context, idHash string, now time.Time) (Session, access.User, error) {
	var (
		s          Session
		c, e, seen int64
	)
	row := d.db.QueryRowContext(ctx, `SELECT s.id_hash, s.user_id, s.csrf_token, s.mfa_pending, s.created_at, s.expires_at, s.last_seen_at, s.ip, s.user_agent,
		`+prefixCols("u.", userCols)+` FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at > $2`, idHash, ts(now))
	var u access.User
	var uc, uup int64
	var lastLogin sql.NullInt64
	err := row.Scan(&s.IDHash, &s.UserID, &s.CSRFToken, &s.MFAPending, &c, &e, &seen, &s.IP, &s.UserAgent,
		&u.ID, &u.OrgID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.MustChangePassword, &u.TOTPSecret,
		&u.TOTPEnabled, &u.TOTPLastStep, &u.Disabled, &uc, &uup, &lastLogin)
	if err == sql.ErrNoRows {
		return s, u, aceso.Errorf(aceso.EUNAUTHORIZED, "session expired or unknown")
	}
	if err != nil {
		return s, u, d.translate(err)
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeenAt = fromTS(c), fromTS(e), fromTS(seen)
	u.CreatedAt, u.UpdatedAt, u.LastLoginAt = fromTS(uc), fromTS(uup), fromNullTS(lastLogin)
	return s, u, nil
}

// TouchSession slides a session's idle expiry forward.
func (d *DB) TouchSession(ctx context.Context, idHash string, now, expires time.Time) error {
	_, err := d.db.ExecContext(ctx, "UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id_hash = $1", idHash, ts(now), ts(expires))
	return d.translate(err)
}

// DeleteExpiredSessions removes sessions past their expiry.
func (d *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := d.db.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at <= $1", ts(now))
	if err != nil {
		return 0, d.translate(err)
	}
	return res.RowsAffected()
}

func prefixCols(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// RehashPassword stores a new hash of the same password, made with current
// parameters after a successful login. It is not a credential change:
// sessions stay, and the audit log says "rehash", not "reset".
func (tx *Tx) RehashPassword(ctx context.Context, userID int64, hash string) error {
	var orgID int64
	if err := tx.queryRow(ctx, "UPDATE users SET password_hash = $2 WHERE id = $1 RETURNING org_id", userID, hash).Scan(&orgID); err != nil {
		return err
	}
	return tx.Audit(ctx, access.System, orgID, "user.password_rehash", "user", userID, audit.Change(nil, map[string]string{"reason": "stronger hashing parameters"}))
}
