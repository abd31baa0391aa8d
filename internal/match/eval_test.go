package match

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/inventory"
)

// sharedData is the read-only real test data next to the repository.
const sharedData = "../../../shared/testdata"

func needShared(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(sharedData); err != nil {
		tb.Skipf("shared test data not found at %s (clone without ../shared): %v", sharedData, err)
	}
}

// labelled is one hand-labelled evaluation set: an inventory, advisory
// files and the truly affected (asset tag, advisory id) pairs.
type labelled struct {
	inventory  string
	advisories []string
	expected   string // CSV: asset_tag, advisory_id, expected[, why]
}

type pair struct{ tag, adv string }

func mustReadInventory(tb testing.TB, path string) []inventory.Device {
	tb.Helper()
	rr, err := inventory.ReadFile(path, inventory.ReadOptions{})
	if err != nil {
		tb.Fatalf("read inventory %s: %v", path, err)
	}
	for _, rej := range rr.Rejected {
		tb.Errorf("inventory %s: rejected %v", path, rej)
	}
	devs := make([]inventory.Device, len(rr.Records))
	for i, r := range rr.Records {
		devs[i] = r.Device
	}
	return devs
}

func mustParseAdvisory(tb testing.TB, path string) *advisory.Advisory {
	tb.Helper()
	var got *advisory.Advisory
	err := advisory.Walk(path, func(a *advisory.Advisory, err error) error {
		if err != nil {
			return err
		}
		got = a
		return nil
	})
	if err != nil || got == nil {
		tb.Fatalf("parse %s: %v", path, err)
	}
	return got
}

func mustReadExpected(tb testing.TB, path string) (affected map[pair]string, listed map[pair]string) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	affected, listed = map[pair]string{}, map[pair]string{}
	for i, row := range rows {
		if i == 0 || len(row) < 3 {
			continue
		}
		why := ""
		if len(row) > 3 {
			why = row[3]
		}
		p := pair{row[0], strings.ToUpper(row[1])}
		listed[p] = why
		if row[2] == "affected" {
			affected[p] = why
		}
	}
	return affected, listed
}

// score runs a labelled set and returns recall and precision as the task
// defines them over all device × advisory pairs, logging every miss.
func score(t *testing.T, set labelled) (recall, precision float64) {
	t.Helper()
	devs := mustReadInventory(t, set.inventory)
	truth, listed := mustReadExpected(t, set.expected)
	e := New(devs, Options{})
	flagged := map[pair]Result{}
	for _, path := range set.advisories {
		a := mustParseAdvisory(t, path)
		for _, r := range e.Match(a) {
			flagged[pair{r.Device.AssetTag, strings.ToUpper(r.AdvisoryID)}] = r
		}
	}
	var tp, found, aff int
	var lines []string
	for p, why := range truth {
		r, ok := flagged[p]
		if ok && (r.Status == Affected || r.Status == PossiblyAffected) {
			found++
			if r.Status == Affected {
				tp++
			} else {
				lines = append(lines, "review (counts for recall): "+p.tag+" "+p.adv+" — "+why+" — got: "+r.Reason)
			}
			continue
		}
		got := "no match"
		if ok {
			got = string(r.Status) + ": " + r.Reason
		}
		lines = append(lines, "MISSED: "+p.tag+" "+p.adv+" — "+why+" — "+got)
	}
	for p, r := range flagged {
		if r.Status == Affected {
			aff++
			if _, ok := truth[p]; !ok {
				lines = append(lines, "FALSE AFFECTED: "+p.tag+" "+p.adv+" — label: "+listed[p]+" — got: "+r.Reason)
			}
		} else if r.Status == PossiblyAffected {
			if _, ok := truth[p]; !ok {
				lines = append(lines, "review of a not-affected pair: "+p.tag+" "+p.adv+" — "+listed[p]+" — got: "+r.Reason)
			}
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		t.Log(l)
	}
	recall, precision = 1, 1
	if len(truth) > 0 {
		recall = float64(found) / float64(len(truth))
	}
	if aff > 0 {
		precision = float64(tp) / float64(aff)
	}
	t.Logf("%d truly affected pairs; flagged %d (affected %d, review %d); recall %.3f, precision %.3f",
		len(truth), found, tp, found-tp, recall, precision)
	return recall, precision
}

func readLines(tb testing.TB, path string) []string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// TestEval scores the hand-labelled set D of shared/testdata/eval.
func TestEval(t *testing.T) {
	needShared(t)
	dir := filepath.Join(sharedData, "eval")
	var advs []string
	for _, f := range readLines(t, filepath.Join(dir, "advisories.txt")) {
		advs = append(advs, filepath.Join(sharedData, "csaf", "icsma", f))
	}
	recall, precision := score(t, labelled{
		inventory:  filepath.Join(dir, "inventory.csv"),
		advisories: advs,
		expected:   filepath.Join(dir, "expected.csv"),
	})
	if recall < 0.98 {
		t.Errorf("recall %.3f < 0.98", recall)
	}
	if precision < 0.95 {
		t.Errorf("precision %.3f < 0.95", precision)
	}
}

// TestOwnSet scores set O, written for this package against eight other
// ICSMA advisories (range models, variants in the version field, exclusion
// clauses, versions in product names, decoys), so the engine is not tuned
// to set D alone.
func TestOwnSet(t *testing.T) {
	needShared(t)
	var advs []string
	for _, f := range readLines(t, filepath.Join("testdata", "own", "advisories.txt")) {
		advs = append(advs, filepath.Join(sharedData, "csaf", "icsma", f))
	}
	recall, precision := score(t, labelled{
		inventory:  filepath.Join("testdata", "own", "inventory.csv"),
		advisories: advs,
		expected:   filepath.Join("testdata", "own", "expected.csv"),
	})
	if recall < 0.95 {
		t.Errorf("recall %.3f < 0.95", recall)
	}
	if precision < 0.95 {
		t.Errorf("precision %.3f < 0.95", precision)
	}
}
