package store_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// readTestSBOM reads the inventory package's CycloneDX fixture.
func readTestSBOM(t *testing.T) (inventory.SBOMMeta, []inventory.Component) {
	t.Helper()
	f, err := os.Open("../inventory/testdata/sbom/infusion-gateway.cdx.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	meta, comps, err := inventory.ReadSBOM(f)
	if err != nil {
		t.Fatal(err)
	}
	return meta, comps
}

func saveSBOM(db *store.DB, p access.Principal, s *store.SBOM, comps []inventory.Component) error {
	return db.InTx(ctx, func(tx *store.Tx) error { return tx.SaveSBOM(ctx, p, s, comps) })
}

func TestSBOMAttachInheritIsolate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		meta, comps := readTestSBOM(t)
		if len(comps) < 4 {
			t.Fatalf("fixture holds %d components", len(comps))
		}
		// Two devices of the model with different versions, one of another model.
		devs := []inventory.Device{
			{AssetTag: "INF-1", Manufacturer: "Example Medical Devices GmbH", Model: "InfuLink Gateway 3000", Version: "4.2.1"},
			{AssetTag: "INF-2", Manufacturer: "example medical devices gmbh", Model: "infulink  gateway 3000", Version: "4.0"},
			{AssetTag: "MON-1", Manufacturer: "Philips", Model: "IntelliVue MX450"},
		}
		for i := range devs {
			if err := createDevice(t, db, s.aAdmin, &devs[i]); err != nil {
				t.Fatal(err)
			}
		}
		before := auditCount(t, db, s.a.ID)
		exact := store.SBOM{Manufacturer: meta.Manufacturer, Model: meta.Subject.Name, Version: meta.Subject.Version,
			Spec: meta.SpecVersion, Serial: meta.SerialNumber, DocVersion: meta.Version, FileName: "gw.cdx.json"}
		if err := saveSBOM(db, s.aAdmin, &exact, comps); err != nil {
			t.Fatal(err)
		}
		if exact.ID == 0 || exact.Components != len(comps) || exact.ManufacturerNorm != devs[0].ManufacturerNorm || exact.OrgID != s.a.ID {
			t.Fatalf("saved: %+v (device norm %q)", exact, devs[0].ManufacturerNorm)
		}
		if n := auditCount(t, db, s.a.ID); n != before+1 {
			t.Fatalf("audit entries %d → %d, want one more", before, n)
		}

		tests := []struct {
			name    string
			p       access.Principal
			dev     inventory.Device
			wantID  int64
			wantErr string
		}{
			{"exact version inherits", s.aViewer, devs[0], exact.ID, ""},
			{"other version has none yet", s.aViewer, devs[1], 0, aceso.ENOTFOUND},
			{"other model has none", s.aViewer, devs[2], 0, aceso.ENOTFOUND},
			{"B with A's device values sees nothing", s.bAdmin, devs[0], 0, aceso.ENOTFOUND},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, gotComps, err := db.DeviceSBOM(ctx, tt.p, tt.dev)
				if aceso.ErrorCode(err) != tt.wantErr {
					t.Fatalf("err %v, want code %q", err, tt.wantErr)
				}
				if tt.wantErr == "" && (got.ID != tt.wantID || !slices.Equal(gotComps, comps)) {
					t.Fatalf("got sbom %d with %d components, want %d with %d", got.ID, len(gotComps), tt.wantID, len(comps))
				}
			})
		}

		// A version-less SBOM covers the other versions; the exact one still wins.
		generic := store.SBOM{Manufacturer: "EXAMPLE MEDICAL DEVICES GMBH", Model: "InfuLink Gateway 3000", Spec: "1.5"}
		if err := saveSBOM(db, s.aAdmin, &generic, comps[:2]); err != nil {
			t.Fatal(err)
		}
		if got, c, err := db.DeviceSBOM(ctx, s.aViewer, devs[1]); err != nil || got.ID != generic.ID || len(c) != 2 {
			t.Fatalf("version-less sbom for v4.0: %+v %d %v", got, len(c), err)
		}
		if got, _, err := db.DeviceSBOM(ctx, s.aViewer, devs[0]); err != nil || got.ID != exact.ID {
			t.Fatalf("exact sbom for v4.2.1: %+v %v", got, err)
		}

		// Uploading again for the same model and version replaces it.
		again := exact
		again.ID, again.FileName = 0, "gw-v3.cdx.json"
		if err := saveSBOM(db, s.aAdmin, &again, comps[:1]); err != nil {
			t.Fatal(err)
		}
		list, err := db.ListSBOMs(ctx, s.aViewer)
		if err != nil || len(list) != 2 || again.ID != exact.ID {
			t.Fatalf("after replace: %d sboms (%v), id %d vs %d", len(list), err, again.ID, exact.ID)
		}
		if got, c, err := db.SBOM(ctx, s.aViewer, exact.ID); err != nil || got.FileName != "gw-v3.cdx.json" || len(c) != 1 || got.Components != 1 {
			t.Fatalf("replaced sbom: %+v %d %v", got, len(c), err)
		}

		// Tenant and role isolation.
		if l, err := db.ListSBOMs(ctx, s.bAdmin); err != nil || len(l) != 0 {
			t.Fatalf("B lists %d sboms: %v", len(l), err)
		}
		if _, _, err := db.SBOM(ctx, s.bAdmin, exact.ID); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("B reads A's sbom: %v", err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteSBOM(ctx, s.bAdmin, exact.ID) }); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Fatalf("B deletes A's sbom: %v", err)
		}
		x := store.SBOM{Manufacturer: "a", Model: "b"}
		if err := saveSBOM(db, s.aViewer, &x, nil); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Fatalf("viewer uploads: %v", err)
		}
		bad := []struct {
			name  string
			sbom  store.SBOM
			comps []inventory.Component
		}{
			{"no model", store.SBOM{Manufacturer: "Philips"}, nil},
			{"no manufacturer letters", store.SBOM{Manufacturer: "!!!", Model: "x"}, nil},
			{"NUL in model", store.SBOM{Manufacturer: "Philips", Model: "x\x00"}, nil},
			{"nameless component", store.SBOM{Manufacturer: "Philips", Model: "x"}, []inventory.Component{{Version: "1"}}},
			{"huge purl", store.SBOM{Manufacturer: "Philips", Model: "x"}, []inventory.Component{{Name: "a", PURL: strings.Repeat("p", 3000)}}},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				if err := saveSBOM(db, s.aAdmin, &tt.sbom, tt.comps); aceso.ErrorCode(err) != aceso.EINVALID {
					t.Fatalf("got %v, want EINVALID", err)
				}
			})
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteSBOM(ctx, s.aAdmin, exact.ID) }); err != nil {
			t.Fatal(err)
		}
		if got, _, err := db.DeviceSBOM(ctx, s.aViewer, devs[0]); err != nil || got.ID != generic.ID {
			t.Fatalf("after deleting the exact sbom, v4.2.1 should fall back to the version-less one: %+v %v", got, err)
		}
	})
}

