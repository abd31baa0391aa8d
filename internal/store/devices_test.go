package store_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

func newDevice(tag string) inventory.Device {
	return inventory.Device{AssetTag: tag, Manufacturer: "Philips Medical Systems", Model: "IntelliVue MX450", Version: "M.00.03",
		Department: "ICU", IPAddresses: []string{"10.0.0.7"}, MACAddresses: []string{"00-1A-2B-3C-4D-5E"},
		Zone: inventory.ZoneClinicalSegment, ClinicalFunction: inventory.FunctionMonitoring, Tags: []string{"icu", " ", "icu"}}
}

func createDevice(t *testing.T, db *store.DB, p access.Principal, d *inventory.Device) error {
	t.Helper()
	return db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateDevice(ctx, p, d) })
}

func auditCount(t *testing.T, db *store.DB, orgID int64) int {
	t.Helper()
	es, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: orgID, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func TestDeviceCRUDAndIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		d := newDevice("A-001")
		if err := createDevice(t, db, s.aAdmin, &d); err != nil {
			t.Fatal(err)
		}
		got, err := db.Device(ctx, s.aViewer, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Stored canonical: manufacturer normalised, MAC lower-case with colons, tags de-duplicated.
		if got.ManufacturerNorm != "Philips" || got.MACAddresses[0] != "00:1a:2b:3c:4d:5e" || !slices.Equal(got.Tags, []string{"icu"}) || got.OrgID != s.a.ID {
			t.Fatalf("stored device not canonical: %+v", got)
		}
		if !got.UpdatedAt.Equal(d.UpdatedAt) || got.Model != d.Model {
			t.Fatalf("read back differs: %+v vs %+v", got, d)
		}
		tests := []struct {
			name string
			err  error
			code string
		}{
			{"B reads A's device", func() error { _, err := db.Device(ctx, s.bAdmin, d.ID); return err }(), aceso.ENOTFOUND},
			{"B deletes A's device", db.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteDevice(ctx, s.bAdmin, d.ID) }), aceso.ENOTFOUND},
			{"B updates A's device", db.InTx(ctx, func(tx *store.Tx) error {
				x := got
				x.Notes = "hacked"
				return tx.UpdateDevice(ctx, s.bAdmin, &x)
			}), aceso.ENOTFOUND},
			{"viewer creates", func() error { x := newDevice("A-002"); return createDevice(t, db, s.aViewer, &x) }(), aceso.EFORBIDDEN},
			{"duplicate tag", func() error { x := newDevice("A-001"); return createDevice(t, db, s.aAdmin, &x) }(), aceso.ECONFLICT},
			{"bad zone", func() error {
				x := newDevice("A-003")
				x.Zone = "dmz"
				return createDevice(t, db, s.aAdmin, &x)
			}(), aceso.EINVALID},
			{"no asset tag", func() error { x := newDevice(" "); return createDevice(t, db, s.aAdmin, &x) }(), aceso.EINVALID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if aceso.ErrorCode(tt.err) != tt.code {
					t.Fatalf("got %v, want %s", tt.err, tt.code)
				}
			})
		}
		// The same tag in another organisation is fine: tags are unique per organisation.
		b := newDevice("A-001")
		if err := createDevice(t, db, s.bAdmin, &b); err != nil {
			t.Fatalf("same tag in B: %v", err)
		}
		page, err := db.ListDevices(ctx, s.bAdmin, store.DeviceFilter{})
		if err != nil || len(page.Devices) != 1 || page.Devices[0].ID != b.ID {
			t.Fatalf("B's list: %+v %v", page, err)
		}
		after, _ := db.Device(ctx, s.aAdmin, d.ID)
		if after.Notes == "hacked" {
			t.Fatal("B changed A's device")
		}
	})
}

