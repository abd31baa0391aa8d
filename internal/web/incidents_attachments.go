package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
)

// attachmentBody is the request limit of an attachment upload: one file of
// store.MaxAttachmentSize plus the multipart envelope and form fields.
const attachmentBody = store.MaxAttachmentSize + 64<<10

// registerIncidentAttachmentRoutes adds the files of an incident: upload
// (reporters), list and download (viewers), delete (reporters), in the API
// and on the incident page.
func (s *Server) registerIncidentAttachmentRoutes() {
	get, post, del := http.MethodGet, http.MethodPost, http.MethodDelete
	read, write := access.ActRead, access.ActWrite
	api := func(rt Route, h handlerFunc) { rt.API = true; s.handle(rt, h) }
	const in = "/api/v1/incidents/{incident}/attachments"
	api(Route{Method: get, Path: in, Auth: User, Act: read, Summary: "Files attached to an incident (without content)", Resp: "AttachmentList"}, s.apiAttachments)
	api(Route{Method: post, Path: in, Auth: User, Act: write, MaxBody: attachmentBody,
		Summary: "Attach a file (multipart/form-data, field \"file\"; pdf, png, jpeg, txt, log, csv, json, eml, zip, pcap; at most 20 MiB, 200 MiB per incident)",
		Resp:    "Attachment"}, s.apiAttachmentAdd)
	api(Route{Method: get, Path: in + "/{attachment}", Auth: User, Act: read, Summary: "Download a file (always as an attachment, sandboxed)"}, s.attachmentDownload)
	api(Route{Method: del, Path: in + "/{attachment}", Auth: User, Act: write, Summary: "Remove a file from an incident"}, s.apiAttachmentDelete)

	const pg = "/incidents/{incident}/attachments"
	s.handle(Route{Method: post, Path: pg, Auth: User, Act: write, MaxBody: attachmentBody}, s.incidentAttachmentAdd)
	s.handle(Route{Method: get, Path: pg + "/{attachment}", Auth: User, Act: read}, s.attachmentDownload)
	s.handle(Route{Method: post, Path: pg + "/{attachment}/delete", Auth: User, Act: write}, s.incidentAttachmentDelete)
}

func init() {
	schemas["Attachment"] = obj(nil, map[string]any{"id": integer, "incident_id": integer, "name": str, "content_type": str,
		"size": integer, "sha256": str, "uploaded_by": str, "created_at": when})
	schemas["AttachmentList"] = obj(nil, map[string]any{"attachments": arr(ref("Attachment"))})
}

// readAttachment reads the one file of a multipart upload (field "file").
func readAttachment(r *http.Request) (string, []byte, error) {
	if r.MultipartForm == nil {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var mbe *http.MaxBytesError
			switch {
			case errors.As(err, &mbe):
				return "", nil, aceso.Errorf(aceso.ETOOLARGE, "file larger than %d MiB", store.MaxAttachmentSize>>20)
			case errors.Is(err, http.ErrNotMultipart):
				return "", nil, aceso.Errorf(aceso.EINVALID, "send the file as multipart/form-data in field \"file\"")
			}
			return "", nil, aceso.Errorf(aceso.EINVALID, "malformed upload: %v", err)
		}
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		if errors.Is(err, http.ErrMissingFile) {
			return "", nil, aceso.Errorf(aceso.EINVALID, "file: choose a file to attach (field \"file\")")
		}
		return "", nil, aceso.Errorf(aceso.EINVALID, "file: reading the upload: %v", err)
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, store.MaxAttachmentSize+1))
	if err != nil {
		return "", nil, fmt.Errorf("read upload: %w", err)
	}
	return hdr.Filename, data, nil
}

func (s *Server) addAttachment(r *http.Request, p access.Principal) (store.Attachment, error) {
	id, err := pathID(r, "incident")
	if err != nil {
		return store.Attachment{}, err
	}
	name, data, err := readAttachment(r)
	if err != nil {
		return store.Attachment{}, err
	}
	var a store.Attachment
	err = s.db.InTx(r.Context(), func(tx *store.Tx) error {
		var err error
		a, err = tx.AddAttachment(r.Context(), p, id, name, data)
		return err
	})
	return a, err
}

