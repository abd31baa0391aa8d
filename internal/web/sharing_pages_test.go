package web_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
	"github.com/aceso-health/aceso/internal/web"
)

// A's and B's shared observables (B's carrying the marker) and B's intel.
// Both observables are AMBER and addressed to nobody, so they reach only
// their own organisation's collection: no channel A reads carries B's, and
// other tests' community channels stay as they were.
func init() {
	seeders = append(seeders, func(w *world) {
		mk := func(u access.User, value string, label share.TLP, objectID string) (shared, intel int64) {
			p, err := w.db.PrincipalFor(ctx, u)
			if err != nil {
				w.t.Fatal(err)
			}
			err = w.db.InTx(ctx, func(tx *store.Tx) error {
				inc, err := tx.CreateIncident(ctx, p, &incident.Incident{Title: "Seeded " + value, AwareAt: time.Now().Add(-time.Hour)}, incident.Assessment{})
				if err != nil {
					return err
				}
				if err := tx.AddObservable(ctx, p, inc.ID, &incident.Observable{Kind: "domain", Value: value}); err != nil {
					return err
				}
				so, err := tx.ShareObservable(ctx, p, inc.ID, "domain", value, label, 0)
				if err != nil {
					return err
				}
				shared = so.ID
				if objectID == "" {
					return nil
				}
				body, _ := json.Marshal(map[string]any{"type": "indicator", "id": objectID, "name": "Seeded " + value})
				if _, err := tx.AddIntel(ctx, p, []store.Intel{{Format: store.FormatSTIX, Source: "seed " + value, ObjectID: objectID,
					ObjectType: "indicator", Version: time.Now(), TLP: label, Body: body}}); err != nil {
					return err
				}
				return nil
			})
			if err != nil {
				w.t.Fatal(err)
			}
			if objectID == "" {
				return shared, 0
			}
			list, err := w.db.IntelList(ctx, p, 1)
			if err != nil || len(list) != 1 {
				w.t.Fatalf("seeded intel not listed: %v", err)
			}
			return shared, list[0].ID
		}
		w.ownA["shared"], _ = mk(w.aAdmin.user, "seed-anna.example", share.TLPAmber, "")
		w.ofB["shared"], w.ofB["intel"] = mk(w.bAdmin.user, marker+"-c2.example", share.TLPAmber, "indicator--0b0b0b0b-0000-4000-8000-00000000000b")
		// A holds no intel, so other tests see an empty list; the matrix
		// uses A's id only where the route refuses first (no session, a
		// viewer on a write route), and the browser's routes only read.
		w.ownA["intel"] = w.ofB["intel"] + 1000
	})
}

// communityText returns everything the community channels serve A's token:
// the MISP community feed (manifest and every event) and the TAXII
// community collection's objects.
func (w *world) communityText() (misp, taxii string) {
	w.t.Helper()
	r := w.do(req{method: http.MethodGet, path: "/feeds/misp/community/manifest.json", token: w.aToken})
	if r.status != http.StatusOK {
		w.t.Fatalf("community manifest: %d %s", r.status, r.body)
	}
	man, err := share.ParseMISPManifest([]byte(r.body))
	if err != nil {
		w.t.Fatal(err)
	}
	var all strings.Builder
	for uuid := range man {
		ev := w.do(req{method: http.MethodGet, path: "/feeds/misp/community/" + uuid + ".json", token: w.aToken})
		if ev.status != http.StatusOK {
			w.t.Fatalf("community event %s: %d", uuid, ev.status)
		}
		all.WriteString(ev.body)
	}
	t := w.do(req{method: http.MethodGet, path: "/taxii2/api/collections/" + web.CollectionID("community") + "/objects/", token: w.aToken})
	if t.status != http.StatusOK {
		w.t.Fatalf("community collection: %d %s", t.status, t.body)
	}
	return all.String(), t.body
}

