package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/match"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// pumpDraft is an advisory the CSIRT writes about the BD Alaris pumps of
// the fixture hospitals (versions 9.33 and 9.19 at A, 9.1 at B).
func pumpDraft(affected, fixed string) share.Draft {
	return share.Draft{Title: "BD Alaris pumps: hard-coded credentials", TLP: "TLP:GREEN",
		Summary:  "An attacker on the clinical network can log in to the pump's maintenance service.",
		Products: []share.DraftProduct{{Vendor: "BD", Name: "Alaris PC Unit", Models: []string{"8015"}, Version: affected, Fixed: fixed}},
		Vulnerabilities: []share.DraftVulnerability{{CVE: "CVE-2026-50001", Title: "Hard-coded password", CWE: "CWE-798",
			CWEName: "Use of Hard-coded Credentials", CVSS3: "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
			Description: "The maintenance account has a fixed password.", Status: map[string]string{"P1": "known_affected"}}},
		Remediations: []share.DraftRemediation{{Category: "vendor_fix", Details: "Update to " + fixed + ".", Products: []string{"P1"}}},
	}
}

func draftCreate(t *testing.T, db *store.DB, p access.Principal, d share.Draft) store.AdvisoryDraft {
	t.Helper()
	var out store.AdvisoryDraft
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.CreateAdvisoryDraft(ctx, p, d)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func draftUpdate(db *store.DB, p access.Principal, id int64, d share.Draft, at time.Time) (store.AdvisoryDraft, error) {
	var out store.AdvisoryDraft
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = tx.UpdateAdvisoryDraft(ctx, p, id, d, at)
		return err
	})
	return out, err
}

func draftPublish(db *store.DB, p access.Principal, id int64, summary string) (store.DraftPublication, store.RematchReport, error) {
	return db.PublishAdvisoryDraftAndMatch(ctx, p, id, store.DraftPublish{Summary: summary})
}

