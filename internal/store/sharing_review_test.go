package store_test

import (
	"strings"
	"testing"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

const redRefusal = "TLP:RED is for named people; Aceso does not store RED intelligence for an organisation"

// mispEvent is a minimal MISP event with the given uuid and tags.
func mispEvent(uuid, info, tags string) []byte {
	return []byte(`{"Event": {"uuid": "` + uuid + `", "info": "` + info + `", "timestamp": "1700000000", "Tag": [` + tags + `]}}`)
}

// TestImportIntelRefusesRED: a MISP event tagged tlp:red is rejected in the
// import report with the reason and never stored (intel reaches the whole
// organisation and its API tokens); AddIntel refuses RED as a guard.
func TestImportIntelRefusesRED(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		const redID, greenID = "5a0b1c2d-0000-4000-8000-0000000000ee", "5a0b1c2d-0000-4000-8000-0000000000ef"
		red, err := store.ParseIntel(mispEvent(redID, "Named people only", `{"name": "tlp:red"}`), store.IntelFormatAuto, "red.json")
		if err != nil || len(red.Items) != 1 || red.Items[0].TLP != share.TLPRed {
			t.Fatalf("parse the RED event: %+v %v", red, err)
		}
		rep, err := importBatch(db, s.aAdmin, red)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Added != 0 || rep.Unchanged != 0 || rep.Rejected != 1 || len(rep.Items) != 1 {
			t.Fatalf("RED import: %+v", rep)
		}
		if got := outcomes(rep)[redID]; got != "rejected TLP:RED "+redRefusal {
			t.Errorf("RED event: %q", got)
		}

		// In a batch with a GREEN event: the GREEN one is stored, the RED one rejected.
		green, err := store.ParseIntel(mispEvent(greenID, "For the community", `{"name": "tlp:green"}`), store.IntelFormatAuto, "green.json")
		if err != nil {
			t.Fatal(err)
		}
		mixed := store.IntelBatch{Source: "mixed", Format: store.FormatMISP, Items: append(red.Items, green.Items...)}
		rep, err = importBatch(db, s.aAdmin, mixed)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Added != 1 || rep.Unchanged != 0 || rep.Rejected != 1 {
			t.Errorf("mixed import: %+v", rep)
		}
		if o := outcomes(rep); o[redID] != "rejected TLP:RED "+redRefusal || o[greenID] != "added TLP:GREEN " {
			t.Errorf("mixed outcomes: %q", o)
		}
		list, err := db.IntelList(ctx, s.aAdmin, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ObjectID != greenID || list[0].TLP != share.TLPGreen {
			t.Fatalf("stored intel: %+v", list)
		}

		// The guard: AddIntel refuses RED and stores nothing of the call.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.AddIntel(ctx, s.aAdmin, []store.Intel{
				{Format: store.FormatSTIX, Source: "guard", ObjectID: "indicator--aaaaaaaa-0000-4000-8000-000000000001", ObjectType: "indicator", TLP: share.TLPGreen, Body: []byte(`{}`)},
				{Format: store.FormatSTIX, Source: "guard", ObjectID: "indicator--aaaaaaaa-0000-4000-8000-000000000002", ObjectType: "indicator", TLP: share.TLPRed, Body: []byte(`{}`)},
			})
			return err
		})
		if aceso.ErrorCode(err) != aceso.EINVALID || aceso.ErrorMessage(err) != "intel 1 (indicator--aaaaaaaa-0000-4000-8000-000000000002): "+redRefusal {
			t.Errorf("AddIntel with RED: %v", err)
		}
		if list, _ := db.IntelList(ctx, s.aAdmin, 100); len(list) != 1 {
			t.Errorf("a refused AddIntel stored %d objects", len(list)-1)
		}
	})
}

// shareAs shares an observable of incident id as p.
func shareAs(db *store.DB, p access.Principal, id int64, value string, label share.TLP, addressed int64) (store.SharedObservable, error) {
	var out store.SharedObservable
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.ShareObservable(ctx, p, id, "domain", value, label, addressed)
		return err
	})
	return out, err
}

// incidentWith creates an incident of p's organisation labelled tlp with
// the observable domain value.
func incidentWith(t *testing.T, db *store.DB, p access.Principal, tlp incident.TLP, value string) int64 {
	t.Helper()
	in := ransomware(t0)
	in.TLP = tlp
	inc := mustCreate(t, db, p, in, significant)
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.AddObservable(ctx, p, inc.ID, &incident.Observable{Kind: "domain", Value: value})
	}); err != nil {
		t.Fatal(err)
	}
	return inc.ID
}

