package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aceso-health/aceso"
	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/audit"
)

// Attachment limits: one file may hold MaxAttachmentSize bytes and all the
// files of one incident MaxIncidentAttachments, so that evidence fits in a
// database row and one incident cannot fill the disk.
const (
	MaxAttachmentSize      = 20 << 20
	MaxIncidentAttachments = 200 << 20
)

// Attachment is a file attached to an incident, without its content (see
// AttachmentContent). ContentType is the safe type found by sniffing, which
// downloads are served with.
type Attachment struct {
	ID          int64     `json:"id"`
	IncidentID  int64     `json:"incident_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedBy  string    `json:"uploaded_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// attachmentKinds maps an allowed file extension to the content types its
// sniffed content may have. Anything else — executables, HTML, SVG, office
// documents with macros — is refused: an incident file is downloaded by
// other staff and must not become stored XSS or malware delivery.
var attachmentKinds = map[string][]string{
	".pdf":    {"application/pdf"},
	".png":    {"image/png"},
	".jpg":    {"image/jpeg"},
	".jpeg":   {"image/jpeg"},
	".txt":    {"text/plain"},
	".log":    {"text/plain"},
	".csv":    {"text/plain"},
	".json":   {"text/plain"},
	".eml":    {"text/plain"},
	".zip":    {"application/zip"},
	".pcap":   {"pcap"},
	".pcapng": {"pcap"},
}

// executableMagic are the starts of native executables and scripts, which
// the sniffer reports as plain octet streams or text.
var executableMagic = [][]byte{[]byte("MZ"), []byte("\x7fELF"), {0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf},
	{0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe}, {0xca, 0xfe, 0xba, 0xbe}, []byte("#!")}

// pcapMagic are the classic pcap (both byte orders, µs and ns) and pcapng starts.
var pcapMagic = [][]byte{{0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, {0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d}, {0x0a, 0x0d, 0x0d, 0x0a}}

func hasPrefix(data []byte, magic [][]byte) bool {
	for _, m := range magic {
		if bytes.HasPrefix(data, m) {
			return true
		}
	}
	return false
}

// CleanAttachmentName reduces an uploaded file name to its base name
// without control characters, at most 200 bytes, or refuses it.
func CleanAttachmentName(name string) (string, error) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." {
		return "", aceso.Errorf(aceso.EINVALID, "file name: missing")
	}
	if !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", aceso.Errorf(aceso.EINVALID, "file name %q: must be UTF-8 without control characters", name)
	}
	if len(name) > 200 {
		return "", aceso.Errorf(aceso.EINVALID, "file name: longer than 200 bytes")
	}
	return name, nil
}

// ClassifyAttachment checks a file by both its extension and its sniffed
// content and returns the content type to serve it with. The two must
// agree, so a renamed executable or an HTML page called report.txt is
// refused.
func ClassifyAttachment(name string, data []byte) (string, error) {
	ext := strings.ToLower(path.Ext(name))
	want, ok := attachmentKinds[ext]
	if !ok {
		return "", aceso.Errorf(aceso.EINVALID, "file %q: type %q is not allowed (pdf, png, jpeg, txt, log, csv, json, eml, zip, pcap)", name, ext)
	}
	if len(data) == 0 {
		return "", aceso.Errorf(aceso.EINVALID, "file %q: empty", name)
	}
	if hasPrefix(data, executableMagic) {
		return "", aceso.Errorf(aceso.EINVALID, "file %q: content is an executable or script", name)
	}
	sniffed := http.DetectContentType(data)
	base, _, _ := strings.Cut(sniffed, ";")
	for _, w := range want {
		switch {
		case w == "pcap" && hasPrefix(data, pcapMagic):
			return "application/vnd.tcpdump.pcap", nil
		case w == base && base == "text/plain":
			// Logs are not always UTF-8 (Latin-1 syslog); those are served
			// without a charset rather than refused.
			if utf8.Valid(data) {
				return "text/plain; charset=utf-8", nil
			}
			return "text/plain", nil
		case w == base:
			return base, nil
		}
	}
	return "", aceso.Errorf(aceso.EINVALID, "file %q: content (%s) does not match its extension %s", name, sniffed, ext)
}

