package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/gocsaf/csaf/v3/csaf"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/share"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
	"github.com/aceso-health/aceso/internal/web"
)

func init() {
	// The CSAF provider's path parameters name no tenant object: a year and
	// a file name that does not exist is a 404 for everyone.
	seeders = append(seeders, func(w *world) {
		w.ownA["csaf_key"], w.ofB["csaf_key"] = 1, 2
		w.ownA["csaf_year"], w.ofB["csaf_year"] = 1998, 1999
		w.ownA["csaf_file"], w.ofB["csaf_file"] = 1, 2
	})
}

const icsmaDir = "../../../shared/testdata/csaf/icsma"

// csafWorld is a world with the real ICSMA advisories imported under a
// spread of TLP labels, served over TLS.
type csafWorld struct {
	*world
	tls        *httptest.Server
	byLabel    map[string][]string // TLP 2.0 label → tracking ids
	csirtToken string
}

func newCSAFWorld(t *testing.T, db *store.DB) *csafWorld {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(icsmaDir, "*.json"))
	if len(files) == 0 {
		t.Skipf("no shared test data in %s", icsmaDir)
	}
	w := &csafWorld{world: newWorld(t, db), byLabel: map[string][]string{}}
	labels := []string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED", "TLP:CLEAR", "TLP:CLEAR"}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i, f := range files {
			a, err := advisory.ParseFile(f)
			if err != nil {
				return err
			}
			a.TLP = labels[i%len(labels)]
			if _, err := tx.ImportAdvisory(ctx, access.System, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Other features' seeders store advisories too: expect what is stored.
	all, err := db.Advisories(ctx, access.System, store.AdvisoryFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all {
		w.byLabel[a.TLP] = append(w.byLabel[a.TLP], a.TrackingID)
	}
	w.csirtToken = w.token(w.csirtAdmin.user, &access.APIToken{Name: "cert-feed", Role: access.RoleViewer})
	w.tls = httptest.NewTLSServer(w.srv)
	t.Cleanup(w.tls.Close)
	return w
}

func (w *csafWorld) get(t *testing.T, u, token string) (int, []byte) {
	t.Helper()
	if strings.HasPrefix(u, "/") {
		u = w.tls.URL + u
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := w.tls.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %.200s", err, b)
	}
	return v
}

type providerMD struct {
	Distributions []struct {
		DirectoryURL string `json:"directory_url"`
		ROLIE        struct {
			Feeds []struct {
				TLPLabel string `json:"tlp_label"`
				URL      string `json:"url"`
			} `json:"feeds"`
		} `json:"rolie"`
	} `json:"distributions"`
	Keys []struct{ Fingerprint, URL string } `json:"public_openpgp_keys"`
	Role string                              `json:"role"`
}

type rolie struct {
	Feed struct {
		Entry []struct {
			ID   string `json:"id"`
			Link []struct{ Rel, Href string }
		} `json:"entry"`
	} `json:"feed"`
}

// TestCSAFProviderServesValidSignedDocuments walks the provider as a
// client would: metadata → feeds → documents, for the public caller, a
// member's token and the CSIRT's token. Every document is schema-valid
// CSAF, carries its directory's label, matches its .sha256/.sha512 and
// verifies against the served OpenPGP key; each directory holds exactly
// the advisories of its label the caller may see; AMBER+STRICT and RED
// are never served.
func TestCSAFProviderServesValidSignedDocuments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newCSAFWorld(t, db)
		tests := []struct {
			name  string
			token string
			want  map[string][]string // csaf label → tracking ids
		}{
			{name: "public", want: map[string][]string{"WHITE": w.byLabel["TLP:CLEAR"]}},
			{name: "member token", token: w.aToken, want: map[string][]string{"WHITE": w.byLabel["TLP:CLEAR"], "GREEN": w.byLabel["TLP:GREEN"], "AMBER": nil}},
			{name: "csirt token", token: w.csirtToken, want: map[string][]string{"WHITE": w.byLabel["TLP:CLEAR"], "GREEN": w.byLabel["TLP:GREEN"], "AMBER": w.byLabel["TLP:AMBER"]}},
		}
		forbidden := append(slices.Clone(w.byLabel["TLP:AMBER+STRICT"]), w.byLabel["TLP:RED"]...)
		if len(forbidden) == 0 || len(w.byLabel["TLP:GREEN"]) == 0 {
			t.Fatal("test data too small")
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				st, body := w.get(t, "/.well-known/csaf/provider-metadata.json", tt.token)
				if st != http.StatusOK {
					t.Fatalf("metadata: %d %s", st, body)
				}
				if errs, err := csaf.ValidateProviderMetadata(decodeAny(t, body)); err != nil || len(errs) > 0 {
					t.Fatalf("provider metadata invalid: %v %v\n%s", errs, err, body)
				}
				var md providerMD
				_ = json.Unmarshal(body, &md)
				if md.Role != "csaf_trusted_provider" || len(md.Keys) != 1 {
					t.Fatalf("metadata: %s", body)
				}
				st, key := w.get(t, md.Keys[0].URL, "")
				if st != http.StatusOK {
					t.Fatalf("key: %d", st)
				}
				ring, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(key))
				if err != nil || len(ring) != 1 || ring[0].PrivateKey != nil {
					t.Fatalf("served key: %v (private part served: %v)", err, len(ring) == 1 && ring[0].PrivateKey != nil)
				}
				if fp := strings.ToUpper(hex.EncodeToString(ring[0].PrimaryKey.Fingerprint)); fp != md.Keys[0].Fingerprint {
					t.Errorf("fingerprint %s, metadata says %s", fp, md.Keys[0].Fingerprint)
				}
				got := map[string][]string{}
				for _, d := range md.Distributions {
					for _, f := range d.ROLIE.Feeds {
						got[f.TLPLabel] = w.checkFeed(t, f.URL, d.DirectoryURL, f.TLPLabel, tt.token, ring, forbidden)
					}
				}
				if len(got) != len(tt.want) {
					t.Errorf("feeds %v, want labels of %v", got, tt.want)
				}
				for label, ids := range tt.want {
					g := got[label]
					slices.Sort(g)
					ids = slices.Clone(ids)
					slices.Sort(ids)
					if !slices.Equal(g, ids) {
						t.Errorf("TLP:%s feed holds %v, want %v", label, g, ids)
					}
				}
			})
		}
		// Protected directories refuse the public; a bad token is 401 everywhere.
		for _, p := range []string{"/.well-known/csaf/green/index.txt", "/.well-known/csaf/amber/csaf-feed-tlp-amber.json", "/.well-known/csaf/green/changes.csv"} {
			if st, _ := w.get(t, p, ""); st != http.StatusUnauthorized {
				t.Errorf("%s without token: %d, want 401", p, st)
			}
		}
		if st, _ := w.get(t, "/.well-known/csaf/provider-metadata.json", "aceso_bogus"); st != http.StatusUnauthorized {
			t.Errorf("bad token: %d, want 401", st)
		}
		for _, p := range []string{"/.well-known/csaf/red/index.txt", "/.well-known/csaf/white/2020/..%2f..%2fx.json", "/.well-known/csaf/white/20x0/a.json"} {
			if st, _ := w.get(t, p, w.csirtToken); st != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", p, st)
			}
		}
	})
}

