package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
	"github.com/aceso-health/aceso/internal/web"
)

// findBrowser returns the Chromium or Chrome binary to drive: $ACESO_CHROMIUM,
// else the first of the usual names on this machine, else "".
func findBrowser(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ACESO_CHROMIUM"); p != "" {
		found, err := exec.LookPath(p)
		if err != nil {
			// An explicit setting that is wrong is a broken set-up, never a skip.
			t.Fatalf("ACESO_CHROMIUM=%q: %v", p, err)
		}
		return found
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// lockedBuffer collects the browser's own output, written by the allocator's
// goroutine and read by the test when it fails.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}

// consoleLog keeps every console message, exception and browser-log entry
// of the tab, so the test can check that the pages ran clean under the CSP.
type consoleLog struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

func (c *consoleLog) add(m chromedp.ConsoleMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, m)
}

func (c *consoleLog) all() []chromedp.ConsoleMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs)
}

func isCSPViolation(m chromedp.ConsoleMessage) bool {
	return strings.Contains(m.Text, "Content Security Policy")
}

// tab drives one browser tab against the test server; every helper fails
// the test with the step's name, so a broken flow says where it broke.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// open loads a path and returns the final document response (after redirects).
func (b *tab) open(path string) *network.Response {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	return resp
}

// fill types into form fields, in order, as a user would (key events).
func (b *tab) fill(fields ...string) {
	b.t.Helper()
	for i := 0; i+1 < len(fields); i += 2 {
		if err := chromedp.Do(b.ctx, chromedp.SendKeys(chromedp.CSS(fields[i]), fields[i+1])); err != nil {
			b.t.Fatalf("type into %s: %v", fields[i], err)
		}
	}
}

// click presses a submit button and waits for the page the form leads to.
func (b *tab) click(sel string) *network.Response {
	b.t.Helper()
	resp, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
	return resp
}

// text returns the visible text of the first element matching sel.
func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// count returns how many elements match sel, without waiting for one.
func (b *tab) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int]("document.querySelectorAll("+jsString(sel)+").length"))
	if err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

// rows returns the visible text of each cell of each body row of the first table.
func (b *tab) rows() [][]string {
	b.t.Helper()
	rows, err := chromedp.Run(b.ctx, chromedp.Evaluate[[][]string](
		`Array.from(document.querySelectorAll("table tbody tr"), tr => Array.from(tr.cells, c => c.innerText.trim()))`))
	if err != nil {
		b.t.Fatalf("read table rows: %v", err)
	}
	return rows
}

