// Package access holds who may do what in Aceso: organisations, users, roles,
// the principal behind a request and the one authorisation policy that every
// query and handler goes through.
package access

import (
	"time"

	"github.com/aceso-health/aceso"
)

// OrgKind is the kind of an organisation; exactly one `csirt` exists per deployment.
type OrgKind string

// Organisation kinds.
const (
	KindCSIRT     OrgKind = "csirt"
	KindMember    OrgKind = "member"
	KindSupplier  OrgKind = "supplier"
	KindAuthority OrgKind = "authority"
)

// OrgKinds lists the valid organisation kinds.
var OrgKinds = []OrgKind{KindCSIRT, KindMember, KindSupplier, KindAuthority}

// Valid reports whether k is a known kind.
func (k OrgKind) Valid() bool {
	for _, v := range OrgKinds {
		if k == v {
			return true
		}
	}
	return false
}

// Role is what a user may do inside their organisation.
type Role string

// Roles, from most to least powerful.
const (
	RoleAdmin    Role = "admin"
	RoleAnalyst  Role = "analyst"
	RoleReporter Role = "reporter"
	RoleViewer   Role = "viewer"
)

// Roles lists the valid roles, most powerful first.
var Roles = []Role{RoleAdmin, RoleAnalyst, RoleReporter, RoleViewer}

func (r Role) rank() int {
	switch r {
	case RoleAdmin:
		return 4
	case RoleAnalyst:
		return 3
	case RoleReporter:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r is as powerful as min.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() && r.rank() > 0 }

// Org is an organisation: the CSIRT, a member hospital, a supplier or an authority.
//
// ClientOf names the organisation that serves this one, where the
// deployment models it (a clinic run by a hospital group, a member served by
// a regional IT provider): TLP:AMBER addressed to the serving organisation
// reaches its clients too. Members and suppliers are in addition implicitly
// clients of the sector CSIRT (see ImplicitClientOfCSIRT), which is never
// stored here.
type Org struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Kind        OrgKind   `json:"kind"`
	RequireTOTP bool      `json:"require_totp"`
	ClientOf    *int64    `json:"client_of"`
	CreatedAt   time.Time `json:"created_at"`
}

// ImplicitClientOfCSIRT reports whether organisations of kind k are clients
// of the sector CSIRT without saying so: the CSIRT serves its constituency,
// the member hospitals and the suppliers it coordinates with. Authorities
// are not served by it (they may be made clients explicitly).
func (k OrgKind) ImplicitClientOfCSIRT() bool { return k == KindMember || k == KindSupplier }

// Validate checks an organisation before it is stored.
func (o *Org) Validate() error {
	if len(o.Name) < 2 || len(o.Name) > 200 {
		return aceso.Errorf(aceso.EINVALID, "organisation name must be 2 to 200 characters")
	}
	if !o.Kind.Valid() {
		return aceso.Errorf(aceso.EINVALID, "organisation kind %q is not one of csirt, member, supplier, authority", o.Kind)
	}
	return nil
}

// ValidateClientOf checks that o may become a client of parent (nil: o is
// served by no one). hasClients says whether other organisations are
// clients of o already. The rules:
//
//   - an organisation is not its own client, and the CSIRT is nobody's
//     client (it serves the sector; making it a client would hand every
//     AMBER object addressed to some organisation to the CSIRT's clients,
//     i.e. to the whole constituency);
//   - no cycles (A a client of B, B a client of A);
//   - one level only: the serving organisation is not itself a client, and
//     an organisation that serves clients does not become one. TLP:AMBER
//     allows a recipient to share with its clients, not with its clients'
//     clients, so a chain would need the TLP rule to stop after one hop in
//     some places and not others; with one level, "who gets an AMBER object
//     addressed to P" is P and the organisations whose client_of is P, read
//     off one column.
//
// That the parent exists is the store's check.
func ValidateClientOf(o Org, parent *Org, hasClients bool) error {
	if parent == nil {
		return nil
	}
	switch {
	case parent.ID == o.ID:
		return aceso.Errorf(aceso.EINVALID, "client_of: an organisation cannot be its own client")
	case o.Kind == KindCSIRT:
		return aceso.Errorf(aceso.EINVALID, "client_of: the CSIRT serves the sector and cannot be a client")
	case parent.ClientOf != nil && *parent.ClientOf == o.ID:
		return aceso.Errorf(aceso.EINVALID, "client_of: %s is a client of %s already; the reverse would be a cycle", parent.Name, o.Name)
	case parent.ClientOf != nil:
		return aceso.Errorf(aceso.EINVALID, "client_of: %s is itself a client of another organisation; clients are one level deep", parent.Name)
	case hasClients:
		return aceso.Errorf(aceso.EINVALID, "client_of: %s serves clients itself; clients are one level deep", o.Name)
	}
	return nil
}