// TestAdvisoryDraftLifecycle: the CSIRT writes an advisory, publishes it
// (findings appear for the members' matching pumps), narrows the range in
// revision 2 (the finding of the pump now fixed closes as remediated),
// and members never see the draft.
func TestAdvisoryDraftLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := fxSetup(t, db)
		incomplete := pumpDraft("<= 9.33.1", "12.1")
		incomplete.Summary = ""
		dr := draftCreate(t, db, w.csirt, incomplete)
		if dr.State != store.DraftStateDraft || dr.Version != 0 || dr.TrackingID != "" || dr.Draft.Products[0].Ref != "P1" || dr.CreatedBy != w.csirt.UserName {
			t.Fatalf("created: %+v", dr)
		}

		// Members: nothing of drafts, whatever the role.
		if _, err := db.AdvisoryDraft(ctx, w.a, dr.ID); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("member reads a draft: %v", err)
		}
		if _, err := db.AdvisoryDrafts(ctx, w.a); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Errorf("member lists drafts: %v", err)
		}
		if _, err := db.AdvisoryDraftPreview(ctx, w.a, dr.ID, ""); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("member previews a draft: %v", err)
		}
		if _, err := draftUpdate(db, w.a, dr.ID, pumpDraft("all", ""), dr.UpdatedAt); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("member edits a draft: %v", err)
		}
		if _, _, err := draftPublish(db, w.a, dr.ID, ""); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("member publishes a draft: %v", err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.CreateAdvisoryDraft(ctx, w.a, pumpDraft("all", "")); return err }); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Errorf("member creates a draft: %v", err)
		}
		viewer := w.csirt
		viewer.Role = access.RoleViewer
		if _, err := db.AdvisoryDraft(ctx, viewer, dr.ID); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Errorf("CSIRT viewer reads a draft: %v", err)
		}

		// An incomplete draft is saved but not published.
		if _, _, err := draftPublish(db, w.csirt, dr.ID, ""); aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(aceso.ErrorMessage(err), "summary: required") {
			t.Fatalf("incomplete draft published: %v", err)
		}
		pv, err := db.AdvisoryDraftPreview(ctx, w.csirt, dr.ID, "")
		if err != nil || pv.Advisory != nil || !slices.Equal(pv.Problems, []string{"summary: required"}) || pv.TrackingID != "CERT-2026-NNNN" {
			t.Fatalf("preview of the incomplete draft: %+v %v", pv, err)
		}
		dr, err = draftUpdate(db, w.csirt, dr.ID, pumpDraft("<= 9.33.1", "12.1"), dr.UpdatedAt)
		if err != nil {
			t.Fatal(err)
		}
		pv, err = db.AdvisoryDraftPreview(ctx, w.csirt, dr.ID, "")
		if err != nil || len(pv.Problems) != 0 || pv.Advisory == nil || pv.Advisory.ID != "CERT-2026-NNNN" || pv.Advisory.RevisionHistory[0].Summary != "Initial release." {
			t.Fatalf("preview: %+v %v", pv, err)
		}

		pub, rep, err := draftPublish(db, w.csirt, dr.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		v1 := pub.Draft
		if pub.Import.Outcome != "new" || pub.Import.TrackingID != "CERT-2026-0001" || v1.TrackingID != "CERT-2026-0001" || v1.State != store.DraftStatePublished ||
			v1.Version != 1 || v1.AdvisoryID == nil || *v1.AdvisoryID != pub.Import.ID || len(v1.Revisions) != 1 || v1.Revisions[0].Summary != "Initial release." ||
			!v1.Revisions[0].Date.Equal(w.now) || v1.PublishedBy != w.csirt.UserName {
			t.Fatalf("published: %+v %+v", pub.Import, v1)
		}
		if rep.Total.New != 3 {
			t.Errorf("matching the new advisory: %+v, want 3 new findings (two pumps at A, one at B)", rep.Total)
		}
		fa := w.findings(t, w.a, store.FindingFilter{AdvisoryID: pub.Import.ID})
		if len(fa) != 2 || fa["a-pcu/CVE-2026-50001"].Status != match.Affected || fa["a-pcu2/CVE-2026-50001"].Status != match.Affected {
			t.Fatalf("A's findings: %v", keys(fa))
		}
		if f := fa["a-pcu/CVE-2026-50001"]; !f.VendorFix || f.SSVC.Decision == "" || f.TrackingID != "CERT-2026-0001" {
			t.Errorf("finding evidence: %+v", f)
		}
		if fb := w.findings(t, w.b, store.FindingFilter{AdvisoryID: pub.Import.ID}); len(fb) != 1 || fb["b-pcu/CVE-2026-50001"].Status != match.Affected {
			t.Errorf("B's findings: %v", keys(fb))
		}
		// Members see the published advisory like any other (GREEN), never its draft.
		adv, err := db.Advisory(ctx, w.a, pub.Import.ID)
		if err != nil || !adv.Doc.Authored || adv.Publisher != "CERT" || adv.Revision != "1" || adv.Status != "final" || adv.TLP != "TLP:GREEN" {
			t.Fatalf("stored advisory: %+v %v", adv, err)
		}

		// Nothing changed: nothing to publish.
		if _, _, err := draftPublish(db, w.csirt, dr.ID, "again"); aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(aceso.ErrorMessage(err), "nothing to publish") {
			t.Errorf("unchanged draft published again: %v", err)
		}
		// Saving unchanged text keeps it published.
		if same, err := draftUpdate(db, w.csirt, dr.ID, pumpDraft("<= 9.33.1", "12.1"), v1.UpdatedAt); err != nil || same.State != store.DraftStatePublished {
			t.Errorf("unchanged save: %+v %v", same, err)
		}
		// Revision 2: only up to 9.19 is affected, 9.20 fixes it. A's 9.33 pump is no longer affected.
		narrowed := pumpDraft("<= 9.19", "9.20")
		if _, err := draftUpdate(db, w.csirt, dr.ID, narrowed, dr.UpdatedAt.Add(-time.Second)); aceso.ErrorCode(err) != aceso.ECONFLICT {
			t.Errorf("stale edit: %v", err)
		}
		if _, err := draftUpdate(db, w.csirt, dr.ID, narrowed, time.Time{}); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Errorf("edit without updated_at: %v", err)
		}
		w.now = w.now.Add(48 * time.Hour)
		v2draft, err := draftUpdate(db, w.csirt, dr.ID, narrowed, v1.UpdatedAt)
		if err != nil || v2draft.State != store.DraftStateDraft || v2draft.Version != 1 || v2draft.TrackingID != "CERT-2026-0001" {
			t.Fatalf("edit of the published advisory: %+v %v", v2draft, err)
		}
		// The published revision stays as it was until the next publication.
		if adv, _ := db.Advisory(ctx, w.csirt, pub.Import.ID); adv.Revision != "1" {
			t.Errorf("editing changed the published advisory: revision %s", adv.Revision)
		}
		if _, _, err := draftPublish(db, w.csirt, dr.ID, " "); aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(aceso.ErrorMessage(err), "summary: required for revision 2") {
			t.Errorf("revision without a summary: %v", err)
		}
		stale := store.DraftPublish{Summary: "x", UpdatedAt: v1.UpdatedAt}
		if _, _, err := db.PublishAdvisoryDraftAndMatch(ctx, w.csirt, dr.ID, stale); aceso.ErrorCode(err) != aceso.ECONFLICT {
			t.Errorf("publishing text nobody previewed: %v", err)
		}
		pub2, rep2, err := db.PublishAdvisoryDraftAndMatch(ctx, w.csirt, dr.ID, store.DraftPublish{Summary: "Range narrowed: 9.20 fixes it.", UpdatedAt: v2draft.UpdatedAt})
		if err != nil {
			t.Fatal(err)
		}
		v2 := pub2.Draft
		if pub2.Import.Outcome != "updated" || pub2.Import.ID != pub.Import.ID || v2.Version != 2 || v2.State != store.DraftStatePublished || len(v2.Revisions) != 2 ||
			v2.Revisions[1].Summary != "Range narrowed: 9.20 fixes it." || !v2.Revisions[1].Date.After(v2.Revisions[0].Date) {
			t.Fatalf("revision 2: %+v %+v", pub2.Import, v2)
		}
		if rep2.Total.Resolved != 1 {
			t.Errorf("re-match after revision 2: %+v, want 1 resolved", rep2.Total)
		}
		fa = w.findings(t, w.a, store.FindingFilter{AdvisoryID: pub.Import.ID})
		if f := fa["a-pcu/CVE-2026-50001"]; f.State != store.StateRemediated || !f.AutoClosed {
			t.Errorf("9.33 pump after the revision: %s auto=%v, want remediated by the lifecycle", f.State, f.AutoClosed)
		}
		if f := fa["a-pcu2/CVE-2026-50001"]; f.State != store.StateOpen || f.Status != match.Affected {
			t.Errorf("9.19 pump after the revision: %s %s, want still open and affected", f.State, f.Status)
		}
		adv, err = db.Advisory(ctx, w.csirt, pub.Import.ID)
		if err != nil || adv.Revision != "2" || !adv.InitialRelease.Equal(v1.Revisions[0].Date) || !adv.CurrentRelease.Equal(w.now) ||
			len(adv.Doc.RevisionHistory) != 2 || adv.Doc.RevisionHistory[1].Number != "2" {
			t.Errorf("stored revision 2: %+v %v", adv, err)
		}
		// The stored advisory is valid CSAF with both revisions.
		out, err := share.CSAFDocument(adv.Doc, share.CSAFPublisher{Name: "CERT", Namespace: "https://cert.example"})
		if err != nil {
			t.Fatal(err)
		}
		if msgs, err := advisory.Validate(out); err != nil || len(msgs) > 0 {
			t.Errorf("stored revision is not valid CSAF: %v %v", msgs, err)
		}
		if !strings.Contains(string(out), `"summary": "Range narrowed: 9.20 fixes it."`) || !strings.Contains(string(out), `"summary": "Initial release."`) {
			t.Errorf("revision history not in the document:\n%s", out)
		}

		// Audited, in the CSIRT's log.
		entries, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: w.csirt.OrgID, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			if e.ObjectType == "advisory_draft" || e.ObjectType == "advisory" {
				actions = append(actions, e.Action)
			}
		}
		slices.Reverse(actions)
		want := []string{"advisory_draft.create", "advisory_draft.update", "advisory.create", "advisory_draft.publish",
			"advisory_draft.update", "advisory.update", "advisory_draft.publish"}
		if !slices.Equal(actions, want) {
			t.Errorf("audit: %v, want %v", actions, want)
		}
	})
}

