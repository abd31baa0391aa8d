package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

const sbomFixture = "../inventory/testdata/sbom/infusion-gateway.cdx.json"

func init() {
	seeders = append(seeders, func(w *world) {
		data, err := os.ReadFile(sbomFixture)
		if err != nil {
			w.t.Fatal(err)
		}
		meta, comps, err := inventory.ReadSBOM(strings.NewReader(string(data)))
		if err != nil {
			w.t.Fatal(err)
		}
		mk := func(org access.Org, model string, comps []inventory.Component) int64 {
			p := access.System
			p.OrgID = org.ID
			s := store.SBOM{Manufacturer: meta.Manufacturer, Model: model, Spec: meta.SpecVersion, FileName: model + ".cdx.json"}
			if err := w.db.InTx(ctx, func(tx *store.Tx) error { return tx.SaveSBOM(ctx, p, &s, comps) }); err != nil {
				w.t.Fatal(err)
			}
			return s.ID
		}
		w.ownA["sbom"] = mk(w.a, "InfuLink Gateway 3000", comps)
		w.ofB["sbom"] = mk(w.b, "Gateway "+marker, []inventory.Component{{Name: "lib" + marker, Version: "1"}})
	})
}

func TestSBOMAPIAndDevicePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		data, err := os.ReadFile(sbomFixture)
		if err != nil {
			t.Fatal(err)
		}
		// A device of another model gets an SBOM through the API, by form fields.
		r := w.do(req{method: "POST", path: "/api/v1/devices", token: w.aToken,
			body: `{"asset_tag":"PUMP-1","manufacturer":"Baxter","model":"Sigma Spectrum","version":"8.00.01"}`})
		var dev inventory.Device
		if err := json.Unmarshal([]byte(r.body), &dev); err != nil || dev.ID == 0 {
			t.Fatalf("create device: %d %s", r.status, r.body)
		}
		if r := w.upload("/api/v1/sboms", nil, w.aViewerToken, map[string]string{"manufacturer": "Baxter", "model": "Sigma Spectrum"}, "pump.cdx.json", data); r.status != http.StatusForbidden {
			t.Fatalf("viewer uploads: %d", r.status)
		}
		r = w.upload("/api/v1/sboms", nil, w.aToken, map[string]string{"manufacturer": "Baxter", "model": "sigma spectrum", "version": "8.00.01"}, "pump.cdx.json", data)
		var sb store.SBOM
		if r.status != http.StatusCreated || json.Unmarshal([]byte(r.body), &sb) != nil || sb.ID == 0 || sb.Components != 5 || sb.Spec != "1.5" || sb.Version != "8.00.01" {
			t.Fatalf("upload: %d %s", r.status, r.body)
		}
		// Without form fields the SBOM's own metadata names the model.
		r = w.upload("/api/v1/sboms", nil, w.aToken, nil, "gw.cdx.json", data)
		var gw store.SBOM
		if r.status != http.StatusCreated || json.Unmarshal([]byte(r.body), &gw) != nil || gw.Model != "InfuLink Gateway 3000" || gw.Version != "4.2.1" {
			t.Fatalf("upload by metadata: %d %s", r.status, r.body)
		}
		bad := []struct {
			name string
			file string
			data []byte
			want int
		}{
			{"SPDX is refused", "x.spdx", []byte(`SPDXVersion: SPDX-2.3`), http.StatusBadRequest},
			{"broken JSON", "x.json", []byte(`{"bomFormat":`), http.StatusBadRequest},
			{"no file", "", nil, http.StatusBadRequest},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				r := w.upload("/api/v1/sboms", nil, w.aToken, map[string]string{"manufacturer": "x", "model": "y"}, tt.file, tt.data)
				if r.status != tt.want {
					t.Fatalf("got %d %s, want %d", r.status, r.body, tt.want)
				}
				assertErrorShape(t, r, tt.name)
			})
		}
		// The list is A's only (the seeder gave A one and B one with the marker; two uploaded above).
		r = w.do(req{method: "GET", path: "/api/v1/sboms?org=" + itoa(w.b.ID), token: w.aViewerToken})
		var list struct{ SBOMs []store.SBOM }
		if err := json.Unmarshal([]byte(r.body), &list); err != nil || len(list.SBOMs) != 3 || strings.Contains(r.body, marker) {
			t.Fatalf("list: %d %s", r.status, r.body)
		}
		r = w.do(req{method: "GET", path: "/api/v1/sboms/" + itoa(sb.ID), token: w.aViewerToken})
		var one struct {
			SBOM       store.SBOM
			Components []struct{ Name, Version, PURL, CPE, Type string }
		}
		if err := json.Unmarshal([]byte(r.body), &one); err != nil || one.SBOM.ID != sb.ID || len(one.Components) != 5 || one.Components[0].Name != "linux" {
			t.Fatalf("one sbom: %d %s", r.status, r.body)
		}
		// The device page shows the inherited components.
		r = w.do(req{method: "GET", path: "/inventory/" + itoa(dev.ID), as: &w.aViewer})
		for _, want := range []string{"Inherited from the SBOM", "<td>openssl</td><td>1.1.1w</td>", "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1", "5 components"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("device page lacks %q", want)
			}
		}
		if strings.Contains(r.body, `action="/sboms"`) {
			t.Error("a viewer is offered the SBOM upload form")
		}
		// The UI upload from the device page returns to the device.
		r = w.upload("/sboms", &w.aAdmin, "", map[string]string{"device": itoa(dev.ID), "manufacturer": "Baxter", "model": "Sigma Spectrum", "version": ""}, "all.cdx.json", data)
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/inventory/"+itoa(dev.ID)+"?flash=") {
			t.Fatalf("UI upload: %d %q %.300s", r.status, r.header.Get("Location"), r.body)
		}
		if r := w.upload("/sboms", &w.aAdmin, "", nil, "x.json", []byte("{")); r.status != http.StatusBadRequest || !strings.Contains(r.body, "CycloneDX") {
			t.Fatalf("UI bad upload: %d %.300s", r.status, r.body)
		}
		// Deleting the version's SBOM leaves the version-less one for the device.
		if r := w.do(req{method: "DELETE", path: "/api/v1/sboms/" + itoa(sb.ID), token: w.aToken}); r.status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		r = w.do(req{method: "GET", path: "/inventory/" + itoa(dev.ID), as: &w.aViewer})
		if !strings.Contains(r.body, "(all versions)") {
			t.Errorf("device page after delete does not fall back to the version-less SBOM")
		}
		es, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: w.a.ID, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range es {
			seen[e.Action] = true
		}
		for _, a := range []string{"sbom.create", "sbom.delete"} {
			if !seen[a] {
				t.Errorf("no %s audit entry", a)
			}
		}
	})
}

func TestMappingsAndAliasesAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		body := `{"name":"SAP PM","mapping":{"Inv.-Nr.":"asset_tag","Hersteller":"manufacturer","Typ":"model","Kostenstelle":""}}`
		if r := w.do(req{method: "POST", path: "/api/v1/import-mappings", token: w.aViewerToken, body: body}); r.status != http.StatusForbidden {
			t.Fatalf("viewer saves mapping: %d", r.status)
		}
		if r := w.do(req{method: "POST", path: "/api/v1/import-mappings", token: w.aToken, body: body}); r.status != http.StatusCreated || !strings.Contains(r.body, `"Typ": "model"`) {
			t.Fatalf("save mapping: %d %s", r.status, r.body)
		}
		if r := w.do(req{method: "POST", path: "/api/v1/import-mappings", token: w.aToken, body: `{"name":"x","mapping":{"a":"colour"}}`}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "colour") {
			t.Fatalf("unknown field: %d %s", r.status, r.body)
		}
		r := w.do(req{method: "GET", path: "/api/v1/import-mappings?org=" + itoa(w.b.ID), token: w.aViewerToken})
		var ms struct{ Mappings []store.SavedMapping }
		if err := json.Unmarshal([]byte(r.body), &ms); err != nil || len(ms.Mappings) != 1 || ms.Mappings[0].Mapping["Hersteller"] != "manufacturer" {
			t.Fatalf("list mappings: %d %s", r.status, r.body)
		}
		// The mapping imports an export whose headers no alias knows.
		csv := "Inv.-Nr.;Hersteller;Typ;Kostenstelle\nK-1;Dräger;Evita V500;4410\n"
		r = w.upload("/api/v1/devices/import", nil, w.aToken, map[string]string{"mapping": "SAP PM"}, "sap.csv", []byte(csv))
		if r.status != http.StatusOK || !strings.Contains(r.body, `"new": 1`) {
			t.Fatalf("import with mapping: %d %s", r.status, r.body)
		}
		// Aliases: CSIRT admins add, everyone reads.
		alias := `{"canonical":"Acme Medical","alias":"ACMEMED"}`
		if r := w.do(req{method: "POST", path: "/api/v1/manufacturer-aliases", token: w.aToken, body: alias}); r.status != http.StatusForbidden {
			t.Fatalf("member admin adds alias: %d", r.status)
		}
		if r := w.do(req{method: "POST", path: "/api/v1/manufacturer-aliases", as: &w.csirtAdmin, body: alias}); r.status != http.StatusCreated {
			t.Fatalf("CSIRT adds alias: %d %s", r.status, r.body)
		}
		if r := w.do(req{method: "POST", path: "/api/v1/manufacturer-aliases", as: &w.csirtAdmin, body: alias}); r.status != http.StatusConflict {
			t.Fatalf("alias twice: %d %s", r.status, r.body)
		}
		r = w.do(req{method: "GET", path: "/api/v1/manufacturer-aliases", token: w.aViewerToken})
		if r.status != http.StatusOK || !strings.Contains(r.body, `"alias": "ACMEMED"`) {
			t.Fatalf("aliases: %d %s", r.status, r.body)
		}
		r = w.do(req{method: "GET", path: "/inventory/aliases", as: &w.aViewer})
		if r.status != http.StatusOK || !strings.Contains(r.body, "<td>ACMEMED</td><td>Acme Medical</td>") || strings.Contains(r.body, `action="/inventory/aliases"`) {
			t.Fatalf("alias page for a viewer: %d", r.status)
		}
		form := url.Values{"csrf_token": {w.csirtAdmin.csrf}, "alias": {"Acme Med. Inc"}, "canonical": {"Acme Medical"}}
		if r := w.do(req{method: "POST", path: "/inventory/aliases", as: &w.csirtAdmin, body: form.Encode()}); r.status != http.StatusSeeOther {
			t.Fatalf("alias form: %d %s", r.status, r.body)
		}
		form.Set("alias", "")
		if r := w.do(req{method: "POST", path: "/inventory/aliases", as: &w.csirtAdmin, body: form.Encode()}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "1 to 200") {
			t.Fatalf("empty alias form: %d", r.status)
		}
	})
}

