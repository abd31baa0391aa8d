package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// The route matrix needs a file on A's alert and on B's ({file}; B's name
// carries the marker). The alerts come from alerts_test.go's seeder, which
// runs before this one because seeders run in file-name order; this file's
// name sorts after alerts_test.go for that reason.
func init() {
	seeders = append(seeders, func(w *world) {
		mk := func(alert int64, name string) int64 {
			if alert == 0 {
				w.t.Fatal("alert attachments seeder: no alert seeded yet (alerts_test.go's seeder must run first)")
			}
			var a store.AlertAttachment
			err := w.db.InTx(ctx, func(tx *store.Tx) error {
				var err error
				a, err = tx.AddAlertAttachment(ctx, access.System, alert, name, []byte("indicators for "+name))
				return err
			})
			if err != nil {
				w.t.Fatal(err)
			}
			return a.ID
		}
		w.ownA["file"] = mk(w.ownA["alert"], "anna-iocs.txt")
		w.ofB["file"] = mk(w.ofB["alert"], "nord-"+marker+".txt")
	})
}

func decodeAlertFiles(t *testing.T, r resp) []store.AlertAttachment {
	t.Helper()
	var l struct {
		Attachments []store.AlertAttachment `json:"attachments"`
	}
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &l) != nil {
		t.Fatalf("not a file list (%d): %.400s", r.status, r.body)
	}
	return l.Attachments
}

// TestAlertAttachmentsAPI: the CSIRT attaches a file to an alert; the
// recipient lists and downloads it (a sandboxed download); a member that
// is not a recipient, and a member uploading, are refused.
func TestAlertAttachmentsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		base := "/api/v1/alerts/" + itoa(w.ownA["alert"]) + "/attachments"
		pdf := []byte("%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n")
		r := w.uploadFile(base, &w.csirtAdmin, "", "file", `Hersteller "Pumpe"; 1.pdf`, pdf)
		if r.status != http.StatusCreated {
			t.Fatalf("upload: %d %s", r.status, r.body)
		}
		var a store.AlertAttachment
		if err := json.Unmarshal([]byte(r.body), &a); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(pdf)
		if a.AlertID != w.ownA["alert"] || a.Name != `Hersteller "Pumpe"; 1.pdf` || a.SHA256 != hex.EncodeToString(sum[:]) ||
			a.ContentType != "application/pdf" || a.Size != int64(len(pdf)) || a.UploadedBy != "admin@cert.example" {
			t.Fatalf("uploaded %+v", a)
		}
		if loc := r.header.Get("Location"); loc != base+"/"+itoa(a.ID) {
			t.Fatalf("Location %q", loc)
		}

		// The recipient's viewer: the list (seeded file first), and the download.
		list := decodeAlertFiles(t, w.do(req{method: http.MethodGet, path: base, token: w.aViewerToken}))
		if len(list) != 2 || list[0].ID != w.ownA["file"] || list[1] != a {
			t.Fatalf("list %+v", list)
		}
		d := w.do(req{method: http.MethodGet, path: base + "/" + itoa(a.ID), token: w.aViewerToken})
		if d.status != http.StatusOK || d.body != string(pdf) {
			t.Fatalf("download %d %q", d.status, d.body)
		}
		for h, want := range map[string]string{
			"Content-Type":            "application/pdf",
			"Content-Disposition":     `attachment; filename="Hersteller _Pumpe__ 1.pdf"; filename*=UTF-8''Hersteller%20%22Pumpe%22%3B%201.pdf`,
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "sandbox",
			"Cache-Control":           "private, no-store",
			"X-Checksum-Sha256":       a.SHA256,
		} {
			if got := d.header.Get(h); got != want {
				t.Errorf("%s: %q, want %q", h, got, want)
			}
		}

		// Refusals, with the status a client can act on.
		tests := []struct {
			name, file string
			data       []byte
			as         *actor
			token      string
			status     int
			body       string
		}{
			{"executable", "fix.pdf", []byte("MZ\x90\x00"), &w.csirtAdmin, "", http.StatusBadRequest, `file \"fix.pdf\": content is an executable`},
			{"html", "notes.txt", []byte("<html><script>alert(1)</script>"), &w.csirtAdmin, "", http.StatusBadRequest, "does not match"},
			{"member admin", "ok.txt", []byte("ok"), nil, w.aToken, http.StatusForbidden, "only the CSIRT"},
			{"member viewer", "ok.txt", []byte("ok"), nil, w.aViewerToken, http.StatusForbidden, ""},
			{"anonymous", "ok.txt", []byte("ok"), nil, "", http.StatusUnauthorized, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := w.uploadFile(base, tt.as, tt.token, "file", tt.file, tt.data)
				if r.status != tt.status || !strings.Contains(r.body, tt.body) {
					t.Fatalf("%d %s; want %d with %q", r.status, r.body, tt.status, tt.body)
				}
			})
		}
		// B is not a recipient of A's alert: not found, and nothing of it shows.
		for _, path := range []string{base, base + "/" + itoa(a.ID)} {
			if r := w.do(req{method: http.MethodGet, path: path, as: &w.bAdmin}); r.status != http.StatusNotFound || strings.Contains(r.body, "Pumpe") {
				t.Errorf("B reads %s: %d %s", path, r.status, r.body)
			}
		}
		// A's file through B's alert: not found either way round.
		if r := w.do(req{method: http.MethodGet, path: "/api/v1/alerts/" + itoa(w.ofB["alert"]) + "/attachments/" + itoa(a.ID), as: &w.bAdmin}); r.status != http.StatusNotFound {
			t.Errorf("A's file through B's alert: %d", r.status)
		}

		if r := w.do(req{method: http.MethodDelete, path: base + "/" + itoa(a.ID), token: w.aToken}); r.status != http.StatusForbidden {
			t.Fatalf("member deletes: %d %s", r.status, r.body)
		}
		if r := w.do(req{method: http.MethodDelete, path: base + "/" + itoa(a.ID), as: &w.csirtAdmin}); r.status != http.StatusNoContent {
			t.Fatalf("delete %d %s", r.status, r.body)
		}
		if r := w.do(req{method: http.MethodGet, path: base + "/" + itoa(a.ID), token: w.aViewerToken}); r.status != http.StatusNotFound {
			t.Fatalf("after delete %d", r.status)
		}
	})
}

