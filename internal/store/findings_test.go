package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/match"
	"github.com/aceso-health/aceso/internal/ssvc"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// fxWorld is the CSIRT and two hospitals with a few devices each.
type fxWorld struct {
	db          *store.DB
	csirt, a, b access.Principal
	devs        map[string]int64 // asset tag → id (tags unique across both hospitals here)
	now         time.Time
}

func fxPrincipal(org access.Org, role access.Role) access.Principal {
	return access.Principal{UserID: 1000 + org.ID, UserName: "u@" + org.Name, OrgID: org.ID, OrgKind: org.Kind, Role: role}
}

func fxSetup(t *testing.T, db *store.DB) *fxWorld {
	t.Helper()
	w := &fxWorld{db: db, devs: map[string]int64{}, now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	db.Now = func() time.Time { return w.now }
	orgs := []access.Org{{Name: "CERT", Kind: access.KindCSIRT}, {Name: "Hospital A", Kind: access.KindMember}, {Name: "Hospital B", Kind: access.KindMember}}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := range orgs {
			if err := tx.CreateOrg(ctx, access.System, &orgs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w.csirt, w.a, w.b = fxPrincipal(orgs[0], access.RoleAnalyst), fxPrincipal(orgs[1], access.RoleAnalyst), fxPrincipal(orgs[2], access.RoleAnalyst)
	w.device(t, w.a, "a-pcu", "BD", "Alaris 8015 PC Unit", "9.33", inventory.FunctionTherapy)
	w.device(t, w.a, "a-pcu2", "BD", "Alaris 8015 PC Unit", "9.19", inventory.FunctionTherapy)
	w.device(t, w.a, "a-mon1", "Philips", "IntelliVue", "M.00", inventory.FunctionMonitoring)
	w.device(t, w.a, "a-mon2", "Philips", "IntelliVue", "L.01", inventory.FunctionMonitoring)
	w.device(t, w.b, "b-pcu", "BD", "Alaris 8015 PC Unit", "9.1", inventory.FunctionTherapy)
	w.device(t, w.b, "b-mon", "Philips", "IntelliVue", "M.00", inventory.FunctionMonitoring)
	return w
}

func (w *fxWorld) device(t *testing.T, p access.Principal, tag, mfr, model, ver string, fn inventory.ClinicalFunction) {
	t.Helper()
	d := inventory.Device{AssetTag: tag, Manufacturer: mfr, Model: model, Version: ver, ClinicalFunction: fn,
		Department: "ICU", Zone: inventory.Zone("clinical")}
	d.Zone = ""
	if err := w.db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateDevice(ctx, p, &d) }); err != nil {
		t.Fatal(err)
	}
	w.devs[tag] = d.ID
}

func fxProd(id, vendor, name, ver string) advisory.Product {
	return advisory.Product{ID: id, Vendor: vendor, VendorNorm: inventory.NormaliseManufacturer(vendor), Name: name,
		FullName: name + ": " + ver, Version: ver, VersionIsRange: strings.ContainsAny(ver, "<>*")}
}

// alarisAdv says Alaris PC units up to 9.33.1 are affected by two CVEs, with a vendor fix.
func alarisAdv(rev string) *advisory.Advisory {
	return &advisory.Advisory{ID: "TEST-ALARIS-01", Title: "BD Alaris", Publisher: "CISA", TLP: "TLP:CLEAR", Revision: rev,
		CurrentRelease: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Products:       []advisory.Product{fxProd("P1", "Becton, Dickinson and Company (BD)", "Alaris PC Unit Model 8015", "<= 9.33.1")},
		Vulnerabilities: []advisory.Vulnerability{
			{CVE: "CVE-2026-0001", ProductStatus: map[string][]string{"known_affected": {"P1"}},
				Remediations: []advisory.Remediation{{Category: "vendor_fix", Details: "Update to 12.1", ProductIDs: []string{"P1"}}},
				Scores:       []advisory.Score{{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", BaseScore: 9.8, ProductIDs: []string{"P1"}}}},
			{CVE: "CVE-2026-0002", ProductStatus: map[string][]string{"known_affected": {"P1"}}},
		}}
}

// monitorAdv names a Philips monitor family by model range: a device
// recorded only as "IntelliVue" is a possible match for review.
func monitorAdv(id, tlp string) *advisory.Advisory {
	return &advisory.Advisory{ID: id, Title: "Philips IntelliVue " + id, TLP: tlp, Revision: "1",
		Products:        []advisory.Product{fxProd("P1", "Philips", "IntelliVue patient monitor MX400-MX850", "vers:all/*")},
		Vulnerabilities: []advisory.Vulnerability{{CVE: "CVE-2026-1" + id[len(id)-1:], ProductStatus: map[string][]string{"known_affected": {"P1"}}}}}
}

func (w *fxWorld) importAndMatch(t *testing.T, a *advisory.Advisory) (store.ImportResult, store.RematchReport) {
	t.Helper()
	var res store.ImportResult
	if err := w.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		res, err = tx.ImportAdvisory(ctx, w.csirt, a)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := w.db.RematchAdvisories(ctx, []int64{res.ID})
	if err != nil {
		t.Fatal(err)
	}
	return res, rep
}

// findings returns the principal's findings keyed "tag/vuln".
func (w *fxWorld) findings(t *testing.T, p access.Principal, f store.FindingFilter) map[string]store.Finding {
	t.Helper()
	page, err := w.db.ListFindings(ctx, p, f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Finding{}
	for _, x := range page.Findings {
		out[x.Device.AssetTag+"/"+x.VulnKey] = x
	}
	return out
}

func TestImportAdvisoryUpsert(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := fxSetup(t, db)
		imp := func(p access.Principal, a *advisory.Advisory) (store.ImportResult, error) {
			var r store.ImportResult
			err := db.InTx(ctx, func(tx *store.Tx) error {
				var err error
				r, err = tx.ImportAdvisory(ctx, p, a)
				return err
			})
			return r, err
		}
		steps := []struct {
			name    string
			p       access.Principal
			a       *advisory.Advisory
			outcome string
			code    string
		}{
			{"new", w.csirt, alarisAdv("1.2"), "new", ""},
			{"same content", w.csirt, alarisAdv("1.2"), "unchanged", ""},
			{"older revision ignored", w.csirt, alarisAdv("1.1"), "older", ""},
			{"newer revision replaces (1.10 > 1.2)", w.csirt, alarisAdv("1.10"), "updated", ""},
			{"member may not import", w.a, alarisAdv("2"), "", aceso.EFORBIDDEN},
			{"no tracking id", w.csirt, &advisory.Advisory{Title: "x"}, "", aceso.EINVALID},
		}
		var id int64
		for _, s := range steps {
			r, err := imp(s.p, s.a)
			if aceso.ErrorCode(err) != s.code && !(s.code == "" && err == nil) {
				t.Fatalf("%s: err %v, want code %q", s.name, err, s.code)
			}
			if err != nil {
				continue
			}
			if r.Outcome != s.outcome {
				t.Errorf("%s: outcome %q, want %q", s.name, r.Outcome, s.outcome)
			}
			if id != 0 && r.ID != id {
				t.Errorf("%s: id %d, want the same row %d", s.name, r.ID, id)
			}
			id = r.ID
		}
		got, err := db.Advisory(ctx, w.a, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Revision != "1.10" || got.Doc == nil || len(got.Doc.Products) != 1 || strings.Join(got.CVEs, ",") != "CVE-2026-0001,CVE-2026-0002" {
			t.Errorf("stored advisory: %+v", got)
		}
		list, err := db.Advisories(ctx, w.a, store.AdvisoryFilter{Query: "alaris"})
		if err != nil || len(list) != 1 {
			t.Fatalf("list: %v %v", list, err)
		}
		kev := map[string]advisory.KEVEntry{"CVE-2026-0002": {CVE: "CVE-2026-0002", DateAdded: w.now, Ransomware: true}}
		var kc store.KEVCount
		if err := db.InTx(ctx, func(tx *store.Tx) error { var err error; kc, err = tx.ImportKEV(ctx, w.csirt, kev); return err }); err != nil {
			t.Fatal(err)
		}
		if kc.New != 1 || kc.Entries != 1 {
			t.Errorf("kev counts %+v", kc)
		}
		if e, err := db.KEV(ctx, "CVE-2026-0002"); err != nil || !e.Ransomware {
			t.Errorf("kev entry %+v %v", e, err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.ImportKEV(ctx, w.a, kev); return err }); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Errorf("member KEV import: %v", err)
		}
	})
}

func TestApplyResultsAndAutoRemediate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := fxSetup(t, db)
		// KEV first: CVE-2026-0001 is exploited, so the SSVC exploitation is active.
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ImportKEV(ctx, w.csirt, map[string]advisory.KEVEntry{"CVE-2026-0001": {CVE: "CVE-2026-0001", DateAdded: w.now}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		_, rep := w.importAndMatch(t, alarisAdv("1"))
		// A: two PC units × two CVEs; B: one × two.
		if rep.Total.New != 6 || rep.Orgs != 2 || rep.ByOrg[w.a.OrgID].New != 4 || rep.ByOrg[w.b.OrgID].New != 2 {
			t.Fatalf("first match: %+v", rep)
		}
		fa := w.findings(t, w.a, store.FindingFilter{})
		if len(fa) != 4 {
			t.Fatalf("A sees %d findings, want its 4: %v", len(fa), keys(fa))
		}
		for k := range fa {
			if strings.HasPrefix(k, "b-") {
				t.Fatalf("A sees B's finding %s", k)
			}
		}
		f := fa["a-pcu/CVE-2026-0001"]
		if f.Status != match.Affected || f.State != store.StateOpen || !f.VendorFix || f.SSVC.Inputs.Exploitation != ssvc.ExploitationActive {
			t.Errorf("finding: %+v", f)
		}
		if len(f.Remediations) == 0 || f.Remediations[0].Category != "vendor_fix" {
			t.Errorf("remediations: %+v", f.Remediations)
		}
		// Tenant isolation: B's finding is not found for A, by id either.
		fb := w.findings(t, w.b, store.FindingFilter{})
		if _, err := db.Finding(ctx, w.a, fb["b-pcu/CVE-2026-0001"].ID); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("A reading B's finding: %v", err)
		}
		if _, err := db.DecideReview(ctx, w.a, fb["b-pcu/CVE-2026-0001"].ID, false, "x"); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("A deciding on B's finding: %v", err)
		}
		// Re-matching unchanged data writes nothing.
		_, rep = w.importAndMatch(t, alarisAdv("1"))
		if rep.Total.New+rep.Total.Updated+rep.Total.Resolved != 0 || rep.Total.Unchanged != 6 {
			t.Errorf("re-match of unchanged data: %+v", rep.Total)
		}
		// The device is updated to a fixed version: its findings close by themselves.
		dev, err := db.Device(ctx, w.a, w.devs["a-pcu"])
		if err != nil {
			t.Fatal(err)
		}
		dev.Version = "12.1"
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.UpdateDevice(ctx, w.a, &dev) }); err != nil {
			t.Fatal(err)
		}
		c, err := db.RematchDevices(ctx, w.a.OrgID, []int64{dev.ID})
		if err != nil || c.Resolved != 2 {
			t.Fatalf("rematch after update: %+v %v", c, err)
		}
		fa = w.findings(t, w.a, store.FindingFilter{})
		if g := fa["a-pcu/CVE-2026-0001"]; g.State != store.StateRemediated || !g.AutoClosed {
			t.Errorf("after fix: %+v", g)
		}
		if g := fa["a-pcu2/CVE-2026-0001"]; g.State != store.StateOpen {
			t.Errorf("other device changed: %+v", g)
		}
		// Rolled back to an affected version: reopened.
		dev, _ = db.Device(ctx, w.a, dev.ID)
		dev.Version = "9.19"
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.UpdateDevice(ctx, w.a, &dev) }); err != nil {
			t.Fatal(err)
		}
		if c, err = db.RematchDevices(ctx, w.a.OrgID, []int64{dev.ID}); err != nil || c.Reopened != 2 {
			t.Fatalf("rematch after rollback: %+v %v", c, err)
		}
		if g := w.findings(t, w.a, store.FindingFilter{})["a-pcu/CVE-2026-0001"]; g.State != store.StateOpen {
			t.Errorf("after rollback: %+v", g)
		}
		// B was never touched by A's changes.
		if g := w.findings(t, w.b, store.FindingFilter{})["b-pcu/CVE-2026-0001"]; g.State != store.StateOpen || g.AutoClosed {
			t.Errorf("B's finding: %+v", g)
		}
		// Filters.
		if n := len(w.findings(t, w.a, store.FindingFilter{State: "remediated"})); n != 0 {
			t.Errorf("state filter: %d remediated", n)
		}
		if n := len(w.findings(t, w.a, store.FindingFilter{Manufacturer: "Nobody"})); n != 0 {
			t.Errorf("manufacturer filter: %d", n)
		}
		if _, err := db.ListFindings(ctx, w.a, store.FindingFilter{State: "bogus"}); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Errorf("bad state filter: %v", err)
		}
		page, err := db.ListFindings(ctx, w.a, store.FindingFilter{Limit: 3})
		if err != nil || len(page.Findings) != 3 || page.Next == "" {
			t.Fatalf("page 1: %d %q %v", len(page.Findings), page.Next, err)
		}
		page2, err := db.ListFindings(ctx, w.a, store.FindingFilter{Limit: 3, After: page.Next})
		if err != nil || len(page2.Findings) != 1 || page2.Findings[0].ID == page.Findings[2].ID {
			t.Errorf("page 2: %+v %v", page2, err)
		}
	})
}

