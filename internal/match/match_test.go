package match

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/ssvc"
)

// prod builds an advisory product the way the parser flattens a branch.
func prod(id, vendor, name, ver string, models ...string) advisory.Product {
	return advisory.Product{ID: id, Vendor: vendor, VendorNorm: inventory.NormaliseManufacturer(vendor), Name: name,
		FullName: name + ": " + ver, Version: ver, VersionIsRange: strings.ContainsAny(ver, "<>*"), Models: models}
}

// adv builds an advisory with one vulnerability per status map.
func adv(id string, products []advisory.Product, vulns ...advisory.Vulnerability) *advisory.Advisory {
	return &advisory.Advisory{ID: id, Products: products, Vulnerabilities: vulns}
}

func vuln(cve string, status map[string][]string) advisory.Vulnerability {
	return advisory.Vulnerability{CVE: cve, ProductStatus: status}
}

func dev(tag, mfr, model, ver string) inventory.Device {
	return inventory.Device{AssetTag: tag, Manufacturer: mfr, ManufacturerNorm: inventory.NormaliseManufacturer(mfr), Model: model, Version: ver}
}

// byTag indexes results by asset tag, failing on a second result for one device.
func byTag(t *testing.T, rs []Result) map[string]Result {
	t.Helper()
	m := map[string]Result{}
	for _, r := range rs {
		if _, dup := m[r.Device.AssetTag]; dup {
			t.Fatalf("two results for device %s", r.Device.AssetTag)
		}
		m[r.Device.AssetTag] = r
	}
	return m
}