// FuzzSBOMSave feeds arbitrary documents through ReadSBOM into SaveSBOM:
// the store answers bad input with EINVALID, never an internal error, and
// what it accepts reads back component for component (trimmed), both by id
// and through a device of the model.
func FuzzSBOMSave(f *testing.F) {
	for _, name := range []string{"infusion-gateway.cdx.json", "infusion-gateway.cdx.xml"} {
		b, err := os.ReadFile("../inventory/testdata/sbom/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), "Example Medical", "Gateway", "")
	}
	f.Add(`{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"name":" a\u0000b ","version":"1"}]}`, "X", "Y", "1")
	f.Add(`<bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component type="library"><name>zlib</name></component></components></bom>`, "!!", "m", "")
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
	f.Fuzz(func(t *testing.T, doc, manufacturer, model, version string) {
		_, comps, err := inventory.ReadSBOM(strings.NewReader(doc))
		if err != nil {
			return
		}
		s := store.SBOM{Manufacturer: manufacturer, Model: model, Version: version}
		if err := saveSBOM(db, p, &s, comps); err != nil {
			if aceso.ErrorCode(err) != aceso.EINVALID {
				t.Fatalf("save: %v", err)
			}
			return
		}
		got, gotComps, err := db.SBOM(ctx, p, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Components != len(comps) || len(gotComps) != len(comps) {
			t.Fatalf("stored %d components, read %d (count %d)", len(comps), len(gotComps), got.Components)
		}
		for i, c := range comps {
			want := inventory.Component{Name: strings.TrimSpace(c.Name), Version: strings.TrimSpace(c.Version),
				PURL: strings.TrimSpace(c.PURL), CPE: strings.TrimSpace(c.CPE), Type: strings.TrimSpace(c.Type)}
			if gotComps[i] != want {
				t.Fatalf("component %d: stored %+v, read %+v", i, want, gotComps[i])
			}
		}
		dev := inventory.Device{ManufacturerNorm: got.ManufacturerNorm, Model: got.Model, Version: got.Version}
		if viaDev, _, err := db.DeviceSBOM(ctx, p, dev); err != nil || viaDev.ID != s.ID {
			t.Fatalf("device of the model does not inherit sbom %d: %+v %v", s.ID, viaDev, err)
		}
	})
}

// BenchmarkSaveSBOM5000 attaches (and, from the second round on, replaces)
// an SBOM of 5,000 components, the size of a full Linux firmware image.
func BenchmarkSaveSBOM5000(b *testing.B) {
	comps := make([]inventory.Component, 5000)
	for i := range comps {
		n := "lib" + strings.Repeat("x", i%7) + string(rune('a'+i%26))
		comps[i] = inventory.Component{Name: n, Version: "1.2." + string(rune('0'+i%10)), PURL: "pkg:generic/" + n + "@1.2", Type: "library"}
	}
	for _, backend := range storetest.Backends() {
		b.Run(backend, func(b *testing.B) {
			db := storetest.Open(b, backend)
			var p access.Principal
			err := db.InTx(ctx, func(tx *store.Tx) error {
				o := access.Org{Name: "Bench Hospital", Kind: access.KindMember}
				if err := tx.CreateOrg(ctx, access.System, &o); err != nil {
					return err
				}
				p = access.Principal{UserName: "system", OrgID: o.ID, OrgKind: o.Kind, Role: access.RoleAdmin}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				s := store.SBOM{Manufacturer: "Example Medical", Model: "Gateway 3000", Version: "4.2.1"}
				if err := saveSBOM(db, p, &s, comps); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