func TestUpdateDeviceOptimistic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		d := newDevice("A-001")
		if err := createDevice(t, db, s.aAdmin, &d); err != nil {
			t.Fatal(err)
		}
		first, second := d, d
		first.Version = "M.00.04"
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.UpdateDevice(ctx, s.aAdmin, &first) }); err != nil {
			t.Fatal(err)
		}
		if !first.UpdatedAt.After(d.UpdatedAt) {
			t.Fatalf("updated_at did not move: %v → %v", d.UpdatedAt, first.UpdatedAt)
		}
		// The second editor read the old version: refused, nothing overwritten.
		second.Version = "stale"
		err := db.InTx(ctx, func(tx *store.Tx) error { return tx.UpdateDevice(ctx, s.aAdmin, &second) })
		if aceso.ErrorCode(err) != aceso.ECONFLICT {
			t.Fatalf("stale update: %v", err)
		}
		got, _ := db.Device(ctx, s.aAdmin, d.ID)
		if got.Version != "M.00.04" {
			t.Fatalf("stale update overwrote: %q", got.Version)
		}
		es, _ := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: s.a.ID, Limit: 10})
		if es[0].Action != "device.update" || !strings.Contains(es[0].Summary, "M.00.03") || !strings.Contains(es[0].Summary, "M.00.04") {
			t.Fatalf("update audit lacks before/after: %+v", es[0])
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteDevice(ctx, s.aAdmin, d.ID) }); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Device(ctx, s.aAdmin, d.ID); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("deleted device: %v", err)
		}
	})
}

// records turns generated devices into import records.
func records(devs []inventory.Device) []inventory.Record {
	out := make([]inventory.Record, len(devs))
	for i, d := range devs {
		out[i] = inventory.Record{Row: i + 2, Device: d}
	}
	return out
}

// snapshot is every device of an organisation as stored.
func snapshot(t *testing.T, db *store.DB, p access.Principal) map[string]inventory.Device {
	t.Helper()
	all, err := db.AllDevices(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]inventory.Device, len(all))
	for _, d := range all {
		m[d.AssetTag] = d
	}
	return m
}

func importDevs(db *store.DB, p access.Principal, recs []inventory.Record, opts store.ImportOptions) (store.ImportReport, error) {
	var rep store.ImportReport
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		rep, err = tx.ImportDevices(ctx, p, recs, opts)
		return err
	})
	return rep, err
}

