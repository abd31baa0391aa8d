package web

import (
	"net/http"
	"net/url"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
)

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	s.render(w, r, "login", page{Title: "Sign in", Data: map[string]string{"Next": safeNext(r.URL.Query().Get("next"))}})
	return nil
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	email, err := formValue(r, "email")
	if err != nil {
		return err
	}
	next := safeNext(r.PostFormValue("next"))
	u, err := s.checkLogin(r.Context(), email, r.PostFormValue("password"), clientIP(r))
	if err != nil {
		code := aceso.ErrorCode(err)
		if code != aceso.EUNAUTHORIZED && code != aceso.ETOOMANY {
			return err
		}
		w.WriteHeader(statusOf[code])
		s.render(w, r, "login", page{Title: "Sign in", Error: aceso.ErrorMessage(err), Data: map[string]string{"Next": next, "Email": email}})
		return nil
	}
	if err := s.startSession(w, r, u, u.TOTPEnabled); err != nil {
		return err
	}
	if u.TOTPEnabled {
		return seeOther(w, r, "/login/totp?next="+url.QueryEscape(next))
	}
	return seeOther(w, r, next)
}

func (s *Server) totpPage(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	s.render(w, r, "totp", page{Title: "Second factor", Data: map[string]string{"Next": safeNext(r.URL.Query().Get("next"))}})
	return nil
}

func (s *Server) totpSubmit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	code, err := formValue(r, "code")
	if err != nil {
		return err
	}
	next := safeNext(r.PostFormValue("next"))
	si := currentSession(r)
	key := "totp:" + itoa(p.UserID)
	if ok, wait := s.opt.AccountThrottle.Allow(key); !ok {
		return aceso.Errorf(aceso.ETOOMANY, "too many wrong codes; try again in %s", wait.Round(1e9))
	}
	step, ok := access.ValidateTOTP(si.User.TOTPSecret, code, s.now(), si.User.TOTPLastStep)
	if ok {
		err = s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.UseTOTPStep(r.Context(), p.UserID, step) })
		ok = err == nil
	}
	if !ok {
		s.opt.AccountThrottle.Fail(key)
		w.WriteHeader(http.StatusUnauthorized)
		s.render(w, r, "totp", page{Title: "Second factor", Error: "That code is wrong or was used already.", Data: map[string]string{"Next": next}})
		return nil
	}
	s.opt.AccountThrottle.Reset(key)
	if err := s.startSession(w, r, si.User, false); err != nil {
		return err
	}
	return seeOther(w, r, next)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	s.endSession(w, r)
	return seeOther(w, r, "/login")
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	flash := ""
	switch q := r.URL.Query(); {
	case q.Get("changed") == "1":
		flash = "Your password was changed."
	case q.Get("totp") == "1":
		flash = "Two-step sign-in is on."
	case q.Get("totp") == "0":
		flash = "Two-step sign-in is off."
	}
	return s.renderAccount(w, r, p, flash, "")
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, p access.Principal, flash, errMsg string) error {
	si := currentSession(r)
	data := map[string]any{}
	if !si.User.TOTPEnabled {
		secret, err := access.NewTOTPSecret()
		if err != nil {
			return err
		}
		data["TOTPSecret"] = secret
		data["TOTPURI"] = access.TOTPURI("Aceso", si.User.Email, secret)
	}
	if errMsg != "" && flash == "" {
		w.WriteHeader(http.StatusBadRequest)
	}
	s.render(w, r, "account", page{Title: "Your account", Nav: "account", Flash: flash, Error: errMsg, Data: data})
	return nil
}

func (s *Server) accountPassword(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if _, err := formValue(r, "new"); err != nil {
		return err
	}
	current, newPw, confirm := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("confirm")
	si := currentSession(r)
	if ok, _, _ := access.VerifyPassword(current, si.User.PasswordHash); !ok {
		return s.renderAccount(w, r, p, "", "Your current password is wrong.")
	}
	if newPw != confirm {
		return s.renderAccount(w, r, p, "", "The two new passwords differ.")
	}
	if newPw == current {
		return s.renderAccount(w, r, p, "", "Choose a password different from the current one.")
	}
	if err := access.CheckPasswordPolicy(newPw); err != nil {
		return s.renderAccount(w, r, p, "", aceso.ErrorMessage(err))
	}
	hash, err := access.HashPassword(newPw, access.DefaultPasswordParams)
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.SetPassword(r.Context(), p, p.UserID, hash, false) }); err != nil {
		return err
	}
	// SetPassword ended every session of the user; this one continues under a new id.
	si.User.MustChangePassword = false
	si.User.PasswordHash = hash
	if err := s.startSession(w, r, si.User, false); err != nil {
		return err
	}
	return seeOther(w, r, "/account?changed=1")
}

func (s *Server) accountTOTPEnable(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	code, err := formValue(r, "code")
	if err != nil {
		return err
	}
	secret := r.PostFormValue("secret")
	step, ok := access.ValidateTOTP(secret, code, s.now(), 0)
	if !ok {
		return s.renderAccount(w, r, p, "", "That code does not match the key: check the time on your phone and try the next code.")
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.SetTOTP(r.Context(), p, p.UserID, secret, true, step) }); err != nil {
		return err
	}
	return seeOther(w, r, "/account?totp=1")
}

func (s *Server) accountTOTPDisable(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	code, err := formValue(r, "code")
	if err != nil {
		return err
	}
	si := currentSession(r)
	if si.Org.RequireTOTP {
		return s.renderAccount(w, r, p, "", "Your organisation requires a second factor; it cannot be turned off.")
	}
	step, ok := access.ValidateTOTP(si.User.TOTPSecret, code, s.now(), si.User.TOTPLastStep)
	if !ok {
		return s.renderAccount(w, r, p, "", "That code is wrong or was used already.")
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.SetTOTP(r.Context(), p, p.UserID, "", false, step) }); err != nil {
		return err
	}
	return seeOther(w, r, "/account?totp=0")
}
