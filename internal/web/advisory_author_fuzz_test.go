package web

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/share"
)

// FuzzDraftForm feeds arbitrary form bodies to the compose-form parser: it
// never panics, statuses and remediations name only products of the form,
// every product has a ref, and every draft that validates becomes a
// schema-valid CSAF 2.0 document.
func FuzzDraftForm(f *testing.F) {
	f.Add("title=Pumps&tlp=TLP%3ACLEAR&summary=s&n_product=1&p0_vendor=BD&p0_name=Alaris&p0_version=%3C%3D+9.33.1&p0_fixed=12.1&p0_models=8015%2C+8100" +
		"&n_vuln=1&v0_cve=CVE-2026-1234&v0_description=d&v0_status_P1=known_affected&v0_cvss_v3=CVSS%3A3.1%2FAV%3AN%2FAC%3AL%2FPR%3AN%2FUI%3AN%2FS%3AU%2FC%3AH%2FI%3AH%2FA%3AH" +
		"&n_rem=1&r0_category=vendor_fix&r0_details=update&r0_products=P1&r0_products=P9&n_ref=1&f0_url=https%3A%2F%2Fx.example&n_ack=1&a0_names=A%2C+B&action=save")
	f.Add("n_product=3&p0_ref=P2&p0_vendor=a&p1_vendor=b&p1_ref=..&p2_ref=P2&p2_name=x&n_vuln=2&v1_status_P2=fixed&v1_title=t&action=add_vuln&empty_vuln=7")
	f.Add("n_product=999999999&n_vuln=-4&updated_at=2026-01-01T00%3A00%3A00Z&action=add_product&empty_product=999")
	f.Add("updated_at=yesterday")
	f.Add("title=%ff%fe&tlp=red&summary=%00&n_product=1&p0_vendor=%E2%80%AE&p0_name=n&p0_version=all&n_vuln=1&v0_title=x&v0_description=y&v0_status_P1=known_not_affected")
	rel := share.Release{TrackingID: "ACESO-2026-0001", Publisher: "Health CERT",
		History: []advisory.Revision{{Number: "1", Date: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Summary: "Initial release."}}}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		in, err := parseAuthorForm(form)
		if err != nil {
			if !strings.Contains(err.Error(), "updated_at") {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		for k, n := range in.Empty {
			if n < 1 || n > authorMaxBlocks+1 {
				t.Fatalf("%d empty %s blocks", n, k)
			}
		}
		d := in.Draft
		var refs []string
		for _, p := range d.Products {
			if !share.ValidDraftRef(p.Ref) || slices.Contains(refs, p.Ref) {
				t.Fatalf("product ref %q (refs so far %v)", p.Ref, refs)
			}
			refs = append(refs, p.Ref)
		}
		for _, v := range d.Vulnerabilities {
			for ref := range v.Status {
				if !slices.Contains(refs, ref) {
					t.Fatalf("status names %q, not a product of the form", ref)
				}
			}
		}
		for _, r := range d.Remediations {
			for _, ref := range r.Products {
				if !slices.Contains(refs, ref) {
					t.Fatalf("remediation names %q, not a product of the form", ref)
				}
			}
		}
		if d.Validate() != nil {
			return
		}
		a, err := d.Advisory(rel)
		if err != nil {
			t.Fatalf("valid draft not converted: %v", err)
		}
		out, err := share.CSAFDocument(a, share.CSAFPublisher{Name: "Health CERT", Namespace: "https://cert.example"})
		if err != nil {
			t.Fatalf("valid draft not exported: %v", err)
		}
		if msgs, err := advisory.Validate(out); err != nil || len(msgs) > 0 {
			t.Fatalf("invalid CSAF from a valid form: %v %v\n%s", msgs, err, out)
		}
	})
}
