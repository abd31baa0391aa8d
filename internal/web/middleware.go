package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"time"

	"github.com/aceso-health/aceso"
)

var errCrossOrigin = aceso.Errorf(aceso.EFORBIDDEN, "cross-origin request refused")

// statusOf is the one table that maps error codes to HTTP statuses.
var statusOf = map[string]int{
	aceso.EINVALID:      http.StatusBadRequest,
	aceso.EUNAUTHORIZED: http.StatusUnauthorized,
	aceso.EFORBIDDEN:    http.StatusForbidden,
	aceso.ENOTFOUND:     http.StatusNotFound,
	aceso.ECONFLICT:     http.StatusConflict,
	aceso.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	aceso.ETOOMANY:      http.StatusTooManyRequests,
	aceso.EUNAVAILABLE:  http.StatusServiceUnavailable,
	aceso.EINTERNAL:     http.StatusInternalServerError,
}

// fail answers a request with an error: JSON {"error":{"code","message"}}
// for the API, a page (or a redirect to the login) for the UI. Internal
// errors are logged with their cause and shown only as a generic message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = aceso.Errorf(aceso.ETOOLARGE, "request body larger than %d bytes", mbe.Limit)
	}
	var rd *redirect
	if errors.As(err, &rd) {
		if isAPI(r) {
			writeJSON(w, http.StatusForbidden, map[string]any{"error": map[string]string{"code": aceso.EFORBIDDEN, "message": rd.why}})
			return
		}
		http.Redirect(w, r, rd.to, http.StatusSeeOther)
		return
	}
	code := aceso.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	msg := aceso.ErrorMessage(err)
	if status >= 500 {
		s.log.Error("request failed", "request_id", requestID(r.Context()), "method", r.Method, "path", r.URL.Path, "err", err)
		if code == aceso.EINTERNAL {
			msg = "internal error; the request id is " + requestID(r.Context())
		}
	}
	if isAPI(r) {
		writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
		return
	}
	if status == http.StatusUnauthorized {
		next := r.URL.Path
		if r.Method != http.MethodGet {
			next = "/"
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	w.WriteHeader(status)
	s.render(w, r, "error", page{Title: http.StatusText(status), Data: map[string]any{"Status": status, "Message": msg}})
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), keyRequestID, id)))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withAccessLog logs one structured line per request. The query string is
// left out: it may carry tokens or personal data.
func (s *Server) withAccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "http",
			slog.String("request_id", requestID(r.Context())),
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", time.Since(start)), slog.String("remote", clientIP(r)))
	})
}

func (s *Server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", requestID(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.fail(w, r, aceso.Errorf(aceso.EINTERNAL, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// withSecurityHeaders sets a strict CSP (no inline scripts or styles, no
// framing) and the other headers a hospital's scanner will look for.
func (s *Server) withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.opt.SecureCookies || r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// clientIP is the peer address. Aceso does not trust X-Forwarded-For by
// default: a spoofed header would let an attacker dodge the IP throttle.
func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	for i := len(host) - 1; i >= 0; i-- {
		if host[i] == ':' {
			host = host[:i]
			break
		}
	}
	if len(host) > 1 && host[0] == '[' {
		host = host[1 : len(host)-1]
	}
	return host
}
