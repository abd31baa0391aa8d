package web

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/store"
)

// registerSBOMRoutes adds CycloneDX SBOMs attached to device models.
func (s *Server) registerSBOMRoutes() {
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	read, write := access.ActRead, access.ActWrite
	api := func(rt Route, h handlerFunc) { rt.API = true; s.handle(rt, h) }

	api(Route{Method: get, Path: "/api/v1/sboms", Auth: User, Act: read, Resp: "SBOMList", Summary: "SBOMs attached to the organisation's device models"}, s.apiSBOMs)
	api(Route{Method: post, Path: "/api/v1/sboms", Auth: User, Act: write, MaxBody: uploadLimit, Resp: "SBOM",
		Summary: "Attach a CycloneDX SBOM (JSON or XML) to a device model: multipart/form-data field \"file\"; manufacturer, model, version name the model (default: the SBOM's metadata.component and manufacturer; version \"\" covers every version without an SBOM of its own). Replaces the model's SBOM."}, s.apiSBOMUpload)
	api(Route{Method: get, Path: "/api/v1/sboms/{sbom}", Auth: User, Act: read, Resp: "SBOMWithComponents", Summary: "One SBOM with its components"}, s.apiSBOM)
	api(Route{Method: del, Path: "/api/v1/sboms/{sbom}", Auth: User, Act: write, Summary: "Remove an SBOM"}, s.apiSBOMDelete)

	s.handle(Route{Method: get, Path: "/sboms", Auth: User, Act: read}, s.sbomsPage)
	s.handle(Route{Method: post, Path: "/sboms", Auth: User, Act: write, MaxBody: uploadLimit}, s.sbomUploadForm)
	s.handle(Route{Method: get, Path: "/sboms/{sbom}", Auth: User, Act: read}, s.sbomPage)
	s.handle(Route{Method: post, Path: "/sboms/{sbom}/delete", Auth: User, Act: write}, s.sbomDeleteForm)
}

// component is the JSON shape of an SBOM component.
type component struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	PURL    string `json:"purl,omitempty"`
	CPE     string `json:"cpe,omitempty"`
	Type    string `json:"type,omitempty"`
}

func components(cs []inventory.Component) []component {
	out := make([]component, len(cs))
	for i, c := range cs {
		out[i] = component{Name: c.Name, Version: c.Version, PURL: c.PURL, CPE: c.CPE, Type: c.Type}
	}
	return out
}

func init() {
	idParams["sbom"] = true
	sbom := obj(nil, map[string]any{"id": integer, "org_id": integer, "manufacturer": str, "manufacturer_normalised": str,
		"model": str, "version": str, "format": str, "spec": str, "serial": str, "doc_version": integer, "file_name": str,
		"component_count": integer, "uploaded_by": str, "uploaded_at": when})
	schemas["SBOM"] = sbom
	schemas["SBOMList"] = obj(nil, map[string]any{"sboms": arr(ref("SBOM"))})
	schemas["SBOMWithComponents"] = obj(nil, map[string]any{"sbom": ref("SBOM"), "components": arr(obj([]string{"name"},
		map[string]any{"name": str, "version": str, "purl": str, "cpe": str, "type": str}))})
}

// sbomUpload reads a multipart SBOM upload and names the model it belongs
// to: the form's manufacturer/model/version, else the SBOM's own metadata.
func sbomUpload(r *http.Request) (store.SBOM, []inventory.Component, error) {
	var sb store.SBOM
	f, err := readUpload(r)
	if err != nil {
		return sb, nil, err
	}
	meta, comps, err := inventory.ReadSBOM(bytes.NewReader(f.data))
	if err != nil {
		msg := aceso.ErrorMessage(err)
		if aceso.ErrorCode(err) == aceso.EINTERNAL {
			msg = err.Error() // a decoder's syntax error: about the file, safe to show
		}
		return sb, nil, aceso.Wrap(aceso.EINVALID, err, "%s: not a readable CycloneDX SBOM: %s", f.name, msg)
	}
	sb = store.SBOM{Manufacturer: r.FormValue("manufacturer"), Model: r.FormValue("model"), Version: r.FormValue("version"),
		Format: meta.Format, Spec: meta.SpecVersion, Serial: meta.SerialNumber, DocVersion: meta.Version, FileName: f.name}
	if strings.TrimSpace(sb.Manufacturer) == "" {
		sb.Manufacturer = meta.Manufacturer
	}
	if strings.TrimSpace(sb.Model) == "" {
		sb.Model = meta.Subject.Name
		if !r.Form.Has("version") {
			sb.Version = meta.Subject.Version
		}
	}
	return sb, comps, nil
}