func TestMatchCases(t *testing.T) {
	bd := "Becton, Dickinson and Company (BD)"
	tests := []struct {
		name    string
		devices []inventory.Device
		a       *advisory.Advisory
		want    map[string]Status // asset tag → status; "" means no result
		reason  map[string]string // asset tag → substring of the reason
	}{
		{
			name: "model range and family",
			devices: []inventory.Device{dev("in", "Philips", "IntelliVue MX450", "M.00.03"), dev("edge", "Philips Healthcare", "IntelliVue MX850", "L.00"),
				dev("out", "Philips", "IntelliVue MX40", "B.06.18"), dev("other", "Philips", "IntelliVue MX900", "M.00"),
				dev("bare", "Philips", "MX450", "M.00"), dev("family", "Philips", "IntelliVue", "M.00")},
			a: adv("A-1", []advisory.Product{prod("P1", "Philips", "IntelliVue patient monitor MX400-MX850", "vers:all/*")},
				vuln("CVE-1", map[string][]string{"known_affected": {"P1"}})),
			want: map[string]Status{"in": Affected, "edge": Affected, "out": "", "other": "", "bare": Affected, "family": PossiblyAffected},
			reason: map[string]string{"in": "model mx450", "edge": "manufacturer alias Philips Healthcare → Philips",
				"family": "names no model number"},
		},
		{
			name: "word order, alias and version bound",
			devices: []inventory.Device{dev("pcu", "BD", "Alaris 8015 PC Unit", "9.33"), dev("carefusion", "CareFusion", "Alaris PCU Model 8015", "9.33.1"),
				dev("new", "BD", "Alaris 8015 PC Unit", "12.1"), dev("noversion", "BD", "Alaris 8015", ""), dev("gw", "BD", "Alaris Gateway Workstation", "1.3.2")},
			a: adv("A-2", []advisory.Product{prod("P1", bd, "Alaris PC Unit Model 8015", "<= 9.33.1")},
				vuln("CVE-2", map[string][]string{"known_affected": {"P1"}})),
			want:   map[string]Status{"pcu": Affected, "carefusion": Affected, "new": NotAffected, "noversion": PossiblyAffected, "gw": ""},
			reason: map[string]string{"pcu": "9.33 <= 9.33.1", "carefusion": "CareFusion → Becton Dickinson", "noversion": "device version not recorded"},
		},
		{
			name:    "brand in product name under a parent vendor",
			devices: []inventory.Device{dev("alaris", "BD", "Alaris 8100 LVP Module", "9.1"), dev("pyxis", "BD", "Pyxis MedStation ES", "1.6")},
			a: adv("A-3", []advisory.Product{prod("P1", "Becton, Dickinson and Company", "BD Alaris 8100 LVP Module", "<= 9.19")},
				vuln("CVE-3", map[string][]string{"known_affected": {"P1"}})),
			want: map[string]Status{"alaris": Affected, "pyxis": ""},
		},
		{
			name:    "sub-brand in the product name, model number decides",
			devices: []inventory.Device{dev("revel", "Medtronic", "Paradigm Revel 723", "2.4A"), dev("670g", "Medtronic", "MiniMed 670G", "1.1")},
			a: adv("A-4", []advisory.Product{prod("P1", "Medtronic", "MiniMed Paradigm Revel", "vers:all/*"), prod("P2", "Medtronic", "MiniMed 508 pump", "vers:all/*")},
				vuln("CVE-4", map[string][]string{"known_affected": {"P1", "P2"}})),
			want: map[string]Status{"revel": Affected, "670g": ""},
		},
		{
			name:    "fixed product clears the device, affected product before it",
			devices: []inventory.Device{dev("old", "Acme Medical", "Pump 3000", "1.2"), dev("fixed", "Acme Medical", "Pump 3000", "1.3"), dev("newer", "Acme Medical", "Pump 3000", "2.0")},
			a: adv("A-5", []advisory.Product{prod("P1", "Acme Medical", "Pump 3000", "vers:all/*"), prod("P2", "Acme Medical", "Pump 3000", ">= 1.3")},
				vuln("CVE-5", map[string][]string{"known_affected": {"P1"}, "fixed": {"P2"}})),
			want:   map[string]Status{"old": Affected, "fixed": NotAffected, "newer": NotAffected},
			reason: map[string]string{"fixed": "listed as fixed"},
		},
		{
			name:    "first_affected and last_affected bound a single version",
			devices: []inventory.Device{dev("before", "Acme Medical", "Infuser X200", "1.9"), dev("from", "Acme Medical", "Infuser X200", "2.1"), dev("after", "Acme Medical", "Infuser X200", "3.1")},
			a: adv("A-6", []advisory.Product{prod("P1", "Acme Medical", "Infuser X200", "2.0"), prod("P2", "Acme Medical", "Infuser X200", "3.0")},
				vuln("CVE-6", map[string][]string{"first_affected": {"P1"}}), vuln("CVE-6b", map[string][]string{"last_affected": {"P2"}})),
			want: map[string]Status{"before": Affected, "from": Affected, "after": Affected},
		},
		{
			name:    "under investigation is at most review",
			devices: []inventory.Device{dev("inv", "Acme Medical", "Monitor M10", "1.0")},
			a: adv("A-7", []advisory.Product{prod("P1", "Acme Medical", "Monitor M10", "vers:all/*")},
				vuln("CVE-7", map[string][]string{"under_investigation": {"P1"}})),
			want: map[string]Status{"inv": PossiblyAffected},
		},
		{
			name: "other vendor with the same model number, and an unknown manufacturer",
			devices: []inventory.Device{dev("other", "Philips", "Alaris 8015", "9.0"), dev("blank", "", "8015 PC Unit", "9.0"),
				dev("typo", "Becton Dickinsen", "Alaris 8015 PC Unit", "9.0")},
			a: adv("A-8", []advisory.Product{prod("P1", bd, "Alaris PC Unit Model 8015", "<= 9.33.1")},
				vuln("CVE-8", map[string][]string{"known_affected": {"P1"}})),
			// "Alaris" in the model names BD, so the Philips entry is treated as a brand link, not dropped.
			want:   map[string]Status{"blank": PossiblyAffected, "typo": Affected},
			reason: map[string]string{"blank": "manufacturer not recorded"},
		},
		{
			name:    "exclusion clause",
			devices: []inventory.Device{dev("logiq", "GE Healthcare", "LOGIQ E10", "R3"), dev("excl", "GE Healthcare", "LOGIQ 100 Pro", "1.0")},
			a: adv("A-9", []advisory.Product{prod("P1", "GE Healthcare", "LOGIQ, not including LOGIQ 100 Pro", "vers:all/*", "LOGIQ 100")},
				vuln("CVE-9", map[string][]string{"known_affected": {"P1"}})),
			want: map[string]Status{"logiq": Affected, "excl": ""},
		},
		{
			name:    "variants named in the version field",
			devices: []inventory.Device{dev("7900", "GE Healthcare", "Aespire 7900", ""), dev("750", "GE Healthcare", "Carestation 750", ""), dev("650", "GE Healthcare", "Carestation 650", "")},
			a: adv("A-10", []advisory.Product{prod("P1", "GE Healthcare", "GE Aespire", "7100 | 7900 | 100"), prod("P2", "GE Healthcare", "GE Carestation", "620 | 650 | 650c")},
				vuln("CVE-10", map[string][]string{"known_affected": {"P1", "P2"}})),
			want: map[string]Status{"7900": Affected, "750": "", "650": Affected},
		},
		{
			name:    "family words shared by several products",
			devices: []inventory.Device{dev("b450", "GE Healthcare", "CARESCAPE B450", "2.1"), dev("tele", "GE Healthcare", "CARESCAPE Telemetry Server", "4.3")},
			a: adv("A-11", []advisory.Product{prod("P1", "GE Healthcare", "CARESCAPE Telemetry Server", "4.3"), prod("P2", "GE Healthcare", "CARESCAPE Central Station", "2.X"),
				prod("P3", "GE Healthcare", "B450", "2.X")},
				vuln("CVE-11", map[string][]string{"known_affected": {"P1", "P2", "P3"}})),
			want: map[string]Status{"b450": Affected, "tele": Affected},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(tt.devices, Options{})
			got := byTag(t, e.Match(tt.a))
			for tag, want := range tt.want {
				r, ok := got[tag]
				switch {
				case want == "" && ok:
					t.Errorf("%s: got %s (%s), want no result", tag, r.Status, r.Reason)
				case want != "" && !ok:
					t.Errorf("%s: no result, want %s", tag, want)
				case ok && r.Status != want:
					t.Errorf("%s: got %s (%s), want %s", tag, r.Status, r.Reason, want)
				}
			}
			for tag, sub := range tt.reason {
				if r := got[tag]; !strings.Contains(r.Reason, sub) {
					t.Errorf("%s: reason %q lacks %q", tag, r.Reason, sub)
				}
			}
			for _, r := range got {
				if r.Confidence < 0 || r.Confidence > 1 || r.AdvisoryID != tt.a.ID || len(r.ProductIDs) == 0 || r.SSVC.Decision == "" {
					t.Errorf("%s: malformed result %+v", r.Device.AssetTag, r)
				}
			}
		})
	}
}

