package share

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/version"
)

const (
	v31Crit = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"                    // 9.8
	v31Med  = "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"                    // 6.5
	v40Crit = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N" // 9.3
)

// richDraft is the advisory the tests publish: two products with ranges
// (one with a fixed version), two CVEs with CVSS 3.1 and 4.0, a remediation
// of every category, references and an acknowledgment.
func richDraft() Draft {
	return Draft{
		Title: "Infusion pump and monitor: hard-coded credentials", TLP: "green",
		Summary: "Two vulnerabilities let an attacker on the clinical network take over the pumps.",
		Details: "Found during a member hospital's acceptance test.",
		Products: []DraftProduct{
			{Vendor: "BD", Name: "Alaris PC Unit", Version: "<= 9.33.1", Fixed: "12.1.0", Models: []string{"8015"}},
			{Ref: "MON", Vendor: "Philips", Name: "IntelliVue MX40", Version: "2.x", CPE: "cpe:2.3:h:philips:intellivue_mx40:*:*:*:*:*:*:*:*"},
			{Vendor: "Acme", Name: "Gateway", Version: "4.0.1", PURL: "pkg:generic/acme/gateway@4.0.1"},
		},
		Vulnerabilities: []DraftVulnerability{
			{CVE: "cve-2026-10001", Title: "Hard-coded password", CWE: "798", CWEName: "Use of Hard-coded Credentials",
				CVSS3: v31Crit, CVSS4: v40Crit, Description: "The maintenance account has a fixed password.",
				Status: map[string]string{"P1": "known_affected", "MON": "known_affected", "P3": "known_not_affected"}},
			{CVE: "CVE-2026-10002", Title: "Cleartext telemetry", CWE: "CWE-319", CWEName: "Cleartext Transmission of Sensitive Information",
				CVSS3: v31Med, Description: "Telemetry is sent without encryption.",
				Status: map[string]string{"P1": "known_affected", "MON": "fixed"}},
		},
		Remediations: []DraftRemediation{
			{Category: "vendor_fix", Details: "Update the pump to 12.1.0.", URL: "https://bd.example/psirt", Products: []string{"P1"}},
			{Category: "mitigation", Details: "Put the pumps in their own VLAN.", Products: []string{"P1", "MON"}},
			{Category: "workaround", Details: "Disable the maintenance account.", Products: []string{"MON"}},
			{Category: "no_fix_planned", Details: "Older monitors get no update.", Products: []string{"MON"}},
			{Category: "none_available", Details: "No fix for the telemetry yet.", Products: []string{"P1"}},
		},
		References:      []DraftReference{{URL: "https://bd.example/psirt/2026-01", Summary: "Vendor bulletin"}, {URL: "https://cert.example/notes/1"}},
		Acknowledgments: []DraftAcknowledgment{{Names: []string{"Dr. A. Example"}, Organization: "St. Anna Hospital", Summary: "reported the issue"}},
	}
}

func draftDay(d int) time.Time { return time.Date(2026, 3, d, 9, 30, 0, 0, time.UTC) }

func draftRelease(n int) Release {
	h := []advisory.Revision{{Number: "1", Date: draftDay(1), Summary: "Initial release."}}
	if n > 1 {
		h = append(h, advisory.Revision{Number: "2", Date: draftDay(5), Summary: "Monitor range narrowed."})
	}
	return Release{TrackingID: "ACESO-2026-0001", Publisher: "Health CERT", History: h}
}

func TestDraftNormalise(t *testing.T) {
	d := richDraft()
	d.Products = append(d.Products, DraftProduct{Ref: " p2 ", Vendor: " X "}, DraftProduct{Vendor: "Y"})
	d.Vulnerabilities[0].Status[" P3 "] = " "
	d.Normalise()
	var refs []string
	for _, p := range d.Products {
		refs = append(refs, p.Ref)
	}
	// Positions 1, 3 and 5 get P1, P3, P5; "p2" keeps its spelling, so P4 is free.
	if want := []string{"P1", "MON", "P3", "p2", "P5"}; !slices.Equal(refs, want) {
		t.Errorf("refs %v, want %v", refs, want)
	}
	if d.TLP != "TLP:GREEN" || d.Vulnerabilities[0].CVE != "CVE-2026-10001" || d.Vulnerabilities[0].CWE != "CWE-798" || d.Products[3].Vendor != "X" {
		t.Errorf("not normalised: %q %q %q %q", d.TLP, d.Vulnerabilities[0].CVE, d.Vulnerabilities[0].CWE, d.Products[3].Vendor)
	}
	if len(d.Vulnerabilities[0].Status) != 3 {
		t.Errorf("empty status entry kept: %v", d.Vulnerabilities[0].Status)
	}
}

func TestDraftValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(d *Draft)
		want string // "" = valid
	}{
		{"rich draft", func(*Draft) {}, ""},
		{"no title", func(d *Draft) { d.Title = " " }, "title: required"},
		{"long title", func(d *Draft) { d.Title = strings.Repeat("é", 301) }, "title: 301 characters; at most 300"},
		{"no label", func(d *Draft) { d.TLP = "" }, "tlp: required"},
		{"bad label", func(d *Draft) { d.TLP = "purple" }, `tlp: "purple" is not one of`},
		{"amber+strict", func(d *Draft) { d.TLP = "TLP:AMBER+STRICT" }, "tlp: TLP:AMBER+STRICT has no CSAF 2.0 label"},
		{"red is allowed", func(d *Draft) { d.TLP = "red" }, ""},
		{"no summary", func(d *Draft) { d.Summary = "" }, "summary: required"},
		{"no products", func(d *Draft) { d.Products = nil }, "products: name at least one product"},
		{"vendor", func(d *Draft) { d.Products[2].Vendor = "" }, "products[2].vendor: required"},
		{"name", func(d *Draft) { d.Products[0].Name = "" }, "products[0].name: required"},
		{"no version", func(d *Draft) { d.Products[2].Version = "" }, "products[2].version: required"},
		{"unreadable version", func(d *Draft) { d.Products[2].Version = "banana" }, `products[2].version: "banana" is not a version or range`},
		{"condition in version", func(d *Draft) { d.Products[2].Version = "<= 4.0 (only if the web server is enabled)" }, "products[2].version: \"<= 4.0 (only if the web server is enabled)\" carries a condition"},
		{"fixed is a range", func(d *Draft) { d.Products[0].Fixed = ">= 12" }, `products[0].fixed: ">= 12" must be one version`},
		{"fixed inside range", func(d *Draft) { d.Products[0].Fixed = "9.2" }, `products[0].fixed: 9.2 lies inside the affected versions "<= 9.33.1"`},
		{"bad cpe", func(d *Draft) { d.Products[1].CPE = "philips mx40" }, `products[1].cpe: "philips mx40" is not a CPE`},
		{"bad purl", func(d *Draft) { d.Products[2].PURL = "gateway" }, `products[2].purl: "gateway" is not a package URL`},
		{"bad ref", func(d *Draft) { d.Products[1].Ref = "1 monitor" }, `products[1].ref: "1 monitor" must start with a letter`},
		{"duplicate ref", func(d *Draft) { d.Products[2].Ref = "mon" }, `products[2].ref: "mon" is used by another product`},
		{"no vulnerabilities", func(d *Draft) { d.Vulnerabilities = nil }, "vulnerabilities: describe at least one"},
		{"bad cve", func(d *Draft) { d.Vulnerabilities[1].CVE = "CVE-26-1" }, `vulnerabilities[1].cve: "CVE-26-1" is not a CVE id`},
		{"duplicate cve", func(d *Draft) { d.Vulnerabilities[1].CVE = "CVE-2026-10001" }, "vulnerabilities[1].cve: CVE-2026-10001 is described in vulnerabilities[0] already"},
		{"no cve, no title", func(d *Draft) { d.Vulnerabilities[1].CVE, d.Vulnerabilities[1].Title = "", "" }, "vulnerabilities[1].title: required when there is no CVE id"},
		{"no cve is fine", func(d *Draft) { d.Vulnerabilities[1].CVE = "" }, ""},
		{"bad cwe", func(d *Draft) { d.Vulnerabilities[0].CWE = "CWE-0" }, `vulnerabilities[0].cwe: "CWE-0" is not a CWE id`},
		{"cwe without name", func(d *Draft) { d.Vulnerabilities[0].CWEName = "" }, "vulnerabilities[0].cwe_name: required with a CWE id"},
		{"bad cvss 3", func(d *Draft) { d.Vulnerabilities[0].CVSS3 = "CVSS:3.1/AV:X" }, `vulnerabilities[0].cvss_v3: "CVSS:3.1/AV:X" is not a valid CVSS v3.1`},
		{"v4 in the v3 field", func(d *Draft) { d.Vulnerabilities[0].CVSS3 = v40Crit }, "vulnerabilities[0].cvss_v3:"},
		{"bad cvss 4", func(d *Draft) { d.Vulnerabilities[0].CVSS4 = v31Crit }, "vulnerabilities[0].cvss_v4:"},
		{"no description", func(d *Draft) { d.Vulnerabilities[1].Description = "" }, "vulnerabilities[1].description: required"},
		{"no status", func(d *Draft) { d.Vulnerabilities[1].Status = nil }, "vulnerabilities[1].status: give at least one product"},
		{"unknown product", func(d *Draft) { d.Vulnerabilities[1].Status["P9"] = "fixed" }, `vulnerabilities[1].status: unknown product "P9"`},
		{"fixed sibling is no ref", func(d *Draft) { d.Vulnerabilities[1].Status["P1.fixed"] = "fixed" }, `unknown product "P1.fixed"`},
		{"bad status", func(d *Draft) { d.Vulnerabilities[1].Status["P1"] = "affected" }, `vulnerabilities[1].status.P1: "affected" is not one of known_affected, fixed, known_not_affected`},
		{"bad category", func(d *Draft) { d.Remediations[0].Category = "patch" }, `remediations[0].category: "patch" is not one of`},
		{"no details", func(d *Draft) { d.Remediations[1].Details = "" }, "remediations[1].details: required"},
		{"relative url", func(d *Draft) { d.Remediations[0].URL = "/psirt" }, `remediations[0].url: "/psirt" is not an absolute`},
		{"no remediation products", func(d *Draft) { d.Remediations[2].Products = nil }, "remediations[2].products: name at least one product"},
		{"remediation hits nothing", func(d *Draft) { d.Remediations[2].Products = []string{"P3"} }, "remediations[2].products: none of them is known_affected"},
		{"bad reference", func(d *Draft) { d.References[1].URL = "ftp://x" }, `references[1].url: "ftp://x" is not an absolute http(s) URL`},
		{"empty acknowledgment", func(d *Draft) { d.Acknowledgments[0] = DraftAcknowledgment{} }, "acknowledgments[0]: give names, an organisation or a summary"},
		{"too many products", func(d *Draft) { d.Products = make([]DraftProduct, 201) }, "products: 201 entries; at most 200"},
		{"long version", func(d *Draft) { d.Products[0].Version = strings.Repeat("1", 501) }, "products[0].version: 501 bytes; at most 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := richDraft()
			tt.edit(&d)
			d.Normalise()
			err := d.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("valid draft refused: %v", err)
				}
				return
			}
			if aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(aceso.ErrorMessage(err), tt.want) {
				t.Errorf("got %v, want EINVALID with %q", err, tt.want)
			}
		})
	}
}

