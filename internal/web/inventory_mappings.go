package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/store"
)

// registerMappingRoutes adds saved column mappings, the manufacturer alias
// table and the preview's column remapping.
func (s *Server) registerMappingRoutes() {
	get, post := http.MethodGet, http.MethodPost
	read, write, orgs := access.ActRead, access.ActWrite, access.ActManageOrgs
	api := func(rt Route, h handlerFunc) { rt.API = true; s.handle(rt, h) }

	api(Route{Method: get, Path: "/api/v1/import-mappings", Auth: User, Act: read, Resp: "ImportMappingList",
		Summary: "Saved column mappings of the caller's organisation's CMMS exports"}, s.apiMappings)
	api(Route{Method: post, Path: "/api/v1/import-mappings", Auth: User, Act: write, Body: "ImportMapping", Resp: "ImportMapping",
		Summary: "Save (or replace) a named column mapping: header → device field (\"\" keeps the column as an extra)"}, s.apiMappingSave)
	api(Route{Method: get, Path: "/api/v1/manufacturer-aliases", Auth: User, Act: read, Resp: "ManufacturerAliasList",
		Summary: "Manufacturer aliases the CSIRT added to the built-in table (shared by the sector)"}, s.apiAliases)
	api(Route{Method: post, Path: "/api/v1/manufacturer-aliases", Auth: User, Act: orgs, Body: "ManufacturerAliasCreate", Resp: "ManufacturerAliasList",
		Summary: "Add a manufacturer alias (CSIRT administrators); devices pick it up when next saved or imported"}, s.apiAliasAdd)

	s.handle(Route{Method: post, Path: "/inventory/import/remap", Auth: User, Act: write}, s.importRemap)
	s.handle(Route{Method: get, Path: "/inventory/aliases", Auth: User, Act: read}, s.aliasesPage)
	s.handle(Route{Method: post, Path: "/inventory/aliases", Auth: User, Act: orgs}, s.aliasAddForm)
}

func init() {
	mapping := obj([]string{"name", "mapping"}, map[string]any{"name": str, "updated_at": when,
		"mapping": map[string]any{"type": "object", "additionalProperties": str}})
	schemas["ImportMapping"] = mapping
	schemas["ImportMappingList"] = obj(nil, map[string]any{"mappings": arr(ref("ImportMapping"))})
	schemas["ManufacturerAliasCreate"] = obj([]string{"canonical", "alias"}, map[string]any{"canonical": str, "alias": str})
	schemas["ManufacturerAliasList"] = obj(nil, map[string]any{"aliases": arr(obj(nil, map[string]any{
		"id": integer, "canonical": str, "alias": str, "created_at": when}))})
}

func (s *Server) apiMappings(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	ms, err := s.db.ImportMappings(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"mappings": ms})
	return nil
}