// checkFeed validates one ROLIE feed and every document it lists, and
// returns the tracking ids it holds.
func (w *csafWorld) checkFeed(t *testing.T, feedURL, dirURL, label, token string, ring openpgp.EntityList, forbidden []string) []string {
	t.Helper()
	st, body := w.get(t, feedURL, token)
	if st != http.StatusOK {
		t.Fatalf("feed %s: %d %s", feedURL, st, body)
	}
	if errs, err := csaf.ValidateROLIE(decodeAny(t, body)); err != nil || len(errs) > 0 {
		t.Fatalf("feed %s invalid: %v %v", feedURL, errs, err)
	}
	var feed rolie
	_ = json.Unmarshal(body, &feed)
	_, index := w.get(t, dirURL+"index.txt", token)
	_, changes := w.get(t, dirURL+"changes.csv", token)
	var ids []string
	for _, e := range feed.Feed.Entry {
		ids = append(ids, e.ID)
		links := map[string][]string{}
		for _, l := range e.Link {
			links[l.Rel] = append(links[l.Rel], l.Href)
		}
		self := links["self"][0]
		rel := strings.TrimPrefix(self, dirURL)
		if rel != share.CSAFPath(&advisory.Advisory{ID: e.ID, InitialRelease: time.Time{}}) && !strings.HasSuffix(rel, "/"+share.CSAFFileName(e.ID)) {
			t.Errorf("%s: file %s does not follow the naming rule", e.ID, rel)
		}
		if !strings.Contains(string(index), rel+"\n") || !strings.Contains(string(changes), rel+",") {
			t.Errorf("%s: %s missing from index.txt or changes.csv", e.ID, rel)
		}
		st, doc := w.get(t, self, token)
		if st != http.StatusOK {
			t.Fatalf("%s: %d", self, st)
		}
		if errs, err := csaf.ValidateCSAF(decodeAny(t, doc)); err != nil || len(errs) > 0 {
			t.Errorf("%s: invalid CSAF: %v %v", self, errs, err)
		}
		var d struct {
			Document struct {
				Distribution struct{ TLP struct{ Label string } }
				Tracking     struct{ ID string }
			}
		}
		_ = json.Unmarshal(doc, &d)
		if d.Document.Distribution.TLP.Label != label || d.Document.Tracking.ID != e.ID {
			t.Errorf("%s: label %s id %s in the %s feed", self, d.Document.Distribution.TLP.Label, d.Document.Tracking.ID, label)
		}
		s256, s512 := sha256.Sum256(doc), sha512.Sum512(doc)
		for _, h := range []struct{ url, want string }{{self + ".sha256", hex.EncodeToString(s256[:])}, {self + ".sha512", hex.EncodeToString(s512[:])}} {
			if !slices.Contains(links["hash"], h.url) {
				t.Errorf("%s: feed does not link %s", e.ID, h.url)
			}
			_, sum := w.get(t, h.url, token)
			if f := strings.Fields(string(sum)); len(f) != 2 || f[0] != h.want || f[1] != filepath.Base(self) {
				t.Errorf("%s: %q, want %s", h.url, sum, h.want)
			}
		}
		_, sig := w.get(t, self+".asc", token)
		if _, err := openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(doc), bytes.NewReader(sig), nil); err != nil {
			t.Errorf("%s.asc does not verify: %v", self, err)
		}
		for _, id := range forbidden {
			if id == e.ID {
				t.Errorf("%s served in the %s feed", id, label)
			}
		}
	}
	return ids
}

