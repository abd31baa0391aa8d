package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
)

// storedCSAFKeys reads the key ring of a SQLite database file.
func storedCSAFKeys(t *testing.T, path string) []store.CSAFKey {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys, err := db.CSAFKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

var keyRow = regexp.MustCompile(`(?m)^([0-9A-F]{40})\s+(active|retired(?: \(unlisted\))?)\s`)

// keyTable returns fingerprint → state from the table 'aceso csaf key' prints.
func keyTable(out string) map[string]string {
	m := map[string]string{}
	for _, r := range keyRow.FindAllStringSubmatch(out, -1) {
		m[r[1]] = r[2]
	}
	return m
}

// TestCSAFKeyRotateCLI runs 'aceso csaf key rotate' end to end on a
// temporary SQLite database: the new key becomes active and the listing
// shows the old one retired with its grace period; then a passphrase is
// configured, which encrypts both stored keys in place; a rotation
// without it or with a wrong one fails and changes nothing; with the right
// one the new key is stored encrypted. The audit chain stays intact.
func TestCSAFKeyRotateCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "aceso.db")
	code, out, errOut := runCmd(t, env(nil), "csaf", "key", "--db", db)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	fp1 := strings.TrimSpace(between(out, "Fingerprint:", "\n"))
	if got := keyTable(out); len(got) != 1 || got[fp1] != "active" {
		t.Fatalf("listing %v:\n%s", got, out)
	}

	code, out, errOut = runCmd(t, env(nil), "csaf", "key", "rotate", "--grace", "10d", "--db", db)
	if code != 0 {
		t.Fatalf("rotate: exit %d: %s", code, errOut)
	}
	fp2 := strings.TrimSpace(between(out, "New active key:", "\n"))
	if len(fp2) != 40 || fp2 == fp1 || strings.TrimSpace(between(out, "Fingerprint:", "\n")) != fp2 || strings.Contains(out, "PRIVATE") {
		t.Fatalf("rotate output:\n%s", out)
	}
	if got := keyTable(out); len(got) != 2 || got[fp2] != "active" || got[fp1] != "retired" {
		t.Errorf("listing after rotation %v:\n%s", got, out)
	}
	keys := storedCSAFKeys(t, db)
	if len(keys) != 2 || keys[1].Fingerprint != fp1 || keys[1].ListedUntil.Sub(keys[1].RetiredAt) != 10*24*time.Hour {
		t.Fatalf("stored keys %+v", keys)
	}

	for _, tt := range []struct {
		name string
		args []string
		code int
	}{
		{name: "bad grace", args: []string{"csaf", "key", "rotate", "--grace", "forever", "--db", db}, code: 2},
		{name: "grace too long", args: []string{"csaf", "key", "rotate", "--grace", "9999d", "--db", db}, code: 2},
		{name: "stray argument", args: []string{"csaf", "key", "rotate", "now", "--db", db}, code: 2},
	} {
		if code, _, errOut := runCmd(t, env(nil), tt.args...); code != tt.code {
			t.Errorf("%s: exit %d (%s), want %d", tt.name, code, errOut, tt.code)
		}
	}

	passFile := filepath.Join(dir, "csaf-pass")
	if err := os.WriteFile(passFile, []byte("a long enough key passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withPass := env(map[string]string{"ACESO_CSAF_KEY_PASSPHRASE_FILE": passFile})
	code, out, errOut = runCmd(t, withPass, "csaf", "key", "--db", db)
	if code != 0 || !strings.Contains(out, "Encrypted 2 stored CSAF signing key(s)") {
		t.Fatalf("first use of the passphrase: exit %d: %s\n%s", code, errOut, out)
	}
	encrypted := storedCSAFKeys(t, db)
	for _, k := range encrypted {
		if _, err := share.OpenCSAFSigner(k.Private, []byte("a long enough key passphrase")); err != nil {
			t.Errorf("key %s: %v", k.Fingerprint, err)
		}
		if enc, _ := share.CSAFKeyEncrypted(k.Private); !enc {
			t.Errorf("key %s still plaintext", k.Fingerprint)
		}
	}

	refused := []struct {
		name   string
		getenv func(string) string
		msg    string
	}{
		{name: "no passphrase", getenv: env(nil), msg: "is stored encrypted and no key passphrase is configured (the passphrase comes from ACESO_CSAF_KEY_PASSPHRASE"},
		{name: "wrong passphrase", getenv: env(map[string]string{"ACESO_CSAF_KEY_PASSPHRASE": "not the passphrase, sorry"}), msg: "(wrong passphrase?)"},
	}
	for _, tt := range refused {
		code, _, errOut := runCmd(t, tt.getenv, "csaf", "key", "rotate", "--db", db)
		if code != 1 || !strings.Contains(errOut, tt.msg) {
			t.Errorf("%s: exit %d, stderr %q; want 1 and %q", tt.name, code, errOut, tt.msg)
		}
	}
	if after := storedCSAFKeys(t, db); len(after) != 2 || after[0].Private != encrypted[0].Private || after[1].Private != encrypted[1].Private {
		t.Fatal("a refused rotation changed the stored keys")
	}

	code, out, errOut = runCmd(t, withPass, "csaf", "key", "rotate", "--grace", "0", "--db", db)
	if code != 0 {
		t.Fatalf("rotate with passphrase: exit %d: %s", code, errOut)
	}
	fp3 := strings.TrimSpace(between(out, "New active key:", "\n"))
	if got := keyTable(out); len(got) != 3 || got[fp3] != "active" || got[fp2] != "retired (unlisted)" || got[fp1] != "retired" {
		t.Errorf("listing %v:\n%s", got, out)
	}
	if k := storedCSAFKeys(t, db)[0]; k.Fingerprint != fp3 {
		t.Errorf("active key %s, want %s", k.Fingerprint, fp3)
	} else if enc, _ := share.CSAFKeyEncrypted(k.Private); !enc {
		t.Error("the new key is stored unencrypted")
	}
	if code, out, errOut := runCmd(t, env(nil), "audit", "verify", "--db", db); code != 0 || !strings.Contains(out, "intact") {
		t.Errorf("audit verify: exit %d %s %s", code, out, errOut)
	}
}

// serveUntilRunning starts 'aceso serve' and returns its base URL, the
// log, and a stop function that returns the exit code; if serve exits
// before it runs, url is "" and the exit code is returned at once.
func serveUntilRunning(t *testing.T, getenv func(string) string, args ...string) (url string, log *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	log = &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...), &out, log, getenv)
	}()
	stop = func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(40 * time.Second):
			t.Fatal("serve did not stop")
			return -1
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if u := between(out.String(), "Aceso is running at ", "/ "); u != "" {
			return u, log, stop
		}
		select {
		case code := <-done:
			done <- code
			return "", log, stop
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %s", log.String())
		}
	}
}

