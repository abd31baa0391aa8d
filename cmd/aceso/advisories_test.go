package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/store"
)

const icsmaDir = "../../../shared/testdata/csaf/icsma"

// advTestDB creates a migrated SQLite database with one hospital holding
// devices (generated sector slices plus the given ones), and returns its path.
func advTestDB(t testing.TB, hospitals, perHospital int, extra ...inventory.Device) (string, *store.DB, []access.Principal) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "aceso.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sector := inventory.GenerateSector(hospitals, perHospital, 7)
	if len(sector) == 0 {
		sector = [][]inventory.Device{nil}
	}
	sector[0] = append(sector[0], extra...)
	var ps []access.Principal
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for i, devs := range sector {
			org := access.Org{Name: "Test Hospital " + strconv.Itoa(i), Kind: access.KindMember}
			if err := tx.CreateOrg(ctx, access.System, &org); err != nil {
				return err
			}
			p := access.Principal{UserID: 1, UserName: "test", OrgID: org.ID, OrgKind: org.Kind, Role: access.RoleAdmin}
			ps = append(ps, p)
			for j := range devs {
				d := devs[j]
				d.ID, d.OrgID = 0, 0
				if err := tx.CreateDevice(ctx, p, &d); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return path, db, ps
}

func TestAdvisoriesImportICSMA(t *testing.T) {
	if _, err := os.Stat(icsmaDir); err != nil {
		t.Skipf("shared test data not present (%s): %v", icsmaDir, err)
	}
	devs := []inventory.Device{
		{AssetTag: "T-1", Manufacturer: "Philips", Model: "IntelliVue MX450", Version: "M.00.03", ClinicalFunction: inventory.FunctionMonitoring},
		{AssetTag: "T-2", Manufacturer: "BD", Model: "Alaris 8015 PC Unit", Version: "9.19", ClinicalFunction: inventory.FunctionTherapy},
		{AssetTag: "T-3", Manufacturer: "Medtronic", Model: "MiniMed 508", Version: "", ClinicalFunction: inventory.FunctionTherapy},
		{AssetTag: "T-4", Manufacturer: "Acme Unknown", Model: "Toaster 3000", Version: "1.0"},
	}
	path, db, ps := advTestDB(t, 0, 0, devs...)
	code, out, errOut := runCmd(t, env(nil), "advisories", "import", icsmaDir, "--db", path)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}
	n := regexp.MustCompile(`(\d+) documents read in .*?: (\d+) new`).FindStringSubmatch(out)
	files, _ := filepath.Glob(filepath.Join(icsmaDir, "*.json"))
	if n == nil || n[1] != strconv.Itoa(len(files)) || n[2] == "0" {
		t.Fatalf("import output: %s", out)
	}
	if !strings.Contains(out, "Matching:") {
		t.Errorf("no matching summary: %s", out)
	}
	page, err := db.ListFindings(context.Background(), ps[0], store.FindingFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	hit := map[string]int{}
	for _, f := range page.Findings {
		hit[f.Device.AssetTag]++
		if f.TrackingID == "" || f.VulnKey == "" || f.SSVC.Decision == "" {
			t.Errorf("incomplete finding %+v", f)
		}
	}
	for _, tag := range []string{"T-1", "T-2", "T-3"} {
		if hit[tag] == 0 {
			t.Errorf("device %s has no finding from the ICSMA corpus; findings per device: %v", tag, hit)
		}
	}
	if hit["T-4"] != 0 {
		t.Errorf("unknown device matched: %d", hit["T-4"])
	}
	// A second import changes nothing.
	code, out, _ = runCmd(t, env(nil), "advisories", "import", "--db", path, icsmaDir)
	if code != 0 || !strings.Contains(out, " 0 new, 0 updated") || strings.Contains(out, "Matching:") {
		t.Errorf("re-import: %d %s", code, out)
	}
	// KEV: a file naming a CVE of an affected device raises exploitation to active.
	var cve string
	for _, f := range page.Findings {
		if f.Device.AssetTag == "T-2" && strings.HasPrefix(f.VulnKey, "CVE-") {
			cve = f.VulnKey
			break
		}
	}
	kev := filepath.Join(t.TempDir(), "kev.json")
	os.WriteFile(kev, []byte(`{"catalogVersion":"1","vulnerabilities":[{"cveID":"`+cve+`","vendorProject":"BD","product":"Alaris","vulnerabilityName":"x","dateAdded":"2026-01-05","dueDate":"2026-01-26","knownRansomwareCampaignUse":"Known","requiredAction":"patch"}]}`), 0o600)
	if code, out, errOut = runCmd(t, env(nil), "advisories", "kev", kev, "--db", path); code != 0 || !strings.Contains(out, "1 entries (1 new)") {
		t.Fatalf("kev: %d %s %s", code, out, errOut)
	}
	page, _ = db.ListFindings(context.Background(), ps[0], store.FindingFilter{Limit: 500})
	for _, f := range page.Findings {
		if f.VulnKey == cve && f.SSVC.Inputs.Exploitation != "active" {
			t.Errorf("%s on %s after KEV: exploitation %s", cve, f.Device.AssetTag, f.SSVC.Inputs.Exploitation)
		}
	}
}

func TestAdvisoriesUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no action", []string{"advisories"}, 2, "missing action"},
		{"unknown action", []string{"advisories", "frobnicate"}, 2, "unknown advisories action"},
		{"no path", []string{"advisories", "import", "--db", filepath.Join(t.TempDir(), "x.db")}, 2, "needs a PATH"},
		{"missing file", []string{"advisories", "import", filepath.Join(t.TempDir(), "nope.json"), "--db", filepath.Join(t.TempDir(), "y.db")}, 1, "nope.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCmd(t, env(nil), tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}

// TestImportICSMAIntoSector measures importing and matching the ICSMA
// corpus against a generated sector (3 hospitals × 2,000 devices); it is the
// figure for the report. Skipped with -short.
func TestImportICSMAIntoSector(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement; skipped with -short")
	}
	if _, err := os.Stat(icsmaDir); err != nil {
		t.Skipf("shared test data not present (%s): %v", icsmaDir, err)
	}
	_, db, _ := advTestDB(t, 3, 2000)
	var out, errOut strings.Builder
	start := time.Now()
	st, err := importAdvisories(context.Background(), db, icsmaDir, &out, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s%s", out.String(), errOut.String())
	t.Logf("total %s (import %s, match+apply %s); findings new %d", time.Since(start).Round(time.Millisecond),
		st.ImportTime.Round(time.Millisecond), st.MatchTime.Round(time.Millisecond), st.Report.Total.New)
	if st.Report.Devices != 6000 || st.Report.Total.New == 0 {
		t.Errorf("report: %+v", st.Report)
	}
}

// TestDemoAdvisories proves the embedded demo advisories are marked as demo
// data, parse, hit devices of the generated demo inventory, and load idempotently.
func TestDemoAdvisories(t *testing.T) {
	names, _ := fs.Glob(demoAdvisoryFS, "demodata/*.json")
	if len(names) < 6 || len(names) > 10 {
		t.Fatalf("%d demo advisories, want 6 to 10", len(names))
	}
	for _, name := range names {
		data, _ := demoAdvisoryFS.ReadFile(name)
		a, err := advisory.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		demoNote := false
		for _, n := range a.Notes {
			demoNote = demoNote || strings.Contains(n.Text, "DEMO DATA")
		}
		if !strings.HasPrefix(a.Title, "DEMO ") || !demoNote || !strings.HasPrefix(a.ID, "DEMO-") {
			t.Errorf("%s is not clearly marked as demo data: %q %q", name, a.ID, a.Title)
		}
		for _, cve := range a.CVEs() {
			if !strings.HasPrefix(cve, "CVE-2099-") {
				t.Errorf("%s names %s, which could be a real CVE", name, cve)
			}
		}
	}
	_, db, ps := advTestDB(t, 3, 300)
	var out strings.Builder
	ctx := context.Background()
	if err := loadDemoAdvisories(ctx, db, &out); err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		sum, err := db.FindingSummary(ctx, p)
		if err != nil || sum.Active == 0 {
			t.Errorf("hospital %d has no demo findings: %+v %v", i, sum, err)
		}
	}
	hit := map[string]bool{}
	list, _ := db.Advisories(ctx, access.System, store.AdvisoryFilter{})
	counts, _ := db.AdvisoryCounts(ctx, access.System)
	for _, a := range list {
		hit[a.TrackingID] = counts[a.ID].Devices > 0
	}
	for id, ok := range hit {
		if !ok {
			t.Errorf("demo advisory %s hits no device of the demo inventory", id)
		}
	}
	out.Reset()
	if err := loadDemoAdvisories(ctx, db, &out); err != nil || out.Len() != 0 {
		t.Errorf("second load not idempotent: %q %v", out.String(), err)
	}
}
