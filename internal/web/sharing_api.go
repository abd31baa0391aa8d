package web

import (
	"net/http"
	"net/url"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
)

// registerSharingAPIRoutes exposes, under /api/v1, what an organisation
// shares (observables of its incidents, under a TLP label) and the intel
// it imported, so the feeds and TAXII collections can be fed and checked
// from scripts.
func (s *Server) registerSharingAPIRoutes() {
	api := func(rt Route, h handlerFunc) { rt.API = true; s.handle(rt, h) }
	api(Route{Method: http.MethodPost, Path: "/api/v1/incidents/{incident}/shared-observables", Auth: User, Act: access.ActWrite,
		Summary: "Share an observable recorded on the incident under a TLP label (not RED; AMBER+STRICT names addressed_org); it then appears on the feeds and TAXII collections that label allows",
		Body:    "ObservableShare", Resp: "SharedObservable"}, s.apiShareObservable)
	api(Route{Method: http.MethodGet, Path: "/api/v1/shared-observables", Auth: User, Act: access.ActRead,
		Summary: "Observables the caller's organisation shares", Resp: "SharedObservableList"}, s.apiSharedObservables)
	s.handle(Route{Method: http.MethodPost, Path: "/incidents/{incident}/observables/share", Auth: User, Act: access.ActWrite}, s.shareObservableForm)
	api(Route{Method: http.MethodGet, Path: "/api/v1/intel", Auth: User, Act: access.ActRead,
		Summary: "Intelligence the caller's organisation imported (MISP, TAXII), newest first (?limit=N, at most 1000)", Resp: "IntelList"}, s.apiIntel)
}

func init() {
	tlp := map[string]any{"type": "string", "enum": []string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT"}}
	schemas["ObservableShare"] = obj([]string{"kind", "value", "tlp"}, map[string]any{"kind": str, "value": str, "tlp": tlp, "addressed_org": integer})
	schemas["SharedObservable"] = obj(nil, map[string]any{"id": integer, "org_id": integer, "incident_id": integer, "kind": str, "value": str,
		"tlp": str, "addressed_org": integer, "shared_by": str, "shared_at": when})
	schemas["SharedObservableList"] = obj(nil, map[string]any{"shared_observables": arr(ref("SharedObservable"))})
	schemas["Intel"] = obj(nil, map[string]any{"id": integer, "org_id": integer, "format": str, "source": str, "collection": str,
		"object_id": str, "object_type": str, "version": when, "spec_version": str, "tlp": str, "body": map[string]any{"type": "object"}, "date_added": when})
	schemas["IntelList"] = obj(nil, map[string]any{"intel": arr(ref("Intel"))})
}

func (s *Server) apiShareObservable(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "incident")
	if err != nil {
		return err
	}
	var in struct {
		Kind         string `json:"kind"`
		Value        string `json:"value"`
		TLP          string `json:"tlp"`
		AddressedOrg int64  `json:"addressed_org"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	label, err := share.ParseTLP(in.TLP)
	if err != nil {
		return aceso.Errorf(aceso.EINVALID, "tlp: %s", aceso.ErrorMessage(err))
	}
	var out store.SharedObservable
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error {
		var err error
		out, err = tx.ShareObservable(r.Context(), p, id, in.Kind, in.Value, label, in.AddressedOrg)
		return err
	}); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) apiSharedObservables(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	list, err := s.db.SharedObservables(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"shared_observables": nonNil(list)})
	return nil
}

func (s *Server) apiIntel(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	limit := 100
	if err := queryNumber(r.URL.Query(), "limit", 1, 1000, &limit); err != nil {
		return err
	}
	list, err := s.db.IntelList(r.Context(), p, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"intel": nonNil(list)})
	return nil
}

// shareObservableForm shares one observable from the incident page.
func (s *Server) shareObservableForm(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "incident")
	if err != nil {
		return err
	}
	kind, err := formValue(r, "kind")
	if err != nil {
		return err
	}
	label, err := share.ParseTLP(r.PostFormValue("tlp"))
	if err != nil {
		return aceso.Errorf(aceso.EINVALID, "tlp: %s", aceso.ErrorMessage(err))
	}
	if err := s.db.InTx(r.Context(), func(tx *store.Tx) error {
		_, err := tx.ShareObservable(r.Context(), p, id, kind, r.PostFormValue("value"), label, 0)
		return err
	}); err != nil {
		if c := aceso.ErrorCode(err); c == aceso.EINVALID || c == aceso.ECONFLICT {
			return s.renderIncident(w, r, p, aceso.ErrorMessage(err), statusOf[c])
		}
		return err
	}
	return seeOther(w, r, "/incidents/"+itoa(id)+"?flash="+url.QueryEscape("Observable shared under "+label.String()))
}

// sharedOf maps the incident's shared observables ("kind|value") to their label.
func (s *Server) sharedOf(r *http.Request, p access.Principal, incidentID int64) (map[string]string, error) {
	list, err := s.db.SharedObservables(r.Context(), p)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, o := range list {
		if o.IncidentID == incidentID {
			out[o.Kind+"|"+o.Value] = o.TLP.String()
		}
	}
	return out, nil
}
