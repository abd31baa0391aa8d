package web

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/aceso-health/aceso/internal/access"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// idParams are the path parameters that hold numeric row ids; every other
// parameter ({stage}, {uuid}, {collection} …) is a string.
var idParams = map[string]bool{"org": true, "user": true, "token": true, "device": true, "incident": true, "task": true,
	"advisory": true, "finding": true, "feed": true, "alert": true, "sbom": true}

// obj and arr shorten the schema literals below.
func obj(required []string, props map[string]any) map[string]any {
	m := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		m["required"] = required
	}
	return m
}
func arr(items any) map[string]any { return map[string]any{"type": "array", "items": items} }
func ref(name string) map[string]any {
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

var (
	str     = map[string]any{"type": "string"}
	integer = map[string]any{"type": "integer", "format": "int64"}
	boolean = map[string]any{"type": "boolean"}
	when    = map[string]any{"type": "string", "format": "date-time"}
	role    = map[string]any{"type": "string", "enum": []string{"admin", "analyst", "reporter", "viewer"}}
	orgKind = map[string]any{"type": "string", "enum": []string{"csirt", "member", "supplier", "authority"}}
)

// schemas are the named request and response bodies of the API.
var schemas = map[string]any{
	"Error":     obj([]string{"error"}, map[string]any{"error": obj([]string{"code", "message"}, map[string]any{"code": str, "message": str})}),
	"Org":       obj(nil, map[string]any{"id": integer, "name": str, "kind": orgKind, "require_totp": boolean, "client_of": integer, "created_at": when}),
	"OrgList":   obj(nil, map[string]any{"orgs": arr(ref("Org"))}),
	"OrgCreate": obj([]string{"name", "kind"}, map[string]any{"name": str, "kind": orgKind, "require_totp": boolean, "client_of": integer}),
	"User": obj(nil, map[string]any{"id": integer, "org_id": integer, "email": str, "name": str, "role": role,
		"must_change_password": boolean, "totp_enabled": boolean, "disabled": boolean, "created_at": when, "updated_at": when, "last_login_at": when}),
	"UserList":         obj(nil, map[string]any{"users": arr(ref("User"))}),
	"UserCreate":       obj([]string{"email", "role"}, map[string]any{"email": str, "name": str, "role": role}),
	"UserWithPassword": obj(nil, map[string]any{"user": ref("User"), "one_time_password": str}),
	"Me":               obj(nil, map[string]any{"org": ref("Org"), "user": ref("User"), "role": role, "token_id": integer}),
	"Token": obj(nil, map[string]any{"id": integer, "org_id": integer, "user_id": integer, "name": str, "role": role, "prefix": str,
		"created_at": when, "expires_at": when, "revoked_at": when, "last_used_at": when}),
	"TokenList":       obj(nil, map[string]any{"tokens": arr(ref("Token"))}),
	"TokenCreate":     obj([]string{"name", "role"}, map[string]any{"name": str, "role": role, "expires_at": when}),
	"TokenWithSecret": obj(nil, map[string]any{"token": ref("Token"), "secret": str}),
	"AuditEntry": obj(nil, map[string]any{"id": integer, "at": when, "org_id": integer, "actor_id": integer, "actor": str, "action": str,
		"object_type": str, "object_id": str, "summary": str, "prev_hash": str, "hash": str}),
	"AuditList":   obj(nil, map[string]any{"entries": arr(ref("AuditEntry"))}),
	"AuditVerify": obj(nil, map[string]any{"entries": integer, "intact": boolean, "break": obj(nil, map[string]any{"id": integer, "reason": str})}),
}

// OpenAPI builds the OpenAPI 3 document from the registered API routes, so
// the document cannot drift from what the server serves.
func (s *Server) OpenAPI() map[string]any {
	paths := map[string]any{}
	for _, rt := range s.routes {
		if !rt.API {
			continue
		}
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		op := map[string]any{"summary": rt.Summary, "operationId": operationID(rt)}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
			schema := str
			if idParams[m[1]] {
				schema = integer
			}
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": schema})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Body != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(rt.Body)}}}
		}
		status := "200"
		if rt.Method == http.MethodPost && rt.Body != "" {
			status = "201"
		}
		if rt.Method == http.MethodDelete {
			status = "204"
		}
		ok := map[string]any{"description": "success"}
		if rt.Resp != "" {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": ref(rt.Resp)}}
		}
		op["responses"] = map[string]any{
			status:    ok,
			"default": map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}},
		}
		if rt.Auth == Public {
			op["security"] = []any{}
		} else {
			op["x-aceso-min-action"] = string(rt.Act)
		}
		item[strings.ToLower(rt.Method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Aceso API", "version": s.opt.Version,
			"description": "Security platform for hospitals and their health-sector CSIRT. Authenticate with 'Authorization: Bearer TOKEN' (API tokens) or a session cookie plus the X-CSRF-Token header for writes. Errors have the shape {\"error\":{\"code\",\"message\"}}."},
		"servers":  []any{map[string]any{"url": "/"}},
		"paths":    paths,
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}},
		"components": map[string]any{"schemas": schemas, "securitySchemes": map[string]any{
			"bearer":  map[string]any{"type": "http", "scheme": "bearer"},
			"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie},
		}},
	}
}

func operationID(rt Route) string {
	p := strings.TrimPrefix(rt.Path, "/api/v1/")
	p = pathParam.ReplaceAllString(p, "by_$1")
	p = strings.NewReplacer("/", "_", "-", "_", ".", "_").Replace(p)
	return strings.ToLower(rt.Method) + "_" + p
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	writeJSON(w, http.StatusOK, s.OpenAPI())
	return nil
}
