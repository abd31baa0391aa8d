package store_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/notify"
	"github.com/aceso-health/aceso/internal/notify/notifytest"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

type reminderRow struct {
	key       string
	notBefore time.Time
	sent      bool
	body      string
}

func reminderRows(t *testing.T, db *store.DB, prefix string) map[string]reminderRow {
	t.Helper()
	rows, err := db.SQL().QueryContext(ctx, "SELECT dedup_key, next_try_at, sent_at IS NOT NULL, body FROM outbox WHERE dedup_key LIKE $1", prefix+"%")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]reminderRow{}
	for rows.Next() {
		var r reminderRow
		var nb int64
		if err := rows.Scan(&r.key, &nb, &r.sent, &r.body); err != nil {
			t.Fatal(err)
		}
		r.notBefore = time.UnixMicro(nb).UTC()
		out[r.key] = r
	}
	return out
}

// The reminders of an incident recorded in Berlin the day before the
// change to summer time: each (obligation, lead, recipient) is written once
// however often and on however many nodes the scheduler runs, delivered at
// due − lead by real SMTP and a signed webhook, survives a node dying
// between claim and delivery, and a submission cancels what is left.
func TestIncidentRemindersExactlyOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seed(t, db)
		// A reporter creates the incident: reporter and admin are reminded.
		var reporter access.Principal
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			u := access.User{OrgID: s.a.ID, Email: "nurse@anna.example", Name: "Nurse", Role: access.RoleReporter, PasswordHash: "x"}
			if err := tx.CreateUser(ctx, access.System, &u); err != nil {
				return err
			}
			reporter = access.Principal{UserID: u.ID, UserName: u.Email, OrgID: s.a.ID, OrgKind: access.KindMember, Role: access.RoleReporter}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var hookMu sync.Mutex
		var hookKeys []string
		hook := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			if r.Header.Get("X-Aceso-Signature") != notify.Sign([]byte("k"), r.Header.Get("X-Aceso-Timestamp"), b) {
				http.Error(w, "bad signature", http.StatusUnauthorized)
				return
			}
			hookMu.Lock()
			hookKeys = append(hookKeys, r.Header.Get("Idempotency-Key"))
			hookMu.Unlock()
		}))
		defer hook.Close()
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.SetOrgSettings(ctx, s.aAdmin, &store.OrgSettings{OrgID: s.a.ID, WebhookURL: hook.URL})
		}); err != nil {
			t.Fatal(err)
		}

		berlin, _ := time.LoadLocation("Europe/Berlin")
		c := &clock{t: time.Date(2026, 3, 28, 10, 30, 0, 0, time.UTC)} // Saturday; DST starts Sunday 02:00 CET
		db.Now = c.Now
		in := ransomware(time.Date(2026, 3, 28, 10, 0, 0, 0, time.UTC))
		r := mustCreate(t, db, reporter, in, significant)
		ew := obligation(t, r, "nis2", "early_warning")
		due := *ew.DueAt
		if _, off := due.In(berlin).Zone(); off != 2*3600 {
			t.Fatalf("early warning due %v is not in summer time", due.In(berlin))
		}

		// Three runs, as if on three nodes: one set of messages.
		var total int
		for i := range 3 {
			rep, err := db.EnqueueIncidentReminders(ctx, store.ReminderConfig{})
			if err != nil {
				t.Fatal(err)
			}
			if i > 0 && rep.Enqueued != 0 {
				t.Fatalf("run %d enqueued %d again", i+1, rep.Enqueued)
			}
			total += rep.Enqueued
		}
		prefix := "incident-reminder:" + itoa(r.ID) + ":nis2.early_warning:"
		rows := reminderRows(t, db, prefix)
		want := map[string]time.Time{}
		for _, lead := range []struct {
			label string
			d     time.Duration
		}{{"12h", 12 * time.Hour}, {"2h", 2 * time.Hour}, {"overdue", 0}} {
			for _, rcpt := range []string{"user-" + itoa(s.aAdminUser.ID), "user-" + itoa(reporter.UserID), "webhook"} {
				want[prefix+lead.label+":"+rcpt] = due.Add(-lead.d)
			}
		}
		if len(rows) != len(want) {
			t.Fatalf("early-warning reminders %d, want %d: %v", len(rows), len(want), rows)
		}
		for k, at := range want {
			if got, ok := rows[k]; !ok || !got.notBefore.Equal(at) {
				t.Errorf("%s: %+v, want not before %v", k, got, at)
			}
		}
		// The 12 h reminder is 12 real hours before the deadline, across the
		// DST change, and the mail shows the deadline in Berlin summer time.
		if at := rows[prefix+"12h:webhook"].notBefore; !at.Equal(time.Date(2026, 3, 28, 22, 0, 0, 0, time.UTC)) {
			t.Errorf("12 h reminder at %v", at)
		}
		mailBody := rows[prefix+"12h:user-"+itoa(reporter.UserID)].body
		if !strings.Contains(mailBody, due.In(berlin).Format("15:04 MST")) || !strings.Contains(mailBody, "CEST") {
			t.Errorf("mail body does not give the deadline in CEST:\n%s", mailBody)
		}

		smtpd := notifytest.NewSMTPServer(t)
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		worker := func(node string) *notify.Worker {
			return &notify.Worker{Outbox: db.Outbox(), Node: node, Now: c.Now, Log: quiet, Batch: 100,
				Senders: map[string]notify.Sender{notify.Email: &notify.SMTP{Addr: smtpd.Addr, From: "aceso@cert.example"},
					notify.Webhook: &notify.HTTPWebhook{Client: hook.Client(), Secret: []byte("k")}}}
		}
		// Before due − 12 h nothing goes out.
		c.Set(due.Add(-12*time.Hour - time.Second))
		if n, err := worker("a").RunOnce(ctx); n != 0 || err != nil {
			t.Fatalf("early delivery: %d %v", n, err)
		}
		// Node A claims the 12 h reminders and dies before sending.
		c.Set(due.Add(-12 * time.Hour))
		claimed, err := db.Outbox().Claim(ctx, "node-a", 100, c.Now(), c.Now().Add(2*time.Minute))
		if err != nil || len(claimed) != 3 {
			t.Fatalf("claim: %d %v", len(claimed), err)
		}
		b := worker("node-b")
		if n, _ := b.RunOnce(ctx); n != 0 {
			t.Fatal("node B delivered under A's lease")
		}
		c.Add(3 * time.Minute)
		if n, err := b.RunOnce(ctx); n != 3 || err != nil {
			t.Fatalf("after the lease: %d %v", n, err)
		}
		if n, _ := worker("node-c").RunOnce(ctx); n != 0 {
			t.Fatal("delivered twice")
		}
		mails := smtpd.Mails()
		var to []string
		for _, m := range mails {
			to = append(to, m.To)
			if !strings.Contains(m.Data, "due in 12h") || !strings.Contains(m.Data, "Message-ID: <incident-reminder."+itoa(r.ID)+".nis2.early_warning.12h.user-") {
				t.Errorf("mail: %.400s", m.Data)
			}
		}
		sort.Strings(to)
		if strings.Join(to, ",") != "admin@anna.example,nurse@anna.example" {
			t.Fatalf("12 h reminder went to %v", to)
		}
		hookMu.Lock()
		if len(hookKeys) != 1 || hookKeys[0] != prefix+"12h:webhook" {
			t.Errorf("webhooks %v", hookKeys)
		}
		hookMu.Unlock()

		// The early warning is submitted before the 2 h reminder: the rest
		// of its reminders are deleted with the submission, and a
		// scheduler run afterwards does not bring them back.
		c.Set(due.Add(-3 * time.Hour))
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.SubmitObligation(ctx, reporter, r.ID, "nis2", "early_warning", nil, "")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.EnqueueIncidentReminders(ctx, store.ReminderConfig{}); err != nil {
			t.Fatal(err)
		}
		left := reminderRows(t, db, prefix)
		for k, row := range left {
			if !row.sent {
				t.Errorf("reminder %s of the submitted report still waits", k)
			}
		}
		if len(left) != 3 {
			t.Errorf("%d early-warning rows left, want the 3 sent", len(left))
		}
		c.Set(due.Add(time.Hour))
		if n, err := b.RunOnce(ctx); n != 0 || err != nil {
			t.Fatalf("after submission: sent %d %v", n, err)
		}
		if len(smtpd.Mails()) != 2 {
			t.Fatalf("%d mails, want the 2 of the 12 h reminder", len(smtpd.Mails()))
		}
		// The other obligations still have theirs (72 h notification, GDPR).
		if n := len(reminderRows(t, db, "incident-reminder:"+itoa(r.ID)+":nis2.notification:")); n != 9 {
			t.Errorf("nis2.notification reminders %d, want 9", n)
		}
		if total == 0 {
			t.Fatal("nothing enqueued")
		}
	})
}
