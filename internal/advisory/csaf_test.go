package advisory

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
)

// mustParseFile parses a fixture or fails the test.
func mustParseFile(tb testing.TB, path string) *Advisory {
	tb.Helper()
	a, err := ParseFile(path)
	if err != nil {
		tb.Fatalf("ParseFile(%s): %v", path, err)
	}
	return a
}

func TestParseRealAlaris(t *testing.T) {
	path := sharedTestdata(t, "csaf/icsma/icsma-20-317-01.json")
	a := mustParseFile(t, path)
	if a.ID != "ICSMA-20-317-01" || a.TLP != "TLP:CLEAR" || a.Publisher != "CISA" || a.Status != "final" || a.Revision != "1" {
		t.Errorf("header = %q %q %q %q %q", a.ID, a.TLP, a.Publisher, a.Status, a.Revision)
	}
	if want := time.Date(2020, 11, 12, 0, 0, 0, 0, time.UTC); !a.InitialRelease.Equal(want) || !a.CurrentRelease.Equal(want) {
		t.Errorf("dates = %v %v", a.InitialRelease, a.CurrentRelease)
	}
	if len(a.Warnings) != 0 {
		t.Errorf("a valid CISA document gave warnings: %q", a.Warnings)
	}
	if len(a.SHA256) != 64 || a.Source != path {
		t.Errorf("Source %q SHA256 %q", a.Source, a.SHA256)
	}
	p := a.Product("CSAFPID-0001")
	if p == nil {
		t.Fatal("CSAFPID-0001 missing")
	}
	want := Product{ID: "CSAFPID-0001", FullName: "Alaris PC Unit Model 8015: Versions 9.33.1 and earlier",
		Vendor: "Becton, Dickinson and Company (BD)", VendorNorm: "Becton Dickinson", Name: "Alaris PC Unit Model 8015",
		Models: []string{"8015"}, Version: "<= 9.33.1", VersionIsRange: true}
	if !productEqual(*p, want) {
		t.Errorf("product =\n%+v\nwant\n%+v", *p, want)
	}
	v := &a.Vulnerabilities[0]
	if got := a.StatusOf(v, "CSAFPID-0001"); got != StatusKnownAffected {
		t.Errorf("StatusOf = %q", got)
	}
	if len(v.Scores) == 0 || v.Scores[0].BaseScore <= 0 || !strings.HasPrefix(v.Scores[0].Vector, "CVSS:3") {
		t.Errorf("scores = %+v", v.Scores)
	}
	if rs := a.RemediationsFor(v, "CSAFPID-0001"); len(rs) == 0 {
		t.Error("no remediations for the affected product")
	}
}

func productEqual(a, b Product) bool {
	return a.ID == b.ID && a.FullName == b.FullName && a.Vendor == b.Vendor && a.VendorNorm == b.VendorNorm &&
		a.Family == b.Family && a.Name == b.Name && slices.Equal(a.Models, b.Models) && a.Version == b.Version &&
		a.VersionIsRange == b.VersionIsRange && a.CPE == b.CPE && slices.Equal(a.PURLs, b.PURLs) &&
		slices.Equal(a.SKUs, b.SKUs) && slices.Equal(a.Serials, b.Serials) && slices.Equal(a.Hashes, b.Hashes) &&
		a.RelCategory == b.RelCategory && a.RelProduct == b.RelProduct && a.RelTarget == b.RelTarget
}

