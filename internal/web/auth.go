package web

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
)

const sessionCookie = "aceso_session"

// redirect is an error that sends a UI user elsewhere (to finish a
// password change or second factor); the API reports it as 403.
type redirect struct {
	to  string
	why string
}

func (e *redirect) Error() string { return e.why }

// sessionInfo is what templates need of the current session.
type sessionInfo struct {
	CSRF string
	User access.User
	Org  access.Org
}

// authenticate finds the principal of a request: a bearer API token (API
// routes only) or the session cookie. It also enforces the session's
// pending steps and checks the CSRF token of state-changing requests made
// with a cookie.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, rt Route) (access.Principal, error) {
	ctx := r.Context()
	now := s.now()
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || !rt.API {
			return access.Principal{}, aceso.Errorf(aceso.EUNAUTHORIZED, "API tokens are accepted on /api/v1 only, as 'Authorization: Bearer TOKEN'")
		}
		return s.db.TokenPrincipal(ctx, access.HashToken(strings.TrimSpace(tok)), now)
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return access.Principal{}, aceso.Errorf(aceso.EUNAUTHORIZED, "authentication required")
	}
	idHash := access.HashToken(c.Value)
	sess, u, err := s.db.SessionUser(ctx, idHash, now)
	if err != nil {
		return access.Principal{}, err
	}
	if u.Disabled || now.Sub(sess.CreatedAt) > s.opt.SessionMax {
		return access.Principal{}, aceso.Errorf(aceso.EUNAUTHORIZED, "session ended")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		got := r.Header.Get("X-CSRF-Token")
		if got == "" {
			got = r.PostFormValue("csrf_token")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1 {
			return access.Principal{}, aceso.Errorf(aceso.EFORBIDDEN, "missing or wrong CSRF token; reload the page and try again")
		}
	}
	if sess.MFAPending {
		if rt.Path != "/login/totp" {
			return access.Principal{}, &redirect{to: "/login/totp", why: "second factor required"}
		}
	}
	org, err := s.db.Org(ctx, access.System, u.OrgID)
	if err != nil {
		return access.Principal{}, err
	}
	if !rt.Setup && !sess.MFAPending {
		switch {
		case u.MustChangePassword:
			return access.Principal{}, &redirect{to: "/account", why: "you must change your one-time password first"}
		case org.RequireTOTP && !u.TOTPEnabled:
			return access.Principal{}, &redirect{to: "/account", why: "your organisation requires a second factor: set up TOTP first"}
		}
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if err := s.db.TouchSession(ctx, idHash, now, minTime(now.Add(s.opt.SessionIdle), sess.CreatedAt.Add(s.opt.SessionMax))); err != nil {
			return access.Principal{}, err
		}
	}
	*r = *r.WithContext(context.WithValue(ctx, keySession, &sessionInfo{CSRF: sess.CSRFToken, User: u, Org: org}))
	return access.Principal{UserID: u.ID, UserName: u.Email, OrgID: u.OrgID, OrgKind: org.Kind, Role: u.Role}, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func currentSession(r *http.Request) *sessionInfo {
	si, _ := r.Context().Value(keySession).(*sessionInfo)
	return si
}

// startSession creates a new session (a new id: rotation at every login
// step, so a planted cookie never becomes a logged-in one) and sets the cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u access.User, mfaPending bool) error {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		_ = s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.DeleteSession(r.Context(), access.HashToken(c.Value)) })
	}
	id, err := access.RandomID(32)
	if err != nil {
		return err
	}
	csrf, err := access.RandomID(32)
	if err != nil {
		return err
	}
	now := s.now()
	ttl := s.opt.SessionIdle
	if mfaPending {
		ttl = 10 * time.Minute
	}
	sess := store.Session{IDHash: access.HashToken(id), UserID: u.ID, CSRFToken: csrf, MFAPending: mfaPending,
		ExpiresAt: now.Add(ttl), IP: clientIP(r), UserAgent: truncate(r.UserAgent(), 200)}
	err = s.db.InTx(r.Context(), func(tx *store.Tx) error {
		if err := tx.CreateSession(r.Context(), &sess); err != nil {
			return err
		}
		if !mfaPending {
			return tx.RecordLogin(r.Context(), u.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		Secure: s.opt.SecureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: int(s.opt.SessionMax / time.Second)})
	return nil
}

func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		_ = s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.DeleteSession(r.Context(), access.HashToken(c.Value)) })
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: s.opt.SecureCookies || r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// dummyHash is verified when a login names an unknown account, so that the
// answer takes as long as for a known one and does not reveal which exist.
var dummyHash = func() string {
	h, _ := access.HashPassword("not-a-real-password-0", access.DefaultPasswordParams)
	return h
}()

// checkLogin verifies e-mail and password under the throttles. It returns
// the same message for every failure.
func (s *Server) checkLogin(ctx context.Context, email, password, ip string) (access.User, error) {
	acctKey := "acct:" + strings.ToLower(strings.TrimSpace(email))
	ipKey := "ip:" + ip
	for _, t := range []struct {
		th  *access.Throttle
		key string
	}{{s.opt.AccountThrottle, acctKey}, {s.opt.IPThrottle, ipKey}} {
		if ok, wait := t.th.Allow(t.key); !ok {
			return access.User{}, aceso.Errorf(aceso.ETOOMANY, "too many failed logins; try again in %s", wait.Round(time.Second))
		}
	}
	fail := func() (access.User, error) {
		s.opt.AccountThrottle.Fail(acctKey)
		s.opt.IPThrottle.Fail(ipKey)
		return access.User{}, aceso.Errorf(aceso.EUNAUTHORIZED, "wrong e-mail address or password")
	}
	select {
	case s.hashSlots <- struct{}{}:
		defer func() { <-s.hashSlots }()
	case <-ctx.Done():
		return access.User{}, aceso.Wrap(aceso.EUNAVAILABLE, ctx.Err(), "request cancelled")
	}
	u, err := s.db.UserByEmail(ctx, email)
	if err != nil {
		if aceso.ErrorCode(err) != aceso.ENOTFOUND {
			return access.User{}, err
		}
		_, _, _ = access.VerifyPassword(password, dummyHash)
		return fail()
	}
	ok, rehash, err := access.VerifyPassword(password, u.PasswordHash)
	if err != nil || !ok || u.Disabled {
		return fail()
	}
	s.opt.AccountThrottle.Reset(acctKey)
	if rehash {
		if h, err := access.HashPassword(password, access.DefaultPasswordParams); err == nil {
			if err := s.db.InTx(ctx, func(tx *store.Tx) error { return tx.RehashPassword(ctx, u.ID, h) }); err != nil {
				s.log.Warn("password rehash", "user_id", u.ID, "err", err)
			}
		}
	}
	return u, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