// bearer adds an API token to every request of Aceso's feed client.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// TestCSAFProviderFeedClient has Aceso's own provider-feed client
// (advisory.Feed, as used by feed sync) consume the provider over TLS: a
// public sync imports exactly the TLP:CLEAR advisories, verified against
// their hashes and unchanged in substance; with the CSIRT's token it also
// gets GREEN and AMBER, never AMBER+STRICT or RED.
func TestCSAFProviderFeedClient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newCSAFWorld(t, db)
		tests := []struct {
			name, token string
			want        []string
		}{
			{name: "public", want: w.byLabel["TLP:CLEAR"]},
			{name: "csirt token", token: w.csirtToken, want: slices.Concat(w.byLabel["TLP:CLEAR"], w.byLabel["TLP:GREEN"], w.byLabel["TLP:AMBER"])},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				client := w.tls.Client()
				if tt.token != "" {
					client = &http.Client{Transport: bearer{tt.token, client.Transport}}
				}
				f := advisory.Feed{Client: client}
				var got []string
				next, err := f.Sync(context.Background(), w.tls.URL+"/.well-known/csaf/provider-metadata.json", time.Time{}, func(a *advisory.Advisory, err error) error {
					if err != nil {
						t.Errorf("sync: %v", err)
						return nil
					}
					for _, warn := range a.Warnings {
						t.Errorf("%s: %s", a.ID, warn)
					}
					orig, err := db.AdvisoryIDByTracking(ctx, a.ID)
					if err != nil {
						t.Fatal(err)
					}
					stored, err := db.Advisory(ctx, access.System, orig)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(a.CVEs(), stored.Doc.CVEs()) || len(a.Products) != len(stored.Doc.Products) || a.TLP != stored.TLP {
						t.Errorf("%s: changed in transit: %v/%d/%s vs %v/%d/%s", a.ID, a.CVEs(), len(a.Products), a.TLP, stored.Doc.CVEs(), len(stored.Doc.Products), stored.TLP)
					}
					got = append(got, a.ID)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if next.IsZero() {
					t.Error("sync returned no position")
				}
				slices.Sort(got)
				want := slices.Clone(tt.want)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("imported %d %v\nwant %d %v", len(got), got, len(want), want)
				}
			})
		}
	})
}

// plainGet fetches u from a plain-HTTP test server, as host when it is
// not empty, with an optional token and Accept header.
func plainGet(t *testing.T, ts *httptest.Server, u, host, token, accept string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if host != "" {
		req.Host = host
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// absoluteURLs returns every string value of a JSON document that is an
// http(s) URL.
func absoluteURLs(v any) []string {
	var out []string
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "http://") || strings.HasPrefix(x, "https://") {
			out = append(out, x)
		}
	case []any:
		for _, e := range x {
			out = append(out, absoluteURLs(e)...)
		}
	case map[string]any:
		for _, e := range x {
			out = append(out, absoluteURLs(e)...)
		}
	}
	return out
}

