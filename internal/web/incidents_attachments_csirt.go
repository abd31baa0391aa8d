package web

import (
	"context"
	"net/http"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
)

// registerCSIRTAttachmentRoutes lets the CSIRT read the files of incidents
// members shared with it: list and download, never change. The store's
// CSIRT read rule (CSIRTIncident) decides; routes build no tenant filter.
func (s *Server) registerCSIRTAttachmentRoutes() {
	get, read := http.MethodGet, access.ActRead
	api := func(rt Route, h handlerFunc) { rt.API = true; s.handle(rt, h) }
	const ci = "/api/v1/csirt/incidents/{incident}/attachments"
	api(Route{Method: get, Path: ci, Auth: User, Act: read, Summary: "CSIRT: files of a shared incident (without content)", Resp: "AttachmentList"}, s.apiCSIRTAttachments)
	api(Route{Method: get, Path: ci + "/{attachment}", Auth: User, Act: read, Summary: "CSIRT: download a file of a shared incident (always as an attachment, sandboxed)"}, s.csirtAttachmentDownload)
	s.handle(Route{Method: get, Path: "/csirt/incidents/{incident}/attachments/{attachment}", Auth: User, Act: read}, s.csirtAttachmentDownload)
}

// {attachment} is a row id (in the OpenAPI document), here and on the
// member's incident routes.
func init() { idParams["attachment"] = true }

// csirtFilesView is the "csirt_incident_files" section of the CSIRT's
// incident page.
type csirtFilesView struct {
	IncidentID int64
	List       []store.Attachment
}

// csirtFiles loads the files section of shared incident id's page for p.
func (s *Server) csirtFiles(ctx context.Context, p access.Principal, id int64) (csirtFilesView, error) {
	list, err := s.db.CSIRTAttachments(ctx, p, id)
	return csirtFilesView{IncidentID: id, List: list}, err
}

func (s *Server) apiCSIRTAttachments(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "incident")
	if err != nil {
		return err
	}
	list, err := s.db.CSIRTAttachments(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"attachments": list})
	return nil
}

func (s *Server) csirtAttachmentDownload(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	incidentID, err := pathID(r, "incident")
	if err != nil {
		return err
	}
	id, err := pathID(r, "attachment")
	if err != nil {
		return err
	}
	a, data, err := s.db.CSIRTAttachmentContent(r.Context(), p, incidentID, id)
	if err != nil {
		return err
	}
	return writeDownload(w, a.Name, a.ContentType, a.SHA256, data)
}
