package store_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/advisory"
	"github.com/aceso-health/aceso/internal/inventory"
	"github.com/aceso-health/aceso/internal/notify"
	"github.com/aceso-health/aceso/internal/notify/notifytest"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

// sharedTestdata returns the read-only real test data next to the
// repository, skipping the test when only the project was cloned.
func sharedTestdata(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join("..", "..", "..", "shared", "testdata", rel)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared test data %s not present (%v); CI always has it", p, err)
	}
	return p
}

// csafServer serves a CSAF provider with a directory distribution: the
// real CISA changes.csv, cut down to the newest n documents that exist in
// the shared icsma/ folder, those documents, and computed hash files
// (wrong for names in tampered).
type csafServer struct {
	srv      *httptest.Server
	docs     map[string][]byte // base name → document
	changes  []string          // changes.csv lines served
	newest   time.Time
	mu       sync.Mutex
	tampered map[string]bool
	hits     map[string]int // base name → downloads
	// slowMetadata delays the metadata answer, so that a second node tries
	// to sync while the first one holds the source.
	slowMetadata time.Duration
}

const metadataPath = "/.well-known/csaf/provider-metadata.json"

func newCSAFServer(t testing.TB, n int) *csafServer {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedTestdata(t, "csaf/feed"), "changes.csv"))
	if err != nil {
		t.Fatal(err)
	}
	dir := sharedTestdata(t, "csaf/icsma")
	s := &csafServer{docs: map[string][]byte{}, tampered: map[string]bool{}, hits: map[string]int{}}
	type line struct {
		text string
		at   time.Time
	}
	var lines []line
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		l = strings.TrimSpace(l)
		p, when, _ := strings.Cut(l, ",")
		at, err := time.Parse(time.RFC3339, when)
		if err != nil {
			t.Fatalf("changes.csv %q: %v", l, err)
		}
		if _, err := os.Stat(filepath.Join(dir, path.Base(p))); err == nil {
			lines = append(lines, line{l, at})
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].at.After(lines[j].at) })
	if len(lines) < n {
		t.Fatalf("only %d icsma documents in changes.csv", len(lines))
	}
	for _, l := range lines[:n] {
		p, _, _ := strings.Cut(l.text, ",")
		doc, err := os.ReadFile(filepath.Join(dir, path.Base(p)))
		if err != nil {
			t.Fatal(err)
		}
		s.docs[path.Base(p)] = doc
		s.changes = append(s.changes, l.text)
		if l.at.After(s.newest) {
			s.newest = l.at
		}
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *csafServer) serve(w http.ResponseWriter, r *http.Request) {
	base := path.Base(r.URL.Path)
	switch {
	case r.URL.Path == metadataPath:
		time.Sleep(s.slowMetadata)
		w.Write([]byte(`{"role": "csaf_provider", "distributions": [{"directory_url": "/csaf_files/OT/white/"}]}`))
	case r.URL.Path == "/csaf_files/OT/white/changes.csv":
		w.Write([]byte(strings.Join(s.changes, "\r\n") + "\r\n")) // CISA writes CRLF
	case strings.HasSuffix(base, ".json"):
		doc, ok := s.docs[base]
		if !ok {
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		s.hits[base]++
		s.mu.Unlock()
		w.Write(doc)
	case strings.HasSuffix(base, ".sha512"), strings.HasSuffix(base, ".sha256"):
		name := strings.TrimSuffix(strings.TrimSuffix(base, ".sha512"), ".sha256")
		doc, ok := s.docs[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		s.mu.Lock()
		if s.tampered[name] {
			doc = append([]byte("tampered"), doc...)
		}
		s.mu.Unlock()
		var sum []byte
		if strings.HasSuffix(base, ".sha512") {
			h := sha512.Sum512(doc)
			sum = h[:]
		} else {
			h := sha256.Sum256(doc)
			sum = h[:]
		}
		w.Write([]byte(hex.EncodeToString(sum) + "  " + name + "\n"))
	default:
		http.NotFound(w, r)
	}
}

func (s *csafServer) url() string { return s.srv.URL + metadataPath }

func (s *csafServer) downloads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.hits {
		n += c
	}
	return n
}

// trackingIDs parses the served documents independently of the sync.
func (s *csafServer) trackingIDs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, doc := range s.docs {
		var d struct {
			Document struct {
				Tracking struct {
					ID string `json:"id"`
				} `json:"tracking"`
			} `json:"document"`
		}
		if err := json.Unmarshal(doc, &d); err != nil || d.Document.Tracking.ID == "" {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = d.Document.Tracking.ID
	}
	return out
}

// changedAt is when changes.csv says the named document changed.
func (s *csafServer) changedAt(t *testing.T, name string) time.Time {
	t.Helper()
	for _, l := range s.changes {
		p, when, _ := strings.Cut(l, ",")
		if path.Base(p) == name {
			at, _ := time.Parse(time.RFC3339, when)
			return at
		}
	}
	t.Fatalf("%s not served", name)
	return time.Time{}
}

// feedWorld is the CSIRT and two hospitals: A has an ultrasound system that
// GE's advisory ICSMA-20-049-02 names, two active admins, a disabled admin
// and a viewer; B has nothing the served advisories name.
type feedWorld struct {
	db           *store.DB
	csirt, aAdm  access.Principal
	a, b         access.Org
	aAdmins      []string
	now          time.Time
	vividID      int64
	syncerLogger *slog.Logger
}

func newFeedWorld(t *testing.T, db *store.DB) *feedWorld {
	t.Helper()
	w := &feedWorld{db: db, now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), syncerLogger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	db.Now = func() time.Time { return w.now }
	csirt := access.Org{Name: "CERT", Kind: access.KindCSIRT}
	w.a = access.Org{Name: "Hospital A", Kind: access.KindMember}
	w.b = access.Org{Name: "Hospital B", Kind: access.KindMember}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, o := range []*access.Org{&csirt, &w.a, &w.b} {
			if err := tx.CreateOrg(ctx, access.System, o); err != nil {
				return err
			}
		}
		users := []access.User{
			{OrgID: w.a.ID, Email: "ciso@anna.example", Role: access.RoleAdmin},
			{OrgID: w.a.ID, Email: "biomed-lead@anna.example", Role: access.RoleAdmin},
			{OrgID: w.a.ID, Email: "left@anna.example", Role: access.RoleAdmin},
			{OrgID: w.a.ID, Email: "viewer@anna.example", Role: access.RoleViewer},
			{OrgID: w.b.ID, Email: "ciso@nord.example", Role: access.RoleAdmin},
		}
		for i := range users {
			users[i].PasswordHash = "x"
			if err := tx.CreateUser(ctx, access.System, &users[i]); err != nil {
				return err
			}
		}
		if err := tx.SetUserDisabled(ctx, access.System, users[2].ID, true); err != nil {
			return err
		}
		w.aAdmins = []string{users[0].Email, users[1].Email}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	w.csirt = fxPrincipal(csirt, access.RoleAnalyst)
	w.aAdm = fxPrincipal(w.a, access.RoleAdmin)
	devs := []struct {
		org              access.Org
		tag, mfr, model  string
		ver              string
		function         inventory.ClinicalFunction
		keep             *int64
		department, zone string
	}{
		{w.a, "a-us1", "GE Healthcare", "Vivid E95", "v203", inventory.FunctionDiagnosticImaging, &w.vividID, "Cardiology", ""},
		{w.b, "b-pump", "B. Braun", "Perfusor Space", "1.0", inventory.FunctionTherapy, nil, "ICU", ""},
	}
	for _, d := range devs {
		dev := inventory.Device{AssetTag: d.tag, Manufacturer: d.mfr, Model: d.model, Version: d.ver, ClinicalFunction: d.function, Department: d.department}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateDevice(ctx, fxPrincipal(d.org, access.RoleAdmin), &dev) }); err != nil {
			t.Fatal(err)
		}
		if d.keep != nil {
			*d.keep = dev.ID
		}
	}
	return w
}

