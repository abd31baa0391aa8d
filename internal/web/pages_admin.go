package web

import (
	"net/http"
	"strconv"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
)

func (s *Server) homePage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	s.render(w, r, "home", page{Title: "Overview", Nav: "home"})
	return nil
}

// orgRow is an organisation as the organisation pages list it: with the
// name of the organisation serving it, and whether it may serve others
// (it is not a client itself), for the "client of" choices.
type orgRow struct {
	access.Org
	ClientOfName string
	CanServe     bool
}

// orgRows lists the organisations p may see as orgRows.
func (s *Server) orgRows(r *http.Request, p access.Principal) ([]orgRow, error) {
	orgs, err := s.db.Orgs(r.Context(), p)
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(orgs))
	for _, o := range orgs {
		names[o.ID] = o.Name
	}
	rows := make([]orgRow, len(orgs))
	for i, o := range orgs {
		rows[i] = orgRow{Org: o, CanServe: o.ClientOf == nil}
		if o.ClientOf != nil {
			rows[i].ClientOfName = names[*o.ClientOf]
		}
	}
	return rows, nil
}

// formClientOf reads the optional "client_of" field of an organisation
// form: empty is none.
func formClientOf(r *http.Request) (*int64, error) {
	v := r.PostFormValue("client_of")
	if v == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return nil, aceso.Errorf(aceso.EINVALID, "client_of %q is not an organisation", v)
	}
	return &id, nil
}

func (s *Server) orgsPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	orgs, err := s.orgRows(r, p)
	if err != nil {
		return err
	}
	s.render(w, r, "orgs", page{Title: "Organisations", Nav: "orgs", Flash: r.URL.Query().Get("flash"), Data: orgs})
	return nil
}

func (s *Server) orgCreate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	name, err := formValue(r, "name")
	if err != nil {
		return err
	}
	o := access.Org{Name: name, Kind: access.OrgKind(r.PostFormValue("kind"))}
	o.ClientOf, err = formClientOf(r)
	if err == nil {
		err = s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.CreateOrg(r.Context(), p, &o) })
	}
	if err != nil {
		if aceso.ErrorCode(err) == aceso.EINVALID || aceso.ErrorCode(err) == aceso.ECONFLICT {
			orgs, _ := s.orgRows(r, p)
			w.WriteHeader(statusOf[aceso.ErrorCode(err)])
			s.render(w, r, "orgs", page{Title: "Organisations", Nav: "orgs", Error: aceso.ErrorMessage(err), Data: orgs})
			return nil
		}
		return err
	}
	return seeOther(w, r, "/admin/orgs/"+itoa(o.ID))
}

type orgPageData struct {
	Org   access.Org
	Users []access.User
	// For the CSIRT's administrators (ManageOrgs): the serving
	// organisation (ParentID 0: none), the organisations this one serves,
	// and the organisations that may serve it.
	ManageOrgs   bool
	ParentID     int64
	ClientOfName string
	Clients      []orgRow
	Servers      []orgRow
}

// orgClientOf sets or clears the organisation serving {org} (CSIRT admins).
func (s *Server) orgClientOf(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "org")
	if err != nil {
		return err
	}
	parent, err := formClientOf(r)
	if err == nil {
		err = s.db.InTx(r.Context(), func(tx *store.Tx) error {
			_, err := tx.SetOrgClientOf(r.Context(), p, id, parent)
			return err
		})
	}
	if aceso.ErrorCode(err) == aceso.EINVALID {
		return s.renderOrg(w, r, p, "", "", aceso.ErrorMessage(err), http.StatusBadRequest)
	}
	if err != nil {
		return err
	}
	return seeOther(w, r, "/admin/orgs/"+itoa(id)+"?flash=Saved")
}

func (s *Server) orgPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.renderOrg(w, r, p, "", "", "", http.StatusOK)
}

func (s *Server) renderOrg(w http.ResponseWriter, r *http.Request, p access.Principal, secretFor, secret, errMsg string, status int) error {
	id, err := pathID(r, "org")
	if err != nil {
		return err
	}
	users, err := s.db.Users(r.Context(), p, id)
	if err != nil {
		return err
	}
	org, err := s.db.Org(r.Context(), p, id)
	if err != nil {
		return err
	}
	data := orgPageData{Org: org, Users: users}
	if access.Authorize(p, access.ActManageOrgs, id) == nil {
		data.ManageOrgs = true
		if org.ClientOf != nil {
			data.ParentID = *org.ClientOf
		}
		rows, err := s.orgRows(r, p)
		if err != nil {
			return err
		}
		for _, o := range rows {
			switch {
			case o.ID == org.ID:
				data.ClientOfName = o.ClientOfName
			case o.ClientOf != nil && *o.ClientOf == org.ID:
				data.Clients = append(data.Clients, o)
			case o.CanServe:
				data.Servers = append(data.Servers, o)
			}
		}
	}
	w.WriteHeader(status)
	label := ""
	if secret != "" {
		label = "One-time password for " + secretFor
	}
	s.render(w, r, "org", page{Title: org.Name, Nav: "users", Secret: secret, SecretLabel: label, Error: errMsg, Flash: r.URL.Query().Get("flash"),
		Data: data})
	return nil
}