func auditSummaries(t *testing.T, db *store.DB, org int64, action string) []map[string]any {
	t.Helper()
	es, err := db.ListAudit(ctx, access.System, store.AuditFilter{OrgID: org, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, e := range es {
		if e.Action == action {
			m := map[string]any{"_actor": e.Actor}
			_ = json.Unmarshal([]byte(e.Summary), &m)
			out = append(out, m)
		}
	}
	return out
}

func TestSharingOverview(t *testing.T) {
	w := newWorld(t, storetest.Open(t, "sqlite"))
	r := w.do(req{method: http.MethodGet, path: "/sharing", as: &w.aAdmin})
	if r.status != http.StatusOK {
		t.Fatalf("GET /sharing: %d %s", r.status, r.body)
	}
	aColl := web.CollectionID(store.ShareScope{Channel: share.ChannelOrg, OrgID: w.a.ID}.Key())
	for _, want := range []string{
		w.ts.URL + "/feeds/misp/public/", w.ts.URL + "/feeds/misp/community/", w.ts.URL + "/taxii2/",
		w.ts.URL + "/.well-known/csaf/provider-metadata.json", web.CollectionID("public"), web.CollectionID("community"), aColl,
		w.ts.URL + "/taxii2/api/collections/" + aColl + "/objects/", "Authorization: Bearer TOKEN", `href="/admin/tokens"`,
		"seed-anna.example", `action="/sharing/observables/` + itoa(w.ownA["shared"]) + `/relabel"`, `<label for="relabel-tlp-` + itoa(w.ownA["shared"]) + `"`,
		`aria-current="page">Sharing</a>`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	// Channel maxima: public CLEAR, community GREEN, the org collection AMBER+STRICT.
	if got := between(r.body, "MISP feed, community</th>", "</tr>"); !strings.Contains(got, "TLP:GREEN") {
		t.Errorf("community feed row: %s", got)
	}
	if got := between(r.body, "TAXII collection: Your organisation", "</tr>"); !strings.Contains(got, `class="badge tlp-amber-strict">TLP:AMBER&#43;STRICT<`) {
		t.Errorf("own collection row: %s", got)
	}
	if strings.Contains(strings.ToLower(r.body), marker) {
		t.Error("A's overview shows B's data")
	}
	// A viewer sees the channels and what is shared, not the actions or the token link.
	r = w.do(req{method: http.MethodGet, path: "/sharing", as: &w.aViewer})
	if r.status != http.StatusOK || !strings.Contains(r.body, "seed-anna.example") || strings.Contains(r.body, "/relabel") ||
		strings.Contains(r.body, "/unshare") || strings.Contains(r.body, `href="/admin/tokens"`) || strings.Contains(r.body, `href="/sharing/import"`) {
		t.Errorf("viewer's overview: %d", r.status)
	}
}

func TestSharingRelabelAndUnshare(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		const value = "relabel-anna.example"
		r := w.do(req{method: http.MethodPost, path: "/api/v1/incidents", token: w.aToken, body: `{"title":"Phishing wave","aware_at":"` +
			time.Now().UTC().Add(-time.Hour).Format(time.RFC3339) + `","classification":{"class":"fraud","type":"phishing"}}`})
		inc := decode[struct {
			ID int64 `json:"id"`
		}](t, r).ID
		base := "/api/v1/incidents/" + itoa(inc)
		if r := w.do(req{method: http.MethodPost, path: base + "/observables", token: w.aToken, body: `{"kind":"domain","value":"` + value + `"}`}); r.status != http.StatusCreated {
			t.Fatalf("observable: %d %s", r.status, r.body)
		}
		r = w.do(req{method: http.MethodPost, path: base + "/shared-observables", token: w.aToken, body: `{"kind":"domain","value":"` + value + `","tlp":"TLP:AMBER"}`})
		shared := decode[store.SharedObservable](t, r)
		if shared.TLP != share.TLPAmber {
			t.Fatalf("shared: %+v", shared)
		}
		// The feeds are read (and cached) before every change.
		if misp, taxii := w.communityText(); strings.Contains(misp, value) || strings.Contains(taxii, value) {
			t.Fatal("AMBER observable on the community channels")
		}
		relabel := "/sharing/observables/" + itoa(shared.ID) + "/relabel"
		form := func(tlp, reason string) string {
			return "csrf_token=" + w.aAdmin.csrf + "&tlp=" + strings.ReplaceAll(tlp, "+", "%2B") + "&reason=" + strings.ReplaceAll(reason, " ", "+")
		}
		r = w.do(req{method: http.MethodPost, path: relabel, as: &w.aAdmin, body: form("TLP:GREEN", "")})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "reason: downgrading TLP:AMBER to TLP:GREEN needs a reason") {
			t.Fatalf("downgrade without reason: %d %s", r.status, between(r.body, `role="alert">`, "</p>"))
		}
		if got := auditSummaries(t, db, w.a.ID, "share.relabel"); len(got) != 0 {
			t.Fatalf("refused relabel audited: %v", got)
		}
		bForm := "csrf_token=" + w.bAdmin.csrf + "&tlp=TLP:GREEN&reason=mine"
		if r := w.do(req{method: http.MethodPost, path: relabel, as: &w.bAdmin, body: bForm}); r.status != http.StatusNotFound {
			t.Errorf("B relabels A's observable: %d", r.status)
		}
		r = w.do(req{method: http.MethodPost, path: relabel, as: &w.aAdmin, body: form("TLP:GREEN", "published by the vendor")})
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/sharing?flash=") {
			t.Fatalf("downgrade with reason: %d %s", r.status, r.body)
		}
		got := auditSummaries(t, db, w.a.ID, "share.relabel")
		if len(got) != 1 || got[0]["from"] != "TLP:AMBER" || got[0]["to"] != "TLP:GREEN" || got[0]["reason"] != "published by the vendor" ||
			got[0]["_actor"] != "admin@anna.example" || got[0]["value"] != value {
			t.Fatalf("relabel audit: %v", got)
		}
		page := w.do(req{method: http.MethodGet, path: r.header.Get("Location"), as: &w.aAdmin})
		if !strings.Contains(page.body, "domain "+value+" is now shared under TLP:GREEN") {
			t.Errorf("no flash after relabel")
		}
		if misp, taxii := w.communityText(); !strings.Contains(misp, value) || !strings.Contains(taxii, value) {
			t.Fatalf("GREEN observable missing from the community channels: misp %v, taxii %v", strings.Contains(misp, value), strings.Contains(taxii, value))
		}

		// Unshare: B may not; A's analyst may, and both channels drop it.
		unshare := "/sharing/observables/" + itoa(shared.ID) + "/unshare"
		if r := w.do(req{method: http.MethodPost, path: unshare, as: &w.bAdmin}); r.status != http.StatusNotFound {
			t.Errorf("B unshares A's observable: %d", r.status)
		}
		if r := w.do(req{method: http.MethodPost, path: unshare, as: &w.aAdmin}); r.status != http.StatusSeeOther {
			t.Fatalf("unshare: %d %s", r.status, r.body)
		}
		if misp, taxii := w.communityText(); strings.Contains(misp, value) || strings.Contains(taxii, value) {
			t.Fatalf("unshared observable still served: misp %v, taxii %v", strings.Contains(misp, value), strings.Contains(taxii, value))
		}
		if got := auditSummaries(t, db, w.a.ID, "share.unshare"); len(got) != 1 {
			t.Errorf("unshare audit: %v", got)
		}
		if r := w.do(req{method: http.MethodPost, path: unshare, as: &w.aAdmin}); r.status != http.StatusNotFound {
			t.Errorf("second unshare: %d", r.status)
		}

		// The API does the same.
		r = w.do(req{method: http.MethodPost, path: "/api/v1/shared-observables/" + itoa(w.ownA["shared"]) + "/relabel", token: w.aToken, body: `{"tlp":"TLP:CLEAR"}`})
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "reason") {
			t.Errorf("API downgrade without reason: %d %s", r.status, r.body)
		}
		r = w.do(req{method: http.MethodPost, path: "/api/v1/shared-observables/" + itoa(w.ownA["shared"]) + "/relabel", token: w.aToken, body: `{"tlp":"TLP:AMBER"}`})
		if r.status != http.StatusOK || decode[store.SharedObservable](t, r).TLP != share.TLPAmber {
			t.Errorf("API upgrade: %d %s", r.status, r.body)
		}
		if r := w.do(req{method: http.MethodDelete, path: "/api/v1/shared-observables/" + itoa(w.ownA["shared"]), token: w.aToken}); r.status != http.StatusNoContent {
			t.Errorf("API unshare: %d %s", r.status, r.body)
		}
	})
}