func (w *feedWorld) syncer(db *store.DB, node string) *store.FeedSyncer {
	return &store.FeedSyncer{DB: db, Feed: &advisory.Feed{}, Node: node, Log: w.syncerLogger}
}

func (w *feedWorld) addSource(t *testing.T, u string) store.FeedSource {
	t.Helper()
	f := store.FeedSource{URL: u, Name: "CISA (test)", Enabled: true, Interval: time.Hour}
	if err := w.db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateFeedSource(ctx, w.csirt, &f) }); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFeedSyncImportsAlertsAndIsIncremental(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := newCSAFServer(t, 6)
		w := newFeedWorld(t, db)
		var hookMu sync.Mutex
		var hookBodies []string
		hook := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			hookMu.Lock()
			hookBodies = append(hookBodies, string(b))
			hookMu.Unlock()
		}))
		defer hook.Close()
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.SetOrgSettings(ctx, w.aAdm, &store.OrgSettings{OrgID: w.a.ID, WebhookURL: hook.URL + "/aceso?token=t0k3n"})
		}); err != nil {
			t.Fatal(err)
		}
		src := w.addSource(t, srv.url())
		syncer := w.syncer(db, "node-a")

		res, err := syncer.SyncDue(ctx)
		if err != nil || len(res) != 1 {
			t.Fatalf("first sync: %+v %v", res, err)
		}
		r := res[0]
		if !r.OK() || r.Counts.Documents != len(srv.docs) || r.Counts.New != len(srv.docs) || r.Counts.Failed != 0 {
			t.Fatalf("first sync: %+v", r)
		}
		for name, id := range srv.trackingIDs(t) {
			if _, err := db.AdvisoryIDByTracking(ctx, id); err != nil {
				t.Errorf("%s (%s) not imported: %v", name, id, err)
			}
		}
		got, err := db.FeedSource(ctx, w.csirt, src.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Cursor == nil || !got.Cursor.Equal(srv.newest) || got.LastSuccessAt == nil || got.LastError != "" ||
			got.DocumentsSeen != int64(len(srv.docs)) || got.Running || !got.NextSyncAt.Equal(w.now.Add(time.Hour)) {
			t.Errorf("source after sync: %+v (newest change %v)", got, srv.newest)
		}
		downloads := srv.downloads()
		if downloads != len(srv.docs) {
			t.Errorf("%d document downloads, want %d", downloads, len(srv.docs))
		}

		// Not due again before its interval; asked for, it syncs and finds nothing new.
		if res, err := syncer.SyncDue(ctx); err != nil || len(res) != 0 {
			t.Fatalf("sync before the interval: %+v %v", res, err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.RequestFeedSync(ctx, w.csirt, src.ID) }); err != nil {
			t.Fatal(err)
		}
		w.now = w.now.Add(time.Minute)
		res, err = syncer.SyncDue(ctx)
		if err != nil || len(res) != 1 || res[0].Counts.Documents != 0 || res[0].Counts.New != 0 || srv.downloads() != downloads {
			t.Fatalf("second sync: %+v %v, %d downloads", res, err, srv.downloads())
		}

		// The alert: A's findings of the GE advisory, counted independently.
		geID, err := db.AdvisoryIDByTracking(ctx, "ICSMA-20-049-02")
		if err != nil {
			t.Fatal(err)
		}
		page, err := db.ListFindings(ctx, fxPrincipal(w.a, access.RoleViewer), store.FindingFilter{AdvisoryID: geID, Limit: 500})
		if err != nil || len(page.Findings) == 0 {
			t.Fatalf("A has no findings of the GE advisory: %v", err)
		}
		devices := map[int64]bool{}
		for _, f := range page.Findings {
			devices[f.DeviceID] = true
		}
		smtpd := notifytest.NewSMTPServer(t)
		worker := &notify.Worker{Outbox: db.Outbox(), Node: "mailer", Now: func() time.Time { return w.now }, Log: w.syncerLogger,
			Senders: map[string]notify.Sender{notify.Email: &notify.SMTP{Addr: smtpd.Addr, From: "aceso@cert.example"},
				notify.Webhook: &notify.HTTPWebhook{Client: hook.Client(), Secret: []byte("s")}}}
		for {
			n, err := worker.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		var to []string
		var geMail string
		for _, m := range smtpd.Mails() {
			to = append(to, m.To)
			if strings.Contains(m.Data, "ICSMA-20-049-02") {
				geMail = m.Data
			}
			if strings.Contains(m.To, "nord") || strings.Contains(m.To, "left@") || strings.Contains(m.To, "viewer@") {
				t.Errorf("alert to %s, who is not an active admin of an affected hospital", m.To)
			}
		}
		slices.Sort(to)
		to = slices.Compact(to)
		if want := slices.Sorted(slices.Values(w.aAdmins)); !slices.Equal(to, want) {
			t.Errorf("mail went to %v, want A's active admins %v", to, want)
		}
		wantSubject := "Subject: [Aceso] ICSMA-20-049-02: " + itoa(len(devices)) + " of your devices affected"
		if !strings.Contains(geMail, wantSubject) || !strings.Contains(geMail, "/advisories/"+itoa(int(geID))) ||
			!strings.Contains(geMail, "GE Healthcare Ultrasound") {
			t.Errorf("GE alert mail lacks %q, the link or the title:\n%s", wantSubject, geMail)
		}
		hookMu.Lock()
		var payload struct {
			TrackingID string         `json:"tracking_id"`
			OrgID      int64          `json:"org_id"`
			Devices    int            `json:"devices"`
			BySSVC     map[string]int `json:"devices_by_ssvc"`
		}
		found := false
		for _, b := range hookBodies {
			if err := json.Unmarshal([]byte(b), &payload); err == nil && payload.TrackingID == "ICSMA-20-049-02" {
				found = true
				sum := 0
				for _, n := range payload.BySSVC {
					sum += n
				}
				if payload.OrgID != w.a.ID || payload.Devices != len(devices) || sum != len(devices) {
					t.Errorf("webhook payload %+v, want %d devices of org %d", payload, len(devices), w.a.ID)
				}
			}
		}
		hookMu.Unlock()
		if !found {
			t.Errorf("no webhook for the GE advisory among %d", len(hookBodies))
		}
		// Alerting the same findings again (another node, a retry) sends nothing more.
		rep, err := db.AlertNewFindings(ctx, []int64{geID}, time.Time{})
		if err != nil || rep.Orgs != 1 || rep.Enqueued != 0 {
			t.Errorf("repeated alert: %+v %v", rep, err)
		}
	})
}