func (s *Server) saveSBOM(r *http.Request, p access.Principal) (store.SBOM, error) {
	sb, comps, err := sbomUpload(r)
	if err != nil {
		return sb, err
	}
	err = s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.SaveSBOM(r.Context(), p, &sb, comps) })
	return sb, err
}

func (s *Server) apiSBOMs(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	list, err := s.db.ListSBOMs(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"sboms": list})
	return nil
}

func (s *Server) apiSBOMUpload(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	sb, err := s.saveSBOM(r, p)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/sboms/"+itoa(sb.ID))
	writeJSON(w, http.StatusCreated, sb)
	return nil
}

func (s *Server) apiSBOM(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "sbom")
	if err != nil {
		return err
	}
	sb, comps, err := s.db.SBOM(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"sbom": sb, "components": components(comps)})
	return nil
}

func (s *Server) apiSBOMDelete(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "sbom")
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.DeleteSBOM(r.Context(), p, id) }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// sbomListView is the data of the SBOM list page.
type sbomListView struct {
	SBOMs []store.SBOM
}

func (s *Server) renderSBOMs(w http.ResponseWriter, r *http.Request, p access.Principal, msg string, status int) error {
	list, err := s.db.ListSBOMs(r.Context(), p)
	if err != nil {
		return err
	}
	w.WriteHeader(status)
	s.render(w, r, "inventory-sboms", page{Title: "SBOMs of device models", Nav: "inventory", Flash: r.URL.Query().Get("flash"), Error: msg, Data: sbomListView{SBOMs: list}})
	return nil
}

func (s *Server) sbomsPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	return s.renderSBOMs(w, r, p, "", http.StatusOK)
}

// sbomUploadForm attaches an SBOM from the list page or a device page; a
// device page's form names the device (its id only) to return to it.
func (s *Server) sbomUploadForm(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	sb, err := s.saveSBOM(r, p)
	if err != nil {
		switch c := aceso.ErrorCode(err); c {
		case aceso.EINVALID, aceso.ETOOLARGE:
			return s.renderSBOMs(w, r, p, aceso.ErrorMessage(err), statusOf[c])
		}
		return err
	}
	flash := url.QueryEscape("SBOM " + sb.FileName + " attached to " + sb.ManufacturerNorm + " " + sb.Model + " (" + strconv.Itoa(sb.Components) + " components)")
	if dev, err := strconv.ParseInt(r.FormValue("device"), 10, 64); err == nil && dev > 0 {
		return seeOther(w, r, "/inventory/"+itoa(dev)+"?flash="+flash)
	}
	return seeOther(w, r, "/sboms/"+itoa(sb.ID)+"?flash="+flash)
}

// sbomView is the data of one SBOM's page.
type sbomView struct {
	SBOM       store.SBOM
	Components []inventory.Component
}

func (s *Server) sbomPage(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "sbom")
	if err != nil {
		return err
	}
	sb, comps, err := s.db.SBOM(r.Context(), p, id)
	if err != nil {
		return err
	}
	s.render(w, r, "inventory-sbom", page{Title: "SBOM: " + sb.ManufacturerNorm + " " + sb.Model, Nav: "inventory", Flash: r.URL.Query().Get("flash"), Data: sbomView{SBOM: sb, Components: comps}})
	return nil
}

func (s *Server) sbomDeleteForm(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "sbom")
	if err != nil {
		return err
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.DeleteSBOM(r.Context(), p, id) }); err != nil {
		return err
	}
	return seeOther(w, r, "/sboms?flash="+url.QueryEscape("SBOM removed"))
}