// TestCSAFProviderPublicURL proves that with a configured public URL every
// absolute URL the provider writes (canonical_url, directories, ROLIE
// feeds and entries, the service document, key URLs, the publisher
// namespace of each document) and the TAXII api_roots start with it, even
// when a client sends "Host: evil.example"; and, as a control, that
// without one they follow the Host header.
func TestCSAFProviderPublicURL(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newCSAFWorld(t, db)
		const pub = "https://csaf.cert.example"
		srv, err := web.New(web.Options{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test", PublicURL: pub + "/"})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		t.Cleanup(ts.Close)
		const evil = "evil.example"
		// local turns a public URL into one of the test server.
		local := func(t *testing.T, u string) string {
			t.Helper()
			rest, ok := strings.CutPrefix(u, pub+"/")
			if !ok {
				t.Fatalf("URL %q does not start with %s/", u, pub)
			}
			return ts.URL + "/" + rest
		}
		checked := 0
		for _, token := range []string{"", w.csirtToken} {
			st, body := plainGet(t, ts, ts.URL+"/.well-known/csaf/provider-metadata.json", evil, token, "")
			if st != http.StatusOK {
				t.Fatalf("metadata: %d %s", st, body)
			}
			var md struct {
				Canonical string `json:"canonical_url"`
				Publisher struct{ Namespace string }
			}
			_ = json.Unmarshal(body, &md)
			if md.Canonical != pub+"/.well-known/csaf/provider-metadata.json" || md.Publisher.Namespace != pub {
				t.Errorf("canonical_url %q, namespace %q", md.Canonical, md.Publisher.Namespace)
			}
			var feeds []string
			for _, u := range absoluteURLs(decodeAny(t, body)) {
				if u != pub && !strings.HasPrefix(u, pub+"/.well-known/csaf/") { // pub: the publisher namespace
					t.Errorf("metadata URL %q", u)
				}
				if strings.HasSuffix(u, ".json") && strings.Contains(u, "/csaf-feed-tlp-") {
					feeds = append(feeds, u)
				}
				checked++
			}
			if len(feeds) == 0 {
				t.Fatal("no feeds in the metadata")
			}
			st, body = plainGet(t, ts, ts.URL+"/.well-known/csaf/service.json", evil, token, "")
			if st != http.StatusOK {
				t.Fatalf("service: %d", st)
			}
			for _, u := range absoluteURLs(decodeAny(t, body)) {
				if !strings.HasPrefix(u, pub+"/.well-known/csaf/") {
					t.Errorf("service.json URL %q", u)
				}
				checked++
			}
			for _, f := range feeds {
				st, body := plainGet(t, ts, local(t, f), evil, token, "")
				if st != http.StatusOK {
					t.Fatalf("%s: %d", f, st)
				}
				var feed rolie
				_ = json.Unmarshal(body, &feed)
				for _, u := range absoluteURLs(decodeAny(t, body)) {
					if !strings.HasPrefix(u, pub+"/.well-known/csaf/") && !strings.HasPrefix(u, "https://docs.oasis-open.org/") {
						t.Errorf("feed URL %q", u)
					}
					checked++
				}
				if len(feed.Feed.Entry) == 0 {
					continue
				}
				st, doc := plainGet(t, ts, local(t, feed.Feed.Entry[0].Link[0].Href), evil, token, "")
				var d struct {
					Document struct{ Publisher struct{ Namespace string } }
				}
				if err := json.Unmarshal(doc, &d); st != http.StatusOK || err != nil || d.Document.Publisher.Namespace != pub {
					t.Errorf("document: %d, namespace %q", st, d.Document.Publisher.Namespace)
				}
				if strings.Contains(string(doc), evil) {
					t.Error("document mentions the request's Host")
				}
			}
		}
		st, body := plainGet(t, ts, ts.URL+"/taxii2/", evil, "", "application/taxii+json;version=2.1")
		var disc struct {
			Default  string   `json:"default"`
			APIRoots []string `json:"api_roots"`
		}
		if err := json.Unmarshal(body, &disc); st != http.StatusOK || err != nil || disc.Default != pub+"/taxii2/api/" || !slices.Equal(disc.APIRoots, []string{pub + "/taxii2/api/"}) {
			t.Errorf("TAXII discovery: %d %s", st, body)
		}
		if checked < 10 {
			t.Errorf("only %d URLs checked", checked)
		}
		// Control: the server without a public URL follows the Host header.
		plain := httptest.NewServer(w.srv)
		t.Cleanup(plain.Close)
		if _, body := plainGet(t, plain, plain.URL+"/.well-known/csaf/provider-metadata.json", evil, "", ""); !strings.Contains(string(body), `"http://evil.example/.well-known/csaf/provider-metadata.json"`) {
			t.Errorf("without public URL: %.300s", body)
		}
	})
}