func TestFeedSyncRejectsTamperedDocument(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv := newCSAFServer(t, 4)
		w := newFeedWorld(t, db)
		ids := srv.trackingIDs(t)
		// Tamper with the second oldest served document, so that one
		// older document comes before it and two newer after it.
		names := make([]string, 0, len(srv.docs))
		for n := range srv.docs {
			names = append(names, n)
		}
		sort.Slice(names, func(i, j int) bool { return srv.changedAt(t, names[i]).Before(srv.changedAt(t, names[j])) })
		bad := names[1]
		srv.tampered[bad] = true
		src := w.addSource(t, srv.url())
		res, ok, err := w.syncer(db, "node-a").SyncSource(ctx, src.ID, false)
		if err != nil || !ok {
			t.Fatalf("sync: %v %v", ok, err)
		}
		if res.OK() || len(res.DocErrors) != 1 || !strings.Contains(res.DocErrors[0], "checksum mismatch") || !strings.Contains(res.DocErrors[0], bad) {
			t.Fatalf("tampered document not reported by name: %+v", res)
		}
		if res.Counts.New != len(srv.docs)-1 || res.Counts.Failed != 1 {
			t.Errorf("counts %+v", res.Counts)
		}
		if _, err := db.AdvisoryIDByTracking(ctx, ids[bad]); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("tampered %s was imported: %v", ids[bad], err)
		}
		got, err := db.FeedSource(ctx, w.csirt, src.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got.LastError, "1 of 4 documents failed") || len(got.LastDocErrors) != 1 || !strings.Contains(got.LastDocErrors[0], bad) {
			t.Errorf("source does not show the error: %q %q", got.LastError, got.LastDocErrors)
		}
		if got.Cursor == nil || !got.Cursor.Before(srv.changedAt(t, bad)) {
			t.Errorf("cursor %v moved past the failed document (%v)", got.Cursor, srv.changedAt(t, bad))
		}
		// Once the provider publishes a matching hash, the next sync imports it.
		srv.mu.Lock()
		srv.tampered[bad] = false
		srv.mu.Unlock()
		res, ok, err = w.syncer(db, "node-a").SyncSource(ctx, src.ID, true)
		if err != nil || !ok || !res.OK() || res.Counts.New != 1 {
			t.Fatalf("retry: %+v %v %v", res, ok, err)
		}
		if _, err := db.AdvisoryIDByTracking(ctx, ids[bad]); err != nil {
			t.Errorf("retried document not imported: %v", err)
		}
	})
}

