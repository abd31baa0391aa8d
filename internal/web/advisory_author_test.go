package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
	"github.com/aceso-health/aceso/internal/version"
)

// Drafts belong to the CSIRT. The seeded one carries the marker: a member
// pointed at it must get 404 and never read its title.
func init() {
	seeders = append(seeders, func(w *world) {
		p, err := w.db.PrincipalFor(ctx, w.csirtAdmin.user)
		if err != nil {
			w.t.Fatal(err)
		}
		var dr store.AdvisoryDraft
		err = w.db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			dr, err = tx.CreateAdvisoryDraft(ctx, p, share.Draft{Title: "Embargoed pump flaw " + marker, TLP: "TLP:AMBER"})
			return err
		})
		if err != nil {
			w.t.Fatal(err)
		}
		w.ownA["draft"], w.ofB["draft"] = dr.ID, dr.ID
	})
}

// authorDraftJSON is a draft about the BD Alaris pumps of the world's
// hospitals (A: 9.33, B: 9.19).
func authorDraftJSON(tlp string) string {
	d := share.Draft{Title: "BD Alaris: maintenance password", TLP: tlp, Summary: "Pumps accept a fixed maintenance password.",
		Products: []share.DraftProduct{{Vendor: "BD", Name: "Alaris PC Unit", Models: []string{"8015"}, Version: "<= 9.33.1", Fixed: "12.1.0"}},
		Vulnerabilities: []share.DraftVulnerability{{CVE: "CVE-2026-60001", Title: "Hard-coded password", CWE: "CWE-798", CWEName: "Use of Hard-coded Credentials",
			CVSS3: "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", CVSS4: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
			Description: "The maintenance service accepts a password that is the same on every pump.", Status: map[string]string{"P1": "known_affected"}}},
		Remediations:    []share.DraftRemediation{{Category: "vendor_fix", Details: "Update to 12.1.0.", URL: "https://bd.example/psirt", Products: []string{"P1"}}},
		References:      []share.DraftReference{{URL: "https://bd.example/psirt/1", Summary: "Vendor bulletin"}},
		Acknowledgments: []share.DraftAcknowledgment{{Organization: "St. Anna Hospital", Summary: "reported it"}},
	}
	b, _ := json.Marshal(d)
	return string(b)
}

type authorDraftResp struct {
	store.AdvisoryDraft
	Problems []string `json:"problems"`
}

func authorDecodeDraft(t *testing.T, r resp) authorDraftResp {
	t.Helper()
	var d authorDraftResp
	if err := json.Unmarshal([]byte(r.body), &d); err != nil || d.ID == 0 {
		t.Fatalf("not a draft (%d): %v %.500s", r.status, err, r.body)
	}
	return d
}