func sharedLabel(t *testing.T, db *store.DB, p access.Principal, value string) share.TLP {
	t.Helper()
	list, err := db.SharedObservables(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Value == value {
			return s.TLP
		}
	}
	return share.TLPUnknown
}

// TestShareObservableNeverLoosens: sharing again never loosens an existing
// share (that is a relabel: analyst role and a reason), and sharing under a
// label looser than the incident's own needs the analyst role; the audit
// entry records the incident's label next to the chosen one.
func TestShareObservableNeverLoosens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		var reporter access.Principal
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			u := access.User{OrgID: s.a.ID, Email: "reporter@anna.example", Name: "Rita Reporter", Role: access.RoleReporter, PasswordHash: "x"}
			if err := tx.CreateUser(ctx, access.System, &u); err != nil {
				return err
			}
			reporter = access.Principal{UserID: u.ID, UserName: u.Email, OrgID: s.a.ID, OrgKind: s.a.Kind, Role: access.RoleReporter}
			return nil
		}); err != nil {
			t.Fatal(err)
		}

		// A reporter shares at the incident's label; the audit entry has both labels.
		amberInc := incidentWith(t, db, s.aAdmin, incident.TLPAmber, "c2.reshare.example")
		if _, err := shareAs(db, reporter, amberInc, "c2.reshare.example", share.TLPAmber, 0); err != nil {
			t.Fatal(err)
		}
		es := auditOf(t, db, s.a.ID, "incident.observable.share")
		if len(es) != 1 {
			t.Fatalf("share audit entries: %d", len(es))
		}
		after, _ := es[0]["after"].(map[string]any)
		if after["tlp"] != "TLP:AMBER" || after["incident_tlp"] != "TLP:AMBER" || after["value"] != "c2.reshare.example" {
			t.Errorf("share audit entry: %v", es[0])
		}

		// Re-sharing looser is refused, whoever asks: it is a relabel.
		for _, p := range []access.Principal{reporter, s.aAdmin} {
			_, err := shareAs(db, p, amberInc, "c2.reshare.example", share.TLPGreen, 0)
			if aceso.ErrorCode(err) != aceso.EINVALID || aceso.ErrorMessage(err) !=
				"tlp: domain c2.reshare.example is already shared as TLP:AMBER; loosening it to TLP:GREEN is a relabel (analyst role and a reason)" {
				t.Errorf("%s re-shares looser: %v", p.Role, err)
			}
		}
		if l := sharedLabel(t, db, s.aAdmin, "c2.reshare.example"); l != share.TLPAmber {
			t.Fatalf("label after the refused re-shares: %s", l)
		}
		// Stricter is fine, and the same label again too; looser after that is not.
		if so, err := shareAs(db, reporter, amberInc, "c2.reshare.example", share.TLPAmberStrict, s.b.ID); err != nil || so.TLP != share.TLPAmberStrict || so.AddressedOrg != s.b.ID {
			t.Fatalf("re-share stricter: %+v %v", so, err)
		}
		if _, err := shareAs(db, reporter, amberInc, "c2.reshare.example", share.TLPAmberStrict, s.b.ID); err != nil {
			t.Errorf("re-share at the same label: %v", err)
		}
		if _, err := shareAs(db, s.aAdmin, amberInc, "c2.reshare.example", share.TLPAmber, 0); aceso.ErrorCode(err) != aceso.EINVALID ||
			!strings.Contains(aceso.ErrorMessage(err), "already shared as TLP:AMBER+STRICT") {
			t.Errorf("re-share AMBER over AMBER+STRICT: %v", err)
		}
		if l := sharedLabel(t, db, s.aAdmin, "c2.reshare.example"); l != share.TLPAmberStrict {
			t.Errorf("label at the end: %s", l)
		}
		if n := len(auditOf(t, db, s.a.ID, "incident.observable.share")); n != 3 {
			t.Errorf("share audit entries: %d, want 3 (the refused ones leave none)", n)
		}

		// Looser than the incident's own label: the analyst role decides.
		inc2 := incidentWith(t, db, s.aAdmin, incident.TLPAmber, "c2.green.example")
		_, err := shareAs(db, reporter, inc2, "c2.green.example", share.TLPGreen, 0)
		if aceso.ErrorCode(err) != aceso.EFORBIDDEN || aceso.ErrorMessage(err) != "tlp: sharing under TLP:GREEN, looser than the incident's TLP:AMBER, needs the analyst role" {
			t.Errorf("reporter shares looser than the incident: %v", err)
		}
		if l := sharedLabel(t, db, s.aAdmin, "c2.green.example"); l != share.TLPUnknown {
			t.Errorf("a refused share was stored as %s", l)
		}
		if _, err := shareAs(db, s.aAdmin, inc2, "c2.green.example", share.TLPGreen, 0); err != nil {
			t.Fatal(err)
		}
		after, _ = auditOf(t, db, s.a.ID, "incident.observable.share")[0]["after"].(map[string]any)
		if after["tlp"] != "TLP:GREEN" || after["incident_tlp"] != "TLP:AMBER" || after["value"] != "c2.green.example" {
			t.Errorf("analyst's share audit entry: %v", after)
		}

		// An unlabelled incident counts as AMBER+STRICT.
		inc3 := incidentWith(t, db, s.aAdmin, "", "c2.unlabelled.example")
		_, err = shareAs(db, reporter, inc3, "c2.unlabelled.example", share.TLPAmber, 0)
		if aceso.ErrorCode(err) != aceso.EFORBIDDEN || !strings.Contains(aceso.ErrorMessage(err), "looser than the incident's unlabelled (counts as TLP:AMBER+STRICT)") {
			t.Errorf("reporter shares an unlabelled incident's observable: %v", err)
		}
		if _, err := shareAs(db, reporter, inc3, "c2.unlabelled.example", share.TLPAmberStrict, s.b.ID); err != nil {
			t.Errorf("reporter shares at AMBER+STRICT: %v", err)
		}
	})
}