func keys(m map[string]store.Finding) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestReviewDecisionReuse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := fxSetup(t, db)
		w.importAndMatch(t, monitorAdv("TEST-MON-1", "TLP:CLEAR"))
		fa := w.findings(t, w.a, store.FindingFilter{})
		f1, f2 := fa["a-mon1/CVE-2026-11"], fa["a-mon2/CVE-2026-11"]
		if f1.Status != match.PossiblyAffected || f2.Status != match.PossiblyAffected {
			t.Fatalf("family-only model should be possibly affected: %+v", fa)
		}
		q, err := db.ReviewQueue(ctx, w.a)
		if err != nil || len(q) != 1 || q[0].Devices != 2 || q[0].Model != "IntelliVue" {
			t.Fatalf("review queue: %+v %v", q, err)
		}
		// A viewer may not decide.
		viewer := w.a
		viewer.Role = access.RoleViewer
		if _, err := db.DecideReview(ctx, viewer, f1.ID, true, ""); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Errorf("viewer decided: %v", err)
		}
		out, err := db.DecideReview(ctx, w.a, f1.ID, true, "our IntelliVue units are MX450")
		if err != nil || out.Devices != 2 {
			t.Fatalf("confirm: %+v %v", out, err)
		}
		fa = w.findings(t, w.a, store.FindingFilter{})
		for _, k := range []string{"a-mon1/CVE-2026-11", "a-mon2/CVE-2026-11"} {
			if fa[k].Status != match.Affected {
				t.Errorf("%s after confirm: %s (%s)", k, fa[k].Status, fa[k].Reason)
			}
		}
		if q, _ := db.ReviewQueue(ctx, w.a); len(q) != 0 {
			t.Errorf("queue after confirm: %+v", q)
		}
		// B's identical device is still in B's own queue: decisions are per organisation.
		if fb := w.findings(t, w.b, store.FindingFilter{}); fb["b-mon/CVE-2026-11"].Status != match.PossiblyAffected {
			t.Errorf("A's decision leaked to B: %+v", fb["b-mon/CVE-2026-11"])
		}
		// A later advisory naming the same product reuses the verdict at once.
		w.importAndMatch(t, monitorAdv("TEST-MON-2", "TLP:CLEAR"))
		if g := w.findings(t, w.a, store.FindingFilter{})["a-mon1/CVE-2026-12"]; g.Status != match.Affected {
			t.Errorf("later advisory: %+v", g)
		}
		// B rejects: its findings become false positives, later advisories create none.
		fb := w.findings(t, w.b, store.FindingFilter{})
		out, err = db.DecideReview(ctx, w.b, fb["b-mon/CVE-2026-11"].ID, false, "ours is a different product line")
		if err != nil || out.FalsePositive != 2 {
			t.Fatalf("reject: %+v %v", out, err)
		}
		fb = w.findings(t, w.b, store.FindingFilter{})
		if fb["b-mon/CVE-2026-11"].State != store.StateFalsePositive || fb["b-mon/CVE-2026-12"].State != store.StateFalsePositive {
			t.Errorf("after reject: %+v", fb)
		}
		_, rep := w.importAndMatch(t, monitorAdv("TEST-MON-3", "TLP:CLEAR"))
		if rep.ByOrg[w.b.OrgID].New != 0 || rep.ByOrg[w.a.OrgID].New != 2 {
			t.Errorf("third advisory: %+v", rep.ByOrg)
		}
	})
}