func (s *Server) userCreate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	orgID, err := pathID(r, "org")
	if err != nil {
		return err
	}
	email, err := formValue(r, "email")
	if err != nil {
		return err
	}
	u := access.User{OrgID: orgID, Email: email, Name: r.PostFormValue("name"), Role: access.Role(r.PostFormValue("role"))}
	pw, err := s.createUser(r, p, &u)
	if err != nil {
		if c := aceso.ErrorCode(err); c == aceso.EINVALID || c == aceso.ECONFLICT {
			return s.renderOrg(w, r, p, "", "", aceso.ErrorMessage(err), statusOf[c])
		}
		return err
	}
	return s.renderOrg(w, r, p, u.Email, pw, "", http.StatusOK)
}

// createUser stores a user with a generated one-time password and returns it.
func (s *Server) createUser(r *http.Request, p access.Principal, u *access.User) (string, error) {
	pw, hash, err := access.NewOneTimePassword()
	if err != nil {
		return "", err
	}
	u.PasswordHash, u.MustChangePassword = hash, true
	err = s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.CreateUser(r.Context(), p, u) })
	return pw, err
}

// resetPassword gives a user a new one-time password.
func (s *Server) resetPassword(r *http.Request, p access.Principal, id int64) (access.User, string, error) {
	u, err := s.db.User(r.Context(), p, id)
	if err != nil {
		return u, "", err
	}
	pw, hash, err := access.NewOneTimePassword()
	if err != nil {
		return u, "", err
	}
	err = s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.SetPassword(r.Context(), p, id, hash, true) })
	u.MustChangePassword = true
	return u, pw, err
}

func (s *Server) orgTOTP(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "org")
	if err != nil {
		return err
	}
	v, err := formValue(r, "require")
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.SetOrgRequireTOTP(r.Context(), p, id, v == "1") }); err != nil {
		return err
	}
	return seeOther(w, r, "/admin/orgs/"+itoa(id)+"?flash=Saved")
}

func (s *Server) userResetPassword(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	u, pw, err := s.resetPassword(r, p, id)
	if err != nil {
		return err
	}
	r.SetPathValue("org", itoa(u.OrgID))
	return s.renderOrg(w, r, p, u.Email, pw, "", http.StatusOK)
}

func (s *Server) setDisabled(w http.ResponseWriter, r *http.Request, p access.Principal, disabled bool) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	u, err := s.db.User(r.Context(), p, id)
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.SetUserDisabled(r.Context(), p, id, disabled) }); err != nil {
		return err
	}
	return seeOther(w, r, "/admin/orgs/"+itoa(u.OrgID)+"?flash=Saved")
}

func (s *Server) userDisable(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.setDisabled(w, r, p, true)
}

func (s *Server) userEnable(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.setDisabled(w, r, p, false)
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.renderTokens(w, r, p, "", "")
}

func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, p access.Principal, secret, errMsg string) error {
	toks, err := s.db.Tokens(r.Context(), p)
	if err != nil {
		return err
	}
	if errMsg != "" {
		w.WriteHeader(http.StatusBadRequest)
	}
	label := ""
	if secret != "" {
		label = "New API token (send it as 'Authorization: Bearer TOKEN')"
	}
	s.render(w, r, "tokens", page{Title: "API tokens", Nav: "tokens", Secret: secret, SecretLabel: label, Error: errMsg, Data: toks})
	return nil
}

// newToken creates an API token and returns its secret, shown once.
func (s *Server) newToken(r *http.Request, p access.Principal, t *access.APIToken) (string, error) {
	secret, hash, err := access.NewToken("aceso")
	if err != nil {
		return "", err
	}
	t.Prefix = secret[:12]
	err = s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.CreateToken(r.Context(), p, t, hash) })
	return secret, err
}

func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	name, err := formValue(r, "name")
	if err != nil {
		return err
	}
	t := access.APIToken{Name: name, Role: access.Role(r.PostFormValue("role"))}
	if days, _ := strconv.Atoi(r.PostFormValue("days")); days > 0 {
		exp := s.now().AddDate(0, 0, days)
		t.ExpiresAt = &exp
	}
	secret, err := s.newToken(r, p, &t)
	if err != nil {
		if c := aceso.ErrorCode(err); c == aceso.EINVALID || c == aceso.EFORBIDDEN {
			return s.renderTokens(w, r, p, "", aceso.ErrorMessage(err))
		}
		return err
	}
	return s.renderTokens(w, r, p, secret, "")
}

func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "token")
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.RevokeToken(r.Context(), p, id) }); err != nil {
		return err
	}
	return seeOther(w, r, "/admin/tokens")
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q := r.URL.Query()
	orgID := p.OrgID
	if v := q.Get("org"); v != "" {
		orgID, _ = strconv.ParseInt(v, 10, 64)
	}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	entries, err := s.db.ListAudit(r.Context(), p, store.AuditFilter{OrgID: orgID, BeforeID: before, Limit: 100})
	if err != nil {
		return err
	}
	org, err := s.db.Org(r.Context(), p, orgID)
	if err != nil {
		return err
	}
	data := map[string]any{"Entries": entries, "Org": org}
	if len(entries) == 100 {
		data["Next"] = entries[len(entries)-1].ID
	}
	if access.Authorize(p, access.ActManageOrgs, p.OrgID) == nil {
		orgs, err := s.db.Orgs(r.Context(), p)
		if err != nil {
			return err
		}
		data["Orgs"] = orgs
		if q.Get("verify") == "1" {
			res, err := s.db.VerifyAudit(r.Context())
			if err != nil {
				return err
			}
			data["Verify"] = res
		}
	}
	s.render(w, r, "audit", page{Title: "Audit log", Nav: "audit", Data: data})
	return nil
}
