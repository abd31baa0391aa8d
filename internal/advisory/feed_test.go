package advisory

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

const cisaDir = "https://raw.githubusercontent.com/cisagov/CSAF/develop/csaf_files/OT/white/"

// Provider metadata written for these tests (the shared data has CISA's
// feed, index.txt and changes.csv but no provider-metadata.json).
var testMetadata = map[string]string{
	"/rolie/provider-metadata.json": `{"canonical_url": "https://example.invalid/rolie/provider-metadata.json",
		"role": "csaf_trusted_provider", "distributions": [{"rolie": {"feeds": [{"tlp_label": "WHITE",
		"url": "` + cisaDir + `cisa-csaf-ot-feed-tlp-white.json"}]}}]}`,
	"/dir/provider-metadata.json": `{"role": "csaf_provider", "distributions": [{"directory_url": "` + cisaDir + `"}]}`,
	"/aggregator.json": `{"aggregator": {"category": "lister"}, "csaf_providers": [
		{"metadata": {"url": "/rolie/provider-metadata.json"}}, {"metadata": {"url": "/dir/provider-metadata.json"}}]}`,
}

// feedServer serves the real provider layout: any host is routed to it, and
// a document name is looked up among the corpus and icsma files. Hash files
// are computed, except for names listed in tampered (wrong digest) and
// noHash (404).
type feedServer struct {
	srv      *httptest.Server
	docs     map[string][]byte // base name → document
	tampered map[string]bool
	noHash   map[string]bool
	noCSV    bool // serve no changes.csv, as a directory with only index.txt
	mu       sync.Mutex
	hits     map[string]int // request path → count
}

func newFeedServer(t *testing.T) *feedServer {
	t.Helper()
	feedDir := sharedTestdata(t, "csaf/feed")
	fs := &feedServer{docs: map[string][]byte{}, tampered: map[string]bool{}, noHash: map[string]bool{}, hits: map[string]int{}}
	for name, data := range tarMembers(t, sharedTestdata(t, "csaf/cisa-ot-corpus.tar.gz")) {
		fs.docs[path.Base(name)] = data
	}
	fs.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		fs.hits[r.URL.Path]++
		fs.mu.Unlock()
		p := r.URL.Path
		base := path.Base(p)
		if md, ok := testMetadata[p]; ok {
			w.Write([]byte(md))
			return
		}
		switch {
		case base == "changes.csv" && fs.noCSV:
			http.NotFound(w, r)
		case base == "cisa-csaf-ot-feed-tlp-white.json" || base == "changes.csv" || base == "index.txt":
			http.ServeFile(w, r, filepath.Join(feedDir, base))
		case strings.HasSuffix(base, ".json"):
			data, ok := fs.docs[base]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Write(data)
		case strings.HasSuffix(base, ".sha512") || strings.HasSuffix(base, ".sha256"):
			doc := strings.TrimSuffix(strings.TrimSuffix(base, ".sha512"), ".sha256")
			data, ok := fs.docs[doc]
			if !ok || fs.noHash[doc] {
				http.NotFound(w, r)
				return
			}
			if fs.tampered[doc] {
				data = append([]byte("x"), data...)
			}
			var sum []byte
			if strings.HasSuffix(base, ".sha512") {
				s := sha512.Sum512(data)
				sum = s[:]
			} else {
				s := sha256.Sum256(data)
				sum = s[:]
			}
			w.Write([]byte(hex.EncodeToString(sum) + "  " + doc + "\n"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(fs.srv.Close)
	return fs
}

// feed returns a Feed whose client sends every request, whatever its host,
// to the test server: no network but loopback.
func (fs *feedServer) feed() *Feed {
	target, _ := url.Parse(fs.srv.URL)
	return &Feed{Client: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host, r.Host = target.Scheme, target.Host, target.Host
		return http.DefaultTransport.RoundTrip(r)
	})}}
}