// authorValidCSAF fails the test unless data is a schema-valid CSAF 2.0 document
// (gocsaf's ValidateCSAF, zero errors), and returns it parsed by Aceso.
func authorValidCSAF(t *testing.T, data []byte) *advisory.Advisory {
	t.Helper()
	msgs, err := advisory.Validate(data)
	if err != nil || len(msgs) > 0 {
		t.Fatalf("not valid CSAF 2.0: %v %v\n%s", msgs, err, data)
	}
	a, err := advisory.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// authorCompareServed checks that the document a receiver gets carries what the
// store holds: tracking data, label, CVEs, products and statuses.
func authorCompareServed(t *testing.T, served *advisory.Advisory, stored *advisory.Advisory) {
	t.Helper()
	if served.ID != stored.ID || served.Title != stored.Title || served.TLP != stored.TLP || served.Revision != stored.Revision ||
		served.Status != "final" || served.Publisher != stored.Publisher || !served.InitialRelease.Equal(stored.InitialRelease.Truncate(time.Second)) ||
		!served.CurrentRelease.Equal(stored.CurrentRelease.Truncate(time.Second)) || !slices.Equal(served.CVEs(), stored.CVEs()) {
		t.Errorf("served %s %q %s rev %s %s %v %v %v\nstored %s %q %s rev %s %v %v %v", served.ID, served.Title, served.TLP, served.Revision, served.Status,
			served.InitialRelease, served.CurrentRelease, served.CVEs(), stored.ID, stored.Title, stored.TLP, stored.Revision, stored.InitialRelease, stored.CurrentRelease, stored.CVEs())
	}
	if len(served.Warnings) > 0 {
		t.Errorf("served document has parser warnings: %v", served.Warnings)
	}
	for _, p := range stored.Products {
		q := served.Product(p.ID)
		if q == nil || q.Vendor != p.Vendor || q.Name != p.Name || q.Version != p.Version || q.VendorNorm != p.VendorNorm || !slices.Equal(q.Models, p.Models) {
			t.Errorf("product %s served as %+v, stored %+v", p.ID, q, p)
		}
	}
	for i, v := range stored.Vulnerabilities {
		for _, p := range stored.Products {
			if stored.StatusOf(&v, p.ID) != served.StatusOf(&served.Vulnerabilities[i], p.ID) {
				t.Errorf("vulnerability %d, product %s: status changed", i, p.ID)
			}
		}
		if len(served.Vulnerabilities[i].Remediations) != len(v.Remediations) {
			t.Errorf("vulnerability %d: %d remediations served, %d stored", i, len(served.Vulnerabilities[i].Remediations), len(v.Remediations))
		}
	}
}

func TestAdvisoryAuthorAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		cert := &w.csirtAdmin
		seeded := w.ofB["draft"]

		// Members: not a single draft, whatever the route.
		for _, r := range []req{
			{method: "GET", path: "/api/v1/advisory-drafts", token: w.aToken},
			{method: "POST", path: "/api/v1/advisory-drafts", token: w.aToken, body: authorDraftJSON("TLP:CLEAR")},
			{method: "GET", path: "/api/v1/advisory-drafts/" + itoa(seeded), token: w.aToken},
			{method: "PUT", path: "/api/v1/advisory-drafts/" + itoa(seeded), token: w.aToken, body: `{"title": "x"}`},
			{method: "GET", path: "/api/v1/advisory-drafts/" + itoa(seeded) + "/csaf", token: w.aToken},
			{method: "POST", path: "/api/v1/advisory-drafts/" + itoa(seeded) + "/publish", token: w.aToken, body: `{}`},
		} {
			res := w.do(r)
			want := http.StatusNotFound
			if !strings.Contains(r.path, "/advisory-drafts/") {
				want = http.StatusForbidden
			}
			if res.status != want || strings.Contains(strings.ToLower(res.body), marker) {
				t.Errorf("member %s %s: %d, want %d: %.300s", r.method, r.path, res.status, want, res.body)
			}
		}

		// Create: an incomplete draft is kept, with its problems named.
		r := w.do(req{method: "POST", path: "/api/v1/advisory-drafts", as: cert, body: `{"title": "Pumps", "tlp": "green"}`})
		dr := authorDecodeDraft(t, r)
		if r.status != http.StatusCreated || dr.State != "draft" || dr.TLP != "TLP:GREEN" || !slices.Contains(dr.Problems, "summary: required") {
			t.Fatalf("create: %d %+v", r.status, dr)
		}
		for _, tt := range []struct {
			name   string
			r      req
			status int
			want   string
		}{
			{"unknown field", req{method: "POST", path: "/api/v1/advisory-drafts", as: cert, body: `{"title": "x", "severity": "high"}`}, 400, "unknown field"},
			{"over the limits", req{method: "POST", path: "/api/v1/advisory-drafts", as: cert, body: `{"title": "` + strings.Repeat("x", 301) + `"}`}, 400, "title: 301 characters"},
			{"no updated_at", req{method: "PUT", path: "/api/v1/advisory-drafts/" + itoa(dr.ID), as: cert, body: authorDraftJSON("TLP:CLEAR")}, 400, "updated_at is required"},
			{"stale updated_at", req{method: "PUT", path: "/api/v1/advisory-drafts/" + itoa(dr.ID), as: cert,
				body: `{"title": "x", "updated_at": "2001-01-01T00:00:00Z"}`}, 409, "reload it"},
			{"csaf of an incomplete draft", req{method: "GET", path: "/api/v1/advisory-drafts/" + itoa(dr.ID) + "/csaf", as: cert}, 400, "summary: required"},
			{"publish an incomplete draft", req{method: "POST", path: "/api/v1/advisory-drafts/" + itoa(dr.ID) + "/publish", as: cert, body: `{}`}, 400, "vulnerabilities: describe at least one"},
		} {
			if res := w.do(tt.r); res.status != tt.status || !strings.Contains(res.body, tt.want) {
				t.Errorf("%s: %d, want %d with %q: %.400s", tt.name, res.status, tt.status, tt.want, res.body)
			}
		}

		body := strings.TrimSuffix(authorDraftJSON("TLP:GREEN"), "}") + `, "updated_at": "` + dr.UpdatedAt.Format(time.RFC3339Nano) + `"}`
		r = w.do(req{method: "PUT", path: "/api/v1/advisory-drafts/" + itoa(dr.ID), as: cert, body: body})
		dr = authorDecodeDraft(t, r)
		if r.status != http.StatusOK || len(dr.Problems) != 0 || dr.Draft.Products[0].Ref != "P1" {
			t.Fatalf("update: %d %+v", r.status, dr)
		}
		r = w.do(req{method: "GET", path: "/api/v1/advisory-drafts/" + itoa(dr.ID) + "/csaf", as: cert})
		preview := authorValidCSAF(t, []byte(r.body))
		if !regexp.MustCompile(`^HEALTH-CERT-\d{4}-NNNN$`).MatchString(preview.ID) || preview.Publisher != "Health CERT" {
			t.Errorf("preview: %s by %s", preview.ID, preview.Publisher)
		}

		r = w.do(req{method: "POST", path: "/api/v1/advisory-drafts/" + itoa(dr.ID) + "/publish", as: cert, body: `{"updated_at": "` + dr.UpdatedAt.Format(time.RFC3339Nano) + `"}`})
		var pub struct {
			Draft    store.AdvisoryDraft `json:"draft"`
			Advisory store.ImportResult  `json:"advisory"`
			Matched  store.ApplyCounts   `json:"matched"`
		}
		if err := json.Unmarshal([]byte(r.body), &pub); err != nil || r.status != http.StatusCreated {
			t.Fatalf("publish: %d %v %.500s", r.status, err, r.body)
		}
		tracking := pub.Draft.TrackingID
		if !regexp.MustCompile(`^HEALTH-CERT-\d{4}-0001$`).MatchString(tracking) || pub.Advisory.Outcome != "new" || pub.Matched.New != 2 || pub.Draft.Version != 1 {
			t.Fatalf("published: %+v, want a new advisory with 2 findings (A's and B's pump)", pub)
		}
		// A sees its pump on the advisory, never B's.
		r = w.do(req{method: "GET", path: "/api/v1/advisories/" + itoa(pub.Advisory.ID), token: w.aToken})
		if r.status != http.StatusOK || !strings.Contains(r.body, "fnd-a-pump") || strings.Contains(r.body, marker) {
			t.Errorf("A's view of the authored advisory: %d %.400s", r.status, r.body)
		}

		// The provider serves it at its label (GREEN: with a token) and it reads back.
		stored, err := db.Advisory(ctx, access.System, pub.Advisory.ID)
		if err != nil {
			t.Fatal(err)
		}
		path := "/.well-known/csaf/green/" + share.CSAFPath(stored.Doc)
		if res := w.do(req{method: "GET", path: path}); res.status != http.StatusUnauthorized || strings.Contains(res.body, tracking) {
			t.Errorf("GREEN document served to the public: %d %.200s", res.status, res.body)
		}
		res := w.do(req{method: "GET", path: path, token: w.aViewerToken})
		if res.status != http.StatusOK {
			t.Fatalf("GET %s: %d %.300s", path, res.status, res.body)
		}
		served := authorValidCSAF(t, []byte(res.body))
		authorCompareServed(t, served, stored.Doc)
		if !strings.Contains(res.body, `"organization": "St. Anna Hospital"`) || strings.Contains(res.body, "Redistributed") {
			t.Errorf("served document is not the CSIRT's own:\n%s", res.body)
		}

		// TLP:RED: stored and matched, never in any CSAF directory.
		r = w.do(req{method: "POST", path: "/api/v1/advisory-drafts", as: cert, body: strings.Replace(authorDraftJSON("TLP:RED"), "CVE-2026-60001", "CVE-2026-60009", 1)})
		red := authorDecodeDraft(t, r)
		r = w.do(req{method: "POST", path: "/api/v1/advisory-drafts/" + itoa(red.ID) + "/publish", as: cert, body: `{}`})
		if err := json.Unmarshal([]byte(r.body), &pub); err != nil || r.status != http.StatusCreated || pub.Matched.New != 2 {
			t.Fatalf("publish RED: %d %.300s", r.status, r.body)
		}
		token := w.token(w.csirtAdmin.user, &access.APIToken{Name: "feed", Role: access.RoleViewer})
		for _, dir := range []string{"white", "green", "amber"} {
			idx := w.do(req{method: "GET", path: "/.well-known/csaf/" + dir + "/index.txt", token: token})
			if idx.status != http.StatusOK || strings.Contains(idx.body, strings.ToLower(pub.Draft.TrackingID)) {
				t.Errorf("%s/index.txt (%d) lists the RED advisory %s:\n%s", dir, idx.status, pub.Draft.TrackingID, idx.body)
			}
			if dir == "green" && !strings.Contains(idx.body, strings.ToLower(tracking)) {
				t.Errorf("green/index.txt misses %s:\n%s", tracking, idx.body)
			}
		}
	})
}