// Two nodes (two database handles, two goroutines) syncing at once import
// every document exactly once: the lease lets only one of them sync.
func TestFeedSyncConcurrentNodes(t *testing.T) {
	for _, backend := range storetest.Backends() {
		t.Run(backend, func(t *testing.T) {
			dsn := storetest.DSN(t, backend)
			open := func() *store.DB {
				db, err := store.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			db1 := open()
			if _, err := db1.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			db2 := open()
			srv := newCSAFServer(t, 5)
			srv.slowMetadata = 300 * time.Millisecond
			w := newFeedWorld(t, db1)
			db2.Now = db1.Now
			w.addSource(t, srv.url())
			var wg sync.WaitGroup
			results := make([][]store.FeedSyncResult, 2)
			errs := make([]error, 2)
			for i, db := range []*store.DB{db1, db2} {
				wg.Go(func() { results[i], errs[i] = w.syncer(db, "node-"+itoa(i)).SyncAll(ctx) })
			}
			wg.Wait()
			if errs[0] != nil || errs[1] != nil {
				t.Fatal(errs)
			}
			if n := len(results[0]) + len(results[1]); n != 1 {
				t.Fatalf("%d nodes synced the source, want exactly 1: %+v", n, results)
			}
			if srv.downloads() != len(srv.docs) {
				t.Errorf("%d document downloads for %d documents", srv.downloads(), len(srv.docs))
			}
			entries, err := db1.ListAudit(ctx, access.System, store.AuditFilter{OrgID: 0, Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			created := map[string]int{}
			for _, e := range entries {
				if e.Action == "advisory.create" {
					created[e.ObjectID]++
				}
			}
			if len(created) != len(srv.docs) {
				t.Errorf("%d advisories created, want %d", len(created), len(srv.docs))
			}
			for id, n := range created {
				if n != 1 {
					t.Errorf("advisory %s created %d times", id, n)
				}
			}
		})
	}
}

func TestFeedLease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newFeedWorld(t, db)
		src := w.addSource(t, "https://provider.example/.well-known/csaf/provider-metadata.json")
		now := w.now
		if ok, err := db.ClaimFeedSource(ctx, src.ID, "node-a", now, now.Add(time.Minute), false); !ok || err != nil {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if ok, _ := db.ClaimFeedSource(ctx, src.ID, "node-b", now.Add(30*time.Second), now.Add(2*time.Minute), true); ok {
			t.Fatal("node B claimed a source under A's lease")
		}
		if got, _ := db.FeedSource(ctx, w.csirt, src.ID); !got.Running {
			t.Error("a leased source does not show as running")
		}
		// A's lease runs out (A died): B takes over, and A can no longer record.
		if ok, _ := db.ClaimFeedSource(ctx, src.ID, "node-b", now.Add(2*time.Minute), now.Add(3*time.Minute), false); !ok {
			t.Fatal("node B could not take over an expired lease")
		}
		err := db.RecordSync(ctx, "node-a", store.FeedSyncResult{SourceID: src.ID, Finished: now, Counts: store.FeedCounts{Documents: 3}})
		if aceso.ErrorCode(err) != aceso.ECONFLICT {
			t.Errorf("stale node recorded a sync: %v", err)
		}
		if err := db.RecordSync(ctx, "node-b", store.FeedSyncResult{SourceID: src.ID, Finished: now, Err: "metadata: status 503"}); err != nil {
			t.Fatal(err)
		}
		got, _ := db.FeedSource(ctx, w.csirt, src.ID)
		if got.Running || got.LastError != "metadata: status 503" || got.LastSuccessAt != nil || got.LastSyncAt == nil {
			t.Errorf("after a failed sync: %+v", got)
		}
	})
}

func TestFeedSourceAccessAndValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newFeedWorld(t, db)
		csirtViewer := w.csirt
		csirtViewer.Role = access.RoleViewer
		tests := []struct {
			name string
			p    access.Principal
			f    store.FeedSource
			want string
		}{
			{"CSIRT analyst adds a source", w.csirt, store.FeedSource{URL: "https://a.example/provider-metadata.json", Enabled: true}, ""},
			{"same url again", w.csirt, store.FeedSource{URL: "https://a.example/provider-metadata.json"}, aceso.ECONFLICT},
			{"member admin", w.aAdm, store.FeedSource{URL: "https://b.example/provider-metadata.json"}, aceso.EFORBIDDEN},
			{"CSIRT viewer", csirtViewer, store.FeedSource{URL: "https://c.example/provider-metadata.json"}, aceso.EFORBIDDEN},
			{"not http", w.csirt, store.FeedSource{URL: "file:///etc/passwd"}, aceso.EINVALID},
			{"user info", w.csirt, store.FeedSource{URL: "https://u:p@d.example/x.json"}, aceso.EINVALID},
			{"interval too short", w.csirt, store.FeedSource{URL: "https://e.example/x.json", Interval: time.Minute}, aceso.EINVALID},
			{"not an OpenPGP key", w.csirt, store.FeedSource{URL: "https://f.example/x.json", OpenPGPKey: "ssh-rsa AAAA"}, aceso.EINVALID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateFeedSource(ctx, tt.p, &tt.f) })
				if aceso.ErrorCode(err) != tt.want && !(tt.want == "" && err == nil) {
					t.Errorf("CreateFeedSource = %v, want %q", err, tt.want)
				}
			})
		}
		list, err := db.FeedSources(ctx, w.csirt)
		if err != nil || len(list) != 1 || list[0].Name != "a.example" || list[0].Interval != time.Hour {
			t.Fatalf("sources %+v %v", list, err)
		}
		if _, err := db.FeedSources(ctx, w.aAdm); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Errorf("a member listed feed sources: %v", err)
		}
		f := list[0]
		f.Enabled, f.Name = false, "Renamed"
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.UpdateFeedSource(ctx, w.csirt, &f) }); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.FeedSource(ctx, w.csirt, f.ID); got.Enabled || got.Name != "Renamed" {
			t.Errorf("update not stored: %+v", got)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.RequestFeedSync(ctx, w.aAdm, f.ID) }); aceso.ErrorCode(err) != aceso.EFORBIDDEN {
			t.Errorf("a member requested a sync: %v", err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteFeedSource(ctx, w.csirt, f.ID) }); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FeedSource(ctx, w.csirt, f.ID); aceso.ErrorCode(err) != aceso.ENOTFOUND {
			t.Errorf("deleted source still there: %v", err)
		}
	})
}

