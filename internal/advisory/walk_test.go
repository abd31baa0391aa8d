package advisory

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// minimalDoc is a valid-enough CSAF document with the given tracking id.
func minimalDoc(id string) []byte {
	return []byte(`{"document": {"title": "t", "tracking": {"id": "` + id + `"}},
		"product_tree": {"full_product_names": [{"name": "Acme 100", "product_id": "P"}]}}`)
}

func writeFiles(tb testing.TB, dir string, files map[string][]byte) {
	tb.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
}

// walkResult records what Walk passed to fn.
type walkResult struct {
	ids    []string // tracking id, or "ERR:" + error text
	source []string
}

func collect(tb testing.TB, path string) walkResult {
	tb.Helper()
	var r walkResult
	err := Walk(path, func(a *Advisory, err error) error {
		if err != nil {
			if a != nil {
				tb.Errorf("fn got both an advisory and an error")
			}
			r.ids = append(r.ids, "ERR:"+err.Error())
			return nil
		}
		r.ids = append(r.ids, a.ID)
		r.source = append(r.source, a.Source)
		return nil
	})
	if err != nil {
		tb.Fatalf("Walk(%s): %v", path, err)
	}
	return r
}

func TestWalkDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"2024/b.json":        minimalDoc("B"),
		"2024/b.json.sha256": []byte("deadbeef  b.json\n"),
		"2024/b.json.asc":    []byte("-----BEGIN PGP SIGNATURE-----"),
		"2023/z.json":        minimalDoc("Z"),
		"a.json":             minimalDoc("A"),
		"c/broken.json":      []byte("{not json"),
		"index.txt":          []byte("2024/b.json\n"),
	})
	r := collect(t, dir)
	if len(r.ids) != 4 {
		t.Fatalf("got %q, want 4 documents", r.ids)
	}
	// sorted by path: 2023/z, 2024/b, a, c/broken
	if !slices.Equal(r.ids[:3], []string{"Z", "B", "A"}) {
		t.Errorf("order = %q", r.ids)
	}
	if !strings.HasPrefix(r.ids[3], "ERR:") || !strings.Contains(r.ids[3], filepath.Join("c", "broken.json")) {
		t.Errorf("broken document error %q does not name the file", r.ids[3])
	}
	if r.source[0] != filepath.Join(dir, "2023", "z.json") {
		t.Errorf("Source = %q", r.source[0])
	}
	// the same walk twice gives the same sequence
	if r2 := collect(t, dir); !slices.Equal(r.ids, r2.ids) {
		t.Errorf("walk not stable: %q vs %q", r.ids, r2.ids)
	}
}

func TestWalkSingleFile(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"one.json": minimalDoc("ONE")})
	r := collect(t, filepath.Join(dir, "one.json"))
	if !slices.Equal(r.ids, []string{"ONE"}) {
		t.Errorf("got %q", r.ids)
	}
	if err := Walk(filepath.Join(dir, "missing"), func(*Advisory, error) error { return nil }); err == nil ||
		!strings.Contains(err.Error(), "missing") {
		t.Errorf("Walk of a missing path = %v", err)
	}
}

// writeTarGz writes members in the given order (not sorted) to path.
func writeTarGz(tb testing.TB, path string, names []string, data map[string][]byte) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for _, n := range names {
		if strings.HasSuffix(n, "/") {
			if err := tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
				tb.Fatal(err)
			}
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(data[n]))}); err != nil {
			tb.Fatal(err)
		}
		if _, err := tw.Write(data[n]); err != nil {
			tb.Fatal(err)
		}
	}
	for _, c := range []interface{ Close() error }{tw, gz, f} {
		if err := c.Close(); err != nil {
			tb.Fatal(err)
		}
	}
}

func TestWalkArchive(t *testing.T) {
	data := map[string][]byte{
		"csaf/2024/c.json":        minimalDoc("C"),
		"csaf/2023/a.json":        minimalDoc("A"),
		"csaf/2023/a.json.sha512": []byte("x"),
		"csaf/2023/bad.json":      []byte(`{"document": 42}`),
		"csaf/2024/b.json":        minimalDoc("B"),
	}
	names := []string{"csaf/", "csaf/2024/c.json", "csaf/2023/a.json.sha512", "csaf/2023/bad.json", "csaf/2024/b.json", "csaf/2023/a.json"}
	for _, ext := range []string{".tar.gz", ".tgz"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "docs"+ext)
			writeTarGz(t, path, names, data)
			r := collect(t, path)
			if len(r.ids) != 4 || !slices.Equal([]string{r.ids[0], r.ids[2], r.ids[3]}, []string{"A", "B", "C"}) {
				t.Fatalf("got %q, want A, error, B, C", r.ids)
			}
			if !strings.Contains(r.ids[1], path+"!csaf/2023/bad.json") {
				t.Errorf("error %q does not name archive and member", r.ids[1])
			}
			if r.source[0] != path+"!csaf/2023/a.json" {
				t.Errorf("Source = %q", r.source[0])
			}
		})
	}
	bad := filepath.Join(t.TempDir(), "bad.tgz")
	writeFiles(t, filepath.Dir(bad), map[string][]byte{"bad.tgz": []byte("not gzip")})
	if err := Walk(bad, func(*Advisory, error) error { return nil }); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("Walk of a corrupt archive = %v", err)
	}
}

func TestWalkStopsOnCallbackError(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"a.json": minimalDoc("A"), "b.json": minimalDoc("B"), "c.json": minimalDoc("C")})
	archive := filepath.Join(t.TempDir(), "x.tar.gz")
	writeTarGz(t, archive, []string{"a.json", "b.json", "c.json"},
		map[string][]byte{"a.json": minimalDoc("A"), "b.json": minimalDoc("B"), "c.json": minimalDoc("C")})
	stop := errors.New("stop here")
	for _, path := range []string{dir, archive} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var seen []string
			err := Walk(path, func(a *Advisory, err error) error {
				seen = append(seen, a.ID)
				if a.ID == "B" {
					return stop
				}
				return nil
			})
			if !errors.Is(err, stop) || !slices.Equal(seen, []string{"A", "B"}) {
				t.Errorf("Walk = %v after %q; want the callback's error after A, B", err, seen)
			}
		})
	}
}
