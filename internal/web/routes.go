package web

import (
	"net/http"

	"github.com/aceso-health/aceso/internal/access"
)

// registerRoutes is the one list of endpoints. Every route names its
// authentication and the least action it needs; the route-matrix test walks
// this list, so a new route is covered the moment it is added.
func (s *Server) registerRoutes() {
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	read, admin, orgs := access.ActRead, access.ActAdmin, access.ActManageOrgs

	// Operations.
	s.handle(Route{Method: get, Path: "/healthz", Auth: Public, Summary: "Liveness"}, s.healthz)
	s.handle(Route{Method: get, Path: "/readyz", Auth: Public, Summary: "Readiness (database reachable)"}, s.readyz)
	s.handle(Route{Method: get, Path: "/metrics", Auth: Public, Summary: "Prometheus metrics"}, s.metricsPage)

	// Login and account (UI).
	s.handle(Route{Method: get, Path: "/login", Auth: Public}, s.loginPage)
	s.handle(Route{Method: post, Path: "/login", Auth: Public}, s.loginSubmit)
	s.handle(Route{Method: get, Path: "/login/totp", Auth: User, Act: read, Setup: true}, s.totpPage)
	s.handle(Route{Method: post, Path: "/login/totp", Auth: User, Act: read, Setup: true}, s.totpSubmit)
	s.handle(Route{Method: post, Path: "/logout", Auth: User, Act: read, Setup: true}, s.logout)
	s.handle(Route{Method: get, Path: "/account", Auth: User, Act: read, Setup: true}, s.accountPage)
	s.handle(Route{Method: post, Path: "/account/password", Auth: User, Act: read, Setup: true}, s.accountPassword)
	s.handle(Route{Method: post, Path: "/account/totp", Auth: User, Act: read, Setup: true}, s.accountTOTPEnable)
	s.handle(Route{Method: post, Path: "/account/totp/disable", Auth: User, Act: read, Setup: true}, s.accountTOTPDisable)

	// UI pages.
	s.handle(Route{Method: get, Path: "/{$}", Auth: User, Act: read}, s.homePage)
	s.handle(Route{Method: get, Path: "/admin/orgs", Auth: User, Act: admin}, s.orgsPage)
	s.handle(Route{Method: post, Path: "/admin/orgs", Auth: User, Act: orgs}, s.orgCreate)
	s.handle(Route{Method: get, Path: "/admin/orgs/{org}", Auth: User, Act: admin}, s.orgPage)
	s.handle(Route{Method: post, Path: "/admin/orgs/{org}/users", Auth: User, Act: admin}, s.userCreate)
	s.handle(Route{Method: post, Path: "/admin/orgs/{org}/totp", Auth: User, Act: admin}, s.orgTOTP)
	s.handle(Route{Method: post, Path: "/admin/orgs/{org}/client-of", Auth: User, Act: orgs}, s.orgClientOf)
	s.handle(Route{Method: post, Path: "/admin/users/{user}/reset-password", Auth: User, Act: admin}, s.userResetPassword)
	s.handle(Route{Method: post, Path: "/admin/users/{user}/disable", Auth: User, Act: admin}, s.userDisable)
	s.handle(Route{Method: post, Path: "/admin/users/{user}/enable", Auth: User, Act: admin}, s.userEnable)
	s.handle(Route{Method: get, Path: "/admin/tokens", Auth: User, Act: admin}, s.tokensPage)
	s.handle(Route{Method: post, Path: "/admin/tokens", Auth: User, Act: admin}, s.tokenCreate)
	s.handle(Route{Method: post, Path: "/admin/tokens/{token}/revoke", Auth: User, Act: admin}, s.tokenRevoke)
	s.handle(Route{Method: get, Path: "/admin/audit", Auth: User, Act: admin}, s.auditPage)

	// JSON API.
	api := func(rt Route, h handlerFunc) { rt.API = true; s.handle(rt, h) }
	api(Route{Method: get, Path: "/api/v1/openapi.json", Auth: Public, Summary: "This OpenAPI 3 document"}, s.openAPI)
	api(Route{Method: get, Path: "/api/v1/me", Auth: User, Act: read, Summary: "The caller: user, organisation, role", Resp: "Me"}, s.apiMe)
	api(Route{Method: get, Path: "/api/v1/orgs", Auth: User, Act: read, Summary: "Organisations the caller may see", Resp: "OrgList"}, s.apiOrgs)
	api(Route{Method: post, Path: "/api/v1/orgs", Auth: User, Act: orgs, Summary: "Create an organisation (CSIRT admins)", Body: "OrgCreate", Resp: "Org"}, s.apiOrgCreate)
	api(Route{Method: get, Path: "/api/v1/orgs/{org}", Auth: User, Act: read, Summary: "One organisation", Resp: "Org"}, s.apiOrg)
	api(Route{Method: http.MethodPut, Path: "/api/v1/orgs/{org}/client-of", Auth: User, Act: orgs, Summary: "Set the organisation that serves this one as its client (CSIRT admins; null clears): TLP:AMBER addressed to it reaches its clients", Body: "OrgClientOf", Resp: "Org"}, s.apiOrgClientOf)
	api(Route{Method: get, Path: "/api/v1/orgs/{org}/users", Auth: User, Act: admin, Summary: "Users of an organisation", Resp: "UserList"}, s.apiUsers)
	api(Route{Method: post, Path: "/api/v1/orgs/{org}/users", Auth: User, Act: admin, Summary: "Create a user; the one-time password is returned once", Body: "UserCreate", Resp: "UserWithPassword"}, s.apiUserCreate)
	api(Route{Method: get, Path: "/api/v1/users/{user}", Auth: User, Act: read, Summary: "One user", Resp: "User"}, s.apiUser)
	api(Route{Method: post, Path: "/api/v1/users/{user}/reset-password", Auth: User, Act: admin, Summary: "Reset a password to a one-time password, returned once", Resp: "UserWithPassword"}, s.apiUserReset)
	api(Route{Method: post, Path: "/api/v1/users/{user}/disable", Auth: User, Act: admin, Summary: "Disable a user (ends sessions, revokes tokens)", Resp: "User"}, s.apiUserDisable)
	api(Route{Method: get, Path: "/api/v1/tokens", Auth: User, Act: admin, Summary: "API tokens of the caller's organisation", Resp: "TokenList"}, s.apiTokens)
	api(Route{Method: post, Path: "/api/v1/tokens", Auth: User, Act: admin, Summary: "Create an API token; the secret is returned once", Body: "TokenCreate", Resp: "TokenWithSecret"}, s.apiTokenCreate)
	api(Route{Method: del, Path: "/api/v1/tokens/{token}", Auth: User, Act: admin, Summary: "Revoke an API token"}, s.apiTokenRevoke)
	api(Route{Method: get, Path: "/api/v1/audit", Auth: User, Act: admin, Summary: "Audit log of an organisation (?org=ID, ?before=ID, ?limit=N)", Resp: "AuditList"}, s.apiAudit)
	api(Route{Method: get, Path: "/api/v1/audit/verify", Auth: User, Act: orgs, Summary: "Verify the whole hash chain of the audit log", Resp: "AuditVerify"}, s.apiAuditVerify)

	// Feature areas register their own routes below, one line each.
	s.registerInventoryRoutes()
	s.registerFindingRoutes()
	s.registerIncidentRoutes()
	s.registerFeedRoutes()
	s.registerAlertRoutes()
	s.registerAlertAttachmentRoutes()
	s.registerCSIRTAttachmentRoutes()
	s.registerSharingRoutes()
	s.registerSharingAPIRoutes()
	s.registerSharingPageRoutes()
	s.registerCSAFProviderRoutes()
	s.registerAdvisoryAuthorRoutes()
}
