package web_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
	"github.com/aceso-health/aceso/internal/web"
)

// login posts the login form and returns the response and the session cookie.
func (w *world) login(email, password string, extra ...string) (resp, *http.Cookie) {
	w.t.Helper()
	form := url.Values{"email": {email}, "password": {password}, "next": {"/admin/audit"}}
	hr, _ := http.NewRequest(http.MethodPost, w.ts.URL+"/login", strings.NewReader(form.Encode()))
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(extra); i += 2 {
		hr.Header.Set(extra[i], extra[i+1])
	}
	res, err := noRedirect.Do(hr)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var c *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "aceso_session" {
			c = ck
		}
	}
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}, c
}

func TestLoginSessionAndThrottle(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	r, c := w.login("admin@anna.example", "correct horse battery staple")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/audit" || c == nil {
		t.Fatalf("login: %d %q cookie=%v", r.status, r.header.Get("Location"), c)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie flags: HttpOnly=%v SameSite=%v", c.HttpOnly, c.SameSite)
	}
	// The new session works; a second login rotates to a different id.
	a := actor{cookie: c}
	if r := w.do(req{method: "GET", path: "/admin/audit", as: &a}); r.status != http.StatusOK || !strings.Contains(r.body, "St. Anna Hospital") {
		t.Fatalf("audit page with new session: %d", r.status)
	}
	_, c2 := w.login("admin@anna.example", "correct horse battery staple")
	if c2 == nil || c2.Value == c.Value {
		t.Fatal("session id not rotated at login")
	}
	// Open redirects are refused.
	form := url.Values{"email": {"admin@anna.example"}, "password": {"correct horse battery staple"}, "next": {"//evil.example/"}}
	res, err := noRedirect.PostForm(w.ts.URL+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); loc != "/" {
		t.Errorf("next=//evil.example: redirected to %q", loc)
	}

	// Wrong passwords: same answer for unknown accounts, then throttled.
	r1, _ := w.login("admin@anna.example", "wrong password 1")
	r2, _ := w.login("nobody@anna.example", "wrong password 1")
	if r1.status != http.StatusUnauthorized || r2.status != http.StatusUnauthorized ||
		!strings.Contains(r1.body, "wrong e-mail address or password") || !strings.Contains(r2.body, "wrong e-mail address or password") {
		t.Fatalf("failed logins: %d %d", r1.status, r2.status)
	}
	for i := 0; i < 9; i++ {
		w.login("admin@anna.example", "wrong password 2")
	}
	r3, _ := w.login("admin@anna.example", "correct horse battery staple")
	if r3.status != http.StatusTooManyRequests || !strings.Contains(r3.body, "too many failed logins") {
		t.Fatalf("throttled account accepted a login: %d", r3.status)
	}
	// Another account from the same address is not locked by that account's failures.
	if r, _ := w.login("viewer@anna.example", "correct horse battery staple"); r.status != http.StatusSeeOther {
		t.Fatalf("other account: %d", r.status)
	}
}

func TestIPThrottle(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	srv, err := web.New(web.Options{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		IPThrottle: access.NewThrottle(3, time.Minute, nil)})
	if err != nil {
		t.Fatal(err)
	}
	w.ts = httptest.NewServer(srv)
	defer w.ts.Close()
	for _, e := range []string{"a@x.example", "b@x.example", "c@x.example"} {
		w.login(e, "whatever password")
	}
	if r, _ := w.login("admin@anna.example", "correct horse battery staple"); r.status != http.StatusTooManyRequests {
		t.Fatalf("address spraying many accounts not throttled: %d", r.status)
	}
}