// authorForm is the compose form as a browser posts it.
func authorForm(as *actor, kv ...string) string {
	f := url.Values{"csrf_token": {as.csrf}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Add(kv[i], kv[i+1])
	}
	return f.Encode()
}

var authorUpdatedAtRe = regexp.MustCompile(`name="updated_at" value="([^"]+)"`)

// TestAdvisoryAuthorForm writes an advisory through the UI without
// JavaScript: "add another" grows the form, the draft is saved, statuses
// are set once the products exist, the preview shows the CSAF document,
// and publishing puts a schema-valid document into the public CSAF feed.
func TestAdvisoryAuthorForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		cert := &w.csirtAdmin

		r := w.do(req{method: "GET", path: "/advisories/drafts/new", as: cert})
		if r.status != http.StatusOK || !strings.Contains(r.body, `name="p1_vendor"`) || strings.Contains(r.body, `name="p2_vendor"`) ||
			!strings.Contains(r.body, `<label for="p0-vendor">`) || !strings.Contains(r.body, `name="csrf_token"`) {
			t.Fatalf("new form: %d %.300s", r.status, r.body)
		}
		base := []string{"title", "Alaris pumps: maintenance password", "tlp", "TLP:CLEAR", "summary", "A fixed password on every pump.",
			"n_product", "2", "empty_product", "2", "p0_vendor", "BD", "p0_name", "Alaris PC Unit", "p0_version", "<= 9.33.1", "p0_fixed", "12.1.0", "p0_models", "8015",
			"n_vuln", "1", "v0_cve", "CVE-2026-60002", "v0_title", "Hard-coded password", "v0_cvss_v3", "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
			"v0_description", "Same password on every pump.", "n_rem", "1", "r0_category", "vendor_fix", "r0_details", "Update to 12.1.0.",
			"n_ref", "1", "f0_url", "https://bd.example/psirt/2"}
		// "Add another product": nothing saved, one more empty block, the typed values kept.
		r = w.do(req{method: "POST", path: "/advisories/drafts", as: cert, body: authorForm(cert, append(base, "action", "add_product")...)})
		if r.status != http.StatusOK || !strings.Contains(r.body, `name="p3_vendor"`) || !strings.Contains(r.body, `value="Alaris PC Unit"`) ||
			!strings.Contains(r.body, `name="v0_status_P1"`) {
			t.Fatalf("add another product: %d %.600s", r.status, r.body)
		}
		if list, _ := db.AdvisoryDrafts(ctx, authorPrincipal(t, w, cert)); len(list) != 1 { // the seeded one only
			t.Errorf("add another saved a draft: %d drafts", len(list))
		}
		r = w.do(req{method: "POST", path: "/advisories/drafts", as: cert, body: authorForm(cert, append(base, "action", "save")...)})
		loc := r.header.Get("Location")
		if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/advisories/drafts/") {
			t.Fatalf("save: %d %q %.300s", r.status, loc, r.body)
		}
		edit := strings.SplitN(loc, "?", 2)[0]
		r = w.do(req{method: "GET", path: edit, as: cert})
		m := authorUpdatedAtRe.FindStringSubmatch(r.body)
		if r.status != http.StatusOK || m == nil || !strings.Contains(r.body, "vulnerabilities[0].status: give at least one product") {
			t.Fatalf("edit page: %d %.600s", r.status, r.body)
		}
		// Set the pump's status and the remediation's product, then save and preview.
		form := append(base, "updated_at", m[1], "p0_ref", "P1", "n_product", "1", "v0_status_P1", "known_affected", "r0_products", "P1", "action", "preview")
		r = w.do(req{method: "POST", path: edit, as: cert, body: authorForm(cert, form...)})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != edit+"/preview" {
			t.Fatalf("save and preview: %d %q %.600s", r.status, r.header.Get("Location"), r.body)
		}
		// The same stale form again is a conflict, shown on the form with the typed text.
		r = w.do(req{method: "POST", path: edit, as: cert, body: authorForm(cert, form...)})
		if r.status != http.StatusConflict || !strings.Contains(r.body, "reload it") || !strings.Contains(r.body, "Same password on every pump.") {
			t.Errorf("stale save: %d %.300s", r.status, r.body)
		}
		r = w.do(req{method: "GET", path: edit + "/preview", as: cert})
		m = authorUpdatedAtRe.FindStringSubmatch(r.body)
		if r.status != http.StatusOK || m == nil || !strings.Contains(r.body, "Publish revision 1") || !strings.Contains(r.body, "&#34;csaf_version&#34;: &#34;2.0&#34;") ||
			!strings.Contains(r.body, "<strong>8.8</strong> HIGH") {
			t.Fatalf("preview: %d %.800s", r.status, r.body)
		}
		r = w.do(req{method: "POST", path: edit + "/publish", as: cert, body: authorForm(cert, "summary", "", "updated_at", m[1])})
		loc = r.header.Get("Location")
		if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/advisories/") || !strings.Contains(loc, "revision+1") {
			t.Fatalf("publish: %d %q %.400s", r.status, loc, r.body)
		}
		// Published twice: nothing to publish, said on the preview page.
		r = w.do(req{method: "POST", path: edit + "/publish", as: cert, body: authorForm(cert, "summary", "again")})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "nothing to publish") {
			t.Errorf("publish again: %d %.300s", r.status, r.body)
		}

		// The public CSAF feed serves it; gocsaf's validator accepts it and it reads back.
		list, err := db.AdvisoryDrafts(ctx, authorPrincipal(t, w, cert))
		if err != nil || list[0].AdvisoryID == nil {
			t.Fatalf("drafts: %+v %v", list, err)
		}
		stored, err := db.Advisory(ctx, access.System, *list[0].AdvisoryID)
		if err != nil {
			t.Fatal(err)
		}
		res := w.do(req{method: "GET", path: "/.well-known/csaf/white/" + share.CSAFPath(stored.Doc)})
		if res.status != http.StatusOK {
			t.Fatalf("provider: %d %.300s", res.status, res.body)
		}
		served := authorValidCSAF(t, []byte(res.body))
		authorCompareServed(t, served, stored.Doc)
		if p := served.Product("P1"); p == nil || version.ParseConstraint(p.Version).Contains("9.33") != version.Yes {
			t.Errorf("served pump range: %+v", p)
		}
		if idx := w.do(req{method: "GET", path: "/.well-known/csaf/white/index.txt"}); !strings.Contains(idx.body, share.CSAFPath(stored.Doc)) {
			t.Errorf("index.txt does not list %s", share.CSAFPath(stored.Doc))
		}

		// The list page links it; members get nothing.
		r = w.do(req{method: "GET", path: "/advisories/drafts", as: cert})
		if r.status != http.StatusOK || !strings.Contains(r.body, `<a href="/advisories/`+itoa(stored.ID)+`">`+stored.TrackingID+`</a>`) || !strings.Contains(r.body, marker) {
			t.Errorf("CSIRT list: %d %.300s", r.status, r.body)
		}
		for _, path := range []string{"/advisories/drafts", edit, edit + "/preview"} {
			if r := w.do(req{method: "GET", path: path, as: &w.aAdmin}); r.status < 400 || strings.Contains(r.body, "Alaris pumps") {
				t.Errorf("member GET %s: %d", path, r.status)
			}
		}
		if r := w.do(req{method: "GET", path: "/advisories", as: cert}); !strings.Contains(r.body, `href="/advisories/drafts"`) {
			t.Error("the advisories page does not link the CSIRT's drafts")
		}
		if r := w.do(req{method: "GET", path: "/advisories", as: &w.aAdmin}); strings.Contains(r.body, `href="/advisories/drafts"`) {
			t.Error("the advisories page links drafts for a member")
		}
	})
}

