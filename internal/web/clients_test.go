package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

func decodeOrg(t *testing.T, r resp) access.Org {
	t.Helper()
	var o access.Org
	if err := json.Unmarshal([]byte(r.body), &o); err != nil || o.ID == 0 {
		t.Fatalf("not an organisation (%d): %v %.300s", r.status, err, r.body)
	}
	return o
}

// TestOrgClientOfAPIAndPage: the CSIRT's administrators set and clear the
// organisation serving another, by API and on the organisation page; the
// store's rules come back as 400; members may not.
func TestOrgClientOfAPIAndPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		cert := &w.csirtAdmin
		a, b := itoa(w.a.ID), itoa(w.b.ID)

		r := w.do(req{method: "PUT", path: "/api/v1/orgs/" + a + "/client-of", as: cert, body: `{"client_of": ` + b + `}`})
		if o := decodeOrg(t, r); r.status != 200 || o.ID != w.a.ID || o.ClientOf == nil || *o.ClientOf != w.b.ID {
			t.Fatalf("set: %d %+v", r.status, o)
		}
		r = w.do(req{method: "GET", path: "/api/v1/orgs/" + a, token: w.aToken})
		if o := decodeOrg(t, r); o.ClientOf == nil || *o.ClientOf != w.b.ID {
			t.Errorf("A reads its own organisation: %s", r.body)
		}
		// B serves A, so B cannot become a client (one level), nor A serve B (cycle).
		for _, c := range []struct{ path, body, words string }{
			{"/api/v1/orgs/" + b + "/client-of", `{"client_of": ` + itoa(w.csirt.ID) + `}`, "serves clients itself"},
			{"/api/v1/orgs/" + b + "/client-of", `{"client_of": ` + a + `}`, "cycle"},
			{"/api/v1/orgs/" + itoa(w.csirt.ID) + "/client-of", `{"client_of": ` + a + `}`, "CSIRT serves the sector"},
			{"/api/v1/orgs/" + a + "/client-of", `{"client_of": "B"}`, ""},
		} {
			if r := w.do(req{method: "PUT", path: c.path, as: cert, body: c.body}); r.status != 400 || !strings.Contains(r.body, c.words) {
				t.Errorf("PUT %s %s: %d %.200s", c.path, c.body, r.status, r.body)
			}
		}
		// Members do not choose who serves them.
		if r := w.do(req{method: "PUT", path: "/api/v1/orgs/" + a + "/client-of", token: w.aToken, body: `{"client_of": null}`}); r.status != 403 {
			t.Errorf("A's admin: %d, want 403", r.status)
		}
		// The organisation page shows it to the CSIRT's administrators, with the form.
		r = w.do(req{method: "GET", path: "/admin/orgs/" + a, as: cert})
		if r.status != 200 || !strings.Contains(r.body, "A client of <strong>Klinikum Nord") || !strings.Contains(r.body, `action="/admin/orgs/`+a+`/client-of"`) {
			t.Errorf("A's page for the CSIRT: %d %.2000s", r.status, r.body)
		}
		r = w.do(req{method: "GET", path: "/admin/orgs/" + b, as: cert})
		if !strings.Contains(r.body, "Serves <a href=\"/admin/orgs/"+a+"\">St. Anna Hospital</a>") || strings.Contains(r.body, `/admin/orgs/`+b+`/client-of"`) {
			t.Errorf("B's page: serves A, and no form since it serves clients: %.3000s", r.body)
		}
		if r := w.do(req{method: "GET", path: "/admin/orgs/" + a, as: &w.aAdmin}); r.status != 200 || strings.Contains(r.body, "/client-of") {
			t.Errorf("A's own page shows the CSIRT's form to A's admin: %d", r.status)
		}
		// The form: clear, then a refused choice re-renders with the reason.
		r = w.do(req{method: "POST", path: "/admin/orgs/" + a + "/client-of", as: cert, body: form(cert, "client_of", "")})
		if r.status != 303 || r.header.Get("Location") != "/admin/orgs/"+a+"?flash=Saved" {
			t.Fatalf("clear by form: %d %q", r.status, r.header.Get("Location"))
		}
		if o, _ := db.Org(ctx, access.System, w.a.ID); o.ClientOf != nil {
			t.Errorf("cleared by form, still client of %d", *o.ClientOf)
		}
		r = w.do(req{method: "POST", path: "/admin/orgs/" + a + "/client-of", as: cert, body: form(cert, "client_of", a)})
		if r.status != 400 || !strings.Contains(r.body, "its own client") {
			t.Errorf("self by form: %d %.300s", r.status, r.body)
		}
		// Created as a client, through the API and the form.
		r = w.do(req{method: "POST", path: "/api/v1/orgs", as: cert, body: `{"name": "Anna day clinic", "kind": "member", "client_of": ` + a + `}`})
		if o := decodeOrg(t, r); r.status != 201 || o.ClientOf == nil || *o.ClientOf != w.a.ID {
			t.Errorf("create as a client: %d %+v", r.status, o)
		}
		r = w.do(req{method: "POST", path: "/admin/orgs", as: cert, body: form(cert, "name", "Anna eye clinic", "kind", "member", "client_of", a)})
		if r.status != 303 {
			t.Fatalf("create by form: %d %.300s", r.status, r.body)
		}
		r = w.do(req{method: "GET", path: "/admin/orgs", as: cert})
		if !strings.Contains(r.body, "Anna eye clinic</a></td><td>member</td><td>St. Anna Hospital</td>") {
			t.Errorf("organisation list does not name the serving organisation: %.3000s", r.body)
		}
	})
}

