package match

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/inventory"
)

// FuzzMatch feeds arbitrary product names, version fields and device
// records (all outside data) through the engine and checks its invariants:
// no panic, one result per device, valid statuses and confidences, the same
// answer twice, and a device named exactly like a product of its vendor is
// found.
func FuzzMatch(f *testing.F) {
	seeds := [][5]string{
		{"Alaris PC Unit Model 8015", "<= 9.33.1", "Alaris 8015 PC Unit", "9.19", "BD"},
		{"IntelliVue patient monitor MX400-MX850", "<=N", "IntelliVue MX450", "M.00.03", "Philips"},
		{"GE Aespire", "7100 | 7900 | 100 | Protiva Carestation View", "Aespire 7900", "", "GE Healthcare"},
		{"LOGIQ, not including LOGIQ 100 Pro", "vers:all/*", "LOGIQ 100 Pro", "R3", "GE Healthcare"},
		{"Point of Care handheld medical devices", "Accu-Chek Inform II", "Accu-Chek Inform II", "03.06.00", "Roche"},
		{"MiniMed Paradigm 522K/722K pumps", "vers:all/*", "Paradigm (MMT-722)", "", "Medtronic MiniMed"},
		{"Xeleris 3.1", "vers:all/*", "Xeleris", "4.0", "GE"},
		{"((()))", "|||", "-/-", "", ""},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], s[4])
	}
	f.Fuzz(func(t *testing.T, name, ver, model, dver, mfr string) {
		if !utf8.ValidString(name + ver + model + dver + mfr) {
			t.Skip()
		}
		vendor := "Acme Medical"
		p := advisory.Product{ID: "P1", Vendor: vendor, VendorNorm: inventory.NormaliseManufacturer(vendor), Name: name,
			FullName: name + ": " + ver, Version: ver}
		a := &advisory.Advisory{ID: "FUZZ-1", Products: []advisory.Product{p, {ID: "P2", Vendor: vendor, VendorNorm: p.VendorNorm,
			Name: name, FullName: name, Version: "vers:all/*"}},
			Vulnerabilities: []advisory.Vulnerability{{CVE: "CVE-1", ProductStatus: map[string][]string{"known_affected": {"P1"}}},
				{CVE: "CVE-2", ProductStatus: map[string][]string{"known_affected": {"P2"}}}}}
		devs := []inventory.Device{
			{AssetTag: "fuzz", Manufacturer: mfr, ManufacturerNorm: inventory.NormaliseManufacturer(mfr), Model: model, Version: dver},
			{AssetTag: "self", Manufacturer: vendor, ManufacturerNorm: p.VendorNorm, Model: name, Version: dver},
		}
		e := New(devs, Options{})
		first := e.Match(a)
		second := e.Match(a)
		if len(first) != len(second) {
			t.Fatalf("not deterministic: %d vs %d results", len(first), len(second))
		}
		seen := map[int]bool{}
		for i, r := range first {
			if seen[r.DeviceRef] {
				t.Fatalf("two results for device %d", r.DeviceRef)
			}
			seen[r.DeviceRef] = true
			if r.Status != Affected && r.Status != PossiblyAffected && r.Status != NotAffected {
				t.Fatalf("bad status %q", r.Status)
			}
			if r.Confidence < 0 || r.Confidence > 1 || r.Reason == "" || r.SSVC.Decision.Rank() < 0 {
				t.Fatalf("bad result %+v", r)
			}
			if second[i].Status != r.Status || second[i].Reason != r.Reason {
				t.Fatalf("not deterministic: %s/%s vs %s/%s", r.Status, r.Reason, second[i].Status, second[i].Reason)
			}
		}
		// A device named exactly like the product, of the same vendor, must be
		// found when the name carries any identity and excludes nothing.
		pi := e.prepareProduct(a, 1, advisory.StatusKnownAffected)
		if (pi.nReq > 0 || pi.hasModel) && len(pi.negative) == 0 && !strings.ContainsAny(name, "()") {
			if !seen[1] {
				t.Fatalf("device named %q not matched to its own product", name)
			}
		}
	})
}

// FuzzDeviceTokens checks the tokeniser on arbitrary text: tokens are
// folded, non-empty and free of separators.
func FuzzDeviceTokens(f *testing.F) {
	for _, s := range []string{"Alaris 8015 PC Unit", "Aestiva/5 7100", "II-S T-Line", "EM 1200", "Dräger Infinity® Delta", "MX400-MX850"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range deviceTokens(s) {
			if tok == "" || strings.ContainsAny(tok, " /-(),.") || fold(tok) != tok {
				t.Fatalf("bad token %q from %q", tok, s)
			}
		}
		slots, _ := nameSlots(s, nil)
		for _, sl := range slots {
			if len(sl.alts) == 0 || sl.kind < kWord || sl.kind > kModel {
				t.Fatalf("bad slot %+v from %q", sl, s)
			}
		}
	})
}
