package advisory

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics on any input and that what it
// returns is consistent: every product has an id that Product finds, every
// product id is unique, and parsing the same bytes twice gives the same result.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/tolerant.json"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	if files, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "testdata", "csaf", "icsma", "icsma-20-*.json")); len(files) > 0 {
		for _, p := range files[:min(5, len(files))] {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	for _, s := range []string{
		`{}`, `{"document": {}}`, `{"document": null}`, `{"document": "x"}`, `[]`, `null`, ``,
		`{"document": {"tracking": {"version": {"a": 1}, "initial_release_date": 5}}}`,
		`{"document": {}, "product_tree": {"branches": [{"category": "vendor", "name": "BD", "branches": [{"category": "product_name", "name": "CS2 Avance | Amingo", "product": {"name": "x", "product_id": "A"}}]}]}}`,
		`{"document": {}, "product_tree": {"full_product_names": [{"name": "A", "product_id": "A"}, {"name": "B", "product_id": "A"}, {"name": "C", "product_id": ""}],
		  "relationships": [{"category": "installed_on", "product_reference": "A", "relates_to_product_reference": "A", "full_product_name": {"name": "A on A", "product_id": "A"}}]}}`,
		`{"document": {}, "vulnerabilities": [{"scores": [{"cvss_v3": {"vectorString": "CVSS:3.1/AV:N"}, "cvss_v4": {"vectorString": "CVSS:4.0/garbage"}, "cvss_v2": {"vectorString": "AV:N/AC:L/Au:N/C:P/I:P/A:P"}}]}]}`,
		`{"document": {}, "vulnerabilities": [{"product_status": {"known_affected": "A"}, "remediations": [{"group_ids": ["G"]}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse(data)
		if err != nil {
			if a != nil {
				t.Fatal("Parse returned an advisory and an error")
			}
			return
		}
		seen := map[string]bool{}
		for i := range a.Products {
			p := &a.Products[i]
			if p.ID == "" {
				t.Fatalf("product %d has an empty id", i)
			}
			if seen[p.ID] {
				t.Fatalf("product id %q twice", p.ID)
			}
			seen[p.ID] = true
			if got := a.Product(p.ID); got != p {
				t.Fatalf("Product(%q) = %p, want %p", p.ID, got, p)
			}
		}
		for i := range a.Vulnerabilities {
			v := &a.Vulnerabilities[i]
			for name, ids := range v.ProductStatus {
				for _, id := range ids {
					if s := a.StatusOf(v, id); s == "" {
						t.Fatalf("StatusOf(%q) empty though it is in %s", id, name)
					}
				}
			}
			for _, s := range v.Scores {
				if s.BaseScore != s.BaseScore { // NaN
					t.Fatalf("NaN score %+v", s)
				}
			}
		}
		if len(a.Warnings) > maxWarnings+1 {
			t.Fatalf("%d warnings", len(a.Warnings))
		}
		b, err := Parse(data)
		if err != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("parse not deterministic: %v", err)
		}
	})
}

// FuzzModels checks the model extractor on arbitrary names: no panic, no
// empty, duplicate or over-long token, and each token appears in the input.
func FuzzModels(f *testing.F) {
	for _, s := range []string{"IntelliVue MX100, MX400-MX850", "Alaris PC Unit Model 8015", "CS2 Avance | Amingo",
		"Aespire 7900", "Firmware v1.2.3 (2020-01-01)", "\xff\xfe MX\x00100"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var m modelSet
		m.addFrom(s)
		seen := map[string]bool{}
		for _, tok := range m.out {
			if tok == "" || len(tok) > maxModelLen || seen[tok] || !strings.Contains(s, tok) {
				t.Fatalf("bad token %q from %q (all %q)", tok, s, m.out)
			}
			seen[tok] = true
		}
	})
}

// FuzzParseKEV checks that ParseKEV never panics and that every entry it
// returns is keyed by its own well-formed CVE id with a date.
func FuzzParseKEV(f *testing.F) {
	if data, err := os.ReadFile("testdata/kev.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"vulnerabilities": []}`))
	f.Add([]byte(`{"vulnerabilities": [{"cveID": "CVE-2024-0001", "dateAdded": "2024-01-01"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		kev, err := ParseKEV(data)
		if err != nil {
			return
		}
		for k, e := range kev {
			if k != e.CVE || !looksLikeCVE(k) || e.DateAdded.IsZero() {
				t.Fatalf("bad entry %q: %+v", k, e)
			}
		}
	})
}

// FuzzFeedListing serves fuzzed bytes as a ROLIE feed and as changes.csv
// (from memory, no sockets) and checks that listing never panics and only
// yields http(s) URLs changed after since, each with hash candidates.
func FuzzFeedListing(f *testing.F) {
	f.Add([]byte(`{"feed": {"entry": [{"updated": "2024-10-24T06:00:00Z", "link": [{"rel": "self", "href": "2024/a.json"}, {"rel": "hash", "href": "2024/a.json.sha256"}]}]}}`),
		[]byte("csaf_files/OT/white/2024/a.json,2024-10-24T06:00:00.000000Z\r\n"))
	f.Add([]byte(`{"feed": {"entry": [{"updated": "x"}]}}`), []byte("a,b,c\n"))
	f.Add([]byte(`{"feed": {"entry": [{"updated": "2030-01-01T00:00:00Z", "content": {"src": "javascript:alert(1)"}}]}}`), []byte("\"q\"\"x.json\",2030-01-01T00:00:00Z\n"))
	since := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, rolie, changes []byte) {
		files := map[string][]byte{
			"/rolie.json":                          []byte(`{"distributions": [{"rolie": {"feeds": [{"url": "/feed.json"}]}}, {"directory_url": "/dir/csaf_files/OT/white/"}]}`),
			"/feed.json":                           rolie,
			"/dir/csaf_files/OT/white/changes.csv": changes,
		}
		feed := &Feed{Client: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			body, ok := files[r.URL.Path]
			status := http.StatusOK
			if !ok {
				status = http.StatusNotFound
			}
			return &http.Response{StatusCode: status, Status: http.StatusText(status), Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
		})}}
		docs, err := feed.List(context.Background(), "https://provider.example/rolie.json", since)
		if err != nil {
			return
		}
		for _, d := range docs {
			u, err := url.Parse(d.URL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || !d.Updated.After(since) || len(d.HashURLs) == 0 {
				t.Fatalf("bad listing %+v", d)
			}
		}
	})
}

// FuzzReadArchive feeds arbitrary bytes to the tar.gz reader behind Walk:
// no panic, and what it returns is JSON members sorted by name within the
// size limit.
func FuzzReadArchive(f *testing.F) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, n := range []string{"b.json", "a.json", "a.json.sha256"} {
		data := minimalDoc(n)
		tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data))})
		tw.Write(data)
	}
	tw.Close()
	gz.Close()
	f.Add(buf.Bytes())
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		members, err := readArchive(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i, m := range members {
			if !isDocument(m.name) || (i > 0 && members[i-1].name > m.name) || len(m.data) > maxDocumentSize {
				t.Fatalf("member %d %q (%d bytes) out of place", i, m.name, len(m.data))
			}
		}
	})
}