func TestCSRF(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	path := "/admin/orgs/" + itoa(w.a.ID) + "/users"
	post := func(token, site string) int {
		form := url.Values{"email": {"new@anna.example"}, "role": {"viewer"}}
		if token != "" {
			form.Set("csrf_token", token)
		}
		hr, _ := http.NewRequest(http.MethodPost, w.ts.URL+path, strings.NewReader(form.Encode()))
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		hr.AddCookie(w.aAdmin.cookie)
		if site != "" {
			hr.Header.Set("Sec-Fetch-Site", site)
		}
		res, err := noRedirect.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := post("", ""); got != http.StatusForbidden {
		t.Errorf("no CSRF token: %d", got)
	}
	if got := post("forged", ""); got != http.StatusForbidden {
		t.Errorf("wrong CSRF token: %d", got)
	}
	if got := post(w.aAdmin.csrf, "cross-site"); got != http.StatusForbidden {
		t.Errorf("cross-site request with the right token: %d", got)
	}
	if _, err := db.UserByEmail(ctx, "new@anna.example"); err == nil {
		t.Fatal("a refused request created the user")
	}
	if got := post(w.aAdmin.csrf, "same-origin"); got != http.StatusOK {
		t.Errorf("valid request: %d", got)
	}
	if _, err := db.UserByEmail(ctx, "new@anna.example"); err != nil {
		t.Fatal("valid request did not create the user")
	}
	// The API with a session needs the header too; with a token it does not.
	r := w.do(req{method: "POST", path: "/api/v1/tokens", as: &w.aAdmin, noCSRF: true, body: `{"name":"x","role":"viewer"}`})
	if r.status != http.StatusForbidden {
		t.Errorf("API via session without CSRF header: %d", r.status)
	}
	r = w.do(req{method: "POST", path: "/api/v1/tokens", token: w.aToken, body: `{"name":"x","role":"viewer"}`})
	if r.status != http.StatusCreated {
		t.Errorf("API via token: %d %s", r.status, r.body)
	}
}

func TestTOTPLogin(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	secret, _ := access.NewTOTPSecret()
	u := w.aViewer.user
	self := access.Principal{UserID: u.ID, UserName: u.Email, OrgID: u.OrgID, Role: u.Role}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SetTOTP(ctx, self, u.ID, secret, true, 0) }); err != nil {
		t.Fatal(err)
	}
	r, c := w.login(u.Email, "correct horse battery staple")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login/totp") {
		t.Fatalf("password step: %d %q", r.status, r.header.Get("Location"))
	}
	pending := actor{cookie: c}
	// Half logged in is not logged in.
	if r := w.do(req{method: "GET", path: "/", as: &pending}); r.status != http.StatusSeeOther || r.header.Get("Location") != "/login/totp" {
		t.Fatalf("home with pending second factor: %d %q", r.status, r.header.Get("Location"))
	}
	if r := w.do(req{method: "GET", path: "/api/v1/me", as: &pending}); r.status != http.StatusForbidden {
		t.Fatalf("API with pending second factor: %d", r.status)
	}
	// Find the CSRF token of the pending session from the form.
	page := w.do(req{method: "GET", path: "/login/totp", as: &pending})
	pending.csrf = between(page.body, `name="csrf_token" value="`, `"`)
	submit := func(a actor, code string) (int, *http.Cookie) {
		form := url.Values{"code": {code}, "csrf_token": {a.csrf}}
		hr, _ := http.NewRequest(http.MethodPost, w.ts.URL+"/login/totp", strings.NewReader(form.Encode()))
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		hr.AddCookie(a.cookie)
		res, err := noRedirect.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		for _, ck := range res.Cookies() {
			if ck.Name == "aceso_session" {
				return res.StatusCode, ck
			}
		}
		return res.StatusCode, nil
	}
	if st, _ := submit(pending, "000000"); st != http.StatusUnauthorized {
		t.Fatalf("wrong code: %d", st)
	}
	code, _ := access.TOTPCode(secret, time.Now())
	st, full := submit(pending, code)
	if st != http.StatusSeeOther || full == nil {
		t.Fatalf("right code: %d", st)
	}
	if r := w.do(req{method: "GET", path: "/", as: &actor{cookie: full}}); r.status != http.StatusOK {
		t.Fatalf("home after second factor: %d", r.status)
	}
	// The same code cannot open a second session.
	r, c = w.login(u.Email, "correct horse battery staple")
	again := actor{cookie: c}
	again.csrf = between(w.do(req{method: "GET", path: "/login/totp", as: &again}).body, `name="csrf_token" value="`, `"`)
	if st, _ := submit(again, code); st != http.StatusUnauthorized {
		t.Fatalf("replayed code: %d", st)
	}
}