// The fixture testdata/tolerant.json is ours: a small advisory with the
// mistakes real publishers make, plus the CSAF features CISA never uses
// (full_product_names only, relationships, product groups, CVSS v4).
func TestParseTolerantProducts(t *testing.T) {
	a := mustParseFile(t, "testdata/tolerant.json")
	tests := []struct {
		name string
		want Product
	}{
		{"full name with vendor acronym and version clause", Product{ID: "P1",
			FullName: "BD Alaris PC Unit Model 8015: Versions 9.33.1 and earlier", Vendor: "BD", VendorNorm: "Becton Dickinson",
			Name: "Alaris PC Unit Model 8015", Models: []string{"8015"}, Version: "<= 9.33.1", VersionIsRange: true}},
		{"helpers and model list", Product{ID: "P2", FullName: "Philips IntelliVue MX100, MX400-MX850: prior to M.00.03",
			Vendor: "Philips", VendorNorm: "Philips", Name: "IntelliVue MX100, MX400-MX850",
			Models: []string{"866060", "MX100", "MX400-MX850"}, Version: "< M.00.03", VersionIsRange: true,
			CPE: "cpe:2.3:h:philips:intellivue:-:*:*:*:*:*:*:*", PURLs: []string{"pkg:generic/philips/intellivue"},
			SKUs: []string{"SKU-1"}, Serials: []string{"SN123"}, Hashes: []string{"sha256:abcd"}}},
		{"unknown vendor stays in the name", Product{ID: "P3", FullName: "Acme Pump Firmware: 4.2",
			Name: "Acme Pump Firmware", Version: "4.2"}},
		{"branch path with family and numeric version", Product{ID: "G1", FullName: "GE Aespire 7900 7",
			Vendor: "GE Healthcare", VendorNorm: "GE Healthcare", Family: "Aespire", Name: "Aespire 7900",
			Models: []string{"7900"}, Version: "7"}},
		{"relationship inherits from product_reference", Product{ID: "R1",
			FullName: "Acme Pump Firmware 4.2 installed on GE Aespire 7900", Name: "Acme Pump Firmware", Version: "4.2",
			Models: []string{"7900"}, RelCategory: "installed_on", RelProduct: "P3", RelTarget: "G1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := a.Product(tt.want.ID)
			if p == nil {
				t.Fatalf("product %s missing", tt.want.ID)
			}
			if !productEqual(*p, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", *p, tt.want)
			}
		})
	}
	if a.Product("") != nil || a.Product("nope") != nil {
		t.Error("Product found an id that is not defined")
	}
	if p := a.Product("P1"); p.FullName == "Duplicate of P1" {
		t.Error("a duplicate product_id replaced the first definition")
	}
}

func TestParseTolerantWarnings(t *testing.T) {
	a := mustParseFile(t, "testdata/tolerant.json")
	want := []string{
		"document.publisher.namespace: missing",
		`document.publisher.category: unknown category "manufacturer"`,
		"document.tracking.version: 2 written as a number",
		`document.tracking.initial_release_date: "2024-03-01" is not an RFC 3339 date-time`,
		`document.tracking.current_release_date: bad date "yesterday"`,
		`document.notes[1].category: unknown category "rant"`,
		"product_tree.branches[0].branches[0].branches[0].branches[0].name: 7 written as a number",
		`product_tree.branches[0].branches[0].branches[0].branches[1].category: unknown category "weird_category"`,
		"product_tree.full_product_names[3].product_id: missing",
		`product_tree.full_product_names[4].product_id: duplicate "P1"`,
		`product_tree.relationships[1].product_reference: unknown product_id "NOPE"`,
		`vulnerabilities[0].product_status: unknown list "maybe_affected"`,
		"vulnerabilities[0].scores[0].cvss_v3.baseScore: number written as a string",
		"vulnerabilities[0].scores[1].cvss_v4.baseScore: missing, computed 9.3",
		`vulnerabilities[0].remediations[2].category: unknown category "reboot"`,
		`vulnerabilities[1].cwe.id: "287" lacks the CWE- prefix`,
		`vulnerabilities[1].scores[0].products: unknown product_id "GHOST"`,
		"vulnerabilities[1].scores[0].cvss_v3.version: missing",
		"vulnerabilities[1].scores[0].cvss_v3.baseScore: missing, computed 5.4",
	}
	for _, w := range want {
		if !slices.ContainsFunc(a.Warnings, func(s string) bool { return strings.HasPrefix(s, w) }) {
			t.Errorf("missing warning %q", w)
		}
	}
	if len(a.Warnings) != len(want) {
		t.Errorf("%d warnings, want %d:\n%s", len(a.Warnings), len(want), strings.Join(a.Warnings, "\n"))
	}
	// What the warnings are about must still be usable.
	if a.TLP != "TLP:AMBER" || a.Revision != "2" || !a.CurrentRelease.IsZero() ||
		!a.InitialRelease.Equal(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("header: TLP %q revision %q dates %v %v", a.TLP, a.Revision, a.InitialRelease, a.CurrentRelease)
	}
}

