package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
	"github.com/aceso-health/aceso/internal/web"
)

func init() {
	seeders = append(seeders, func(w *world) {
		mk := func(org access.Org, tag, model string) int64 {
			p := access.System
			p.OrgID = org.ID
			d := inventory.Device{AssetTag: tag, Manufacturer: "Philips", Model: model, Department: "ICU " + tag}
			if err := w.db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateDevice(ctx, p, &d) }); err != nil {
				w.t.Fatal(err)
			}
			return d.ID
		}
		w.ownA["device"] = mk(w.a, "A-0001", "IntelliVue MX450")
		w.ofB["device"] = mk(w.b, marker+"-0001", "IntelliVue "+marker)
	})
}

// upload posts a multipart form with a file, as a browser (actor with
// CSRF token in the form) or a script (token).
func (w *world) upload(path string, as *actor, token string, fields map[string]string, name string, data []byte) resp {
	w.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if as != nil {
		_ = mw.WriteField("csrf_token", as.csrf)
	}
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		_, _ = fw.Write(data)
	}
	mw.Close()
	hr, _ := http.NewRequest(http.MethodPost, w.ts.URL+path, &buf)
	hr.Header.Set("Content-Type", mw.FormDataContentType())
	if as != nil {
		hr.AddCookie(as.cookie)
	}
	if token != "" {
		hr.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := noRedirect.Do(hr)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

func csvOf(t *testing.T, devs []inventory.Device) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := inventory.WriteCSV(&b, devs); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDeviceAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		r := w.do(req{method: "POST", path: "/api/v1/devices", token: w.aToken,
			body: `{"asset_tag":"A-7","manufacturer":"GE Healthcare GmbH","model":"Vivid E95","ip_addresses":["10.1.2.3"],"network_zone":"clinical-segment"}`})
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var d inventory.Device
		if err := json.Unmarshal([]byte(r.body), &d); err != nil || d.ID == 0 || d.ManufacturerNorm != inventory.NormaliseManufacturer("GE Healthcare GmbH") || d.ManufacturerNorm == d.Manufacturer {
			t.Fatalf("created: %+v %v", d, err)
		}
		path := "/api/v1/devices/" + itoa(d.ID)
		if r := w.do(req{method: "POST", path: "/api/v1/devices", token: w.aViewerToken, body: `{"asset_tag":"x","manufacturer":"y","model":"z"}`}); r.status != http.StatusForbidden {
			t.Fatalf("viewer create: %d", r.status)
		}
		if r := w.do(req{method: "POST", path: "/api/v1/devices", token: w.aToken, body: `{"asset_tag":"A-8","manufacturer":"GE","model":"x","network_zone":"dmz"}`}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "network_zone") {
			t.Fatalf("bad zone: %d %s", r.status, r.body)
		}
		// Optimistic update: the read version wins once, the stale one is refused.
		d.Version = "204"
		body, _ := json.Marshal(d)
		if r := w.do(req{method: "PUT", path: path, token: w.aToken, body: string(body)}); r.status != http.StatusOK {
			t.Fatalf("update: %d %s", r.status, r.body)
		}
		d.Version = "205"
		body, _ = json.Marshal(d)
		if r := w.do(req{method: "PUT", path: path, token: w.aToken, body: string(body)}); r.status != http.StatusConflict {
			t.Fatalf("stale update: %d %s", r.status, r.body)
		}
		r = w.do(req{method: "GET", path: path, token: w.aViewerToken})
		if r.status != http.StatusOK || !strings.Contains(r.body, `"version": "204"`) {
			t.Fatalf("read back: %d %s", r.status, r.body)
		}
		// The list filters, and ?org cannot widen it.
		r = w.do(req{method: "GET", path: "/api/v1/devices?manufacturer=" + url.QueryEscape(d.ManufacturerNorm) + "&count=1&org=" + itoa(w.b.ID), token: w.aToken})
		var page store.DevicePage
		if err := json.Unmarshal([]byte(r.body), &page); err != nil || len(page.Devices) != 1 || page.Total != 1 || page.Devices[0].ID != d.ID {
			t.Fatalf("filtered list: %d %s", r.status, r.body)
		}
		if r := w.do(req{method: "GET", path: "/api/v1/devices?limit=abc", token: w.aToken}); r.status != http.StatusBadRequest {
			t.Fatalf("bad limit: %d", r.status)
		}
		if r := w.do(req{method: "DELETE", path: path, token: w.aToken}); r.status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		if r := w.do(req{method: "GET", path: path, token: w.aToken}); r.status != http.StatusNotFound {
			t.Fatalf("deleted: %d", r.status)
		}
		// The OpenAPI document names the new schemas.
		r = w.do(req{method: "GET", path: "/api/v1/openapi.json"})
		for _, want := range []string{`"/api/v1/devices/{device}"`, `"DevicePage"`, `"ImportReport"`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("openapi lacks %s", want)
			}
		}
	})
}

func TestDeviceImportAPIAndExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		devs := inventory.GenerateSector(1, 60, 5)[0]
		good := csvOf(t, devs)
		bad := append(bytes.Clone(good), []byte("BAD-1,Philips,MX450,,,,,,,,00:1G:22:33:44:55,,,,,,,,,,,,\n")...)
		count := func() int {
			page, err := db.ListDevices(ctx, w.aAdminP(), store.DeviceFilter{Count: true})
			if err != nil {
				t.Fatal(err)
			}
			return page.Total
		}
		before := count()
		// All-or-nothing: refused with the report naming row, column and reason.
		r := w.upload("/api/v1/devices/import", nil, w.aToken, nil, "cmms.csv", bad)
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, `"Row": 62`) || !strings.Contains(r.body, `"Column": "MAC Address"`) || !strings.Contains(r.body, `"code": "invalid"`) {
			t.Fatalf("refused import: %d %.600s", r.status, r.body)
		}
		if count() != before {
			t.Fatal("a refused import wrote devices")
		}
		// Dry run of valid rows only: a preview.
		r = w.upload("/api/v1/devices/import?mode=valid&dry_run=1", nil, w.aToken, nil, "cmms.csv", bad)
		var rep struct {
			New          int  `json:"new"`
			RejectedRows int  `json:"rejected_rows"`
			Written      bool `json:"written"`
			Columns      []struct{ Header, Field string }
		}
		if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 || rep.New != 60 || rep.RejectedRows != 1 || rep.Written || len(rep.Columns) < 20 {
			t.Fatalf("dry run: %d %+v %v", r.status, rep, err)
		}
		if count() != before {
			t.Fatal("a dry run wrote devices")
		}
		if r := w.upload("/api/v1/devices/import", nil, w.aViewerToken, nil, "cmms.csv", good); r.status != http.StatusForbidden {
			t.Fatalf("viewer import: %d", r.status)
		}
		if r := w.do(req{method: "POST", path: "/api/v1/devices/import", token: w.aToken, body: `{}`}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "multipart") {
			t.Fatalf("json body: %d %s", r.status, r.body)
		}
		// Valid rows only, for real.
		r = w.upload("/api/v1/devices/import", nil, w.aToken, map[string]string{"mode": "valid"}, "cmms.csv", bad)
		if err := json.Unmarshal([]byte(r.body), &rep); err != nil || r.status != 200 || !rep.Written || rep.New != 60 {
			t.Fatalf("valid-only import: %d %s", r.status, r.body)
		}
		if count() != before+60 {
			t.Fatalf("count after import: %d, want %d", count(), before+60)
		}
		// Export round trip: the CSV reads back into the same devices.
		r = w.do(req{method: "GET", path: "/api/v1/devices/export?org=" + itoa(w.b.ID), token: w.aToken})
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || strings.Contains(r.body, marker) {
			t.Fatalf("export: %d %q", r.status, r.header.Get("Content-Type"))
		}
		res, err := inventory.ReadCSV(strings.NewReader(r.body), inventory.ReadOptions{})
		if err != nil || len(res.Rejected) != 0 || len(res.Records) != before+60 {
			t.Fatalf("export read back: %v, %d records, rejected %v", err, len(res.Records), res.Rejected)
		}
		byTag := map[string]inventory.Device{}
		for _, rec := range res.Records {
			byTag[rec.Device.AssetTag] = rec.Device
		}
		for _, d := range devs {
			got := byTag[d.AssetTag]
			if got.Model != d.Model || got.SerialNumber != d.SerialNumber || got.Zone != d.Zone || strings.Join(got.IPAddresses, ",") != strings.Join(d.IPAddresses, ",") || got.Notes != d.Notes {
				t.Fatalf("round trip of %s:\n got %+v\nwant %+v", d.AssetTag, got, d)
			}
		}
		// Re-importing the export changes nothing.
		r = w.upload("/api/v1/devices/import", nil, w.aToken, nil, "export.csv", []byte(r.body))
		var again struct{ New, Changed, Unchanged int }
		if err := json.Unmarshal([]byte(r.body), &again); err != nil || again.New+again.Changed != 0 || again.Unchanged != before+60 {
			t.Fatalf("re-import of the export: %d %s", r.status, r.body)
		}
	})
}

// aAdminP is hospital A's admin as a store principal.
func (w *world) aAdminP() access.Principal {
	p, err := w.db.PrincipalFor(ctx, w.aAdmin.user)
	if err != nil {
		w.t.Fatal(err)
	}
	return p
}