// attachmentQuota is the bytes of files one incident, or one alert, may
// hold: the configured IncidentConfig.AttachmentQuota, else
// MaxIncidentAttachments.
func (d *DB) attachmentQuota() int64 {
	if q := d.IncidentConfig.AttachmentQuota; q > 0 {
		return q
	}
	return MaxIncidentAttachments
}

// checkAttachment applies the rules every stored file passes, whatever it
// is attached to (an incident, an alert): a clean name, at most
// MaxAttachmentSize bytes, and a type its extension and content agree on.
// It returns the cleaned name and the content type to serve the file with.
func checkAttachment(name string, data []byte) (string, string, error) {
	name, err := CleanAttachmentName(name)
	if err != nil {
		return "", "", err
	}
	if len(data) > MaxAttachmentSize {
		return "", "", aceso.Errorf(aceso.EINVALID, "file %q: %d bytes is more than the limit of %d", name, len(data), MaxAttachmentSize)
	}
	ct, err := ClassifyAttachment(name, data)
	if err != nil {
		return "", "", err
	}
	return name, ct, nil
}

const attachmentCols = "id, incident_id, name, content_type, size, sha256, uploaded_by, created_at"

func scanAttachment(row interface{ Scan(...any) error }) (Attachment, error) {
	var (
		a  Attachment
		at int64
	)
	err := row.Scan(&a.ID, &a.IncidentID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.UploadedBy, &at)
	a.CreatedAt = fromTS(at)
	return a, err
}