func TestImportDevices(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		devs := inventory.GenerateSector(1, 300, 7)[0]
		auditStart := auditCount(t, db, s.a.ID)
		rep, err := importDevs(db, s.aAdmin, records(devs), store.ImportOptions{FileName: "cmms.csv"})
		if err != nil || rep.New != 300 || rep.Changed+rep.Unchanged+rep.RejectedRows != 0 || !rep.Written {
			t.Fatalf("first import: %+v %v", rep, err)
		}
		es, _ := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: s.a.ID, Limit: 10})
		if es[0].Action != "device.import" || !strings.Contains(es[0].Summary, "cmms.csv") || auditCount(t, db, s.a.ID) != auditStart+1 {
			t.Fatalf("import audit: want one entry naming the file, got %+v", es)
		}
		before := snapshot(t, db, s.aAdmin)
		if len(before) != 300 {
			t.Fatalf("stored %d devices", len(before))
		}
		for _, d := range devs[:5] { // every field survives the round trip
			got := before[d.AssetTag]
			if got.Model != d.Model || got.SerialNumber != d.SerialNumber || !slices.Equal(got.IPAddresses, d.IPAddresses) ||
				(d.EndOfSupport != nil) != (got.EndOfSupport != nil) || (d.Patchable != nil) != (got.Patchable != nil) || got.Notes != d.Notes {
				t.Fatalf("round trip of %s:\n got %+v\nwant %+v", d.AssetTag, got, d)
			}
		}

		// Re-import: two changed, one new, the rest unchanged.
		devs2 := slices.Clone(devs)
		devs2[0].Version = "9.9"
		devs2[1].Department = "Ward 7 (moved)"
		extra := devs[2]
		extra.AssetTag = "NEW-1"
		devs2 = append(devs2, extra)
		rep, err = importDevs(db, s.aAdmin, records(devs2), store.ImportOptions{})
		if err != nil || rep.New != 1 || rep.Changed != 2 || rep.Unchanged != 298 {
			t.Fatalf("re-import: %+v %v", rep, err)
		}
		after := snapshot(t, db, s.aAdmin)
		if after[devs[0].AssetTag].Version != "9.9" || after[devs[1].AssetTag].Department != "Ward 7 (moved)" || after["NEW-1"].Model != extra.Model {
			t.Fatal("re-import did not apply the changes")
		}
		if !after[devs[0].AssetTag].CreatedAt.Equal(before[devs[0].AssetTag].CreatedAt) || after[devs[0].AssetTag].ID != before[devs[0].AssetTag].ID {
			t.Fatal("an update by import replaced the device instead of updating it")
		}
		if !after[devs[5].AssetTag].UpdatedAt.Equal(before[devs[5].AssetTag].UpdatedAt) {
			t.Fatal("an unchanged device was rewritten")
		}

		// All-or-nothing: one rejected row (reader) and one bad row (store) → nothing written.
		devs3 := slices.Clone(devs2)
		devs3[3].Version = "changed-but-must-not-land"
		devs3[4].Zone = "dmz"
		devs3 = append(devs3, inventory.Device{AssetTag: "NEW-2", Manufacturer: "GE", Model: "X"})
		readerRejects := []inventory.RowError{{Row: 999, Column: "MAC Address", Reason: "invalid MAC address"}}
		auditBefore := auditCount(t, db, s.a.ID)
		rep, err = importDevs(db, s.aAdmin, records(devs3), store.ImportOptions{Rejected: readerRejects,
			Columns: []inventory.ColumnMapping{{Header: "Netzwerkzone", Field: "network_zone"}}})
		if aceso.ErrorCode(err) != aceso.EINVALID || rep.RejectedRows != 2 || rep.Written {
			t.Fatalf("all-or-nothing: %+v %v", rep, err)
		}
		if rep.Rejected[0].Row != 6 || rep.Rejected[0].Column != "Netzwerkzone" || rep.Rejected[1].Row != 999 {
			t.Fatalf("rejected rows not named or not in row order: %+v", rep.Rejected)
		}
		if rep.New != 1 || rep.Changed != 1 {
			t.Fatalf("refused import should still preview its counts: %+v", rep)
		}
		if got := snapshot(t, db, s.aAdmin); len(got) != len(after) || got[devs[3].AssetTag].Version != after[devs[3].AssetTag].Version {
			t.Fatal("a refused import changed the inventory")
		}
		if auditCount(t, db, s.a.ID) != auditBefore {
			t.Fatal("a refused import was audited")
		}
		// Dry run: the same report, nothing written.
		rep, err = importDevs(db, s.aAdmin, records(devs3), store.ImportOptions{ValidOnly: true, DryRun: true})
		if err != nil || rep.Written || rep.New != 1 {
			t.Fatalf("dry run: %+v %v", rep, err)
		}
		if _, ok := snapshot(t, db, s.aAdmin)["NEW-2"]; ok {
			t.Fatal("dry run wrote")
		}
		// Valid rows only: the good rows land, the bad one does not.
		rep, err = importDevs(db, s.aAdmin, records(devs3), store.ImportOptions{ValidOnly: true})
		if err != nil || !rep.Written || rep.New != 1 || rep.Changed != 1 || rep.RejectedRows != 1 {
			t.Fatalf("valid only: %+v %v", rep, err)
		}
		got := snapshot(t, db, s.aAdmin)
		if got["NEW-2"].Model != "X" || got[devs[3].AssetTag].Version != "changed-but-must-not-land" || got[devs[4].AssetTag].Zone == "dmz" {
			t.Fatal("valid-only import did not write exactly the valid rows")
		}
		// Tenant: B's import never touches A's devices, a viewer cannot import.
		if _, err := importDevs(db, s.bAdmin, records(devs[:3]), store.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		if len(snapshot(t, db, s.bAdmin)) != 3 || len(snapshot(t, db, s.aAdmin)) != len(got) {
			t.Fatal("import crossed organisations")
		}
		if _, err := importDevs(db, s.aViewer, records(devs[:3]), store.ImportOptions{}); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Fatalf("viewer import: %v", err)
		}
	})
}