// xoristEvent is a real MISP event (PyMISP's test files), tagged tlp:white.
const xoristEvent = "../../../shared/testdata/misp/57c4445b-c548-4654-af0b-4be3950d210f.json"

func readShared(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s is absent: the shared test data is not checked out next to the repository", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const importBundle = `{"type":"bundle","id":"bundle--6f1b7d7e-6a54-4a8f-9d5e-1b0f7a2c3d4e","objects":[
 {"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111","created":"2026-02-01T10:00:00.000Z","modified":"2026-02-02T10:00:00.000Z",
  "name":"Pump C2","pattern":"[domain-name:value = 'c2.pump.example']","pattern_type":"stix","valid_from":"2026-02-01T10:00:00Z",
  "object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]},
 {"type":"indicator","spec_version":"2.1","id":"indicator--33333333-3333-4333-8333-333333333333","created":"2026-02-01T10:00:00.000Z","modified":"2026-02-01T10:00:00.000Z",
  "pattern":"[ipv4-addr:value = '192.0.2.1'","pattern_type":"stix","valid_from":"2026-02-01T10:00:00Z"}
]}`

func intelCount(t *testing.T, db *store.DB, u access.User) int {
	t.Helper()
	p, _ := db.PrincipalFor(ctx, u)
	list, err := db.IntelList(ctx, p, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func TestSharingImport(t *testing.T) {
	event := readShared(t, xoristEvent)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)

		// A real MISP event through the form: it appears in the browser with its TLP.
		r := w.upload("/sharing/import", &w.aAdmin, "", map[string]string{"format": "auto"}, "xorist.json", event)
		if r.status != http.StatusOK || !strings.Contains(r.body, "<strong>1 added</strong>, 0 unchanged, 0 rejected (misp)") {
			t.Fatalf("import the event: %d %s", r.status, between(r.body, "<main", "</main>"))
		}
		list := w.do(req{method: http.MethodGet, path: "/sharing/intel?format=misp", as: &w.aViewer})
		row := between(list.body, "Ransomware - Xorist", "</tr>")
		if list.status != http.StatusOK || !strings.Contains(row, "TLP:CLEAR") || !strings.Contains(row, "xorist.json") || !strings.Contains(row, "misp-event") {
			t.Fatalf("browser row of the event: %d %q", list.status, row)
		}
		ids := regexpAll(list.body, `href="/sharing/intel/(\d+)">Ransomware - Xorist`)
		if len(ids) != 1 {
			t.Fatalf("no link to the event: %v", ids)
		}
		detail := w.do(req{method: http.MethodGet, path: "/sharing/intel/" + ids[0], as: &w.aViewer})
		if detail.status != http.StatusOK || !strings.Contains(detail.body, `<span class="badge tlp-clear">TLP:CLEAR</span>`) ||
			!strings.Contains(detail.body, "57c4445b-c548-4654-af0b-4be3950d210f") || !strings.Contains(detail.body, "\n  &#34;info&#34;: &#34;Ransomware - Xorist&#34;") {
			t.Fatalf("detail page: %d %s", detail.status, between(detail.body, "<main", "</main>"))
		}
		if r := w.do(req{method: http.MethodGet, path: "/sharing/intel/" + ids[0], as: &w.bAdmin}); r.status != http.StatusNotFound {
			t.Errorf("B reads A's intel: %d", r.status)
		}
		if r := w.do(req{method: http.MethodGet, path: "/sharing/intel", as: &w.bAdmin}); strings.Contains(r.body, "Xorist") {
			t.Error("B's browser lists A's intel")
		}
		// Again: unchanged.
		r = w.upload("/sharing/import", &w.aAdmin, "", nil, "xorist.json", event)
		if !strings.Contains(r.body, "<strong>0 added</strong>, 1 unchanged") || !strings.Contains(r.body, "this version is held already") {
			t.Errorf("second import: %s", between(r.body, "<main", "</main>"))
		}

		// A STIX bundle: one added, one rejected with its id and the reason.
		r = w.upload("/sharing/import", &w.aAdmin, "", map[string]string{"format": "stix"}, "pump.json", []byte(importBundle))
		if r.status != http.StatusOK || !strings.Contains(r.body, "<strong>1 added</strong>, 0 unchanged, 1 rejected (stix)") {
			t.Fatalf("bundle: %d %s", r.status, between(r.body, "<main", "</main>"))
		}
		if rej := between(r.body, "indicator--33333333-3333-4333-8333-333333333333", "</tr>"); !strings.Contains(rej, "rejected") || !strings.Contains(rej, "pattern") {
			t.Errorf("rejected object row: %q", rej)
		}
		list = w.do(req{method: http.MethodGet, path: "/sharing/intel?format=stix&tlp=TLP%3AGREEN&q=11111111", as: &w.aAdmin})
		if row := between(list.body, "Pump C2", "</tr>"); !strings.Contains(row, "TLP:GREEN") || !strings.Contains(row, "pump.json") {
			t.Errorf("GREEN indicator in the browser: %q", row)
		}

		// A malformed file: the error names the file and the field; nothing is stored.
		before := intelCount(t, db, w.aAdmin.user)
		r = w.upload("/sharing/import", &w.aAdmin, "", nil, "broken.json", []byte(`{"Event": {"uuid": "5a0b1c2d-0000-4000-8000-00000000abcd", "Attribute": "many"}}`))
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "broken.json: misp event: field Attribute") {
			t.Errorf("malformed file: %d %s", r.status, between(r.body, `role="alert">`, "</p>"))
		}
		r = w.upload("/sharing/import", &w.aAdmin, "", nil, "half.json", []byte(`{"type": "bundle", "objects": [`))
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "half.json: ") {
			t.Errorf("truncated bundle: %d %s", r.status, between(r.body, `role="alert">`, "</p>"))
		}
		if r := w.upload("/sharing/import", &w.aAdmin, "", nil, "", nil); r.status != http.StatusBadRequest || !strings.Contains(r.body, "file: choose") {
			t.Errorf("no file: %d", r.status)
		}
		if after := intelCount(t, db, w.aAdmin.user); after != before {
			t.Errorf("a refused import stored %d objects", after-before)
		}

		// The API: a document as JSON, and a file as multipart.
		r = w.do(req{method: http.MethodPost, path: "/api/v1/intel/import", token: w.aToken, body: `{"name": "api.json", "document": ` + importBundle + `}`})
		rep := decode[store.IntelImportReport](t, r)
		if r.status != http.StatusCreated || rep.Added != 0 || rep.Unchanged != 1 || rep.Rejected != 1 || rep.Source != "api.json" {
			t.Errorf("API JSON import: %d %+v", r.status, rep)
		}
		r = w.upload("/api/v1/intel/import", nil, w.aToken, map[string]string{"format": "misp"}, "x.json", []byte(`[1]`))
		if r.status != http.StatusBadRequest || !strings.Contains(r.body, "x.json: misp event: not a JSON object") {
			t.Errorf("API multipart import of a bad file: %d %s", r.status, r.body)
		}
		if r := w.do(req{method: http.MethodPost, path: "/api/v1/intel/import", token: w.aToken, body: `{}`}); r.status != http.StatusBadRequest || !strings.Contains(r.body, "url or document is required") {
			t.Errorf("API empty import: %d %s", r.status, r.body)
		}
	})
}

// A MISP feed on a loopback server (tests may fetch loopback): the events
// it lists are imported; a missing one is rejected with the reason.
func TestSharingImportFeedURL(t *testing.T) {
	event := readShared(t, xoristEvent)
	feed := map[string]string{
		"/feed/manifest.json": `{"57c4445b-c548-4654-af0b-4be3950d210f": {"info": "Ransomware - Xorist", "timestamp": 1472541011},
			"5a0b1c2d-0000-4000-8000-00000000abcd": {"info": "Untagged"}, "5a0b1c2d-0000-4000-8000-0000000000ff": {"info": "Gone"}}`,
		"/feed/57c4445b-c548-4654-af0b-4be3950d210f.json": string(event),
		"/feed/5a0b1c2d-0000-4000-8000-00000000abcd.json": `{"Event": {"uuid": "5a0b1c2d-0000-4000-8000-00000000abcd", "info": "Untagged", "timestamp": "1700000000"}}`,
		"/bundle.json": importBundle,
	}
	var hits []string
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.URL.Path)
		body, ok := feed[r.URL.Path]
		if !ok {
			http.NotFound(rw, r)
			return
		}
		_, _ = io.WriteString(rw, body)
	}))
	defer srv.Close()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	form := func(u string) string { return "csrf_token=" + w.aAdmin.csrf + "&format=auto&url=" + u }

	r := w.do(req{method: http.MethodPost, path: "/sharing/import", as: &w.aAdmin, body: form(srv.URL + "/feed/")})
	if r.status != http.StatusOK || !strings.Contains(r.body, "<strong>2 added</strong>, 0 unchanged, 1 rejected (misp)") {
		t.Fatalf("feed import: %d %s", r.status, between(r.body, "<main", "</main>"))
	}
	if row := between(r.body, "5a0b1c2d-0000-4000-8000-0000000000ff", "</tr>"); !strings.Contains(row, "404 Not Found") {
		t.Errorf("missing event: %q", row)
	}
	if row := between(r.body, "5a0b1c2d-0000-4000-8000-00000000abcd", "</tr>"); !strings.Contains(row, "TLP:AMBER") || !strings.Contains(row, "no tlp: tag") {
		t.Errorf("untagged event: %q", row)
	}
	if strings.Join(hits, " ") != "/feed/manifest.json /feed/57c4445b-c548-4654-af0b-4be3950d210f.json /feed/5a0b1c2d-0000-4000-8000-0000000000ff.json /feed/5a0b1c2d-0000-4000-8000-00000000abcd.json" {
		t.Errorf("requests: %v", hits)
	}
	list := w.do(req{method: http.MethodGet, path: "/sharing/intel", as: &w.aAdmin})
	if row := between(list.body, "Ransomware - Xorist", "</tr>"); !strings.Contains(row, "TLP:CLEAR") || !strings.Contains(row, srv.URL+"/feed/57c4445b") {
		t.Errorf("feed event in the browser: %q", row)
	}
	// A bundle by URL through the API.
	r = w.do(req{method: http.MethodPost, path: "/api/v1/intel/import", token: w.aToken, body: `{"url": "` + srv.URL + `/bundle.json?key=secret"}`})
	if rep := decode[store.IntelImportReport](t, r); r.status != http.StatusCreated || rep.Added != 1 || rep.Source != srv.URL+"/bundle.json" {
		t.Errorf("bundle by URL: %d %+v", r.status, rep)
	}
	for _, tt := range []struct{ url, want string }{
		{"http://example.org/feed/", "must be an https URL"},
		{"https://10.1.2.3/feed/", "address 10.1.2.3 is not public"},
		{"https://[fd00::1]/feed/", "address fd00::1 is not public"},
		{"ftp://example.org/x", "must be an https URL"},
		{srv.URL + "/nothing.json", "404 Not Found"},
	} {
		r := w.do(req{method: http.MethodPost, path: "/sharing/import", as: &w.aAdmin, body: form(tt.url)})
		if r.status < 400 || !strings.Contains(between(r.body, `role="alert">`, "</p>"), tt.want) {
			t.Errorf("%s: %d %q, want %q", tt.url, r.status, between(r.body, `role="alert">`, "</p>"), tt.want)
		}
	}
}