func TestFindingLifecycleAndSSVCOverride(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := fxSetup(t, db)
		w.importAndMatch(t, alarisAdv("1"))
		f := w.findings(t, w.a, store.FindingFilter{})["a-pcu/CVE-2026-0001"]
		until := w.now.Add(30 * 24 * time.Hour)
		set := func(p access.Principal, ch store.FindingChange) (store.Finding, error) {
			var out store.Finding
			err := db.InTx(ctx, func(tx *store.Tx) error { var err error; out, err = tx.SetFindingState(ctx, p, f.ID, ch); return err })
			return out, err
		}
		bad := []struct {
			name string
			ch   store.FindingChange
		}{
			{"unknown state", store.FindingChange{State: "closed"}},
			{"mitigated without note", store.FindingChange{State: store.StateMitigated}},
			{"risk without approver", store.FindingChange{State: store.StateRiskAccepted, Note: "x", Until: &until}},
			{"risk without expiry", store.FindingChange{State: store.StateRiskAccepted, Note: "x", Approver: "CMO"}},
			{"risk expiry in the past", store.FindingChange{State: store.StateRiskAccepted, Note: "x", Approver: "CMO", Until: &w.now}},
		}
		for _, b := range bad {
			if _, err := set(w.a, b.ch); aceso.ErrorCode(err) != aceso.EINVALID {
				t.Errorf("%s: %v, want EINVALID", b.name, err)
			}
		}
		if _, err := set(w.b, store.FindingChange{State: store.StateInProgress}); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("B changing A's finding: %v", err)
		}
		got, err := set(w.a, store.FindingChange{State: store.StateRiskAccepted, Note: "pump replaced in Q2", Approver: "Dr. Weiss", Until: &until})
		if err != nil || got.State != store.StateRiskAccepted || got.Approver != "Dr. Weiss" {
			t.Fatalf("accept: %+v %v", got, err)
		}
		// At expiry the finding reads as open again, in lists, filters and the dashboard.
		w.now = until.Add(time.Second)
		g, err := db.Finding(ctx, w.a, f.ID)
		if err != nil || g.State != store.StateOpen || !g.AcceptanceExpired {
			t.Errorf("after expiry: %+v %v", g.State, err)
		}
		if _, ok := w.findings(t, w.a, store.FindingFilter{State: "open"})["a-pcu/CVE-2026-0001"]; !ok {
			t.Error("expired acceptance not listed as open")
		}
		sum, err := db.FindingSummary(ctx, w.a)
		if err != nil || sum.Active != 4 || sum.ActiveDevices != 2 {
			t.Errorf("summary: %+v %v", sum, err)
		}
		// SSVC override: exposure open and exploitation active raise the decision.
		before := g.SSVC.Decision
		over := func(input, value, reason string) (store.Finding, error) {
			var out store.Finding
			err := db.InTx(ctx, func(tx *store.Tx) error {
				var err error
				out, err = tx.OverrideSSVC(ctx, w.a, f.ID, input, value, reason)
				return err
			})
			return out, err
		}
		if _, err := over("exposure", "open", ""); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Errorf("override without reason: %v", err)
		}
		if _, err := over("colour", "red", "x"); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Errorf("unknown input: %v", err)
		}
		if _, err := over("exposure", "open", "pump is on the guest Wi-Fi"); err != nil {
			t.Fatal(err)
		}
		g, err = over("exploitation", "active", "exploit seen by our SOC")
		if err != nil {
			t.Fatal(err)
		}
		want := ssvc.Decide(ssvc.Inputs{Exploitation: "active", Exposure: "open", Automatable: g.SSVCBase.Automatable,
			SafetyImpact: g.SSVCBase.SafetyImpact, MissionImpact: g.SSVCBase.MissionImpact}).Decision
		if g.SSVC.Decision != want || g.SSVC.Decision.Rank() < before.Rank() || !strings.Contains(g.SSVC.Inputs.ExposureFrom, "guest Wi-Fi") {
			t.Errorf("override: %s (was %s, want %s) from %q", g.SSVC.Decision, before, want, g.SSVC.Inputs.ExposureFrom)
		}
		// The override survives a re-match with changed evidence.
		a := alarisAdv("2")
		a.Vulnerabilities[0].Remediations = append(a.Vulnerabilities[0].Remediations, advisory.Remediation{Category: "mitigation", Details: "Block port 51243", ProductIDs: []string{"P1"}})
		w.importAndMatch(t, a)
		g, _ = db.Finding(ctx, w.a, f.ID)
		if g.SSVC.Decision != want || g.Overrides["exposure"].Value != "open" || len(g.Remediations) != 2 {
			t.Errorf("after re-match: %s %+v %d", g.SSVC.Decision, g.Overrides, len(g.Remediations))
		}
	})
}

