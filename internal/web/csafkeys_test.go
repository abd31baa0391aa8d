package web_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/gocsaf/csaf/v3/csaf"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
	"github.com/aceso-health/aceso/internal/web"
)

// TestCSAFProviderKeyRotation rotates the signing key through the API on
// a server whose key is encrypted with a passphrase: the first key is
// created encrypted; after rotation provider-metadata.json lists the new
// key and the old one, signatures (already cached for the old key) verify
// with the new key only, the old key stays downloadable until its grace
// period ends (injected clock), and a rotation made outside the server
// (the CLI, another node) takes effect at the next request. Only CSIRT
// administrators may rotate, and a bad grace period is refused.
func TestCSAFProviderKeyRotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newCSAFWorld(t, db)
		now := time.Now().UTC()
		pass := []byte("a passphrase of some length")
		srv, err := web.New(web.Options{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test",
			Now: func() time.Time { return now }, PublicURL: "https://csaf.cert.example", CSAFKeyPassphrase: pass})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		t.Cleanup(ts.Close)
		get := func(t *testing.T, path string) (int, []byte) {
			t.Helper()
			return plainGet(t, ts, ts.URL+path, "", "", "")
		}
		listed := func(t *testing.T) []string {
			t.Helper()
			st, body := get(t, "/.well-known/csaf/provider-metadata.json")
			if st != http.StatusOK {
				t.Fatalf("metadata: %d %s", st, body)
			}
			if errs, err := csaf.ValidateProviderMetadata(decodeAny(t, body)); err != nil || len(errs) > 0 {
				t.Fatalf("provider metadata invalid: %v %v", errs, err)
			}
			var md providerMD
			_ = json.Unmarshal(body, &md)
			var fps []string
			for _, k := range md.Keys {
				if k.URL != "https://csaf.cert.example/.well-known/csaf/openpgp/"+k.Fingerprint+".asc" {
					t.Errorf("key URL %q", k.URL)
				}
				fps = append(fps, k.Fingerprint)
			}
			return fps
		}
		ring := func(t *testing.T, fp string) openpgp.EntityList {
			t.Helper()
			st, body := get(t, "/.well-known/csaf/openpgp/"+fp+".asc")
			if st != http.StatusOK {
				t.Fatalf("key %s: %d", fp, st)
			}
			r, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(body))
			if err != nil || len(r) != 1 || strings.ToUpper(hex.EncodeToString(r[0].PrimaryKey.Fingerprint)) != fp {
				t.Fatalf("key %s: %v", fp, err)
			}
			return r
		}
		clear := w.byLabel["TLP:CLEAR"]
		if len(clear) == 0 {
			t.Fatal("no TLP:CLEAR advisory")
		}
		doc := "/.well-known/csaf/white/" + share.CSAFPath(mustAdvisory(t, db, clear[0]))
		st, data := get(t, doc)
		if st != http.StatusOK {
			t.Fatalf("%s: %d", doc, st)
		}
		// verifiedBy reports which of the rings verify the served signature
		// (at the server's clock, which signed it).
		verifiedBy := func(t *testing.T, rings ...openpgp.EntityList) []bool {
			t.Helper()
			st, sig := get(t, doc+".asc")
			if st != http.StatusOK {
				t.Fatalf("signature: %d %s", st, sig)
			}
			var out []bool
			for _, r := range rings {
				_, err := openpgp.CheckArmoredDetachedSignature(r, bytes.NewReader(data), bytes.NewReader(sig), &packet.Config{Time: func() time.Time { return now }})
				out = append(out, err == nil)
			}
			return out
		}

		fps := listed(t)
		if len(fps) != 1 {
			t.Fatalf("keys before rotation: %v", fps)
		}
		k1 := fps[0]
		stored, err := db.CSAFKeys(ctx)
		if err != nil || len(stored) != 1 {
			t.Fatal(err)
		}
		if enc, err := share.CSAFKeyEncrypted(stored[0].Private); err != nil || !enc {
			t.Errorf("first key stored encrypted = %v, %v", enc, err)
		}
		ring1 := ring(t, k1)
		if got := verifiedBy(t, ring1); !got[0] {
			t.Fatal("signature does not verify with the first key")
		}

		adminToken := w.token(w.csirtAdmin.user, &access.APIToken{Name: "key-admin", Role: access.RoleAdmin})
		rotate := func(t *testing.T, token, body string) (int, []byte) {
			t.Helper()
			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/v1/csaf/keys/rotate", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, b
		}
		refused := []struct {
			name, token, body string
			status            int
		}{
			{name: "hospital admin", token: w.aToken, body: `{}`, status: http.StatusForbidden},
			{name: "CSIRT viewer token", token: w.csirtToken, body: `{}`, status: http.StatusForbidden},
			{name: "negative grace", token: adminToken, body: `{"grace":"-1h"}`, status: http.StatusBadRequest},
			{name: "grace not a duration", token: adminToken, body: `{"grace":"forever"}`, status: http.StatusBadRequest},
			{name: "unknown field", token: adminToken, body: `{"grace":"1d","key":"x"}`, status: http.StatusBadRequest},
		}
		for _, tt := range refused {
			if st, body := rotate(t, tt.token, tt.body); st != tt.status {
				t.Errorf("%s: %d %s, want %d", tt.name, st, body, tt.status)
			}
		}
		if fps := listed(t); !slices.Equal(fps, []string{k1}) {
			t.Fatalf("a refused rotation changed the keys: %v", fps)
		}

		st, body := rotate(t, adminToken, `{"grace":"10d"}`)
		if st != http.StatusOK {
			t.Fatalf("rotate: %d %s", st, body)
		}
		var res struct {
			Active string `json:"active"`
			Keys   []struct {
				Fingerprint, State, URL string
				ListedUntil             *time.Time `json:"listed_until"`
				Listed                  bool
			} `json:"keys"`
		}
		if err := json.Unmarshal(body, &res); err != nil || len(res.Keys) != 2 || strings.Contains(string(body), "PRIVATE") {
			t.Fatalf("rotate response: %v %s", err, body)
		}
		k2 := res.Active
		if k2 == k1 || res.Keys[0].Fingerprint != k2 || res.Keys[0].State != "active" || res.Keys[1].Fingerprint != k1 || res.Keys[1].State != "retired" ||
			!res.Keys[1].Listed || res.Keys[1].ListedUntil == nil || res.Keys[1].URL != "https://csaf.cert.example/.well-known/csaf/openpgp/"+k1+".asc" {
			t.Errorf("rotate response: %s", body)
		}
		if fps := listed(t); !slices.Equal(fps, []string{k2, k1}) {
			t.Fatalf("keys after rotation %v, want [%s %s]", fps, k2, k1)
		}
		ring2 := ring(t, k2)
		if got := verifiedBy(t, ring1, ring2); !slices.Equal(got, []bool{false, true}) {
			t.Errorf("after rotation the signature verifies with [old new] = %v, want [false true]", got)
		}
		es, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: 0, Limit: 50})
		if err != nil || len(es) == 0 {
			t.Fatalf("audit: %v", err)
		}
		if e := es[0]; e.Action != "csaf.key.rotate" || e.ObjectID != k2 || !strings.HasPrefix(e.Actor, w.csirtAdmin.user.Email) || !strings.Contains(e.Summary, `"retired":"`+k1+`"`) {
			t.Errorf("audit entry %+v", e)
		}

		// The grace period ends: the old key is no longer listed nor served.
		now = res.Keys[1].ListedUntil.Add(time.Second)
		if fps := listed(t); !slices.Equal(fps, []string{k2}) {
			t.Errorf("keys after the grace period %v, want [%s]", fps, k2)
		}
		if st, _ := get(t, "/.well-known/csaf/openpgp/"+k1+".asc"); st != http.StatusNotFound {
			t.Errorf("old key after grace: %d, want 404", st)
		}

		// A rotation outside this server (CLI or another node).
		k3, err := web.CSAFKeyring{DB: db, Passphrase: pass}.Rotate(ctx, access.System, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		ring3 := ring(t, k3.Fingerprint)
		if got := verifiedBy(t, ring2, ring3); !slices.Equal(got, []bool{false, true}) {
			t.Errorf("after an outside rotation the signature verifies with [previous new] = %v, want [false true]", got)
		}
	})
}