func TestMustChangePasswordGate(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	hash, _ := access.HashPassword("one-time password 123", cheap)
	u := access.User{OrgID: w.a.ID, Email: "fresh@anna.example", Role: access.RoleAnalyst, PasswordHash: hash, MustChangePassword: true}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateUser(ctx, access.System, &u) }); err != nil {
		t.Fatal(err)
	}
	a := w.session(u)
	if r := w.do(req{method: "GET", path: "/", as: &a}); r.status != http.StatusSeeOther || r.header.Get("Location") != "/account" {
		t.Fatalf("UI before password change: %d %q", r.status, r.header.Get("Location"))
	}
	r := w.do(req{method: "GET", path: "/api/v1/me", as: &a})
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "one-time password") {
		t.Fatalf("API before password change: %d %s", r.status, r.body)
	}
	// Change it through the form; the weak choice is refused first.
	change := func(newPw string) resp {
		return w.do(req{method: "POST", path: "/account/password", as: &a,
			body: url.Values{"csrf_token": {a.csrf}, "current": {"one-time password 123"}, "new": {newPw}, "confirm": {newPw}}.Encode()})
	}
	if r := change("password1234"); r.status != http.StatusBadRequest {
		t.Fatalf("weak password accepted: %d", r.status)
	}
	r = change("a long and unusual passphrase")
	if r.status != http.StatusSeeOther {
		t.Fatalf("password change: %d %s", r.status, r.body)
	}
	// The old session ended with the change.
	if r := w.do(req{method: "GET", path: "/", as: &a}); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Fatalf("old session after password change: %d %q", r.status, r.header.Get("Location"))
	}
	if r, _ := w.login("fresh@anna.example", "a long and unusual passphrase"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/audit" {
		t.Fatalf("login with the new password: %d %q", r.status, r.header.Get("Location"))
	}
}

func TestAPIBadInput(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	big := `{"name":"` + strings.Repeat("x", 2<<20) + `","role":"viewer"}`
	tests := []struct {
		name, body string
		status     int
		msg        string
	}{
		{"too large", big, http.StatusRequestEntityTooLarge, "larger than"},
		{"malformed", `{"name":`, http.StatusBadRequest, "malformed JSON"},
		{"unknown field", `{"name":"x","role":"viewer","admin":true}`, http.StatusBadRequest, "unknown field"},
		{"wrong type", `{"name":5,"role":"viewer"}`, http.StatusBadRequest, "name"},
		{"two objects", `{"name":"x","role":"viewer"}{}`, http.StatusBadRequest, "exactly one"},
		{"bad role", `{"name":"x","role":"root"}`, http.StatusBadRequest, "role"},
		{"empty", ` `, http.StatusBadRequest, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := w.do(req{method: "POST", path: "/api/v1/tokens", token: w.aToken, body: tt.body})
			if r.status != tt.status || !strings.Contains(r.body, tt.msg) {
				t.Errorf("got %d %.200s; want %d containing %q", r.status, r.body, tt.status, tt.msg)
			}
			assertErrorShape(t, r, tt.name)
		})
	}
	if r := w.do(req{method: "GET", path: "/api/v1/users/abc", token: w.aToken}); r.status != http.StatusNotFound {
		t.Errorf("non-numeric id: %d", r.status)
	}
	if r := w.do(req{method: "GET", path: "/api/v1/nothing-here", token: w.aToken}); r.status != http.StatusNotFound {
		t.Errorf("unknown route: %d", r.status)
	}
}

