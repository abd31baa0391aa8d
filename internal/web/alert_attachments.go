package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
)

// registerAlertAttachmentRoutes adds the files of a CSIRT alert: the
// CSIRT's analysts attach and remove them; whoever may read the alert (the
// store decides, through the alert) lists and downloads them. The file's
// path parameter is {file}, as {attachment} names an incident's file.
func (s *Server) registerAlertAttachmentRoutes() {
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	read, analyse := access.ActRead, access.ActAnalyse
	api := func(rt Route, h handlerFunc) { rt.API = true; s.handle(rt, h) }
	const in = "/api/v1/alerts/{alert}/attachments"
	api(Route{Method: get, Path: in, Auth: User, Act: read, Summary: "Files attached to an alert (without content), for whoever may read the alert", Resp: "AlertAttachmentList"}, s.apiAlertAttachments)
	api(Route{Method: post, Path: in, Auth: User, Act: analyse, MaxBody: attachmentBody,
		Summary: "CSIRT: attach a file to an alert (multipart/form-data, field \"file\"; pdf, png, jpeg, txt, log, csv, json, eml, zip, pcap; at most 20 MiB, 200 MiB per alert); it carries the alert's TLP",
		Resp:    "AlertAttachment"}, s.apiAlertAttachmentAdd)
	api(Route{Method: get, Path: in + "/{file}", Auth: User, Act: read, Summary: "Download an alert's file (always as an attachment, sandboxed)"}, s.alertAttachmentDownload)
	api(Route{Method: del, Path: in + "/{file}", Auth: User, Act: analyse, Summary: "CSIRT: remove a file from an alert"}, s.apiAlertAttachmentDelete)

	const pg = "/alerts/{alert}/attachments"
	s.handle(Route{Method: post, Path: pg, Auth: User, Act: analyse, MaxBody: attachmentBody}, s.alertAttachmentAdd)
	s.handle(Route{Method: get, Path: pg + "/{file}", Auth: User, Act: read}, s.alertAttachmentDownload)
	s.handle(Route{Method: post, Path: pg + "/{file}/delete", Auth: User, Act: analyse}, s.alertAttachmentDelete)
}

func init() {
	idParams["file"] = true
	schemas["AlertAttachment"] = obj(nil, map[string]any{"id": integer, "alert_id": integer, "name": str, "content_type": str,
		"size": integer, "sha256": str, "uploaded_by": str, "created_at": when})
	schemas["AlertAttachmentList"] = obj(nil, map[string]any{"attachments": arr(ref("AlertAttachment"))})
}

// alertFilesView is the "alert_files" section of the alert page.
type alertFilesView struct {
	AlertID int64
	TLP     share.TLP
	List    []store.AlertAttachment
	CanEdit bool // the CSIRT's analysts: upload and remove
}

// alertFiles loads the files section of alert a's page for p.
func (s *Server) alertFiles(ctx context.Context, p access.Principal, a store.Alert) (alertFilesView, error) {
	list, err := s.db.AlertAttachments(ctx, p, a.ID)
	if err != nil {
		return alertFilesView{}, err
	}
	edit := store.CanPublishAlerts(p) == nil && (p.IsSystem() || p.OrgID == a.OrgID)
	return alertFilesView{AlertID: a.ID, TLP: a.TLP, List: list, CanEdit: edit}, nil
}

// addAlertAttachment checks the caller may attach before reading the
// upload, so that a member never makes the server parse a file.
func (s *Server) addAlertAttachment(r *http.Request, p access.Principal) (store.AlertAttachment, error) {
	id, err := pathID(r, "alert")
	if err != nil {
		return store.AlertAttachment{}, err
	}
	if err := store.CanPublishAlerts(p); err != nil {
		return store.AlertAttachment{}, err
	}
	name, data, err := readAttachment(r)
	if err != nil {
		return store.AlertAttachment{}, err
	}
	var a store.AlertAttachment
	err = s.db.InTx(r.Context(), func(tx *store.Tx) error {
		var err error
		a, err = tx.AddAlertAttachment(r.Context(), p, id, name, data)
		return err
	})
	return a, err
}

func (s *Server) apiAlertAttachments(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "alert")
	if err != nil {
		return err
	}
	list, err := s.db.AlertAttachments(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"attachments": list})
	return nil
}

func (s *Server) apiAlertAttachmentAdd(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	a, err := s.addAlertAttachment(r, p)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/alerts/%d/attachments/%d", a.AlertID, a.ID))
	writeJSON(w, http.StatusCreated, a)
	return nil
}

// alertAttachmentDownload serves an alert's file like an incident's:
// always a download, sandboxed (see writeDownload).
func (s *Server) alertAttachmentDownload(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	alertID, err := pathID(r, "alert")
	if err != nil {
		return err
	}
	id, err := pathID(r, "file")
	if err != nil {
		return err
	}
	a, data, err := s.db.AlertAttachmentContent(r.Context(), p, alertID, id)
	if err != nil {
		return err
	}
	return writeDownload(w, a.Name, a.ContentType, a.SHA256, data)
}

func (s *Server) deleteAlertAttachment(r *http.Request, p access.Principal) (int64, error) {
	alertID, err := pathID(r, "alert")
	if err != nil {
		return 0, err
	}
	id, err := pathID(r, "file")
	if err != nil {
		return 0, err
	}
	return alertID, s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.DeleteAlertAttachment(r.Context(), p, alertID, id) })
}

func (s *Server) apiAlertAttachmentDelete(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if _, err := s.deleteAlertAttachment(r, p); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) alertAttachmentAdd(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	a, err := s.addAlertAttachment(r, p)
	switch c := aceso.ErrorCode(err); c {
	case "":
	case aceso.EINVALID, aceso.ETOOLARGE:
		return s.renderAlert(w, r, p, statusOf[c], aceso.ErrorMessage(err), "")
	default:
		return err
	}
	return seeOther(w, r, fmt.Sprintf("/alerts/%d?flash=%s#h-alert-files", a.AlertID, url.QueryEscape("Attached "+a.Name+" (SHA-256 "+a.SHA256+")")))
}

func (s *Server) alertAttachmentDelete(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	alertID, err := s.deleteAlertAttachment(r, p)
	if err != nil {
		return err
	}
	return seeOther(w, r, fmt.Sprintf("/alerts/%d?flash=%s#h-alert-files", alertID, url.QueryEscape("File removed")))
}
