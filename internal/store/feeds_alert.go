package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
	"github.com/aceso-health/aceso/internal/notify"
	"github.com/aceso-health/aceso/internal/ssvc"
)

// AlertReport counts the advisory alerts one run enqueued.
type AlertReport struct {
	Orgs     int `json:"orgs"`     // (organisation, advisory) pairs with new findings
	Enqueued int `json:"enqueued"` // outbox messages written (duplicates of earlier runs are not)
}

// RematchAndAlert matches the advisories with the given row ids against
// every organisation (see RematchAdvisories) and then alerts each member
// organisation that got new affected or possibly affected findings: every
// path that imports advisories should call this rather than
// RematchAdvisories alone.
func (d *DB) RematchAndAlert(ctx context.Context, ids []int64) (RematchReport, AlertReport, error) {
	start := d.Now().UTC().Truncate(time.Microsecond)
	rep, err := d.RematchAdvisories(ctx, ids)
	if err != nil || rep.Total.New == 0 {
		return rep, AlertReport{}, err
	}
	alerts, err := d.AlertNewFindings(ctx, ids, start)
	return rep, alerts, err
}

// alertGroup is one member organisation's new findings of one advisory.
type alertGroup struct {
	org, advisory int64
	devices       map[int64]int // device → highest SSVC rank among its new findings
	affected      map[int64]bool
}

