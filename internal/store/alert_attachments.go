package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
)

// AlertAttachment is a file the CSIRT attached to one of its alerts,
// without its content (see AlertAttachmentContent). It is readable by
// exactly whoever may read the alert, so it carries the alert's TLP.
type AlertAttachment struct {
	ID          int64     `json:"id"`
	AlertID     int64     `json:"alert_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedBy  string    `json:"uploaded_by"`
	CreatedAt   time.Time `json:"created_at"`
}

const alertAttachmentCols = "id, alert_id, name, content_type, size, sha256, uploaded_by, created_at"

func scanAlertAttachment(row interface{ Scan(...any) error }, extra ...any) (AlertAttachment, error) {
	var (
		a  AlertAttachment
		at int64
	)
	err := row.Scan(append([]any{&a.ID, &a.AlertID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.UploadedBy, &at}, extra...)...)
	a.CreatedAt = fromTS(at)
	return a, err
}

// lockOwnAlert resolves an alert of the principal's CSIRT organisation for
// a change to its files and takes its row lock (PostgreSQL; SQLite holds
// the write lock already), so that two uploads cannot both pass the quota.
// Publishing and attaching are the CSIRT analysts' (CanPublishAlerts); an
// alert of any other organisation is ENOTFOUND.
func (tx *Tx) lockOwnAlert(ctx context.Context, p access.Principal, alertID int64) (org int64, err error) {
	if err := CanPublishAlerts(p); err != nil {
		return 0, err
	}
	q, args := "SELECT org_id FROM alerts WHERE org_id = $1 AND id = $2", []any{p.OrgID, alertID}
	if p.IsSystem() {
		q, args = "SELECT org_id FROM alerts WHERE id = $1", []any{alertID}
	}
	if tx.db.dialect == Postgres {
		q += " FOR UPDATE"
	}
	err = tx.queryRow(ctx, q, args...).Scan(&org)
	if err == sql.ErrNoRows {
		return 0, aceso.Errorf(aceso.ENOTFOUND, "alert %d not found", alertID)
	}
	return org, err
}

// AddAlertAttachment stores a file on an alert of the principal's CSIRT
// (analysts and up) after the checks every stored file passes (name, type
// by extension and content, MaxAttachmentSize) and within the same quota
// per alert as per incident (attachmentQuota). The audit entry records the name, size
// and SHA-256, never the content.
func (tx *Tx) AddAlertAttachment(ctx context.Context, p access.Principal, alertID int64, name string, data []byte) (AlertAttachment, error) {
	org, err := tx.lockOwnAlert(ctx, p, alertID)
	if err != nil {
		return AlertAttachment{}, err
	}
	name, ct, err := checkAttachment(name, data)
	if err != nil {
		return AlertAttachment{}, err
	}
	var used int64
	if err := tx.queryRow(ctx, "SELECT COALESCE(SUM(size), 0) FROM alert_attachments WHERE org_id = $1 AND alert_id = $2",
		org, alertID).Scan(&used); err != nil {
		return AlertAttachment{}, fmt.Errorf("alert attachments: %w", err)
	}
	if quota := tx.db.attachmentQuota(); used+int64(len(data)) > quota {
		return AlertAttachment{}, aceso.Errorf(aceso.EINVALID, "file %q: alert %d would hold %d bytes of files, more than the limit of %d",
			name, alertID, used+int64(len(data)), quota)
	}
	sum := sha256.Sum256(data)
	a := AlertAttachment{AlertID: alertID, Name: name, ContentType: ct, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
		UploadedBy: actorName(p), CreatedAt: tx.now}
	err = tx.queryRow(ctx, `INSERT INTO alert_attachments (org_id, alert_id, name, content_type, size, sha256, uploaded_by, created_at, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		org, alertID, a.Name, a.ContentType, a.Size, a.SHA256, a.UploadedBy, ts(a.CreatedAt), data).Scan(&a.ID)
	if err != nil {
		return AlertAttachment{}, fmt.Errorf("insert alert attachment: %w", err)
	}
	return a, tx.Audit(ctx, p, org, "alert.attachment.add", "alert", alertID,
		audit.Change(nil, map[string]any{"attachment": a.ID, "name": a.Name, "size": a.Size, "sha256": a.SHA256, "content_type": a.ContentType}))
}

// AlertAttachments lists the files of an alert, oldest first, without
// their content, to exactly whoever may read the alert: the check is
// DB.Alert's (recipients and the TLP rule), so anyone else gets ENOTFOUND.
func (d *DB) AlertAttachments(ctx context.Context, p access.Principal, alertID int64) ([]AlertAttachment, error) {
	al, err := d.Alert(ctx, p, alertID)
	if err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, "SELECT "+alertAttachmentCols+" FROM alert_attachments WHERE org_id = $1 AND alert_id = $2 ORDER BY id",
		al.OrgID, al.ID)
	if err != nil {
		return nil, d.translate(err)
	}
	defer rows.Close()
	out := []AlertAttachment{}
	for rows.Next() {
		a, err := scanAlertAttachment(rows)
		if err != nil {
			return nil, d.translate(err)
		}
		out = append(out, a)
	}
	return out, d.translate(rows.Err())
}

// AlertAttachmentContent returns one file of an alert with its content,
// for download, under the same rule as AlertAttachments.
func (d *DB) AlertAttachmentContent(ctx context.Context, p access.Principal, alertID, id int64) (AlertAttachment, []byte, error) {
	al, err := d.Alert(ctx, p, alertID)
	if err != nil {
		return AlertAttachment{}, nil, err
	}
	var data []byte
	a, err := scanAlertAttachment(d.db.QueryRowContext(ctx, "SELECT "+alertAttachmentCols+", data FROM alert_attachments WHERE org_id = $1 AND alert_id = $2 AND id = $3",
		al.OrgID, al.ID, id), &data)
	if err == sql.ErrNoRows {
		return AlertAttachment{}, nil, aceso.Errorf(aceso.ENOTFOUND, "attachment %d of alert %d not found", id, alertID)
	}
	if err != nil {
		return AlertAttachment{}, nil, d.translate(err)
	}
	return a, data, nil
}

// DeleteAlertAttachment removes a file from an alert of the principal's
// CSIRT (analysts and up), noting it in the audit log.
func (tx *Tx) DeleteAlertAttachment(ctx context.Context, p access.Principal, alertID, id int64) error {
	org, err := tx.lockOwnAlert(ctx, p, alertID)
	if err != nil {
		return err
	}
	a, err := scanAlertAttachment(tx.queryRow(ctx, "SELECT "+alertAttachmentCols+" FROM alert_attachments WHERE org_id = $1 AND alert_id = $2 AND id = $3",
		org, alertID, id))
	if err == sql.ErrNoRows {
		return aceso.Errorf(aceso.ENOTFOUND, "attachment %d of alert %d not found", id, alertID)
	}
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "DELETE FROM alert_attachments WHERE org_id = $1 AND alert_id = $2 AND id = $3", org, alertID, id); err != nil {
		return fmt.Errorf("delete alert attachment: %w", err)
	}
	return tx.Audit(ctx, p, org, "alert.attachment.delete", "alert", alertID,
		audit.Change(map[string]any{"attachment": a.ID, "name": a.Name, "size": a.Size, "sha256": a.SHA256}, nil))
}