func TestParseTolerantVulnerabilities(t *testing.T) {
	a := mustParseFile(t, "testdata/tolerant.json")
	if got := a.CVEs(); !slices.Equal(got, []string{"CVE-2024-0001", "CVE-2024-0002"}) {
		t.Errorf("CVEs = %q", got)
	}
	v0, v1 := &a.Vulnerabilities[0], &a.Vulnerabilities[1]
	if v0.CWE != "CWE-798" || v0.CWEName != "Use of Hard-coded Credentials" || v1.CWE != "CWE-287" {
		t.Errorf("CWE = %q %q %q", v0.CWE, v0.CWEName, v1.CWE)
	}
	if _, ok := v0.ProductStatus["maybe_affected"]; ok {
		t.Error("unknown status list kept")
	}
	scores := []struct {
		name               string
		got                Score
		version, sev       string
		score              float64
		products           []string
		vectorPrefix       string
		computedFromVector bool
	}{
		{"v3.1 score written as string", v0.Scores[0], "3.1", "CRITICAL", 9.8, []string{"P1", "P2"}, "CVSS:3.1/", false},
		{"v4.0 without baseScore", v0.Scores[1], "4.0", "CRITICAL", 9.3, []string{"R1"}, "CVSS:4.0/", true},
		{"v3.0 without version or score", v1.Scores[0], "3.0", "MEDIUM", 5.4, []string{"P3", "GHOST"}, "CVSS:3.0/", true},
	}
	for _, tt := range scores {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.got
			if s.Version != tt.version || s.Severity != tt.sev || s.BaseScore != tt.score ||
				!slices.Equal(s.ProductIDs, tt.products) || !strings.HasPrefix(s.Vector, tt.vectorPrefix) {
				t.Errorf("score = %+v", s)
			}
		})
	}
	status := []struct {
		name      string
		v         *Vulnerability
		productID string
		want      string
	}{
		{"affected", v0, "P1", StatusKnownAffected},
		{"relationship product affected", v0, "R1", StatusKnownAffected},
		{"fixed", v0, "G1", StatusFixed},
		{"in an unknown list only", v0, "G2", ""},
		{"under investigation", v1, "P3", StatusUnderInvestigation},
		{"not affected", v1, "G1", StatusKnownNotAffected},
		{"not listed", v1, "P1", ""},
	}
	for _, tt := range status {
		t.Run("status "+tt.name, func(t *testing.T) {
			if got := a.StatusOf(tt.v, tt.productID); got != tt.want {
				t.Errorf("StatusOf(%s) = %q, want %q", tt.productID, got, tt.want)
			}
		})
	}
	rems := []struct {
		name      string
		productID string
		want      []string // details
	}{
		{"direct and via group", "P1", []string{"Update to 9.33.2", "Segment the network"}},
		{"via group only", "P2", []string{"Segment the network"}},
		{"direct with unknown category", "R1", []string{"unknown category"}},
		{"none", "G1", nil},
	}
	for _, tt := range rems {
		t.Run("remediations "+tt.name, func(t *testing.T) {
			var got []string
			for _, r := range a.RemediationsFor(v0, tt.productID) {
				got = append(got, r.Details)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("RemediationsFor(%s) = %q, want %q", tt.productID, got, tt.want)
			}
		})
	}
	if th := v0.Threats; len(th) != 1 || !slices.Equal(th[0].ProductIDs, []string{"P1", "P2"}) {
		t.Errorf("threat group not resolved: %+v", th)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // in the error message
	}{
		{"empty", "", "not JSON"},
		{"not JSON", "<html>", "not JSON"},
		{"truncated", `{"document": {"title": "x"`, "not JSON"},
		{"array", `[1, 2]`, `no "document"`},
		{"no document", `{"product_tree": {}}`, `no "document"`},
		{"document is a string", `{"document": "x"}`, `no "document"`},
		{"document is null", `{"document": null}`, `no "document"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse([]byte(tt.in))
			if err == nil || a != nil {
				t.Fatalf("Parse = %v, %v; want an error", a, err)
			}
			if aceso.ErrorCode(err) != aceso.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q (code %s), want EINVALID containing %q", err, aceso.ErrorCode(err), tt.want)
			}
		})
	}
	_, err := ParseFile("testdata/does-not-exist.json")
	if err == nil || !strings.Contains(err.Error(), "testdata/does-not-exist.json") {
		t.Errorf("ParseFile error %v does not name the file", err)
	}
	dir := t.TempDir()
	bad := dir + "/bad.json"
	if err := os.WriteFile(bad, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseFile(bad); err == nil || !strings.Contains(err.Error(), bad) || aceso.ErrorCode(err) != aceso.EINVALID {
		t.Errorf("ParseFile(bad) = %v", err)
	}
}

func TestParseMinimalDocuments(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		warnings  []string // prefixes that must appear
		tlp       string
		products  int
		firstWarn bool
	}{
		{"empty document", `{"document": {}}`, []string{"document.title: missing", "document.category: missing",
			"document.csaf_version: missing", "document.publisher: missing", "document.tracking: missing"}, "", 0, false},
		{"BOM and white TLP", "\xEF\xBB\xBF" + `{"document": {"distribution": {"tlp": {"label": "white"}}}}`, nil, "TLP:CLEAR", 0, false},
		{"unknown TLP", `{"document": {"distribution": {"tlp": {"label": "PURPLE"}}}}`,
			[]string{`document.distribution.tlp.label: unknown label "PURPLE"; the advisory is kept to the CSIRT`}, TLPUnrecognised, 0, false},
		{"mistyped field is skipped, not fatal", `{"document": {"title": 5}, "product_tree": {"full_product_names": [{"name": "X 500", "product_id": "A"}]}}`,
			[]string{"document.title: number where string was expected"}, "", 1, true},
		{"vulnerabilities without product tree", `{"document": {}, "vulnerabilities": [{"product_status": {"known_affected": ["A"]}}]}`,
			[]string{"product_tree: missing", `vulnerabilities[0].product_status.known_affected: unknown product_id "A"`}, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			for _, w := range tt.warnings {
				if !slices.ContainsFunc(a.Warnings, func(s string) bool { return strings.HasPrefix(s, w) }) {
					t.Errorf("missing warning %q in %q", w, a.Warnings)
				}
			}
			if tt.firstWarn && (len(a.Warnings) == 0 || !strings.HasPrefix(a.Warnings[0], tt.warnings[0])) {
				t.Errorf("type error not the first warning: %q", a.Warnings)
			}
			if a.TLP != tt.tlp || len(a.Products) != tt.products || a.Products == nil || a.Vulnerabilities == nil {
				t.Errorf("TLP %q products %d (nil %v) vulns nil %v", a.TLP, len(a.Products), a.Products == nil, a.Vulnerabilities == nil)
			}
		})
	}
}

func TestParseWarningsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"document": {}, "product_tree": {"full_product_names": [`)
	for i := range 1000 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"name": "no id"}`)
	}
	b.WriteString(`]}}`)
	a, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Warnings) != maxWarnings+1 || !strings.HasSuffix(a.Warnings[maxWarnings], "more warnings not shown") {
		t.Errorf("%d warnings, last %q", len(a.Warnings), a.Warnings[len(a.Warnings)-1])
	}
}

func TestMapTLP(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"white", "WHITE", "TLP:CLEAR"},
		{"clear", "CLEAR", "TLP:CLEAR"},
		{"green", "GREEN", "TLP:GREEN"},
		{"amber lower case", "amber", "TLP:AMBER"},
		{"red with prefix", "TLP:RED", "TLP:RED"},
		{"amber strict", "AMBER+STRICT", "TLP:AMBER+STRICT"},
		{"unknown", "BLUE", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mapTLP(tt.in); got != tt.want {
				t.Errorf("mapTLP(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// A hostile, deeply nested product tree (near encoding/json's nesting limit)
// still parses, keeps its product with the path's context and bounds warnings.
func TestParseDeepTree(t *testing.T) {
	const depth = 4000
	doc := `{"document": {}, "product_tree": {"branches": [{"category": "vendor", "name": "BD", "branches": [` +
		strings.Repeat(`{"category": "x", "branches": [`, depth) +
		`{"category": "product_name", "name": "Pump 8100", "product": {"name": "n", "product_id": "A"}}` +
		strings.Repeat(`]}`, depth) + `]}]}}`
	a, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	p := a.Product("A")
	if p == nil || p.VendorNorm != "Becton Dickinson" || p.Name != "Pump 8100" || !slices.Equal(p.Models, []string{"8100"}) {
		t.Fatalf("product = %+v", p)
	}
	// 5 document warnings + 2 per nameless branch of unknown category, all counted
	if want := fmt.Sprintf("%d more warnings not shown", 5+2*depth-maxWarnings); len(a.Warnings) != maxWarnings+1 || a.Warnings[maxWarnings] != want {
		t.Errorf("%d warnings, last %q", len(a.Warnings), a.Warnings[len(a.Warnings)-1])
	}
}