func (fs *feedServer) hitCount(suffix string) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := 0
	for p, c := range fs.hits {
		if strings.HasSuffix(p, suffix) {
			n += c
		}
	}
	return n
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// changedSince reads the real changes.csv independently of the code under
// test: base names of documents changed after since, and the newest time.
func changedSince(t *testing.T, since time.Time) ([]string, time.Time) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedTestdata(t, "csaf/feed"), "changes.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var newest time.Time
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		p, ts, _ := strings.Cut(strings.TrimSpace(line), ",") // CISA writes CRLF
		tm, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			t.Fatalf("changes.csv %q: %v", line, err)
		}
		if tm.After(since) {
			names = append(names, path.Base(p))
			if tm.After(newest) {
				newest = tm
			}
		}
	}
	sort.Strings(names)
	return names, newest
}

func TestFeedSyncIncremental(t *testing.T) {
	since := time.Date(2024, 10, 15, 0, 0, 0, 0, time.UTC)
	want, newest := changedSince(t, since)
	if len(want) == 0 {
		t.Fatal("oracle found no changes; test data changed?")
	}
	tests := []struct{ name, metadata string }{
		{"ROLIE feed", "/rolie/provider-metadata.json"},
		{"directory with changes.csv", "/dir/provider-metadata.json"},
		{"aggregator listing both", "/aggregator.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFeedServer(t)
			var got []string
			var times []time.Time
			next, err := fs.feed().Sync(context.Background(), "https://provider.example"+tt.metadata, since,
				func(a *Advisory, err error) error {
					if err != nil {
						t.Errorf("document failed: %v", err)
						return nil
					}
					if len(a.Products) == 0 || a.ID == "" || slices.ContainsFunc(a.Warnings, func(w string) bool { return strings.HasPrefix(w, "feed:") }) {
						t.Errorf("%s: id %q, %d products, warnings %q", a.Source, a.ID, len(a.Products), a.Warnings)
					}
					got = append(got, path.Base(a.Source))
					times = append(times, a.CurrentRelease)
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(got)
			if !slices.Equal(got, want) {
				t.Errorf("fetched %q\nwant    %q", got, want)
			}
			if !next.Equal(newest) {
				t.Errorf("next since = %v, want %v", next, newest)
			}
			// Incremental: only the changed documents (and their hashes) were downloaded.
			if n := fs.hitCount(".json") - fs.hitCount("provider-metadata.json") - fs.hitCount("aggregator.json") - fs.hitCount("feed-tlp-white.json"); n != len(want) {
				t.Errorf("%d document downloads, want %d", n, len(want))
			}
			if n := fs.hitCount(".sha512"); n != len(want) {
				t.Errorf("%d .sha512 downloads, want %d (SHA-512 preferred, found first)", n, len(want))
			}
			// A second sync from the returned time finds nothing new.
			again := 0
			next2, err := fs.feed().Sync(context.Background(), "https://provider.example"+tt.metadata, next,
				func(*Advisory, error) error { again++; return nil })
			if err != nil || again != 0 || !next2.Equal(next) {
				t.Errorf("second sync: %d documents, next %v, err %v", again, next2, err)
			}
		})
	}
}

func TestFeedVerification(t *testing.T) {
	since := time.Date(2024, 10, 15, 0, 0, 0, 0, time.UTC)
	want, _ := changedSince(t, since)
	fs := newFeedServer(t)
	tampered, noHash, missing := want[0], want[1], want[2]
	fs.tampered[tampered] = true
	fs.noHash[noHash] = true
	delete(fs.docs, missing)
	var errs []error
	warned := map[string]bool{}
	ok := 0
	var docs []FeedDocument
	f := fs.feed()
	docs, err := f.List(context.Background(), "https://provider.example/rolie/provider-metadata.json", since)
	if err != nil {
		t.Fatal(err)
	}
	next, err := f.Sync(context.Background(), "https://provider.example/rolie/provider-metadata.json", since,
		func(a *Advisory, err error) error {
			if err != nil {
				errs = append(errs, err)
				return nil
			}
			ok++
			for _, w := range a.Warnings {
				if strings.HasPrefix(w, "feed: no .sha512 or .sha256") {
					warned[path.Base(a.Source)] = true
				}
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if ok != len(want)-2 || len(errs) != 2 {
		t.Fatalf("%d ok, errors %v", ok, errs)
	}
	joined := errors.Join(errs...).Error()
	if !strings.Contains(joined, "checksum mismatch") || !strings.Contains(joined, tampered) {
		t.Errorf("tampered document not rejected by name: %v", joined)
	}
	if !strings.Contains(joined, missing) || !errors.Is(errors.Join(errs...), errNotFound) {
		t.Errorf("missing document not reported by name: %v", joined)
	}
	if !warned[noHash] || len(warned) != 1 {
		t.Errorf("warned about missing hash for %v, want only %s", warned, noHash)
	}
	// next must not pass the first failed document, so that it is retried.
	firstFail := time.Time{}
	for _, d := range docs {
		if b := path.Base(d.URL); b == tampered || b == missing {
			firstFail = d.Updated
			break
		}
	}
	if !next.Before(firstFail) || next.Before(since) {
		t.Errorf("next = %v, first failure at %v", next, firstFail)
	}
}

func TestFeedStopsOnCallbackError(t *testing.T) {
	fs := newFeedServer(t)
	stop := errors.New("stop")
	calls := 0
	_, err := fs.feed().Sync(context.Background(), "https://provider.example/dir/provider-metadata.json",
		time.Date(2024, 10, 15, 0, 0, 0, 0, time.UTC), func(*Advisory, error) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Sync = %v after %d calls", err, calls)
	}
}

func TestFeedListDirectory(t *testing.T) {
	all, _ := changedSince(t, time.Time{})
	tests := []struct {
		name        string
		noCSV       bool
		since       time.Time
		wantErr     string
		zeroUpdated bool
	}{
		{"first sync from changes.csv", false, time.Time{}, "", false},
		{"first sync falls back to index.txt", true, time.Time{}, "", true},
		{"incremental sync needs changes.csv", true, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "changes.csv: not found", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFeedServer(t)
			fs.noCSV = tt.noCSV
			docs, err := fs.feed().List(context.Background(), "https://provider.example/dir/provider-metadata.json", tt.since)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("List = %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != len(all) {
				t.Errorf("lists %d documents, changes.csv has %d", len(docs), len(all))
			}
			for _, d := range docs {
				if !strings.HasPrefix(d.URL, cisaDir) || strings.Contains(strings.TrimPrefix(d.URL, cisaDir), "csaf_files") {
					t.Fatalf("URL %q not resolved against the directory", d.URL)
				}
				if d.Updated.IsZero() != tt.zeroUpdated {
					t.Fatalf("%s: Updated %v", d.URL, d.Updated)
				}
			}
		})
	}
}

func TestRelativeToDir(t *testing.T) {
	tests := []struct{ name, dir, p, want string }{
		{"CISA repeats the directory path", cisaDir, "csaf_files/OT/white/2024/x.json", "2024/x.json"},
		{"standard relative path", cisaDir, "2024/x.json", "2024/x.json"},
		{"absolute URL untouched", cisaDir, "https://other.example/x.json", "https://other.example/x.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := relativeToDir(tt.dir, tt.p); got != tt.want {
				t.Errorf("relativeToDir(%q) = %q, want %q", tt.p, got, tt.want)
			}
		})
	}
}

func TestFeedRejectsBadInput(t *testing.T) {
	fs := newFeedServer(t)
	f := fs.feed()
	tests := []struct{ name, url, want string }{
		{"not http", "file:///etc/passwd", "not an http(s) URL"},
		{"missing metadata", "https://provider.example/nothing.json", "not found"},
		{"not provider metadata", "https://provider.example/2024/icsa-24-298-03.json", "no distributions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.List(context.Background(), tt.url, time.Time{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("List(%s) = %v, want error containing %q", tt.url, err, tt.want)
			}
		})
	}
}