// TestAdvisoryDraftTrackingIDs: ids are sequential per year, skip ids an
// ingested advisory holds, start again at 0001 in a new year and never
// change with a revision.
func TestAdvisoryDraftTrackingIDs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := fxSetup(t, db)
		taken := alarisAdv("1")
		taken.ID = "CERT-2026-0003"
		w.importAndMatch(t, taken)
		publish := func() (int64, string) {
			t.Helper()
			dr := draftCreate(t, db, w.csirt, pumpDraft("<= 9.33.1", "12.1"))
			pub, _, err := draftPublish(db, w.csirt, dr.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			return dr.ID, pub.Draft.TrackingID
		}
		var got []string
		first, id := publish()
		got = append(got, id)
		for range 3 {
			_, id := publish()
			got = append(got, id)
		}
		w.now = time.Date(2027, 1, 1, 0, 0, 1, 0, time.UTC)
		_, id = publish()
		got = append(got, id)
		want := []string{"CERT-2026-0001", "CERT-2026-0002", "CERT-2026-0004", "CERT-2026-0005", "CERT-2027-0001"}
		if !slices.Equal(got, want) {
			t.Errorf("tracking ids %v, want %v", got, want)
		}
		// A revision keeps its id, even in the next year.
		w.now = w.now.Add(time.Hour)
		dr, err := db.AdvisoryDraft(ctx, w.csirt, first)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := draftUpdate(db, w.csirt, first, pumpDraft("<= 9.20", "12.1"), dr.UpdatedAt); err != nil {
			t.Fatal(err)
		}
		pub, _, err := draftPublish(db, w.csirt, first, "Range corrected.")
		if err != nil || pub.Draft.TrackingID != "CERT-2026-0001" || pub.Draft.Version != 2 {
			t.Errorf("revision: %+v %v", pub.Draft, err)
		}
		list, err := db.AdvisoryDrafts(ctx, w.csirt)
		if err != nil || len(list) != 5 || list[0].ID != first {
			t.Errorf("list: %d drafts, first %d, err %v; want 5, the revised one first", len(list), list[0].ID, err)
		}
	})
}