func mustAdvisory(t *testing.T, db *store.DB, trackingID string) *advisory.Advisory {
	t.Helper()
	id, err := db.AdvisoryIDByTracking(ctx, trackingID)
	if err != nil {
		t.Fatal(err)
	}
	a, err := db.Advisory(ctx, access.System, id)
	if err != nil {
		t.Fatal(err)
	}
	return a.Doc
}

// FuzzParseCSAFKeyGrace feeds arbitrary text (an API field and a CLI
// flag) to the grace parser: it never panics, and what it accepts lies
// between 0 and the maximum and parses the same again.
func FuzzParseCSAFKeyGrace(f *testing.F) {
	for _, s := range []string{"30d", "0", "12h", "1h30m", "-1d", "1825d", "1826d", "9999d", "d", " 7d ", "1e9h", "30D", "\x00", "99999999999999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := web.ParseCSAFKeyGrace(s)
		if err != nil {
			if aceso.ErrorCode(err) != aceso.EINVALID || d != 0 {
				t.Fatalf("%q: %v, %v", s, d, err)
			}
			return
		}
		if d < 0 || d > store.CSAFKeyGraceMax {
			t.Fatalf("%q accepted as %v", s, d)
		}
		if again, err := web.ParseCSAFKeyGrace(d.String()); err != nil || again != d {
			t.Fatalf("%q → %v → %v, %v", s, d, again, err)
		}
	})
}

// TestParseCSAFKeyGrace pins the accepted forms.
func TestParseCSAFKeyGrace(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * 24 * time.Hour, true},
		{" 7d ", 7 * 24 * time.Hour, true},
		{"0", 0, true},
		{"0d", 0, true},
		{"12h", 12 * time.Hour, true},
		{"1825d", store.CSAFKeyGraceMax, true},
		{"1826d", 0, false},
		{"-1h", 0, false},
		{"-1d", 0, false},
		{"30D", 0, false},
		{"d", 0, false},
		{"", 0, false},
		{"forever", 0, false},
	}
	for _, tt := range tests {
		got, err := web.ParseCSAFKeyGrace(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("%q: %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
