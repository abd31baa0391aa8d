package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// fndCSAF builds a small CSAF 2.0 document with one vendor, one product
// version range and one CVE, with a vendor fix and a mitigation.
func fndCSAF(id, tlp, vendor, product, version, cve string) string {
	doc := map[string]any{
		"document": map[string]any{
			"category": "csaf_security_advisory", "csaf_version": "2.0", "lang": "en-US", "title": "TEST " + product,
			"distribution": map[string]any{"tlp": map[string]any{"label": tlp}},
			"publisher":    map[string]any{"category": "coordinator", "name": "Test CERT", "namespace": "https://cert.example"},
			"tracking": map[string]any{"id": id, "status": "final", "version": "1", "initial_release_date": "2026-01-01T00:00:00Z",
				"current_release_date": "2026-01-02T00:00:00Z",
				"revision_history":     []any{map[string]any{"date": "2026-01-01T00:00:00Z", "number": "1", "summary": "Initial"}}},
		},
		"product_tree": map[string]any{"branches": []any{map[string]any{"category": "vendor", "name": vendor, "branches": []any{
			map[string]any{"category": "product_name", "name": product, "branches": []any{
				map[string]any{"category": "product_version_range", "name": version,
					"product": map[string]any{"name": product + " " + version, "product_id": "CSAFPID-0001"}}}}}}}},
		"vulnerabilities": []any{map[string]any{
			"cve": cve, "product_status": map[string]any{"known_affected": []string{"CSAFPID-0001"}},
			"remediations": []any{
				map[string]any{"category": "vendor_fix", "details": "Update to the latest software.", "product_ids": []string{"CSAFPID-0001"}},
				map[string]any{"category": "mitigation", "details": "Isolate the device on its own VLAN.", "product_ids": []string{"CSAFPID-0001"}}},
			"scores": []any{map[string]any{"products": []string{"CSAFPID-0001"}, "cvss_v3": map[string]any{"version": "3.1",
				"vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "baseScore": 9.8, "baseSeverity": "CRITICAL"}}}}},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

func fndDevice(w *world, u access.User, tag, mfr, model, ver string) int64 {
	p, err := w.db.PrincipalFor(ctx, u)
	if err != nil {
		w.t.Fatal(err)
	}
	d := inventory.Device{AssetTag: tag, Manufacturer: mfr, Model: model, Version: ver, Department: "ICU", ClinicalFunction: inventory.FunctionTherapy}
	if err := w.db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateDevice(ctx, p, &d) }); err != nil {
		w.t.Fatal(err)
	}
	return d.ID
}

func fndImport(w *world, doc string) int64 {
	a, err := advisory.Parse([]byte(doc))
	if err != nil {
		w.t.Fatal(err)
	}
	var res store.ImportResult
	if err := w.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		res, err = tx.ImportAdvisory(ctx, access.System, a)
		return err
	}); err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.db.RematchAdvisories(ctx, []int64{res.ID}); err != nil {
		w.t.Fatal(err)
	}
	return res.ID
}

func fndFirstFinding(w *world, u access.User, advisoryID int64) int64 {
	p, _ := w.db.PrincipalFor(ctx, u)
	page, err := w.db.ListFindings(ctx, p, store.FindingFilter{AdvisoryID: advisoryID})
	if err != nil || len(page.Findings) == 0 {
		w.t.Fatalf("no finding of advisory %d for %s: %v", advisoryID, u.Email, err)
	}
	return page.Findings[0].ID
}

func init() {
	// A and B both run BD Alaris pumps (one CLEAR advisory hits both; B's
	// device carries the marker); only B runs the Hamilton ventilator of the
	// AMBER advisory, which A therefore may not see at all.
	seeders = append(seeders, func(w *world) {
		fndDevice(w, w.aAdmin.user, "fnd-a-pump", "BD", "Alaris 8015 PC Unit", "9.33")
		fndDevice(w, w.bAdmin.user, "fnd-b-pump-"+marker, "BD", "Alaris 8015 PC Unit", "9.19")
		fndDevice(w, w.bAdmin.user, "fnd-b-vent-"+marker, "Hamilton Medical", "HAMILTON-C6", "2.2.2")
		clear := fndImport(w, fndCSAF("TEST-CLEAR-1", "CLEAR", "Becton, Dickinson and Company (BD)", "Alaris PC Unit Model 8015", "<= 9.33.1", "CVE-2026-1000"))
		amber := fndImport(w, fndCSAF("TEST-AMBER-1", "AMBER", "Hamilton Medical", "HAMILTON-C6", "<= 2.3", "CVE-2026-2000"))
		w.ownA["advisory"], w.ofB["advisory"] = clear, amber
		w.ownA["finding"] = fndFirstFinding(w, w.aAdmin.user, clear)
		w.ofB["finding"] = fndFirstFinding(w, w.bAdmin.user, amber)
	})
}

func TestFindingsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		clear := w.ownA["advisory"]
		// A sees its own device on the shared advisory, never B's.
		r := w.do(req{method: "GET", path: "/api/v1/advisories/" + itoa(clear), token: w.aToken})
		if r.status != 200 || !strings.Contains(r.body, "fnd-a-pump") || strings.Contains(r.body, marker) {
			t.Fatalf("A's advisory view: %d %.400s", r.status, r.body)
		}
		// The CSIRT sees counts across the sector, no devices.
		r = w.do(req{method: "GET", path: "/api/v1/advisories/" + itoa(clear), as: &w.csirtAdmin})
		var view struct {
			Impact   store.AdvisoryImpact `json:"impact"`
			Findings []store.Finding      `json:"findings"`
		}
		if err := json.Unmarshal([]byte(r.body), &view); err != nil || view.Impact.AffectedOrgs != 2 || view.Impact.AffectedDevices != 2 || len(view.Findings) != 0 {
			t.Errorf("CSIRT view: %d %+v %v", r.status, view, err)
		}
		// The advisory list hides the AMBER advisory from A.
		r = w.do(req{method: "GET", path: "/api/v1/advisories", token: w.aToken})
		if r.status != 200 || !strings.Contains(r.body, "TEST-CLEAR-1") || strings.Contains(r.body, "TEST-AMBER-1") {
			t.Errorf("A's advisory list: %d %.300s", r.status, r.body)
		}
		// Upload: the CSIRT ingests a new advisory and gets the counts back.
		doc := fndCSAF("TEST-UP-1", "GREEN", "BD", "Alaris PC Unit Model 8015", "<= 9.40", "CVE-2026-3000")
		r = w.do(req{method: "POST", path: "/api/v1/advisories", as: &w.csirtAdmin, body: doc})
		var imp struct {
			Outcome string               `json:"outcome"`
			Impact  store.AdvisoryImpact `json:"impact"`
		}
		if err := json.Unmarshal([]byte(r.body), &imp); r.status != http.StatusCreated || err != nil || imp.Outcome != "new" || imp.Impact.AffectedDevices != 2 {
			t.Fatalf("upload: %d %.400s", r.status, r.body)
		}
		if r = w.do(req{method: "POST", path: "/api/v1/advisories", as: &w.csirtAdmin, body: doc}); r.status != 200 || !strings.Contains(r.body, `"unchanged"`) {
			t.Errorf("re-upload: %d %.200s", r.status, r.body)
		}
		if r = w.do(req{method: "POST", path: "/api/v1/advisories", as: &w.csirtAdmin, body: `{"document": 5}`}); r.status != 400 {
			t.Errorf("bad CSAF: %d %.200s", r.status, r.body)
		}
		if r = w.do(req{method: "POST", path: "/api/v1/advisories", token: w.aToken, body: doc}); r.status != 403 {
			t.Errorf("member upload: %d", r.status)
		}
		// KEV makes CVE-2026-1000 actively exploited: A's finding becomes more urgent.
		fid := w.ownA["finding"]
		before := fndGet(t, w, fid)
		kev := `{"catalogVersion":"1","vulnerabilities":[{"cveID":"CVE-2026-1000","vendorProject":"BD","product":"Alaris","vulnerabilityName":"x","dateAdded":"2026-01-05","dueDate":"2026-01-26","knownRansomwareCampaignUse":"Unknown","requiredAction":"patch"}]}`
		if r = w.do(req{method: "POST", path: "/api/v1/kev", as: &w.csirtAdmin, body: kev}); r.status != 200 {
			t.Fatalf("kev: %d %s", r.status, r.body)
		}
		after := fndGet(t, w, fid)
		if after.SSVC.Inputs.Exploitation != "active" || after.SSVC.Decision.Rank() < before.SSVC.Decision.Rank() {
			t.Errorf("after KEV: %+v (before %s)", after.SSVC, before.SSVC.Decision)
		}
		// Lifecycle and override through the API.
		r = w.do(req{method: "PATCH", path: "/api/v1/findings/" + itoa(fid), token: w.aToken, body: `{"state":"mitigated"}`})
		if r.status != 400 || !strings.Contains(r.body, "note is required") {
			t.Errorf("mitigated without note: %d %s", r.status, r.body)
		}
		r = w.do(req{method: "PATCH", path: "/api/v1/findings/" + itoa(fid), token: w.aToken, body: `{"state":"mitigated","note":"VLAN 40, firewall rule 17"}`})
		if r.status != 200 || fndGet(t, w, fid).State != store.StateMitigated {
			t.Errorf("mitigate: %d %s", r.status, r.body)
		}
		r = w.do(req{method: "POST", path: "/api/v1/findings/" + itoa(fid) + "/ssvc", token: w.aToken, body: `{"input":"exposure","value":"small","reason":"isolated VLAN"}`})
		if r.status != 200 || fndGet(t, w, fid).SSVC.Inputs.Exposure != "small" {
			t.Errorf("override: %d %s", r.status, r.body)
		}
		r = w.do(req{method: "GET", path: "/api/v1/findings?state=mitigated&org=" + itoa(w.b.ID), token: w.aToken})
		var page store.FindingPage
		if err := json.Unmarshal([]byte(r.body), &page); err != nil || len(page.Findings) != 1 || page.Findings[0].ID != fid {
			t.Errorf("filtered list: %d %.300s", r.status, r.body)
		}
		if r = w.do(req{method: "GET", path: "/api/v1/findings?ssvc=Urgent", token: w.aToken}); r.status != 400 {
			t.Errorf("bad filter: %d", r.status)
		}
		if r = w.do(req{method: "GET", path: "/api/v1/findings/summary", token: w.aToken}); r.status != 200 || !strings.Contains(r.body, `"by_decision"`) {
			t.Errorf("summary: %d %.200s", r.status, r.body)
		}
		if r = w.do(req{method: "POST", path: "/api/v1/findings/" + itoa(fid) + "/review", token: w.aToken, body: `{"decision":"maybe"}`}); r.status != 400 {
			t.Errorf("bad review decision: %d", r.status)
		}
		if r = w.do(req{method: "GET", path: "/api/v1/review", token: w.aToken}); r.status != 200 || !strings.Contains(r.body, `"groups"`) {
			t.Errorf("review: %d %s", r.status, r.body)
		}
	})
}

