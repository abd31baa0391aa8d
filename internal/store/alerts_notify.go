package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aceso-health/aceso/internal/notify"
	"github.com/aceso-health/aceso/internal/share"
)

// alertHook is the JSON body of a CSIRT alert webhook.
type alertHook struct {
	Type       string     `json:"type"` // "csirt.alert" or "csirt.alert.reminder"
	AlertID    int64      `json:"alert_id"`
	OrgID      int64      `json:"org_id"`
	TLP        string     `json:"tlp"`
	Title      string     `json:"title"`
	TrackingID string     `json:"tracking_id,omitempty"`
	Deadline   *time.Time `json:"deadline,omitempty"`
	Link       string     `json:"link"`
}

// notifyAlert enqueues the alert (or, with chase, reminder number n) to
// one recipient organisation: an e-mail per active admin, and the webhook
// when one is set and the label may travel on an organisation's machine
// channel. A TLP:RED alert goes only to the active persons of named that
// belong to org: no admin list, never a webhook.
func (tx *Tx) notifyAlert(ctx context.Context, a *Alert, org int64, named []Person, chase bool, n int) (int, error) {
	type admin struct {
		id    int64
		email string
	}
	var (
		admins  []admin
		hookURL string
	)
	if a.TLP == share.TLPRed {
		for _, p := range named {
			if p.OrgID == org && !p.Disabled {
				admins = append(admins, admin{p.ID, p.Email})
			}
		}
	} else {
		rows, err := tx.tx.QueryContext(ctx, "SELECT id, email FROM users WHERE org_id = $1 AND role = 'admin' AND disabled = FALSE ORDER BY id", org)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var ad admin
			if err := rows.Scan(&ad.id, &ad.email); err != nil {
				rows.Close()
				return 0, err
			}
			admins = append(admins, ad)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		if err := tx.queryRow(ctx, "SELECT webhook_url FROM org_settings WHERE org_id = $1", org).Scan(&hookURL); err != nil && err != sql.ErrNoRows {
			return 0, err
		}
	}
	id := strconv.FormatInt(a.ID, 10)
	key, subject, kind := "alert:"+id+":org-"+strconv.FormatInt(org, 10), "[Aceso] "+a.TLP.String()+" CSIRT alert: "+a.Title, "csirt.alert"
	if chase {
		key += ":chase-" + strconv.Itoa(n)
		subject = "[Aceso] " + a.TLP.String() + " Reminder, please acknowledge: " + a.Title
		kind = "csirt.alert.reminder"
	}
	body := alertMail(a, chase)
	sent := 0
	for _, ad := range admins {
		fresh, err := tx.Enqueue(ctx, notify.Message{OrgID: org, Channel: notify.Email, Recipient: ad.email, Subject: subject, Body: body,
			DedupKey: key + ":user-" + strconv.FormatInt(ad.id, 10)}, tx.now)
		if err != nil {
			return sent, err
		}
		if fresh {
			sent++
		}
	}
	if hookURL != "" && share.AllowedOn(a.TLP, share.ChannelOrg) {
		b, _ := json.Marshal(alertHook{Type: kind, AlertID: a.ID, OrgID: org, TLP: a.TLP.String(), Title: a.Title,
			TrackingID: a.TrackingID, Deadline: a.Deadline, Link: "/alerts/" + id})
		fresh, err := tx.Enqueue(ctx, notify.Message{OrgID: org, Channel: notify.Webhook, Recipient: hookURL, Subject: subject,
			Body: string(b), DedupKey: key + ":webhook"}, tx.now)
		if err != nil {
			return sent, err
		}
		if fresh {
			sent++
		}
	}
	return sent, nil
}

// alertMail is the plain-text e-mail of an alert or a reminder.
func alertMail(a *Alert, chase bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", a.TLP)
	if chase {
		b.WriteString("REMINDER: your organisation has not acknowledged this alert yet.\n\n")
	}
	fmt.Fprintf(&b, "%s\n\n", a.Title)
	if a.TrackingID != "" {
		fmt.Fprintf(&b, "Advisory: %s\n", a.TrackingID)
	}
	if a.Deadline != nil {
		fmt.Fprintf(&b, "Act by: %s\n", a.Deadline.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if a.Summary != "" {
		fmt.Fprintf(&b, "\n%s\n", a.Summary)
	}
	if a.Actions != "" {
		fmt.Fprintf(&b, "\nWhat to do:\n%s\n", a.Actions)
	}
	fmt.Fprintf(&b, "\nPlease acknowledge in Aceso: /alerts/%d\n", a.ID)
	if a.TLP == share.TLPRed {
		b.WriteString("\nTLP:RED: for the named recipients only; do not forward.\n")
	}
	return b.String()
}