// TestAdvisoryDraftConcurrentPublish: analysts publishing at the same time
// get distinct consecutive ids, and one draft published twice at once
// becomes exactly one revision.
func TestAdvisoryDraftConcurrentPublish(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := fxSetup(t, db)
		const n = 4
		ids := make([]int64, n)
		for i := range ids {
			ids[i] = draftCreate(t, db, w.csirt, pumpDraft("<= 9.33.1", "12.1")).ID
		}
		same := draftCreate(t, db, w.csirt, pumpDraft("<= 9.33.1", "12.1")).ID
		type result struct {
			tracking string
			err      error
		}
		results := make(chan result, n+2)
		for _, id := range append(ids, same, same) {
			go func() {
				var pub store.DraftPublication
				err := db.InTx(ctx, func(tx *store.Tx) error {
					var err error
					pub, err = tx.PublishAdvisoryDraft(ctx, w.csirt, id, store.DraftPublish{})
					return err
				})
				results <- result{pub.Draft.TrackingID, err}
			}()
		}
		var got []string
		refused := 0
		for range n + 2 {
			r := <-results
			switch c := aceso.ErrorCode(r.err); {
			case r.err == nil:
				got = append(got, r.tracking)
			case c == aceso.ECONFLICT || c == aceso.EINVALID: // lost the race, or found it published already
				refused++
			default:
				t.Errorf("publish: %v", r.err)
			}
		}
		slices.Sort(got)
		want := []string{"CERT-2026-0001", "CERT-2026-0002", "CERT-2026-0003", "CERT-2026-0004", "CERT-2026-0005"}
		if !slices.Equal(got, want) || refused != 1 {
			t.Errorf("published %v (%d refused), want %v and 1 refused", got, refused, want)
		}
		dr, err := db.AdvisoryDraft(ctx, w.csirt, same)
		if err != nil || dr.Version != 1 || len(dr.Revisions) != 1 {
			t.Errorf("draft published twice at once: version %d, %d revisions, %v", dr.Version, len(dr.Revisions), err)
		}
	})
}