func fndGet(t *testing.T, w *world, id int64) store.Finding {
	t.Helper()
	r := w.do(req{method: "GET", path: "/api/v1/findings/" + itoa(id), token: w.aToken})
	var f store.Finding
	if err := json.Unmarshal([]byte(r.body), &f); r.status != 200 || err != nil {
		t.Fatalf("finding %d: %d %s", id, r.status, r.body)
	}
	return f
}

func TestFindingsUI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		fid, clear := w.ownA["finding"], w.ownA["advisory"]
		r := w.do(req{method: "GET", path: "/findings", as: &w.aAdmin})
		if r.status != 200 || !strings.Contains(r.body, "<svg class=\"chart\"") || !strings.Contains(r.body, "live findings on") {
			t.Fatalf("dashboard: %d %.300s", r.status, r.body)
		}
		r = w.do(req{method: "GET", path: "/findings/" + itoa(fid), as: &w.aAdmin})
		if r.status != 200 || !strings.Contains(r.body, "Isolate the device on its own VLAN.") || !strings.Contains(r.body, "Where it comes from") {
			t.Fatalf("finding page: %d %.300s", r.status, r.body)
		}
		// The mitigation is listed before the vendor fix.
		if strings.Index(r.body, "Isolate the device") > strings.Index(r.body, "Update to the latest software") {
			t.Error("mitigation not shown first")
		}
		form := url.Values{"csrf_token": {w.aAdmin.csrf}, "state": {"risk_accepted"}, "note": {"replacement ordered"}, "approver": {"Dr. Weiss"}, "accepted_until": {"1999-01-01"}}
		r = w.do(req{method: "POST", path: "/findings/" + itoa(fid) + "/state", as: &w.aAdmin, body: form.Encode()})
		if r.status != 400 || !strings.Contains(r.body, "not in the future") {
			t.Errorf("past acceptance: %d %.300s", r.status, r.body)
		}
		form.Set("accepted_until", "2099-01-01")
		r = w.do(req{method: "POST", path: "/findings/" + itoa(fid) + "/state", as: &w.aAdmin, body: form.Encode()})
		if r.status != 400 || !strings.Contains(r.body, "more than a year") {
			t.Errorf("long acceptance: %d", r.status)
		}
		form.Del("accepted_until")
		form.Set("state", "in_progress")
		r = w.do(req{method: "POST", path: "/findings/" + itoa(fid) + "/state", as: &w.aAdmin, body: form.Encode()})
		if r.status != http.StatusSeeOther {
			t.Errorf("state: %d %.300s", r.status, r.body)
		}
		r = w.do(req{method: "GET", path: "/advisories/" + itoa(clear), as: &w.aAdmin})
		if r.status != 200 || !strings.Contains(r.body, "fnd-a-pump") || strings.Contains(r.body, marker) {
			t.Errorf("A's advisory page: %d %.300s", r.status, r.body)
		}
		r = w.do(req{method: "GET", path: "/advisories", as: &w.csirtAdmin})
		if r.status != 200 || !strings.Contains(r.body, "TEST-AMBER-1") || !strings.Contains(r.body, "enctype=\"multipart/form-data\"") {
			t.Errorf("CSIRT advisories: %d", r.status)
		}
		for _, path := range []string{"/review", "/findings/list", "/findings/list?state=remediated&ssvc=Immediate"} {
			if r = w.do(req{method: "GET", path: path, as: &w.aAdmin}); r.status != 200 {
				t.Errorf("%s: %d %.300s", path, r.status, r.body)
			}
		}
	})
}
