package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/notify"
)

// neverAgain is the next_try_at of a message that was given up.
const neverAgain = int64(1) << 62

// Enqueue writes a message to the outbox in the caller's transaction, to be
// delivered at or after notBefore. A message whose dedup key exists already
// is not written again (it reports false): reminders computed twice, on two
// nodes or after a restart, become one message.
func (tx *Tx) Enqueue(ctx context.Context, m notify.Message, notBefore time.Time) (bool, error) {
	if m.DedupKey == "" || m.Recipient == "" {
		return false, aceso.Errorf(aceso.EINVALID, "outbox message needs a dedup key and a recipient")
	}
	if m.Channel != notify.Email && m.Channel != notify.Webhook {
		return false, aceso.Errorf(aceso.EINVALID, "outbox channel %q is not email or webhook", m.Channel)
	}
	res, err := tx.exec(ctx, `INSERT INTO outbox (org_id, channel, recipient, subject, body, dedup_key, created_at, next_try_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dedup_key) DO NOTHING`,
		m.OrgID, m.Channel, m.Recipient, m.Subject, m.Body, m.DedupKey, ts(tx.now), ts(notBefore))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Outbox returns the store as a notify.Outbox.
func (d *DB) Outbox() notify.Outbox { return outbox{d} }

type outbox struct{ d *DB }

// Claim leases due messages. The lease condition is checked again in the
// UPDATE itself, so two nodes racing for the same rows cannot both win.
func (o outbox) Claim(ctx context.Context, node string, n int, now, leaseUntil time.Time) ([]notify.Message, error) {
	rows, err := o.d.db.QueryContext(ctx, `UPDATE outbox SET claimed_by = $1, claimed_until = $2
		WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL AND next_try_at <= $3 AND claimed_until < $3
		             ORDER BY next_try_at, id LIMIT $4)
		  AND sent_at IS NULL AND claimed_until < $3
		RETURNING id, org_id, channel, recipient, subject, body, dedup_key, attempts`,
		node, ts(leaseUntil), ts(now), n)
	if err != nil {
		return nil, o.d.translate(err)
	}
	defer rows.Close()
	var out []notify.Message
	for rows.Next() {
		var m notify.Message
		if err := rows.Scan(&m.ID, &m.OrgID, &m.Channel, &m.Recipient, &m.Subject, &m.Body, &m.DedupKey, &m.Attempts); err != nil {
			return nil, o.d.translate(err)
		}
		out = append(out, m)
	}
	return out, o.d.translate(rows.Err())
}

// ErrLeaseLost reports that another node took a message over (its lease had
// expired) before this node recorded the outcome.
var ErrLeaseLost = aceso.Errorf(aceso.ECONFLICT, "outbox lease lost")

func (o outbox) MarkSent(ctx context.Context, id int64, node string, at time.Time) error {
	res, err := o.d.db.ExecContext(ctx, `UPDATE outbox SET sent_at = $3, attempts = attempts + 1, claimed_until = 0, last_error = ''
		WHERE id = $1 AND claimed_by = $2 AND sent_at IS NULL`, id, node, ts(at))
	if err != nil {
		return o.d.translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("outbox message %d: %w", id, ErrLeaseLost)
	}
	return nil
}

func (o outbox) MarkFailed(ctx context.Context, id int64, node string, errText string, nextTry time.Time) error {
	next := neverAgain
	if !nextTry.IsZero() {
		next = ts(nextTry)
	}
	if len(errText) > 1000 {
		errText = errText[:1000]
	}
	res, err := o.d.db.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = $3, next_try_at = $4, claimed_until = 0
		WHERE id = $1 AND claimed_by = $2 AND sent_at IS NULL`, id, node, errText, next)
	if err != nil {
		return o.d.translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("outbox message %d: %w", id, ErrLeaseLost)
	}
	return nil
}

// OutboxStatus counts messages for the operations page and metrics.
type OutboxStatus struct {
	Pending, Sent, GivenUp int64
}

// OutboxStatus reports how many messages wait, went out, or were given up.
func (d *DB) OutboxStatus(ctx context.Context) (OutboxStatus, error) {
	var s OutboxStatus
	err := d.db.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN sent_at IS NULL AND next_try_at < $1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN sent_at IS NULL AND next_try_at >= $1 THEN 1 ELSE 0 END), 0) FROM outbox`, neverAgain).Scan(&s.Pending, &s.Sent, &s.GivenUp)
	return s, d.translate(err)
}
