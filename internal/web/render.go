package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
)

// page is what every template gets.
type page struct {
	Title   string
	Session *sessionInfo
	Flash   string // a one-off message ("User created")
	Error   string
	Secret  string // shown once (one-time password, new token)
	// SecretLabel says what Secret is ("One-time password for x@y").
	SecretLabel string
	Data        any
	Nav         string
	Version     string
}

var templateFuncs = template.FuncMap{
	"date": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04 UTC")
		case *time.Time:
			if v == nil || v.IsZero() {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04 UTC")
		}
		return "—"
	},
	"roles":    func() []access.Role { return access.Roles },
	"orgKinds": func() []access.OrgKind { return access.OrgKinds },
	"isAdmin": func(si *sessionInfo) bool {
		return si != nil && si.User.Role == access.RoleAdmin
	},
	"isCSIRTAdmin": func(si *sessionInfo) bool {
		return si != nil && si.User.Role == access.RoleAdmin && si.Org.Kind == access.KindCSIRT
	},
}

// render executes a page template into a buffer first, so that a template
// error becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, p page) {
	if p.Session == nil {
		p.Session = currentSession(r)
	}
	p.Version = s.opt.Version
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, p); err != nil {
		s.log.Error("template", "name", name, "err", err, "request_id", requestID(r.Context()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// decodeJSON reads a JSON request body into v: one object, no unknown
// fields, within the size limit; every problem is a 400 or 413 naming it.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return aceso.Errorf(aceso.EINVALID, "Content-Type must be application/json")
		}
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case asErr(err, &mbe):
			return aceso.Errorf(aceso.ETOOLARGE, "request body larger than %d bytes", mbe.Limit)
		case err == io.EOF:
			return aceso.Errorf(aceso.EINVALID, "request body is empty; a JSON object is required")
		case asErr(err, &se):
			return aceso.Errorf(aceso.EINVALID, "malformed JSON at byte %d", se.Offset)
		case asErr(err, &te):
			return aceso.Errorf(aceso.EINVALID, "field %q must be %s", te.Field, te.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			return aceso.Errorf(aceso.EINVALID, "%s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return aceso.Errorf(aceso.EINVALID, "malformed JSON: %v", err)
	}
	if dec.More() {
		return aceso.Errorf(aceso.EINVALID, "request body must hold exactly one JSON object")
	}
	return nil
}

// pathID parses a numeric path value; anything else is not found.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, aceso.Errorf(aceso.ENOTFOUND, "%s %q not found", name, r.PathValue(name))
	}
	return id, nil
}

// formValue reads a trimmed form field; ParseForm errors (body too large) surface as 413.
func formValue(r *http.Request, name string) (string, error) {
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if asErr(err, &mbe) {
			return "", aceso.Errorf(aceso.ETOOLARGE, "form larger than %d bytes", mbe.Limit)
		}
		return "", aceso.Wrap(aceso.EINVALID, err, "malformed form: %v", err)
	}
	return strings.TrimSpace(r.PostFormValue(name)), nil
}

func seeOther(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// safeNext keeps redirects after login on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func itoa(id int64) string { return fmt.Sprint(id) }