func TestTokenLifecycleAPI(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	r := w.do(req{method: "POST", path: "/api/v1/tokens", token: w.aToken, body: `{"name":"siem","role":"viewer"}`})
	var created struct {
		Token  access.APIToken `json:"token"`
		Secret string          `json:"secret"`
	}
	if err := json.Unmarshal([]byte(r.body), &created); err != nil || r.status != http.StatusCreated || created.Secret == "" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	me := w.do(req{method: "GET", path: "/api/v1/me", token: created.Secret})
	if me.status != http.StatusOK || !strings.Contains(me.body, `"viewer"`) {
		t.Fatalf("me with new token: %d %s", me.status, me.body)
	}
	list := w.do(req{method: "GET", path: "/api/v1/tokens", token: w.aToken})
	if strings.Contains(list.body, created.Secret) {
		t.Fatal("token list reveals a secret")
	}
	if r := w.do(req{method: "DELETE", path: "/api/v1/tokens/" + itoa(created.Token.ID), token: w.aToken}); r.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := w.do(req{method: "GET", path: "/api/v1/me", token: created.Secret}); r.status != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", r.status)
	}
}

func TestOpenAPIInStepWithRoutes(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	r := w.do(req{method: "GET", path: "/api/v1/openapi.json"})
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json: %v", err)
	}
	apiRoutes := 0
	for _, rt := range w.srv.Routes() {
		if !rt.API {
			continue
		}
		apiRoutes++
		op, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("%s %s missing from the OpenAPI document", rt.Method, rt.Path)
			continue
		}
		if op["summary"] == "" {
			t.Errorf("%s %s has no summary", rt.Method, rt.Path)
		}
	}
	documented := 0
	for _, ops := range doc.Paths {
		documented += len(ops)
	}
	if documented != apiRoutes {
		t.Errorf("document has %d operations, server %d API routes", documented, apiRoutes)
	}
	// Every $ref resolves.
	for _, ref := range regexpAll(r.body, `"\$ref": "#/components/schemas/([A-Za-z]+)"`) {
		if _, ok := doc.Components.Schemas[ref]; !ok {
			t.Errorf("dangling $ref %s", ref)
		}
	}
}

func TestHeadersHealthAndMetrics(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	r := w.do(req{method: "GET", path: "/login"})
	for h, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"X-Request-Id":            "",
	} {
		if got := r.header.Get(h); got == "" || !strings.Contains(got, want) {
			t.Errorf("header %s = %q, want it to contain %q", h, got, want)
		}
	}
	if strings.Contains(r.header.Get("Content-Security-Policy"), "unsafe-inline") {
		t.Error("CSP allows inline scripts")
	}
	if strings.Contains(r.body, "<script>") || strings.Contains(r.body, " style=") || strings.Contains(r.body, "onclick") {
		t.Error("page has inline script or style, which the CSP would block")
	}
	if r.header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain HTTP without --secure-cookies")
	}
	if r := w.do(req{method: "GET", path: "/healthz"}); r.status != 200 {
		t.Errorf("healthz %d", r.status)
	}
	if r := w.do(req{method: "GET", path: "/readyz"}); r.status != 200 || !strings.Contains(r.body, "ready") {
		t.Errorf("readyz %d %s", r.status, r.body)
	}
	m := w.do(req{method: "GET", path: "/metrics"})
	if !strings.Contains(m.body, `aceso_http_requests_total{route="GET /login",code="2xx"} 1`) || !strings.Contains(m.body, "aceso_database_up 1") {
		t.Errorf("metrics:\n%s", m.body)
	}
	db.Close()
	if r := w.do(req{method: "GET", path: "/readyz"}); r.status != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database closed: %d", r.status)
	}
}