func TestMergeProductsIntoOneResult(t *testing.T) {
	devs := []inventory.Device{dev("d", "Dräger", "Infinity Delta XL", "VF9.1")}
	a := adv("A-M", []advisory.Product{prod("P1", "Dräger", "Delta XL", "vers:all/*"), prod("P2", "Dräger", "Infinity Delta", "vers:all/*"),
		prod("P3", "Dräger", "Kappa", "vers:all/*")},
		vuln("CVE-A", map[string][]string{"known_affected": {"P1"}}), vuln("CVE-B", map[string][]string{"known_affected": {"P2"}}),
		vuln("CVE-C", map[string][]string{"known_affected": {"P3"}}))
	rs := New(devs, Options{}).Match(a)
	if len(rs) != 1 {
		t.Fatalf("got %d results, want 1", len(rs))
	}
	if r := rs[0]; !slices.Equal(r.CVEs, []string{"CVE-A", "CVE-B"}) || !slices.Equal(r.ProductIDs, []string{"P1", "P2"}) {
		t.Errorf("CVEs %v products %v, want CVE-A CVE-B from P1 P2 (not Kappa's CVE-C)", r.CVEs, r.ProductIDs)
	}
}

func TestDecisionsAreRememberedAcrossAdvisories(t *testing.T) {
	devs := []inventory.Device{dev("r1", "Medtronic", "Paradigm Revel", "2.4A"), dev("r2", "Medtronic", "Paradigm Revel", "2.4A"),
		dev("x", "Medtronic", "Paradigm Revel", "")}
	p := prod("P9", "Medtronic", "MiniMed Paradigm Revel Link", "vers:all/*")
	first := adv("A-D1", []advisory.Product{p}, vuln("CVE-D1", map[string][]string{"known_affected": {"P9"}}))
	e := New(devs, Options{})
	if got := byTag(t, e.Match(first))["r1"].Status; got != PossiblyAffected {
		t.Fatalf("before review: %s, want possibly_affected", got)
	}
	e.SetDecision(Decision{Manufacturer: devs[0].ManufacturerNorm, Model: "Paradigm Revel", ProductKey: ProductKey(p), Confirmed: true, By: "analyst1"})
	// A later advisory names the same product with another id and range.
	p2 := prod("CSAFPID-0003", "Medtronic", "MiniMed Paradigm Revel Link", "<= 3.0")
	later := adv("A-D2", []advisory.Product{p2}, vuln("CVE-D2", map[string][]string{"known_affected": {"CSAFPID-0003"}}))
	if ProductKey(p) != ProductKey(p2) {
		t.Fatalf("product keys differ: %q vs %q", ProductKey(p), ProductKey(p2))
	}
	got := byTag(t, e.Match(later))
	for _, tag := range []string{"r1", "r2"} {
		if got[tag].Status != Affected || !strings.Contains(got[tag].Reason, "analyst1 confirmed") {
			t.Errorf("%s after confirm: %s (%s)", tag, got[tag].Status, got[tag].Reason)
		}
	}
	if got["x"].Status != PossiblyAffected {
		t.Errorf("confirmed model without version: %s, want possibly_affected (version still checked)", got["x"].Status)
	}
	e.SetDecision(Decision{Manufacturer: "Medtronic", Model: "paradigm  REVEL", ProductKey: ProductKey(p), Confirmed: false})
	if rs := e.Match(later); len(rs) != 0 {
		t.Errorf("after reject: %d results, want none", len(rs))
	}
	// Options.Decisions seeds a new engine the same way.
	e2 := New(devs, Options{Decisions: []Decision{{Manufacturer: "Medtronic", Model: "Paradigm Revel", ProductKey: ProductKey(p)}}})
	if rs := e2.Match(first); len(rs) != 0 {
		t.Errorf("seeded reject: %d results, want none", len(rs))
	}
}