// at asserts that the tab shows path (query included, if given) with status 200.
func (b *tab) at(step string, resp *network.Response, wantPath string) {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("%s: location: %v", step, err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatalf("%s: location %q: %v", step, loc, err)
	}
	got := u.Path
	if strings.Contains(wantPath, "?") {
		got = u.RequestURI()
	}
	if got != wantPath || !strings.HasPrefix(loc, b.base) {
		b.t.Fatalf("%s: browser is at %s, want %s%s", step, loc, b.base, wantPath)
	}
	if resp == nil || resp.Status != http.StatusOK {
		b.t.Fatalf("%s: response %+v, want status 200", step, resp)
	}
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// TestBrowser walks the UI in headless Chromium as a new CSIRT administrator
// does on day one: redirect to sign-in, sign in with a one-time password,
// forced password change, add a colleague and read their one-time password
// once, find that in the audit log, sign out, and see the colleague forced to
// change theirs. It also proves the pages run under the strict CSP without a
// single violation. Set ACESO_SCREENSHOT=file.png to save the users page.
func TestBrowser(t *testing.T) {
	bin := requireBrowser(t)
	start := time.Now()

	// The application over a real, migrated SQLite store.
	db := storetest.Open(t, "sqlite")
	srv, err := web.New(web.Options{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "browser-test"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	const adminEmail = "lead@cert.example"
	oneTime := access.GeneratePassword()
	hash, err := access.HashPassword(oneTime, cheap)
	if err != nil {
		t.Fatal(err)
	}
	csirt := access.Org{Name: "Health CERT", Kind: access.KindCSIRT}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateOrg(ctx, access.System, &csirt); err != nil {
			return err
		}
		u := access.User{OrgID: csirt.ID, Email: adminEmail, Name: "Lead Handler", Role: access.RoleAdmin, PasswordHash: hash, MustChangePassword: true}
		return tx.CreateUser(ctx, access.System, &u)
	})
	if err != nil {
		t.Fatal(err)
	}

	b, console := launchBrowser(t, bin, ts.URL)
	started := time.Since(start)

	usersPath := "/admin/orgs/" + itoa(csirt.ID)

	// 1. Anonymous: the overview sends us to sign in.
	resp := b.open("/")
	b.at("open /", resp, "/login")
	if h := b.text("h1"); h != "Sign in" {
		t.Fatalf("login page heading %q, want %q", h, "Sign in")
	}
	if n := b.count(`form[action="/logout"]`); n != 0 {
		t.Fatal("anonymous visitor sees a sign-out form")
	}

	// 2. Sign in with the one-time password: forced to the account page.
	b.fill("#email", adminEmail, "#password", oneTime)
	resp = b.click(`form[action="/login"] button[type=submit]`)
	b.at("sign in with one-time password", resp, "/account")
	if h := b.text("h1"); h != "Your account" {
		t.Fatalf("after first sign-in: heading %q, want %q", h, "Your account")
	}
	if a := b.text(`p[role=alert]`); !strings.Contains(a, "one-time password") {
		t.Fatalf("account page does not explain the forced change: %q", a)
	}
	if who := b.text(".who"); !strings.Contains(who, adminEmail) || !strings.Contains(who, "Health CERT") {
		t.Fatalf("header does not name the signed-in user and organisation: %q", who)
	}
	// Other pages stay closed until the password is changed.
	resp = b.open(usersPath)
	b.at("users page before the password change", resp, "/account")

	// 3. Choose an own password: back on the account page with the flash.
	const ownPassword = "ochre lantern beside the quiet fjord"
	b.fill("#current", oneTime, "#new", ownPassword, "#confirm", ownPassword)
	resp = b.click(`form[action="/account/password"] button[type=submit]`)
	b.at("change password", resp, "/account?changed=1")
	if f := b.text("p.flash"); f != "Your password was changed." {
		t.Fatalf("after the change: flash %q", f)
	}
	if n := b.count(`p[role=alert]`); n != 0 {
		t.Fatalf("after the change the page still shows %d alert(s): %q", n, b.text(`p[role=alert]`))
	}

	// 4. Add a colleague on the organisation's users page.
	resp = b.open(usersPath)
	b.at("users page", resp, usersPath)
	if h := b.text("h1"); h != "Health CERT" {
		t.Fatalf("users page heading %q", h)
	}
	const newEmail, newName = "analyst@cert.example", "Erin Analyst"
	b.fill("#email", newEmail, "#uname", newName)
	if err := chromedp.Do(b.ctx, chromedp.SetValue(chromedp.ID("role"), string(access.RoleAnalyst))); err != nil {
		t.Fatalf("choose role: %v", err)
	}
	resp = b.click(`form[action$="/users"] button[type=submit]`)
	b.at("add user", resp, usersPath+"/users")
	newOneTime := b.text("#secret")
	if label := b.text(".secret p"); !strings.Contains(label, "One-time password for "+newEmail) {
		t.Fatalf("one-time password box says %q, want it to name %s", label, newEmail)
	}
	if err := access.CheckPasswordPolicy(newOneTime); err != nil || strings.ContainsAny(newOneTime, " :") {
		t.Fatalf("shown one-time password %q is not a usable password: %v", newOneTime, err)
	}
	if note := b.text(".secret p"); !strings.Contains(note, "Shown once") {
		t.Fatalf("the secret box does not warn that it is shown once: %q", note)
	}
	var found bool
	for _, r := range b.rows() {
		if len(r) >= 4 && r[0] == newEmail {
			found = true
			if r[1] != newName || r[2] != string(access.RoleAnalyst) || r[3] != "one-time password" {
				t.Errorf("new user's row %q, want name %q, role analyst, status one-time password", r, newName)
			}
		}
	}
	if !found {
		t.Fatalf("new user %s missing from the users table %q", newEmail, b.rows())
	}
	if path := os.Getenv("ACESO_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("screenshot is not a PNG (%d bytes)", len(png))
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot of the users page: %s (%d bytes)", path, len(png))
	}
	// Shown once: the page loaded again has neither the box nor the password.
	resp = b.open(usersPath)
	b.at("users page again", resp, usersPath)
	html, err := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	if b.count("#secret") != 0 || strings.Contains(html, newOneTime) {
		t.Fatal("the one-time password is shown a second time")
	}

	// 5. The audit log names the creation and who did it.
	resp = b.open("/admin/audit")
	b.at("audit log", resp, "/admin/audit")
	var entry []string
	for _, r := range b.rows() {
		if len(r) == 6 && r[3] == "user.create" && strings.Contains(r[5], newEmail) {
			entry = r
		}
	}
	if entry == nil {
		t.Fatalf("no user.create entry naming %s in the audit log: %q", newEmail, b.rows())
	}
	if entry[2] != adminEmail {
		t.Errorf("user.create entry credits %q, want the admin %q", entry[2], adminEmail)
	}

	// 6. Sign out: the overview asks for a sign-in again.
	resp = b.click(`form[action="/logout"] button`)
	b.at("sign out", resp, "/login")
	resp = b.open("/")
	b.at("open / after sign-out", resp, "/login")
	if h := b.text("h1"); h != "Sign in" || b.count(`form[action="/logout"]`) != 0 {
		t.Fatalf("after sign-out: heading %q, sign-out forms %d", h, b.count(`form[action="/logout"]`))
	}

	// 7. The colleague signs in with the one-time password and must change it.
	b.fill("#email", newEmail, "#password", newOneTime)
	resp = b.click(`form[action="/login"] button[type=submit]`)
	b.at("colleague signs in", resp, "/account")
	if a := b.text(`p[role=alert]`); !strings.Contains(a, "one-time password") {
		t.Fatalf("colleague is not told to change the one-time password: %q", a)
	}
	if who := b.text(".who"); !strings.Contains(who, newEmail) || !strings.Contains(who, string(access.RoleAnalyst)) {
		t.Fatalf("header after the colleague's sign-in: %q", who)
	}
	resp = b.open("/")
	b.at("colleague opens /", resp, "/account")

	// 8. No page broke the CSP or threw. Then prove the listener sees a
	// violation at all: an injected inline script must be refused and reported.
	for _, m := range console.all() {
		if isCSPViolation(m) || m.IsException() {
			t.Errorf("console during the flow: %s (%s)", m, m.URL)
		} else if m.Type == chromedp.ConsoleError {
			t.Logf("console error (not failing): %s (%s)", m, m.URL)
		}
	}
	ran, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(() => {
		const s = document.createElement("script");
		s.textContent = "window.acesoInline = true";
		document.body.appendChild(s);
		return window.acesoInline === true;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if ran {
		t.Error("an inline script ran: the Content-Security-Policy does not block inline scripts")
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if slices.ContainsFunc(console.all(), isCSPViolation) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the blocked inline script left no CSP report in the console: the violation check above proves nothing")
		}
	}
	t.Logf("browser %s started in %v; whole flow %v", bin, started.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// requireBrowser returns the Chromium binary, skipping the test when there
// is none, except in CI, where a missing browser fails it.
func requireBrowser(t *testing.T) string {
	t.Helper()
	bin := findBrowser(t)
	if bin == "" {
		msg := "no Chromium found: install the Debian package chromium (apt-get install chromium) or set ACESO_CHROMIUM to a Chrome/Chromium binary"
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " (CI is set, so the browser test may not be skipped)")
		}
		t.Skip(msg)
	}
	return bin
}

// launchBrowser starts headless Chromium (closed-network flags, its own
// profile, a 60 s deadline so a hung browser fails instead of hanging CI)
// with a tab on base, and records the console for the CSP checks. All is
// torn down at test cleanup; the browser's output is logged on failure.
func launchBrowser(t *testing.T, bin, base string) (*tab, *consoleLog) {
	t.Helper()
	profile, err := os.MkdirTemp("", "aceso-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(profile); err != nil {
			t.Logf("remove browser profile: %v", err)
		}
	})
	var browserOut lockedBuffer
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 800),
		chromedp.CombinedOutput(&browserOut),
	)
	timeout, cancelTimeout := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancelTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(timeout, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("browser output:\n%s", browserOut.tail(4000))
		}
	})

	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	console := &consoleLog{}
	messages := chromedp.Console(bctx)
	consoleDone := make(chan struct{})
	go func() {
		defer close(consoleDone)
		for m, err := range messages {
			if err != nil {
				return
			}
			console.add(m)
		}
	}()
	t.Cleanup(func() { cancelTab(); <-consoleDone })
	return &tab{t: t, ctx: bctx, base: base}, console
}