// TestImportRemap proves the preview's column selects: a column the
// aliases do not know is mapped by hand, saved as a mapping, offered on the
// next upload, and the commit imports with the chosen columns.
func TestImportRemap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		csv := "Asset Tag,Manufacturer,Model,Geraet-SW\nR-1,Philips,IntelliVue MX450,M.00.03\nR-2,Philips,IntelliVue MX800,M.00.04\n"
		r := w.upload("/inventory/import", &w.aAdmin, "", map[string]string{"mode": "all"}, "remap.csv", []byte(csv))
		if r.status != http.StatusOK || !strings.Contains(r.body, `<label for="col-3">Geraet-SW</label>`) {
			t.Fatalf("preview: %d %.500s", r.status, r.body)
		}
		upload := between(r.body, `name="upload" value="`, `"`)
		form := url.Values{"csrf_token": {w.aAdmin.csrf}, "upload": {upload}, "mode": {"all"}, "save_as": {"Biomed export"},
			"header": {"Asset Tag", "Manufacturer", "Model", "Geraet-SW"}, "field": {"asset_tag", "manufacturer", "model", "version"}}
		r = w.do(req{method: "POST", path: "/inventory/import/remap", as: &w.aAdmin, body: form.Encode()})
		if r.status != http.StatusOK || !strings.Contains(r.body, "saved as") || !strings.Contains(r.body, "<td>M.00.03</td>") {
			t.Fatalf("remap: %d %.800s", r.status, r.body)
		}
		if m, err := db.ImportMapping(ctx, w.aAdminP(), "Biomed export"); err != nil || m["Geraet-SW"] != "version" {
			t.Fatalf("saved mapping: %v %v", m, err)
		}
		if r := w.do(req{method: "GET", path: "/inventory/import", as: &w.aAdmin}); !strings.Contains(r.body, "<option>Biomed export</option>") {
			t.Fatal("the import form does not offer the saved mapping")
		}
		bad := url.Values{"csrf_token": {w.aAdmin.csrf}, "upload": {upload}, "header": {"Model"}, "field": {"colour"}}
		if r := w.do(req{method: "POST", path: "/inventory/import/remap", as: &w.aAdmin, body: bad.Encode()}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "colour") {
			t.Fatalf("unknown field: %d", r.status)
		}
		// B cannot remap A's upload.
		form.Set("csrf_token", w.bAdmin.csrf)
		if r := w.do(req{method: "POST", path: "/inventory/import/remap", as: &w.bAdmin, body: form.Encode()}); r.status != http.StatusNotFound {
			t.Fatalf("B remaps A's upload: %d", r.status)
		}
		// The commit carries the chosen columns.
		form.Set("csrf_token", w.aAdmin.csrf)
		form.Del("save_as")
		if r := w.do(req{method: "POST", path: "/inventory/import/commit", as: &w.aAdmin, body: form.Encode()}); r.status != http.StatusSeeOther {
			t.Fatalf("commit: %d %.500s", r.status, r.body)
		}
		page, err := db.ListDevices(ctx, w.aAdminP(), store.DeviceFilter{Query: "R-"})
		if err != nil || len(page.Devices) != 2 || page.Devices[0].Version != "M.00.03" || page.Devices[1].Version != "M.00.04" {
			t.Fatalf("imported: %+v %v", page.Devices, err)
		}
	})
}