func TestProductKey(t *testing.T) {
	a := prod("1", "Becton, Dickinson and Company (BD)", "Alaris PC Unit Model 8015", "<= 9.33.1", "8015")
	b := prod("2", "BD", "Alaris PC Unit Model 8015", "9.19", "8015")
	c := prod("3", "BD", "Alaris PC Unit Model 8100", "9.19", "8100")
	if ProductKey(a) != ProductKey(b) {
		t.Errorf("same product, other version/vendor spelling: %q != %q", ProductKey(a), ProductKey(b))
	}
	if ProductKey(a) == ProductKey(c) {
		t.Errorf("different models share key %q", ProductKey(a))
	}
}

func TestIncrementalIndex(t *testing.T) {
	a := adv("A-I", []advisory.Product{prod("P1", "Acme Medical", "Ventilator V500", "<= 2.0")},
		vuln("CVE-I", map[string][]string{"known_affected": {"P1"}}))
	e := New(nil, Options{})
	if rs := e.Match(a); len(rs) != 0 {
		t.Fatalf("empty engine matched %d", len(rs))
	}
	d := dev("v1", "Acme Medical", "V500", "1.0")
	d.ID = 42
	ref := e.Add(d)
	if rs := e.Match(a); len(rs) != 1 || rs[0].Status != Affected || rs[0].DeviceRef != ref {
		t.Fatalf("after Add: %+v", rs)
	}
	d.Version = "2.1" // patched: Add with a known ID replaces
	if r2 := e.Add(d); r2 != ref || e.Len() != 1 {
		t.Fatalf("re-Add with same ID gave ref %d (len %d), want %d (1)", r2, e.Len(), ref)
	}
	if rs := e.Match(a); len(rs) != 1 || rs[0].Status != NotAffected {
		t.Fatalf("after upgrade: %+v", rs)
	}
	d.Model = "Infusion Pump P10"
	if !e.Update(ref, d) {
		t.Fatal("Update failed")
	}
	if rs := e.Match(a); len(rs) != 0 {
		t.Fatalf("after model change: %d results", len(rs))
	}
	d.Model = "V500"
	d.Version = "1.5"
	e.Update(ref, d)
	if got, ok := e.Ref(42); !ok || got != ref {
		t.Fatalf("Ref(42) = %d, %v", got, ok)
	}
	if !e.RemoveID(42) || e.Len() != 0 || e.Device(ref) != nil {
		t.Fatal("RemoveID did not remove")
	}
	if rs := e.Match(a); len(rs) != 0 {
		t.Fatalf("after Remove: %d results", len(rs))
	}
	// The freed slot is reused.
	if r := e.Add(dev("v2", "Acme", "V500", "0.9")); r != ref {
		t.Errorf("slot not reused: %d", r)
	}
}

