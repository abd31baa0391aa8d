package main

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/store"
)

// testProvider serves a CSAF provider whose directory distribution lists
// the given shared icsma documents in changes.csv (with CISA's real change
// times), with SHA-512 files; tampered corrupts the hash of every document.
func testProvider(t *testing.T, names ...string) (url string, tampered *atomic.Bool) {
	t.Helper()
	changes, err := os.ReadFile("../../../shared/testdata/csaf/feed/changes.csv")
	if err != nil {
		t.Skipf("shared test data not present: %v", err)
	}
	docs := map[string][]byte{}
	var lines []string
	for _, l := range strings.Split(string(changes), "\n") {
		p, _, _ := strings.Cut(strings.TrimSpace(l), ",")
		for _, n := range names {
			if path.Base(p) == n+".json" {
				data, err := os.ReadFile(filepath.Join(icsmaDir, n+".json"))
				if err != nil {
					t.Fatal(err)
				}
				docs[n+".json"] = data
				lines = append(lines, strings.TrimSpace(l))
			}
		}
	}
	if len(lines) != len(names) {
		t.Fatalf("changes.csv lists %d of %v", len(lines), names)
	}
	tampered = &atomic.Bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		base := path.Base(r.URL.Path)
		switch {
		case r.URL.Path == "/provider-metadata.json":
			w.Write([]byte(`{"distributions": [{"directory_url": "/csaf_files/OT/white/"}]}`))
		case r.URL.Path == "/csaf_files/OT/white/changes.csv":
			w.Write([]byte(strings.Join(lines, "\n")))
		case docs[base] != nil:
			w.Write(docs[base])
		case strings.HasSuffix(base, ".sha512") && docs[strings.TrimSuffix(base, ".sha512")] != nil:
			sum := sha512.Sum512(docs[strings.TrimSuffix(base, ".sha512")])
			if tampered.Load() {
				sum[0] ^= 1
			}
			w.Write([]byte(hex.EncodeToString(sum[:]) + "  " + base + "\n"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/provider-metadata.json", tampered
}

func TestAdvisoriesSync(t *testing.T) {
	feedURL, tampered := testProvider(t, "icsma-20-049-02", "icsma-20-254-01", "icsma-20-184-01")
	dbPath, db, ps := advTestDB(t, 0, 0, inventory.Device{AssetTag: "US-1", Manufacturer: "GE Healthcare", Model: "Vivid E95", Version: "v203"})
	ctx := context.Background()
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.CreateUser(ctx, access.System, &access.User{OrgID: ps[0].OrgID, Email: "ciso@hospital.example", Role: access.RoleAdmin, PasswordHash: "x"})
	}); err != nil {
		t.Fatal(err)
	}
	summary := regexp.MustCompile(`(\d+) documents: (\d+) new, (\d+) updated, (\d+) unchanged, (\d+) failed; (\d+) new findings, (\d+) alerts queued`)

	// Ad hoc: first sync imports all three and alerts the hospital's admin.
	code, out, errOut := runCmd(t, env(nil), "advisories", "sync", feedURL, "--db", dbPath)
	m := summary.FindStringSubmatch(out)
	if code != 0 || m == nil || m[1] != "3" || m[2] != "3" || m[5] != "0" || m[6] == "0" || m[7] != "1" {
		t.Fatalf("first sync: exit %d\n%s\n%s", code, out, errOut)
	}
	st, err := db.OutboxStatus(ctx)
	if err != nil || st.Pending != 1 {
		t.Errorf("outbox after the first sync: %+v %v", st, err)
	}
	// Again: everything unchanged, no new alert.
	code, out, _ = runCmd(t, env(nil), "advisories", "sync", feedURL, "--db", dbPath)
	if m := summary.FindStringSubmatch(out); code != 0 || m == nil || m[2] != "0" || m[4] != "3" || m[7] != "0" {
		t.Errorf("second sync: exit %d: %s", code, out)
	}
	// --since after the newest change: nothing listed.
	code, out, _ = runCmd(t, env(nil), "advisories", "sync", feedURL, "--since", "2030-01-01T00:00:00Z", "--db", dbPath)
	if m := summary.FindStringSubmatch(out); code != 0 || m == nil || m[1] != "0" {
		t.Errorf("sync --since: exit %d: %s", code, out)
	}

	// Configured sources: none yet, then one that records its status.
	if code, out, _ = runCmd(t, env(nil), "advisories", "sync", "--db", dbPath); code != 0 || !strings.Contains(out, "No enabled feed sources") {
		t.Errorf("no sources: exit %d: %s", code, out)
	}
	src := store.FeedSource{URL: feedURL, Name: "Test provider", Enabled: true}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateFeedSource(ctx, access.System, &src) }); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCmd(t, env(nil), "advisories", "sync", "--db", dbPath)
	if m := summary.FindStringSubmatch(out); code != 0 || m == nil || m[1] != "3" || m[4] != "3" {
		t.Errorf("configured source: exit %d\n%s\n%s", code, out, errOut)
	}
	got, err := db.FeedSource(ctx, access.System, src.ID)
	if err != nil || got.LastSuccessAt == nil || got.Cursor == nil || got.DocumentsSeen != 3 {
		t.Errorf("source after the CLI sync: %+v %v", got, err)
	}

	// A provider whose hashes do not match: every document is refused, named, and the exit code says so.
	tampered.Store(true)
	code, out, errOut = runCmd(t, env(nil), "advisories", "sync", feedURL, "--db", dbPath)
	if m := summary.FindStringSubmatch(out); code != 1 || m == nil || m[5] != "3" ||
		strings.Count(errOut, "document failed:") != 3 || !strings.Contains(errOut, "checksum mismatch") || !strings.Contains(errOut, "icsma-20-049-02.json") {
		t.Errorf("tampered provider: exit %d\n%s\n%s", code, out, errOut)
	}
}

func TestAdvisoriesSyncUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"since without a URL", []string{"advisories", "sync", "--since", "2024-01-01T00:00:00Z", "--db", filepath.Join(t.TempDir(), "a.db")}, 2, "--since needs a URL"},
		{"bad since", []string{"advisories", "sync", "https://x.example/p.json", "--since", "yesterday", "--db", filepath.Join(t.TempDir(), "b.db")}, 2, "not an RFC 3339 time"},
		{"unreachable provider", []string{"advisories", "sync", "ftp://x.example/p.json", "--db", filepath.Join(t.TempDir(), "c.db")}, 1, "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCmd(t, env(nil), tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}

// The serve scheduler syncs a due source on its own, records the outcome,
// survives a failing source, and stops with its context.
func TestFeedScheduler(t *testing.T) {
	feedURL, _ := testProvider(t, "icsma-20-049-02", "icsma-20-254-01")
	_, db, _ := advTestDB(t, 0, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	good := store.FeedSource{URL: feedURL, Name: "Good", Enabled: true}
	bad := store.FeedSource{URL: strings.Replace(feedURL, "provider-metadata", "missing", 1), Name: "Bad", Enabled: true}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateFeedSource(ctx, access.System, &bad); err != nil {
			return err
		}
		return tx.CreateFeedSource(ctx, access.System, &good)
	}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		feedScheduler(ctx, newFeedSyncer(db, slog.New(slog.DiscardHandler)), 20*time.Millisecond, slog.New(slog.DiscardHandler))
		close(done)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		g, err1 := db.FeedSource(ctx, access.System, good.ID)
		b, err2 := db.FeedSource(ctx, access.System, bad.ID)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if g.LastSyncAt != nil && b.LastSyncAt != nil {
			if g.LastError != "" || g.LastCounts.New != 2 || !strings.Contains(b.LastError, "not found") || b.LastSuccessAt != nil {
				t.Errorf("after the scheduler: good %+v\nbad %+v", g, b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("scheduler did not sync: good %+v, bad %+v", g, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("scheduler did not stop with its context")
	}
}