func TestDraftCheckLimits(t *testing.T) {
	d := Draft{Title: "half written"}
	if err := d.CheckLimits(); err != nil {
		t.Errorf("an incomplete draft must save: %v", err)
	}
	d.Vulnerabilities = []DraftVulnerability{{Description: strings.Repeat("x", 20001)}}
	if err := d.CheckLimits(); !strings.Contains(aceso.ErrorMessage(err), "vulnerabilities[0].description: 20001 bytes") {
		t.Errorf("got %v", err)
	}
}

func TestCVSSScore(t *testing.T) {
	tests := []struct {
		vector, ver, sev string
		score            float64
	}{
		{v31Crit, "3.1", "CRITICAL", 9.8},
		{v31Med, "3.1", "MEDIUM", 6.5},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "3.0", "CRITICAL", 9.8},
		{v40Crit, "4.0", "CRITICAL", 9.3},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", "3.1", "NONE", 0},
	}
	for _, tt := range tests {
		ver, score, sev, err := CVSSScore(tt.vector)
		if err != nil || ver != tt.ver || score != tt.score || sev != tt.sev {
			t.Errorf("%s: %s %.1f %s %v, want %s %.1f %s", tt.vector, ver, score, sev, err, tt.ver, tt.score, tt.sev)
		}
	}
	for _, bad := range []string{"", "AV:N/AC:L", "CVSS:3.1/AV:N", "CVSS:2.0/AV:N/AC:L/Au:N/C:C/I:C/A:C", "CVSS:4.0/AV:N"} {
		if _, _, _, err := CVSSScore(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestTrackingPrefix(t *testing.T) {
	for in, want := range map[string]string{"Health CERT": "HEALTH-CERT", "CERT": "CERT", "  ": "ACESO", "CERT-Santé (Nord)": "CERT-SANT-NORD",
		"Computer Emergency Response Team for Hospitals": "COMPUTER-EMERGENCY-RESPO"} {
		if got := TrackingPrefix(in); got != want {
			t.Errorf("TrackingPrefix(%q) = %q, want %q", in, got, want)
		}
	}
	if got := TrackingID("ACESO", 2026, 1); got != "ACESO-2026-0001" {
		t.Errorf("got %s", got)
	}
	if got := TrackingID("ACESO", 2026, 12345); got != "ACESO-2026-12345" {
		t.Errorf("got %s", got)
	}
}

func authoredDoc(t *testing.T, d Draft, rel Release) (*advisory.Advisory, []byte) {
	t.Helper()
	d.Normalise()
	a, err := d.Advisory(rel)
	if err != nil {
		t.Fatal(err)
	}
	out, err := CSAFDocument(a, testPub)
	if err != nil {
		t.Fatal(err)
	}
	validateCSAF(t, "authored", out)
	return a, out
}

// TestDraftCSAFDocument proves that a rich draft becomes a schema-valid
// CSAF 2.0 document published by the CSIRT, and that Aceso's own parser
// reads back the fields a receiver matches on.
func TestDraftCSAFDocument(t *testing.T) {
	a, out := authoredDoc(t, richDraft(), draftRelease(1))
	if len(a.Warnings) > 0 {
		t.Errorf("stored advisory has parser warnings: %v", a.Warnings)
	}
	var doc struct {
		Document struct {
			Acknowledgments []csafAck `json:"acknowledgments"`
			Notes           []csafNote
			Publisher       csafPublisher
			Tracking        csafTracking
			Distribution    struct{ TLP struct{ Label string } }
		}
		ProductTree     csafTree `json:"product_tree"`
		Vulnerabilities []csafVuln
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	tr := doc.Document.Tracking
	if tr.ID != "ACESO-2026-0001" || tr.Status != "final" || tr.Version != "1" || tr.InitialReleaseDate != "2026-03-01T09:30:00Z" ||
		len(tr.RevisionHistory) != 1 || tr.RevisionHistory[0].Summary != "Initial release." {
		t.Errorf("tracking: %+v", tr)
	}
	if doc.Document.Publisher.Category != "coordinator" || doc.Document.Publisher.Name != "Health CERT" || doc.Document.Distribution.TLP.Label != "GREEN" {
		t.Errorf("publisher/label: %+v %s", doc.Document.Publisher, doc.Document.Distribution.TLP.Label)
	}
	for _, n := range doc.Document.Notes {
		if strings.Contains(n.Text, "Redistributed") {
			t.Errorf("an authored advisory is called a redistribution: %q", n.Text)
		}
	}
	if len(doc.Document.Acknowledgments) != 1 || doc.Document.Acknowledgments[0].Organization != "St. Anna Hospital" {
		t.Errorf("acknowledgments: %+v", doc.Document.Acknowledgments)
	}
	// BD > Alaris PC Unit > product_version_range "vers:generic/<=9.33.1" and product_version "12.1.0".
	bd := doc.ProductTree.Branches[0]
	if bd.Name != "BD" || len(bd.Branches) != 1 || len(bd.Branches[0].Branches) != 2 {
		t.Fatalf("BD branch: %+v", bd)
	}
	rng, fx := bd.Branches[0].Branches[0], bd.Branches[0].Branches[1]
	if rng.Category != "product_version_range" || rng.Name != "vers:generic/<=9.33.1" || rng.Product.ProductID != "P1" ||
		fx.Category != "product_version" || fx.Name != "12.1.0" || fx.Product.ProductID != "P1.fixed" {
		t.Errorf("BD versions: %+v %+v", rng, fx)
	}
	v0, v1 := doc.Vulnerabilities[0], doc.Vulnerabilities[1]
	if v0.CVE != "CVE-2026-10001" || v0.CWE.ID != "CWE-798" || !slices.Equal(v0.ProductStatus["known_affected"], []string{"P1", "MON"}) ||
		!slices.Equal(v0.ProductStatus["fixed"], []string{"P1.fixed"}) || !slices.Equal(v0.ProductStatus["known_not_affected"], []string{"P3"}) {
		t.Errorf("vulnerability 0: %+v", v0)
	}
	if len(v0.Scores) != 1 || v0.Scores[0].CVSSv3.BaseScore != 9.8 || v0.Scores[0].CVSSv3.BaseSeverity != "CRITICAL" ||
		!slices.Equal(v0.Scores[0].Products, []string{"P1", "MON"}) {
		t.Errorf("CVSS 3.1: %+v", v0.Scores)
	}
	if !slices.ContainsFunc(v0.Notes, func(n csafNote) bool {
		return n.Title == "CVSS 4.0" && strings.HasPrefix(n.Text, v40Crit+" (base score 9.3)")
	}) {
		t.Errorf("CVSS 4.0 not kept as a note: %+v", v0.Notes)
	}
	var cats []string
	for _, v := range doc.Vulnerabilities {
		for _, r := range v.Remediations {
			cats = append(cats, v.CVE+" "+r.Category+" "+strings.Join(r.ProductIDs, ","))
		}
	}
	want := []string{"CVE-2026-10001 vendor_fix P1", "CVE-2026-10001 mitigation P1,MON", "CVE-2026-10001 workaround MON",
		"CVE-2026-10001 no_fix_planned MON", "CVE-2026-10001 none_available P1",
		// In CVE-2026-10002 the monitor is fixed: only the pump's advice applies.
		"CVE-2026-10002 vendor_fix P1", "CVE-2026-10002 mitigation P1", "CVE-2026-10002 none_available P1"}
	if !slices.Equal(cats, want) {
		t.Errorf("remediations:\n%q\nwant\n%q", cats, want)
	}
	if !slices.Equal(v1.ProductStatus["fixed"], []string{"P1.fixed", "MON"}) {
		t.Errorf("vulnerability 1 fixed: %v", v1.ProductStatus["fixed"])
	}

	// Round trip through the parser a receiver uses.
	b, err := advisory.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if b.ID != a.ID || b.Title != a.Title || b.TLP != "TLP:GREEN" || b.Revision != "1" || b.Status != "final" || b.Publisher != "Health CERT" ||
		!b.CurrentRelease.Equal(draftDay(1)) || !slices.Equal(b.CVEs(), []string{"CVE-2026-10001", "CVE-2026-10002"}) {
		t.Errorf("read back: %+v", b)
	}
	for _, p := range a.Products {
		q := b.Product(p.ID)
		if q == nil || q.Vendor != p.Vendor || q.Name != p.Name || q.Version != p.Version || q.VendorNorm != p.VendorNorm || !slices.Equal(q.Models, p.Models) {
			t.Errorf("product %s read back as %+v, stored %+v", p.ID, q, p)
		}
	}
	if p := b.Product("P1"); p == nil || !slices.Contains(p.Models, "8015") || version.ParseConstraint(p.Version).Contains("9.33") != version.Yes ||
		version.ParseConstraint(p.Version).Contains("12.1.0") != version.No {
		t.Errorf("pump read back: %+v", p)
	}
	if p := b.Product("MON"); p == nil || p.CPE != "cpe:2.3:h:philips:intellivue_mx40:*:*:*:*:*:*:*:*" || !p.VersionIsRange {
		t.Errorf("monitor read back: %+v", p)
	}
	if p := b.Product("P3"); p == nil || p.Version != "4.0.1" || p.VersionIsRange || !slices.Equal(p.PURLs, []string{"pkg:generic/acme/gateway@4.0.1"}) {
		t.Errorf("gateway read back: %+v", p)
	}
	for i, v := range a.Vulnerabilities {
		for _, p := range a.Products {
			if a.StatusOf(&v, p.ID) != b.StatusOf(&b.Vulnerabilities[i], p.ID) {
				t.Errorf("vulnerability %d product %s: status %q read back as %q", i, p.ID, a.StatusOf(&v, p.ID), b.StatusOf(&b.Vulnerabilities[i], p.ID))
			}
		}
	}
	// Deterministic: hashes and signatures served beside it stay stable.
	if again, _ := CSAFDocument(a, testPub); !bytes.Equal(again, out) {
		t.Error("output not deterministic")
	}
}

// TestDraftRevision: the second revision keeps the initial date, moves the
// current one and lists both revisions in date order.
func TestDraftRevision(t *testing.T) {
	d := richDraft()
	d.Products[1].Version = "2.0 | 2.1"
	a, out := authoredDoc(t, d, draftRelease(2))
	if a.Revision != "2" || !a.InitialRelease.Equal(draftDay(1)) || !a.CurrentRelease.Equal(draftDay(5)) {
		t.Errorf("advisory: %s %v %v", a.Revision, a.InitialRelease, a.CurrentRelease)
	}
	var doc struct {
		Document struct{ Tracking csafTracking }
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	tr := doc.Document.Tracking
	want := []csafRevision{{Date: "2026-03-01T09:30:00Z", Number: "1", Summary: "Initial release."}, {Date: "2026-03-05T09:30:00Z", Number: "2", Summary: "Monitor range narrowed."}}
	if tr.Version != "2" || tr.InitialReleaseDate != "2026-03-01T09:30:00Z" || tr.CurrentReleaseDate != "2026-03-05T09:30:00Z" || !slices.Equal(tr.RevisionHistory, want) {
		t.Errorf("tracking: %+v", tr)
	}
	// A history that disagrees with the version is not written (CSAF 6.1.16).
	a.Revision = "3"
	out, err := CSAFDocument(a, testPub)
	if err != nil {
		t.Fatal(err)
	}
	validateCSAF(t, "inconsistent history", out)
	if err := json.Unmarshal(out, &doc); err != nil || len(doc.Document.Tracking.RevisionHistory) != 1 {
		t.Errorf("inconsistent history written: %+v", doc.Document.Tracking.RevisionHistory)
	}
}

func TestDraftAdvisoryRelease(t *testing.T) {
	d := richDraft()
	d.Normalise()
	for _, rel := range []Release{{}, {TrackingID: "X-1", Publisher: "CERT"}, {TrackingID: " X-1", Publisher: "CERT", History: draftRelease(1).History}} {
		if _, err := d.Advisory(rel); aceso.ErrorCode(err) != aceso.EINVALID {
			t.Errorf("%+v: got %v, want EINVALID", rel, err)
		}
	}
	d.Title = ""
	if _, err := d.Advisory(draftRelease(1)); !strings.Contains(aceso.ErrorMessage(err), "title: required") {
		t.Errorf("invalid draft converted: %v", err)
	}
}

// FuzzDraftJSON decodes arbitrary JSON as a draft: no panic, and every
// draft that validates becomes a schema-valid CSAF document whose tracking
// id and CVEs read back.
func FuzzDraftJSON(f *testing.F) {
	seed, _ := json.Marshal(richDraft())
	f.Add(seed)
	f.Add([]byte(`{"title":"t","tlp":"clear","summary":"s","products":[{"vendor":"v","name":"n","version":"1"}],"vulnerabilities":[{"title":"x","description":"d","status":{"P1":"fixed"}}]}`))
	f.Add([]byte(`{"title":"t","tlp":"red","summary":"s","products":[{"ref":"A","vendor":"v","name":"n:m","version":"all","fixed":"2","models":["", "M1"]}],"vulnerabilities":[{"cve":"CVE-2026-0001","description":"d","cvss_v4":"` + v40Crit + `","status":{"A":"known_affected"}}],"remediations":[{"category":"workaround","details":"x","products":["A"]}]}`))
	f.Add([]byte(`{"products":[{}],"vulnerabilities":[{"status":{"":""}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Draft
		if json.Unmarshal(data, &d) != nil {
			return
		}
		d.Normalise()
		if d.Validate() != nil {
			return
		}
		a, err := d.Advisory(draftRelease(2))
		if err != nil {
			t.Fatalf("valid draft not converted: %v", err)
		}
		out, err := CSAFDocument(a, testPub)
		if err != nil {
			t.Fatalf("valid draft not exported: %v", err)
		}
		msgs, err := advisory.Validate(out)
		if err != nil || len(msgs) > 0 {
			t.Fatalf("invalid CSAF from a valid draft: %v %v\n%s", msgs, err, out)
		}
		b, err := advisory.Parse(out)
		if err != nil || b.ID != a.ID || !slices.Equal(b.CVEs(), a.CVEs()) {
			t.Fatalf("read back: %v %+v", err, b)
		}
	})
}