func TestListDevicesKeyset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		devs := inventory.GenerateSector(1, 237, 3)[0]
		if _, err := importDevs(db, s.aAdmin, records(devs), store.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := importDevs(db, s.bAdmin, records(devs[:10]), store.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		icu := 0
		for _, d := range devs {
			if d.Department == devs[0].Department {
				icu++
			}
		}
		tests := []struct {
			name string
			f    store.DeviceFilter
			want int
		}{
			{"all by tag", store.DeviceFilter{}, len(devs)},
			{"all by tag desc", store.DeviceFilter{Desc: true}, len(devs)},
			{"by manufacturer", store.DeviceFilter{Sort: "manufacturer"}, len(devs)},
			{"by model desc", store.DeviceFilter{Sort: "model", Desc: true}, len(devs)},
			{"by updated", store.DeviceFilter{Sort: "updated"}, len(devs)},
			{"department filter by zone", store.DeviceFilter{Department: devs[0].Department, Sort: "zone"}, icu},
			{"search, case-insensitive", store.DeviceFilter{Query: "H01-0001"}, -1},
		}
		// The search expectation is computed from the generated devices, not assumed.
		for _, d := range devs {
			if strings.Contains(strings.ToLower(d.AssetTag+" "+d.Hostname), "h01-0001") {
				tests[len(tests)-1].want++
			}
		}
		tests[len(tests)-1].want++
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				one := tt.f
				one.Limit, one.Count = 500, true
				all, err := db.ListDevices(ctx, s.aAdmin, one)
				if err != nil {
					t.Fatal(err)
				}
				if len(all.Devices) != tt.want || all.Total != tt.want || all.Next != "" {
					t.Fatalf("one page: %d devices, total %d, next %q; want %d", len(all.Devices), all.Total, all.Next, tt.want)
				}
				f := tt.f
				f.Limit = 10
				var walked []int64
				for pages := 0; ; pages++ {
					if pages > 100 {
						t.Fatal("pagination does not end")
					}
					page, err := db.ListDevices(ctx, s.aAdmin, f)
					if err != nil {
						t.Fatal(err)
					}
					for _, d := range page.Devices {
						if d.OrgID != s.a.ID {
							t.Fatalf("device of org %d in A's list", d.OrgID)
						}
						walked = append(walked, d.ID)
					}
					if page.Next == "" {
						break
					}
					f.After = page.Next
				}
				var want []int64
				for _, d := range all.Devices {
					want = append(want, d.ID)
				}
				if !slices.Equal(walked, want) {
					t.Fatalf("paged walk differs from one query:\n got %v\nwant %v", walked, want)
				}
			})
		}
		// A cursor of one sort order is refused for another.
		p1, _ := db.ListDevices(ctx, s.aAdmin, store.DeviceFilter{Limit: 5})
		if _, err := db.ListDevices(ctx, s.aAdmin, store.DeviceFilter{Sort: "model", After: p1.Next}); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Fatalf("foreign cursor: %v", err)
		}
		if _, err := db.ListDevices(ctx, s.aAdmin, store.DeviceFilter{After: "!!"}); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Fatalf("garbage cursor: %v", err)
		}
		if _, err := db.ListDevices(ctx, s.aAdmin, store.DeviceFilter{Sort: "id; drop table devices"}); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Fatalf("bad sort: %v", err)
		}
		// LIKE wildcards in the search box are literal.
		if pg, _ := db.ListDevices(ctx, s.aAdmin, store.DeviceFilter{Query: "%"}); len(pg.Devices) != 0 {
			t.Fatalf("%% matched %d devices", len(pg.Devices))
		}
		fc, err := db.Facets(ctx, s.aAdmin)
		if err != nil || len(fc.Manufacturers) < 2 || !slices.IsSorted(fc.Manufacturers) || len(fc.Departments) == 0 {
			t.Fatalf("facets: %+v %v", fc, err)
		}
	})
}