func TestImportWizardUI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// Over the 1 MiB limit of other routes: the import routes take it.
		devs := inventory.GenerateSector(1, 6000, 9)[0]
		devs[3].Notes = strings.Repeat("long note ", 20)
		data := csvOf(t, devs)
		data = append(data, []byte("BAD-1,,MX450\n")...)
		if len(data) <= 1<<20 {
			t.Fatalf("test file only %d bytes", len(data))
		}
		r := w.upload("/inventory/import", &w.aAdmin, "", map[string]string{"mode": "all"}, "big.csv", data)
		if r.status != http.StatusOK {
			t.Fatalf("preview: %d %.500s", r.status, r.body)
		}
		for _, want := range []string{"New devices</dt><dd>6000", "Rejected rows</dt><dd>1", "<td>6002</td><td>Manufacturer</td><td>manufacturer is empty</td>", "Column mapping", "H01-000001"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("preview lacks %q", want)
			}
		}
		upload := between(r.body, `name="upload" value="`, `"`)
		if upload == "" {
			t.Fatalf("no upload id in the preview")
		}
		// Confirming all-or-nothing with a rejected row imports nothing.
		commit := func(as *actor, mode string) resp {
			form := url.Values{"csrf_token": {as.csrf}, "upload": {upload}, "mode": {mode}}
			return w.do(req{method: "POST", path: "/inventory/import/commit", as: as, body: form.Encode()})
		}
		start, _ := db.ListDevices(ctx, w.aAdminP(), store.DeviceFilter{Count: true})
		if r := commit(&w.aAdmin, "all"); r.status != http.StatusBadRequest {
			t.Fatalf("all-or-nothing commit: %d", r.status)
		}
		if page, _ := db.ListDevices(ctx, w.aAdminP(), store.DeviceFilter{Count: true}); page.Total != start.Total {
			t.Fatalf("refused commit wrote: %d devices", page.Total)
		}
		// Another hospital's admin cannot commit A's upload.
		if r := commit(&w.bAdmin, "valid"); r.status != http.StatusNotFound {
			t.Fatalf("B commits A's upload: %d", r.status)
		}
		r = commit(&w.aAdmin, "valid")
		if r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "6000+new") {
			t.Fatalf("commit: %d %q %s", r.status, r.header.Get("Location"), r.body)
		}
		if page, _ := db.ListDevices(ctx, w.aAdminP(), store.DeviceFilter{Count: true}); page.Total != start.Total+6000 {
			t.Fatalf("after commit: %d devices", page.Total)
		}
		// The upload is gone after the commit.
		if r := commit(&w.aAdmin, "valid"); r.status != http.StatusNotFound {
			t.Fatalf("second commit: %d", r.status)
		}
		// The list: filters, sortable headers, keyset next page.
		r = w.do(req{method: "GET", path: "/inventory?department=" + url.QueryEscape(devs[0].Department) + "&sort=model", as: &w.aViewer})
		if r.status != 200 || !strings.Contains(r.body, `rel="next"`) || !strings.Contains(r.body, `aria-sort="ascending"`) || !strings.Contains(r.body, "devices match") {
			t.Fatalf("list: %d %.300s", r.status, r.body)
		}
		next := regexpAll(r.body, `<a href="(/inventory\?[^"]*)" rel="next"`)
		if len(next) != 1 {
			t.Fatalf("next links: %v", next)
		}
		r2 := w.do(req{method: "GET", path: strings.ReplaceAll(next[0], "&amp;", "&"), as: &w.aViewer})
		if r2.status != 200 || r2.body == r.body || !strings.Contains(r2.body, "first page") {
			t.Fatalf("next page: %d", r2.status)
		}
	})
}