// TestServeCSAFKeyAndPublicURL proves the start-up rules: without a
// passphrase or public URL serve warns (once each); an encrypted key with
// no or a wrong passphrase stops the start with a clear error; with the
// right passphrase and a public URL it serves, the links ignore the Host
// header, and the passphrase never reaches the log.
func TestServeCSAFKeyAndPublicURL(t *testing.T) {
	db := filepath.Join(t.TempDir(), "aceso.db")
	const pass = "the serve test passphrase"
	_, log, stop := serveUntilRunning(t, env(nil), "--db", db)
	if code := stop(); code != 0 {
		t.Fatalf("plain start: exit %d: %s", code, log.String())
	}
	for _, want := range []string{"the CSAF signing key is stored unencrypted", "public_url is not set: CSAF provider and TAXII links follow each request's Host header"} {
		if n := strings.Count(log.String(), want); n != 1 {
			t.Errorf("warning %q logged %d times:\n%s", want, n, log.String())
		}
	}
	withPass := env(map[string]string{"ACESO_CSAF_KEY_PASSPHRASE": pass})
	if code, _, errOut := runCmd(t, withPass, "csaf", "key", "--db", db); code != 0 {
		t.Fatalf("csaf key: %s", errOut)
	}
	for _, tt := range []struct {
		name   string
		getenv func(string) string
		msg    string
	}{
		{name: "no passphrase", getenv: env(nil), msg: "is stored encrypted and no key passphrase is configured"},
		{name: "wrong passphrase", getenv: env(map[string]string{"ACESO_CSAF_KEY_PASSPHRASE": "the wrong passphrase!"}), msg: "(wrong passphrase?)"},
	} {
		u, log, stop := serveUntilRunning(t, tt.getenv, "--db", db)
		code := stop()
		if u != "" || code != 1 || !strings.Contains(log.String(), tt.msg) {
			t.Errorf("%s: started %q, exit %d, log %q; want exit 1 with %q", tt.name, u, code, log.String(), tt.msg)
		}
	}
	u, log, stop := serveUntilRunning(t, withPass, "--db", db, "--public-url", "https://csaf.cert.example/")
	if u == "" {
		t.Fatalf("serve with passphrase did not start: %s", log.String())
	}
	req, _ := http.NewRequest(http.MethodGet, u+"/.well-known/csaf/provider-metadata.json", nil)
	req.Host = "evil.example"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var md struct {
		Canonical string                 `json:"canonical_url"`
		Keys      []struct{ URL string } `json:"public_openpgp_keys"`
	}
	err = json.NewDecoder(res.Body).Decode(&md)
	res.Body.Close()
	if err != nil || md.Canonical != "https://csaf.cert.example/.well-known/csaf/provider-metadata.json" || len(md.Keys) != 1 ||
		!strings.HasPrefix(md.Keys[0].URL, "https://csaf.cert.example/.well-known/csaf/openpgp/") {
		t.Errorf("metadata: %+v %v", md, err)
	}
	st, sig := getBody(t, u+"/.well-known/csaf/openpgp/"+strings.TrimPrefix(md.Keys[0].URL, "https://csaf.cert.example/.well-known/csaf/openpgp/"))
	if st != http.StatusOK || !strings.Contains(sig, "PUBLIC KEY") {
		t.Errorf("key: %d", st)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d: %s", code, log.String())
	}
	if l := log.String(); strings.Contains(l, "stored unencrypted") || strings.Contains(l, "public_url is not set") || strings.Contains(l, pass) {
		t.Errorf("log:\n%s", l)
	}
}

func getBody(t *testing.T, u string) (int, string) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
