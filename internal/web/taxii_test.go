package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
	"github.com/aceso-health/aceso/internal/web"
)

const taxiiType = "application/taxii+json;version=2.1"

// The route matrix fills path parameters with integers. TAXII collection,
// object and status ids and MISP event files are UUIDs, so the matrix's
// requests are clean 404s; TestTAXIIServer checks B's real collection.
// The seeder gives B an AMBER+STRICT indicator addressed to itself whose
// value carries the marker: it must never reach A.
func init() {
	seeders = append(seeders, func(w *world) {
		shareObs(w.t, w.db, w.a, "Anna shared incident", "anna-c2.example", share.TLPGreen, 0)
		shareObs(w.t, w.db, w.b, "Nord shared incident "+marker, marker+"-c2.example", share.TLPAmberStrict, w.b.ID)
		for _, k := range []string{"collection", "object", "status", "event"} {
			w.ownA[k], w.ofB[k] = 1, 2
		}
	})
}

// shareObs creates an incident of org with one domain observable and shares it.
func shareObs(t testing.TB, db *store.DB, org access.Org, title, domain string, label share.TLP, addressed int64) {
	t.Helper()
	p := access.System
	p.OrgID, p.OrgKind = org.ID, org.Kind
	err := db.InTx(ctx, func(tx *store.Tx) error {
		r, err := tx.CreateIncident(ctx, p, &incident.Incident{Title: title, AwareAt: time.Now().Add(-time.Hour)}, incident.Assessment{})
		if err != nil {
			return err
		}
		if err := tx.AddObservable(ctx, p, r.ID, &incident.Observable{Kind: "domain", Value: domain}); err != nil {
			return err
		}
		_, err = tx.ShareObservable(ctx, p, r.ID, "domain", domain, label, addressed)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// importAdvisories stores one advisory per label, imported by the CSIRT.
func importAdvisories(t testing.TB, db *store.DB, labels ...share.TLP) {
	t.Helper()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, l := range labels {
			slug := strings.NewReplacer("TLP:", "", "+", "-").Replace(l.String())
			a := &advisory.Advisory{ID: "WEB-" + slug, Title: "Pump flaw " + slug, TLP: l.String(), Revision: "1",
				CurrentRelease: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
				Vulnerabilities: []advisory.Vulnerability{{CVE: fmt.Sprintf("CVE-2026-77%02d", int(l)),
					Remediations: []advisory.Remediation{{Category: "vendor_fix", Details: "update " + slug}}}}}
			if _, err := tx.ImportAdvisory(ctx, access.System, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

type taxiiReq struct {
	method, path, token, accept, ctype, body string
}

func (w *world) taxii(r taxiiReq) resp {
	w.t.Helper()
	if r.method == "" {
		r.method = http.MethodGet
	}
	hr, err := http.NewRequest(r.method, w.ts.URL+r.path, strings.NewReader(r.body))
	if err != nil {
		w.t.Fatal(err)
	}
	if r.accept == "" {
		r.accept = taxiiType
	}
	hr.Header.Set("Accept", r.accept)
	if r.ctype != "" {
		hr.Header.Set("Content-Type", r.ctype)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

type taxiiEnvelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

func decodeEnv(t *testing.T, r resp) taxiiEnvelope {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != taxiiType {
		t.Errorf("Content-Type %q", ct)
	}
	var env taxiiEnvelope
	if err := json.Unmarshal([]byte(r.body), &env); err != nil {
		t.Fatal(err)
	}
	return env
}

type stixHead struct {
	ID       string   `json:"id"`
	Type     string   `json:"type"`
	Markings []string `json:"object_marking_refs"`
	Pattern  string   `json:"pattern"`
}

func heads(t *testing.T, env taxiiEnvelope) []stixHead {
	t.Helper()
	out := make([]stixHead, len(env.Objects))
	for i, raw := range env.Objects {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func assertTAXIIError(t *testing.T, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var e struct {
		Title      string `json:"title"`
		HTTPStatus string `json:"http_status"`
		Error      struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(r.body), &e); err != nil || e.Title == "" || e.HTTPStatus != fmt.Sprint(status) || e.Error.Message == "" {
		t.Errorf("not a TAXII error object: %q (%v)", r.body, err)
	}
}

func collURL(key string, rest string) string {
	return "/taxii2/api/collections/" + web.CollectionID(key) + "/" + rest
}

func TestTAXIIServer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		importAdvisories(t, db, share.Labels...)
		bToken := w.token(w.bAdmin.user, &access.APIToken{Name: "nord-taxii", Role: access.RoleAdmin})
		aOrg, bOrg := fmt.Sprintf("org:%d", w.a.ID), fmt.Sprintf("org:%d", w.b.ID)

		t.Run("discovery and negotiation", func(t *testing.T) {
			r := w.taxii(taxiiReq{path: "/taxii2/"})
			if r.status != 200 || !strings.Contains(r.body, w.ts.URL+"/taxii2/api/") || r.header.Get("Content-Type") != taxiiType {
				t.Fatalf("discovery: %d %s", r.status, r.body)
			}
			assertTAXIIError(t, w.taxii(taxiiReq{path: "/taxii2/", accept: "application/json"}), http.StatusNotAcceptable)
			assertTAXIIError(t, w.taxii(taxiiReq{path: "/taxii2/api/", accept: "application/taxii+json;version=2.0"}), http.StatusNotAcceptable)
			if r := w.taxii(taxiiReq{path: "/taxii2/api/", accept: "application/taxii+json"}); r.status != 200 || !strings.Contains(r.body, "max_content_length") {
				t.Errorf("api root: %d %s", r.status, r.body)
			}
			assertTAXIIError(t, w.taxii(taxiiReq{path: collURL("community", "objects/")}), http.StatusUnauthorized)
			assertTAXIIError(t, w.taxii(taxiiReq{path: collURL("community", "objects/"), token: "aceso_bogus"}), http.StatusUnauthorized)
		})

		t.Run("collections per caller", func(t *testing.T) {
			var list struct {
				Collections []struct {
					ID       string `json:"id"`
					CanWrite bool   `json:"can_write"`
				} `json:"collections"`
			}
			r := w.taxii(taxiiReq{path: "/taxii2/api/collections/"})
			_ = json.Unmarshal([]byte(r.body), &list)
			if len(list.Collections) != 1 || list.Collections[0].ID != web.CollectionID("public") || list.Collections[0].CanWrite {
				t.Fatalf("anonymous collections: %s", r.body)
			}
			r = w.taxii(taxiiReq{path: "/taxii2/api/collections/", token: w.aToken})
			_ = json.Unmarshal([]byte(r.body), &list)
			got := []string{}
			for _, c := range list.Collections {
				got = append(got, c.ID)
			}
			want := []string{web.CollectionID("public"), web.CollectionID("community"), web.CollectionID(aOrg)}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Fatalf("A's collections %v, want %v", got, want)
			}
			if strings.Contains(r.body, web.CollectionID(bOrg)) {
				t.Error("A sees B's collection id")
			}
		})

		t.Run("nothing above a collection's label", func(t *testing.T) {
			for _, tt := range []struct {
				name, key, token string
				max              share.TLP
			}{
				{"public, no token", "public", "", share.TLPClear},
				{"community as A", "community", w.aToken, share.TLPGreen},
				{"A's own", aOrg, w.aToken, share.TLPAmberStrict},
				{"B's own", bOrg, bToken, share.TLPAmberStrict},
			} {
				t.Run(tt.name, func(t *testing.T) {
					env := decodeEnv(t, w.taxii(taxiiReq{path: collURL(tt.key, "objects/"), token: tt.token}))
					hs := heads(t, env)
					if len(hs) == 0 {
						t.Fatal("no objects")
					}
					for _, h := range hs {
						l, ok := share.MarkingsTLP(h.Markings)
						if !ok || l.Stricter(tt.max) {
							t.Errorf("%s labelled %s (%v) above %s", h.ID, l, ok, tt.max)
						}
					}
					var all []string
					for _, o := range env.Objects {
						all = append(all, string(o))
					}
					body := strings.ToLower(strings.Join(all, "\n"))
					if (tt.key == bOrg) != strings.Contains(body, marker) {
						t.Errorf("marker present: %v on %s", strings.Contains(body, marker), tt.key)
					}
				})
			}
		})

		t.Run("another organisation's collection is not found", func(t *testing.T) {
			for _, path := range []string{collURL(bOrg, ""), collURL(bOrg, "objects/"), collURL(bOrg, "manifest/"),
				collURL(bOrg, "objects/"+share.DeterministicID("indicator", "x")+"/")} {
				r := w.taxii(taxiiReq{path: path, token: w.aToken})
				assertTAXIIError(t, r, http.StatusNotFound)
				if strings.Contains(strings.ToLower(r.body), marker) {
					t.Errorf("%s reveals B: %s", path, r.body)
				}
			}
			r := w.taxii(taxiiReq{method: http.MethodPost, path: collURL(bOrg, "objects/"), token: w.aToken, ctype: taxiiType, body: `{"objects":[]}`})
			assertTAXIIError(t, r, http.StatusNotFound)
		})

		t.Run("filters and paging", func(t *testing.T) {
			all := heads(t, decodeEnv(t, w.taxii(taxiiReq{path: collURL("community", "objects/"), token: w.aToken})))
			var paged []stixHead
			next, pages := "", 0
			for {
				path := collURL("community", "objects/?limit=2")
				if next != "" {
					path += "&next=" + url.QueryEscape(next)
				}
				r := w.taxii(taxiiReq{path: path, token: w.aToken})
				env := decodeEnv(t, r)
				if r.header.Get("X-TAXII-Date-Added-First") == "" || r.header.Get("X-TAXII-Date-Added-Last") == "" {
					t.Error("date-added headers missing")
				}
				paged = append(paged, heads(t, env)...)
				pages++
				if !env.More {
					break
				}
				next = env.Next
				if pages > 50 {
					t.Fatal("paging does not end")
				}
			}
			if len(paged) != len(all) || pages != (len(all)+1)/2 {
				t.Fatalf("paged %d objects in %d pages, unpaged %d", len(paged), pages, len(all))
			}
			for i := range all {
				if paged[i].ID != all[i].ID {
					t.Fatalf("page order differs at %d: %s vs %s", i, paged[i].ID, all[i].ID)
				}
			}
			vulns := heads(t, decodeEnv(t, w.taxii(taxiiReq{path: collURL("community", "objects/?match[type]=vulnerability"), token: w.aToken})))
			mine := map[string]bool{}
			for _, v := range vulns {
				if v.Type != "vulnerability" {
					t.Errorf("match[type] let %s through", v.ID)
				}
				mine[v.ID] = true
			}
			for _, l := range share.Labels {
				v, _ := share.NewVulnerability(fmt.Sprintf("CVE-2026-77%02d", int(l)), "", time.Now(), l, "")
				if mine[v.ID] != share.AllowedOn(l, share.ChannelCommunity) {
					t.Errorf("vulnerability of the %s advisory: listed %v", l, mine[v.ID])
				}
			}
			one := heads(t, decodeEnv(t, w.taxii(taxiiReq{path: collURL("community", "objects/?match[id]="+vulns[0].ID), token: w.aToken})))
			if len(one) != 1 || one[0].ID != vulns[0].ID {
				t.Errorf("match[id]: %+v", one)
			}
			future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
			if env := decodeEnv(t, w.taxii(taxiiReq{path: collURL("community", "objects/?added_after="+future), token: w.aToken})); len(env.Objects) != 0 {
				t.Errorf("added_after in the future returned %d objects", len(env.Objects))
			}
			assertTAXIIError(t, w.taxii(taxiiReq{path: collURL("community", "objects/?added_after=yesterday"), token: w.aToken}), http.StatusBadRequest)
			assertTAXIIError(t, w.taxii(taxiiReq{path: collURL("community", "objects/?next=bm9wZQ"), token: w.aToken}), http.StatusBadRequest)
			r := w.taxii(taxiiReq{path: collURL("community", "manifest/"), token: w.aToken})
			var man struct {
				Objects []struct{ ID, Version, MediaType string } `json:"objects"`
			}
			if err := json.Unmarshal([]byte(r.body), &man); err != nil || len(man.Objects) != len(all) {
				t.Errorf("manifest: %d entries for %d objects (%v)", len(man.Objects), len(all), err)
			}
			r = w.taxii(taxiiReq{path: collURL("community", "objects/"+vulns[0].ID+"/versions/"), token: w.aToken})
			if r.status != 200 || !strings.Contains(r.body, `"versions"`) {
				t.Errorf("versions: %d %s", r.status, r.body)
			}
		})

		t.Run("post objects", func(t *testing.T) {
			now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
			ind := func(id, pattern, marking string) string {
				refs := ""
				if marking != "" {
					refs = `,"object_marking_refs":["` + marking + `"]`
				}
				return `{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"` + now + `","modified":"` + now +
					`","pattern":"` + pattern + `","pattern_type":"stix","valid_from":"` + now + `"` + refs + `}`
			}
			green := "indicator--6b1f0c43-6f0e-4ad0-9d3b-1a2b3c4d5e6f"
			body := `{"objects":[` + ind(green, "[domain-name:value = 'posted.example']", share.MarkingGreen) + `,` +
				ind("indicator--7b1f0c43-6f0e-4ad0-9d3b-1a2b3c4d5e6f", "[domain-name:value = 'amber.example']", share.MarkingAmber) + `,` +
				ind("indicator--8b1f0c43-6f0e-4ad0-9d3b-1a2b3c4d5e6f", "[domain-name:value = 'unmarked.example']", "") + `,"junk"]}`
			r := w.taxii(taxiiReq{method: http.MethodPost, path: collURL("community", "objects/"), token: w.aToken, ctype: taxiiType, body: body})
			if r.status != http.StatusAccepted {
				t.Fatalf("post: %d %s", r.status, r.body)
			}
			var st struct {
				ID      string `json:"id"`
				Status  string `json:"status"`
				Total   int    `json:"total_count"`
				Success int    `json:"success_count"`
				Failure int    `json:"failure_count"`
			}
			if err := json.Unmarshal([]byte(r.body), &st); err != nil || st.Status != "complete" || st.Total != 4 || st.Success != 1 || st.Failure != 3 {
				t.Fatalf("status: %s (%v)", r.body, err)
			}
			if again := w.taxii(taxiiReq{path: "/taxii2/api/status/" + st.ID + "/", token: w.aToken}); again.status != 200 || !strings.Contains(again.body, st.ID) {
				t.Errorf("status fetch: %d %s", again.status, again.body)
			}
			assertTAXIIError(t, w.taxii(taxiiReq{path: "/taxii2/api/status/" + st.ID + "/", token: bToken}), http.StatusNotFound)
			// B now reads A's contribution on the community collection; the refused ones are nowhere.
			env := decodeEnv(t, w.taxii(taxiiReq{path: collURL("community", "objects/"), token: bToken}))
			got := fmt.Sprint(heads(t, env))
			if !strings.Contains(got, green) || strings.Contains(got, "amber.example") || strings.Contains(got, "unmarked.example") {
				t.Errorf("community after post: %s", got)
			}
			// Rules: media type, role, public collection, size.
			assertTAXIIError(t, w.taxii(taxiiReq{method: http.MethodPost, path: collURL("community", "objects/"), token: w.aToken, ctype: "application/json", body: body}), http.StatusUnsupportedMediaType)
			assertTAXIIError(t, w.taxii(taxiiReq{method: http.MethodPost, path: collURL("community", "objects/"), token: w.aViewerToken, ctype: taxiiType, body: body}), http.StatusForbidden)
			assertTAXIIError(t, w.taxii(taxiiReq{method: http.MethodPost, path: collURL("public", "objects/"), token: w.aToken, ctype: taxiiType, body: body}), http.StatusForbidden)
			big := `{"objects":["` + strings.Repeat("x", 11<<20) + `"]}`
			assertTAXIIError(t, w.taxii(taxiiReq{method: http.MethodPost, path: collURL("community", "objects/"), token: w.aToken, ctype: taxiiType, body: big}), http.StatusRequestEntityTooLarge)
		})
	})
}

func TestAcceptNegotiation(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	for _, tt := range []struct {
		name, accept string
		want         int
	}{
		{"taxii 2.1", "application/taxii+json;version=2.1", 200},
		{"taxii without version", "application/taxii+json", 200},
		{"any", "*/*", 200},
		{"list with taxii", "application/json, application/taxii+json;version=2.1", 200},
		{"stix", "application/stix+json;version=2.1", 406},
		{"taxii 2.0", "application/taxii+json;version=2.0", 406},
		{"refused by q=0", "application/taxii+json;version=2.1;q=0", 406},
		{"html", "text/html", 406},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r := w.taxii(taxiiReq{path: "/taxii2/api/collections/", accept: tt.accept}); r.status != tt.want {
				t.Errorf("Accept %q: %d, want %d", tt.accept, r.status, tt.want)
			}
		})
	}
}

func FuzzPostedObject(f *testing.F) {
	f.Add(`{"type":"indicator","spec_version":"2.1","id":"indicator--6b1f0c43-6f0e-4ad0-9d3b-1a2b3c4d5e6f","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","object_marking_refs":["`+share.MarkingGreen+`"]}`, "community")
	f.Add(`{"type":"marking-definition","id":"`+share.MarkingClear+`"}`, "public")
	f.Add(`[1,2]`, "org")
	f.Add(`{"type":"x-custom","id":"x-custom--6b1f0c43-6f0e-4ad0-9d3b-1a2b3c4d5e6f","object_marking_refs":["`+share.MarkingRed+`"]}`, "org")
	f.Fuzz(func(t *testing.T, raw, channel string) {
		it, skip, problem := web.PostedObject(json.RawMessage(raw), share.Channel(channel))
		if problem != "" || skip {
			return
		}
		// Whatever is accepted for storage carries a label allowed on the
		// channel and its JSON unchanged.
		if !share.AllowedOn(it.TLP, share.Channel(channel)) {
			t.Fatalf("accepted %s on %q", it.TLP, channel)
		}
		if string(it.Body) != raw || it.ObjectID == "" {
			t.Fatalf("body or id changed: %q %q", it.Body, it.ObjectID)
		}
	})
}

func BenchmarkTAXIIObjectsPage(b *testing.B) {
	db := storetest.Open(b, "sqlite")
	var org access.Org
	var p access.Principal
	err := db.InTx(ctx, func(tx *store.Tx) error {
		org = access.Org{Name: "Bench Hospital", Kind: access.KindMember}
		if err := tx.CreateOrg(ctx, access.System, &org); err != nil {
			return err
		}
		u := access.User{OrgID: org.ID, Email: "bench@h.example", Name: "b", Role: access.RoleAdmin, PasswordHash: "x"}
		if err := tx.CreateUser(ctx, access.System, &u); err != nil {
			return err
		}
		p = access.Principal{UserID: u.ID, UserName: u.Email, OrgID: org.ID, OrgKind: org.Kind, Role: access.RoleAdmin}
		items := make([]store.Intel, 1000)
		for i := range items {
			ind, _ := share.NewIndicator(share.Observable{Kind: "ip", Value: fmt.Sprintf("10.%d.%d.1", i/256, i%256)}, time.Now(), share.TLPGreen, "")
			raw, _ := json.Marshal(ind)
			items[i] = store.Intel{Format: store.FormatSTIX, Collection: "community", ObjectID: ind.ID, ObjectType: "indicator",
				Version: ind.Modified.Time, SpecVersion: "2.1", TLP: share.TLPGreen, Body: raw}
		}
		_, err := tx.AddIntel(ctx, p, items)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	secret, hash, _ := access.NewToken("aceso")
	tok := access.APIToken{Name: "bench", Role: access.RoleViewer, Prefix: secret[:12]}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateToken(ctx, p, &tok, hash) }); err != nil {
		b.Fatal(err)
	}
	srv, _ := web.New(web.Options{DB: db, Log: discardLog(), Version: "bench"})
	ts := newTestServer(b, srv)
	url := ts + collURL("community", "objects/?limit=1000")
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Accept", taxiiType)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || n < 100_000 {
			b.Fatalf("status %d, %d bytes", res.StatusCode, n)
		}
		b.SetBytes(n)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestServer(tb testing.TB, h http.Handler) string {
	ts := httptest.NewServer(h)
	tb.Cleanup(ts.Close)
	return ts.URL
}
