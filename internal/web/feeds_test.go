package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// Feed sources belong to the CSIRT: both A and B "own" the same CSIRT
// source in the route matrix, so every member request for it must end in
// 403/404, never in a 2xx.
func init() {
	seeders = append(seeders, func(w *world) {
		f := store.FeedSource{URL: "https://csaf.example/.well-known/csaf/provider-metadata.json", Name: "Example PSIRT", Enabled: true}
		if err := w.db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateFeedSource(ctx, access.System, &f) }); err != nil {
			w.t.Fatal(err)
		}
		w.ownA["feed"] = f.ID
		w.ofB["feed"] = f.ID
	})
}

func form(a *actor, kv ...string) string {
	v := url.Values{"csrf_token": {a.csrf}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}

func TestFeedsAPIAndPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		cert := &w.csirtAdmin
		tests := []struct {
			name   string
			r      req
			status int
			want   string
		}{
			{"CSIRT adds a source", req{method: "POST", path: "/api/v1/feeds", as: cert, body: `{"url": "https://psirt.example/provider-metadata.json", "name": "Vendor PSIRT", "interval_seconds": 1800}`}, 201, `"interval_seconds": 1800`},
			{"duplicate url", req{method: "POST", path: "/api/v1/feeds", as: cert, body: `{"url": "https://psirt.example/provider-metadata.json"}`}, 409, "exists already"},
			{"not a URL", req{method: "POST", path: "/api/v1/feeds", as: cert, body: `{"url": "ftp://x"}`}, 400, "http(s) URL"},
			{"unknown field", req{method: "POST", path: "/api/v1/feeds", as: cert, body: `{"url": "https://y.example/p.json", "secret": 1}`}, 400, "unknown field"},
			{"member admin cannot list", req{method: "GET", path: "/api/v1/feeds", token: w.aToken}, 403, "only the CSIRT"},
			{"member admin cannot add", req{method: "POST", path: "/api/v1/feeds", token: w.aToken, body: `{"url": "https://z.example/p.json"}`}, 403, "only the CSIRT"},
			{"CSIRT lists", req{method: "GET", path: "/api/v1/feeds", as: cert}, 200, "Vendor PSIRT"},
			{"UI page shows the OpenPGP status", req{method: "GET", path: "/feeds", as: cert}, 200, "no key: hashes are checked, signatures are not"},
			{"UI add with a bad url re-renders with the error", req{method: "POST", path: "/feeds", as: cert, body: form(cert, "url", "javascript:alert(1)")}, 400, "must be an http(s) URL"},
			{"UI add", req{method: "POST", path: "/feeds", as: cert, body: form(cert, "url", "https://ui.example/aggregator.json", "interval_minutes", "120")}, 303, ""},
			{"member UI page", req{method: "GET", path: "/feeds", as: &w.aAdmin}, 403, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := w.do(tt.r)
				if r.status != tt.status || !strings.Contains(r.body, tt.want) {
					t.Errorf("%s %s: %d, want %d with %q: %.400s", tt.r.method, tt.r.path, r.status, tt.status, tt.want, r.body)
				}
			})
		}
		list, err := db.FeedSources(ctx, access.System)
		if err != nil {
			t.Fatal(err)
		}
		var ui store.FeedSource
		for _, f := range list {
			if f.Name == "ui.example" {
				ui = f
			}
		}
		if ui.ID == 0 || ui.Interval != 2*time.Hour || !ui.Enabled {
			t.Fatalf("UI-added source %+v in %+v", ui, list)
		}

		// "Sync now" queues the source for the scheduler: it becomes due at once.
		id := itoa(ui.ID)
		ok, err := db.ClaimFeedSource(ctx, ui.ID, "test-node", time.Now(), time.Now().Add(time.Minute), true)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if err := db.RecordSync(ctx, "test-node", store.FeedSyncResult{SourceID: ui.ID, Finished: time.Now(),
			Counts:    store.FeedCounts{Documents: 3, New: 2, Failed: 1},
			DocErrors: []string{"feed https://ui.example/2024/x.json: checksum mismatch with https://ui.example/2024/x.json.sha512 <b>"}}); err != nil {
			t.Fatal(err)
		}
		page := w.do(req{method: "GET", path: "/feeds", as: cert})
		if !strings.Contains(page.body, "1 of 3 documents failed") || !strings.Contains(page.body, "checksum mismatch") ||
			strings.Contains(page.body, "<b>") || !strings.Contains(page.body, "failing") {
			t.Errorf("feeds page does not show the failed document (escaped): %.2000s", page.body)
		}
		r := w.do(req{method: "POST", path: "/api/v1/feeds/" + id + "/sync", as: cert})
		var got store.FeedSource
		if r.status != http.StatusAccepted || json.Unmarshal([]byte(r.body), &got) != nil || got.NextSyncAt.After(time.Unix(0, 0)) {
			t.Errorf("sync now: %d, next sync %v: %.300s", r.status, got.NextSyncAt, r.body)
		}
		if r := w.do(req{method: "POST", path: "/feeds/" + id + "/enabled", as: cert, body: form(cert, "enabled", "false")}); r.status != http.StatusSeeOther {
			t.Errorf("disable: %d %.300s", r.status, r.body)
		}
		if f, _ := db.FeedSource(ctx, access.System, ui.ID); f.Enabled {
			t.Error("source still enabled")
		}
		if r := w.do(req{method: "POST", path: "/feeds/" + id + "/delete", as: cert}); r.status != http.StatusSeeOther {
			t.Errorf("delete: %d %.300s", r.status, r.body)
		}
		if r := w.do(req{method: "GET", path: "/api/v1/feeds/" + id, as: cert}); r.status != http.StatusNotFound {
			t.Errorf("deleted source: %d", r.status)
		}
	})
}

func TestNotificationSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		tests := []struct {
			name   string
			r      req
			status int
			want   string
		}{
			{"admin sets an https webhook", req{method: "PUT", path: "/api/v1/settings/notifications", token: w.aToken, body: `{"webhook_url": "https://siem.anna.example/aceso"}`}, 200, "siem.anna.example"},
			{"plain http refused", req{method: "PUT", path: "/api/v1/settings/notifications", token: w.aToken, body: `{"webhook_url": "http://siem.anna.example/aceso"}`}, 400, "https URL"},
			{"viewer cannot read", req{method: "GET", path: "/api/v1/settings/notifications", token: w.aViewerToken}, 403, ""},
			{"admin reads, ?org= does not widen", req{method: "GET", path: "/api/v1/settings/notifications?org=" + itoa(w.b.ID), token: w.aToken}, 200, `"org_id": ` + itoa(w.a.ID)},
			{"UI page", req{method: "GET", path: "/settings/notifications", as: &w.aAdmin}, 200, "https://siem.anna.example/aceso"},
			{"UI bad URL re-renders", req{method: "POST", path: "/settings/notifications", as: &w.aAdmin, body: form(&w.aAdmin, "webhook_url", "https://user:pw@x.example/")}, 400, "without user name"},
			{"UI clears", req{method: "POST", path: "/settings/notifications", as: &w.aAdmin, body: form(&w.aAdmin, "webhook_url", "")}, 303, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := w.do(tt.r)
				if r.status != tt.status || !strings.Contains(r.body, tt.want) {
					t.Errorf("%s %s: %d, want %d with %q: %.400s", tt.r.method, tt.r.path, r.status, tt.status, tt.want, r.body)
				}
			})
		}
		a, _ := db.OrgSettings(ctx, access.System, w.a.ID)
		b, _ := db.OrgSettings(ctx, access.System, w.b.ID)
		if a.WebhookURL != "" || a.UpdatedAt == nil || b.UpdatedAt != nil {
			t.Errorf("settings after the UI cleared A's webhook: A %+v, B %+v", a, b)
		}
	})
}