// TestAlertFilesPage: the alert page lists the files with download links
// for its readers; only the CSIRT's analysts get the upload form and the
// remove buttons; a refused file re-renders the page with the reason.
func TestAlertFilesPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		id := itoa(w.ownA["alert"])
		page := "/alerts/" + id
		form := `action="/alerts/` + id + `/attachments"`
		link := `href="/alerts/` + id + `/attachments/` + itoa(w.ownA["file"]) + `" download>anna-iocs.txt</a>`
		member := w.do(req{method: http.MethodGet, path: page, as: &w.aViewer})
		if member.status != http.StatusOK || !strings.Contains(member.body, link) || !strings.Contains(member.body, "The files carry the alert's label, TLP:AMBER.") {
			t.Fatalf("member's page %d lacks the file: %.2000s", member.status, member.body)
		}
		if strings.Contains(member.body, form) || strings.Contains(member.body, "/delete") {
			t.Fatal("a member sees the upload form or a remove button")
		}
		csirt := w.do(req{method: http.MethodGet, path: page, as: &w.csirtAdmin})
		if csirt.status != http.StatusOK || !strings.Contains(csirt.body, link) || !strings.Contains(csirt.body, form) ||
			!strings.Contains(csirt.body, `enctype="multipart/form-data"`) || !strings.Contains(csirt.body, `<label for="alert-file">`) {
			t.Fatalf("CSIRT's page %d lacks the form", csirt.status)
		}

		r := w.uploadFile(page+"/attachments", &w.csirtAdmin, "", "file", "capture.pcap", append([]byte{0xd4, 0xc3, 0xb2, 0xa1}, make([]byte, 20)...))
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), page+"?flash=Attached+capture.pcap") ||
			!strings.HasSuffix(r.header.Get("Location"), "#h-alert-files") {
			t.Fatalf("form upload %d %q %s", r.status, r.header.Get("Location"), r.body)
		}
		noCSRF := &actor{user: w.csirtAdmin.user, cookie: w.csirtAdmin.cookie}
		if r := w.uploadFile(page+"/attachments", noCSRF, "", "file", "x.txt", []byte("x")); r.status != http.StatusForbidden {
			t.Fatalf("upload without CSRF: %d", r.status)
		}
		if r := w.uploadFile(page+"/attachments", &w.csirtAdmin, "", "file", "x.html", []byte("<b>")); r.status != http.StatusBadRequest ||
			!strings.Contains(r.body, `type &#34;.html&#34; is not allowed`) {
			t.Fatalf("bad file %d %.3000s", r.status, r.body)
		}
		if r := w.uploadFile(page+"/attachments", &w.aAdmin, "", "file", "x.txt", []byte("x")); r.status != http.StatusForbidden {
			t.Fatalf("member form upload %d", r.status)
		}

		list, err := db.AlertAttachments(ctx, access.System, w.ownA["alert"])
		if err != nil || len(list) != 2 || list[1].Name != "capture.pcap" {
			t.Fatalf("stored %+v %v", list, err)
		}
		d := w.do(req{method: http.MethodGet, path: page + "/attachments/" + itoa(list[1].ID), as: &w.aViewer})
		if d.status != http.StatusOK || d.header.Get("Content-Type") != "application/vnd.tcpdump.pcap" ||
			d.header.Get("Content-Disposition") != `attachment; filename="capture.pcap"; filename*=UTF-8''capture.pcap` || d.header.Get("Content-Security-Policy") != "sandbox" {
			t.Fatalf("UI download %d %v", d.status, d.header)
		}
		if r := w.do(req{method: http.MethodPost, path: page + "/attachments/" + itoa(list[1].ID) + "/delete", as: &w.aAdmin}); r.status != http.StatusForbidden {
			t.Fatalf("member UI delete %d", r.status)
		}
		if r := w.do(req{method: http.MethodPost, path: page + "/attachments/" + itoa(list[1].ID) + "/delete", as: &w.csirtAdmin}); r.status != http.StatusSeeOther {
			t.Fatalf("UI delete %d", r.status)
		}
		if list, _ := db.AlertAttachments(ctx, access.System, w.ownA["alert"]); len(list) != 1 {
			t.Fatalf("after delete %+v", list)
		}
		// A TLP:RED alert's files reach its named people only.
		var red store.Alert
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			red, err = tx.PublishAlert(ctx, access.System, store.AlertInput{Title: "Red", TLP: share.TLPRed, People: []int64{w.aViewer.user.ID}})
			if err == nil {
				_, err = tx.AddAlertAttachment(ctx, access.System, red.ID, "red.txt", []byte("named only"))
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		redBase := "/api/v1/alerts/" + itoa(red.ID) + "/attachments"
		if l := decodeAlertFiles(t, w.do(req{method: http.MethodGet, path: redBase, as: &w.aViewer})); len(l) != 1 || l[0].Name != "red.txt" {
			t.Fatalf("named person's list %+v", l)
		}
		if r := w.do(req{method: http.MethodGet, path: redBase, as: &w.aAdmin}); r.status != http.StatusNotFound {
			t.Fatalf("unnamed admin of the recipient lists a RED alert's files: %d", r.status)
		}
	})
}
