package store_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// TestCSIRTAttachments: the CSIRT reads, and only reads, the files of the
// incidents members shared with it, under CSIRTIncident's rule.
func TestCSIRTAttachments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		db.Now = (&clock{t: t0}).Now
		csirtViewer := csirtUser(t, db, s, access.RoleViewer)
		shared := mustCreate(t, db, s.aAdmin, ransomware(t0.Add(-time.Hour)), significant) // NIS2 applies: shared
		private := mustCreate(t, db, s.aAdmin, minor("Phishing wave", t0.Add(-time.Hour)), incident.Assessment{})
		if !shared.SharedWithCSIRT || private.SharedWithCSIRT {
			t.Fatalf("shared flags: %v %v", shared.SharedWithCSIRT, private.SharedWithCSIRT)
		}
		add := func(id int64, name string, data []byte) store.Attachment {
			var a store.Attachment
			inTx(t, db, func(tx *store.Tx) error {
				var err error
				a, err = tx.AddAttachment(ctx, s.aAdmin, id, name, data)
				return err
			})
			return a
		}
		note, log := add(shared.ID, "ransom note.png", pngFile), add(shared.ID, "firewall.log", []byte("deny 10.0.0.5\n"))
		hidden := add(private.ID, "private.pdf", pdfFile)
		auditBefore, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: s.a.ID, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}

		for name, p := range map[string]access.Principal{"CSIRT admin": s.csirtAdmin, "CSIRT viewer": csirtViewer} {
			list, err := db.CSIRTAttachments(ctx, p, shared.ID)
			if err != nil || len(list) != 2 || list[0] != note || list[1] != log {
				t.Errorf("%s lists %+v, %v; want [%+v %+v]", name, list, err, note, log)
			}
			got, data, err := db.CSIRTAttachmentContent(ctx, p, shared.ID, note.ID)
			if err != nil || got != note || !bytes.Equal(data, pngFile) {
				t.Errorf("%s downloads %+v (%d bytes), %v", name, got, len(data), err)
			}
		}

		// Another member on the CSIRT path gets exactly CSIRTIncident's
		// answer (a refusal before any lookup), and on its own path not found.
		_, ruleErr := db.CSIRTIncident(ctx, s.bAdmin, shared.ID)
		if c := aceso.ErrorCode(ruleErr); c != aceso.EFORBIDDEN && c != aceso.ENOTFOUND {
			t.Fatalf("CSIRTIncident for member B: %v", ruleErr)
		}
		refused := []struct {
			name string
			err  func() error
			code string
		}{
			{"CSIRT lists an unshared incident", func() error { _, err := db.CSIRTAttachments(ctx, s.csirtAdmin, private.ID); return err }, aceso.ENOTFOUND},
			{"CSIRT downloads from an unshared incident", func() error {
				_, _, err := db.CSIRTAttachmentContent(ctx, s.csirtAdmin, private.ID, hidden.ID)
				return err
			}, aceso.ENOTFOUND},
			{"an unshared incident's file through a shared one", func() error {
				_, _, err := db.CSIRTAttachmentContent(ctx, s.csirtAdmin, shared.ID, hidden.ID)
				return err
			}, aceso.ENOTFOUND},
			{"unknown incident", func() error { _, err := db.CSIRTAttachments(ctx, s.csirtAdmin, 999999); return err }, aceso.ENOTFOUND},
			{"member B on the CSIRT path lists", func() error { _, err := db.CSIRTAttachments(ctx, s.bAdmin, shared.ID); return err }, aceso.ErrorCode(ruleErr)},
			{"member B on the CSIRT path downloads", func() error {
				_, _, err := db.CSIRTAttachmentContent(ctx, s.bAdmin, shared.ID, note.ID)
				return err
			}, aceso.ErrorCode(ruleErr)},
			{"member B on its own path", func() error { _, _, err := db.AttachmentContent(ctx, s.bAdmin, shared.ID, note.ID); return err }, aceso.ENOTFOUND},
			// Read-only: the member's write path is scoped by the CSIRT's own organisation.
			{"CSIRT adds", func() error {
				return db.InTx(ctx, func(tx *store.Tx) error {
					_, err := tx.AddAttachment(ctx, s.csirtAdmin, shared.ID, "x.txt", []byte("x"))
					return err
				})
			}, aceso.ENOTFOUND},
			{"CSIRT deletes", func() error {
				return db.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteAttachment(ctx, s.csirtAdmin, shared.ID, note.ID) })
			}, aceso.ENOTFOUND},
		}
		for _, f := range refused {
			if code := aceso.ErrorCode(f.err()); code != f.code {
				t.Errorf("%s: %q, want %q", f.name, code, f.code)
			}
		}
		// Reads leave no trace in the member's audit log, and nothing changed.
		auditAfter, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: s.a.ID, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		if len(auditAfter) != len(auditBefore) {
			t.Errorf("member A's audit log grew by %d entries", len(auditAfter)-len(auditBefore))
		}
		if list, err := db.Attachments(ctx, s.aViewer, shared.ID); err != nil || len(list) != 2 {
			t.Errorf("member's own list %+v, %v", list, err)
		}
		// TLP:RED: only the CSIRT users the member named read the files.
		redIn := ransomware(t0.Add(-time.Hour))
		redIn.TLP = incident.TLPRed
		var red store.Incident
		inTx(t, db, func(tx *store.Tx) error {
			var err error
			red, err = tx.CreateIncident(ctx, s.aAdmin, redIn, significant, s.csirtAdmin.UserID)
			return err
		})
		redFile := add(red.ID, "red.txt", []byte("named only"))
		if list, err := db.CSIRTAttachments(ctx, s.csirtAdmin, red.ID); err != nil || len(list) != 1 || list[0] != redFile {
			t.Errorf("the named CSIRT user lists %+v, %v", list, err)
		}
		if _, data, err := db.CSIRTAttachmentContent(ctx, s.csirtAdmin, red.ID, redFile.ID); err != nil || string(data) != "named only" {
			t.Errorf("the named CSIRT user downloads %q, %v", data, err)
		}
		if _, err := db.CSIRTAttachments(ctx, csirtViewer, red.ID); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("an unnamed CSIRT user lists a RED incident's files: %v", err)
		}
		if _, _, err := db.CSIRTAttachmentContent(ctx, csirtViewer, red.ID, redFile.ID); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("an unnamed CSIRT user downloads a RED incident's file: %v", err)
		}
	})
}
