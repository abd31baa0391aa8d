package version

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// testdata is the shared, read-only corpus of real advisories.
const testdata = "../../../shared/testdata/csaf"

// harvested is one distinct branch name with its category.
type harvested struct {
	category string // product_version_range or product_version
	name     string
}

// walkBranches collects the names of version branches of one CSAF document.
func walkBranches(node any, seen map[harvested]bool) {
	switch n := node.(type) {
	case map[string]any:
		if cat, _ := n["category"].(string); cat == "product_version_range" || cat == "product_version" {
			if name, ok := n["name"].(string); ok {
				seen[harvested{cat, name}] = true
			}
		}
		for _, v := range n {
			walkBranches(v, seen)
		}
	case []any:
		for _, v := range n {
			walkBranches(v, seen)
		}
	}
}

func harvestDoc(tb testing.TB, r io.Reader, name string, seen map[harvested]bool) {
	tb.Helper()
	var doc struct {
		ProductTree any `json:"product_tree"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		tb.Fatalf("decode %s: %v", name, err)
	}
	walkBranches(doc.ProductTree, seen)
}

// mustHarvestICSMA returns the distinct version branch names of the ICSMA
// advisories, skipping the test when the shared test data is absent.
func mustHarvestICSMA(tb testing.TB) map[harvested]bool {
	tb.Helper()
	files, _ := filepath.Glob(filepath.Join(testdata, "icsma", "*.json"))
	if len(files) == 0 {
		tb.Skipf("shared test data not found at %s (clone it next to the repository to run this test)", testdata)
	}
	seen := map[harvested]bool{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			tb.Fatal(err)
		}
		harvestDoc(tb, fh, f, seen)
		fh.Close()
	}
	return seen
}

// mustHarvestCorpus does the same for the 2,325 CISA OT advisories in the tarball.
func mustHarvestCorpus(tb testing.TB) map[harvested]bool {
	tb.Helper()
	fh, err := os.Open(filepath.Join(testdata, "cisa-ot-corpus.tar.gz"))
	if os.IsNotExist(err) {
		tb.Skipf("shared test data not found at %s", testdata)
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer fh.Close()
	gz, err := gzip.NewReader(fh)
	if err != nil {
		tb.Fatalf("corpus gzip: %v", err)
	}
	tr := tar.NewReader(gz)
	seen := map[harvested]bool{}
	docs := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatalf("corpus tar: %v", err)
		}
		if h.Typeflag != tar.TypeReg || !strings.HasSuffix(h.Name, ".json") {
			continue
		}
		harvestDoc(tb, tr, h.Name, seen)
		docs++
	}
	if docs < 2000 {
		tb.Fatalf("corpus: read %d documents, want the full corpus (>= 2000)", docs)
	}
	return seen
}

// knownShare parses every name of category cat and returns the share that is
// Known plus the names that are not.
func knownShare(t *testing.T, seen map[harvested]bool, cat string) (float64, int, []string) {
	t.Helper()
	var total, known int
	var unknown []string
	for h := range seen {
		if h.category != cat {
			continue
		}
		total++
		c := ParseConstraint(h.name) // must not panic
		// the answers must not depend on anything but the text.
		for _, probe := range []string{"1.0", "9.33.1", "V4.3 SP2", "2018-04"} {
			if a, b := c.Contains(probe), ParseConstraint(h.name).Contains(probe); a != b {
				t.Errorf("%q: Contains(%q) = %v then %v", h.name, probe, a, b)
			}
		}
		if c.Known() {
			known++
		} else {
			unknown = append(unknown, h.name)
		}
	}
	sort.Strings(unknown)
	if total == 0 {
		t.Fatalf("no %s names harvested", cat)
	}
	return float64(known) / float64(total), total, unknown
}

// Floors measured on the shared corpus (see the test log); they guard against
// regressions, they are not targets.
const (
	floorICSMARange   = 0.95
	floorCorpusRange  = 0.90
	floorICSMAVersion = 0.65
)

func TestCorpusICSMA(t *testing.T) {
	seen := mustHarvestICSMA(t)
	share, total, unknown := knownShare(t, seen, "product_version_range")
	t.Logf("ICSMA product_version_range: %d distinct, %.1f%% Known; not Known: %q", total, 100*share, unknown)
	if share < floorICSMARange {
		t.Errorf("ICSMA range Known share %.3f, want >= %.2f", share, floorICSMARange)
	}
	share, total, unknown = knownShare(t, seen, "product_version")
	t.Logf("ICSMA product_version: %d distinct, %.1f%% Known; not Known: %q", total, 100*share, unknown)
	if share < floorICSMAVersion {
		t.Errorf("ICSMA version Known share %.3f, want >= %.2f", share, floorICSMAVersion)
	}
}

func TestCorpusCISA(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 2,325 advisories")
	}
	seen := mustHarvestCorpus(t)
	share, total, unknown := knownShare(t, seen, "product_version_range")
	t.Logf("CISA OT product_version_range: %d distinct, %.1f%% Known, %d not Known", total, 100*share, len(unknown))
	for _, u := range unknown {
		t.Logf("not Known: %q", u)
	}
	if share < floorCorpusRange {
		t.Errorf("corpus range Known share %.3f, want >= %.2f", share, floorCorpusRange)
	}
	share, total, unknown = knownShare(t, seen, "product_version")
	t.Logf("CISA OT product_version: %d distinct, %.1f%% Known, %d not Known", total, 100*share, len(unknown))
}
