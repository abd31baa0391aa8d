package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// The findings benchmark world: 25 device models; 50 advisories of two CVEs
// each, every one naming two models (so every model is named by four
// advisories); labels cycle CLEAR, GREEN, AMBER, AMBER+STRICT, RED, so a
// member is withheld two fifths of its findings (see findingVisible).
const (
	fbModels          = 25
	fbAdvisories      = 50
	fbMemberPerModel  = 100 // 2,500 devices × 4 advisories × 2 CVEs = 20,000 findings
	fbCSIRTPerModel   = 10  // 250 devices, 2,000 findings of the CSIRT's own
	fbFindingsPerDev  = 4 * 2
	fbMemberFindings  = fbModels * fbMemberPerModel * fbFindingsPerDev
	fbCSIRTFindings   = fbModels * fbCSIRTPerModel * fbFindingsPerDev
	fbVisibleFraction = 3.0 / 5 // CLEAR, GREEN and AMBER of the five labels
)

var (
	fbVendors   = []string{"Acme Medical", "Borealis Health", "Cygnus Devices", "Delta Biomed", "Eos Imaging"}
	fbFunctions = []inventory.ClinicalFunction{inventory.FunctionLifeSupport, inventory.FunctionTherapy, inventory.FunctionMonitoring,
		inventory.FunctionDiagnosticImaging, inventory.FunctionLaboratory}
	fbZones    = []inventory.Zone{inventory.ZoneClinicalSegment, inventory.ZoneHospitalLAN, inventory.ZoneIsolated, inventory.ZoneRemoteAccess}
	fbDepts    = []string{"ICU", "Radiology", "Cardiology", "Oncology", "Emergency", "Laboratory"}
	fbVersions = []string{"1.0", "2.5", "3.0", ""} // no version: possibly affected, for review
	fbLabels   = []string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"}
	fbVectors  = []struct {
		v     string
		score float64
	}{{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8}, {"CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 6.5},
		{"CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.8}}
)

func fbModel(m int) (vendor, model string) {
	return fbVendors[m%len(fbVendors)], fmt.Sprintf("InfuStar %d", 4100+m*10)
}

func fbDevices(prefix string, perModel int) []inventory.Record {
	var recs []inventory.Record
	for m := range fbModels {
		vendor, model := fbModel(m)
		for i := range perModel {
			n := len(recs)
			d := inventory.Device{AssetTag: fmt.Sprintf("%s-%05d", prefix, n), Manufacturer: vendor,
				ManufacturerNorm: inventory.NormaliseManufacturer(vendor), Model: model, Version: fbVersions[i%len(fbVersions)],
				Department: fbDepts[n%len(fbDepts)], Location: fmt.Sprintf("Ward %d", n%40), Zone: fbZones[n%len(fbZones)],
				ClinicalFunction: fbFunctions[m%len(fbFunctions)]}
			recs = append(recs, inventory.Record{Row: n + 2, Device: d})
		}
	}
	return recs
}

func fbAdvisory(i int) *advisory.Advisory {
	a := &advisory.Advisory{ID: fmt.Sprintf("BENCH-FINDINGS-%02d", i), Title: fmt.Sprintf("InfuStar family advisory %d", i),
		Publisher: "CISA", TLP: fbLabels[i%len(fbLabels)], Revision: "1", Status: "final",
		CurrentRelease: time.Date(2026, 1, 1+i%28, 0, 0, 0, 0, time.UTC)}
	var ids []string
	for k, m := range []int{i % fbModels, (i + 7) % fbModels} {
		vendor, model := fbModel(m)
		id := fmt.Sprintf("P%d", k+1)
		ids = append(ids, id)
		a.Products = append(a.Products, advisory.Product{ID: id, Vendor: vendor, VendorNorm: inventory.NormaliseManufacturer(vendor),
			Name: model, FullName: model + " <= 3.0", Version: "<= 3.0", VersionIsRange: true})
	}
	for c := range 2 {
		vec := fbVectors[(i+c)%len(fbVectors)]
		v := advisory.Vulnerability{CVE: fmt.Sprintf("CVE-2026-%05d", 20000+i*2+c), ProductStatus: map[string][]string{"known_affected": ids},
			Scores: []advisory.Score{{Version: "3.1", Vector: vec.v, BaseScore: vec.score, ProductIDs: ids}}}
		if i%4 == 0 { // a quarter of the advisories have a vendor fix: some models have none
			v.Remediations = []advisory.Remediation{{Category: advisory.RemediationVendorFix, Details: "Update to 3.1.", ProductIDs: ids}}
		} else {
			v.Remediations = []advisory.Remediation{{Category: advisory.RemediationMitigation, Details: "Segment the network.", ProductIDs: ids}}
		}
		a.Vulnerabilities = append(a.Vulnerabilities, v)
	}
	return a
}

// fbWorld loads the CSIRT and one member hospital through the store's own
// paths (device import, KEV and advisory import, matching), closes a tenth of the
// findings, and returns the member's viewer.
func fbWorld(b *testing.B, db *store.DB) access.Principal {
	b.Helper()
	orgs := []access.Org{{Name: "Bench CERT", Kind: access.KindCSIRT}, {Name: "Bench Hospital", Kind: access.KindMember}}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := range orgs {
			if err := tx.CreateOrg(ctx, access.System, &orgs[i]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	csirt, member := fxPrincipal(orgs[0], access.RoleAnalyst), fxPrincipal(orgs[1], access.RoleViewer)
	for _, o := range []struct {
		p        access.Principal
		prefix   string
		perModel int
	}{{csirt, "C", fbCSIRTPerModel}, {member, "M", fbMemberPerModel}} {
		p := access.System
		p.OrgID = o.p.OrgID
		if _, err := importDevs(db, p, fbDevices(o.prefix, o.perModel), store.ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	kev := map[string]advisory.KEVEntry{}
	for i := 0; i < fbAdvisories; i += 3 { // exploited: some findings are Immediate
		cve := fbAdvisory(i).Vulnerabilities[0].CVE
		kev[cve] = advisory.KEVEntry{CVE: cve, DateAdded: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ImportKEV(ctx, csirt, kev); err != nil {
			return err
		}
		for i := range fbAdvisories {
			if _, err := tx.ImportAdvisory(ctx, csirt, fbAdvisory(i)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	rep, err := db.RematchAdvisories(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	if got := rep.ByOrg[member.OrgID].New; got != fbMemberFindings {
		b.Fatalf("member has %d findings, want %d", got, fbMemberFindings)
	}
	if got := rep.ByOrg[csirt.OrgID].New; got != fbCSIRTFindings {
		b.Fatalf("CSIRT has %d findings, want %d", got, fbCSIRTFindings)
	}
	// A tenth handled already: the dashboard's live counts skip them.
	if _, err := db.SQL().Exec("UPDATE findings SET state = 'remediated' WHERE id % 10 = 0"); err != nil {
		b.Fatal(err)
	}
	// Steady state statistics (see BenchmarkListIncidents).
	if _, err := db.SQL().Exec("ANALYZE"); err != nil {
		b.Fatal(err)
	}
	return member
}

// fbWalk pages through everything the member sees (untimed) and returns
// how many findings it sees and how many of them are live; it fails if a
// finding of an AMBER+STRICT or RED advisory shows.
func fbWalk(b *testing.B, db *store.DB, p access.Principal) (visible, live int) {
	b.Helper()
	f := store.FindingFilter{Limit: 500}
	for {
		page, err := db.ListFindings(ctx, p, f)
		if err != nil {
			b.Fatal(err)
		}
		for _, x := range page.Findings {
			var i int
			if _, err := fmt.Sscanf(x.TrackingID, "BENCH-FINDINGS-%d", &i); err != nil {
				b.Fatal(err)
			}
			if l := fbLabels[i%len(fbLabels)]; l == "TLP:AMBER+STRICT" || l == "TLP:RED" {
				b.Fatalf("member sees finding %d of %s advisory %s", x.ID, l, x.TrackingID)
			}
			visible++
			if x.State == store.StateOpen || x.State == store.StateInProgress {
				live++
			}
		}
		if page.Next == "" {
			return visible, live
		}
		f.After = page.Next
	}
}

// BenchmarkListFindingsMember reads, as a member viewer with 20,000
// findings of which two fifths come from AMBER+STRICT and RED advisories
// and are withheld, the first page of the findings list (default limit,
// 100) and the findings dashboard, on every backend. The CSIRT's own 2,000
// findings share the table.
func BenchmarkListFindingsMember(b *testing.B) {
	for _, backend := range storetest.Backends() {
		b.Run(backend, func(b *testing.B) {
			db := storetest.Open(b, backend)
			start := time.Now()
			p := fbWorld(b, db)
			b.Logf("%s: loaded %d + %d findings in %s", backend, fbMemberFindings, fbCSIRTFindings, time.Since(start).Round(time.Millisecond))
			visible, live := fbWalk(b, db, p)
			if visible != int(fbMemberFindings*fbVisibleFraction) {
				b.Fatalf("member sees %d findings, want %d", visible, int(fbMemberFindings*fbVisibleFraction))
			}
			if s, err := db.FindingSummary(ctx, p); err == nil {
				b.Logf("%s: member sees %d (live %d, review %d, decisions %v, no-fix devices %d)", backend, visible, s.Active, s.Review, s.ByDecision, len(s.NoFix))
			}
			b.Run("ListFindings", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					page, err := db.ListFindings(ctx, p, store.FindingFilter{})
					if err != nil || len(page.Findings) != 100 || page.Next == "" {
						b.Fatal(len(page.Findings), err)
					}
				}
			})
			b.Run("FindingSummary", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					s, err := db.FindingSummary(ctx, p)
					if err != nil || s.Active != live || len(s.ByDecision) != 4 {
						b.Fatal(s.Active, live, err)
					}
				}
			})
		})
	}
}
