package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// TestCSIRTIncidentFiles: the CSIRT lists and downloads, read-only, the
// files of an incident a member shared with it (the seeded incidents are
// significant, so shared through NIS2), on the page and in the API; an
// unshared incident's files stay the member's; a member cannot use the
// CSIRT's path.
func TestCSIRTIncidentFiles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		cert := w.token(w.csirtAdmin.user, &access.APIToken{Name: "cert", Role: access.RoleViewer})
		id, file := itoa(w.ownA["incident"]), itoa(w.ownA["attachment"])
		api := "/api/v1/csirt/incidents/" + id + "/attachments"

		r := w.do(req{method: http.MethodGet, path: api, token: cert})
		list := decode[struct {
			Attachments []store.Attachment `json:"attachments"`
		}](t, r)
		if r.status != http.StatusOK || len(list.Attachments) != 1 || itoa(list.Attachments[0].ID) != file || list.Attachments[0].Name != "Anna_incident.txt" {
			t.Fatalf("CSIRT list %+v", list)
		}
		for _, path := range []string{api + "/" + file, "/csirt/incidents/" + id + "/attachments/" + file} {
			r := req{method: http.MethodGet, path: path, token: cert}
			if !strings.HasPrefix(path, "/api/") {
				r = req{method: http.MethodGet, path: path, as: &w.csirtAdmin}
			}
			d := w.do(r)
			if d.status != http.StatusOK || d.body != "log of Anna incident" {
				t.Fatalf("%s: %d %q", path, d.status, d.body)
			}
			for h, want := range map[string]string{
				"Content-Type":            "text/plain; charset=utf-8",
				"Content-Disposition":     `attachment; filename="Anna_incident.txt"; filename*=UTF-8''Anna_incident.txt`,
				"X-Content-Type-Options":  "nosniff",
				"Content-Security-Policy": "sandbox",
			} {
				if got := d.header.Get(h); got != want {
					t.Errorf("%s %s: %q, want %q", path, h, got, want)
				}
			}
		}
		page := w.do(req{method: http.MethodGet, path: "/csirt/incidents/" + id, as: &w.csirtAdmin})
		if page.status != http.StatusOK || !strings.Contains(page.body, `href="/csirt/incidents/`+id+`/attachments/`+file+`" download>Anna_incident.txt</a>`) {
			t.Fatalf("CSIRT page %d lacks the file", page.status)
		}
		if strings.Contains(page.body, `/attachments/`+file+`/delete`) || strings.Contains(page.body, `enctype="multipart/form-data"`) {
			t.Fatal("the CSIRT's page offers to change the member's files")
		}

		// A member on the CSIRT's path is refused, whosever the incident.
		for _, tok := range []string{w.aToken, w.aViewerToken} {
			if r := w.do(req{method: http.MethodGet, path: api + "/" + file, token: tok}); r.status != http.StatusForbidden || strings.Contains(r.body, "log of") {
				t.Errorf("member on the CSIRT path: %d %s", r.status, r.body)
			}
		}
		// The CSIRT cannot change the files through the member's routes.
		if r := w.do(req{method: http.MethodDelete, path: "/api/v1/incidents/" + id + "/attachments/" + file, as: &w.csirtAdmin}); r.status != http.StatusNotFound {
			t.Errorf("CSIRT deletes a member's file: %d", r.status)
		}

		// An unshared incident's files are not the CSIRT's to read.
		p := access.System
		p.OrgID, p.OrgKind = w.a.ID, w.a.Kind
		var private store.Incident
		var hidden store.Attachment
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			private, err = tx.CreateIncident(ctx, p, &incident.Incident{Title: "Private", AwareAt: time.Now().Add(-time.Hour)}, incident.Assessment{})
			if err == nil {
				hidden, err = tx.AddAttachment(ctx, p, private.ID, "private.txt", []byte("private"))
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if private.SharedWithCSIRT {
			t.Fatal("a minor incident was shared")
		}
		pid := itoa(private.ID)
		for _, path := range []string{"/api/v1/csirt/incidents/" + pid + "/attachments", "/api/v1/csirt/incidents/" + pid + "/attachments/" + itoa(hidden.ID),
			api + "/" + itoa(hidden.ID)} {
			if r := w.do(req{method: http.MethodGet, path: path, token: cert}); r.status != http.StatusNotFound || strings.Contains(r.body, "private.txt") {
				t.Errorf("%s: %d %s", path, r.status, r.body)
			}
		}
	})
}
