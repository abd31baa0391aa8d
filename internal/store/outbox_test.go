package store_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aceso-health/aceso/internal/notify"
	"github.com/aceso-health/aceso/internal/notify/notifytest"
	"github.com/aceso-health/aceso/internal/store"
	"github.com/aceso-health/aceso/internal/store/storetest"
)

func TestOutboxDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		smtpd := notifytest.NewSMTPServer(t)
		var hooks atomic.Int32
		var failHook atomic.Bool
		failHook.Store(true)
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			if r.Header.Get("X-Aceso-Signature") != notify.Sign([]byte("s3cret"), r.Header.Get("X-Aceso-Timestamp"), b) {
				http.Error(w, "bad signature", http.StatusUnauthorized)
				return
			}
			if failHook.Load() {
				http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
				return
			}
			hooks.Add(1)
		}))
		defer hook.Close()

		now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		enqueue := func(m notify.Message) bool {
			var fresh bool
			if err := db.InTx(ctx, func(tx *store.Tx) error {
				var err error
				fresh, err = tx.Enqueue(ctx, m, now)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return fresh
		}
		mail := notify.Message{Channel: notify.Email, Recipient: "ciso@anna.example", Subject: "NIS2 early warning due in 2 h", Body: "Incident 42…\n.\nline after a lone dot", DedupKey: "reminder:42:nis2:early_warning:2h"}
		if !enqueue(mail) || enqueue(mail) {
			t.Fatal("a dedup key must be enqueued exactly once")
		}
		enqueue(notify.Message{Channel: notify.Webhook, Recipient: hook.URL, Body: `{"incident":42}`, DedupKey: "hook:42"})

		senders := map[string]notify.Sender{notify.Email: &notify.SMTP{Addr: smtpd.Addr, From: "aceso@cert.example"}, notify.Webhook: &notify.HTTPWebhook{Secret: []byte("s3cret")}}
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		a := &notify.Worker{Outbox: db.Outbox(), Senders: senders, Node: "node-a", Now: clock, Log: quiet}
		b := &notify.Worker{Outbox: db.Outbox(), Senders: senders, Node: "node-b", Now: clock, Log: quiet}

		sent, err := a.RunOnce(ctx)
		if err != nil || sent != 1 {
			t.Fatalf("first run: sent %d, %v", sent, err)
		}
		mails := smtpd.Mails()
		if len(mails) != 1 || mails[0].To != "ciso@anna.example" || !strings.Contains(mails[0].Data, "Message-ID: <reminder.42.nis2.early_warning.2h@aceso>") ||
			!strings.Contains(mails[0].Data, "\r\n.\r\nline after a lone dot") {
			t.Fatalf("mail over SMTP: %+v", mails)
		}
		// The webhook failed: nobody retries before the backoff, then it goes out once.
		if n, _ := b.RunOnce(ctx); n != 0 {
			t.Fatal("retried before the backoff")
		}
		failHook.Store(false)
		now = now.Add(notify.Backoff(1) + time.Second)
		if n, _ := b.RunOnce(ctx); n != 1 || hooks.Load() != 1 {
			t.Fatalf("retry after backoff: sent %d, hooks %d", n, hooks.Load())
		}
		if n, _ := a.RunOnce(ctx); n != 0 || len(smtpd.Mails()) != 1 || hooks.Load() != 1 {
			t.Fatal("a delivered message went out again")
		}
		st, err := db.OutboxStatus(ctx)
		if err != nil || st.Sent != 2 || st.Pending != 0 {
			t.Fatalf("status %+v %v", st, err)
		}
	})
}

// A node that dies after claiming (before or after sending) holds a lease;
// the message waits for the lease to end and is then delivered by another
// node, never lost and never delivered by two nodes at once.
func TestOutboxCrashRecovery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		smtpd := notifytest.NewSMTPServer(t)
		now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Enqueue(ctx, notify.Message{Channel: notify.Email, Recipient: "soc@nord.example", Subject: "x", Body: "y", DedupKey: "k1"}, now)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// Node A claims and "dies": no send, no mark.
		claimed, err := db.Outbox().Claim(ctx, "node-a", 10, now, now.Add(2*time.Minute))
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim: %v %v", claimed, err)
		}
		b := &notify.Worker{Outbox: db.Outbox(), Senders: map[string]notify.Sender{notify.Email: &notify.SMTP{Addr: smtpd.Addr, From: "a@b.example"}},
			Node: "node-b", Now: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		if n, _ := b.RunOnce(ctx); n != 0 {
			t.Fatal("node B took a message under A's lease")
		}
		now = now.Add(3 * time.Minute)
		if n, err := b.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("after the lease: %d %v", n, err)
		}
		// A wakes up and tries to record its (never made) send: refused.
		if err := db.Outbox().MarkSent(ctx, claimed[0].ID, "node-a", now); err == nil {
			t.Fatal("a stale lease could still mark the message")
		}
		if len(smtpd.Mails()) != 1 {
			t.Fatalf("%d mails, want 1", len(smtpd.Mails()))
		}
	})
}
