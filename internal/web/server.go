// Package web is Aceso's HTTP face: the JSON API under /api/v1, the
// server-rendered UI, health and metrics endpoints. Handlers are thin: they
// parse, call the store with the request's principal, and render.
package web

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure a Server.
type Options struct {
	DB            *store.DB
	Log           *slog.Logger
	Now           func() time.Time
	Version       string
	SecureCookies bool          // set the Secure flag on cookies (TLS or behind a TLS proxy); also enables HSTS
	SessionIdle   time.Duration // idle timeout of a session
	SessionMax    time.Duration // absolute lifetime of a session
	MaxBodyBytes  int64         // limit of a request body (JSON and forms)
	// PublicURL is the deployment's external base URL (scheme and host,
	// no trailing slash, e.g. "https://cert.example"): every absolute URL
	// written for machines (CSAF provider, TAXII discovery) uses it. Empty:
	// they follow each request's Host header, which only suits a demo.
	PublicURL string
	// CSAFKeyPassphrase, when set, encrypts the CSAF signing key at rest;
	// it is used in memory only and never logged.
	CSAFKeyPassphrase []byte
	// Throttles for failed logins; nil gets defaults (10 per account, 50 per
	// address in 15 minutes).
	AccountThrottle *access.Throttle
	IPThrottle      *access.Throttle
}

// Server serves Aceso over HTTP.
type Server struct {
	opt     Options
	db      *store.DB
	log     *slog.Logger
	now     func() time.Time
	tmpl    *template.Template
	mux     *http.ServeMux
	routes  []Route
	metrics *metrics
	handler http.Handler
	// hashSlots bounds concurrent password verifications: each argon2id
	// run holds 64 MiB, so a login flood must queue rather than exhaust memory.
	hashSlots chan struct{}
}

// New builds a server with all routes registered.
func New(opt Options) (*Server, error) {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = func() time.Time { return time.Now().UTC() }
	}
	if opt.SessionIdle == 0 {
		opt.SessionIdle = 2 * time.Hour
	}
	if opt.SessionMax == 0 {
		opt.SessionMax = 12 * time.Hour
	}
	if opt.MaxBodyBytes == 0 {
		opt.MaxBodyBytes = 1 << 20
	}
	if opt.AccountThrottle == nil {
		opt.AccountThrottle = access.NewThrottle(10, 15*time.Minute, opt.Now)
	}
	if opt.IPThrottle == nil {
		opt.IPThrottle = access.NewThrottle(50, 15*time.Minute, opt.Now)
	}
	tmpl, err := template.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	s := &Server{opt: opt, db: opt.DB, log: opt.Log, now: opt.Now, tmpl: tmpl, mux: http.NewServeMux(), metrics: newMetrics(), hashSlots: make(chan struct{}, 4)}
	s.registerRoutes()
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, errCrossOrigin)
	}))
	s.handler = s.withRequestID(s.withAccessLog(s.withRecover(s.withSecurityHeaders(cop.Handler(s.mux)))))
	return s, nil
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Routes returns every registered route, for the route-matrix test and the OpenAPI document.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// Auth says who may call a route at all.
type Auth int

// Route authentication levels.
const (
	Public Auth = iota // anyone
	User               // a logged-in user (UI: session; API: session or token)
)

// Route is one registered endpoint with the policy that guards it.
type Route struct {
	Method  string
	Path    string // ServeMux pattern path, e.g. /api/v1/users/{user}
	Auth    Auth
	Act     access.Action // coarse role gate against the caller's own organisation; objects are checked again in the store
	API     bool          // JSON API (401 JSON) rather than UI (redirect to login)
	Summary string        // for the OpenAPI document
	Body    string        // OpenAPI schema name of the request body, if any
	Resp    string        // OpenAPI schema name of the response
	// Setup routes are reachable while a user still owes a password change
	// or a second factor.
	Setup bool
	// MaxBody overrides the server's request body limit for this route
	// (uploads); 0 keeps the default.
	MaxBody int64
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, p access.Principal) error

func (s *Server) handle(rt Route, h handlerFunc) {
	s.routes = append(s.routes, rt)
	pattern := rt.Method + " " + rt.Path
	s.mux.Handle(pattern, s.metrics.instrument(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := s.opt.MaxBodyBytes
		if rt.MaxBody > 0 {
			limit = rt.MaxBody
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		var p access.Principal
		if rt.Auth != Public {
			var err error
			p, err = s.authenticate(w, r, rt)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if err := access.Authorize(p, rt.Act, p.OrgID); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		if err := h(w, r, p); err != nil {
			s.fail(w, r, err)
		}
	})))
}

// isAPI reports whether a request is for the JSON API.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keySession
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}
