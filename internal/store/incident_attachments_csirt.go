package store

import (
	"context"

	"github.com/aceso-health/aceso/internal/access"
)

// CSIRTAttachments lists, read-only, the files of an incident a member
// shared with the CSIRT, for the CSIRT's users who may read that incident:
// the check is CSIRTIncident's, the one read rule of the CSIRT into
// members' incidents, and every query is scoped by the incident's
// organisation it returns. Reads are not audited: the log records changes.
func (d *DB) CSIRTAttachments(ctx context.Context, p access.Principal, incidentID int64) ([]Attachment, error) {
	c, err := d.CSIRTIncident(ctx, p, incidentID)
	if err != nil {
		return nil, err
	}
	out, err := incidentAttachments(ctx, d.db, c.OrgID, c.ID)
	return out, d.translate(err)
}

// CSIRTAttachmentContent returns one file of a shared incident with its
// content, for download, under the same rule as CSIRTAttachments.
func (d *DB) CSIRTAttachmentContent(ctx context.Context, p access.Principal, incidentID, id int64) (Attachment, []byte, error) {
	c, err := d.CSIRTIncident(ctx, p, incidentID)
	if err != nil {
		return Attachment{}, nil, err
	}
	a, data, err := incidentAttachmentContent(ctx, d.db, c.OrgID, c.ID, id)
	return a, data, d.translate(err)
}
