package web

import (
	"net/http"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
)

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	org, err := s.db.Org(r.Context(), p, p.OrgID)
	if err != nil {
		return err
	}
	me := map[string]any{"org": org, "role": p.Role}
	if p.TokenID != 0 {
		me["token_id"] = p.TokenID
	} else {
		u, err := s.db.User(r.Context(), p, p.UserID)
		if err != nil {
			return err
		}
		me["user"] = u
	}
	writeJSON(w, http.StatusOK, me)
	return nil
}

func (s *Server) apiOrgs(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	orgs, err := s.db.Orgs(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"orgs": nonNil(orgs)})
	return nil
}

func (s *Server) apiOrgCreate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var in struct {
		Name        string         `json:"name"`
		Kind        access.OrgKind `json:"kind"`
		RequireTOTP bool           `json:"require_totp"`
		ClientOf    *int64         `json:"client_of"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	o := access.Org{Name: in.Name, Kind: in.Kind, RequireTOTP: in.RequireTOTP, ClientOf: in.ClientOf}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.CreateOrg(r.Context(), p, &o) }); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, o)
	return nil
}

func (s *Server) apiOrg(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "org")
	if err != nil {
		return err
	}
	o, err := s.db.Org(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func init() {
	schemas["OrgClientOf"] = obj(nil, map[string]any{"client_of": integer})
}

// apiOrgClientOf sets (or with null or no value clears) the organisation
// that serves {org}.
func (s *Server) apiOrgClientOf(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "org")
	if err != nil {
		return err
	}
	var in struct {
		ClientOf *int64 `json:"client_of"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var o access.Org
	err = s.db.InTx(r.Context(), func(tx *store.Tx) error {
		var err error
		o, err = tx.SetOrgClientOf(r.Context(), p, id, in.ClientOf)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "org")
	if err != nil {
		return err
	}
	users, err := s.db.Users(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": nonNil(users)})
	return nil
}

func (s *Server) apiUserCreate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	orgID, err := pathID(r, "org")
	if err != nil {
		return err
	}
	var in struct {
		Email string      `json:"email"`
		Name  string      `json:"name"`
		Role  access.Role `json:"role"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	u := access.User{OrgID: orgID, Email: in.Email, Name: in.Name, Role: in.Role}
	pw, err := s.createUser(r, p, &u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"user": u, "one_time_password": pw})
	return nil
}

func (s *Server) apiUser(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	u, err := s.db.User(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) apiUserReset(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	u, pw, err := s.resetPassword(r, p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": u, "one_time_password": pw})
	return nil
}

func (s *Server) apiUserDisable(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.SetUserDisabled(r.Context(), p, id, true) }); err != nil {
		return err
	}
	u, err := s.db.User(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	toks, err := s.db.Tokens(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": nonNil(toks)})
	return nil
}

func (s *Server) apiTokenCreate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var in struct {
		Name      string      `json:"name"`
		Role      access.Role `json:"role"`
		ExpiresAt *time.Time  `json:"expires_at"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.now()) {
		return aceso.Errorf(aceso.EINVALID, "expires_at must be in the future")
	}
	t := access.APIToken{Name: in.Name, Role: in.Role, ExpiresAt: in.ExpiresAt}
	secret, err := s.newToken(r, p, &t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": t, "secret": secret})
	return nil
}

func (s *Server) apiTokenRevoke(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "token")
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.RevokeToken(r.Context(), p, id) }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q := r.URL.Query()
	f := store.AuditFilter{OrgID: p.OrgID}
	for name, dst := range map[string]*int64{"org": &f.OrgID, "before": &f.BeforeID} {
		if err := queryNumber(q, name, 0, 0, dst); err != nil {
			return err
		}
	}
	if err := queryNumber(q, "limit", 1, 500, &f.Limit); err != nil {
		return err
	}
	entries, err := s.db.ListAudit(r.Context(), p, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": nonNil(entries)})
	return nil
}

func (s *Server) apiAuditVerify(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	res, err := s.db.VerifyAudit(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
