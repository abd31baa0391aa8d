package advisory

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedTestdata returns the read-only real test data next to the
// repository, skipping the test when a user cloned only the project.
func sharedTestdata(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join("..", "..", "..", "shared", "testdata", rel)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared test data %s not present (%v); CI always has it", p, err)
	}
	return p
}

// rawCounts counts, independently of the parser, the distinct product ids
// a document defines and its vulnerabilities.
func rawCounts(tb testing.TB, data []byte) (products, vulns int) {
	tb.Helper()
	var doc struct {
		ProductTree map[string]any `json:"product_tree"`
		Vulns       []any          `json:"vulnerabilities"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		tb.Fatalf("reference decode: %v", err)
	}
	ids := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if id, ok := x["product_id"].(string); ok && id != "" {
				if _, hasName := x["name"]; hasName {
					ids[id] = true
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc.ProductTree["branches"])
	walk(doc.ProductTree["full_product_names"])
	walk(doc.ProductTree["relationships"])
	return len(ids), len(doc.Vulns)
}

// checkAgainstRaw asserts that a parsed advisory kept every product and
// vulnerability of the raw document and that its product index works.
func checkAgainstRaw(t *testing.T, name string, a *Advisory, data []byte) {
	t.Helper()
	wantP, wantV := rawCounts(t, data)
	if len(a.Products) != wantP {
		t.Errorf("%s: %d products, document defines %d", name, len(a.Products), wantP)
	}
	if len(a.Vulnerabilities) != wantV {
		t.Errorf("%s: %d vulnerabilities, document has %d", name, len(a.Vulnerabilities), wantV)
	}
	if wantP > 0 && len(a.Products) == 0 || wantV > 0 && len(a.Vulnerabilities) == 0 {
		t.Errorf("%s: lost all products or vulnerabilities", name)
	}
	for i := range a.Products {
		p := &a.Products[i]
		if p.ID == "" || a.Product(p.ID) != p {
			t.Errorf("%s: product %d (%q) not found by id", name, i, p.ID)
		}
		if p.Vendor == "" || p.VendorNorm == "" || p.Name == "" {
			t.Errorf("%s: product %s lacks vendor or name: %+v", name, p.ID, p)
		}
	}
	if a.ID == "" || a.Title == "" || a.CurrentRelease.IsZero() {
		t.Errorf("%s: missing id, title or release date", name)
	}
}

func TestParseICSMAFiles(t *testing.T) {
	dir := sharedTestdata(t, "csaf/icsma")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no documents in %s: %v", dir, err)
	}
	parsed := 0
	err = Walk(dir, func(a *Advisory, err error) error {
		if err != nil {
			t.Errorf("parse: %v", err)
			return nil
		}
		parsed++
		data, err := os.ReadFile(a.Source)
		if err != nil {
			return err
		}
		checkAgainstRaw(t, a.Source, a, data)
		if a.TLP != "TLP:CLEAR" {
			t.Errorf("%s: TLP %q, CISA documents are WHITE → TLP:CLEAR", a.Source, a.TLP)
		}
		if len(a.CVEs()) == 0 {
			t.Errorf("%s: no CVEs", a.Source)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if parsed != len(files) {
		t.Errorf("parsed %d documents of %d files", parsed, len(files))
	}
	if len(files) != 90 {
		t.Errorf("icsma holds %d files, the test data README says 90", len(files))
	}
}

// tarMembers lists the JSON members of the corpus tarball without the code under test.
func tarMembers(tb testing.TB, path string) map[string][]byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	tr := tar.NewReader(gz)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg && strings.HasSuffix(h.Name, ".json") {
			b, err := io.ReadAll(tr)
			if err != nil {
				tb.Fatal(err)
			}
			out[h.Name] = b
		}
	}
}

func TestParseCorpusTarball(t *testing.T) {
	path := sharedTestdata(t, "csaf/cisa-ot-corpus.tar.gz")
	members := tarMembers(t, path)
	parsed, withModels, products := 0, 0, 0
	last := ""
	err := Walk(path, func(a *Advisory, err error) error {
		if err != nil {
			t.Errorf("parse: %v", err)
			return nil
		}
		parsed++
		name := strings.TrimPrefix(a.Source, path+"!")
		if name <= last {
			t.Errorf("order: %s after %s", name, last)
		}
		last = name
		data, ok := members[name]
		if !ok {
			t.Fatalf("Source %q is not a member of the archive", a.Source)
		}
		checkAgainstRaw(t, name, a, data)
		for _, p := range a.Products {
			products++
			if len(p.Models) > 0 {
				withModels++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if parsed != len(members) || parsed != 2325 {
		t.Errorf("parsed %d documents, archive has %d JSON members (README: 2,325)", parsed, len(members))
	}
	t.Logf("%d documents, %d products, %d with model numbers", parsed, products, withModels)
}
