package store_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

func addAlertFile(db *store.DB, p access.Principal, alertID int64, name string, data []byte) (store.AlertAttachment, error) {
	var a store.AlertAttachment
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		a, err = tx.AddAlertAttachment(ctx, p, alertID, name, data)
		return err
	})
	return a, err
}

func publishTo(t *testing.T, db *store.DB, p access.Principal, in store.AlertInput) store.Alert {
	t.Helper()
	var a store.Alert
	in.Summary = "Summary of " + in.Title
	inTx(t, db, func(tx *store.Tx) error {
		var err error
		a, err = tx.PublishAlert(ctx, p, in)
		return err
	})
	return a
}

// TestAlertAttachments: the CSIRT's analysts attach files to their own
// alerts; exactly the readers of an alert (its CSIRT, its recipients as
// the TLP rule allows) list and download them; changes are audited
// without the content.
func TestAlertAttachments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		db.Now = (&clock{t: t0}).Now
		analyst, csirtViewer := csirtUser(t, db, s, access.RoleAnalyst), csirtUser(t, db, s, access.RoleViewer)
		chosen := func(title string, orgs ...int64) store.AlertInput {
			return store.AlertInput{Title: title, TLP: share.TLPAmber, Audience: store.AudienceChosen, OrgIDs: orgs}
		}
		toA := publishTo(t, db, s.csirtAdmin, chosen("Patch the infusion pumps", s.a.ID))
		toAB := publishTo(t, db, s.csirtAdmin, chosen("Phishing wave", s.a.ID, s.b.ID))
		// TLP:RED for A's viewer by name: A's admin is not named.
		red := publishTo(t, db, s.csirtAdmin, store.AlertInput{Title: "Named people only", TLP: share.TLPRed, People: []int64{s.aViewer.UserID}})

		a, err := addAlertFile(db, analyst, toA.ID, "../vendor/bulletin.pdf", pdfFile)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(pdfFile)
		want := store.AlertAttachment{ID: a.ID, AlertID: toA.ID, Name: "bulletin.pdf", ContentType: "application/pdf", Size: int64(len(pdfFile)),
			SHA256: hex.EncodeToString(sum[:]), UploadedBy: "analyst2@cert.example", CreatedAt: t0}
		if a.ID == 0 || a != want {
			t.Fatalf("added %+v, want %+v", a, want)
		}
		iocs, err := addAlertFile(db, s.csirtAdmin, toA.ID, "iocs.csv", []byte("ip\n192.0.2.7\n"))
		if err != nil {
			t.Fatal(err)
		}
		other, err := addAlertFile(db, analyst, toAB.ID, "screen.png", pngFile)
		if err != nil {
			t.Fatal(err)
		}
		redFile, err := addAlertFile(db, analyst, red.ID, "red.txt", []byte("for named people"))
		if err != nil {
			t.Fatal(err)
		}

		// Readers: the recipient (any role), and the CSIRT (any role).
		for name, p := range map[string]access.Principal{"recipient viewer": s.aViewer, "recipient admin": s.aAdmin, "CSIRT viewer": csirtViewer} {
			list, err := db.AlertAttachments(ctx, p, toA.ID)
			if err != nil || len(list) != 2 || list[0] != a || list[1] != iocs {
				t.Errorf("%s lists %+v, %v; want [%+v %+v]", name, list, err, a, iocs)
			}
			got, data, err := db.AlertAttachmentContent(ctx, p, toA.ID, a.ID)
			if err != nil || got != a || !bytes.Equal(data, pdfFile) {
				t.Errorf("%s downloads %+v (%d bytes), %v", name, got, len(data), err)
			}
		}
		if list, err := db.AlertAttachments(ctx, s.bAdmin, toAB.ID); err != nil || len(list) != 1 || list[0] != other {
			t.Errorf("B lists its alert's files %+v, %v", list, err)
		}

		refused := []struct {
			name string
			err  func() error
			code string
		}{
			{"non-recipient lists", func() error { _, err := db.AlertAttachments(ctx, s.bAdmin, toA.ID); return err }, aceso.ENOTFOUND},
			{"non-recipient downloads", func() error { _, _, err := db.AlertAttachmentContent(ctx, s.bAdmin, toA.ID, a.ID); return err }, aceso.ENOTFOUND},
			{"another alert's file through a readable alert", func() error {
				_, _, err := db.AlertAttachmentContent(ctx, s.bAdmin, toAB.ID, a.ID)
				return err
			}, aceso.ENOTFOUND},
			{"unnamed user of the recipient lists a RED alert's files", func() error { _, err := db.AlertAttachments(ctx, s.aAdmin, red.ID); return err }, aceso.ENOTFOUND},
			{"unnamed user of the recipient downloads from a RED alert", func() error {
				_, _, err := db.AlertAttachmentContent(ctx, s.aAdmin, red.ID, redFile.ID)
				return err
			}, aceso.ENOTFOUND},
			{"unknown alert", func() error { _, err := db.AlertAttachments(ctx, s.csirtAdmin, 999999); return err }, aceso.ENOTFOUND},
			{"member uploads", func() error { _, err := addAlertFile(db, s.aAdmin, toA.ID, "x.txt", []byte("x")); return err }, aceso.EFORBIDDEN},
			{"CSIRT viewer uploads", func() error { _, err := addAlertFile(db, csirtViewer, toA.ID, "x.txt", []byte("x")); return err }, aceso.EFORBIDDEN},
			{"member deletes", func() error {
				return db.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteAlertAttachment(ctx, s.aAdmin, toA.ID, a.ID) })
			}, aceso.EFORBIDDEN},
			{"upload to an unknown alert", func() error { _, err := addAlertFile(db, analyst, 999999, "x.txt", []byte("x")); return err }, aceso.ENOTFOUND},
			{"delete through the wrong alert", func() error {
				return db.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteAlertAttachment(ctx, analyst, toAB.ID, a.ID) })
			}, aceso.ENOTFOUND},
		}
		for _, f := range refused {
			if code := aceso.ErrorCode(f.err()); code != f.code {
				t.Errorf("%s: %q, want %q", f.name, code, f.code)
			}
		}
		for name, p := range map[string]access.Principal{"the CSIRT": analyst, "the named person": s.aViewer} {
			if list, err := db.AlertAttachments(ctx, p, red.ID); err != nil || len(list) != 1 || list[0] != redFile {
				t.Errorf("%s lists the RED alert's files %+v, %v", name, list, err)
			}
			if _, data, err := db.AlertAttachmentContent(ctx, p, red.ID, redFile.ID); err != nil || string(data) != "for named people" {
				t.Errorf("%s downloads the RED alert's file %q, %v", name, data, err)
			}
		}

		// The checks of incident files apply, naming the file.
		bad := []struct{ file, why string }{
			{"tool.exe", `type ".exe" is not allowed`},
			{"report.pdf", "executable or script"},
			{"fix.log", "executable or script"},
		}
		for i, b := range bad {
			data := [][]byte{[]byte("MZ\x90\x00"), []byte("MZ\x90\x00\x03\x00"), []byte("#!/bin/sh\nreboot\n")}[i]
			_, err := addAlertFile(db, analyst, toA.ID, b.file, data)
			if aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(err.Error(), `"`+b.file+`"`) || !strings.Contains(err.Error(), b.why) {
				t.Errorf("%s: %v; want EINVALID naming the file and %q", b.file, err, b.why)
			}
		}
		if _, err := addAlertFile(db, analyst, toA.ID, "big.txt", bytes.Repeat([]byte("a"), store.MaxAttachmentSize+1)); aceso.ErrorCode(err) != aceso.EINVALID ||
			!strings.Contains(err.Error(), "more than the limit") {
			t.Errorf("too big: %v", err)
		}
		// The per-alert quota counts what the alert holds (pdf + csv now).
		db.IncidentConfig.AttachmentQuota = a.Size + iocs.Size + 10
		if _, err := addAlertFile(db, analyst, toA.ID, "ok.txt", []byte("0123456789")); err != nil {
			t.Fatalf("within quota: %v", err)
		}
		if _, err := addAlertFile(db, analyst, toA.ID, "over.txt", []byte("x")); aceso.ErrorCode(err) != aceso.EINVALID ||
			!strings.Contains(err.Error(), "more than the limit of "+itoa(a.Size+iocs.Size+10)) {
			t.Fatalf("over quota: %v", err)
		}
		db.IncidentConfig.AttachmentQuota = 0

		inTx(t, db, func(tx *store.Tx) error { return tx.DeleteAlertAttachment(ctx, analyst, toA.ID, a.ID) })
		if _, _, err := db.AlertAttachmentContent(ctx, s.aViewer, toA.ID, a.ID); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("after delete: %v", err)
		}
		if list, _ := db.AlertAttachments(ctx, s.aViewer, toA.ID); len(list) != 2 || list[0] != iocs || list[1].Name != "ok.txt" {
			t.Fatalf("after delete %+v", list)
		}

		// Audit: in the CSIRT's log, with the hash and never the content;
		// nothing in the members' logs.
		entries, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: s.csirt.ID, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		var adds, dels int
		for _, e := range entries {
			switch e.Action {
			case "alert.attachment.add":
				adds++
			case "alert.attachment.delete":
				dels++
				if e.ObjectID != itoa(toA.ID) || !strings.Contains(e.Summary, a.SHA256) || !strings.Contains(e.Summary, "bulletin.pdf") {
					t.Errorf("delete entry %+v", e)
				}
			}
			if strings.Contains(e.Summary, "%PDF") || strings.Contains(e.Summary, "192.0.2.7") || strings.Contains(e.Summary, "IHDR") {
				t.Errorf("audit holds content: %s", e.Summary)
			}
		}
		if adds != 5 || dels != 1 {
			t.Errorf("audit: %d adds, %d deletes; want 5 and 1", adds, dels)
		}
		for _, org := range []int64{s.a.ID, s.b.ID} {
			memberLog, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: org, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range memberLog {
				if strings.HasPrefix(e.Action, "alert.attachment") {
					t.Errorf("member %d's log has %+v", org, e)
				}
			}
		}
	})
}