func authorPrincipal(t *testing.T, w *world, a *actor) access.Principal {
	t.Helper()
	p, err := w.db.PrincipalFor(ctx, a.user)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// publishAuthoredAdvisory publishes a TLP:CLEAR advisory written by the
// CSIRT (with a revision, CVSS 4.0 and an acknowledgment) into w, so that
// the CSAF checker and feed tests see an authored document beside the
// republished ones. It returns the tracking id.
func publishAuthoredAdvisory(t *testing.T, w *world) string {
	t.Helper()
	p := authorPrincipal(t, w, &w.csirtAdmin)
	var d share.Draft
	if err := json.Unmarshal([]byte(authorDraftJSON("TLP:CLEAR")), &d); err != nil {
		t.Fatal(err)
	}
	var dr store.AdvisoryDraft
	if err := w.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		dr, err = tx.CreateAdvisoryDraft(ctx, p, d)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.db.PublishAdvisoryDraftAndMatch(ctx, p, dr.ID, store.DraftPublish{}); err != nil {
		t.Fatal(err)
	}
	dr, err := w.db.AdvisoryDraft(ctx, p, dr.ID)
	if err != nil {
		t.Fatal(err)
	}
	d.Products[0].Version = "<= 9.20"
	d.Products[0].Fixed = "9.21"
	var pub store.DraftPublication
	if err := w.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.UpdateAdvisoryDraft(ctx, p, dr.ID, d, dr.UpdatedAt); err != nil {
			return err
		}
		var err error
		pub, err = tx.PublishAdvisoryDraft(ctx, p, dr.ID, store.DraftPublish{Summary: "Affected range corrected."})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return pub.Draft.TrackingID
}

// TestAdvisoryAuthorFeedSync: Aceso's own feed client (what provider sync
// runs) consumes the authored advisory from the provider over TLS and gets
// revision 2 with both revisions' data intact.
func TestAdvisoryAuthorFeedSync(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Dialect() != store.SQLite {
			t.Skip("HTTP only; one backend is enough")
		}
		w := newWorld(t, db)
		tracking := publishAuthoredAdvisory(t, w)
		tls := httptest.NewTLSServer(w.srv)
		t.Cleanup(tls.Close)
		f := advisory.Feed{Client: tls.Client()}
		var got *advisory.Advisory
		_, err := f.Sync(context.Background(), tls.URL+"/.well-known/csaf/provider-metadata.json", time.Time{}, func(a *advisory.Advisory, err error) error {
			if err != nil {
				t.Errorf("sync: %v", err)
			} else if a.ID == tracking {
				got = a
			}
			return nil
		})
		if err != nil || got == nil {
			t.Fatalf("sync: %v; %s not received", err, tracking)
		}
		id, err := db.AdvisoryIDByTracking(ctx, tracking)
		if err != nil {
			t.Fatal(err)
		}
		stored, err := db.Advisory(ctx, access.System, id)
		if err != nil {
			t.Fatal(err)
		}
		authorCompareServed(t, got, stored.Doc)
		if got.Revision != "2" || !strings.HasPrefix(got.Source, "https://") {
			t.Errorf("synced revision %s from %s", got.Revision, got.Source)
		}
	})
}