func TestSSVCPerResult(t *testing.T) {
	hot := dev("hot", "Acme Medical", "Ventilator V500", "1.0")
	hot.Zone, hot.ClinicalFunction = inventory.ZoneInternetExposed, inventory.FunctionLifeSupport
	cold := dev("cold", "Acme Medical", "Ventilator V500", "1.0")
	cold.Zone, cold.ClinicalFunction = inventory.ZoneIsolated, inventory.FunctionNonClinical
	v := vuln("CVE-2099-1", map[string][]string{"known_affected": {"P1"}})
	v.Scores = []advisory.Score{{Version: "3.1", Vector: "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", BaseScore: 7.0},
		{Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", BaseScore: 9.8}}
	v.Remediations = []advisory.Remediation{{Category: "vendor_fix", Details: "Upgrade to 2.0", ProductIDs: []string{"P1"}}}
	a := adv("A-S", []advisory.Product{prod("P1", "Acme Medical", "Ventilator V500", "< 2.0")}, v)
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		kev  map[string]bool
		want map[string]ssvc.Decision
	}{
		{"not exploited", nil, map[string]ssvc.Decision{"hot": ssvc.OutOfCycle, "cold": ssvc.Defer}},
		{"in KEV", map[string]bool{"CVE-2099-1": true}, map[string]ssvc.Decision{"hot": ssvc.Immediate, "cold": ssvc.Scheduled}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := byTag(t, New([]inventory.Device{hot, cold}, Options{KEV: tt.kev, Now: func() time.Time { return now }}).Match(a))
			for tag, want := range tt.want {
				r := got[tag]
				if r.SSVC.Decision != want {
					t.Errorf("%s: %s (%s), want %s", tag, r.SSVC.Decision, r.SSVC.Why, want)
				}
				if r.SSVC.Inputs.Automatable != ssvc.AutomatableYes || !strings.Contains(r.SSVC.Inputs.AutomatableFrom, "9.8") {
					t.Errorf("%s: automatable not from the highest score: %+v", tag, r.SSVC.Inputs)
				}
				if len(r.Remediations) != 1 || !r.MatchedAt.Equal(now) {
					t.Errorf("%s: remediations %v at %v", tag, r.Remediations, r.MatchedAt)
				}
			}
		})
	}
}