// TestImportAdvisoryKeepsAuthored: an import (feed, upload, CLI) never
// replaces an advisory the CSIRT authored in Aceso; publishing its draft
// still revises it.
func TestImportAdvisoryKeepsAuthored(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := fxSetup(t, db)
		dr := draftCreate(t, db, w.csirt, pumpDraft("<= 9.33.1", "12.1"))
		pub, _, err := draftPublish(db, w.csirt, dr.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		own, err := db.Advisory(ctx, w.csirt, pub.Import.ID)
		if err != nil || own.TrackingID != "CERT-2026-0001" || !own.Doc.Authored {
			t.Fatalf("published: %+v %v", own, err)
		}

		// A third party's document with the same tracking id and a newer revision.
		forged := *own.Doc
		forged.Authored, forged.Title, forged.Revision, forged.Source = false, "Forged: nothing to fix", "9", "https://feed.example/x.json"
		forged.CurrentRelease = w.now.Add(24 * 3600e9)
		for _, p := range []access.Principal{access.System, w.csirt} {
			err = db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.ImportAdvisory(ctx, p, &forged); return err })
			if aceso.ErrorCode(err) != aceso.ECONFLICT || aceso.ErrorMessage(err) !=
				"advisory CERT-2026-0001 is the CSIRT's own, authored in Aceso; an import does not replace it (publish a new revision of its draft)" {
				t.Errorf("import over the authored advisory as %v: %v", p.Role, err)
			}
		}
		after, err := db.Advisory(ctx, w.csirt, pub.Import.ID)
		if err != nil || after.Title != own.Title || after.Revision != "1" || !after.Doc.Authored || after.Source != own.Source {
			t.Fatalf("stored advisory after the refused import: %+v %v", after, err)
		}

		// A third party's advisory is still updated by an import.
		other := forged
		other.ID, other.Title, other.Revision = "VENDOR-2026-7", "Vendor advisory", "1"
		for _, rev := range []string{"1", "2"} {
			other.Revision = rev
			var res store.ImportResult
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				var err error
				res, err = tx.ImportAdvisory(ctx, access.System, &other)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if want := map[string]string{"1": "new", "2": "updated"}[rev]; res.Outcome != want {
				t.Errorf("third-party advisory revision %s: %s, want %s", rev, res.Outcome, want)
			}
		}

		// The draft publish path revises it.
		cur, err := db.AdvisoryDraft(ctx, w.csirt, dr.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := draftUpdate(db, w.csirt, dr.ID, pumpDraft("<= 9.19", "9.20"), cur.UpdatedAt); err != nil {
			t.Fatal(err)
		}
		pub2, _, err := draftPublish(db, w.csirt, dr.ID, "Range narrowed.")
		if err != nil || pub2.Import.Outcome != "updated" || pub2.Import.ID != pub.Import.ID {
			t.Fatalf("revision 2 through the draft: %+v %v", pub2.Import, err)
		}
		if a, _ := db.Advisory(ctx, w.csirt, pub.Import.ID); a.Revision != "2" || !a.Doc.Authored {
			t.Errorf("after revision 2: revision %s authored %v", a.Revision, a.Doc.Authored)
		}
	})
}
