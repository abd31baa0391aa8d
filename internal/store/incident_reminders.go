package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aceso-health/aceso/internal/notify"
)

// DefaultReminderLeads are how long before a reporting deadline the
// organisation is reminded when ReminderConfig.Leads is empty.
var DefaultReminderLeads = []time.Duration{12 * time.Hour, 2 * time.Hour}

// ReminderConfig tunes the incident deadline reminders.
type ReminderConfig struct {
	// Leads are the times before a deadline at which a reminder goes out;
	// DefaultReminderLeads when empty. An overdue alert at the deadline is
	// always added.
	Leads []time.Duration
}

// ReminderReport counts what one reminder run did.
type ReminderReport struct {
	Incidents   int `json:"incidents"`   // incidents with an open deadline looked at
	Enqueued    int `json:"enqueued"`    // outbox messages written
	Rescheduled int `json:"rescheduled"` // waiting messages moved to a changed deadline
}

// reminderPrefix starts the dedup key of every incident reminder; the
// full key is "incident-reminder:<incident>:<regime.stage>:<lead>" and a
// recipient suffix (":user-<id>" or ":webhook"), one message per recipient.
const reminderPrefix = "incident-reminder:"

// LeadLabel names a lead time in dedup keys and subjects ("12h", "90m",
// "overdue" for zero): the label, not the duration, identifies a reminder.
func LeadLabel(d time.Duration) string {
	switch {
	case d <= 0:
		return "overdue"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}

// plannedReminder is one reminder of one obligation: its lead (0 for the
// overdue alert) and when it is to be delivered.
type plannedReminder struct {
	lead time.Duration
	at   time.Time
}

// planReminders computes the reminders of a deadline as seen at now. It
// is deterministic in (due, leads) except for one rule: of the lead
// reminders whose time has already passed (an incident recorded late) only
// the latest is kept, so a late record does not get a burst of stale
// reminders; once the deadline has passed only the overdue alert remains.
func planReminders(due time.Time, leads []time.Duration, now time.Time) []plannedReminder {
	ls := slices.Clone(leads)
	slices.Sort(ls) // smallest lead (latest time) first
	ls = slices.Compact(ls)
	var out []plannedReminder
	if due.After(now) {
		pastKept := false
		for _, l := range ls {
			if l <= 0 {
				continue
			}
			at := due.Add(-l)
			if !at.After(now) {
				if pastKept {
					continue
				}
				pastKept = true
			}
			out = append(out, plannedReminder{lead: l, at: at})
		}
	}
	return append(out, plannedReminder{lead: 0, at: due})
}

// reminderRecipient is one addressee of an incident's reminders.
type reminderRecipient struct {
	userID int64
	email  string
}

// EnqueueIncidentReminders writes to the outbox the deadline reminders of
// every unsubmitted obligation that has a due time: one e-mail per lead
// time to the organisation's active admins and the incident's reporter,
// and one webhook when the organisation set one, plus an overdue alert at
// the deadline. It is safe to run on every node as often as wanted: the
// dedup keys make each (incident, obligation, lead, recipient) one message,
// and each incident is handled under its row lock, the same lock a
// submission takes, so a reminder is never written after the submission
// that cancels it (submissions delete unsent reminders, see
// cancelReminders). A message still waiting is moved when its deadline
// changed (a reassessment or a new intermediate-report due date).
func (d *DB) EnqueueIncidentReminders(ctx context.Context, cfg ReminderConfig) (ReminderReport, error) {
	var rep ReminderReport
	leads := cfg.Leads
	if len(leads) == 0 {
		leads = DefaultReminderLeads
	}
	type ref struct{ org, id int64 }
	rows, err := d.db.QueryContext(ctx, `SELECT DISTINCT o.org_id, o.incident_id FROM incident_obligations o
		WHERE o.submitted_at IS NULL AND o.due_at IS NOT NULL AND o.status IN ('pending', 'late') ORDER BY o.incident_id`)
	if err != nil {
		return rep, d.translate(err)
	}
	var refs []ref
	for rows.Next() {
		var r ref
		if err := rows.Scan(&r.org, &r.id); err != nil {
			rows.Close()
			return rep, d.translate(err)
		}
		refs = append(refs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, d.translate(err)
	}
	for _, r := range refs {
		err := d.InTx(ctx, func(tx *Tx) error {
			// The lock a submission takes (lockIncident): with it held, the
			// obligations read below cannot be submitted before commit.
			res, err := tx.exec(ctx, "UPDATE incidents SET updated_at = updated_at WHERE org_id = $1 AND id = $2", r.org, r.id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			in, err := loadIncident(ctx, tx.tx, tx.db.IncidentRegimes(), r.org, r.id, tx.now)
			if err != nil {
				return err
			}
			n, moved, err := tx.enqueueReminders(ctx, &in, leads)
			rep.Enqueued += n
			rep.Rescheduled += moved
			return err
		})
		if err != nil {
			return rep, fmt.Errorf("reminders of incident %d: %w", r.id, err)
		}
		rep.Incidents++
	}
	return rep, nil
}

// reminderPayload is the JSON body of a reminder webhook.
type reminderPayload struct {
	Type       string    `json:"type"` // "incident.reminder" or "incident.overdue"
	OrgID      int64     `json:"org_id"`
	IncidentID int64     `json:"incident_id"`
	Title      string    `json:"title"`
	Obligation string    `json:"obligation"` // regime.stage
	Article    string    `json:"article"`
	DueAt      time.Time `json:"due_at"`
	Lead       string    `json:"lead"`
	Link       string    `json:"link"`
}

func (tx *Tx) enqueueReminders(ctx context.Context, in *Incident, leads []time.Duration) (enqueued, moved int, err error) {
	to, err := tx.reminderRecipients(ctx, in)
	if err != nil {
		return 0, 0, err
	}
	var webhook string
	err = tx.queryRow(ctx, "SELECT webhook_url FROM org_settings WHERE org_id = $1", in.OrgID).Scan(&webhook)
	if err != nil && err != sql.ErrNoRows {
		return 0, 0, err
	}
	loc := time.UTC
	if l, err := time.LoadLocation(in.TimeZone); err == nil && in.TimeZone != "" {
		loc = l
	}
	for _, o := range in.Obligations {
		if !o.Open() || o.DueAt == nil {
			continue
		}
		for _, pl := range planReminders(*o.DueAt, leads, tx.now) {
			label := LeadLabel(pl.lead)
			key := reminderPrefix + strconv.FormatInt(in.ID, 10) + ":" + o.Key() + ":" + label
			p := reminderPayload{Type: "incident.reminder", OrgID: in.OrgID, IncidentID: in.ID, Title: in.Title, Obligation: o.Key(),
				Article: o.Article, DueAt: o.DueAt.UTC(), Lead: label, Link: "/incidents/" + strconv.FormatInt(in.ID, 10)}
			subject := fmt.Sprintf("[Aceso] %s %s due in %s: incident #%d", strings.ToUpper(o.Regime), strings.ReplaceAll(o.Stage, "_", " "), label, in.ID)
			if pl.lead == 0 {
				p.Type = "incident.overdue"
				subject = fmt.Sprintf("[Aceso] OVERDUE: %s %s of incident #%d", strings.ToUpper(o.Regime), strings.ReplaceAll(o.Stage, "_", " "), in.ID)
			}
			body := reminderBody(in, o, &p, loc)
			hook, _ := json.Marshal(p)
			msgs := make([]notify.Message, 0, len(to)+1)
			for _, r := range to {
				msgs = append(msgs, notify.Message{OrgID: in.OrgID, Channel: notify.Email, Recipient: r.email, Subject: subject, Body: body,
					DedupKey: key + ":user-" + strconv.FormatInt(r.userID, 10)})
			}
			if webhook != "" {
				msgs = append(msgs, notify.Message{OrgID: in.OrgID, Channel: notify.Webhook, Recipient: webhook, Subject: subject,
					Body: string(hook), DedupKey: key + ":webhook"})
			}
			for _, m := range msgs {
				fresh, err := tx.Enqueue(ctx, m, pl.at)
				if err != nil {
					return enqueued, moved, err
				}
				if fresh {
					enqueued++
					continue
				}
				// Written before: follow a moved deadline while it waits
				// (never a message in flight or being retried).
				res, err := tx.exec(ctx, `UPDATE outbox SET next_try_at = $2, subject = $3, body = $4
					WHERE dedup_key = $1 AND sent_at IS NULL AND attempts = 0 AND claimed_until < $5 AND next_try_at <> $2`,
					m.DedupKey, ts(pl.at), m.Subject, m.Body, ts(tx.now))
				if err != nil {
					return enqueued, moved, err
				}
				if n, _ := res.RowsAffected(); n > 0 {
					moved++
				}
			}
		}
	}
	return enqueued, moved, nil
}

// reminderRecipients are the organisation's active admins and the
// reporter (or creator) of the incident when they are an active user of
// the organisation, each once.
func (tx *Tx) reminderRecipients(ctx context.Context, in *Incident) ([]reminderRecipient, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT id, email FROM users WHERE org_id = $1 AND disabled = FALSE
		AND (role = 'admin' OR email = $2 OR email = $3) ORDER BY id`, in.OrgID, in.Reporter, in.CreatedBy)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []reminderRecipient
	for rows.Next() {
		var r reminderRecipient
		if err := rows.Scan(&r.userID, &r.email); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// reminderBody is the plain-text e-mail of a reminder; the deadline is
// shown in the incident's time zone (DST included) and in UTC.
func reminderBody(in *Incident, o Obligation, p *reminderPayload, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Incident #%d: %s\n\n", in.ID, in.Title)
	if p.Type == "incident.overdue" {
		fmt.Fprintf(&b, "The deadline of this report has passed and it is not recorded as submitted:\n")
	} else {
		fmt.Fprintf(&b, "This report is due in %s and is not recorded as submitted yet:\n", p.Lead)
	}
	fmt.Fprintf(&b, "  %s (%s)\n", o.Title, o.Article)
	fmt.Fprintf(&b, "  Due: %s (%s)\n\n", o.DueAt.In(loc).Format("Mon 2 Jan 2006 15:04 MST"), o.DueAt.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "Record the submission in Aceso to stop further reminders: %s\n", p.Link)
	return b.String()
}

// cancelReminders deletes the unsent reminders of the incident's
// obligations that are no longer open (submitted, or no longer applicable
// after a reassessment), in the caller's transaction: a reminder for a
// submitted report is never delivered. Only unsent rows are looked at, and
// the outbox_due index (sent_at, …) keeps them few.
func (tx *Tx) cancelReminders(ctx context.Context, r *Incident) error {
	open := map[string]bool{}
	for _, o := range r.Obligations {
		if o.Open() && o.DueAt != nil {
			open[o.Key()] = true
		}
	}
	prefix := reminderPrefix + strconv.FormatInt(r.ID, 10) + ":"
	rows, err := tx.tx.QueryContext(ctx, "SELECT id, dedup_key FROM outbox WHERE sent_at IS NULL AND org_id = $1 AND dedup_key LIKE $2",
		r.OrgID, prefix+"%")
	if err != nil {
		return fmt.Errorf("reminders: %w", err)
	}
	var drop []int64
	for rows.Next() {
		var (
			id  int64
			key string
		)
		if err := rows.Scan(&id, &key); err != nil {
			rows.Close()
			return err
		}
		ob, _, _ := strings.Cut(strings.TrimPrefix(key, prefix), ":")
		if strings.HasPrefix(key, prefix) && !open[ob] {
			drop = append(drop, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range drop {
		if _, err := tx.exec(ctx, "DELETE FROM outbox WHERE id = $1 AND sent_at IS NULL", id); err != nil {
			return fmt.Errorf("cancel reminder: %w", err)
		}
	}
	return nil
}

// RunIncidentReminders runs EnqueueIncidentReminders every interval until
// ctx ends; serve starts it on every node (the dedup keys make that safe).
func (d *DB) RunIncidentReminders(ctx context.Context, cfg ReminderConfig, interval time.Duration, log interface{ Warn(string, ...any) }) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := d.EnqueueIncidentReminders(ctx, cfg); err != nil && ctx.Err() == nil {
			log.Warn("incident reminders", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