// TestRedAdvisoryWithheldFromMembersWeb: a TLP:RED advisory naming the BD
// pumps A and B run is matched, but neither hospital sees it or its
// findings through the API or the pages; the CSIRT sees its sector impact.
func TestRedAdvisoryWithheldFromMembersWeb(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		red := fndImport(w, fndCSAF("TEST-RED-H5", "RED", "Becton, Dickinson and Company (BD)", "Alaris PC Unit Model 8015", "<= 9.33.1", "CVE-2026-5555"))
		for _, c := range []req{
			{method: "GET", path: "/api/v1/advisories/" + itoa(red), token: w.aToken},
			{method: "GET", path: "/advisories/" + itoa(red), as: &w.aAdmin},
		} {
			if r := w.do(c); r.status != 404 || strings.Contains(r.body, "TEST-RED-H5") {
				t.Errorf("%s as A: %d", c.path, r.status)
			}
		}
		for _, c := range []req{
			{method: "GET", path: "/api/v1/findings?advisory=" + itoa(red), token: w.aToken},
			{method: "GET", path: "/api/v1/findings", token: w.aToken},
			{method: "GET", path: "/api/v1/advisories", token: w.aToken},
			{method: "GET", path: "/findings", as: &w.aAdmin},
			{method: "GET", path: "/advisories", as: &w.aAdmin},
		} {
			if r := w.do(c); r.status != 200 || strings.Contains(r.body, "TEST-RED-H5") || strings.Contains(r.body, "CVE-2026-5555") {
				t.Errorf("%s as A: %d, mentions the RED advisory: %v", c.path, r.status, strings.Contains(r.body, "CVE-2026-5555"))
			}
		}
		r := w.do(req{method: "GET", path: "/api/v1/advisories/" + itoa(red), as: &w.csirtAdmin})
		var view struct {
			Impact store.AdvisoryImpact `json:"impact"`
		}
		if err := json.Unmarshal([]byte(r.body), &view); err != nil || r.status != 200 || view.Impact.Orgs != 2 || view.Impact.AffectedDevices != 2 {
			t.Errorf("CSIRT's view of the RED advisory: %d %+v %v", r.status, view.Impact, err)
		}
	})
}
