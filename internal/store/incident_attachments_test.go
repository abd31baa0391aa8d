package store_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

var (
	pngFile  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 32)...)
	pdfFile  = []byte("%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n")
	zipFile  = append([]byte("PK\x03\x04"), make([]byte, 26)...)
	pcapFile = append([]byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0}, make([]byte, 16)...)
)

func TestClassifyAttachment(t *testing.T) {
	tests := []struct {
		name, file string
		data       []byte
		want       string // content type, or "" for refused
	}{
		{"pdf", "report.pdf", pdfFile, "application/pdf"},
		{"png", "screen.PNG", pngFile, "image/png"},
		{"jpeg", "photo.jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), "image/jpeg"},
		{"log utf-8", "syslog.log", []byte("Mar  2 08:30:00 pacs sshd[1]: Failed password für root\n"), "text/plain; charset=utf-8"},
		{"log latin-1", "syslog.log", []byte("Mar  2 08:30:00 pacs: f\xfcr root\n"), "text/plain"},
		{"csv", "hosts.csv", []byte("host,ip\npacs,10.0.0.5\n"), "text/plain; charset=utf-8"},
		{"json", "iocs.json", []byte(`{"ioc": "1.2.3.4"}`), "text/plain; charset=utf-8"},
		{"eml", "phish.eml", []byte("From: a@b.example\r\nSubject: invoice\r\n\r\nhi\r\n"), "text/plain; charset=utf-8"},
		{"zip", "evidence.zip", zipFile, "application/zip"},
		{"pcap", "capture.pcap", pcapFile, "application/vnd.tcpdump.pcap"},
		{"pcapng", "capture.pcapng", []byte{0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0}, "application/vnd.tcpdump.pcap"},
		{"html as txt", "notes.txt", []byte("<html><script>alert(1)</script></html>"), ""},
		{"script tag as log", "x.log", []byte("  <script>alert(document.cookie)</script>"), ""},
		{"svg extension", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), ""},
		{"html extension", "page.html", []byte("hello"), ""},
		{"exe extension", "tool.exe", []byte("MZ\x90\x00"), ""},
		{"exe renamed pdf", "report.pdf", []byte("MZ\x90\x00\x03\x00\x00\x00"), ""},
		{"elf renamed txt", "notes.txt", []byte("\x7fELF\x02\x01\x01"), ""},
		{"shell script as log", "run.log", []byte("#!/bin/sh\nrm -rf /\n"), ""},
		{"png claimed pdf", "report.pdf", pngFile, ""},
		{"pcap garbage", "capture.pcap", []byte("not a capture"), ""},
		{"no extension", "README", []byte("text"), ""},
		{"empty", "empty.txt", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.ClassifyAttachment(tt.file, tt.data)
			if tt.want == "" {
				if aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(err.Error(), tt.file) {
					t.Fatalf("ClassifyAttachment(%q) = %q, %v; want EINVALID naming the file", tt.file, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ClassifyAttachment(%q) = %q, %v; want %q", tt.file, got, err, tt.want)
			}
		})
	}
}

func TestCleanAttachmentName(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "a.pdf", "a.pdf"},
		{"unix path", "../../etc/passwd.txt", "passwd.txt"},
		{"windows path", `C:\Users\x\evil.log`, "evil.log"},
		{"spaces", "  scan 1.png ", "scan 1.png"},
		{"unicode", "Bericht_Übersicht.pdf", "Bericht_Übersicht.pdf"},
		{"control", "a\r\nb.txt", ""},
		{"dotdot", "..", ""},
		{"empty", "  ", ""},
		{"too long", strings.Repeat("a", 201) + ".txt", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.CleanAttachmentName(tt.in)
			if tt.want == "" {
				if aceso.ErrorCode(err) != aceso.EINVALID {
					t.Fatalf("CleanAttachmentName(%q) = %q, %v; want EINVALID", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("CleanAttachmentName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

// FuzzClassifyAttachment: whatever the name and content, an accepted file
// has a cleaned name, an allowed extension and a type that a browser will
// never run (no HTML, SVG, script or executable).
func FuzzClassifyAttachment(f *testing.F) {
	f.Add("a.pdf", pdfFile)
	f.Add("a.txt", []byte("<html>"))
	f.Add("../x.png", pngFile)
	f.Add("c.pcap", pcapFile)
	f.Add("e.zip", zipFile)
	f.Add("MZ.log", []byte("MZ"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		clean, err := store.CleanAttachmentName(name)
		if err != nil {
			return
		}
		if strings.ContainsAny(clean, `/\`) || !utf8.ValidString(clean) || clean != strings.TrimSpace(clean) {
			t.Fatalf("cleaned name %q", clean)
		}
		ct, err := store.ClassifyAttachment(clean, data)
		if err != nil {
			if aceso.ErrorCode(err) != aceso.EINVALID {
				t.Fatalf("error code %v", err)
			}
			return
		}
		for _, bad := range []string{"html", "svg", "xml", "javascript"} {
			if strings.Contains(ct, bad) {
				t.Fatalf("%q accepted as %q", clean, ct)
			}
		}
		if len(data) == 0 || bytes.HasPrefix(data, []byte("MZ")) || bytes.HasPrefix(data, []byte("#!")) {
			t.Fatalf("%q accepted: %q", clean, data)
		}
		again, err := store.ClassifyAttachment(clean, data)
		if err != nil || again != ct {
			t.Fatalf("not deterministic: %q %v", again, err)
		}
	})
}

func TestIncidentAttachments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		db.Now = (&clock{t: t0}).Now
		r := mustCreate(t, db, s.aAdmin, ransomware(t0), significant)
		rb := mustCreate(t, db, s.bAdmin, ransomware(t0), significant)
		add := func(p access.Principal, id int64, name string, data []byte) (store.Attachment, error) {
			var a store.Attachment
			err := db.InTx(ctx, func(tx *store.Tx) error {
				var err error
				a, err = tx.AddAttachment(ctx, p, id, name, data)
				return err
			})
			return a, err
		}
		a, err := add(s.aAdmin, r.ID, "../scans/ransom note.png", pngFile)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(pngFile)
		if a.ID == 0 || a.Name != "ransom note.png" || a.ContentType != "image/png" || a.Size != int64(len(pngFile)) ||
			a.SHA256 != hex.EncodeToString(sum[:]) || a.UploadedBy != "admin@anna.example" || !a.CreatedAt.Equal(t0) {
			t.Fatalf("added %+v", a)
		}
		if _, err := add(s.aAdmin, r.ID, "report.pdf", pdfFile); err != nil {
			t.Fatal(err)
		}
		list, err := db.Attachments(ctx, s.aViewer, r.ID)
		if err != nil || len(list) != 2 || list[0] != a || list[1].Name != "report.pdf" {
			t.Fatalf("list %+v, %v", list, err)
		}
		got, data, err := db.AttachmentContent(ctx, s.aViewer, r.ID, a.ID)
		if err != nil || got != a || !bytes.Equal(data, pngFile) {
			t.Fatalf("content %+v %d bytes, %v", got, len(data), err)
		}
		// Timeline and audit record the file, never its content.
		full, err := db.Incident(ctx, s.aAdmin, r.ID, t0)
		if err != nil {
			t.Fatal(err)
		}
		if e := full.Timeline[len(full.Timeline)-1]; e.Kind != "attachment" || !strings.Contains(e.Text, "report.pdf") {
			t.Fatalf("timeline %+v", e)
		}
		entries, err := db.ListAudit(ctx, s.aAdmin, store.AuditFilter{OrgID: s.a.ID})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range entries {
			if e.Action == "incident.attachment.add" && strings.Contains(e.Summary, a.SHA256) {
				found = true
			}
			if strings.Contains(e.Summary, "%PDF") || strings.Contains(e.Summary, "IHDR") {
				t.Fatalf("audit holds content: %s", e.Summary)
			}
		}
		if !found {
			t.Fatal("no audit entry with the SHA-256")
		}

		// Another hospital, a viewer, a bad file.
		forbidden := []struct {
			name string
			err  func() error
			code string
		}{
			{"other org lists", func() error { _, err := db.Attachments(ctx, s.bAdmin, r.ID); return err }, aceso.ENOTFOUND},
			{"other org downloads", func() error { _, _, err := db.AttachmentContent(ctx, s.bAdmin, r.ID, a.ID); return err }, aceso.ENOTFOUND},
			{"wrong incident of own org", func() error { _, _, err := db.AttachmentContent(ctx, s.bAdmin, rb.ID, a.ID); return err }, aceso.ENOTFOUND},
			{"other org adds", func() error { _, err := add(s.bAdmin, r.ID, "x.txt", []byte("x")); return err }, aceso.ENOTFOUND},
			{"other org deletes", func() error {
				return db.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteAttachment(ctx, s.bAdmin, r.ID, a.ID) })
			}, aceso.ENOTFOUND},
			{"viewer adds", func() error { _, err := add(s.aViewer, r.ID, "x.txt", []byte("x")); return err }, aceso.EFORBIDDEN},
			{"viewer deletes", func() error {
				return db.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteAttachment(ctx, s.aViewer, r.ID, a.ID) })
			}, aceso.EFORBIDDEN},
			{"html", func() error { _, err := add(s.aAdmin, r.ID, "x.txt", []byte("<html>")); return err }, aceso.EINVALID},
			{"too big", func() error {
				_, err := add(s.aAdmin, r.ID, "big.txt", bytes.Repeat([]byte("a"), store.MaxAttachmentSize+1))
				return err
			}, aceso.EINVALID},
		}
		for _, f := range forbidden {
			if code := aceso.ErrorCode(f.err()); code != f.code {
				t.Errorf("%s: %s, want %s", f.name, code, f.code)
			}
		}

		// The per-incident quota counts what is stored.
		db.IncidentConfig.AttachmentQuota = int64(len(pngFile) + len(pdfFile) + 10)
		if _, err := add(s.aAdmin, r.ID, "ok.txt", []byte("0123456789")); err != nil {
			t.Fatalf("within quota: %v", err)
		}
		if _, err := add(s.aAdmin, r.ID, "over.txt", []byte("x")); aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(err.Error(), "limit") {
			t.Fatalf("over quota: %v", err)
		}
		db.IncidentConfig.AttachmentQuota = 0

		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteAttachment(ctx, s.aAdmin, r.ID, a.ID) }); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.AttachmentContent(ctx, s.aAdmin, r.ID, a.ID); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("after delete: %v", err)
		}
		if list, _ := db.Attachments(ctx, s.aAdmin, r.ID); len(list) != 2 {
			t.Fatalf("after delete %+v", list)
		}
	})
}
