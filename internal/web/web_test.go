package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
	"github.com/aceso-health/aceso/internal/web"
)

var ctx = context.Background()

// cheap argon2id parameters keep the tests fast; logins rehash to the defaults.
var cheap = access.PasswordParams{Memory: 8 * 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

type actor struct {
	user   access.User
	cookie *http.Cookie
	csrf   string
}

// world is a deployment with the CSIRT and two member hospitals A and B.
// Everything of B carries the marker "markerb" so a leak is easy to spot.
type world struct {
	t                    *testing.T
	db                   *store.DB
	srv                  *web.Server
	ts                   *httptest.Server
	csirt, a, b          access.Org
	csirtAdmin           actor
	aAdmin, aViewer      actor
	bAdmin               actor
	bUser                access.User
	bToken               access.APIToken
	aToken, aViewerToken string
	// ownA and ofB map path parameters ({org}, {user}, {device} …) to
	// objects of hospital A and of hospital B, for the route matrix.
	ownA, ofB map[string]int64
}

// seeders add feature data to a world: each feature's test file appends
// one in init(), creating objects for A and B (B's carrying the marker) and
// registering their ids in w.ownA / w.ofB under the route's parameter name.
var seeders []func(w *world)

const marker = "markerb"

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	w := &world{t: t, db: db}
	srv, err := web.New(web.Options{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = srv
	w.ts = httptest.NewServer(srv)
	t.Cleanup(w.ts.Close)
	hash, err := access.HashPassword("correct horse battery staple", cheap)
	if err != nil {
		t.Fatal(err)
	}
	mkUser := func(tx *store.Tx, org access.Org, email string, role access.Role) access.User {
		u := access.User{OrgID: org.ID, Email: email, Name: email, Role: role, PasswordHash: hash}
		if err := tx.CreateUser(ctx, access.System, &u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	var users [4]access.User
	err = db.InTx(ctx, func(tx *store.Tx) error {
		w.csirt = access.Org{Name: "Health CERT", Kind: access.KindCSIRT}
		w.a = access.Org{Name: "St. Anna Hospital", Kind: access.KindMember}
		w.b = access.Org{Name: "Klinikum Nord " + marker, Kind: access.KindMember}
		for _, o := range []*access.Org{&w.csirt, &w.a, &w.b} {
			if err := tx.CreateOrg(ctx, access.System, o); err != nil {
				return err
			}
		}
		users[0] = mkUser(tx, w.csirt, "admin@cert.example", access.RoleAdmin)
		users[1] = mkUser(tx, w.a, "admin@anna.example", access.RoleAdmin)
		users[2] = mkUser(tx, w.a, "viewer@anna.example", access.RoleViewer)
		users[3] = mkUser(tx, w.b, marker+"-admin@nord.example", access.RoleAdmin)
		w.bUser = mkUser(tx, w.b, marker+"-nurse@nord.example", access.RoleReporter)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w.csirtAdmin = w.session(users[0])
	w.aAdmin = w.session(users[1])
	w.aViewer = w.session(users[2])
	w.bAdmin = w.session(users[3])
	w.bToken = access.APIToken{Name: marker + "-siem", Role: access.RoleViewer}
	w.token(users[3], &w.bToken)
	w.aToken = w.token(users[1], &access.APIToken{Name: "anna-admin", Role: access.RoleAdmin})
	w.aViewerToken = w.token(users[1], &access.APIToken{Name: "anna-viewer", Role: access.RoleViewer})
	w.ownA = map[string]int64{"org": w.a.ID, "user": w.aViewer.user.ID, "token": 1}
	w.ofB = map[string]int64{"org": w.b.ID, "user": w.bUser.ID, "token": w.bToken.ID}
	for _, seed := range seeders {
		seed(w)
	}
	return w
}

// session logs a user in directly through the store.
func (w *world) session(u access.User) actor {
	id, _ := access.RandomID(32)
	csrf, _ := access.RandomID(32)
	s := store.Session{IDHash: access.HashToken(id), UserID: u.ID, CSRFToken: csrf, ExpiresAt: time.Now().Add(time.Hour)}
	if err := w.db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateSession(ctx, &s) }); err != nil {
		w.t.Fatal(err)
	}
	return actor{user: u, cookie: &http.Cookie{Name: "aceso_session", Value: id}, csrf: csrf}
}

func (w *world) token(u access.User, t *access.APIToken) string {
	secret, hash, err := access.NewToken("aceso")
	if err != nil {
		w.t.Fatal(err)
	}
	t.Prefix = secret[:12]
	p, _ := w.db.PrincipalFor(ctx, u)
	if err := w.db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateToken(ctx, p, t, hash) }); err != nil {
		w.t.Fatal(err)
	}
	return secret
}

type req struct {
	method, path string
	as           *actor
	token        string
	body         string
	noCSRF       bool
}

type resp struct {
	status int
	header http.Header
	body   string
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (w *world) do(r req) resp {
	w.t.Helper()
	var body io.Reader
	isAPI := strings.HasPrefix(r.path, "/api/")
	if r.body != "" {
		body = strings.NewReader(r.body)
	} else if r.method != http.MethodGet && r.method != http.MethodDelete {
		if isAPI {
			body = strings.NewReader("{}")
		} else {
			form := url.Values{}
			if r.as != nil && !r.noCSRF {
				form.Set("csrf_token", r.as.csrf)
			}
			body = strings.NewReader(form.Encode())
		}
	}
	hr, err := http.NewRequest(r.method, w.ts.URL+r.path, body)
	if err != nil {
		w.t.Fatal(err)
	}
	if isAPI {
		hr.Header.Set("Content-Type", "application/json")
	} else if body != nil {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if r.as != nil {
		hr.AddCookie(r.as.cookie)
		if !r.noCSRF {
			hr.Header.Set("X-CSRF-Token", r.as.csrf)
		}
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	res, err := noRedirect.Do(hr)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

var param = regexp.MustCompile(`\{([a-z_]+)\}`)

// fill replaces path parameters with ids of the given objects.
func fill(path string, ids map[string]int64) string {
	path = strings.TrimSuffix(path, "{$}")
	return param.ReplaceAllStringFunc(path, func(m string) string {
		id, ok := ids[m[1:len(m)-1]]
		if !ok {
			panic("route matrix: no seeded object for path parameter " + m + "; add a seeder")
		}
		return itoa(id)
	})
}

func itoa(n int64) string { return strconvFormat(n) }

func assertErrorShape(t *testing.T, r resp, where string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.body), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Errorf("%s: status %d without the error shape: %q", where, r.status, r.body)
	}
}

// TestRouteMatrix walks every registered route and proves, for each: no
// access without authentication; a user of hospital A can neither read nor
// change anything of hospital B; viewers cannot write; admin-only routes
// refuse lower roles. New routes are covered the moment they are registered.
func TestRouteMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		bAuditBefore, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: w.b.ID, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		ownA, ofB := w.ownA, w.ofB
		routes := w.srv.Routes()
		if len(routes) < 20 {
			t.Fatalf("only %d routes registered", len(routes))
		}
		for _, rt := range routes {
			name := rt.Method + " " + rt.Path
			t.Run(name, func(t *testing.T) {
				if rt.Auth == web.Public {
					r := w.do(req{method: rt.Method, path: fill(rt.Path, ownA)})
					if r.status >= 500 {
						t.Errorf("public route: %d", r.status)
					}
					return
				}
				// 1. Unauthenticated.
				r := w.do(req{method: rt.Method, path: fill(rt.Path, ownA)})
				if rt.API {
					if r.status != http.StatusUnauthorized {
						t.Errorf("unauthenticated: got %d, want 401", r.status)
					}
					assertErrorShape(t, r, "unauthenticated")
				} else if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
					t.Errorf("unauthenticated: got %d → %q, want 303 to /login", r.status, r.header.Get("Location"))
				}
				// A token is no key to the UI.
				if !rt.API {
					if r := w.do(req{method: rt.Method, path: fill(rt.Path, ownA), token: w.aToken}); r.status != http.StatusSeeOther {
						t.Errorf("UI with API token: got %d, want redirect to login", r.status)
					}
				}
				// 2. Roles: a viewer may only read.
				if rt.Act != access.ActRead {
					viewer := req{method: rt.Method, path: fill(rt.Path, ownA), as: &w.aViewer}
					if rt.API {
						viewer = req{method: rt.Method, path: fill(rt.Path, ownA), token: w.aViewerToken}
					}
					if r := w.do(viewer); r.status != http.StatusForbidden {
						t.Errorf("viewer: got %d, want 403", r.status)
					}
				}
				// 3. Tenants: A's admin, pointed at B's objects.
				for _, as := range []req{{as: &w.aAdmin}, {token: w.aToken}} {
					if rt.API != (as.token != "") {
						continue
					}
					path := fill(rt.Path, ofB)
					if rt.Method == http.MethodGet {
						path += "?org=" + itoa(w.b.ID)
					}
					r := w.do(req{method: rt.Method, path: path, as: as.as, token: as.token})
					if r.status >= 500 {
						t.Errorf("cross-tenant: server error %d: %s", r.status, r.body)
					}
					if strings.Contains(strings.ToLower(r.body), marker) {
						t.Errorf("cross-tenant: response %d reveals hospital B: %.300s", r.status, r.body)
					}
					if r.status < 300 && param.MatchString(rt.Path) {
						t.Errorf("cross-tenant: %d on B's object, want 404", r.status)
					}
				}
			})
		}
		// Nothing of B changed: every write is audited, so B's log is the witness.
		bAuditAfter, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: w.b.ID, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		if len(bAuditAfter) != len(bAuditBefore) {
			t.Errorf("hospital B's data changed during the matrix: %d new audit entries, newest %+v", len(bAuditAfter)-len(bAuditBefore), bAuditAfter[0])
		}
		u, err := db.User(ctx, access.System, w.bUser.ID)
		if err != nil || u.Disabled || u.MustChangePassword {
			t.Errorf("B's user was changed: %+v %v", u, err)
		}
		if _, err := db.TokenPrincipal(ctx, access.HashToken("x"), time.Now()); err == nil {
			t.Error("unknown token accepted")
		}
	})
}