func TestExploitationFromThreats(t *testing.T) {
	tests := []struct {
		name    string
		details string
		want    ssvc.Exploitation
	}{
		{"public exploit", "Exploit code is publicly available.", ssvc.ExploitationPoC},
		{"proof of concept", "A proof-of-concept has been published.", ssvc.ExploitationPoC},
		{"in the wild", "This vulnerability is being exploited in the wild.", ssvc.ExploitationActive},
		{"negated", "No known public exploits specifically target this vulnerability.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := advisory.Vulnerability{Threats: []advisory.Threat{{Category: "exploit_status", Details: tt.details}}}
			if got, _ := exploitation(&v, nil); got != tt.want {
				t.Errorf("exploitation(%q) = %q, want %q", tt.details, got, tt.want)
			}
		})
	}
}

func TestAdvisoryWithoutProductStatus(t *testing.T) {
	a := adv("A-N", []advisory.Product{prod("P1", "Acme Medical", "Scanner S9", "vers:all/*")}, advisory.Vulnerability{CVE: "CVE-N"})
	rs := New([]inventory.Device{dev("s", "ACME Medical Systems, Inc.", "Scanner S9", "1")}, Options{}).Match(a)
	if len(rs) != 1 || rs[0].Status != Affected {
		t.Fatalf("got %+v, want the listed product to count as affected", rs)
	}
	if New(nil, Options{}).Match(nil) != nil {
		t.Error("nil advisory gave results")
	}
}

func TestConfidenceOrdering(t *testing.T) {
	// Explicit version evidence is surer than "all versions", which is surer
	// than an unknown version.
	devs := []inventory.Device{dev("explicit", "Acme Medical", "Pump P300", "1.0"), dev("unknown", "Acme Medical", "Pump P300", "")}
	a := adv("A-C", []advisory.Product{prod("P1", "Acme Medical", "Pump P300", "<= 2.0")}, vuln("CVE-C", map[string][]string{"known_affected": {"P1"}}))
	got := byTag(t, New(devs, Options{}).Match(a))
	if !(got["explicit"].Confidence > got["unknown"].Confidence) || math.IsNaN(got["explicit"].Confidence) {
		t.Errorf("confidence explicit %.2f <= unknown %.2f", got["explicit"].Confidence, got["unknown"].Confidence)
	}
}

func TestRelationshipProduct(t *testing.T) {
	// "Firmware <= 2.0 installed on Pump X100": the inventory lists the pump.
	fw := prod("FW", "Acme Medical", "Communication Firmware", "<= 2.0")
	pump := prod("PUMP", "Acme Medical", "Infusion Pump X100", "")
	rel := fw
	rel.ID, rel.RelCategory, rel.RelProduct, rel.RelTarget = "FW-ON-PUMP", "installed_on", "FW", "PUMP"
	rel.FullName = "Communication Firmware <= 2.0 installed on Infusion Pump X100"
	a := adv("A-R", []advisory.Product{fw, pump, rel}, vuln("CVE-R", map[string][]string{"known_affected": {"FW-ON-PUMP"}}))
	devs := []inventory.Device{dev("old", "Acme Medical", "X100 Infusion Pump", "1.5"), dev("new", "Acme Medical", "X100 Infusion Pump", "2.1"),
		dev("other", "Acme Medical", "X200 Infusion Pump", "1.5")}
	got := byTag(t, New(devs, Options{}).Match(a))
	if got["old"].Status != Affected || got["new"].Status != NotAffected {
		t.Errorf("old %s (%s), new %s", got["old"].Status, got["old"].Reason, got["new"].Status)
	}
	if r, ok := got["other"]; ok {
		t.Errorf("X200 matched: %s %s", r.Status, r.Reason)
	}
}
