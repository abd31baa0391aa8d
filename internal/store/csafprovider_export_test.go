package store

import (
	"context"
	"fmt"
)

// MigrateBefore applies the embedded migrations older than version, as a
// database of an older aceso would have them, for upgrade tests.
func (d *DB) MigrateBefore(ctx context.Context, version int) error {
	ms, err := d.migrations()
	if err != nil {
		return err
	}
	if err := d.ensureVersionTable(ctx); err != nil {
		return err
	}
	for _, m := range ms {
		if m.version >= version {
			break
		}
		err := d.InTx(ctx, func(tx *Tx) error {
			if _, err := tx.exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			_, err := tx.exec(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", m.version, m.name, ts(tx.Now()))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
