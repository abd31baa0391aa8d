package store_test

import (
	"strings"
	"testing"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// TestAlertFromWithheldAdvisory: an advisory labelled TLP:AMBER+STRICT or
// RED, or with an unreadable label, stays with the CSIRT: it offers no
// prefill and seeds no alert, whatever the alert's own label and audience,
// and nothing is stored or enqueued. Its members are affected (A runs the
// ventilator), so only the label refuses.
func TestAlertFromWithheldAdvisory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := alSetup(t, db)
		withheld := func(id, label string) int64 {
			t.Helper()
			adv := &advisory.Advisory{ID: id, Title: "Hamilton C6 " + id, TLP: label, Revision: "1",
				Notes:    []advisory.Note{{Category: "summary", Text: "SECRET-SUMMARY " + id}},
				Products: []advisory.Product{fxProd("P1", "Hamilton Medical", "HAMILTON-C6", "<= 2.3")},
				Vulnerabilities: []advisory.Vulnerability{{CVE: "CVE-2026-3001", ProductStatus: map[string][]string{"known_affected": {"P1"}},
					Remediations: []advisory.Remediation{{Category: "mitigation", Details: "SECRET-FIX " + id, ProductIDs: []string{"P1"}}}}}}
			res, _ := w.importAndMatch(t, adv)
			return res.ID
		}
		strict := withheld("TEST-STRICT-1", "TLP:AMBER+STRICT")
		red := withheld("TEST-RED-1", "TLP:RED")
		odd := withheld("TEST-ODD-1", "TLP:AMBER")
		if _, err := db.SQL().ExecContext(ctx, "UPDATE advisories SET tlp = 'TLP:PURPLE' WHERE id = $1", odd); err != nil {
			t.Fatal(err)
		}
		if got, err := db.AffectedMembers(ctx, w.csirt, red); err != nil || len(got) != 1 || got[0].ID != w.a.OrgID {
			t.Fatalf("the RED advisory should affect exactly A: %+v, %v", got, err)
		}
		refusal := func(id int64, tracking, what string) string {
			return "advisory_id " + itoa(int(id)) + ": advisory " + tracking + " " + what + ": its content stays with the CSIRT; write the alert from scratch without advisory_id"
		}
		personA := w.admin1[w.a.OrgID].UserID
		for _, tt := range []struct {
			name string
			id   int64
			want string
		}{
			{"AMBER+STRICT", strict, refusal(strict, "TEST-STRICT-1", "is TLP:AMBER+STRICT")},
			{"RED", red, refusal(red, "TEST-RED-1", "is TLP:RED")},
			{"unreadable", odd, refusal(odd, "TEST-ODD-1", "has no readable TLP label")},
		} {
			t.Run(tt.name, func(t *testing.T) {
				dr, err := db.AlertDraft(ctx, w.csirt, tt.id)
				if aceso.ErrorCode(err) != aceso.EINVALID || aceso.ErrorMessage(err) != tt.want {
					t.Errorf("draft: %v (%s), want EINVALID %q", err, aceso.ErrorCode(err), tt.want)
				}
				if dr.Input.Summary != "" || dr.Input.Actions != "" || len(dr.Affected) != 0 || dr.Advisory.ID != 0 {
					t.Errorf("a refused draft carries the advisory's content: %+v", dr)
				}
				for _, in := range []store.AlertInput{
					{AdvisoryID: tt.id, Title: "From scratch", TLP: share.TLPRed, People: []int64{personA}},
					{AdvisoryID: tt.id, Title: "From scratch", TLP: share.TLPAmberStrict, Audience: store.AudienceAffected},
					{AdvisoryID: tt.id, Title: "From scratch", TLP: share.TLPAmberStrict, Audience: store.AudienceChosen, OrgIDs: []int64{w.a.OrgID}},
				} {
					_, err := w.publish(t, w.csirt, in)
					if aceso.ErrorCode(err) != aceso.EINVALID || aceso.ErrorMessage(err) != tt.want {
						t.Errorf("publish %s/%s: %v (%s), want EINVALID %q", in.TLP, in.Audience, err, aceso.ErrorCode(err), tt.want)
					}
				}
			})
		}
		if list, _ := db.Alerts(ctx, w.csirt, store.AlertFilter{}); len(list) != 0 {
			t.Errorf("refused alerts were stored: %+v", list)
		}
		if out := outboxRows(t, db, "alert:"); len(out) != 0 {
			t.Errorf("refused alerts enqueued %v", out)
		}
		// The same alert without advisory_id is the CSIRT's own text: fine.
		a, err := w.publish(t, w.csirt, store.AlertInput{Title: "From scratch", TLP: share.TLPRed, People: []int64{personA}})
		if err != nil || a.AdvisoryID != nil || a.TrackingID != "" {
			t.Errorf("alert from scratch: %+v, %v", a, err)
		}
		// An AMBER advisory (every member is a client of the CSIRT) and an
		// unlabelled one (it reaches every organisation) still prefill.
		if dr, err := db.AlertDraft(ctx, w.csirt, w.hamilton); err != nil || dr.Input.TLP != share.TLPAmber || !strings.Contains(dr.Input.Actions, "Isolate the ventilator VLAN.") {
			t.Errorf("AMBER draft: %+v, %v", dr.Input, err)
		}
		if _, err := db.SQL().ExecContext(ctx, "UPDATE advisories SET tlp = '' WHERE id = $1", w.hamilton); err != nil {
			t.Fatal(err)
		}
		if dr, err := db.AlertDraft(ctx, w.csirt, w.hamilton); err != nil || dr.Input.TLP != share.TLPAmber {
			t.Errorf("unlabelled draft: %+v, %v", dr.Input, err)
		}
		if a, err := w.publish(t, w.csirt, store.AlertInput{AdvisoryID: w.hamilton, Title: "Unlabelled", TLP: share.TLPAmber, Audience: store.AudienceAll}); err != nil || a.Counts.Recipients != 3 {
			t.Errorf("alert from an unlabelled advisory to all: %+v, %v", a, err)
		}
	})
}