// User is a person who logs in. Secrets (password hash, TOTP secret) never
// leave the store in JSON.
type User struct {
	ID                 int64      `json:"id"`
	OrgID              int64      `json:"org_id"`
	Email              string     `json:"email"`
	Name               string     `json:"name"`
	Role               Role       `json:"role"`
	PasswordHash       string     `json:"-"`
	MustChangePassword bool       `json:"must_change_password"`
	TOTPSecret         string     `json:"-"`
	TOTPEnabled        bool       `json:"totp_enabled"`
	TOTPLastStep       int64      `json:"-"`
	Disabled           bool       `json:"disabled"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	LastLoginAt        *time.Time `json:"last_login_at,omitempty"`
}

// Validate checks a user before it is stored.
func (u *User) Validate() error {
	if !validEmail(u.Email) {
		return aceso.Errorf(aceso.EINVALID, "email %q is not a valid address", u.Email)
	}
	if len(u.Name) > 200 {
		return aceso.Errorf(aceso.EINVALID, "name must be at most 200 characters")
	}
	if !u.Role.Valid() {
		return aceso.Errorf(aceso.EINVALID, "role %q is not one of admin, analyst, reporter, viewer", u.Role)
	}
	return nil
}

func validEmail(s string) bool {
	if len(s) < 3 || len(s) > 254 {
		return false
	}
	at := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '@' {
			if at >= 0 {
				return false
			}
			at = i
		}
		if c <= ' ' || c == '<' || c == '>' || c == '"' || c == ',' {
			return false
		}
	}
	return at > 0 && at < len(s)-1
}

// APIToken is a long-lived credential for scripts, scoped to one
// organisation and a role no higher than its creator's.
type APIToken struct {
	ID         int64      `json:"id"`
	OrgID      int64      `json:"org_id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	Prefix     string     `json:"prefix"` // first characters, to recognise a token without storing it
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Principal is who is behind a request: the user (or token), their
// organisation and role. Every store query that touches tenant data takes one.
type Principal struct {
	UserID   int64
	UserName string // e-mail, for the audit log
	OrgID    int64
	OrgKind  OrgKind
	Role     Role
	TokenID  int64 // non-zero when authenticated by API token
}

// System is the principal of Aceso itself (migrations, first start, demo loading).
var System = Principal{UserName: "system", Role: RoleAdmin, OrgKind: KindCSIRT}

// IsSystem reports whether p is Aceso itself rather than a user.
func (p Principal) IsSystem() bool { return p.UserID == 0 && p.TokenID == 0 && p.UserName == "system" }

// Action is what a principal wants to do to an organisation's data.
type Action string

// Actions checked by the policy.
const (
	ActRead       Action = "read"        // see the organisation's data
	ActWrite      Action = "write"       // create and edit inventory, incidents (reporter and up)
	ActAnalyse    Action = "analyse"     // triage findings, decide review items (analyst and up)
	ActAdmin      Action = "admin"       // manage users, tokens, settings, audit (admin)
	ActManageOrgs Action = "manage_orgs" // create organisations, administer other organisations (CSIRT admin)
)

var minRole = map[Action]Role{
	ActRead:       RoleViewer,
	ActWrite:      RoleReporter,
	ActAnalyse:    RoleAnalyst,
	ActAdmin:      RoleAdmin,
	ActManageOrgs: RoleAdmin,
}

// Authorize is the one authorisation policy: may p perform act on data of
// organisation orgID? Data of another organisation is reported as not
// found, never as forbidden, so its existence does not leak. The CSIRT's
// administrators may administer every organisation (they onboard members);
// nobody else crosses a tenant boundary here — sharing across organisations
// goes through TLP rules, not through this function.
func Authorize(p Principal, act Action, orgID int64) error {
	if p.IsSystem() {
		return nil
	}
	need, ok := minRole[act]
	if !ok {
		return aceso.Errorf(aceso.EINTERNAL, "unknown action %q", act)
	}
	if p.UserID == 0 && p.TokenID == 0 {
		return aceso.Errorf(aceso.EUNAUTHORIZED, "authentication required")
	}
	crossOrgAdmin := p.OrgKind == KindCSIRT && p.Role == RoleAdmin && (act == ActAdmin || act == ActManageOrgs)
	if orgID != p.OrgID && !crossOrgAdmin {
		return aceso.Errorf(aceso.ENOTFOUND, "not found")
	}
	if act == ActManageOrgs && p.OrgKind != KindCSIRT {
		return aceso.Errorf(aceso.EFORBIDDEN, "only the CSIRT's administrators manage organisations")
	}
	if !p.Role.AtLeast(need) {
		return aceso.Errorf(aceso.EFORBIDDEN, "your role %s may not %s here", p.Role, act)
	}
	return nil
}

// NewOneTimePassword returns a generated password and its hash, for new
// accounts and resets: the user must change it at first login.
func NewOneTimePassword() (plain, hash string, err error) {
	plain = GeneratePassword()
	hash, err = HashPassword(plain, DefaultPasswordParams)
	return plain, hash, err
}
