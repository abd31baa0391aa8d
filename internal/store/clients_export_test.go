package store

import (
	"context"

	"github.com/aceso-health/aceso/internal/access"
	"github.com/aceso-health/aceso/internal/share"
)

// RecipientOf exposes recipientOf to the external tests.
func (d *DB) RecipientOf(ctx context.Context, p access.Principal) (share.Recipient, error) {
	return recipientOf(ctx, d.db, p)
}

// AdvisoryReceivable evaluates the SQL predicate advisoryReceivable for one
// stored label and one organisation, on the database itself.
func (d *DB) AdvisoryReceivable(ctx context.Context, label string, orgID int64) (bool, error) {
	var n int
	err := d.db.QueryRowContext(ctx, "SELECT CASE WHEN "+advisoryReceivable("CAST($1 AS TEXT)", "CAST($2 AS BIGINT)")+" THEN 1 ELSE 0 END",
		label, orgID).Scan(&n)
	return n == 1, d.translate(err)
}