// AddAttachment stores a file on an incident of the principal's
// organisation (reporters and above) after checking its name, type and the
// size limits, and notes it in the timeline. The audit entry records the
// name, size and SHA-256, never the content.
func (tx *Tx) AddAttachment(ctx context.Context, p access.Principal, incidentID int64, name string, data []byte) (Attachment, error) {
	name, ct, err := checkAttachment(name, data)
	if err != nil {
		return Attachment{}, err
	}
	r, err := tx.lockIncident(ctx, p, incidentID)
	if err != nil {
		return Attachment{}, err
	}
	var used int64
	if err := tx.queryRow(ctx, "SELECT COALESCE(SUM(size), 0) FROM incident_attachments WHERE org_id = $1 AND incident_id = $2",
		r.OrgID, r.ID).Scan(&used); err != nil {
		return Attachment{}, fmt.Errorf("attachments: %w", err)
	}
	if quota := tx.db.attachmentQuota(); used+int64(len(data)) > quota {
		return Attachment{}, aceso.Errorf(aceso.EINVALID, "file %q: incident %d would hold %d bytes of files, more than the limit of %d",
			name, r.ID, used+int64(len(data)), quota)
	}
	sum := sha256.Sum256(data)
	a := Attachment{IncidentID: r.ID, Name: name, ContentType: ct, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
		UploadedBy: actorName(p), CreatedAt: tx.now}
	err = tx.queryRow(ctx, `INSERT INTO incident_attachments (org_id, incident_id, name, content_type, size, sha256, uploaded_by, created_at, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		r.OrgID, r.ID, a.Name, a.ContentType, a.Size, a.SHA256, a.UploadedBy, ts(a.CreatedAt), data).Scan(&a.ID)
	if err != nil {
		return Attachment{}, fmt.Errorf("insert attachment: %w", err)
	}
	if err := tx.appendTimeline(ctx, &r, p, "attachment", fmt.Sprintf("Attached %s (%d bytes, SHA-256 %s)", a.Name, a.Size, a.SHA256)); err != nil {
		return Attachment{}, err
	}
	return a, tx.Audit(ctx, p, r.OrgID, "incident.attachment.add", "incident", r.ID,
		audit.Change(nil, map[string]any{"attachment": a.ID, "name": a.Name, "size": a.Size, "sha256": a.SHA256, "content_type": a.ContentType}))
}

// incidentExists answers ENOTFOUND for an incident that is not the org's.
func incidentExists(ctx context.Context, q querier, orgID, id int64) error {
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM incidents WHERE org_id = $1 AND id = $2", orgID, id).Scan(&one)
	if err == sql.ErrNoRows {
		return aceso.Errorf(aceso.ENOTFOUND, "incident %d not found", id)
	}
	return err
}

// Attachments lists the files of an incident of the principal's
// organisation, oldest first, without their content.
func (d *DB) Attachments(ctx context.Context, p access.Principal, incidentID int64) ([]Attachment, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return nil, err
	}
	if err := incidentExists(ctx, d.db, p.OrgID, incidentID); err != nil {
		return nil, d.translate(err)
	}
	out, err := incidentAttachments(ctx, d.db, p.OrgID, incidentID)
	return out, d.translate(err)
}

// incidentAttachments lists the files of incident incidentID of
// organisation org; callers have decided that the principal may read it.
func incidentAttachments(ctx context.Context, q querier, org, incidentID int64) ([]Attachment, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+attachmentCols+" FROM incident_attachments WHERE org_id = $1 AND incident_id = $2 ORDER BY id",
		org, incidentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Attachment{}
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AttachmentContent returns one file of an incident of the principal's
// organisation with its content, for download.
func (d *DB) AttachmentContent(ctx context.Context, p access.Principal, incidentID, id int64) (Attachment, []byte, error) {
	if err := access.Authorize(p, access.ActRead, p.OrgID); err != nil {
		return Attachment{}, nil, err
	}
	a, data, err := incidentAttachmentContent(ctx, d.db, p.OrgID, incidentID, id)
	return a, data, d.translate(err)
}

// incidentAttachmentContent reads one file of incident incidentID of
// organisation org with its content; callers have decided that the
// principal may read the incident.
func incidentAttachmentContent(ctx context.Context, q querier, org, incidentID, id int64) (Attachment, []byte, error) {
	var (
		a    Attachment
		at   int64
		data []byte
	)
	err := q.QueryRowContext(ctx, "SELECT "+attachmentCols+", data FROM incident_attachments WHERE org_id = $1 AND incident_id = $2 AND id = $3",
		org, incidentID, id).Scan(&a.ID, &a.IncidentID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.UploadedBy, &at, &data)
	if err == sql.ErrNoRows {
		return Attachment{}, nil, aceso.Errorf(aceso.ENOTFOUND, "attachment %d of incident %d not found", id, incidentID)
	}
	if err != nil {
		return Attachment{}, nil, err
	}
	a.CreatedAt = fromTS(at)
	return a, data, nil
}

// DeleteAttachment removes a file from an incident (reporters and above),
// noting it in the timeline and the audit log.
func (tx *Tx) DeleteAttachment(ctx context.Context, p access.Principal, incidentID, id int64) error {
	r, err := tx.lockIncident(ctx, p, incidentID)
	if err != nil {
		return err
	}
	a, err := scanAttachment(tx.queryRow(ctx, "SELECT "+attachmentCols+" FROM incident_attachments WHERE org_id = $1 AND incident_id = $2 AND id = $3",
		r.OrgID, r.ID, id))
	if err == sql.ErrNoRows {
		return aceso.Errorf(aceso.ENOTFOUND, "attachment %d of incident %d not found", id, incidentID)
	}
	if err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "DELETE FROM incident_attachments WHERE org_id = $1 AND incident_id = $2 AND id = $3", r.OrgID, r.ID, id); err != nil {
		return fmt.Errorf("delete attachment: %w", err)
	}
	if err := tx.appendTimeline(ctx, &r, p, "attachment", fmt.Sprintf("Removed %s (SHA-256 %s)", a.Name, a.SHA256)); err != nil {
		return err
	}
	return tx.Audit(ctx, p, r.OrgID, "incident.attachment.delete", "incident", r.ID,
		audit.Change(map[string]any{"attachment": a.ID, "name": a.Name, "size": a.Size, "sha256": a.SHA256}, nil))
}