func (s *Server) apiMappingSave(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var in struct {
		Name    string            `json:"name"`
		Mapping map[string]string `json:"mapping"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if len(in.Mapping) == 0 {
		return aceso.Errorf(aceso.EINVALID, "mapping: give at least one column (header → field)")
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.SaveImportMapping(r.Context(), p, in.Name, in.Mapping) }); err != nil {
		return err
	}
	m, err := s.db.ImportMapping(r.Context(), p, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, store.SavedMapping{Name: strings.TrimSpace(in.Name), Mapping: m, UpdatedAt: s.now()})
	return nil
}

func (s *Server) apiAliases(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	as, err := s.db.ListManufacturerAliases(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"aliases": as})
	return nil
}

func (s *Server) apiAliasAdd(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var in struct{ Canonical, Alias string }
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.AddManufacturerAlias(r.Context(), p, in.Canonical, in.Alias) }); err != nil {
		return err
	}
	as, err := s.db.ListManufacturerAliases(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"aliases": as})
	return nil
}

// aliasView is the data of the alias page.
type aliasView struct {
	Aliases   []store.ManufacturerAlias
	Canonical string
	Alias     string
}

func (s *Server) renderAliases(w http.ResponseWriter, r *http.Request, p access.Principal, v aliasView, flash, msg string, status int) error {
	as, err := s.db.ListManufacturerAliases(r.Context(), p)
	if err != nil {
		return err
	}
	v.Aliases = as
	w.WriteHeader(status)
	s.render(w, r, "inventory-aliases", page{Title: "Manufacturer aliases", Nav: "inventory", Flash: flash, Error: msg, Data: v})
	return nil
}

func (s *Server) aliasesPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.renderAliases(w, r, p, aliasView{}, r.URL.Query().Get("flash"), "", http.StatusOK)
}

func (s *Server) aliasAddForm(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	canonical, err := formValue(r, "canonical")
	if err != nil {
		return err
	}
	alias := strings.TrimSpace(r.PostFormValue("alias"))
	err = s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.AddManufacturerAlias(r.Context(), p, canonical, alias) })
	switch c := aceso.ErrorCode(err); {
	case err == nil:
		return seeOther(w, r, "/inventory/aliases?flash="+url.QueryEscape("Alias "+alias+" → "+canonical+" added"))
	case c == aceso.EINVALID || c == aceso.ECONFLICT:
		return s.renderAliases(w, r, p, aliasView{Canonical: canonical, Alias: alias}, "", aceso.ErrorMessage(err), statusOf[c])
	}
	return err
}

// formColumns reads the preview's column selects: repeated "header" and
// "field" values, pair by pair. No pairs means the form chose nothing (nil).
func formColumns(r *http.Request) (map[string]string, error) {
	if _, err := formValue(r, "upload"); err != nil {
		return nil, err
	}
	hs, fs := r.PostForm["header"], r.PostForm["field"]
	if len(hs) == 0 && len(fs) == 0 {
		return nil, nil
	}
	if len(hs) != len(fs) || len(hs) > 500 {
		return nil, aceso.Errorf(aceso.EINVALID, "the column form is damaged (%d headers, %d fields); upload the file again", len(hs), len(fs))
	}
	fields := inventory.Fields()
	m := make(map[string]string, len(hs))
	for i, h := range hs {
		f := strings.TrimSpace(fs[i])
		if f != "" && !slices.Contains(fields, f) {
			return nil, aceso.Errorf(aceso.EINVALID, "column %q: %q is not a device field", h, f)
		}
		if strings.TrimSpace(h) == "" {
			continue // an unnamed column cannot be mapped by name; it stays an extra
		}
		m[h] = f
	}
	return m, nil
}

// importRemap shows the preview again with the columns the user chose,
// and saves them as a named mapping when asked to.
func (s *Server) importRemap(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := formValue(r, "upload")
	if err != nil {
		return err
	}
	if id == "" {
		return s.importFormError(w, r, p, aceso.Errorf(aceso.EINVALID, "nothing to preview: upload a file first"))
	}
	name, data, err := s.db.ImportUpload(r.Context(), p, id)
	if err != nil {
		return s.importFormError(w, r, p, err)
	}
	f := importFile{name: name, data: data, validOnly: r.PostFormValue("mode") == "valid"}
	if f.columns, err = formColumns(r); err != nil {
		return s.importFormError(w, r, p, err)
	}
	flash := ""
	if saveAs := strings.TrimSpace(r.PostFormValue("save_as")); saveAs != "" && f.columns != nil {
		if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.SaveImportMapping(r.Context(), p, saveAs, f.columns) }); err != nil {
			return s.importFormError(w, r, p, err)
		}
		f.mapping, flash = saveAs, "Column mapping saved as “"+saveAs+"”; choose it on your next import."
	}
	res, err := s.parseInventory(r, p, f)
	if err != nil {
		return s.importFormError(w, r, p, err)
	}
	rep, err := s.runImport(r, p, f, res, true, nil)
	if err != nil && aceso.ErrorCode(err) != aceso.EINVALID {
		return err
	}
	msg := ""
	if err != nil {
		msg = aceso.ErrorMessage(err) + "."
	}
	s.render(w, r, "inventory-preview", page{Title: "Import preview: " + name, Nav: "inventory", Flash: flash, Error: msg, Data: newPreview(id, f, rep, res)})
	return nil
}