// AlertNewFindings enqueues, for each member organisation and advisory (of
// ids) with live affected/possibly affected findings first seen at or after
// since, one alert e-mail to each of the organisation's active admins and,
// when the organisation set one, one webhook. Findings withheld from the
// organisation (see findingVisible: an AMBER+STRICT or RED advisory) alert
// no one: the e-mail would name the advisory and count the devices. Dedup keys
// "advisory-alert:<org>:<tracking id>:<revision>:user-<id>" (and
// ":webhook") make each
// alert exactly-once per advisory revision, whichever node or run finds it.
func (d *DB) AlertNewFindings(ctx context.Context, ids []int64, since time.Time) (AlertReport, error) {
	var rep AlertReport
	if len(ids) == 0 {
		return rep, nil
	}
	rows, err := d.db.QueryContext(ctx, `SELECT f.org_id, f.advisory_id, f.device_id, f.status, f.ssvc_rank
		FROM findings f JOIN orgs o ON o.id = f.org_id JOIN advisories a ON a.id = f.advisory_id
		WHERE o.kind = 'member' AND `+findingVisible+` AND f.first_seen >= $1 AND f.status IN ('affected', 'possibly_affected')
		  AND f.state IN ('open', 'in_progress') AND f.advisory_id IN (`+placeholders(2, len(ids))+`)
		ORDER BY f.org_id, f.advisory_id`, append([]any{ts(since)}, int64sAny(ids)...)...)
	if err != nil {
		return rep, d.translate(err)
	}
	var groups []*alertGroup
	for rows.Next() {
		var (
			org, adv, dev int64
			status        string
			rank          int
		)
		if err := rows.Scan(&org, &adv, &dev, &status, &rank); err != nil {
			rows.Close()
			return rep, d.translate(err)
		}
		if len(groups) == 0 || groups[len(groups)-1].org != org || groups[len(groups)-1].advisory != adv {
			groups = append(groups, &alertGroup{org: org, advisory: adv, devices: map[int64]int{}, affected: map[int64]bool{}})
		}
		g := groups[len(groups)-1]
		if r, ok := g.devices[dev]; !ok || rank > r {
			g.devices[dev] = rank
		}
		if status == "affected" {
			g.affected[dev] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return rep, d.translate(err)
	}
	for _, g := range groups {
		n, err := d.enqueueAlert(ctx, g)
		if err != nil {
			return rep, fmt.Errorf("alert organisation %d, advisory %d: %w", g.org, g.advisory, err)
		}
		rep.Orgs++
		rep.Enqueued += n
	}
	return rep, nil
}

// decisionsByRank lists SSVC decisions from most to least urgent.
var decisionsByRank = []ssvc.Decision{ssvc.Immediate, ssvc.OutOfCycle, ssvc.Scheduled, ssvc.Defer}

// alertPayload is the JSON body of an advisory alert webhook.
type alertPayload struct {
	Type             string         `json:"type"` // "advisory.alert"
	OrgID            int64          `json:"org_id"`
	AdvisoryID       int64          `json:"advisory_id"`
	TrackingID       string         `json:"tracking_id"`
	Revision         string         `json:"revision"`
	Title            string         `json:"title"`
	Devices          int            `json:"devices"`
	Affected         int            `json:"affected_devices"`
	PossiblyAffected int            `json:"possibly_affected_devices"`
	BySSVC           map[string]int `json:"devices_by_ssvc"`
	Link             string         `json:"link"`
}

func (d *DB) enqueueAlert(ctx context.Context, g *alertGroup) (int, error) {
	var p alertPayload
	p.Type, p.OrgID, p.AdvisoryID = "advisory.alert", g.org, g.advisory
	err := d.db.QueryRowContext(ctx, "SELECT tracking_id, revision, title FROM advisories WHERE id = $1", g.advisory).Scan(&p.TrackingID, &p.Revision, &p.Title)
	if err != nil {
		return 0, d.translate(err)
	}
	p.Devices, p.Affected = len(g.devices), len(g.affected)
	p.PossiblyAffected = p.Devices - p.Affected
	p.BySSVC = map[string]int{}
	for _, rank := range g.devices {
		key := "unknown"
		if rank >= 0 && rank < len(decisionsByRank) {
			key = string(decisionsByRank[len(decisionsByRank)-1-rank])
		}
		p.BySSVC[key]++
	}
	p.Link = "/advisories/" + strconv.FormatInt(g.advisory, 10)

	type admin struct {
		id    int64
		email string
	}
	var admins []admin
	rows, err := d.db.QueryContext(ctx, "SELECT id, email FROM users WHERE org_id = $1 AND role = 'admin' AND disabled = FALSE ORDER BY id", g.org)
	if err != nil {
		return 0, d.translate(err)
	}
	for rows.Next() {
		var a admin
		if err := rows.Scan(&a.id, &a.email); err != nil {
			rows.Close()
			return 0, d.translate(err)
		}
		admins = append(admins, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, d.translate(err)
	}
	settings, err := d.orgSettings(ctx, g.org)
	if err != nil {
		return 0, err
	}

	subject := fmt.Sprintf("[Aceso] %s: %d of your devices affected", p.TrackingID, p.Devices)
	body := alertBody(&p)
	hook, _ := json.Marshal(p)
	key := "advisory-alert:" + strconv.FormatInt(g.org, 10) + ":" + p.TrackingID + ":" + p.Revision
	n := 0
	err = d.InTx(ctx, func(tx *Tx) error {
		n = 0
		for _, to := range admins {
			// The user id, not the address, keys the message: it becomes
			// the Message-ID, which must not hold a second "@".
			fresh, err := tx.Enqueue(ctx, notify.Message{OrgID: g.org, Channel: notify.Email, Recipient: to.email, Subject: subject,
				Body: body, DedupKey: key + ":user-" + strconv.FormatInt(to.id, 10)}, tx.now)
			if err != nil {
				return err
			}
			if fresh {
				n++
			}
		}
		if settings.WebhookURL != "" {
			fresh, err := tx.Enqueue(ctx, notify.Message{OrgID: g.org, Channel: notify.Webhook, Recipient: settings.WebhookURL,
				Subject: subject, Body: string(hook), DedupKey: key + ":webhook"}, tx.now)
			if err != nil {
				return err
			}
			if fresh {
				n++
			}
		}
		return nil
	})
	return n, err
}

// alertBody is the plain-text e-mail of an advisory alert.
func alertBody(p *alertPayload) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", p.Title)
	fmt.Fprintf(&b, "The health CSIRT's Aceso matched advisory %s (revision %s) against your device inventory:\n", p.TrackingID, p.Revision)
	fmt.Fprintf(&b, "Devices hit: %d (%d affected, %d possibly affected and waiting for your review).\n\n", p.Devices, p.Affected, p.PossiblyAffected)
	b.WriteString("Devices by priority (SSVC deployer decision, highest per device):\n")
	keys := make([]string, 0, len(p.BySSVC))
	for _, d := range decisionsByRank {
		keys = append(keys, string(d))
	}
	keys = append(keys, "unknown")
	for _, k := range keys {
		if n := p.BySSVC[k]; n > 0 {
			fmt.Fprintf(&b, "  %-13s %d\n", k+":", n)
		}
	}
	fmt.Fprintf(&b, "\nDetails and the affected devices: %s\n", p.Link)
	return b.String()
}

// OrgSettings are an organisation's notification settings.
type OrgSettings struct {
	OrgID int64 `json:"org_id"`
	// WebhookURL receives advisory alerts as signed JSON (see
	// notify.HTTPWebhook); empty means e-mail to the admins only.
	WebhookURL string     `json:"webhook_url"`
	UpdatedAt  *time.Time `json:"updated_at,omitempty"`
}

// OrgSettings returns an organisation's settings (its admins, and the
// CSIRT's admins); an organisation that never saved any gets the defaults.
func (d *DB) OrgSettings(ctx context.Context, p access.Principal, orgID int64) (OrgSettings, error) {
	if err := access.Authorize(p, access.ActAdmin, orgID); err != nil {
		return OrgSettings{}, err
	}
	return d.orgSettings(ctx, orgID)
}

func (d *DB) orgSettings(ctx context.Context, orgID int64) (OrgSettings, error) {
	s := OrgSettings{OrgID: orgID}
	var at int64
	err := d.db.QueryRowContext(ctx, "SELECT webhook_url, updated_at FROM org_settings WHERE org_id = $1", orgID).Scan(&s.WebhookURL, &at)
	if err == sql.ErrNoRows {
		return s, nil
	}
	if err != nil {
		return s, d.translate(err)
	}
	t := fromTS(at)
	s.UpdatedAt = &t
	return s, nil
}

// SetOrgSettings saves an organisation's settings (its admins). The webhook
// must be an https URL: alerts name vulnerable medical devices.
func (tx *Tx) SetOrgSettings(ctx context.Context, p access.Principal, s *OrgSettings) error {
	if err := access.Authorize(p, access.ActAdmin, s.OrgID); err != nil {
		return err
	}
	s.WebhookURL = strings.TrimSpace(s.WebhookURL)
	if err := validWebhook(s.WebhookURL); err != nil {
		return err
	}
	var before OrgSettings
	var at int64
	err := tx.queryRow(ctx, "SELECT webhook_url, updated_at FROM org_settings WHERE org_id = $1", s.OrgID).Scan(&before.WebhookURL, &at)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	var exists int
	if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM orgs WHERE id = $1", s.OrgID).Scan(&exists); err != nil {
		return err
	}
	if exists == 0 {
		return aceso.Errorf(aceso.ENOTFOUND, "organisation %d not found", s.OrgID)
	}
	if _, err := tx.exec(ctx, `INSERT INTO org_settings (org_id, webhook_url, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (org_id) DO UPDATE SET webhook_url = excluded.webhook_url, updated_at = excluded.updated_at`,
		s.OrgID, s.WebhookURL, ts(tx.now)); err != nil {
		return fmt.Errorf("organisation %d settings: %w", s.OrgID, err)
	}
	now := tx.now
	s.UpdatedAt = &now
	// The URL may carry a token: the audit keeps only its host.
	return tx.Audit(ctx, p, s.OrgID, "org.settings", "org", s.OrgID,
		audit.Change(map[string]string{"webhook": webhookHost(before.WebhookURL)}, map[string]string{"webhook": webhookHost(s.WebhookURL)}))
}

func validWebhook(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" {
		return aceso.Errorf(aceso.EINVALID, "webhook_url %q must be an https URL without user name or fragment", s)
	}
	if len(s) > 1000 || slices.ContainsFunc([]byte(s), func(c byte) bool { return c < ' ' }) {
		return aceso.Errorf(aceso.EINVALID, "webhook_url must be at most 1000 printable characters")
	}
	return nil
}

func webhookHost(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid)"
	}
	return u.Host
}
