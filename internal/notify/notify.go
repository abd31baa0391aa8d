// Package notify delivers Aceso's outbound messages (e-mail and webhooks)
// from the transactional outbox: a message is written in the same
// transaction as the change that causes it, and a worker on any node claims
// and delivers it with retries. Nothing is lost when a process dies, and a
// message is sent again only if a node died between sending and recording
// the send; every message carries its stable key (Message-ID / Idempotency-Key)
// so receivers can drop such a duplicate.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"
)

// Channels.
const (
	Email   = "email"
	Webhook = "webhook"
)

// Message is one outbound message.
type Message struct {
	ID        int64
	OrgID     int64
	Channel   string // Email or Webhook
	Recipient string // e-mail address or https URL
	Subject   string
	Body      string // plain text (e-mail) or JSON (webhook)
	DedupKey  string // unique per logical message: "reminder:incident:42:nis2:early_warning:12h"
	Attempts  int
}

// Outbox is the persistence the worker needs; the store implements it.
type Outbox interface {
	// Claim leases up to n due messages to node until the lease ends.
	Claim(ctx context.Context, node string, n int, now, leaseUntil time.Time) ([]Message, error)
	// MarkSent records a delivery; it must only succeed for the node holding the lease.
	MarkSent(ctx context.Context, id int64, node string, at time.Time) error
	// MarkFailed records a failed attempt and when to try again (or gives up when nextTry is zero).
	MarkFailed(ctx context.Context, id int64, node string, errText string, nextTry time.Time) error
}

// Sender delivers one message on one channel.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Worker delivers outbox messages.
type Worker struct {
	Outbox      Outbox
	Senders     map[string]Sender // by channel; a channel without sender is left in the outbox
	Node        string            // unique per process, e.g. hostname:pid
	Log         *slog.Logger
	Now         func() time.Time
	Lease       time.Duration // how long a claim lasts; must exceed the slowest send
	MaxAttempts int           // after that many failures a message is given up (kept, marked failed)
	Batch       int
}

func (w *Worker) defaults() {
	if w.Now == nil {
		w.Now = func() time.Time { return time.Now().UTC() }
	}
	if w.Lease == 0 {
		w.Lease = 2 * time.Minute
	}
	if w.MaxAttempts == 0 {
		w.MaxAttempts = 10
	}
	if w.Batch == 0 {
		w.Batch = 20
	}
	if w.Log == nil {
		w.Log = slog.Default()
	}
}

// Backoff is the wait after the n-th failed attempt: 30 s doubling, at most 6 h.
func Backoff(attempt int) time.Duration {
	d := 30 * time.Second * time.Duration(math.Pow(2, float64(max(attempt-1, 0))))
	if d > 6*time.Hour || d <= 0 {
		d = 6 * time.Hour
	}
	return d
}

// RunOnce claims one batch and delivers it; it returns how many were sent.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.defaults()
	now := w.Now()
	msgs, err := w.Outbox.Claim(ctx, w.Node, w.Batch, now, now.Add(w.Lease))
	if err != nil {
		return 0, fmt.Errorf("claim outbox: %w", err)
	}
	sent := 0
	for _, m := range msgs {
		s := w.Senders[m.Channel]
		if s == nil {
			_ = w.Outbox.MarkFailed(ctx, m.ID, w.Node, "no "+m.Channel+" delivery configured", w.Now().Add(time.Hour))
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, w.Lease/2)
		err := s.Send(sctx, m)
		cancel()
		if err != nil {
			next := w.Now().Add(Backoff(m.Attempts + 1))
			if m.Attempts+1 >= w.MaxAttempts {
				next = time.Time{}
			}
			w.Log.Warn("delivery failed", "id", m.ID, "channel", m.Channel, "attempt", m.Attempts+1, "err", err)
			if err := w.Outbox.MarkFailed(ctx, m.ID, w.Node, err.Error(), next); err != nil {
				return sent, err
			}
			continue
		}
		if err := w.Outbox.MarkSent(ctx, m.ID, w.Node, w.Now()); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// Run delivers until ctx ends, polling every interval.
func (w *Worker) Run(ctx context.Context, interval time.Duration) {
	w.defaults()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.Log.Warn("outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