func (s *Server) apiAttachments(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	id, err := pathID(r, "incident")
	if err != nil {
		return err
	}
	list, err := s.db.Attachments(r.Context(), p, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"attachments": list})
	return nil
}

func (s *Server) apiAttachmentAdd(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	a, err := s.addAttachment(r, p)
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/incidents/%d/attachments/%d", a.IncidentID, a.ID))
	writeJSON(w, http.StatusCreated, a)
	return nil
}

// attachmentDownload serves a file so that no browser renders or runs it:
// always a download, the type fixed by the server, and a sandbox CSP in
// case a browser opens it anyway.
func (s *Server) attachmentDownload(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	incidentID, err := pathID(r, "incident")
	if err != nil {
		return err
	}
	id, err := pathID(r, "attachment")
	if err != nil {
		return err
	}
	a, data, err := s.db.AttachmentContent(r.Context(), p, incidentID, id)
	if err != nil {
		return err
	}
	return writeDownload(w, a.Name, a.ContentType, a.SHA256, data)
}

// writeDownload sends a stored file (of an incident or an alert) the one
// safe way: as a download of a type the server fixed, sandboxed, uncached.
func writeDownload(w http.ResponseWriter, name, contentType, sha256 string, data []byte) error {
	h := w.Header()
	h.Set("Content-Type", downloadType(contentType))
	h.Set("Content-Disposition", contentDisposition(name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", fmt.Sprint(len(data)))
	h.Set("X-Checksum-Sha256", sha256)
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(data)
	return err
}

// downloadType keeps the sniffed type only when it is one of the safe
// types the store accepts; anything else is an octet stream.
func downloadType(ct string) string {
	switch ct {
	case "application/pdf", "image/png", "image/jpeg", "text/plain", "text/plain; charset=utf-8", "application/zip", "application/vnd.tcpdump.pcap":
		return ct
	}
	return "application/octet-stream"
}

// contentDisposition builds an RFC 6266 attachment header: an ASCII
// fallback name (quotes, backslashes and non-ASCII replaced) and the exact
// name percent-encoded in filename*.
func contentDisposition(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == ';' {
			return '_'
		}
		return r
	}, name)
	var enc strings.Builder
	for _, b := range []byte(name) {
		// RFC 5987 attr-char; everything else is percent-encoded.
		if 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0 {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, enc.String())
}

func (s *Server) deleteAttachment(r *http.Request, p access.Principal) (int64, error) {
	incidentID, err := pathID(r, "incident")
	if err != nil {
		return 0, err
	}
	id, err := pathID(r, "attachment")
	if err != nil {
		return 0, err
	}
	return incidentID, s.db.InTx(r.Context(), func(tx *store.Tx) error { return tx.DeleteAttachment(r.Context(), p, incidentID, id) })
}

func (s *Server) apiAttachmentDelete(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if _, err := s.deleteAttachment(r, p); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) incidentAttachmentAdd(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	a, err := s.addAttachment(r, p)
	switch c := aceso.ErrorCode(err); c {
	case "":
	case aceso.EINVALID, aceso.ETOOLARGE:
		return s.renderIncident(w, r, p, aceso.ErrorMessage(err), statusOf[c])
	default:
		return err
	}
	return seeOther(w, r, fmt.Sprintf("/incidents/%d?flash=%s#h-files", a.IncidentID, url.QueryEscape("Attached "+a.Name+" (SHA-256 "+a.SHA256+")")))
}

func (s *Server) incidentAttachmentDelete(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	incidentID, err := s.deleteAttachment(r, p)
	if err != nil {
		return err
	}
	return seeOther(w, r, fmt.Sprintf("/incidents/%d?flash=%s#h-files", incidentID, url.QueryEscape("File removed")))
}