func TestImportMappingsAliasesUploads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		m := map[string]string{"Inv.-Nr.": "asset_tag", "Hersteller": "manufacturer", "Kommentar": ""}
		save := func(p access.Principal, m map[string]string) error {
			return db.InTx(ctx, func(tx *store.Tx) error { return tx.SaveImportMapping(ctx, p, "SAP PM", m) })
		}
		if err := save(s.aAdmin, m); err != nil {
			t.Fatal(err)
		}
		m["Typ"] = "model"
		if err := save(s.aAdmin, m); err != nil { // replaces
			t.Fatal(err)
		}
		got, err := db.ImportMapping(ctx, s.aAdmin, "SAP PM")
		if err != nil || got["Typ"] != "model" || got["Kommentar"] != "" || len(got) != 4 {
			t.Fatalf("mapping: %v %v", got, err)
		}
		if _, err := db.ImportMapping(ctx, s.bAdmin, "SAP PM"); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("B reads A's mapping: %v", err)
		}
		if err := save(s.aAdmin, map[string]string{"x": "colour"}); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Fatalf("unknown field: %v", err)
		}
		// The list is the organisation's own: A sees its one mapping, B none.
		if list, err := db.ImportMappings(ctx, s.aViewer); err != nil || len(list) != 1 || list[0].Name != "SAP PM" || list[0].Mapping["Typ"] != "model" {
			t.Fatalf("A's mappings: %+v %v", list, err)
		}
		if list, err := db.ImportMappings(ctx, s.bAdmin); err != nil || len(list) != 0 {
			t.Fatalf("B's mappings: %+v %v", list, err)
		}

		// Aliases: only the CSIRT's admins extend the shared table; devices use it.
		add := func(p access.Principal) error {
			return db.InTx(ctx, func(tx *store.Tx) error { return tx.AddManufacturerAlias(ctx, p, "Acme Medical", "ACMEMED") })
		}
		if err := add(s.aAdmin); aceso.ErrorCode(err) == "" {
			t.Fatal("a member admin extended the alias table")
		}
		if err := add(s.csirtAdmin); err != nil {
			t.Fatal(err)
		}
		// Everyone reads the shared table, a member of B too.
		if list, err := db.ListManufacturerAliases(ctx, s.bAdmin); err != nil || len(list) != 1 || list[0].Canonical != "Acme Medical" || list[0].Alias != "ACMEMED" {
			t.Fatalf("aliases as read by B: %+v %v", list, err)
		}
		if err := add(s.csirtAdmin); aceso.ErrorCode(err) != aceso.ECONFLICT {
			t.Fatalf("alias added twice: %v", err)
		}
		d := newDevice("A-9")
		d.Manufacturer = "acmemed gmbh"
		if err := createDevice(t, db, s.aAdmin, &d); err != nil {
			t.Fatal(err)
		}
		if d.ManufacturerNorm != "Acme Medical" {
			t.Fatalf("alias not applied: %q", d.ManufacturerNorm)
		}

		// Uploads are bound to their user and expire.
		var id string
		err = db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			id, err = tx.SaveImportUpload(ctx, s.aAdmin, "cmms.csv", []byte("a,b\n1,2\n"))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if name, data, err := db.ImportUpload(ctx, s.aAdmin, id); err != nil || name != "cmms.csv" || string(data) != "a,b\n1,2\n" {
			t.Fatalf("upload: %q %q %v", name, data, err)
		}
		other := s.aAdmin
		other.UserID = s.aViewer.UserID
		for _, p := range []access.Principal{s.bAdmin, other} {
			if _, _, err := db.ImportUpload(ctx, p, id); aceso.ErrorCode(err) == "" {
				t.Fatalf("upload readable by %+v", p)
			}
		}
		db.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
		if _, _, err := db.ImportUpload(ctx, s.aAdmin, id); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("expired upload: %v", err)
		}
	})
}

// FuzzDeviceInput feeds arbitrary API bodies to CreateDevice: the store
// must answer with a bad-input or conflict error, never an internal one,
// and what it accepts must read back exactly as it returned it.
func FuzzDeviceInput(f *testing.F) {
	f.Add(`{"asset_tag":"A-1","manufacturer":"Philips","model":"MX450","ip_addresses":["10.0.0.1"],"mac_addresses":["00-1A-2B-3C-4D-5E"]}`)
	f.Add(`{"asset_tag":" x ","manufacturer":"GE Healthcare GmbH","model":"y","tags":["a","a",""],"extra":{"k":"v"},"end_of_support":"2027-01-01T00:00:00Z","patchable":false}`)
	f.Add(`{"asset_tag":"\u0000","manufacturer":"!!!","model":"m","network_zone":"dmz","ip_addresses":["::ffff:10.0.0.1","fe80::1%eth0"]}`)
	f.Add(`{"asset_tag":"A-2","manufacturer":"Dräger","model":"Evita","notes":"line\nbreak","safety_impact":"catastrophic","support_status":"end-of-life"}`)
	db := storetest.Open(f, "sqlite")
	var p access.Principal
	err := db.InTx(ctx, func(tx *store.Tx) error {
		o := access.Org{Name: "Fuzz Hospital", Kind: access.KindMember}
		if err := tx.CreateOrg(ctx, access.System, &o); err != nil {
			return err
		}
		p = access.Principal{UserName: "system", OrgID: o.ID, OrgKind: o.Kind, Role: access.RoleAdmin}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var d inventory.Device
		if json.Unmarshal([]byte(body), &d) != nil {
			return
		}
		err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateDevice(ctx, p, &d) })
		if err != nil {
			if c := aceso.ErrorCode(err); c != aceso.EINVALID && c != aceso.ECONFLICT {
				t.Fatalf("input %q: %v", body, err)
			}
			return
		}
		got, err := db.Device(ctx, p, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(d)
		b, _ := json.Marshal(got)
		if string(a) != string(b) {
			t.Fatalf("read back differs:\nstored %s\n  read %s", a, b)
		}
		// Lists with arbitrary cursors and sorts never fail internally.
		_, err = db.ListDevices(ctx, p, store.DeviceFilter{Query: d.Notes, Sort: d.Owner, After: d.Location})
		if c := aceso.ErrorCode(err); c != "" && c != aceso.EINVALID {
			t.Fatalf("list: %v", err)
		}
	})
}
