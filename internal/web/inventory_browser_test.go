package web_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
	"github.com/aceso-health/aceso/internal/web"
)

// TestBrowserImportWizard walks the import wizard in headless Chromium as a
// hospital's biomedical engineer does: upload a CSV with one bad row through
// the JavaScript upload (progress bar, no page load), read the preview's
// counts and the rejected row with its row number, column and reason,
// commit the valid rows only, and find the devices in the inventory list.
// It follows TestBrowser's rules: skipped without Chromium unless CI is set,
// and no console error or CSP violation is allowed.
func TestBrowserImportWizard(t *testing.T) {
	bin := requireBrowser(t)
	start := time.Now()
	db := storetest.Open(t, "sqlite")
	srv, err := web.New(web.Options{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "browser-test"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	const email, password = "biomed@anna.example", "ochre lantern beside the quiet fjord"
	hash, err := access.HashPassword(password, cheap)
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		o := access.Org{Name: "St. Anna Hospital", Kind: access.KindMember}
		if err := tx.CreateOrg(ctx, access.System, &o); err != nil {
			return err
		}
		u := access.User{OrgID: o.ID, Email: email, Name: "Biomed", Role: access.RoleReporter, PasswordHash: hash}
		return tx.CreateUser(ctx, access.System, &u)
	})
	if err != nil {
		t.Fatal(err)
	}

	// The file: three good rows and one with a bad MAC address (row 4).
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "cmms-export.csv")
	csv := "Asset Tag,Manufacturer,Model,Software Version,MAC Address,Department\n" +
		"BW-1,Philips Medical Systems,IntelliVue MX450,M.00.03,00:1a:2b:3c:4d:01,ICU\n" +
		"BW-2,GE Healthcare,CARESCAPE B650,2.0.4,00:1a:2b:3c:4d:02,ICU\n" +
		"BW-3,Baxter,Sigma Spectrum,8.00.01,00:1G:2b:3c:4d:03,OR\n" +
		"BW-4,Baxter,Sigma Spectrum,8.00.01,,OR\n"
	if err := os.WriteFile(csvPath, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}

	b, console := launchBrowser(t, bin, ts.URL)

	// 1. Sign in and open the wizard.
	resp := b.open("/inventory/import")
	b.at("open the wizard", resp, "/login")
	b.fill("#email", email, "#password", password)
	if resp = b.click(`form[action="/login"] button[type=submit]`); resp == nil || resp.Status != 200 {
		t.Fatalf("sign in: %+v", resp)
	}
	resp = b.open("/inventory/import")
	b.at("import page", resp, "/inventory/import")
	if n := b.count(`form[data-progress] progress[hidden]`); n != 1 {
		t.Fatalf("the upload form has %d hidden progress bars, want 1", n)
	}

	// 2. Upload through the enhanced form: the page is not reloaded (the
	// marker set on window survives) and the preview replaces the form.
	if err := chromedp.Do(b.ctx, chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{csvPath})); err != nil {
		t.Fatalf("choose file: %v", err)
	}
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.acesoSamePage = true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b.ctx, chromedp.Click(chromedp.CSS(`form[action="/inventory/import"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#counts"))); err != nil {
		t.Fatalf("upload and wait for the preview: %v", err)
	}
	same, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.acesoSamePage === true`))
	if err != nil || !same {
		t.Fatalf("the upload loaded a new page instead of going through inventory.js (%v)", err)
	}
	if h := b.text("h1"); h != "Import preview: cmms-export.csv" {
		t.Fatalf("preview heading %q", h)
	}
	counts := b.text("section.card dl.facts")
	for _, want := range []string{"Rows read\n4", "New devices\n3", "Rejected rows\n1"} {
		if !strings.Contains(strings.ReplaceAll(counts, "\t", "\n"), want) {
			t.Errorf("preview counts %q lack %q", counts, want)
		}
	}
	rows := b.rows()
	if len(rows) == 0 || len(rows[0]) != 3 || rows[0][0] != "4" || rows[0][1] != "MAC Address" || !strings.Contains(rows[0][2], "00:1G") {
		t.Fatalf("rejected rows table %q, want row 4, column MAC Address, a reason quoting the value", rows)
	}
	if n := b.count(`#remap select[name=field]`); n != 6 {
		t.Errorf("the preview offers %d column selects, want one per header (6)", n)
	}

	// 3. Commit the valid rows only: a normal form post and redirect.
	b.click(`form[action="/inventory/import/commit"] button[type=submit]`)
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil || !strings.Contains(loc, "/inventory?flash=") {
		t.Fatalf("after commit the browser is at %q (%v)", loc, err)
	}
	if f := b.text("p.flash"); !strings.Contains(f, "3 new") || !strings.Contains(f, "1 rows rejected") {
		t.Fatalf("flash after commit %q", f)
	}

	// 4. The list shows the three devices, not the rejected one.
	var tags []string
	for _, r := range b.rows() {
		if len(r) > 0 {
			tags = append(tags, r[0])
		}
	}
	if strings.Join(tags, " ") != "BW-1 BW-2 BW-4" {
		t.Fatalf("inventory list shows %q, want BW-1 BW-2 BW-4", tags)
	}

	for _, m := range console.all() {
		if isCSPViolation(m) || m.IsException() {
			t.Errorf("console during the flow: %s (%s)", m, m.URL)
		}
	}
	t.Logf("import wizard flow in %s: %v", bin, time.Since(start).Round(time.Millisecond))
}