func TestOrgSettingsWebhook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newFeedWorld(t, db)
		aViewer := w.aAdm
		aViewer.Role = access.RoleViewer
		tests := []struct {
			name string
			p    access.Principal
			s    store.OrgSettings
			want string
		}{
			{"admin sets an https webhook", w.aAdm, store.OrgSettings{OrgID: w.a.ID, WebhookURL: "https://siem.anna.example/hook?key=1"}, ""},
			{"plain http refused", w.aAdm, store.OrgSettings{OrgID: w.a.ID, WebhookURL: "http://siem.anna.example/hook"}, aceso.EINVALID},
			{"control character", w.aAdm, store.OrgSettings{OrgID: w.a.ID, WebhookURL: "https://x.example/\x01"}, aceso.EINVALID},
			{"viewer", aViewer, store.OrgSettings{OrgID: w.a.ID}, aceso.EFORBIDDEN},
			{"another hospital", w.aAdm, store.OrgSettings{OrgID: w.b.ID, WebhookURL: "https://evil.example/"}, aceso.ENOTFOUND},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SetOrgSettings(ctx, tt.p, &tt.s) })
				if aceso.ErrorCode(err) != tt.want && !(tt.want == "" && err == nil) {
					t.Errorf("SetOrgSettings = %v, want %q", err, tt.want)
				}
			})
		}
		got, err := db.OrgSettings(ctx, w.aAdm, w.a.ID)
		if err != nil || got.WebhookURL != "https://siem.anna.example/hook?key=1" || got.UpdatedAt == nil {
			t.Errorf("A's settings %+v %v", got, err)
		}
		if got, err := db.OrgSettings(ctx, access.System, w.b.ID); err != nil || got.WebhookURL != "" {
			t.Errorf("B's settings changed: %+v %v", got, err)
		}
		entries, _ := db.ListAudit(ctx, w.aAdm, store.AuditFilter{OrgID: w.a.ID, Limit: 50})
		for _, e := range entries {
			if strings.Contains(e.Summary, "key=1") {
				t.Errorf("audit holds the webhook's secret query: %s", e.Summary)
			}
		}
	})
}

func itoa[T int | int64](n T) string { return strconv.FormatInt(int64(n), 10) }

// BenchmarkFeedSync measures a first sync of all 90 shared ICSMA documents
// (list, fetch, SHA-512 check, parse, import, match against one hospital,
// alert) into a fresh SQLite database.
func BenchmarkFeedSync(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		db := storetest.Open(b, "sqlite")
		srv := newCSAFServer(b, 90)
		s := &store.FeedSyncer{DB: db, Feed: &advisory.Feed{}, Node: "bench", Log: slog.New(slog.DiscardHandler)}
		b.StartTimer()
		r := s.SyncURL(ctx, srv.url(), time.Time{})
		if !r.OK() || r.Counts.New != 90 {
			b.Fatalf("%+v", r)
		}
	}
	b.ReportMetric(float64(90*b.N)/b.Elapsed().Seconds(), "docs/s")
}