func TestDeviceFormsUI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		form := url.Values{"csrf_token": {w.aAdmin.csrf}, "asset_tag": {"UI-1"}, "manufacturer": {"Dräger"}, "model": {"Evita V500"},
			"network_zone": {"isolated"}, "clinical_function": {"life-support"}, "end_of_support": {"2027-06-30"}, "patchable": {"no"},
			"ip_addresses": {"10.0.0.1, 10.0.0.2"}, "tags": {"icu, vent"}}
		r := w.do(req{method: "POST", path: "/inventory", as: &w.aAdmin, body: form.Encode()})
		if r.status != http.StatusSeeOther {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		loc := r.header.Get("Location")
		r = w.do(req{method: "GET", path: loc, as: &w.aViewer})
		if r.status != http.StatusOK {
			t.Fatalf("device page %s: %d %.300s", loc, r.status, r.body)
		}
		for _, want := range []string{"Evita V500", "catastrophic", "2027-06-30", "10.0.0.1, 10.0.0.2", "Device created"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("device page lacks %q", want)
			}
		}
		if strings.Contains(r.body, "/edit") {
			t.Error("a viewer is offered the edit link")
		}
		path := strings.SplitN(loc, "?", 2)[0]
		edit := w.do(req{method: "GET", path: path + "/edit", as: &w.aAdmin})
		version := between(edit.body, `name="updated_us" value="`, `"`)
		if version == "" || !strings.Contains(edit.body, `<label for="model">`) {
			t.Fatalf("edit form: %d", edit.status)
		}
		form.Set("updated_us", version)
		form.Set("model", "Evita V600")
		if r := w.do(req{method: "POST", path: path, as: &w.aAdmin, body: form.Encode()}); r.status != http.StatusSeeOther {
			t.Fatalf("save: %d %s", r.status, r.body)
		}
		// The same (now stale) form again: 409 with the form and a message, nothing lost silently.
		form.Set("model", "Evita Stale")
		r = w.do(req{method: "POST", path: path, as: &w.aAdmin, body: form.Encode()})
		if r.status != http.StatusConflict || !strings.Contains(r.body, "changed by someone else") || !strings.Contains(r.body, "Evita Stale") {
			t.Fatalf("stale save: %d", r.status)
		}
		r = w.do(req{method: "POST", path: "/inventory", as: &w.aAdmin, body: url.Values{"csrf_token": {w.aAdmin.csrf}, "asset_tag": {"UI-2"}, "manufacturer": {"x"}, "model": {"y"}, "end_of_life": {"soon"}}.Encode()})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "end_of_life") {
			t.Fatalf("bad date: %d", r.status)
		}
		if r := w.do(req{method: "POST", path: path + "/delete", as: &w.aAdmin}); r.status != http.StatusSeeOther {
			t.Fatalf("delete: %d", r.status)
		}
		if r := w.do(req{method: "GET", path: path, as: &w.aAdmin}); r.status != http.StatusNotFound {
			t.Fatalf("deleted device page: %d", r.status)
		}
	})
}

// FuzzInventoryRequests sends arbitrary list queries and device forms as
// hospital A's admin: no input may cause a server error, and nothing of
// hospital B (which holds the marker) may ever show.
func FuzzInventoryRequests(f *testing.F) {
	f.Add("q=philips&sort=model&desc=1", "asset_tag=X-1&manufacturer=GE&model=Vivid&ip_addresses=10.0.0.1")
	f.Add("after=eyJzIjoibW9kZWwiLCJ2IjoiQmVuZVZpc2lvbiBOMTciLCJpIjoyNTI0fQ&sort=model", "asset_tag=%00&manufacturer=%ff&model=m")
	f.Add("limit=501&org=3&zone=dmz&q=%25_", "asset_tag=X-2&manufacturer=x&model=y&end_of_support=2027-13-01&patchable=maybe&updated_us=abc")
	db := storetest.Open(f, "sqlite")
	srv, err := web.New(web.Options{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	if err != nil {
		f.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	var cookie, csrf string
	err = db.InTx(ctx, func(tx *store.Tx) error {
		a, b := access.Org{Name: "Hospital A", Kind: access.KindMember}, access.Org{Name: "Hospital " + marker, Kind: access.KindMember}
		for _, o := range []*access.Org{&a, &b} {
			if err := tx.CreateOrg(ctx, access.System, o); err != nil {
				return err
			}
		}
		u := access.User{OrgID: a.ID, Email: "admin@a.example", Role: access.RoleAdmin, PasswordHash: "x"}
		if err := tx.CreateUser(ctx, access.System, &u); err != nil {
			return err
		}
		pb := access.System
		pb.OrgID = b.ID
		d := inventory.Device{AssetTag: marker, Manufacturer: marker, Model: marker}
		if err := tx.CreateDevice(ctx, pb, &d); err != nil {
			return err
		}
		cookie, _ = access.RandomID(32)
		csrf, _ = access.RandomID(32)
		return tx.CreateSession(ctx, &store.Session{IDHash: access.HashToken(cookie), UserID: u.ID, CSRFToken: csrf, ExpiresAt: time.Now().Add(time.Hour)})
	})
	if err != nil {
		f.Fatal(err)
	}
	send := func(t *testing.T, method, path, body string) {
		hr, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		hr.AddCookie(&http.Cookie{Name: "aceso_session", Value: cookie})
		if method == http.MethodPost {
			hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := noRedirect.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 || strings.Contains(strings.ToLower(string(b)), marker) {
			t.Fatalf("%s %s %q: %d %.300s", method, path, body, res.StatusCode, b)
		}
	}
	f.Fuzz(func(t *testing.T, query, form string) {
		send(t, http.MethodGet, "/inventory?"+query, "")
		send(t, http.MethodGet, "/api/v1/devices?"+query, "")
		send(t, http.MethodPost, "/inventory", "csrf_token="+csrf+"&"+form)
	})
}
