package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
	"github.com/aceso-health/aceso/internal/web"
)

func getFeed(t testing.TB, base, path, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// readFeed fetches a channel's manifest and every event it lists, checking
// the hashes file names only listed events.
func readFeed(t *testing.T, base, channel, token string) map[string]*share.MISPEvent {
	t.Helper()
	status, body := getFeed(t, base, "/feeds/misp/"+channel+"/manifest.json", token)
	if status != 200 {
		t.Fatalf("%s manifest: %d %s", channel, status, body)
	}
	man, err := share.ParseMISPManifest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*share.MISPEvent{}
	for uuid := range man {
		status, body := getFeed(t, base, "/feeds/misp/"+channel+"/"+uuid+".json", token)
		if status != 200 {
			t.Fatalf("event %s: %d", uuid, status)
		}
		ev, err := share.ParseMISPEvent([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		out[uuid] = ev
	}
	_, hashes := getFeed(t, base, "/feeds/misp/"+channel+"/hashes.csv", token)
	for _, line := range strings.Split(strings.TrimSpace(hashes), "\n") {
		if line == "" {
			continue
		}
		_, uuid, _ := strings.Cut(line, ",")
		if out[uuid] == nil {
			t.Errorf("hashes.csv names unlisted event %s", uuid)
		}
	}
	return out
}

func TestMISPFeedHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		importAdvisories(t, db, share.Labels...)
		bToken := w.token(w.bAdmin.user, &access.APIToken{Name: "nord-misp", Role: access.RoleViewer})
		for _, tt := range []struct {
			name, channel, token string
		}{
			{"public without token", "public", ""},
			{"public with a token", "public", w.aToken},
			{"community as A", "community", w.aViewerToken},
			{"community as B", "community", bToken},
		} {
			t.Run(tt.name, func(t *testing.T) {
				evs := readFeed(t, w.ts.URL, tt.channel, tt.token)
				if len(evs) == 0 {
					t.Fatal("empty feed")
				}
				labels := map[share.TLP]bool{}
				for uuid, ev := range evs {
					l, ok := ev.TLP()
					if !ok || !share.AllowedOn(l, share.Channel(tt.channel)) {
						t.Errorf("event %s labelled %s on %s", uuid, l, tt.channel)
					}
					labels[l] = true
					raw, _ := json.Marshal(ev)
					if strings.Contains(strings.ToLower(string(raw)), marker) {
						t.Errorf("event %s carries B's AMBER+STRICT indicator: %s", uuid, raw)
					}
				}
				if tt.channel == "community" && !labels[share.TLPGreen] {
					t.Error("community feed lacks the GREEN events")
				}
			})
		}
		// Errors are Aceso's JSON, never a login page.
		for _, tt := range []struct {
			name, path, token string
			status            int
		}{
			{"community without token", "/feeds/misp/community/manifest.json", "", 401},
			{"community with a bad token", "/feeds/misp/community/hashes.csv", "aceso_nope", 401},
			{"unknown event", "/feeds/misp/public/" + share.UUIDv5(share.NamespaceAceso, "none") + ".json", "", 404},
			{"not a uuid", "/feeds/misp/public/..%2f..%2fetc%2fpasswd", "", 404},
			{"a community event asked on public", "/feeds/misp/public/" + greenEvent(t, w) + ".json", "", 404},
		} {
			t.Run(tt.name, func(t *testing.T) {
				status, body := getFeed(t, w.ts.URL, tt.path, tt.token)
				if status != tt.status {
					t.Fatalf("%d, want %d: %s", status, tt.status, body)
				}
				assertErrorShape(t, resp{status: status, body: body}, tt.name)
			})
		}
		// A newly shared observable shows up: the cache follows the store.
		before := readFeed(t, w.ts.URL, "public", "")
		shareObs(t, db, w.a, "Anna second incident", "fresh-c2.example", share.TLPClear, 0)
		after := readFeed(t, w.ts.URL, "public", "")
		if len(after) != len(before)+1 {
			t.Errorf("public feed has %d events after sharing, %d before", len(after), len(before))
		}
	})
}

// greenEvent returns the uuid of a GREEN event of the community feed.
func greenEvent(t *testing.T, w *world) string {
	t.Helper()
	for uuid, ev := range readFeed(t, w.ts.URL, "community", w.aToken) {
		if l, _ := ev.TLP(); l == share.TLPGreen {
			return uuid
		}
	}
	t.Fatal("no GREEN event")
	return ""
}

// BenchmarkMISPFeedHTTP serves a feed of 10,000 advisory events: "cold"
// builds the feed (a fresh server) and fetches the manifest; "warm"
// fetches the manifest, hashes.csv and all 10,000 event files.
func BenchmarkMISPFeedHTTP(b *testing.B) {
	const n = 10_000
	db := storetest.Open(b, "sqlite")
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := range n {
			a := &advisory.Advisory{ID: fmt.Sprintf("BENCH-%05d", i), Title: "Infusion pump flaw", TLP: "TLP:CLEAR", Revision: "1",
				CurrentRelease: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
				Vulnerabilities: []advisory.Vulnerability{{CVE: fmt.Sprintf("CVE-2026-%05d", i), Title: "flaw"},
					{CVE: fmt.Sprintf("CVE-2025-%05d", i), Title: "other flaw"}}}
			if _, err := tx.ImportAdvisory(ctx, access.System, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	newSrv := func() string {
		srv, err := web.New(web.Options{DB: db, Log: discardLog(), Version: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		return newTestServer(b, srv)
	}
	b.Run("cold-manifest", func(b *testing.B) {
		for b.Loop() {
			base := newSrv()
			if status, body := getFeed(b, base, "/feeds/misp/public/manifest.json", ""); status != 200 || len(body) < n*100 {
				b.Fatalf("manifest: %d, %d bytes", status, len(body))
			}
		}
	})
	b.Run("warm-all-events", func(b *testing.B) {
		base := newSrv()
		_, body := getFeed(b, base, "/feeds/misp/public/manifest.json", "")
		man, err := share.ParseMISPManifest([]byte(body))
		if err != nil || len(man) != n {
			b.Fatalf("manifest: %d events, %v", len(man), err)
		}
		for b.Loop() {
			getFeed(b, base, "/feeds/misp/public/manifest.json", "")
			getFeed(b, base, "/feeds/misp/public/hashes.csv", "")
			for uuid := range man {
				if status, _ := getFeed(b, base, "/feeds/misp/public/"+uuid+".json", ""); status != 200 {
					b.Fatalf("event %s: %d", uuid, status)
				}
			}
		}
	})
}
