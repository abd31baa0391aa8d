package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/notify"
	"github.com/aceso-health/aceso/internal/notify/notifytest"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// upload posts one file as multipart/form-data, as a browser form or an
// API client does.
func (w *world) uploadFile(path string, as *actor, token, field, name string, data []byte) resp {
	w.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if as != nil {
		_ = mw.WriteField("csrf_token", as.csrf)
	}
	if field != "" {
		fw, err := mw.CreateFormFile(field, name)
		if err != nil {
			w.t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	hr, err := http.NewRequest(http.MethodPost, w.ts.URL+path, &body)
	if err != nil {
		w.t.Fatal(err)
	}
	hr.Header.Set("Content-Type", mw.FormDataContentType())
	if as != nil {
		hr.AddCookie(as.cookie)
	}
	if token != "" {
		hr.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := noRedirect.Do(hr)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

func TestAttachmentsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		inc := "/api/v1/incidents/" + itoa(w.ownA["incident"]) + "/attachments"
		pdf := []byte("%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n")
		r := w.uploadFile(inc, nil, w.aToken, "file", `Befund "Röntgen"; 1.pdf`, pdf)
		if r.status != http.StatusCreated {
			t.Fatalf("upload: %d %s", r.status, r.body)
		}
		var a store.Attachment
		if err := json.Unmarshal([]byte(r.body), &a); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(pdf)
		if a.SHA256 != hex.EncodeToString(sum[:]) || a.ContentType != "application/pdf" || a.Size != int64(len(pdf)) {
			t.Fatalf("uploaded %+v", a)
		}
		if loc := r.header.Get("Location"); loc != inc+"/"+itoa(a.ID) {
			t.Fatalf("Location %q", loc)
		}

		// Download: exact bytes, never rendered by the browser.
		d := w.do(req{method: http.MethodGet, path: inc + "/" + itoa(a.ID), token: w.aViewerToken})
		if d.status != http.StatusOK || d.body != string(pdf) {
			t.Fatalf("download %d %q", d.status, d.body)
		}
		for h, want := range map[string]string{
			"Content-Type":            "application/pdf",
			"Content-Disposition":     `attachment; filename="Befund _R_ntgen__ 1.pdf"; filename*=UTF-8''Befund%20%22R%C3%B6ntgen%22%3B%201.pdf`,
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "sandbox",
		} {
			if got := d.header.Get(h); got != want {
				t.Errorf("%s: %q, want %q", h, got, want)
			}
		}
		l := w.do(req{method: http.MethodGet, path: inc, token: w.aViewerToken})
		if l.status != http.StatusOK || !strings.Contains(l.body, a.SHA256) || strings.Contains(l.body, "%PDF") {
			t.Fatalf("list %d %s", l.status, l.body)
		}

		// Refused uploads, with the status a client can act on.
		tests := []struct {
			name, file, field string
			data              []byte
			token             string
			status            int
			body              string
		}{
			{"html as txt", "notes.txt", "file", []byte("<html><script>alert(1)</script>"), w.aToken, http.StatusBadRequest, "does not match"},
			{"svg", "logo.svg", "file", []byte("<svg/>"), w.aToken, http.StatusBadRequest, "not allowed"},
			{"exe", "tool.pdf", "file", []byte("MZ\x90\x00"), w.aToken, http.StatusBadRequest, "executable"},
			{"no file", "", "", nil, w.aToken, http.StatusBadRequest, "choose a file"},
			{"too large", "big.txt", "file", bytes.Repeat([]byte("a"), store.MaxAttachmentSize+128<<10), w.aToken, http.StatusRequestEntityTooLarge, ""},
			{"viewer", "ok.txt", "file", []byte("ok"), w.aViewerToken, http.StatusForbidden, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := w.uploadFile(inc, nil, tt.token, tt.field, tt.file, tt.data)
				if r.status != tt.status || !strings.Contains(r.body, tt.body) {
					t.Fatalf("%d %s; want %d with %q", r.status, r.body, tt.status, tt.body)
				}
			})
		}
		// B's admin can neither add to nor read A's incident.
		if r := w.uploadFile(inc, nil, "", "file", "x.txt", []byte("x")); r.status != http.StatusUnauthorized {
			t.Fatalf("anonymous upload: %d", r.status)
		}
		if r := w.uploadFile(inc, &w.bAdmin, "", "file", "x.txt", []byte("x")); r.status != http.StatusNotFound {
			t.Fatalf("B uploads to A: %d %s", r.status, r.body)
		}

		if r := w.do(req{method: http.MethodDelete, path: inc + "/" + itoa(a.ID), token: w.aToken}); r.status != http.StatusNoContent {
			t.Fatalf("delete %d %s", r.status, r.body)
		}
		if r := w.do(req{method: http.MethodGet, path: inc + "/" + itoa(a.ID), token: w.aToken}); r.status != http.StatusNotFound {
			t.Fatalf("after delete %d", r.status)
		}
	})
}

func TestAttachmentsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		id := itoa(w.ownA["incident"])
		u := w.aAdmin.user
		aPrincipal := access.Principal{UserID: u.ID, UserName: u.Email, OrgID: w.a.ID, OrgKind: w.a.Kind, Role: u.Role}
		r := w.uploadFile("/incidents/"+id+"/attachments", &w.aAdmin, "", "file", "capture.pcap", append([]byte{0xd4, 0xc3, 0xb2, 0xa1}, make([]byte, 20)...))
		if r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "/incidents/"+id) {
			t.Fatalf("form upload %d %q %s", r.status, r.header.Get("Location"), r.body)
		}
		// Without the CSRF token the upload is refused.
		noCSRF := &actor{user: w.aAdmin.user, cookie: w.aAdmin.cookie}
		if r := w.uploadFile("/incidents/"+id+"/attachments", noCSRF, "", "file", "x.txt", []byte("x")); r.status != http.StatusForbidden {
			t.Fatalf("upload without CSRF: %d", r.status)
		}
		// A refused file re-renders the page with the reason.
		if r := w.uploadFile("/incidents/"+id+"/attachments", &w.aAdmin, "", "file", "x.html", []byte("<b>")); r.status != http.StatusBadRequest || !strings.Contains(r.body, "not allowed") {
			t.Fatalf("bad file %d", r.status)
		}
		p := w.do(req{method: http.MethodGet, path: "/incidents/" + id, as: &w.aViewer})
		if p.status != http.StatusOK || !strings.Contains(p.body, "capture.pcap") || !strings.Contains(p.body, "Anna_incident.txt") {
			t.Fatalf("page %d lacks the files", p.status)
		}
		if strings.Contains(p.body, `action="/incidents/`+id+`/attachments"`) {
			t.Fatal("viewer sees the upload form")
		}
		list, err := db.Attachments(ctx, aPrincipal, w.ownA["incident"])
		if err != nil || len(list) != 2 {
			t.Fatalf("stored %+v %v", list, err)
		}
		pcap := list[1]
		d := w.do(req{method: http.MethodGet, path: "/incidents/" + id + "/attachments/" + itoa(pcap.ID), as: &w.aViewer})
		if d.status != http.StatusOK || d.header.Get("Content-Type") != "application/vnd.tcpdump.pcap" || d.header.Get("Content-Security-Policy") != "sandbox" {
			t.Fatalf("UI download %d %v", d.status, d.header)
		}
		if r := w.do(req{method: http.MethodPost, path: "/incidents/" + id + "/attachments/" + itoa(pcap.ID) + "/delete", as: &w.aAdmin}); r.status != http.StatusSeeOther {
			t.Fatalf("UI delete %d", r.status)
		}
		if list, _ := db.Attachments(ctx, aPrincipal, w.ownA["incident"]); len(list) != 1 {
			t.Fatalf("after delete %+v", list)
		}
	})
}

// TestReportDeliveryWeb: with a DPA configured for GDPR, the report page
// names it, and submitting through the API mails it exactly once, however
// often the submission is retried and the outbox worker runs.
func TestReportDeliveryWeb(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		db.IncidentConfig.Recipients = map[string]string{"gdpr": "mailto:dpa@lda.example"}
		base := "/incidents/" + itoa(w.ownA["incident"])
		pages := []struct{ name, stage, want string }{
			{"mailed", "gdpr.notification", "e-mails this report (text and JSON) to <strong>dpa@lda.example</strong>"},
			{"csirt by default", "nis2.early_warning", "shares this incident and report with the CSIRT"},
		}
		for _, pg := range pages {
			p := w.do(req{method: http.MethodGet, path: base + "/reports/" + pg.stage, as: &w.aAdmin})
			if p.status != http.StatusOK || !strings.Contains(p.body, pg.want) {
				t.Fatalf("%s: report page %d lacks %q", pg.name, p.status, pg.want)
			}
		}
		db.IncidentConfig.Recipients = map[string]string{"gdpr": store.RecipientNone}
		if p := w.do(req{method: http.MethodGet, path: base + "/reports/gdpr.notification", as: &w.aAdmin}); !strings.Contains(p.body, "No recipient configured: export and send it yourself") {
			t.Fatalf("gdpr → none: page does not say to send it yourself")
		}
		db.IncidentConfig.Recipients = map[string]string{"gdpr": "mailto:dpa@lda.example"}
		api := "/api/v1" + base + "/obligations/gdpr.notification/submit"
		if r := w.do(req{method: http.MethodPost, path: api, token: w.aToken, body: `{}`}); r.status != http.StatusOK {
			t.Fatalf("submit: %d %s", r.status, r.body)
		}
		if r := w.do(req{method: http.MethodPost, path: api, token: w.aToken, body: `{}`}); r.status != http.StatusConflict {
			t.Fatalf("resubmit: %d %s", r.status, r.body)
		}
		smtpd := notifytest.NewSMTPServer(t)
		worker := &notify.Worker{Outbox: db.Outbox(), Node: "web-test",
			Senders: map[string]notify.Sender{notify.Email: &notify.SMTP{Addr: smtpd.Addr, From: "aceso@cert.example"}}}
		for range 2 {
			if _, err := worker.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		n := 0
		for _, m := range smtpd.Mails() {
			if strings.Contains(m.To, "dpa@lda.example") {
				n++
				if !strings.Contains(m.Data, "Anna incident") || !strings.Contains(m.Data, `"stage": "notification"`) {
					t.Errorf("mail body:\n%s", m.Data)
				}
			}
		}
		if n != 1 {
			t.Fatalf("DPA received %d mails, want 1", n)
		}
	})
}
