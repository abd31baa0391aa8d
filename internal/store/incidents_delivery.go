package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/incident"
	"github.com/aceso-health/aceso/internal/notify"
)

// IncidentSettings are a deployment's incident rules: the reporting
// regimes the clocks are computed from (a national transposition may
// shorten a deadline) and who receives a submitted report of each regime.
type IncidentSettings struct {
	// Regimes replaces the embedded NIS2/GDPR/MDR table when it has any
	// regime (see incident.LoadRegimes).
	Regimes incident.Regimes
	// Recipients maps a regime id to RecipientCSIRT, "mailto:ADDRESS" or
	// RecipientNone; regimes not named keep DefaultReportRecipients.
	Recipients map[string]string
	// AttachmentQuota caps the bytes of files one incident may hold;
	// zero means MaxIncidentAttachments.
	AttachmentQuota int64
}

// Report recipient values besides "mailto:ADDRESS".
const (
	// RecipientCSIRT shares the incident with the sector CSIRT inside
	// Aceso, whose queue then shows it; no mail is sent.
	RecipientCSIRT = "csirt"
	// RecipientNone means the organisation exports and sends the report
	// itself.
	RecipientNone = "none"
)

// DefaultReportRecipients sends NIS2 reports to the CSIRT (the sector CSIRT
// runs Aceso) and nothing else anywhere until a deployment configures it.
func DefaultReportRecipients() map[string]string {
	return map[string]string{"nis2": RecipientCSIRT}
}

// IncidentRegimes returns the regimes the clocks are computed from: the
// deployment's table, or the embedded defaults.
func (d *DB) IncidentRegimes() incident.Regimes {
	if len(d.IncidentConfig.Regimes.Regimes) > 0 {
		return d.IncidentConfig.Regimes
	}
	return incident.DefaultRegimes()
}

// ReportRecipient returns where a submitted report of regime goes:
// RecipientCSIRT, "mailto:ADDRESS" or RecipientNone.
func (d *DB) ReportRecipient(regime string) string {
	if v, ok := d.IncidentConfig.Recipients[regime]; ok && v != "" {
		return v
	}
	if v, ok := DefaultReportRecipients()[regime]; ok {
		return v
	}
	return RecipientNone
}

// CheckReportRecipients validates a recipients setting against the regimes:
// every key a regime id, every value "csirt", "none" or "mailto:" with one
// plain address. Errors name the regime.
func CheckReportRecipients(rec map[string]string, rg incident.Regimes) error {
	known := map[string]bool{}
	for _, r := range rg.Regimes {
		known[r.ID] = true
	}
	keys := make([]string, 0, len(rec))
	for k := range rec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := rec[k]
		if !known[k] {
			return aceso.Errorf(aceso.EINVALID, "report_recipients.%s: no such regime", k)
		}
		switch {
		case v == RecipientCSIRT, v == RecipientNone:
		case strings.HasPrefix(v, "mailto:"):
			addr := strings.TrimPrefix(v, "mailto:")
			a, err := mail.ParseAddress(addr)
			if err != nil || a.Address != addr || strings.ContainsAny(addr, "\r\n") {
				return aceso.Errorf(aceso.EINVALID, "report_recipients.%s: %q is not a plain e-mail address", k, addr)
			}
		default:
			return aceso.Errorf(aceso.EINVALID, "report_recipients.%s: %q: want \"csirt\", \"none\" or \"mailto:ADDRESS\"", k, v)
		}
	}
	return nil
}

// deliverReport hands a submitted report to its regime's recipient in the
// submitting transaction: a mail in the outbox, or the incident shared with
// the CSIRT. The dedup key names the submission, so a retried delivery run
// cannot send one report twice.
func (tx *Tx) deliverReport(ctx context.Context, r *Incident, ob Obligation) error {
	to := tx.db.ReportRecipient(ob.Regime)
	switch {
	case to == RecipientCSIRT:
		if _, err := tx.exec(ctx, `UPDATE incidents SET shared_with_csirt = TRUE, shared_at = COALESCE(shared_at, $3)
			WHERE org_id = $1 AND id = $2`, r.OrgID, r.ID, ts(tx.now)); err != nil {
			return fmt.Errorf("share with the CSIRT: %w", err)
		}
		r.SharedWithCSIRT = true
		return nil
	case strings.HasPrefix(to, "mailto:"):
		var org string
		if err := tx.queryRow(ctx, "SELECT name FROM orgs WHERE id = $1", r.OrgID).Scan(&org); err != nil {
			return fmt.Errorf("report delivery: %w", err)
		}
		m := notify.Message{OrgID: r.OrgID, Channel: notify.Email, Recipient: strings.TrimPrefix(to, "mailto:"),
			Subject: fmt.Sprintf("%s %s: %s (%s, incident %d)", strings.ToUpper(ob.Regime), strings.ReplaceAll(ob.Stage, "_", " "),
				oneLine(r.Title), oneLine(org), r.ID),
			Body:     ReportText(org, ob),
			DedupKey: fmt.Sprintf("report:incident:%d:%s:%d", r.ID, ob.Key(), ob.SubmittedAt.UnixMicro())}
		if _, err := tx.Enqueue(ctx, m, tx.now); err != nil {
			return fmt.Errorf("report delivery: %w", err)
		}
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// ReportText renders a submitted report as plain text for e-mail: the
// points of the report, then the snapshot JSON exactly as it was recorded,
// so the authority receives both a readable and a machine-readable form.
func ReportText(org string, ob Obligation) string {
	var b strings.Builder
	var doc incident.ReportDoc
	if err := json.Unmarshal(ob.Snapshot, &doc); err == nil && doc.Stage != "" {
		fmt.Fprintf(&b, "%s\n%s %s\n\n", doc.Title, strings.ToUpper(doc.Regime), doc.Article)
		fmt.Fprintf(&b, "Organisation: %s\nIncident: %d, %s\nAware at: %s\n", org, doc.IncidentID, oneLine(doc.IncidentTitle), doc.AwareAt.UTC().Format(time.RFC3339))
		if doc.DueAt != nil {
			fmt.Fprintf(&b, "Due at: %s\n", doc.DueAt.UTC().Format(time.RFC3339))
		}
		if ob.SubmittedAt != nil {
			fmt.Fprintf(&b, "Submitted at: %s by %s\n", ob.SubmittedAt.UTC().Format(time.RFC3339), ob.SubmittedBy)
		}
		if ob.LateReason != "" {
			fmt.Fprintf(&b, "Reason for the delay: %s\n", ob.LateReason)
		}
		for _, it := range doc.Items {
			v := it.Value
			if v == "" {
				v = "(not known yet)"
			}
			fmt.Fprintf(&b, "\n%s (%s):\n%s\n", it.Label, it.Ref, v)
		}
	} else {
		fmt.Fprintf(&b, "%s %s (%s) of %s\n", strings.ToUpper(ob.Regime), ob.Stage, ob.Article, org)
	}
	b.WriteString("\n-- Report as submitted (JSON) --\n")
	var pretty bytes.Buffer
	if json.Indent(&pretty, ob.Snapshot, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(ob.Snapshot)
	}
	b.Write(pretty.Bytes())
	b.WriteString("\n")
	return b.String()
}