func TestAdvisoryVisibilityAndImpact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := fxSetup(t, db)
		// An AMBER advisory that only hits B's… no: both have IntelliVue. Use a
		// device only B has.
		w.device(t, w.b, "b-c6", "Hamilton Medical", "HAMILTON-C6", "2.2.2", inventory.FunctionLifeSupport)
		amber := &advisory.Advisory{ID: "TEST-AMBER-1", Title: "Hamilton", TLP: "TLP:AMBER", Revision: "1",
			Products:        []advisory.Product{fxProd("P1", "Hamilton Medical", "HAMILTON-C6", "<= 2.3")},
			Vulnerabilities: []advisory.Vulnerability{{CVE: "CVE-2026-9", ProductStatus: map[string][]string{"known_affected": {"P1"}}}}}
		res, rep := w.importAndMatch(t, amber)
		if rep.ByOrg[w.b.OrgID].New != 1 {
			t.Fatalf("amber match: %+v", rep.ByOrg)
		}
		if _, err := db.Advisory(ctx, w.a, res.ID); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("A sees an AMBER advisory it is not affected by: %v", err)
		}
		if _, err := db.Advisory(ctx, w.b, res.ID); err != nil {
			t.Errorf("B cannot see the AMBER advisory that hits it: %v", err)
		}
		if _, err := db.Advisory(ctx, w.csirt, res.ID); err != nil {
			t.Errorf("CSIRT: %v", err)
		}
		im, err := db.AdvisoryImpact(ctx, w.csirt, res.ID)
		if err != nil || im.Orgs != 1 || im.Devices != 1 || im.AffectedDevices != 1 {
			t.Errorf("impact: %+v %v", im, err)
		}
		if _, err := db.AdvisoryImpact(ctx, w.a, res.ID); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Errorf("member asking sector impact: %v", err)
		}
		if page, _ := db.ListFindings(ctx, w.a, store.FindingFilter{AdvisoryID: res.ID}); len(page.Findings) != 0 {
			t.Errorf("A lists B's findings of the advisory: %+v", page.Findings)
		}
	})
}
